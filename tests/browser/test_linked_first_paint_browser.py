"""The linked picture draws before plotly.js is there (ui/linked.js): with the plotly.js route blocked, the four grids
still show coloured cells, pooling's numbers, and window outlines on hover; with plotly.js loaded its heatmap is the
colour layer, the overlay's stand-in cells are gone, and the colours are the same ones the overlay drew."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from figures.grid import format_value
from tests.browser.helpers import wait_until
from tests.browser.linked_helpers import GRID, cell_point, grid_text, hover, outlined, wait_for_grids

pytestmark = pytest.mark.browser

NAMES = ("x", "y", "dL/dy", "dL/dx")
X = np.array([[1, 3, 0, 2, 5], [3, 2, 0, 4, 1], [4, 4, 1, 2, 0], [0, 6, 2, 1, 3], [2, 2, 7, 0, 1]], dtype=float)
QUERY = "x=" + ";".join(",".join(str(int(v)) for v in row) for row in X) + "&k=2&s=1"


def block_plotly(page) -> list[str]:
    """Abort every request for plotly.js; returns the list the blocked URLs are appended to."""
    blocked: list[str] = []

    def abort(route):
        blocked.append(route.request.url)
        route.abort()

    page.route("**/plotly-*.js", abort)
    return blocked


def svg_cells(page, name: str) -> dict:
    """The overlay's colour layer of grid ``name``: how many cell rects, and their fills."""
    return page.evaluate(
        "(sel) => Array.from(document.querySelectorAll(sel + ' .lp-cells rect.lp-cell'),"
        " r => [Number(r.dataset.r), Number(r.dataset.c), getComputedStyle(r).fill])",
        GRID.format(name=name),
    )


def screen_colour(page, name: str, row: int, col: int) -> tuple[int, int, int]:
    """The colour a screenshot shows near the bottom middle of a cell (clear of its number and corner marks)."""
    from io import BytesIO

    from PIL import Image

    point = cell_point(page, name, row, col)
    cs = float(page.locator(GRID.format(name=name)).get_attribute("data-cs"))
    x, y = round(point["x"]), round(point["y"] + 0.38 * cs)
    image = Image.open(BytesIO(page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1}))).convert("RGB")
    return image.getpixel((0, 0))


def expected() -> dict:
    res = pooling.max_pool2d(X, 2, stride=1)
    dy = np.ones(res.out.shape)
    return {"x": X, "y": res.out, "dL/dy": dy, "dL/dx": pooling.max_pool2d_backward(dy, res, "first"), "_res": res}


def test_grids_draw_with_plotly_blocked(page, app_url):
    blocked = block_plotly(page)
    page.goto(f"{app_url}/?{QUERY}")
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    for name in NAMES:
        page.wait_for_selector(GRID.format(name=name) + " .lp-cells rect.lp-cell")
    want = expected()
    for name in NAMES:
        shape = want[name].shape
        cells = svg_cells(page, name)
        # One coloured rect per cell of the grid, each with a real colour (no NaN here, so no transparent cell).
        assert sorted((r, c) for r, c, _ in cells) == [(r, c) for r in range(shape[0]) for c in range(shape[1])]
        assert all(fill.startswith("rgb(") for _, _, fill in cells), cells
        assert grid_text(page, name) == [[format_value(v) for v in row] for row in want[name].tolist()]
    # Cells of different values get different colours on x (the colour follows the value).
    fills = {(r, c): fill for r, c, fill in svg_cells(page, "x")}
    assert fills[(3, 1)] != fills[(0, 2)]  # 6 and 0
    assert not page.locator(".js-plotly-plot").count(), "plotly.js was blocked, yet a plotly plot exists"
    assert blocked, "the page never asked for plotly.js"
    # Hover still follows a window: y[1, 2] covers rows 1..2, columns 2..3 of x (stride 1, kernel 2).
    hover(page, "y", 1, 2)
    wait_until(lambda: outlined(page, "x", "lp-hl") == {(1, 2), (1, 3), (2, 2), (2, 3)})
    assert outlined(page, "y", "lp-hl") == {(1, 2)} and outlined(page, "dL/dy", "lp-hl") == {(1, 2)}
    res = want["_res"]
    winner = int(res.indices[1, 2])
    assert outlined(page, "dL/dx", "lp-recv") == {divmod(winner, X.shape[1])}


def test_plotly_takes_over_the_colour_layer_with_the_same_colours(page, app_url, browser):
    # First the overlay's colours, with plotly.js blocked, read off the screen...
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    first = context.new_page()
    first.set_default_timeout(60_000)
    block_plotly(first)
    first.goto(f"{app_url}/?{QUERY}")
    first.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    for name in NAMES:
        first.wait_for_selector(GRID.format(name=name) + " .lp-cells rect.lp-cell")
    first.mouse.move(1, 1)
    probes = [("x", 3, 1), ("x", 0, 2), ("x", 4, 2), ("y", 0, 0), ("y", 3, 2), ("dL/dx", 3, 1), ("dL/dx", 0, 0)]
    svg_colours = {p: screen_colour(first, *p) for p in probes}
    context.close()
    # ...then the same link with plotly.js: its heatmap is drawn on all four grids and the stand-ins are gone.
    page.goto(f"{app_url}/?{QUERY}")
    wait_for_grids(page)
    for name in NAMES:
        page.wait_for_selector(GRID.format(name=name) + " .js-plotly-plot .heatmaplayer image")
        assert svg_cells(page, name) == []
    assert page.evaluate("() => document.querySelector('.lp-root').dataset.colour") == "plotly"
    page.mouse.move(1, 1)
    for probe, colour in svg_colours.items():
        got = screen_colour(page, *probe)
        # Same scale, same stops: plotly's heatmap and the overlay agree to rounding (and the image's smoothing).
        assert max(abs(a - b) for a, b in zip(got, colour)) <= 4, (probe, got, colour)
