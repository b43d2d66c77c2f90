"""What the linked picture does with an edit the browser sends: numbers applied, bad text reported, junk ignored."""

from __future__ import annotations

import math

import numpy as np

from ui.linked import MAX_EDIT_CELLS, _parse_cells


def test_numbers_are_applied_and_bad_text_is_reported_not_used():
    grid = np.zeros((2, 3))
    new, bad, touched = _parse_cells(grid, [[0, 1, "2.5"], [1, 2, "abc"], [1, 0, "-inf"], [0, 0, " nan "]])
    assert new[0, 1] == 2.5 and new[1, 0] == -math.inf and math.isnan(new[0, 0])
    assert new[1, 2] == 0  # the last valid value stays
    assert [(b["r"], b["c"], b["text"]) for b in bad] == [(1, 2, "abc")]
    assert "not a number" in bad[0]["reason"]
    assert touched == {(0, 1), (1, 2), (1, 0), (0, 0)}
    assert not grid.any()  # the caller's grid is never changed in place


def test_cells_outside_the_grid_or_of_the_wrong_type_are_ignored():
    grid = np.ones((2, 2))
    junk = [[5, 0, "1"], [-1, 0, "1"], [0, 0, 3], ["0", 0, "1"], [0, 0], "x", [True, 0, "2"], [0, 1, "7"]]
    new, bad, touched = _parse_cells(grid, junk)
    # JSON true is not a row number, although Python's bool is an int.
    assert new.tolist() == [[1, 7], [1, 1]] and bad == [] and touched == {(0, 1)}
    assert _parse_cells(grid, "not a list")[0].tolist() == grid.tolist()


def test_a_huge_paste_is_capped():
    grid = np.zeros((64, 64))
    cells = [[r, c, "1"] for r in range(64) for c in range(64)] * 3
    new, _, touched = _parse_cells(grid, cells)
    assert len(cells) > MAX_EDIT_CELLS and new.sum() == 64 * 64 and len(touched) == 64 * 64


def test_a_clicked_cell_reaches_on_cell_only_for_a_clickable_grid_and_a_cell_inside_it(monkeypatch):
    from types import SimpleNamespace

    import streamlit as st

    import ui.linked as linked

    payload = {"clickable": ["x"], "grids": {"x": {"shape": [3, 4]}, "y": {"shape": [1, 2]}}}
    calls = []
    call = linked._checked(lambda grid, cell: calls.append((grid, cell)), payload)
    call("x", (2, 3))
    call("x", (3, 0))  # below the grid
    call("x", (0, 4))  # right of it
    call("y", (0, 0))  # not clickable
    assert calls == [("x", (2, 3))]
    assert linked._checked(None, payload) is None

    # The event as the browser sends it, through _on_event: malformed cells never reach the callback.
    for event in [
        {"type": "cell", "grid": "x", "cell": [1, 2]},
        {"type": "cell", "grid": "x", "cell": [-1, 2]},
        {"type": "cell", "grid": "x", "cell": [1.5, 2]},
        {"type": "cell", "grid": "x", "cell": "1,2"},
        {"type": "cell", "grid": 3, "cell": [0, 0]},
    ]:
        monkeypatch.setattr(st, "session_state", {"k": SimpleNamespace(event=event)})
        linked._on_event("k", {}, call)
    assert calls == [("x", (2, 3)), ("x", (1, 2))]
