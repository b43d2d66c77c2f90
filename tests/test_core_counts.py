"""win_counts' shortcut under 'first' and tie_counts, against counts built from the per-position weights."""

from __future__ import annotations

import numpy as np
import pytest

import pooling

GEOMETRIES = [
    (2, 2, 0, 1, False),
    (3, 1, 0, 1, False),
    (3, 2, 1, 1, True),
    (3, 1, 1, 2, False),
    ((2, 3), (1, 2), 1, 1, True),
]


def counts_from_weights(res, policy):
    """How many windows give each cell a non-zero share, from window_weights and window_index."""
    weights = pooling.window_weights(res, policy).reshape(-1, *res.geometry.out_shape, *res.geometry.kernel)
    widx = res.geometry.window_index()
    H, W = res.geometry.in_shape
    counts = np.zeros((weights.shape[0], H * W), dtype=np.int64)
    for n in range(weights.shape[0]):
        receives = (weights[n] != 0) & (widx >= 0)
        np.add.at(counts[n], widx[receives], 1)
    return counts.reshape(res.x.shape)


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation", "ceil"), GEOMETRIES)
def test_counts_on_a_picture_like_grid(kernel, stride, padding, dilation, ceil):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 6, (2, 23, 31)).astype(np.float32)  # small integers: many ties
    res = pooling.max_pool2d(x, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil)
    for policy in pooling.TIE_POLICIES:
        assert np.array_equal(pooling.win_counts(res, policy), counts_from_weights(res, policy)), policy
    tied, _ = pooling.tied_mask(res)
    assert np.array_equal(pooling.tie_counts(res), tied.sum(axis=(-2, -1)))


def test_counts_with_nan_and_inf():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (7, 9)).astype(float)
    x[1, 1] = x[1, 2] = np.nan
    x[4, 4] = -np.inf
    res = pooling.max_pool2d(x, 3, stride=1, padding=1)
    for policy in pooling.TIE_POLICIES:
        assert np.array_equal(pooling.win_counts(res, policy), counts_from_weights(res, policy))
    assert int((pooling.tie_counts(res) >= 2).sum()) == len(pooling.tie_report(res))


def _partly_tied_windows_starting_in(res, top, left, size):
    """Plain loops: windows whose start (i*s - p, j*s - p) lies in the box and whose maxima tie partly."""
    g = res.geometry
    H, W = g.in_shape
    count = 0
    for i in range(g.out_shape[0]):
        for j in range(g.out_shape[1]):
            r0, c0 = i * g.stride[0] - g.padding[0], j * g.stride[1] - g.padding[1]
            if not (top <= r0 < top + min(size, H) and left <= c0 < left + min(size, W)):
                continue
            cells = [
                res.x[r, c]
                for r in range(r0, r0 + (g.kernel[0] - 1) * g.dilation[0] + 1, g.dilation[0])
                for c in range(c0, c0 + (g.kernel[1] - 1) * g.dilation[1] + 1, g.dilation[1])
                if 0 <= r < H and 0 <= c < W
            ]
            n_max = sum(v == max(cells) for v in cells)
            count += 2 <= n_max < len(cells)
    return count


@pytest.mark.parametrize("kernel, stride, padding, dilation, ceil_mode", GEOMETRIES)
@pytest.mark.parametrize("size", [3, 4, 8])
def test_partial_tie_corner_is_the_busiest_candidate_box(kernel, stride, padding, dilation, ceil_mode, size):
    rng = np.random.default_rng(size)
    x = rng.integers(0, 3, size=(13, 11)).astype(float)
    x[:4, :4] = 1.0  # a flat block: it ties everywhere but only fully, so it must not attract the box
    res = pooling.max_pool2d(x, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    top, left = pooling.partial_tie_corner(res, size)
    step = max(1, size // 4)
    candidates = [
        (r, c) for r in range(0, 13 - min(size, 13) + 1, step) for c in range(0, 11 - min(size, 11) + 1, step)
    ]
    counts = {rc: _partly_tied_windows_starting_in(res, *rc, size) for rc in candidates}
    best = max(counts.values())
    assert counts[(top, left)] == best
    assert (top, left) == min(rc for rc, n in counts.items() if n == best)  # first in reading order


def test_partial_tie_corner_refuses_adaptive_windows():
    res = pooling.adaptive_max_pool2d(np.zeros((4, 4)), (3, 3))
    with pytest.raises(ValueError, match="adaptive"):
        pooling.partial_tie_corner(res, 2)
