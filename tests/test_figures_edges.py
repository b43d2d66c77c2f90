"""Figure builders of the edge pages (tie lab, matrix view, max vs average), read back from fig.data / fig.layout."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from figures import HIGHLIGHT
from figures.compare import make_mass_figure
from figures.matrix import DENSE_LIMIT, make_selection_matrix_figure
from figures.tie_lab import make_probe_figure, make_window_mass_figure


def trace(fig: go.Figure, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return matches[0]


def shapes(fig: go.Figure, name: str) -> list:
    return [s for s in fig.layout.shapes if s.name == name]


def revalidated(fig: go.Figure) -> dict:
    """A validating round trip: Plotly must accept every property the builder set."""
    return go.Figure(fig.to_dict()).to_plotly_json()


def first_max_selection(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of S's non-zeros for k x k windows at stride k, first maximum in reading order: by hand."""
    H, W = x.shape
    rows, cols = [], []
    for i in range(H // k):
        for j in range(W // k):
            block = [(i * k + a, j * k + b) for a in range(k) for b in range(k)]
            best = max(x[c] for c in block)
            winner = next(c for c in block if x[c] == best)
            rows.append(i * (W // k) + j)
            cols.append(winner[0] * W + winner[1])
    return np.array(rows), np.array(cols)


# --------------------------------------------------------------------------- mass bars


def test_mass_figure_bars_and_one_reference_line():
    fig = make_mass_figure({"first": 4, "all": 7, "none": 3}, reference=4)
    revalidated(fig)
    bars = trace(fig, "mass")
    assert list(bars.x) == ["first", "all", "none"] and list(bars.y) == [4, 7, 3]
    assert list(bars.text) == ["4", "7", "3"]
    line = trace(fig, "reference")
    # One line across all three bars: from the left edge of the first to the right edge of the last.
    assert list(line.x) == [-0.5, 2.5] and list(line.y) == [4, 4]
    labels = [a for a in fig.layout.annotations if a.name == "reference-label"]
    assert [a.text for a in labels] == ["Σ dL/dy = 4"]
    # The y range holds the tallest bar and the line.
    assert fig.layout.yaxis.range[1] > 7


def test_mass_figure_one_reference_per_bar():
    fig = make_mass_figure({"max": 49, "average": 60}, reference=[49, 64])
    revalidated(fig)
    line = trace(fig, "reference")
    # A dash over each bar (bar k spans k ± 0.4 on the overlaid axis), separated by a gap.
    assert list(line.x) == [-0.4, 0.4, None, 0.6, 1.4, None]
    assert list(line.y) == [49, 49, None, 64, 64, None]
    assert [a.text for a in fig.layout.annotations] == ["Σ dL/dy = 49", "Σ dL/dy = 64"]
    with pytest.raises(ValueError, match="empty"):
        make_mass_figure({}, reference=0)


# --------------------------------------------------------------------------- tie lab


def test_probe_figure_draws_the_kink_and_both_slopes():
    step = 0.5
    h = np.linspace(-2, 2, 81)
    loss = 56 + np.maximum(h, 0)  # a tied cell under dL/dy = 1: flat to the left, slope 1 to the right
    fig = make_probe_figure(h, loss, step=step, forward_slope=1.0, backward_slope=0.0, cell=(0, 0))
    revalidated(fig)
    curve = trace(fig, "loss")
    assert np.array_equal(curve.x, h) and np.array_equal(curve.y, loss)
    # The slopes start at h = 0 from L(x) and run two steps out.
    backward, forward = trace(fig, "backward slope"), trace(fig, "forward slope")
    assert list(backward.x) == [-1.0, 0.0] and list(backward.y) == [56.0, 56.0]
    assert list(forward.x) == [0.0, 1.0] and list(forward.y) == [56.0, 57.0]
    steps = trace(fig, "steps")
    assert list(steps.x) == [-0.5, 0.0, 0.5] and list(steps.y) == [56.0, 56.0, 56.5]
    assert "left slope (backward) = 0" in fig.layout.annotations[0].text
    assert "right slope (forward) = 1" in fig.layout.annotations[0].text
    assert shapes(fig, "h=0")[0].x0 == 0
    # Styles tell the slopes apart, not only colours.
    assert backward.line.dash != forward.line.dash
    with pytest.raises(ValueError):
        make_probe_figure(h, loss[:-1], step=step, forward_slope=1, backward_slope=0, cell=(0, 0))


def test_window_mass_figure_groups_rules_per_window():
    masses = {"first": [1, 2], "split": [1, 2], "all": [4, 2], "none": [0, 2]}
    fig = make_window_mass_figure([(0, 0), (1, 1)], [1, 2], masses)
    revalidated(fig)
    assert fig.layout.barmode == "group"
    for policy, values in masses.items():
        bars = trace(fig, policy)
        assert list(bars.x) == ["(0, 0)", "(1, 1)"] and list(bars.y) == values
    assert list(trace(fig, "dL/dy").y) == [1, 2]
    # One black dL/dy line across each window's group of bars, centred on its category.
    lines = shapes(fig, "dL/dy")
    assert [(s.y0, s.y1) for s in lines] == [(1, 1), (2, 2)]
    assert [(s.x0 + s.x1) / 2 for s in lines] == pytest.approx([0, 1])
    with pytest.raises(ValueError, match="2 windows"):
        make_window_mass_figure([(0, 0), (1, 1)], [1, 2], {"first": [1]})


# --------------------------------------------------------------------------- selection matrix


def test_dense_selection_matrix_matches_a_hand_computed_S():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
    rows, cols = first_max_selection(x, 2)
    labels_in = [f"x[{h}, {w}]" for h in range(4) for w in range(4)]
    fig = make_selection_matrix_figure(
        rows, cols, np.ones(len(rows)), (4, 16), in_labels=labels_in, selected_row=1, window_columns=[2, 3, 6, 7]
    )
    revalidated(fig)
    z = np.asarray(trace(fig, "matrix").z)
    expected = np.zeros((4, 16))
    expected[[0, 1, 2, 3], [5, 7, 8, 15]] = 1  # winners 6, 8, 3, 4 (the seed example)
    assert np.array_equal(z, expected)
    assert np.array_equal(np.column_stack([rows, cols]), [[0, 5], [1, 7], [2, 8], [3, 15]])
    # Non-zeros carry their value; zeros stay blank so the pattern stands out.
    text = np.asarray(trace(fig, "matrix").text)
    assert text[1, 7] == "1" and text[1, 6] == ""
    # Clickable layer on the non-zeros: customdata is (row of S, column of S).
    assert np.array_equal(np.asarray(trace(fig, "cells").customdata), np.column_stack([rows, cols]))
    # The selected row is boxed in HIGHLIGHT and its window's columns outlined.
    (box,) = shapes(fig, "highlight-row")
    assert (box.y0, box.y1) == (0.5, 1.5) and (box.x0, box.x1) == (-0.5, 15.5)
    assert box.line.color == HIGHLIGHT
    assert sorted((s.x0 + s.x1) / 2 for s in shapes(fig, "highlight-cell")) == [2, 3, 6, 7]
    assert list(fig.layout.xaxis.ticktext) == labels_in
    # Row 0 on top, square cells.
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]
    assert fig.layout.yaxis.scaleanchor == "x"


def test_big_selection_matrix_is_drawn_sparsely():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, (64, 64)).astype(float)
    rows, cols = first_max_selection(x, 2)
    shape = (32 * 32, 64 * 64)
    assert shape[0] * shape[1] > DENSE_LIMIT
    fig = make_selection_matrix_figure(
        rows, cols, np.ones(len(rows)), shape, selected_row=40, window_columns=[144, 145, 208, 209]
    )
    revalidated(fig)
    names = [t.name for t in fig.data]
    assert "matrix" not in names  # no 4-million-cell heatmap
    entries = trace(fig, "entries")
    assert np.array_equal(entries.x, cols) and np.array_equal(entries.y, rows)
    assert len(entries.x) == 1024
    assert list(trace(fig, "window").x) == [144, 145, 208, 209]
    assert set(trace(fig, "window").y) == {40}
    assert "1,024 non-zeros" in fig.layout.title.text
    # The same data under a raised limit is drawn densely.
    small = make_selection_matrix_figure(rows[:4], cols[:4], np.ones(4), (4, 200), dense_limit=10_000)
    assert "matrix" in [t.name for t in small.data]


def test_selection_matrix_checks_its_input():
    with pytest.raises(ValueError, match="same length"):
        make_selection_matrix_figure([0, 1], [0], [1, 1], (2, 2))
    with pytest.raises(ValueError, match="labels"):
        make_selection_matrix_figure([0], [0], [1], (2, 2), out_labels=["only one"])
