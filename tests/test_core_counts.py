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
