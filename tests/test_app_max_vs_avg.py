"""AppTest for max vs average: both poolings of the same x and dL/dy, against averages and gradients
computed here by hand, the gradient mass each hands on, padding, count_include_pad and dilation."""

from __future__ import annotations

import numpy as np
import pytest

from tests.apptest_util import chart, decode, heatmap, run_app, run_page, shapes, trace, widget
from tests.reference import ref_forward
from ui.codec import DEFAULT_X

PAGE = "pages/max_vs_avg.py"


def average_by_hand(x, k, s, p, dy, count_include_pad=True):
    """(y, dL/dx) of average pooling, one window at a time: zero padding, divisor as PyTorch's."""
    x = np.asarray(x, float)
    H, W = x.shape
    n_h, n_w = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    y = np.zeros((n_h, n_w))
    dx = np.zeros_like(x)
    for i in range(n_h):
        for j in range(n_w):
            cells = [(i * s - p + a, j * s - p + b) for a in range(k) for b in range(k)]
            real = [(r, c) for r, c in cells if 0 <= r < H and 0 <= c < W]
            divisor = len(cells) if count_include_pad else len(real)
            y[i, j] = sum(x[c] for c in real) / divisor
            for c in real:
                dx[c] += dy[i][j] / divisor
    return y, dx


# The grid the first and last tests were written for, as a link (2x2 windows, stride = kernel), so they do
# not lean on the default view, which follows the Explorer's teaching example.
SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
SEED = {"x": "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "k": "2"}


def totals(at):
    return at.get_by_key("mva_totals").dataframe[0].value


def test_default_view_both_poolings():
    at = run_page(PAGE, SEED)
    assert not at.exception
    y_avg, dx_avg = average_by_hand(SEED_X, 2, 2, 0, np.ones((2, 2)))
    assert np.allclose(y_avg, [[3.25, 5.25], [2, 2]])
    assert np.allclose(heatmap(chart(at, "mva_y_avg_chart")), y_avg)
    assert np.allclose(heatmap(chart(at, "mva_dx_avg_chart")), dx_avg)
    assert np.allclose(dx_avg, 0.25)
    y_max, _, tied = ref_forward(SEED_X, (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert np.array_equal(heatmap(chart(at, "mva_y_max_chart")), y_max)
    dx_max = np.zeros((4, 4))
    for row in tied:
        for cells in row:
            dx_max[divmod(cells[0], 4)] += 1
    assert np.array_equal(heatmap(chart(at, "mva_dx_max_chart")), dx_max)
    table = totals(at)
    assert table.loc["max ('first')"].to_dict() == pytest.approx(
        {"Σ dL/dy": 4, "Σ dL/dx": 4, "Σ dL/dy − Σ dL/dx": 0, "cells receiving gradient": 4, "largest |dL/dx|": 1}
    )
    assert table.loc["average"].to_dict() == pytest.approx(
        {"Σ dL/dy": 4, "Σ dL/dx": 4, "Σ dL/dy − Σ dL/dx": 0, "cells receiving gradient": 16, "largest |dL/dx|": 0.25}
    )
    bars = trace(chart(at, "mva_mass_chart"), "mass")
    assert list(bars["x"]) == ["max ('first')", "average"] and decode(bars["y"]).tolist() == [4, 4]
    lines = [e.value for e in at.latex]
    assert any(r"y^{\mathrm{avg}}_{0,0} = \tfrac{1}{4} \sum" in line and "= 3.25" in line for line in lines)
    assert any(r"\tfrac{1}{4} \cdot 1 = 0.25" in line for line in lines)


def test_padding_count_include_pad_and_the_lost_mass():
    query = {"k": "3", "s": "2", "p": "1", "dy": "1,2;3,4"}
    dy = [[1, 2], [3, 4]]
    at = run_page(PAGE, query)
    y_avg, dx_avg = average_by_hand(DEFAULT_X, 3, 2, 1, dy)
    assert np.allclose(heatmap(chart(at, "mva_y_avg_chart")), y_avg)
    assert np.allclose(heatmap(chart(at, "mva_dx_avg_chart")), dx_avg)
    # Every window here has 9 positions, some of them padding: their shares are lost.
    assert dx_avg.sum() == pytest.approx((1 * 4 + 2 * 6 + 3 * 6 + 4 * 9) / 9)
    table = totals(at)
    assert table.loc["average", "Σ dL/dx"] == pytest.approx(dx_avg.sum())
    assert table.loc["average", "Σ dL/dy − Σ dL/dx"] == pytest.approx(10 - dx_avg.sum())
    assert table.loc["max ('first')", "Σ dL/dx"] == 10
    assert any("went to padded positions" in m.value for m in at.markdown)
    assert any("its 5 padded positions take a share too" in c.value for c in at.caption)
    reference = trace(chart(at, "mva_mass_chart"), "reference")
    assert [v for v in reference["y"] if v is not None] == [10, 10]

    # Dividing by the real cells only: nothing is lost any more.
    widget(at, "mva_cip").uncheck().run()
    assert at.query_params["cip"] == "0"
    y_real, dx_real = average_by_hand(DEFAULT_X, 3, 2, 1, dy, count_include_pad=False)
    assert np.allclose(heatmap(chart(at, "mva_y_avg_chart")), y_real)
    assert np.allclose(heatmap(chart(at, "mva_dx_avg_chart")), dx_real)
    assert totals(at).loc["average", "Σ dL/dx"] == pytest.approx(10)


def test_dilation_is_not_applied_to_average_pooling():
    at = run_page(PAGE, {"k": "2", "d": "2", "s": "1"})
    notes = [i.value for i in at.info]
    assert any("Average pooling has no dilation" in n for n in notes)
    # Max pooling with dilation 2 reads a 3x3 span: y is 2x2. Average pooling without dilation: 3x3.
    assert heatmap(chart(at, "mva_y_max_chart")).shape == (2, 2)
    y_avg, dx_avg = average_by_hand(DEFAULT_X, 2, 1, 0, np.ones((3, 3)))
    assert np.allclose(heatmap(chart(at, "mva_y_avg_chart")), y_avg)
    # dL/dy (all ones, 2x2) is extended to 3x3 with ones for the average side, and the page says so.
    assert any("its dL/dy keeps the values that fit and has 1 in the new cells" in n for n in notes)
    assert np.allclose(heatmap(chart(at, "mva_dx_avg_chart")), dx_avg)
    assert totals(at).loc["average", "Σ dL/dy"] == 9


def test_selected_window_is_followed_on_both_sides():
    at = run_page(PAGE, SEED)
    widget(at, "sel_box").set_value((1, 0)).run()
    assert at.query_params["sel"] == "1,0"
    for key in ("mva_y_max_chart", "mva_y_avg_chart", "mva_dy_chart"):
        (box,) = shapes(chart(at, key), "highlight-box")
        assert ((box["y0"] + box["y1"]) / 2, (box["x0"] + box["x1"]) / 2) == (1, 0)
    # Window (1, 0) covers rows 2-3, columns 0-1: the average side outlines all four cells,
    # the max side only its winner x[2, 0] = 3.
    avg_cells = sorted(
        ((s["y0"] + s["y1"]) / 2, (s["x0"] + s["x1"]) / 2)
        for s in shapes(chart(at, "mva_dx_avg_chart"), "highlight-cell")
    )
    assert avg_cells == [(2, 0), (2, 1), (3, 0), (3, 1)]
    max_cells = [
        ((s["y0"] + s["y1"]) / 2, (s["x0"] + s["x1"]) / 2)
        for s in shapes(chart(at, "mva_dx_max_chart"), "highlight-cell")
    ]
    assert max_cells == [(2, 0)]
    assert any(r"y^{\mathrm{avg}}_{1,0} = \tfrac{1}{4} \sum" in e.value and "= 2" in e.value for e in at.latex)


def test_the_page_is_listed_and_runs_in_the_app():
    at = run_app(page=PAGE)
    assert not at.exception
    assert at.title[0].value == "Max vs average pooling"
