"""The step-through in headless Chromium: step by hand, play on a timer without a page reload, hover a window
of the linked picture (outlines as pooling gives, tooltips without numbers not computed yet), screenshot."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pooling
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import full_screenshot, query, wait_for_app, wait_until
from tests.browser.linked_helpers import grid_z, hover, outlined, tooltip, wait_for_grids
from tests.reference import window_positions

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
    assert computed(grid_z(page, "y")) == [6]

    click(page, "step_next")
    wait_until(lambda: current_step(page) == 2)
    wait_until(lambda: computed(grid_z(page, "y")) == [6, 7])
    wait_until(lambda: query(page).get("step") == "2")

    # End jumps to the last step: the whole backward pass is done.
    click(page, "step_end")
    wait_until(lambda: current_step(page) == 18)
    wait_until(lambda: grid_z(page, "dL/dx") == partial_dx(9))
    click(page, "step_start")
    wait_until(lambda: current_step(page) == 1)

    # Play: the position advances on its own and the figures change, in the same page (no reload).
    page.evaluate("window.__same_page = 'yes'")
    y_before = grid_z(page, "y")
    click(page, "step_play")
    wait_until(lambda: (current_step(page) or 0) >= 4, timeout=30)
    assert page.evaluate("window.__same_page") == "yes"
    wait_until(lambda: grid_z(page, "y") != y_before)
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
    wait_until(lambda: grid_z(page, "dL/dx") == partial_dx(4))
    assert grid_z(page, "dL/dx")[1][1] == 5
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
    wait_until(lambda: np.allclose(grid_z(page, "dL/dx"), plan_dx))
    full_screenshot(page, SCREENSHOTS / "step_through_backward_ties_6x6.png", height=1500)


def window_of(res, i: int, j: int) -> set[tuple[int, int]]:
    g = res.geometry
    return {(h, w) for h, w, _ in window_positions(i, j, *g.in_shape, g.kernel, g.stride, g.padding, g.dilation)}


def test_hover_follows_a_window_and_shows_only_what_is_known(page, app_url):
    """6x6 with ties, kernel 3, stride 2, padding 1, split: hover y forward and backward, outlines as pooling gives."""
    x = np.array([[float(v) for v in row.split(",")] for row in TIES6.split(";")])
    res = pooling.max_pool2d(x, 3, stride=2, padding=1)
    H_out, W_out = res.out.shape
    link = f"step_through?x={TIES6}&k=3&s=2&p=1&tie=split"

    # Forward step 2: y[0, 0] and y[0, 1] are known, the rest is not.
    open_page(page, app_url, f"{link}&step=2")
    wait_for_grids(page)
    # Nothing hovered: the step's window (0, 1) is pinned in x, y and dL/dy.
    wait_until(lambda: outlined(page, "x", "lp-hl") == window_of(res, 0, 1))
    assert outlined(page, "y", "lp-hl") == {(0, 1)}
    assert outlined(page, "dL/dx", "lp-recv") == set()  # no gradient has gone back yet
    y = grid_z(page, "y")
    assert [v for row in y for v in row if v is not None] == res.out.reshape(-1)[:2].tolist()
    assert outlined(page, "y", "lp-wait") == {(i, j) for i in range(H_out) for j in range(W_out)} - {(0, 0), (0, 1)}
    hover(page, "y", 2, 2)
    wait_until(lambda: outlined(page, "x", "lp-hl") == window_of(res, 2, 2))
    assert outlined(page, "y", "lp-hl") == {(2, 2)}
    tip = tooltip(page)
    assert "y[2, 2]: not computed yet" in tip and "maximum is not worked out yet" in tip
    assert "max:" not in tip and "+=" not in tip  # the winner and the gradient are not known yet
    hover(page, "y", 0, 0)
    wait_until(lambda: "y[0, 0] = " in tooltip(page))
    assert "has not been sent back yet" in tooltip(page)

    # Backward step: the first 5 windows have sent their gradient.
    sent = 5
    page.goto(f"{app_url}/{link}&step={res.out.size + sent}")
    wait_for_app(page)
    wait_for_grids(page)
    for i in range(H_out):
        for j in range(W_out):
            hover(page, "y", i, j)
            wait_until(lambda i=i, j=j: outlined(page, "x", "lp-hl") == window_of(res, i, j))
            assert outlined(page, "dL/dy", "lp-hl") == {(i, j)}
            one_hot = np.zeros((H_out, W_out))
            one_hot[i, j] = 1.0
            receivers = {tuple(c) for c in np.argwhere(pooling.max_pool2d_backward(one_hot, res, "split")).tolist()}
            done = i * W_out + j < sent
            assert outlined(page, "dL/dx", "lp-recv") == (receivers if done else set())
            tip = tooltip(page)
            if done:
                assert all(f"dL/dx[{h}, {w}] +=" in tip for h, w in receivers)
            else:
                assert "has not been sent back yet" in tip and "+=" not in tip
    # A cell that windows still to come will add to says its sum is only so far.
    hover(page, "x", 4, 4)
    wait_until(lambda: "x[4, 4] = " in tooltip(page))
    assert "not sent gradient back yet" in tooltip(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "step_through_hover_1280x800.png"))
