"""1-D view: the question's vector x = [x1, x2, x3, x4], or any signal, pooled in one dimension,
forward and backward, ties and overlaps included."""

import streamlit as st

from ui import explorer, one_d, presentation, shell, state

shell.leave_pages_folder_mode()

st.title("1-D view: a vector, pooled")
st.caption(
    "The question that started this app pooled a plain vector x = [x1, x2, x3, x4]. Here it is: one window over "
    "all four gives y = max(x1, …, x4), and the gradient dL/dy goes to the largest xi only. Any other signal and "
    "window work too (PyTorch's max_pool1d; the sidebar's tie rule applies, its 2-D window does not). A 1-D signal "
    "is a 2-D grid of one row, so everything on the other pages holds here."
)

explorer.link_warnings()
signal = one_d.controls()
pooled = one_d.pool(signal, state.view().tie_policy)
if isinstance(pooled, str):
    st.error(f"The window does not fit the signal: {pooled}", icon="⚠️")
    st.stop()
if pooled.notice:
    st.warning(pooled.notice, icon="⚠️")
j = one_d.output_choice(pooled)
for line in one_d.window_lines(pooled, j):
    st.latex(line)
st.latex(one_d.gradient_line(pooled))
one_d.figures(pooled, j, font_scale=presentation.font_scale())
