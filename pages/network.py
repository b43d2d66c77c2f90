"""Inside a network: conv -> ReLU -> max pooling, and the chain rule through all three."""

import streamlit as st

from ui import explorer, network, presentation, shell

shell.leave_pages_folder_mode()

st.title("Inside a network: the chain rule through max pooling")
presentation.key_sentence(
    "Max pooling rarely sits alone. Here x goes through a small convolution with kernel K, then ReLU, then "
    "the sidebar's max pooling, and L = Σ dL/dy · y. Going back, each layer multiplies by its own local "
    "derivative: pooling passes gradient only to the winners, ReLU only where z > 0, and the convolution "
    "spreads it over the kernel. x is the Explorer's input; the window and the tie rule come from the sidebar."
)

explorer.link_warnings()
opened_note = network.open_with_several_windows()
if opened_note:
    st.caption(opened_note)

editor, about = st.columns([2, 3], gap="large")
with editor:
    st.subheader("Kernel K")
    kernel = network.kernel_editor()

result = network.compute(kernel)
if isinstance(result, str):
    with about:
        st.error(result, icon="⚠️")
    st.stop()

with about:
    st.subheader("The chain")
    st.markdown(network.chain_caption(result))
    for notice in result.notices:
        st.info(notice, icon="ℹ️")
    # Two lines: side by side they are wider than this column.
    st.latex(r"\frac{\partial L}{\partial z_{i,j}} = \frac{\partial L}{\partial a_{i,j}} \cdot [z_{i,j} > 0]")
    st.latex(
        r"\frac{\partial L}{\partial a_{i,j}} = \sum_{\text{windows won by } (i,j)} \frac{\partial L}{\partial y}"
    )

network.figures(result)
st.subheader("The kernel's gradient, checked")
network.check_panel(result)
with st.expander("dL/dK entry by entry, with the numbers", expanded=True):
    for line in network.kernel_math(result):
        st.latex(line)
