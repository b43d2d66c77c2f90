"""The linked picture's payload agrees with pooling and with a plain loop over the geometry."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import pooling
from figures.linked import decode_values, encode_values, linked_payload
from tests.reference import ref_forward, window_positions

# (x, kernel, stride, padding, dilation, ceil_mode): overlap, padding with ceil mode, dilation, ties.
CASES = {
    "overlap": (np.array([[0, 5, 1, 0], [2, 9, 9, 1], [4, 1, 3, 8], [7, 7, 0, 2]], float), 3, 1, 0, 1, False),
    "padding_ceil": (np.arange(25, dtype=float).reshape(5, 5) % 7, 2, 2, 1, 1, True),
    "dilation": (np.arange(36, dtype=float).reshape(6, 6)[::-1] % 5, 2, 1, 0, 2, False),
    "ties": (np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 0, 4, 4], [0, 3, 4, 4]], float), 2, 2, 0, 1, False),
    "all_padding_window": (np.array([[3.0]]), (1, 2), 1, (0, 1), (1, 2), False),
}


def pooled(case):
    x, k, s, p, d, ceil = CASES[case]
    return pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=ceil)


@pytest.mark.parametrize("case", CASES)
def test_window_cells_follow_the_geometry(case):
    """rows[i] x cols[j] are exactly the positions a plain loop over kernel/stride/padding/dilation visits."""
    res = pooled(case)
    g = res.geometry
    payload = linked_payload(res, np.ones(res.out.shape), "first")
    H, W = g.in_shape
    for i in range(g.out_shape[0]):
        for j in range(g.out_shape[1]):
            cells = [(r, c) for r in payload["rows"][i] for c in payload["cols"][j]]
            loop = [(h, w) for h, w, _ in window_positions(i, j, H, W, g.kernel, g.stride, g.padding, g.dilation)]
            assert cells == loop
    assert payload["geometry"]["padding"] == list(g.padding)
    assert payload["geometry"]["out_shape"] == list(res.out.shape)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("tie", pooling.TIE_POLICIES)
def test_receivers_are_the_backward_pass_of_a_one_hot_gradient(case, tie):
    """Window k's receivers and weights = max_pool2d_backward of dL/dy that is 1 at k and 0 elsewhere."""
    res = pooled(case)
    H_out, W_out = res.out.shape
    dy = np.arange(1.0, H_out * W_out + 1).reshape(H_out, W_out) * 0.5
    payload = linked_payload(res, dy, tie)
    for k in range(H_out * W_out):
        one_hot = np.zeros(H_out * W_out)
        one_hot[k] = 1.0
        expected = pooling.max_pool2d_backward(one_hot.reshape(H_out, W_out), res, tie).reshape(-1)
        got = np.zeros_like(expected)
        for flat, weight, amount in payload["receivers"][k]:
            got[flat] += weight
            assert amount == pytest.approx(weight * dy.reshape(-1)[k])
        assert np.array_equal(got, expected)
    # The receivers' amounts add up to dL/dx.
    dx = np.zeros(res.x.size)
    for window in payload["receivers"]:
        for flat, _, amount in window:
            dx[flat] += amount
    assert np.allclose(dx, pooling.max_pool2d_backward(dy, res, tie).reshape(-1))
    assert np.allclose(decode_values(payload["grids"]["dx"]["v"], res.x.shape), dx.reshape(res.x.shape))


@pytest.mark.parametrize("case", CASES)
def test_values_indices_and_ties_match_a_plain_loop(case):
    x, k, s, p, d, ceil = CASES[case]
    res = pooled(case)
    g = res.geometry
    out, idx, tied = ref_forward(x, g.kernel, g.stride, g.padding, g.dilation, ceil)
    payload = linked_payload(res, np.ones(out.shape), "first")
    assert np.array_equal(decode_values(payload["grids"]["y"]["v"], out.shape), out)
    assert np.array_equal(decode_values(payload["grids"]["x"]["v"], x.shape), x)
    flat_tied = [t for row in tied for t in row]
    assert payload["ties"] == [t if len(t) >= 2 else [] for t in flat_tied]
    # A window wholly in padding has no position inside: the loop leaves -1 there, as the core does.
    assert payload["indices"] == idx.reshape(-1).tolist()
    assert payload["indices"] == res.indices.reshape(-1).tolist()


def test_ties_under_each_rule_by_hand():
    """A 2x2 window of four equal values: first -> (0,0), last -> (1,1), split -> 1/4 each, all -> 1 each, none -> 0."""
    res = pooling.max_pool2d(np.ones((2, 2)), 2)
    expected = {
        "first": [[0, 1.0]],
        "last": [[3, 1.0]],
        "split": [[0, 0.25], [1, 0.25], [2, 0.25], [3, 0.25]],
        "all": [[0, 1.0], [1, 1.0], [2, 1.0], [3, 1.0]],
        "none": [],
    }
    for tie, want in expected.items():
        payload = linked_payload(res, np.array([[2.0]]), tie)
        assert [[f, w] for f, w, _ in payload["receivers"][0]] == want
        assert [a for _, _, a in payload["receivers"][0]] == [2.0 * w for _, w in want]
        assert payload["ties"] == [[0, 1, 2, 3]]


def test_non_finite_values_are_json_safe_and_round_trip():
    x = np.array([[np.nan, 1.0], [np.inf, -np.inf]])
    res = pooling.max_pool2d(x, 1)
    dy = np.array([[1.0, -np.inf], [2.0, np.nan]])
    payload = linked_payload(res, dy, "first")
    text = json.dumps(payload, allow_nan=False)  # raises on a bare NaN or inf
    back = json.loads(text)
    assert encode_values(x) == ["nan", 1.0, "inf", "-inf"]
    got = decode_values(back["grids"]["x"]["v"], (2, 2))
    assert np.array_equal(got, x, equal_nan=True)
    assert back["grids"]["x"]["text"] == ["nan", "1", "∞", "−∞"]
    # Colour ranges come from the finite values only.
    assert back["grids"]["x"]["zmin"] == 0.5 and back["grids"]["x"]["zmax"] == 1.5
    assert math.isfinite(back["grids"]["dy"]["zmax"])


def test_all_padding_window_has_no_winner_and_no_receiver():
    res = pooled("all_padding_window")
    payload = linked_payload(res, np.ones(res.out.shape), "split")
    assert -1 in payload["indices"]
    empty = payload["indices"].index(-1)
    assert payload["receivers"][empty] == []
    assert payload["grids"]["y"]["v"][empty] == "-inf"


def test_win_counts_and_options():
    res = pooled("overlap")
    payload = linked_payload(res, np.ones(res.out.shape), "first", sel=(1, 0), editable=("x",), font_scale=1.6)
    assert payload["win_counts"] == pooling.win_counts(res, "first").reshape(-1).tolist()
    assert payload["sel"] == [1, 0] and payload["editable"] == ["x"] and payload["font_scale"] == 1.6
    assert payload["names"] == {"x": "x", "y": "y", "dy": "dL/dy", "dx": "dL/dx"}
    big = pooling.max_pool2d(np.zeros((17, 17)), 2)
    assert "text" not in linked_payload(big, np.ones(big.out.shape), "first")["grids"]["x"]
