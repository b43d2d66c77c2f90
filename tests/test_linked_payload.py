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


# --------------------------------------------------------------------------- optional keys (partial grids, marks)


def one_hot_receivers(res, tie: str, k: int) -> set[int]:
    """Flat input cells window k sends a share to: the backward pass of a dL/dy that is 1 at k only."""
    one_hot = np.zeros(res.out.size)
    one_hot[k] = 1.0
    return set(np.flatnonzero(pooling.max_pool2d_backward(one_hot.reshape(res.out.shape), res, tie)).tolist())


def test_without_the_new_arguments_the_payload_has_none_of_their_keys():
    res = pooled("overlap")
    payload = linked_payload(res, np.ones(res.out.shape), "first")
    assert not {"window_state", "clickable", "help"} & payload.keys()
    for g in payload["grids"].values():
        assert not {"pending", "marks", "notes"} & g.keys()


@pytest.mark.parametrize("case", ["overlap", "padding_ceil", "ties"])
@pytest.mark.parametrize("tie", ["first", "split", "all"])
def test_windows_pooled_and_sent_so_far_leave_out_everything_later(case, tie):
    """Only sent windows list receivers; a window not pooled has no index, no ties; win_counts: the known winners."""
    res = pooled(case)
    n = res.out.size
    full = linked_payload(res, np.ones(res.out.shape), tie)
    order = np.arange(n).reshape(res.out.shape)
    for n_pooled, n_sent in [(1, 0), (n // 2 + 1, 0), (n, 1), (n, n // 2), (n, n)]:
        payload = linked_payload(
            res, np.ones(res.out.shape), tie, pooled_windows=order < n_pooled, sent_windows=order < n_sent
        )
        assert payload["window_state"] == [2 if k < n_sent else 1 if k < n_pooled else 0 for k in range(n)]
        for k in range(n):
            want = one_hot_receivers(res, tie, k) if k < n_sent else set()
            assert {f for f, _, _ in payload["receivers"][k]} == want
            assert payload["indices"][k] == (int(res.indices.reshape(-1)[k]) if k < n_pooled else -1)
            assert payload["ties"][k] == (full["ties"][k] if k < n_pooled else [])
        # A plain count over the pooled windows' one-hot backward passes.
        counts = np.zeros(res.x.size, dtype=int)
        for k in range(n_pooled):
            for f in one_hot_receivers(res, tie, k):
                counts[f] += 1
        assert payload["win_counts"] == counts.tolist()
        json.dumps(payload, allow_nan=False)


def test_sent_implies_pooled_and_masks_must_fit_y():
    res = pooled("overlap")
    shape = res.out.shape
    payload = linked_payload(res, np.ones(shape), "first", pooled_windows=np.zeros(shape, bool))
    assert payload["window_state"] == [0] * res.out.size  # "sent" defaults to all, but nothing is pooled
    with pytest.raises(ValueError, match="pooled_windows and sent_windows"):
        linked_payload(res, np.ones(shape), "first", sent_windows=np.zeros((1, 1), bool))


def test_values_and_pending_withhold_what_is_not_computed():
    res = pooling.max_pool2d(np.array([[1.0, 9.0, 2.0], [3.0, 4.0, 8.0], [7.0, 5.0, 6.0]]), 2, stride=1)
    # y by hand: [[9, 9], [7, 8]]. Show only y[0, 0] as computed, the rest pending.
    y_so_far = np.array([[9.0, np.nan], [np.nan, np.nan]])
    pending = np.isnan(y_so_far)
    dx_so_far = np.array([[0.0, 1.5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    payload = linked_payload(
        res,
        np.ones((2, 2)),
        "first",
        values={"y": y_so_far, "dx": dx_so_far},
        pending={"y": pending},
        color_ranges={"dx": (-4.0, 4.0)},
    )
    y = payload["grids"]["y"]
    assert y["v"] == [9.0, "nan", "nan", "nan"] and y["text"] == ["9", "", "", ""] and y["pending"] == [1, 2, 3]
    # Colour limits from the computed cell only (9 alone: the plotly figures' 8.5 to 9.5), never from 7 or 8.
    assert (y["zmin"], y["zmax"]) == (8.5, 9.5)
    dx = payload["grids"]["dx"]
    assert decode_values(dx["v"], (3, 3)).tolist() == dx_so_far.tolist() and "pending" not in dx
    assert (dx["zmin"], dx["zmax"]) == (-4.0, 4.0)
    # Pending without an override: the computed y (9, 9, 7, 8 by hand) is still withheld where pending.
    alone = linked_payload(res, np.ones((2, 2)), "first", pending={"y": pending})["grids"]["y"]
    assert alone["v"] == [9.0, "nan", "nan", "nan"] and alone["text"] == ["9", "", "", ""]


def test_marks_notes_clickable_and_help():
    res = pooled("overlap")
    marks = np.zeros(res.x.shape, bool)
    marks[1, 2] = marks[3, 0] = True
    notes = np.full(res.x.shape, "", dtype=object)
    notes[1, 2] = "you wrote 1"
    payload = linked_payload(
        res,
        np.ones(res.out.shape),
        "first",
        marks={"dx": marks},
        notes={"dx": notes},
        clickable=("x", "bogus"),
        help_text="Click x to probe a cell.",
    )
    W = res.x.shape[1]
    assert payload["grids"]["dx"]["marks"] == [1 * W + 2, 3 * W + 0]
    notes_sent = payload["grids"]["dx"]["notes"]
    assert notes_sent[1 * W + 2] == "you wrote 1" and notes_sent.count("") == res.x.size - 1
    assert payload["clickable"] == ["x"] and payload["help"] == "Click x to probe a cell."
