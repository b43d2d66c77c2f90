"""The share box (ui/share.py) in headless Chromium: it shows the page's current link, copies it by mouse and
by keyboard, follows an edit made in the picture, and needs no syntax-highlighter bundle.

Screenshots go to artifacts/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.browser.helpers import query, wait_until
from tests.browser.linked_helpers import click, grid_text, wait_for_grids

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SEED = "x=1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4&k=2&sel=1,0"
HIGHLIGHTER = "StreamlitSyntaxHighlighter"
"""The name of Streamlit's syntax-highlighter chunk (about 1.5 MB), which st.code made every page load."""


@pytest.fixture()
def copy_page(browser):
    """A page whose clipboard the test may read (the box's copy button writes to it)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    page.scripts = scripts
    yield page
    context.close()


def link_of(value: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(value).query))


def box(page):
    return page.get_by_role("textbox", name="Link to this view")


def test_the_box_shows_and_copies_the_current_link(copy_page, app_url):
    page = copy_page
    page.goto(f"{app_url}/?{SEED}")
    wait_for_grids(page)
    link = box(page)
    link.scroll_into_view_if_needed()
    wait_until(lambda: link_of(link.input_value()) == query(page))
    assert query(page)["sel"] == "1,0" and query(page)["x"] == "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4"
    page.get_by_role("button", name="Copy link").click()
    wait_until(lambda: page.get_by_role("status").filter(has_text="Link copied.").count() == 1)
    assert page.evaluate("navigator.clipboard.readText()") == link.input_value()
    page.screenshot(path=str(ARTIFACTS / "share_box.png"))
    # The box is drawn by a small component: no st.code, and no highlighter bundle loaded for it.
    assert page.locator('[data-testid="stMain"] [data-testid="stCode"]').count() == 0
    assert not [url for url in page.scripts if HIGHLIGHTER in url]


def test_the_keyboard_selects_and_copies_the_link(copy_page, app_url):
    page = copy_page
    page.goto(f"{app_url}/?{SEED}")
    wait_for_grids(page)
    link = box(page)
    link.focus()
    # Focus selects the whole link, so Ctrl+C copies all of it too.
    assert link.evaluate("(b) => [b.selectionStart, b.selectionEnd]") == [0, len(link.input_value())]
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Copy link")
    assert button.evaluate("(b) => b.getRootNode().activeElement === b")
    page.keyboard.press("Enter")
    wait_until(lambda: page.get_by_role("status").filter(has_text="Link copied.").count() == 1)
    assert page.evaluate("navigator.clipboard.readText()") == link.input_value()


def test_the_box_follows_an_edit_in_the_picture(page, app_url):
    page.goto(f"{app_url}/?{SEED}")
    wait_for_grids(page)
    click(page, "x", 0, 1)
    page.keyboard.type("7")
    page.keyboard.press("Enter")
    wait_until(lambda: grid_text(page, "x")[0][1] == "7")
    link = box(page)
    wait_until(lambda: link_of(link.input_value()).get("x", "").startswith("1,7,2,4;"))
    wait_until(lambda: link_of(link.input_value()) == query(page))
