"""AppTests for the five pages beyond PyTorch's 2-D max pooling: smooth max, unpooling, adaptive, 1-D, frameworks.

Expected numbers are worked out by hand in comments (or from the semantics notes), not read back from the page.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.apptest_util import chart, grid, linked, plain, run_app, run_page, widget

SMOOTH, UNPOOL, ADAPTIVE, ONE_D, FRAMEWORKS = (
    "pages/smooth_max.py",
    "pages/unpool.py",
    "pages/adaptive.py",
    "pages/one_d.py",
    "pages/frameworks.py",
)


@pytest.mark.parametrize("page", [SMOOTH, UNPOOL, ADAPTIVE, ONE_D, FRAMEWORKS])
def test_pages_are_in_the_navigation_and_run(page):
    at = run_app(page=page)
    assert not at.exception


# --- smooth max -----------------------------------------------------------------------------------


def test_smooth_weights_follow_the_temperature_and_split_a_tie():
    # Window (0, 0) of 3,1;3,2 is [3, 1, 3, 2]: a two-way tie at 3.
    at = run_page(SMOOTH, {"x": "3,1;3,2", "temp": "1"})
    assert not at.exception
    # At T = 1: weights e^3, e^1, e^3, e^2 over their sum.
    e = np.exp([3.0, 1.0, 3.0, 2.0])
    payload = linked(at, "smooth_linked")
    receivers = payload["receivers"][0]
    assert [f for f, _, _ in receivers] == [0, 1, 2, 3]
    assert np.allclose([w for _, w, _ in receivers], e / e.sum(), atol=1e-9)
    # y = T·log Σ exp(x/T) at T = 1, over the one window.
    assert np.allclose(grid(at, "y", "smooth_linked"), [[np.log(e.sum())]])
    assert payload["mark_winners"] is False and "smooth max at T = 1" in payload["tie_policy"]
    widget(at, "smooth_temp").set_value(0.001).run()
    assert at.query_params["temp"] == "0.001"
    assert np.allclose([w for _, w, _ in linked(at, "smooth_linked")["receivers"][0]], [0.5, 0, 0.5, 0])
    table = at.get_by_key("smooth_numbers").dataframe[0].value
    assert table["limit T→0 (split)"].tolist() == ["0.500000", "0.000000", "0.500000", "0.000000"]
    assert table["first (frameworks)"].tolist() == ["1", "0", "0", "0"]
    assert any("2-way tie" in m.value and "split" in m.value for m in at.info)
    # dL/dx of the smooth max at T = 0.001 is the split rule's gradient.
    assert np.allclose(grid(at, "dx", "smooth_linked"), [[0.5, 0], [0.5, 0]])
    # The hard max beside it, under the sidebar's rule ('first'): everything to x[0, 0].
    hard = linked(at, "smooth_hard_linked")
    assert hard["show"] == ["y", "dx"] and hard["receivers"] == [[[0, 1.0, 1.0]]]
    assert grid(at, "dx", "smooth_hard_linked").tolist() == [[1, 0], [0, 0]]
    # One line per window cell in the weight paths.
    assert len([t for t in chart(at, "smooth_paths_chart")["data"] if t.get("mode") == "lines"]) == 4


def test_smooth_with_nan_draws_nan_shares():
    # A window holding NaN: its smooth max and every share are NaN, and the payload is still valid JSON.
    at = run_page(SMOOTH, {"x": "nan,1;3,2"})
    assert not at.exception
    payload = linked(at, "smooth_linked")
    assert payload["grids"]["y"]["v"] == ["nan"]
    assert [w for _, w, _ in payload["receivers"][0]] == ["nan"] * 4


def test_smooth_tie_example_and_bad_temperature():
    at = run_page(SMOOTH, {"temp": "-3"})
    assert any("`temp` could not be used" in w.value for w in at.warning)
    widget(at, "smooth_tie_example").click().run()
    assert not at.exception
    assert at.query_params["x"] == "3,1,2,0;3,2,5,5;0,1,4,2;2,2,1,4"


# --- unpooling ------------------------------------------------------------------------------------


def test_unpool_equals_gradient_without_overlap():
    at = run_page(UNPOOL, {"x": "1,2,5,0;3,4,1,1;0,0,2,2;9,1,2,0", "k": "2", "dy": "1,-2;3,4"})
    assert not at.exception
    # Winners: 4 at (1,1), 5 at (0,2), 9 at (3,0), 2 at (2,2) (first of the tied 2s).
    expected = np.zeros((4, 4))
    expected[1, 1], expected[0, 2], expected[3, 0], expected[2, 2] = 1, -2, 3, 4
    assert np.array_equal(grid(at, "x", "unpool_linked"), expected)  # the unpooled grid sits in x's place
    assert np.array_equal(grid(at, "dx", "unpool_linked"), expected)
    payload = linked(at, "unpool_linked")
    assert payload["names"]["x"] == "unpool(dL/dy)" and payload["show"] == ["dy", "x", "dx"]
    assert payload["grids"]["x"]["marks"] == payload["grids"]["dx"]["marks"] == []
    assert grid(at, "x", "unpool_switches").tolist() == [[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 2, 2], [9, 1, 2, 0]]
    assert any("do not overlap" in s.value for s in at.success)


def test_unpool_overlap_shows_overwrites():
    # [0, 5, 1, 0], kernel (1, 3), stride 1: both windows pick the 5; dL/dy = [10, 20].
    at = run_page(UNPOOL, {"x": "0,5,1,0", "k": "1x3", "s": "1", "dy": "10,20"})
    assert not at.exception
    assert grid(at, "dx", "unpool_linked").tolist() == [[0, 30, 0, 0]]
    assert grid(at, "x", "unpool_linked").tolist() == [[0, 20, 0, 0]]
    payload = linked(at, "unpool_linked")
    # The 5 (flat index 1) is where the two part: marked in both input-shaped grids.
    assert payload["grids"]["x"]["marks"] == payload["grids"]["dx"]["marks"] == [1]
    assert "10, then dL/dy[0, 1] = 20: the last stays, 20" in payload["tips"]["x"][1]
    assert "overwritten later by y[0, 1]" in payload["tips"]["dy"][0]
    table = at.get_by_key("unpool_collisions").dataframe[0].value
    assert table.loc["x[0, 1]"].to_dict() == {
        "won by windows": "y[0, 0], y[0, 1]",
        "their dL/dy": "10 + 20",
        "dL/dx (adds)": "30",
        "unpooled (last write)": "20",
    }


def test_unpool_overlap_button_sets_the_window():
    at = run_page(UNPOOL)
    widget(at, "unpool_overlap_example").click().run()
    assert not at.exception
    assert at.query_params["k"] == "3" and at.query_params["s"] == "1"
    table = at.get_by_key("unpool_collisions").dataframe[0].value
    assert len(table) == 4  # the 5, the 3, the 4 and the 6 each win two windows (see ui/unpool.py)


# --- adaptive -------------------------------------------------------------------------------------


def test_adaptive_uneven_overlapping_windows():
    # 5 columns into 3: windows [0,2), [1,4), [3,5); one row into 1.
    at = run_page(ADAPTIVE, {"x": "1,9,2,3,8", "aout": "1x3"})
    assert not at.exception
    assert grid(at, "y", "ad_linked").tolist() == [[9, 9, 8]]
    # The 9 wins the first two windows: its gradient adds to 2.
    assert grid(at, "dx", "ad_linked").tolist() == [[0, 2, 0, 0, 1]]
    # The picture outlines each window on the columns it covers: uneven, the middle one overlapping both.
    assert linked(at, "ad_linked")["cols"] == [[0, 1], [1, 2, 3], [3, 4]]
    assert any("overlap" in m.value for m in at.info)
    bounds = at.get_by_key("ad_bounds").dataframe[0].value
    assert bounds["size"].tolist() == [1, 2, 3, 2]  # row 0; columns 0..2


def test_global_button_and_link():
    at = run_page(ADAPTIVE, {"x": "1,4;4,0", "tie": "split"})
    widget(at, "ad_global").click().run()
    assert not at.exception
    assert at.query_params["aout"] == "1"
    assert grid(at, "y", "ad_linked").tolist() == [[4]]
    assert grid(at, "dx", "ad_linked").tolist() == [[0, 0.5], [0.5, 0]]  # split between the two 4s
    at = run_page(ADAPTIVE, {"aout": "0x2"})
    assert any("`aout` could not be used" in w.value for w in at.warning)


# --- 1-D ------------------------------------------------------------------------------------------


def test_one_d_question_vector():
    at = run_page(ONE_D)
    assert not at.exception
    # The question: x = [x1..x4] with x1 largest, one window over all four.
    assert grid(at, "y", "od_linked").tolist() == [[5]]
    assert grid(at, "dx", "od_linked").tolist() == [[1, 0, 0, 0]]
    payload = linked(at, "od_linked")
    assert payload["rows"] == [[0]] and payload["cols"] == [[0, 1, 2, 3]] and payload["sel"] == [0, 0]
    assert any(r"\boxed{x_{1}{=}5}" in line.value for line in at.latex)


def test_one_d_overlap_ties_and_controls():
    at = run_page(ONE_D, {"sig": "0,5,1,0", "k1": "3", "s1": "1", "sigdy": "10,20"})
    assert grid(at, "dx", "od_linked").tolist() == [[0, 30, 0, 0]]
    # Windows [0..2] and [1..3] both send to the 5 at position 1.
    assert linked(at, "od_linked")["receivers"] == [[[1, 1.0, 10.0]], [[1, 1.0, 20.0]]]
    at = run_page(ONE_D, {"sig": "3,3,0,1", "k1": "2", "s1": "2", "tie": "split"})
    assert grid(at, "dx", "od_linked").tolist() == [[0.5, 0.5, 0, 1]]
    assert linked(at, "od_linked")["ties"] == [[0, 1], []]
    widget(at, "od_k").set_value(4).run()
    widget(at, "od_s").set_value(4).run()
    # 4 is the default kernel and stride (the question's one window), so the link drops them.
    assert "k1" not in at.query_params and "s1" not in at.query_params
    assert grid(at, "y", "od_linked").tolist() == [[3]]
    widget(at, "od_k").set_value(3).run()
    assert at.query_params["k1"] == "3"
    widget(at, "od_x").set_value("1,2,,3").run()
    assert any("row 1, column 3 is empty" in plain(e.value) for e in at.error)
    assert grid(at, "x", "od_linked").tolist() == [[3, 3, 0, 1]]  # the last valid signal stays


def test_one_d_bad_links():
    at = run_page(ONE_D, {"sig": "1;2", "k1": "x"})
    warnings = [w.value for w in at.warning]
    assert any("`sig` could not be used" in w for w in warnings) and any("`k1`" in w for w in warnings)
    assert grid(at, "x", "od_linked").tolist() == [[5, 1, 3, 2]]


# --- frameworks -----------------------------------------------------------------------------------


def test_frameworks_agree_without_nan():
    at = run_page(FRAMEWORKS)
    assert not at.exception
    table = at.get_by_key("fw_table").dataframe[0].value
    assert table["y cells ≠ PyTorch"].tolist() == [0, 0, 0, 0]


def test_frameworks_nan_rules():
    # [NaN, 1, 3, 2] as one 1x4 window (semantics.md): TF returns 3 and sends the gradient to the NaN;
    # PyTorch returns NaN with the gradient on the (only, so last) NaN; JAX returns NaN, gradient to the 3.
    at = run_page(FRAMEWORKS, {"x": "nan,1,3,2", "k": "1x4"})
    assert not at.exception
    y_tf = grid(at, "y", "fw_linked_tensorflow")
    assert y_tf.tolist() == [[3]]
    assert math.isnan(grid(at, "y", "fw_linked_pytorch")[0, 0]) and math.isnan(grid(at, "y", "fw_linked_jax")[0, 0])
    assert grid(at, "dx", "fw_linked_tensorflow").tolist() == [[1, 0, 0, 0]]
    assert grid(at, "dx", "fw_linked_pytorch").tolist() == [[1, 0, 0, 0]]
    assert grid(at, "dx", "fw_linked_jax").tolist() == [[0, 0, 1, 0]]
    assert linked(at, "fw_linked_jax")["grids"]["dx"]["marks"] == [0, 2]  # cells 0 and 2 differ from PyTorch
    assert linked(at, "fw_linked_tensorflow")["receivers"] == [[[0, 1.0, 1.0]]]
    assert "its gradient goes to x[0, 0] = nan" in linked(at, "fw_linked_tensorflow")["tips"]["y"][0]


def test_frameworks_same_padding():
    # 5 columns, kernel 2, stride 2, SAME: 3 outputs, one pad after (right), none before.
    at = run_page(FRAMEWORKS, {"x": "1,2,3,4,5", "k": "1x2", "fwpad": "same"})
    assert not at.exception
    assert grid(at, "y", "fw_linked_tensorflow").tolist() == [[2, 4, 5]]
    # The third window reaches one column past the grid (the pad after), drawn as padding.
    assert linked(at, "fw_linked_tensorflow")["cols"] == [[0, 1], [2, 3], [4, 5]]
    assert any("right 1" in m.value and "after" in m.value for m in at.info)
    # PyTorch reaches the same windows with ceil mode.
    assert any("ceil_mode=True" in m.value for m in at.info)
    widget(at, "fw_pad").set_value("valid").run()
    assert "fwpad" not in at.query_params
    assert grid(at, "y", "fw_linked_tensorflow").tolist() == [[2, 4]]


def test_frameworks_without_a_pytorch_equivalent():
    # 4 columns, kernel 2, stride 1, SAME: one pad after only; PyTorch pads both sides.
    at = run_page(FRAMEWORKS, {"x": "1,2,3,4", "k": "1x2", "s": "1", "fwpad": "same"})
    assert not at.exception
    with pytest.raises(KeyError):
        linked(at, "fw_linked_pytorch")
    assert grid(at, "y", "fw_linked_jax").tolist() == [[2, 3, 4, 4]]
    assert linked(at, "fw_linked_jax")["names"]["y"] == "y · JAX / Flax"
