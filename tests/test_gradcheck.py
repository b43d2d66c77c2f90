"""Finite differences, subgradient checks, explanation helpers and average pooling on hand cases."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import pooling


def test_finite_differences_at_a_k_way_tie():
    # semantics.md: forward 1, backward 0, central 1/2 for each of k tied maxima.
    x = np.array([[3.0, 3.0, 1.0], [3.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    res = pooling.max_pool2d(x, 3)  # one window, three-way tie at 3
    fd = pooling.finite_differences([[1.0]], res)
    tied = x == 3.0
    assert np.allclose(fd.forward[tied], 1.0) and np.allclose(fd.forward[~tied], 0.0)
    assert np.allclose(fd.backward, 0.0)
    assert np.allclose(fd.central[tied], 0.5) and np.allclose(fd.central[~tied], 0.0)
    assert fd.step < fd.gap == 1.0
    # The central difference matches "split" (1/k) only for k = 2: here k = 3.
    split = pooling.max_pool2d_backward([[1.0]], res, "split")
    assert not np.allclose(fd.central, split)
    assert np.allclose(fd.forward, pooling.max_pool2d_backward([[1.0]], res, "all"))
    assert np.allclose(fd.backward, pooling.max_pool2d_backward([[1.0]], res, "none"))


def test_step_above_the_gap_gives_a_wrong_answer():
    x = np.array([[1.0, 1.2], [0.0, 0.0]])
    res = pooling.max_pool2d(x, 2)
    assert pooling.runner_up_gap(res) == pytest.approx(0.2)
    good = pooling.finite_differences([[1.0]], res)
    assert good.step_below_gap and np.allclose(good.central, [[0, 1], [0, 0]])
    bad = pooling.finite_differences([[1.0]], res, step=0.5)
    assert not bad.step_below_gap
    assert not np.allclose(bad.central, [[0, 1], [0, 0]])


def test_finite_differences_ignore_infinite_windows():
    x = np.array([[np.inf, 1.0, 2.0, 0.0]])
    res = pooling.max_pool2d(x, (1, 2))
    fd = pooling.finite_differences([[1.0, 1.0]], res)
    # No step can be taken at inf itself (NaN); the window of inf sends the rest nothing.
    assert np.isnan(fd.central[0, 0])
    assert np.array_equal(fd.central[0, 1:], [0, 1, 0])


def test_subgradient_counterexamples():
    res = pooling.max_pool2d(np.ones((2, 2)), 2)  # four-way tie
    assert pooling.check_subgradient(res, "split").valid
    all_ = pooling.check_subgradient(res, "all")
    assert not all_.valid and np.array_equal(all_.direction, np.ones((2, 2)))
    assert all_.lhs == pytest.approx(1 + all_.t) and all_.rhs == pytest.approx(1 + 4 * all_.t)
    none = pooling.check_subgradient(res, "none")
    assert not none.valid and np.array_equal(none.direction, -np.ones((2, 2)))
    assert "not a subgradient" in none.message and "window (0, 0)" in none.message


def test_tie_report_and_win_counts():
    x = np.array([[5.0, 5.0, 1.0], [0.0, 2.0, 2.0], [9.0, 2.0, 2.0]])
    res = pooling.max_pool2d(x, 2, stride=1)
    ties = pooling.tie_report(res)
    assert [(t.window, t.cells, t.value) for t in ties] == [
        ((0, 0), ((0, 0), (0, 1)), 5.0),
        ((1, 1), ((1, 1), (1, 2), (2, 1), (2, 2)), 2.0),
    ]
    counts = pooling.win_counts(res)
    # (0,0) wins window (0,0); (0,1) wins (0,1); (2,0) wins (1,0); (1,1) wins (1,1).
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    assert pooling.winner_mask(res, "all").sum() == 7
    parts = pooling.contributions([[1.0, 2.0], [3.0, 4.0]], res, "split")
    assert [(p.output_cell, p.amount) for p in parts[(2, 2)]] == [((1, 1), 1.0)]


def test_avg_pool_divisors_follow_pytorch():
    x = np.ones((3, 3))
    res = pooling.avg_pool2d(x, 2, padding=1)
    assert res.divisor.tolist() == [[4, 4], [4, 4]]
    assert res.out.tolist() == [[0.25, 0.5], [0.5, 1.0]]
    res = pooling.avg_pool2d(x, 2, padding=1, count_include_pad=False)
    assert res.out.tolist() == [[1, 1], [1, 1]]
    # Ceil mode: the last window hangs past the padded border and divides by less.
    res = pooling.avg_pool2d(np.ones((3, 3)), 2, ceil_mode=True)
    assert res.divisor.tolist() == [[4, 2], [2, 1]]
    dx = pooling.avg_pool2d_backward(np.ones(res.out.shape), res)
    assert dx.sum() == pytest.approx(res.out.size)


def test_import_pooling_loads_neither_streamlit_nor_plotly():
    code = "import sys, pooling; print(any(m.split('.')[0] in ('streamlit', 'plotly') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
