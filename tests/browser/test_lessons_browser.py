"""The lessons in headless Chromium, as a teacher uses them: open the lessons, go to the next lesson, load its
example into the explorer; then presentation mode from the sidebar, in light and dark theme. Screenshots go to
artifacts/screenshots/lessons*.png and presentation*.png."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import full_screenshot, heatmap_z, query, wait_for_app, wait_until
from ui import lessons
from ui.presentation import FONT_SCALE

pytestmark = pytest.mark.browser

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def settle(page) -> None:
    """Wait for the script run a click started to finish (the state flips to running, then back)."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def progress_text(page) -> str:
    return page.locator('[data-testid="stProgress"]').inner_text()


def content_height(page) -> int:
    return int(
        page.evaluate(
            "Math.max(...Array.from(document.querySelectorAll("
            "'[data-testid=stMain], [data-testid=stMainBlockContainer]')).map(e => e.scrollHeight))"
        )
    )


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SCREENSHOTS / name, height=min(content_height(page) + 60, 5000))


def grid_font_size(page, key: str) -> float:
    """Size of the numbers printed in the x grid of the lesson's linked picture drawn with ``key=``."""
    return page.evaluate(
        '(key) => parseFloat(document.querySelector(`.st-key-${key} [aria-label="x"] .lp-numbers text`)'
        ".getAttribute('font-size'))",
        key,
    )


def lesson_grid_z(page, key: str, name: str = "x") -> list:
    return page.evaluate(
        '([key, name]) => Array.from(document.querySelector(`.st-key-${key} [aria-label="${name}"] .js-plotly-plot`)'
        ".data[0].z, row => Array.from(row))",
        [key, name],
    )


def open_lessons(page, app_url: str) -> None:
    """Start at the app's front page and choose Lessons in the sidebar, as a teacher would.

    (Starting from the root also makes a freshly started server run app.py once; before that,
    Streamlit serves deep links in its old pages/ mode.)
    """
    page.goto(app_url)
    wait_for_app(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Lessons", exact=True).click()
    wait_until(lambda: page.locator('[data-testid="stProgress"]').count() and progress_text(page))
    settle(page)


def test_a_teacher_runs_one_lesson_into_the_explorer(page, app_url):
    """Lessons → next → the chain-rule lesson's live table → load its example → the explorer shows that grid."""
    open_lessons(page, app_url)
    assert "Lesson 1 of 8" in progress_text(page)
    assert query(page)["lesson"] == "1"

    page.locator(".st-key-lesson_next button").click()
    wait_until(lambda: "Lesson 2 of 8" in progress_text(page))
    settle(page)
    assert query(page)["lesson"] == "2"
    example = lessons.LESSONS[1].parts[0].example
    assert wait_until(lambda: lesson_grid_z(page, "lesson2_grids") == example.x.tolist())
    # The live table: the measured local derivative is 1 for the winner only, times dL/dy = 3.
    table = page.locator('[data-testid="stTable"]').first.inner_text()
    assert "x₂ = x[0, 1]" in table and "2.5" in table
    shoot(page, "lessons.png")

    page.locator(".st-key-lesson_load button").click()
    wait_until(lambda: page.get_by_role("heading", name="Max pooling, forward and backward").count())
    wait_for_app(page)
    wait_until(lambda: heatmap_z(page, "x_chart") == example.x.tolist())
    res = pooling.max_pool2d(example.x, example.kernel)
    dx = pooling.max_pool2d_backward(example.dy, res, example.tie_policy)
    assert heatmap_z(page, "dx_chart") == dx.tolist() == [[0, 3], [0, 0]]
    params = wait_until(lambda: (q := query(page)).get("x") == "0.5,2.5;-1.5,1.25" and q)
    assert params["dy"] == "3" and params["k"] == "2" and params["lesson"] == "2"
    # The sidebar shows the example's settings.
    assert page.locator(".st-key-k_h input").input_value() == "2"
    # And the lesson is one click away: back in the lessons, lesson 2 is still the current one.
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Lessons", exact=True).click()
    wait_until(lambda: "Lesson 2 of 8" in progress_text(page))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_presentation_mode_from_the_sidebar(browser, app_url, theme):
    """Switch presentation mode on: the link keeps present=1, text and figure fonts grow; readable in both themes."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(app_url)
        wait_for_app(page)
        page.goto(f"{app_url}/lessons?lesson=6")
        wait_until(lambda: page.locator('[data-testid="stProgress"]').count() and "6 of 8" in progress_text(page))
        wait_for_app(page)
        normal_font = wait_until(lambda: grid_font_size(page, "lesson6_grids"))
        normal_text = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stMain] p')).fontSize")

        page.locator(".st-key-present label").click()
        wait_until(lambda: query(page).get("present") == "1")
        settle(page)
        # The picture sizes its cells to the page; presenting, the numbers grow by about the text scale.
        wait_until(lambda: grid_font_size(page, "lesson6_grids") >= 0.8 * normal_font * FONT_SCALE)
        big_text = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stMain] p')).fontSize")
        assert float(big_text.rstrip("px")) > 1.3 * float(normal_text.rstrip("px"))
        # The lessons set their own window and tie rule: the sidebar says so instead of showing live controls.
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert sidebar.get_by_text("not used on this page", exact=False).count() == 1
        assert sidebar.get_by_text("Padding, dilation, ceil mode").count() == 0
        # The theme really is the one asked for: the app's background is dark in dark mode.
        background = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
        channels = [int(v) for v in background[background.index("(") + 1 : background.index(")")].split(",")[:3]]
        assert (np.mean(channels) < 80) if theme == "dark" else (np.mean(channels) > 200)
        shoot(page, "presentation.png" if theme == "light" else "presentation_dark.png")
        if theme == "dark":
            page.locator(".st-key-present label").click()
            wait_until(lambda: "present" not in query(page))
            settle(page)
            shoot(page, "lessons_dark.png")
    finally:
        context.close()
