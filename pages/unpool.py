"""Unpooling switches: max_unpool2d puts dL/dy back at the recorded indices; the backward pass does the same,
except that it adds where windows share a winner."""

import streamlit as st

from ui import explorer, presentation, shell, unpool

shell.leave_pages_folder_mode()

st.title("Unpooling switches")
st.caption(
    "Max pooling can record where each window's maximum was: the indices, or *switches*. MaxUnpool2d uses them "
    "to put values back where they came from (zeros elsewhere), as decoders and segmentation networks do. The "
    "backward pass of max pooling routes dL/dy along the very same switches. Are they the same thing?"
)

explorer.link_warnings()
pooled = explorer.editors_and_pool("unpool_editors")
unpool.overlap_button()
view = unpool.unpool_view(pooled)
kind, words = unpool.story(view)
(st.success if kind == "same" else st.warning)(words, icon="⚖️" if kind == "differ" else "✅")
if pooled.tie_policy != "first":
    st.caption(
        f"Both grids use the recorded indices (the 'first' rule); the sidebar's '{pooled.tie_policy}' "
        "does not apply to unpooling."
    )
unpool.collision_table(view)
cell = explorer.selection(pooled)
unpool.figures(view, cell, font_scale=presentation.font_scale())
explorer.selection_box(pooled, cell)
st.markdown(
    "**Which write stays?** PyTorch's CPU unpooling loops over the windows in order, so on one thread the last "
    "window's value stays; with several threads the writes race and the result can change from run to run "
    "([pytorch#80827](https://github.com/pytorch/pytorch/issues/80827); with "
    "`torch.use_deterministic_algorithms(True)` it raises an error). The app shows the one-thread result. "
    "The backward pass never has this problem: it adds, and addition does not care about order "
    "(up to rounding)."
)
