"""The app in front of a class, in headless Chromium: Next opens a lesson at its title, a long link stays in a
small box, nothing is cut off at 1280x800 or when presenting at 1920x1080, and text is readable (WCAG AA).

Screenshots of what failed go to artifacts/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.browser.helpers import wait_until
from ui.share import LINK_BOX_HEIGHT

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'


def settle(page, wait_ms: int = 400) -> None:
    """Wait for the run a click or a load started to finish (the state flips to running, then back)."""
    page.wait_for_timeout(wait_ms)
    page.wait_for_selector(IDLE, timeout=90_000)


def open_url(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(CONNECTED, timeout=90_000)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=90_000)
    settle(page, 800)


def main_scroll_top(page) -> float:
    return page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")


def test_next_lesson_opens_at_its_title(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_url(page, app_url)  # from the root, so a fresh server runs app.py's navigation first
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Lessons", exact=True).click()
    page.wait_for_selector('[data-testid="stProgress"]')
    settle(page, 1000)
    for lesson in (2, 3, 4):  # odd and even lessons: the scroll must happen on every click
        button = page.locator(".st-key-lesson_next button")
        button.scroll_into_view_if_needed()
        assert main_scroll_top(page) > 300  # the footer is far down the page
        button.click()
        wait_until(lambda n=lesson: f"Lesson {n} of 8" in page.locator('[data-testid="stProgress"]').inner_text())
        settle(page)
        wait_until(lambda: main_scroll_top(page) < 5, timeout=10)
        title = page.locator('[data-testid="stMainBlockContainer"] h2').first
        assert title.inner_text().startswith(f"{lesson}.")
        assert title.bounding_box()["y"] < 800  # the new lesson's title is on screen


def test_a_40x40_link_stays_in_a_small_box(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    rng = np.random.default_rng(1)
    x = ";".join(",".join(str(v) for v in row) for row in rng.integers(0, 100, (40, 40)))
    open_url(page, f"{app_url}/?x={x}&k=2")
    box = page.locator('[data-testid="stCode"]').last
    box.scroll_into_view_if_needed()
    height = box.bounding_box()["height"]
    assert height <= LINK_BOX_HEIGHT + 8, f"the link box is {height} px tall"
    assert f"x={x[:200]}" in box.inner_text().replace("\n", "")  # the whole link is in it, to copy
