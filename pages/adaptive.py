"""Global and adaptive max pooling: choose the output size, and the windows follow (uneven, sometimes overlapping)."""

import streamlit as st

from ui import adaptive, explorer, export, linked, presentation, shell, text

shell.leave_pages_folder_mode()

st.title("Global and adaptive max pooling")
st.caption(
    "Adaptive pooling (PyTorch's AdaptiveMaxPool2d) is told the output size, not the window: output row i pools "
    "input rows ⌊i·H/H_out⌋ up to ⌈(i+1)·H/H_out⌉. When H is not a multiple of H_out, windows differ in size and "
    "neighbours can share a row. Global max pooling is the output size 1×1. The backward pass is the same as "
    "everywhere: each window's dL/dy goes to its winner, and overlaps add. (The sidebar's window settings do not "
    "apply here; its tie rule does.)"
)

explorer.link_warnings()
out_size = adaptive.output_size_control()
pooled = adaptive.editors(out_size)
st.info(adaptive.summary(pooled), icon=":material/aspect_ratio:")
notice = text.tie_notice(pooled)
if notice:
    st.caption(notice)
cell = explorer.selection(pooled)
linked.linked_grids(pooled, cell, key="ad_linked", editable=(), font_scale=presentation.font_scale())
export.offer(export.pooled_panels(pooled, cell), f"Adaptive max pooling to {out_size[0]}×{out_size[1]}", "adaptive")
explorer.selection_box(pooled, cell)
st.markdown(adaptive.window_line(pooled, cell))
st.markdown(text.window_story(pooled, *cell))
with st.expander("Where each window starts and ends", key="ad_bounds_box"):
    adaptive.bounds_table(pooled)
