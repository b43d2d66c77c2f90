"""The explorer: edit x, the window and dL/dy; see the winners and where the gradient lands."""

import streamlit as st

from ui import explorer, presentation, presets, shell

shell.leave_pages_folder_mode()

if not presentation.is_on():
    # A constant (nothing typed by a user): less empty space above the title, so that the four
    # grids and the window's math fit on a laptop's first screen.
    st.html("<style>[data-testid='stMainBlockContainer'] { padding-top: 3rem; }</style>")
st.title("Max pooling, forward and backward")
presentation.key_sentence(
    "Each window of x sends its largest value forward to y. Going back, each y[i, j] hands its "
    "gradient dL/dy[i, j] to the cell that won its window, and to no one else; a cell that wins "
    "several overlapping windows adds up what they send."
)

explorer.link_warnings()
presets.preset_buttons()

# The picture comes first on screen; the table editors (secondary: cells are edited in the
# picture) sit below it but run first, since they may change the grids it draws.
picture = st.container()
with st.container():
    explorer.editors_and_pool("editors", lazy=True, label="Table editors for x and dL/dy: size, fill, paste")
with picture:
    explorer.linked_picture(font_scale=presentation.font_scale())
