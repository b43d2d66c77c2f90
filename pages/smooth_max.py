"""Smooth max and its limit: T·logsumexp(window/T) pools almost like max, and its softmax weights show
which tie rule is the natural one as T falls to 0."""

import streamlit as st

from ui import explorer, presentation, shell, smooth

shell.leave_pages_folder_mode()

st.title("Smooth max, and the limit")
st.caption(
    "Replace each window's max by the smooth max y = T·log Σ exp(x/T). It is differentiable everywhere, and its "
    "gradient is a softmax: each cell of the window gets the weight exp(x/T) / Σ exp(x/T) of dL/dy. Cool it down "
    "(T → 0) and the smooth max becomes the max, and the weights show what the gradient of max ought to be."
)

explorer.link_warnings()
pooled = explorer.editors_and_pool("smooth_editors")
smooth.tie_example_button()
T = smooth.temperature_control()
cell = explorer.selection(pooled)
view = smooth.smooth_view(pooled, T, cell)
# The picture first, so that it is on the first screen; the selected window's numbers follow it.
smooth.figures(view, font_scale=presentation.font_scale())
st.info(smooth.limit_story(view), icon=":material/thermostat:")
explorer.selection_box(pooled, cell)
smooth.numbers_table(view)
st.markdown(
    "**Why it matters.** At a tie no single derivative exists; any split of dL/dy among the tied cells with "
    "shares adding to 1 is a valid subgradient. The smooth max picks one by continuity: equal shares. PyTorch, "
    "TensorFlow and JAX pooling pick the first tied cell instead, which is cheaper (one index per window) and "
    "just as valid for training."
)
