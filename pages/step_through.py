"""Step through: the forward pass window by window, then the backward pass output cell by output cell."""

import streamlit as st

from ui import explorer, export, presentation, shell, state, steps
from ui.model import pool_view

shell.leave_pages_folder_mode()

st.title("Step through the computation")
presentation.key_sentence(
    "First the forward pass: each window of x in turn, its values compared, the largest written into y. "
    "Then the backward pass: each dL/dy[i, j] in turn travels back to its window's winner, and dL/dx "
    "adds up what arrives. Use Next and Back, drag the slider, or press Play."
)

explorer.link_warnings()

editor = st.expander("Change x and dL/dy")
with editor:
    explorer.input_panel()
pooled = pool_view(state.view())
if isinstance(pooled, str):
    st.error(f"Nothing to step through yet: {pooled}", icon="⚠️")
    st.stop()
with editor:
    explorer.gradient_panel(pooled.y.shape)
explorer.dy_notices(pooled)
if pooled.problem:
    st.warning(f"Showing the last settings that fit ({pooled.window.describe()}): {pooled.problem}", icon="⚠️")

steps.player()

export.step_gif_button(
    steps.plan_steps(pooled.res, pooled.dy, pooled.tie_policy),
    f"Max pooling: {pooled.window.describe()}, tie rule '{pooled.tie_policy}'",
)
