"""The linked picture in headless Chromium: hover follows the windows pooling gives, cells are edited in place,
the keyboard reaches everything, and a pinned cell survives a link. Grids are found by their accessible names."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.browser.helpers import query, wait_until
from tests.browser.linked_helpers import click, draws, grid, grid_z, hover, outlined, tooltip, wait_for_grids
from tests.reference import window_positions

pytestmark = pytest.mark.browser

TIE_X = "1,1,2,2;1,1,2,2;3,0,4,4;0,3,4,4"
# (query, x, kernel, stride, padding, dilation, ceil_mode, tie rule)
GEOMETRIES = {
    "overlap": ("x=0,5,1,0;2,9,9,1;4,1,3,8;7,7,0,2&k=3&s=1", 3, 1, 0, 1, False, "first"),
    "padding_ceil": (
        "x=1,2,3,4,5;6,0,8,9,1;2,3,4,0,6;7,8,9,1,2;3,4,5,6,0&k=2&s=2&p=1&ceil=1",
        2,
        2,
        1,
        1,
        True,
        "first",
    ),
    "dilation": ("x=1,2,3,4,5;6,0,8,9,1;2,3,4,0,6;7,8,9,1,2;3,4,5,6,0&k=2&s=1&d=2", 2, 1, 0, 2, False, "first"),
    **{
        f"ties_{rule}": (f"x={TIE_X}&k=2" + ("" if rule == "first" else f"&tie={rule}"), 2, 2, 0, 1, False, rule)
        for rule in pooling.TIE_POLICIES
    },
}


def parse_x(q: str) -> np.ndarray:
    text = dict(part.split("=", 1) for part in q.split("&"))["x"]
    return np.array([[float(v) for v in row.split(",")] for row in text.split(";")])


@pytest.mark.parametrize("case", GEOMETRIES)
def test_hover_outlines_are_the_cells_pooling_gives(page, app_url, case):
    q, k, s, p, d, ceil, rule = GEOMETRIES[case]
    x = parse_x(q)
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    g = res.geometry
    H_out, W_out = res.out.shape
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.goto(f"{app_url}/?{q}")
    wait_for_grids(page)
    page.wait_for_timeout(300)
    sent.clear()
    for i in range(H_out):
        for j in range(W_out):
            hover(page, "y", i, j)
            # Window cells from a plain loop over the geometry (padding positions included).
            window = {
                (h, w) for h, w, _ in window_positions(i, j, *g.in_shape, g.kernel, g.stride, g.padding, g.dilation)
            }
            wait_until(lambda window=window: outlined(page, "x", "lp-hl") == window)
            assert outlined(page, "y", "lp-hl") == {(i, j)}
            assert outlined(page, "dL/dy", "lp-hl") == {(i, j)}
            one_hot = np.zeros((H_out, W_out))
            one_hot[i, j] = 1.0
            shares = pooling.max_pool2d_backward(one_hot, res, rule)
            receivers = {tuple(c) for c in np.argwhere(shares != 0).tolist()}
            assert outlined(page, "dL/dx", "lp-recv") == receivers
            tip = tooltip(page)
            assert f"y[{i}, {j}]" in tip
            for h, w in receivers:
                assert f"dL/dx[{h}, {w}] +=" in tip
    # Hovering x: every window that holds the cell lights up in y, the ones it wins marked.
    for h, w in [(0, 0), (1, 1), (x.shape[0] - 1, x.shape[1] - 1)]:
        hover(page, "x", h, w)
        holding = {
            (i, j)
            for i in range(H_out)
            for j in range(W_out)
            if (h, w)
            in {(a, b) for a, b, _ in window_positions(i, j, *g.in_shape, g.kernel, g.stride, g.padding, g.dilation)}
        }
        dx_each = {
            (i, j): pooling.max_pool2d_backward(
                np.eye(1, H_out * W_out, i * W_out + j).reshape(H_out, W_out), res, rule
            )[h, w]
            for i, j in holding
        }
        won = {c for c, v in dx_each.items() if v != 0}
        wait_until(lambda holding=holding: outlined(page, "y", "lp-won") | outlined(page, "y", "lp-hl") == holding)
        assert outlined(page, "y", "lp-won") == won
        assert outlined(page, "dL/dy", "lp-won") == won
        assert outlined(page, "dL/dx", "lp-hl") == {(h, w)}
    # Hover never talks to the server.
    assert sent == []


def test_edit_in_place_bad_text_and_a_pasted_block(page, app_url):
    x = np.array([[1, 3, 0, 0], [3, 2, 0, 0], [4, 4, 1, 2], [4, 4, 2, 1]], float)

    def expected(grid_x):
        res = pooling.max_pool2d(grid_x, 2)
        return pooling.max_pool2d_backward(np.ones(res.out.shape), res, "first").tolist()

    page.goto(f"{app_url}/?x=1,3,0,0;3,2,0,0;4,4,1,2;4,4,2,1&k=2")
    wait_for_grids(page)
    assert grid_z(page, "dL/dx") == expected(x)

    # Click x[1, 0], type 9, Enter: one round trip, the winner moves, the cursor moves down.
    click(page, "x", 1, 0)
    page.keyboard.type("9")
    page.keyboard.press("Enter")
    x[1, 0] = 9
    wait_until(lambda: grid_z(page, "x") == x.tolist() and grid_z(page, "dL/dx") == expected(x))
    wait_until(lambda: query(page).get("x") == "1,3,0,0;9,2,0,0;4,4,1,2;4,4,2,1")

    # Not a number: shown in place with the reason, nothing committed, the last grid stays.
    before = draws(page)
    page.keyboard.type("abc")
    page.keyboard.press("Tab")
    wait_until(lambda: outlined(page, "x", "lp-err") == {(2, 0)} and draws(page) > before)
    status = grid(page, "x").locator("xpath=..").locator(".lp-status").text_content()
    assert "x[2, 0]" in status and "not a number" in status
    assert grid_z(page, "x") == x.tolist()
    assert query(page).get("x") == "1,3,0,0;9,2,0,0;4,4,1,2;4,4,2,1"

    # Paste a 2x2 block at x[2, 2]: it fills from that cell.
    click(page, "x", 2, 2)
    page.evaluate(
        """() => {
            const dt = new DataTransfer();
            dt.setData('text/plain', '7\\t8\\n9\\t0.5\\n');
            document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true}));
        }"""
    )
    x[2:4, 2:4] = [[7, 8], [9, 0.5]]
    wait_until(lambda: grid_z(page, "x") == x.tolist() and grid_z(page, "dL/dx") == expected(x))
    # The bad cell was not re-edited: its complaint stays until it is.
    assert outlined(page, "x", "lp-err") == {(2, 0)}

    # dL/dy is edited the same way.
    click(page, "dL/dy", 0, 1)
    page.keyboard.type("-2.5")
    page.keyboard.press("Enter")
    res = pooling.max_pool2d(x, 2)
    dy = np.ones(res.out.shape)
    dy[0, 1] = -2.5
    wait_until(lambda: grid_z(page, "dL/dx") == pooling.max_pool2d_backward(dy, res, "first").tolist())


def test_keyboard_only_walk(page, app_url):
    """Tab reaches the grids, arrows move, Enter edits x, Enter on y pins its cell."""
    page.goto(f"{app_url}/?x=1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4&k=2")
    wait_for_grids(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "x":
            break
    else:
        pytest.fail("Tab never reached the grid x")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    # The keyboard cursor follows the cell like hover does: x[1, 1] lights up in x and dL/dx.
    wait_until(lambda: outlined(page, "x", "lp-hl") == {(1, 1)})
    assert outlined(page, "dL/dx", "lp-hl") == {(1, 1)}
    assert outlined(page, "y", "lp-won") == {(0, 0)}
    page.keyboard.press("Enter")
    page.keyboard.type("42")
    page.keyboard.press("Enter")
    wait_until(lambda: grid_z(page, "x")[1][1] == 42)
    # Tab moves on to y; arrows pick y[1, 1]; Enter pins it into the link.
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    grid(page, "x").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "y"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    wait_until(lambda: query(page).get("sel") == "1,1")
    wait_until(lambda: outlined(page, "x", "lp-hl") == {(2, 2), (2, 3), (3, 2), (3, 3)})


def test_link_round_trip_with_a_pinned_cell(page, app_url, browser):
    """A link with sel pins that window with no hover; a click pins another; the link reproduces it; Esc clears."""
    page.goto(f"{app_url}/?x=1,3,4,0;3,2,5,0;0,0,1,7;2,0,1,1&k=2&s=1&sel=1,2")
    wait_for_grids(page)
    wait_until(lambda: outlined(page, "x", "lp-hl") == {(1, 2), (1, 3), (2, 2), (2, 3)})
    # Window (1, 2) is won by x[2, 3] = 7.
    assert outlined(page, "dL/dx", "lp-recv") == {(2, 3)}
    click(page, "y", 0, 1)
    wait_until(lambda: query(page).get("sel") == "0,1")
    page.mouse.move(2, 2)  # away from the grids: the pinned window shows
    wait_until(lambda: outlined(page, "x", "lp-hl") == {(0, 1), (0, 2), (1, 1), (1, 2)})
    link = page.evaluate("() => document.location.href")

    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        other.goto(link)
        wait_for_grids(other)
        wait_until(lambda: outlined(other, "x", "lp-hl") == {(0, 1), (0, 2), (1, 1), (1, 2)})
        assert outlined(other, "y", "lp-hl") == {(0, 1)}
        assert grid_z(other, "x") == grid_z(page, "x")
        other.keyboard.press("Escape")
        wait_until(lambda: "sel" not in query(other))
        wait_until(lambda: outlined(other, "x", "lp-hl") == set())
    finally:
        other.context.close()
