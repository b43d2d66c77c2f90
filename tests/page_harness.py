"""Run one page the way app.py does, but without ``st.navigation``, for AppTest.

AppTest (Streamlit 1.67) reruns only the current page's file of an ``st.navigation``
app, skipping ``app.py`` and so the shared sidebar and the URL update. This harness
wraps the page in the same ``ui.shell.frame`` as ``app.py``, so every AppTest rerun
runs the whole frame. Choose the page with ``session_state["_harness_page"]``.
"""

import runpy
from pathlib import Path

import streamlit as st

from ui import shell

ROOT = Path(__file__).resolve().parents[1]
page = st.session_state.get("_harness_page", "pages/explorer.py")
shell.frame(lambda: runpy.run_path(str(ROOT / page), run_name="__page__"), page_file=page)
