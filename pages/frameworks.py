"""Frameworks side by side: what PyTorch, TensorFlow, JAX/Flax and Keras give for the same x and window,
computed here with each one's conventions, the cells that differ marked."""

import streamlit as st

from ui import explorer, frameworks, presentation, shell, state

shell.leave_pages_folder_mode()

st.title("Frameworks side by side")
st.caption(
    "Max pooling is 'the same' everywhere until it is not: padding, default strides and NaN are handled "
    "differently. Below, the current x and the sidebar's kernel and stride are pooled with each framework's "
    "conventions (computed by this app in numpy, following each framework's source; no framework runs here). "
    "dL/dy is all ones, so dL/dx counts the windows each cell wins."
)

explorer.link_warnings()
with st.expander("Edit x", key="fw_editors"):
    explorer.input_panel()
frameworks.example_buttons()
mode = frameworks.padding_control()
x = state.view().x
comparison = frameworks.compare(x, mode)
if isinstance(comparison, str):
    st.error(f"The window does not fit: {comparison}", icon="⚠️")
    st.stop()
st.info(frameworks.story(comparison), icon=":material/compare:")
frameworks.figures(comparison, x, font_scale=presentation.font_scale())
frameworks.summary_table(comparison)
st.markdown(frameworks.SOURCES)
