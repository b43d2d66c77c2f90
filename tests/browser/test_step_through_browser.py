"""The step-through in headless Chromium: step by hand, play on a timer without a page reload, screenshot."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pooling
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import full_screenshot, heatmap_z, query, wait_for_app, wait_until

pytestmark = pytest.mark.browser

SEED = "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4"
SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
DY = "1,2,3;4,5,6;7,8,9"
# 6x6 with many ties, kernel 3, stride 2, padding 1: windows overlap and some hold tied maxima.
TIES6 = "2,0,2,1,3,3;1,2,0,2,1,0;3,1,3,0,2,1;0,3,1,3,3,0;2,0,2,1,0,2;1,3,0,2,3,1"


def open_page(page, app_url: str, path_and_query: str) -> None:
    """Open the root first: a fresh server serves a first deep link in the old pages/ mode, without app.py."""
    page.goto(f"{app_url}/")
    wait_for_app(page)
    page.goto(f"{app_url}/{path_and_query}")
    wait_for_app(page)


def current_step(page) -> int | None:
    heading = page.locator(".st-key-step_words h3").first.inner_text()
    match = re.match(r"Step (\d+) of", heading)
    return int(match.group(1)) if match else None


def click(page, key: str) -> None:
    # Streamlit draws a second, hidden copy of a button to measure it: click the first.
    page.locator(f".st-key-{key} button").first.click()


def computed(z) -> list:
    """The cells of a partial grid that hold a value (pending cells are null)."""
    return [v for row in z for v in row if v is not None and v == v]


def partial_dx(n_windows: int) -> list:
    res = pooling.max_pool2d(SEED_X, 2, stride=1)
    dy = np.arange(1.0, 10.0).reshape(3, 3)
    dx = np.zeros_like(SEED_X)
    for (r, c), parts in pooling.contributions(dy, res).items():
        dx[r, c] = sum(q.amount for q in parts if q.output_cell[0] * 3 + q.output_cell[1] < n_windows)
    return dx.tolist()


def test_step_by_hand_then_play_without_reload(page, app_url):
    """A teacher steps through the forward pass, then lets it play into the backward pass."""
    open_page(page, app_url, f"step_through?x={SEED}&k=2&s=1&dy={DY}&step=1")
    assert current_step(page) == 1
    assert computed(heatmap_z(page, "step_y_chart")) == [6]

    click(page, "step_next")
    wait_until(lambda: current_step(page) == 2)
    wait_until(lambda: computed(heatmap_z(page, "step_y_chart")) == [6, 7])
    wait_until(lambda: query(page).get("step") == "2")

    # End jumps to the last step: the whole backward pass is done.
    click(page, "step_end")
    wait_until(lambda: current_step(page) == 18)
    wait_until(lambda: heatmap_z(page, "step_dx_chart") == partial_dx(9))
    click(page, "step_start")
    wait_until(lambda: current_step(page) == 1)

    # Play: the position advances on its own and the figures change, in the same page (no reload).
    page.evaluate("window.__same_page = 'yes'")
    y_before = heatmap_z(page, "step_y_chart")
    click(page, "step_play")
    wait_until(lambda: (current_step(page) or 0) >= 4, timeout=30)
    assert page.evaluate("window.__same_page") == "yes"
    wait_until(lambda: heatmap_z(page, "step_y_chart") != y_before)
    wait_until(lambda: int(query(page).get("step", "0")) >= 4)  # the link follows the position
    click(page, "step_play")  # pause
    wait_until(lambda: page.locator(".st-key-step_slider input").count() == 1)  # the slider is back
    paused_at = current_step(page)
    page.wait_for_timeout(2500)
    assert current_step(page) == paused_at
    assert page.evaluate("window.__same_page") == "yes"

    # A backward step with overlap: x[1,1] has collected 1 (from y[0,0]) + 4 (from y[1,0]).
    page.goto(f"{app_url}/step_through?x={SEED}&k=2&s=1&dy={DY}&step=13")
    wait_for_app(page)
    wait_until(lambda: heatmap_z(page, "step_dx_chart") == partial_dx(4))
    assert heatmap_z(page, "step_dx_chart")[1][1] == 5
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SCREENSHOTS / "step_through.png", height=1500)


def test_ties_on_a_bigger_grid(page, app_url):
    """6x6, kernel 3, stride 2, padding 1, split: a forward step on a tie, then a backward step that shares."""
    link = f"step_through?x={TIES6}&k=3&s=2&p=1&tie=split"
    open_page(page, app_url, f"{link}&step=2")
    text = page.locator(".st-key-step_words").inner_text()
    assert "is held by" in text and "'split'" in text
    full_screenshot(page, SCREENSHOTS / "step_through_forward_ties_6x6.png", height=1500)

    x = np.array([[float(v) for v in row.split(",")] for row in TIES6.split(";")])
    res = pooling.max_pool2d(x, 3, stride=2, padding=1)
    n_windows = res.out.size
    page.goto(f"{app_url}/{link}&step={n_windows + 5}")
    wait_for_app(page)
    plan_dx = np.zeros_like(x)
    for (r, c), parts in pooling.contributions(np.ones(res.out.shape), res, "split").items():
        plan_dx[r, c] = sum(q.amount for q in parts if q.output_cell[0] * res.out.shape[1] + q.output_cell[1] < 5)
    # Without the padding ghost cells around the grid.
    wait_until(lambda: np.allclose([row[1:-1] for row in heatmap_z(page, "step_dx_chart")[1:-1]], plan_dx))
    full_screenshot(page, SCREENSHOTS / "step_through_backward_ties_6x6.png", height=1500)
