"""A link to a page other than the explorer, opened first thing on a freshly started server."""

from __future__ import annotations

import pytest

from tests.browser.conftest import start_server, stop_server
from tests.browser.helpers import query, wait_until

pytestmark = pytest.mark.browser


def test_deep_link_on_a_fresh_server_runs_through_app_py(page):
    """Streamlit's legacy pages/ folder mode must not swallow the sidebar or the link."""
    process, base_url = start_server()
    try:
        page.goto(f"{base_url}/lessons?lesson=3&x=1,2;3,4&k=2&tie=split")
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        # The shared sidebar controls are there, set from the link...
        sidebar = page.locator('[data-testid="stSidebar"]')
        wait_until(lambda: sidebar.get_by_text("Pooling window").count() > 0)
        # Lessons set their own window and tie rule: the sidebar says its controls are not used here
        # (the link's tie rule is kept for the other pages, below).
        wait_until(lambda: sidebar.get_by_text("are not used on this page").count() > 0)
        # ...the lesson the link names is shown, and the URL still holds the view.
        wait_until(lambda: page.get_by_text("Lesson 3 of 8").count() > 0)
        wait_until(lambda: query(page).get("tie") == "split" and query(page).get("lesson") == "3")
    finally:
        stop_server(process)
