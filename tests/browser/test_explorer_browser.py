"""The explorer in headless Chromium: open a shared link, edit a cell, change a control, see dL/dx change."""

from __future__ import annotations

import numpy as np

import pooling
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import edit_cell, full_screenshot, heatmap_z, query, wait_for_app, wait_until
from tests.browser.linked_helpers import click, outlined

pytestmark = __import__("pytest").mark.browser


def expected_dx(x, policy, **kw):
    res = pooling.max_pool2d(np.array(x, float), 2, **kw)
    return pooling.max_pool2d_backward(np.ones(res.out.shape), res, policy).tolist()


def test_shared_link_edit_and_control_update_the_gradient(page, app_url):
    """A student opens a teacher's link, breaks a tie by editing a cell, then switches the tie rule."""
    x = [[1, 3, 0, 0], [3, 2, 0, 0], [4, 4, 1, 2], [4, 4, 2, 1]]
    page.goto(f"{app_url}/?x=1,3,0,0;3,2,0,0;4,4,1,2;4,4,2,1&k=2")
    wait_for_app(page)
    assert heatmap_z(page, "dx_chart") == expected_dx(x, "first")

    # Edit x[1, 0] from 3 to 9: the top-left window's winner moves from (0, 1) to (1, 0).
    edit_cell(page, 0, 1, 0, "9", n_cols=4)
    x[1][0] = 9
    wait_until(lambda: heatmap_z(page, "dx_chart") == expected_dx(x, "first"))
    # The link follows the edit (the URL is written at the end of the same run).
    wait_until(lambda: query(page).get("x") == "1,3,0,0;9,2,0,0;4,4,1,2;4,4,2,1")

    # Switch the tie rule to split: the four-way tie at the bottom left now shares its gradient.
    page.get_by_text("split: an equal share").click()
    wait_until(lambda: heatmap_z(page, "dx_chart") == expected_dx(x, "split"))
    assert expected_dx(x, "split")[2][0] == 0.25
    wait_until(lambda: query(page).get("tie") == "split")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SCREENSHOTS / "explorer.png", height=1900)


def test_clicking_y_selects_a_window_in_every_figure(page, app_url):
    """Clicking y[1, 2] outlines window (1, 2) in x and its winner in dL/dx, and goes into the link."""
    page.goto(f"{app_url}/?x=1,3,4,0;3,2,5,0;0,0,1,7;2,0,1,1&k=2&s=1")
    wait_for_app(page)
    click(page, "y", 1, 2)
    wait_until(lambda: query(page).get("sel") == "1,2")
    page.mouse.move(2, 2)  # off the grids: the pinned window stays outlined
    # Window (1, 2) with kernel 2, stride 1 covers rows 1-2, columns 2-3.
    wait_until(lambda: outlined(page, "x", "lp-hl") == {(1, 2), (1, 3), (2, 2), (2, 3)})
    # Its winner is x[2, 3] = 7: the dL/dx outline sits on that one cell.
    assert outlined(page, "dL/dx", "lp-recv") == {(2, 3)}
    # The math below follows the pinned cell.
    wait_until(lambda: "window (1, 2)" in page.get_by_test_id("stMarkdown").all_text_contents().__str__())


def test_the_link_reopens_the_same_view_in_a_fresh_browser(browser, app_url):
    """Copying the URL into a new browser context shows exactly the same figures."""
    first = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    first.goto(f"{app_url}/?x=5,1,1;1,5,1;1,1,5&k=2&s=1&tie=last&dy=1,2;3,4")
    wait_for_app(first)
    dx = heatmap_z(first, "dx_chart")
    link = first.url
    second = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    second.goto(link)
    wait_for_app(second)
    assert heatmap_z(second, "dx_chart") == dx
    res = pooling.max_pool2d(np.array([[5, 1, 1], [1, 5, 1], [1, 1, 5]], float), 2, stride=1)
    assert dx == pooling.max_pool2d_backward(np.array([[1, 2], [3, 4]], float), res, "last").tolist()
    first.context.close()
    second.context.close()


def test_big_grid_with_ties_renders(page, app_url):
    """A 16x16 grid of small integers (many ties) and a 40x40 one both draw; screenshots for the README."""
    rng = np.random.default_rng(3)
    for size, name in ((16, "explorer_16x16.png"), (40, "explorer_40x40.png")):
        x = rng.integers(0, 4, size=(size, size))
        query = "x=" + ";".join(",".join(str(v) for v in row) for row in x) + "&k=3&s=2&p=1"
        page.goto(f"{app_url}/?{query}")
        wait_for_app(page)
        res = pooling.max_pool2d(x, 3, stride=2, padding=1)
        dx = pooling.max_pool2d_backward(np.ones(res.out.shape), res).tolist()
        wait_until(lambda dx=dx: heatmap_z(page, "dx_chart") == dx)
        full_screenshot(page, SCREENSHOTS / name)
