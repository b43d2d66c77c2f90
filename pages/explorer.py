"""The explorer: edit x, the window and dL/dy; see the winners and where the gradient lands."""

import streamlit as st

from ui import explorer, linked, presentation, shell, text

shell.leave_pages_folder_mode()

if not presentation.is_on():
    # A constant (nothing typed by a user): less empty space above the title, so that the four
    # grids and the window's math fit on a laptop's first screen.
    st.html("<style>[data-testid='stMainBlockContainer'] { padding-top: 3rem; }</style>")
st.title("Max pooling, forward and backward")
st.caption(
    "Each window of x sends its largest value forward to y. Going back, each y[i, j] hands its "
    "gradient dL/dy[i, j] to the cell that won its window, and to no one else; a cell that wins "
    "several overlapping windows adds up what they send."
)

explorer.link_warnings()
# The picture comes first on screen; the editors (now secondary: cells are edited in the
# picture) sit below it but run first, since they may change the grids it draws.
picture = st.container()
below = st.container()
with below:
    pooled = explorer.editors_and_pool("editors", lazy=True, label="Table editors for x and dL/dy: size, fill, paste")
notice = text.tie_notice(pooled)
cell = explorer.selection(pooled, default=None)
with picture:
    linked.linked_grids(pooled, cell, key="linked", font_scale=presentation.font_scale())
    math_column, share_column = st.columns([3, 2], gap="large")
    with math_column:
        # With nothing pinned (no sel in the link, or after Esc) the math shows window (0, 0).
        shown = cell or (0, 0)
        explorer.window_panel(pooled, shown, math_first=True)
    with share_column:
        if notice:
            st.info(notice, icon="⚖️")
        explorer.selection_box(pooled, shown)
        explorer.share_box()
