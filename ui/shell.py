"""What every run does around the page itself: the shared sidebar controls, the page, the URL."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from ui import classroom, controls, export, state


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


OWN_INPUT_PAGES = ("pages/images.py", "pages/network.py", "pages/adaptive.py", "pages/one_d.py")
"""Pages that pool something other than the grid x, or x without the sidebar's window, so the sidebar
does not check the window against x."""


SIDEBAR_UNUSED_PAGES = ("pages/lessons.py",)
"""Pages that set their own window and tie rule (each lesson's example), so the sidebar's are hidden there."""


def frame(run_page: Callable[[], object], page_file: str = "pages/explorer.py") -> None:
    """Draw the shared sidebar controls, run the page, then write the view into the URL.

    Class mode first loads the teacher's view into a following student's session, and after the
    controls draws its own sidebar section; ``state.sync_url`` hands a teacher's view to the room.
    """
    classroom.before_page(page_file)
    controls.sidebar_controls(check_fit=page_file not in OWN_INPUT_PAGES, used=page_file not in SIDEBAR_UNUSED_PAGES)
    classroom.sidebar_panel()
    classroom.status_bar()
    run_page()
    # Pages pooling an image or a network layer show no grid x: no default picture for them.
    export.sidebar_downloads(fallback=page_file not in ("pages/images.py", "pages/network.py"))
    state.sync_url()
