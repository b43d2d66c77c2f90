"""The explorer: edit x, the window and dL/dy; see the winners and where the gradient lands."""

import streamlit as st

from ui import explorer, presentation, presets, shell, text

shell.leave_pages_folder_mode()

st.title("Max pooling, forward and backward")
presentation.key_sentence(
    "Each window of x sends its largest value forward to y. Going back, each y[i, j] hands its "
    "gradient dL/dy[i, j] to the cell that won its window, and to no one else; a cell that wins "
    "several overlapping windows adds up what they send."
)

explorer.link_warnings()
presets.preset_buttons()

pooled = explorer.editors_and_pool("editors", expanded=True)
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
