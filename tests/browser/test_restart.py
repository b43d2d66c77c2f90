"""Restart safety: the URL is the state, so stopping and restarting the server loses nothing.

A student opens a link, edits a cell, changes the tie rule and the padding; the
server is stopped and started again on the same port; a reload shows the same
view, and so does the same link opened in a fresh browser.
"""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.browser.conftest import ROOT, free_port, start_server, stop_server
from tests.browser.helpers import edit_cell, heatmap_z, query, wait_for_app, wait_until

pytestmark = pytest.mark.browser

LINK = "/?x=1,3,0,0;3,2,0,0;4,4,1,2;4,4,2,1&k=2"


def expected_dx(x, policy, **kw):
    res = pooling.max_pool2d(np.array(x, float), 2, **kw)
    return pooling.max_pool2d_backward(np.ones(res.out.shape), res, policy).tolist()


def comparable(grid) -> list:
    """Heatmap values with NaN (the padding ghost cells) as None, so equal views compare equal."""
    return [[None if v is None or v != v else v for v in row] for row in grid]


def view_of(page) -> dict:
    return {"query": query(page), "x": comparable(heatmap_z(page, "x_chart")),
            "dx": comparable(heatmap_z(page, "dx_chart"))}


def set_number(page, key: str, value: int) -> None:
    box = page.locator(f".st-key-{key} input")
    box.fill(str(value))
    box.press("Enter")


def test_a_server_restart_loses_nothing(browser):
    (ROOT / "artifacts").mkdir(exist_ok=True)
    port = free_port()
    server, base = start_server(port)
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(base + LINK)
        wait_for_app(page)
        # Production setting in action: the server hands out an XSRF cookie.
        assert any(c["name"] == "_streamlit_xsrf" for c in context.cookies())

        x = [[1, 3, 0, 0], [3, 2, 0, 0], [4, 4, 1, 2], [4, 4, 2, 1]]
        edit_cell(page, 0, 1, 0, "9", n_cols=4)
        x[1][0] = 9
        wait_until(lambda: query(page).get("x") == "1,3,0,0;9,2,0,0;4,4,1,2;4,4,2,1")
        page.get_by_text("split: an equal share").click()
        wait_until(lambda: query(page).get("tie") == "split")
        set_number(page, "p_h", 1)
        wait_until(lambda: query(page).get("p") == "1x0")
        wait_for_app(page)
        dx = expected_dx(x, "split", padding=(1, 0))
        wait_until(lambda: heatmap_z(page, "dx_chart") == dx)
        before = view_of(page)
        assert before["query"]["x"] == "1,3,0,0;9,2,0,0;4,4,1,2;4,4,2,1"

        stop_server(server)
        server, again = start_server(port)
        assert again == base

        page.reload()
        wait_for_app(page)
        wait_until(lambda: heatmap_z(page, "dx_chart") == dx)
        after = view_of(page)
        assert after == before
        assert page.locator(".st-key-p_h input").input_value() == "1"

        # The same link in a browser that never saw the old server shows the same view.
        fresh = browser.new_context(viewport={"width": 1500, "height": 1100})
        try:
            other = fresh.new_page()
            other.goto(page.url)
            wait_for_app(other)
            wait_until(lambda: heatmap_z(other, "dx_chart") == dx)
            assert view_of(other) == before
        finally:
            fresh.close()
    finally:
        context.close()
        stop_server(server)
