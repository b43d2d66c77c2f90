"""Real images: pool a whole picture at full resolution and see where the gradient lands."""

import streamlit as st

from ui import explorer, images, presentation, shell, state
from ui.text import md

shell.leave_pages_folder_mode()

st.title("Real images: pooling a whole picture")
presentation.key_sentence(
    "The same max pooling, on every pixel of a real picture. Each window sends its brightest pixel "
    "forward, so going back only those pixels receive gradient. With a stride smaller than the window, "
    "windows overlap and a pixel can win several of them: the counts and dL/dx show the pattern. "
    "The window and the tie rule come from the sidebar."
)

explorer.link_warnings()

chooser, loss = st.columns([3, 2], gap="large")
with chooser:
    data, file_name = images.source_panel()
    x, problem = (None, None) if data is None else images.load_image(data)
    if problem:
        st.error(f"{md(file_name)}: {problem}", icon="⚠️")  # the name is the uploader's text
with loss:
    gradient = images.gradient_choice()
if x is None:
    st.stop()

window = images.current_window()
try:
    pooled = images.pool_image(x, window, state.view().tie_policy, gradient)
except ValueError as err:
    st.error(f"The sidebar's window does not fit this {x.shape[0]}×{x.shape[1]} picture: {err}", icon="⚠️")
    st.stop()

st.markdown(images.summary(pooled))
notice = images.mass_notice(pooled)
if notice:
    st.warning(notice, icon="⚖️")
box = images.detail_panel(x.shape, pooled)
st.caption(
    "The whole picture is drawn as the mean of small blocks of pixels (squeezed pixel by pixel into a "
    "small figure it would show moiré); a detail shows every pixel, one cell per pixel. Drag across a "
    "figure to zoom in, double-click to zoom back out."
)
images.figures(pooled, box)
