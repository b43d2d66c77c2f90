"""The linked picture redraws in place (ui/linked.js): after an edit, after a change of grid shape, and with
padding, every grid shows pooling's numbers, and the row and column indices drawn beside each grid are the
cells it covers. Grids are found by their accessible names."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from figures.grid import format_value
from tests.browser.helpers import wait_until
from tests.browser.linked_helpers import GRID, click, grid_text, grid_z, wait_for_grids
from ui.presets import PRESETS

pytestmark = pytest.mark.browser

NAMES = ("x", "y", "dL/dy", "dL/dx")


def tick_labels(page, name: str) -> dict[str, list[str]]:
    """The column (xtick) and row (ytick) index labels drawn beside grid ``name``, left to right / top to bottom."""
    return page.evaluate(
        """(sel) => {
            const box = document.querySelector(sel);
            const read = (cls, axis) => Array.from(box.querySelectorAll(`.${cls} text`))
                .sort((a, b) => Number(a.getAttribute(axis)) - Number(b.getAttribute(axis))).map((t) => t.textContent);
            return {x: read('xtick', 'x'), y: read('ytick', 'y')};
        }""",
        GRID.format(name=name),
    )


def expected_grids(x, kernel, stride=None, padding=0, ceil_mode=False, dy=None) -> dict:
    """The four grids as pooling gives them (tie rule "first", dL/dy all ones unless given)."""
    res = pooling.max_pool2d(np.asarray(x, float), kernel, stride=stride, padding=padding, ceil_mode=ceil_mode)
    dy = np.ones(res.out.shape) if dy is None else np.asarray(dy, float)
    dx = pooling.max_pool2d_backward(dy, res, "first")
    return {"x": res.x, "y": res.out, "dL/dy": dy, "dL/dx": dx, "_res": res}


def shows(page, grids: dict) -> bool:
    """All four grids carry these values (plotly's z) and print them as the server formats them."""
    for name in NAMES:
        values = grids[name]
        if grid_z(page, name) != values.tolist():
            return False
        if grid_text(page, name) != [[format_value(v) for v in row] for row in values.tolist()]:
            return False
    return True


def index_range(positions: np.ndarray, size: int) -> list[str]:
    """Indices from the first to the last position any window covers (padding included) or the grid has."""
    covered = [int(v) for v in np.asarray(positions).ravel()] + [0, size - 1]
    return [str(v) for v in range(min(covered), max(covered) + 1)]


def test_numbers_and_indices_follow_an_edit_and_a_change_of_shape(page, app_url):
    x = np.arange(36, dtype=float).reshape(6, 6) % 7
    page.goto(f"{app_url}/?x=" + ";".join(",".join(f"{v:g}" for v in row) for row in x) + "&k=2")
    wait_for_grids(page)
    grids = expected_grids(x, 2)
    assert shows(page, grids)
    assert tick_labels(page, "x") == {"x": [str(c) for c in range(6)], "y": [str(r) for r in range(6)]}
    assert tick_labels(page, "y") == {"x": ["0", "1", "2"], "y": ["0", "1", "2"]}

    # An edit changes a few cells: the picture shows the new numbers everywhere.
    click(page, "x", 0, 0)
    page.keyboard.type("50")
    page.keyboard.press("Enter")
    x[0, 0] = 50
    wait_until(lambda: shows(page, expected_grids(x, 2)))

    # A preset with another shape and window (4x4, kernel 3, stride 1): every grid is redrawn at its new size.
    example = PRESETS["overlap"].example
    page.locator(".st-key-preset_overlap button").click()
    grids = expected_grids(example.x, example.kernel, example.stride, dy=example.dy)
    wait_until(lambda: shows(page, grids))
    assert tick_labels(page, "x") == {"x": ["0", "1", "2", "3"], "y": ["0", "1", "2", "3"]}
    for name in ("y", "dL/dy"):
        assert tick_labels(page, name) == {"x": ["0", "1"], "y": ["0", "1"]}


def test_indices_beside_a_padded_grid_include_the_padding(page, app_url):
    rows = "1,2,3,4,5;6,0,8,9,1;2,3,4,0,6;7,8,9,1,2;3,4,5,6,0"
    page.goto(f"{app_url}/?x={rows}&k=2&s=2&p=1&ceil=1")
    wait_for_grids(page)
    x = np.array([[float(v) for v in row.split(",")] for row in rows.split(";")])
    grids = expected_grids(x, 2, 2, padding=1, ceil_mode=True)
    wait_until(lambda: shows(page, grids))
    geometry = grids["_res"].geometry
    columns = index_range(geometry.window_cols(), x.shape[1])
    lines = index_range(geometry.window_rows(), x.shape[0])
    assert columns[0] == "-1" and lines[0] == "-1"  # the padding column and row are drawn, and numbered
    for name in ("x", "dL/dx"):
        assert tick_labels(page, name) == {"x": columns, "y": lines}
    H_out, W_out = grids["y"].shape
    assert tick_labels(page, "y") == {"x": [str(j) for j in range(W_out)], "y": [str(i) for i in range(H_out)]}
