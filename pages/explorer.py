"""The explorer: edit x, the window and dL/dy; see the winners and where the gradient lands."""

import streamlit as st

from ui import explorer, presentation, shell, state, text
from ui.model import pool_view

shell.leave_pages_folder_mode()

st.title("Max pooling, forward and backward")
st.caption(
    "Each window of x sends its largest value forward to y. Going back, each y[i, j] hands its "
    "gradient dL/dy[i, j] to the cell that won its window, and to no one else; a cell that wins "
    "several overlapping windows adds up what they send."
)

for param, message in state.url_errors().items():
    st.warning(f"The link's `{param}` could not be used: {message}", icon="🔗")

with st.expander("Edit x and dL/dy", expanded=True, key="editors"):
    x_column, dy_column = st.columns(2, gap="large")
    with x_column:
        st.subheader("Input x")
        explorer.input_panel()

pooled = pool_view(state.view())
if isinstance(pooled, str):
    st.error(f"Nothing to show yet: {pooled}", icon="⚠️")
    st.stop()

with dy_column:
    st.subheader("Upstream gradient dL/dy")
    explorer.gradient_panel(pooled.y.shape)
pooled = pool_view(state.view())

if pooled.problem:
    st.warning(f"Showing the last settings that fit ({pooled.window.describe()}): {pooled.problem}", icon="⚠️")
notice = text.tie_notice(pooled)
if notice:
    st.info(notice, icon="⚖️")
cell = explorer.selection(pooled)
explorer.figures_grid(pooled, cell, font_scale=presentation.font_scale())
math_column, share_column = st.columns([3, 2], gap="large")
with math_column:
    explorer.selection_box(pooled, cell)
    explorer.window_panel(pooled, cell)
with share_column:
    explorer.share_box()
