"""What every run does around the page itself: the shared sidebar controls, the page, the URL."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from ui import controls, state


def leave_pages_folder_mode() -> None:
    """Make sure ``app.py``'s navigation runs, not Streamlit's legacy ``pages/`` folder mode.

    Until some run calls ``st.navigation``, a fresh server treats the ``pages/``
    folder the old way and runs a deep-linked page (``/lessons?...``) on its own,
    without the sidebar controls or the URL sync. Every page and ``app.py`` call
    this first: in that mode it switches the server over and reruns, so the same
    link then runs through ``app.py``. Under AppTest, which resets that mode before
    every run, it stays out of the way (a rerun there would drop a pending
    ``st.switch_page``); tests/browser/test_deep_link.py covers the real server.
    """
    if PagesManager.uses_pages_directory and not config.get_option("global.appTest"):
        PagesManager.uses_pages_directory = False
        st.rerun()


OWN_INPUT_PAGES = ("pages/images.py", "pages/network.py")
"""Pages that pool something other than the grid x, so the sidebar does not check the window against x."""


SIDEBAR_UNUSED_PAGES = ("pages/lessons.py",)
"""Pages that set their own window and tie rule (each lesson's example), so the sidebar's are hidden there."""


def frame(run_page: Callable[[], object], page_file: str = "pages/explorer.py") -> None:
    """Draw the shared sidebar controls, run the page, then write the view into the URL."""
    controls.sidebar_controls(check_fit=page_file not in OWN_INPUT_PAGES, used=page_file not in SIDEBAR_UNUSED_PAGES)
    run_page()
    state.sync_url()
