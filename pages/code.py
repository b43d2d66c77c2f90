"""Reproduce in code: the current view as a PyTorch script and as a numpy script, to read, copy or download."""

import streamlit as st

from ui import code_export, explorer, presentation, shell, state
from ui.model import pool_view

shell.leave_pages_folder_mode()

st.title("Reproduce the view in code")
presentation.key_sentence(
    "Two scripts that compute this view's y and dL/dx: one with PyTorch's max_pool2d and autograd, one with "
    "this app's own numpy package. Both print y and dL/dx as exact floats, the same text as shown below, so "
    "you can check the app's numbers on your own machine."
)

explorer.link_warnings()

view = state.view()
pooled = pool_view(view)
if isinstance(pooled, str):
    st.error(f"Nothing to reproduce yet: {pooled}", icon="⚠️")
    st.stop()
if pooled.problem:
    st.warning(
        f"The sidebar's settings do not fit x, so the scripts use the last settings that fit "
        f"({pooled.window.describe()}): {pooled.problem}",
        icon="⚠️",
    )
for notice in pooled.notices:
    st.info(notice, icon="ℹ️")

spec = code_export.ViewSpec.from_pooled(pooled, dy_is_ones=view.dy is None)
if code_export.tie_rule_differs(spec, pooled.res):
    st.info(
        f"PyTorch gives each tied window's gradient to its first maximum, but this view uses "
        f"'{spec.tie_policy}'. The PyTorch script says so, prints PyTorch's own dL/dx, and then gets "
        "the view's dL/dx from this app's pooling package.",
        icon="⚖️",
    )

RUN_HINTS = {
    "torch": "Needs PyTorch (pip install torch).",
    "numpy": "Run it from the app's folder, where the pooling package lives (or put that folder on PYTHONPATH).",
}
for tab, kind in zip(st.tabs(["PyTorch", "numpy + pooling"]), ("torch", "numpy")):
    snippet = code_export.torch_snippet(spec) if kind == "torch" else code_export.numpy_snippet(spec)
    with tab:
        st.code(snippet, language="python", wrap_lines=True)
        st.download_button(
            f"Download maxpool_view_{kind}.py",
            snippet,
            file_name=f"maxpool_view_{kind}.py",
            mime="text/x-python",
            key=f"code_{kind}_download",
            icon=":material/download:",
        )
        st.caption(RUN_HINTS[kind])
        st.markdown("**What it prints**")
        st.code(code_export.expected_output(spec, torch=kind == "torch"), language=None)
