"""Payloads of the linked picture beyond the five tie rules: smooth max, unpooling, frameworks, marks and tips.

Expected numbers come from plain loops over the windows (``tests.reference.window_positions``), from
softmax written out here with ``math.exp``, or by hand in comments; never from the builders themselves.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import pooling
from figures.linked import (
    decode_values,
    explicit_payload,
    framework_payload,
    linked_payload,
    share_text,
    smooth_payload,
    unpool_payload,
    with_marks,
    with_tips,
)
from tests.reference import window_positions

# (x, kernel, stride, padding, dilation, ceil_mode): overlap, padding with ceil mode, dilation, a tie.
CASES = {
    "overlap": (np.array([[0, 5, 1, 0], [2, 9, 9, 1], [4, 1, 3, 8], [7, 7, 0, 2]], float), 3, 1, 0, 1, False),
    "padding_ceil": (np.arange(25, dtype=float).reshape(5, 5) % 7, 2, 2, 1, 1, True),
    "dilation": (np.arange(36, dtype=float).reshape(6, 6)[::-1] % 5, 2, 1, 0, 2, False),
    "ties": (np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 0, 4, 4], [0, 3, 4, 4]], float), 2, 2, 0, 1, False),
}


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def grid(payload, name):
    g = payload["grids"][name]
    return decode_values(g["v"], tuple(g["shape"]))


def loop_smooth(x, k, s, p, d, ceil, T, dy):
    """y, per-window [(flat, weight)] and dL/dx of the smooth max, with math.exp in plain loops."""
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)  # for the output shape only
    H, W = x.shape
    Ho, Wo = res.out.shape
    y = np.zeros((Ho, Wo))
    dx = np.zeros((H, W))
    shares = []
    for i in range(Ho):
        for j in range(Wo):
            cells = [(h, w) for h, w, ok in window_positions(i, j, H, W, pair(k), pair(s), pair(p), pair(d)) if ok]
            top = max(x[h, w] for h, w in cells)
            e = [math.exp((x[h, w] - top) / T) for h, w in cells]
            total = sum(e)
            y[i, j] = top + T * math.log(total)
            window = []
            for (h, w), v in zip(cells, e):
                window.append((h * W + w, v / total))
                dx[h, w] += v / total * dy[i, j]
            shares.append(window)
    return y, shares, dx


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("T", [10.0, 1.0, 0.05])
def test_smooth_receivers_are_the_softmax_of_each_window(case, T):
    """Every real cell of a window receives softmax(window/T) of its dL/dy; shares sum to 1 per window."""
    x, k, s, p, d, ceil = CASES[case]
    hard = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    smooth = pooling.smooth_max_pool2d(x, k, temperature=T, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    dy = np.arange(hard.out.size, dtype=float).reshape(hard.out.shape) - 1.5
    payload = smooth_payload(smooth, hard, dy)
    y, shares, dx = loop_smooth(x, k, s, p, d, ceil, T, dy)
    assert len(payload["receivers"]) == len(shares)
    for k_win, (got, want) in enumerate(zip(payload["receivers"], shares)):
        assert [f for f, _, _ in got] == [f for f, _ in want]
        assert np.allclose([w for _, w, _ in got], [w for _, w in want], rtol=1e-12, atol=1e-300)
        assert math.isclose(sum(w for _, w, _ in got), 1.0, rel_tol=1e-12)
        assert np.allclose([a for _, _, a in got], [w * dy.reshape(-1)[k_win] for _, w in want], atol=1e-12)
    assert np.allclose(grid(payload, "y"), y, rtol=1e-12)
    assert np.allclose(grid(payload, "dx"), dx, atol=1e-12)
    # The tooltip still names the hard max of each window, and x carries no winner stars.
    assert payload["indices"] == hard.indices.reshape(-1).tolist()
    assert payload["mark_winners"] is False
    assert f"T = {T:g}" in payload["tie_policy"]
    json.dumps(payload, allow_nan=False)


def test_smooth_limit_at_a_tie_is_split_and_printed_shares_are_short():
    # One 2x2 window [3, 1; 3, 2] at T = 0.001: the two 3s get 1/2 each, the rest e^(-1000) = 0.
    x = np.array([[3.0, 1.0], [3.0, 2.0]])
    hard = pooling.max_pool2d(x, 2)
    payload = smooth_payload(pooling.smooth_max_pool2d(x, 2, temperature=0.001), hard, np.ones((1, 1)))
    assert [w for _, w, _ in payload["receivers"][0]] == [0.5, 0.0, 0.5, 0.0]
    assert payload["grids"]["dx"]["text"] == ["0.50", "0", "0.50", "0"]
    assert payload["ties"] == [[0, 2]]
    # win_counts counts windows that send a non-zero share: the two 3s only.
    assert payload["win_counts"] == [1, 0, 1, 0]


def test_smooth_payload_with_nan_and_inf_is_valid_json():
    # Window (0, 0) holds NaN: y, its weights and amounts are NaN (as torch's gradient); window (0, 1)
    # holds +inf: the limit weights, all on the inf (see pooling.smooth_max_pool2d).
    x = np.array([[np.nan, 1.0, np.inf, 2.0], [0.0, 1.0, 3.0, 2.0]])
    hard = pooling.max_pool2d(x, 2)
    payload = smooth_payload(pooling.smooth_max_pool2d(x, 2, temperature=1.0), hard, np.ones((1, 2)))
    json.dumps(payload, allow_nan=False)
    assert [w for _, w, _ in payload["receivers"][0]] == ["nan"] * 4
    assert [w for _, w, _ in payload["receivers"][1]] == [1.0, 0.0, 0.0, 0.0]
    assert payload["grids"]["y"]["v"] == ["nan", "inf"]


def test_share_text():
    assert [share_text(v) for v in [0.4641, 0.0086, 2.5e-5, 1.0, -0.5, 0.996, 0.0, math.nan]] == [
        "0.46",
        "0.01",
        "≈0",
        "1",
        "-0.50",
        "1.00",
        "0",
        "nan",
    ]


def test_smooth_payload_refuses_mismatched_results():
    x = np.arange(16.0).reshape(4, 4)
    with pytest.raises(ValueError, match="same x"):
        smooth_payload(pooling.smooth_max_pool2d(x, 2, temperature=1), pooling.max_pool2d(x, 3), np.ones((2, 2)))


def test_explicit_payload_checks_shapes():
    res = pooling.max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    ok = dict(y=res.out, dx=np.zeros((4, 4)), weights=np.zeros((2, 2, 2, 2)), rule="r")
    explicit_payload(res, np.ones((2, 2)), **ok)
    with pytest.raises(ValueError, match="positions per window"):
        explicit_payload(res, np.ones((2, 2)), **{**ok, "weights": np.zeros((2, 2, 3))})
    with pytest.raises(ValueError, match="shape"):
        explicit_payload(res, np.ones((2, 2)), **{**ok, "dx": np.zeros((2, 2))})


def loop_unpool(res, dy):
    """Unpooling (each window writes, in scan order, so the last write stays) and the backward pass (adds)."""
    up = np.zeros(res.x.size)
    dx = np.zeros(res.x.size)
    writes = np.zeros(res.x.size, int)
    for k, f in enumerate(res.indices.reshape(-1)):
        if f >= 0:
            up[f] = dy.reshape(-1)[k]
            dx[f] += dy.reshape(-1)[k]
            writes[f] += 1
    return up.reshape(res.x.shape), dx.reshape(res.x.shape), writes.reshape(res.x.shape)


@pytest.mark.parametrize("case", CASES)
def test_unpool_payload_marks_where_writes_and_sums_part(case):
    x, k, s, p, d, ceil = CASES[case]
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    dy = np.arange(1, res.out.size + 1, dtype=float).reshape(res.out.shape)
    payload = unpool_payload(res, dy)
    up, dx, writes = loop_unpool(res, dy)
    assert payload["show"] == ["dy", "x", "dx"] and payload["names"]["x"] == "unpool(dL/dy)"
    assert np.array_equal(grid(payload, "x"), up)
    assert np.array_equal(grid(payload, "dx"), dx)
    collided = np.flatnonzero(writes >= 2).tolist()
    assert payload["grids"]["x"]["marks"] == payload["grids"]["dx"]["marks"] == collided
    # A marked cell is exactly one where the last write differs from the sum (dL/dy > 0 here).
    assert ((up != dx).reshape(-1) == (writes >= 2).reshape(-1)).all()
    assert len(payload["tips"]["dy"]) == res.out.size and len(payload["tips"]["x"]) == x.size
    json.dumps(payload, allow_nan=False)


def test_unpool_tips_by_hand():
    # [0, 5, 1, 0], kernel (1, 3), stride 1: both windows record the 5 (flat 1); dL/dy = [10, 20].
    res = pooling.max_pool2d(np.array([[0.0, 5, 1, 0]]), (1, 3), stride=1)
    payload = unpool_payload(res, np.array([[10.0, 20.0]]))
    assert payload["grids"]["x"]["marks"] == [1]
    tip = payload["tips"]["x"][1]
    assert "unpool(dL/dy)[0, 1] = 20" in tip and "the last stays, 20" in tip and "10 + 20 = 30" in tip
    assert "overwritten later by y[0, 1]" in payload["tips"]["dy"][0]
    assert "the last write there: it stays" in payload["tips"]["dy"][1]
    assert "writes nothing" in payload["tips"]["dx"][0]


def test_marks_and_tips_check_their_shapes():
    res = pooling.max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    payload = linked_payload(res, np.ones((2, 2)), "first")
    with_marks(payload, {"y": np.eye(2, dtype=bool)})
    assert payload["grids"]["y"]["marks"] == [0, 3]
    with_marks(payload, {"y": np.array([[False, True], [False, True]]), "dx": np.zeros((4, 4))})
    assert payload["grids"]["y"]["marks"] == [0, 1, 3]  # a second call adds, it does not replace
    assert payload["grids"]["dx"]["marks"] == []
    with pytest.raises(ValueError, match="shape"):
        with_marks(payload, {"x": np.zeros((2, 2))})
    with_tips(payload, {"y": ["a", "b", "c", "d"]})
    assert payload["tips"]["y"] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="4 cells"):
        with_tips(payload, {"dy": ["a"]})


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow", "jax", "keras"])
@pytest.mark.parametrize("mode", ["valid", "same"])
def test_framework_payload_windows_and_receivers(framework, mode):
    x = np.array([[np.nan, 1, 3, 2, 0], [0, 2, np.nan, 7, 1], [4, 4, 1, 0, 2], [2, 2, 6, np.nan, 1], [1, 0, 5, 5, 3]])
    kernel, stride = (2, 2), (2, 2)
    pads = tuple(pooling.framework_padding(n, kk, ss, mode) for n, kk, ss in zip(x.shape, kernel, stride))
    fw = pooling.framework_pool2d(x, kernel, stride, framework=framework, pads=pads)
    payload = framework_payload(fw, x, kernel, stride, label="L", marks={"dx": np.ones(x.shape, bool)})
    (top, _), (left, _) = pads
    H_out, W_out = fw.out.shape
    # Window i covers rows i*s - top ... + k - 1: SAME's extra row/column lies after the grid (row 5).
    assert payload["rows"] == [[i * 2 - top + a for a in range(2)] for i in range(H_out)]
    assert payload["cols"] == [[j * 2 - left + b for b in range(2)] for j in range(W_out)]
    winners = fw.winners.reshape(-1)
    assert payload["receivers"] == [[[int(f), 1.0, 1.0]] if f >= 0 else [] for f in winners]
    # dL/dx = number of windows each cell receives from (dL/dy = 1), counted in a loop.
    counts = np.zeros(x.size)
    for f in winners:
        if f >= 0:
            counts[f] += 1
    assert np.array_equal(grid(payload, "dx").reshape(-1), counts)
    assert np.array_equal(grid(payload, "y"), fw.out, equal_nan=True)
    assert payload["grids"]["dx"]["marks"] == list(range(x.size))
    assert payload["names"]["dx"] == "dL/dx · L" and payload["show"] == ["x", "y", "dx"]
    assert len(payload["tips"]["y"]) == H_out * W_out
    assert len(payload["tips"]["x"]) == len(payload["tips"]["dx"]) == x.size
    json.dumps(payload, allow_nan=False)


def test_framework_ties_and_nan_tip_by_hand():
    # One 1x4 window [NaN, 1, 3, 2]: TensorFlow returns 3 but sends the gradient to the NaN (semantics.md).
    x = np.array([[np.nan, 1.0, 3.0, 2.0]])
    fw = pooling.framework_pool2d(x, (1, 4), (1, 4), framework="tensorflow", pads=((0, 0), (0, 0)))
    payload = framework_payload(fw, x, (1, 4), (1, 4), label="TensorFlow")
    assert "y[0, 0] = 3 (TensorFlow)" in payload["tips"]["y"][0]
    assert "its gradient goes to x[0, 0] = nan" in payload["tips"]["y"][0]
    assert payload["tips"]["x"][0] == (
        "x[0, 0] = nan (TensorFlow)\nin windows: y[0, 0]\n"
        "gets the gradient of y[0, 0] (TensorFlow's rule); dL/dx[0, 0] = 1"
    )
    assert payload["tips"]["dx"][2].endswith("gets no window's gradient; dL/dx[0, 2] = 0")
    # Two 2s tie in [2, 2, 1]: the first one wins, and the tie is listed.
    x = np.array([[2.0, 2.0, 1.0]])
    fw = pooling.framework_pool2d(x, (1, 3), (1, 3), framework="pytorch", pads=((0, 0), (0, 0)))
    payload = framework_payload(fw, x, (1, 3), (1, 3), label="PyTorch")
    assert payload["ties"] == [[0, 1]] and payload["receivers"] == [[[0, 1.0, 1.0]]]
