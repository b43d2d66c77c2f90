"""A live sweep against PyTorch whenever torch is importable (CI installs it, so there it must run)."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pytest

import pooling

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, not a skip
else:
    torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

pytestmark = pytest.mark.torch


def _torch_pool(x, k, s, p, d, c, dout):
    tx = torch.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(tx, k, s, p, d, c, return_indices=True)
    y.backward(torch.tensor(dout))
    return y.detach().numpy(), idx.numpy(), tx.grad.numpy()


def _cases():
    yield from itertools.product(
        [(1, 1), (2, 5), (5, 5), (8, 7)],
        [1, 2, 3, (2, 3)],
        [None, 1, 2, (2, 1)],
        [0, 1],
        [1, 2],
        [False, True],
        [np.float32, np.float64],
    )


def test_live_sweep_matches_pytorch_bit_for_bit():
    rng = np.random.default_rng(0)
    compared = 0
    for (H, W), k, s, p, d, c, dtype in _cases():
        try:
            geom = pooling.pool_geometry((H, W), k, stride=s, padding=p, dilation=d, ceil_mode=c)
        except ValueError:
            with pytest.raises(RuntimeError):
                F.max_pool2d(torch.zeros(1, H, W), k, s, p, d, c)
            continue
        x = rng.integers(0, 3, (2, H, W)).astype(dtype)
        if rng.random() < 0.3:
            x[0, rng.integers(H), rng.integers(W)] = np.nan
        if rng.random() < 0.3:
            x[1, rng.integers(H), rng.integers(W)] = -np.inf
        res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
        assert res.out.shape[-2:] == geom.out_shape
        if (res.indices < 0).any():
            # A window wholly in padding: PyTorch's CPU backward writes out of bounds
            # there, so compare the forward only, and only where a winner exists.
            ty, tidx = F.max_pool2d(torch.tensor(x), k, s, p, d, c, return_indices=True)
            assert np.array_equal(res.out, ty.numpy(), equal_nan=True)
            keep = res.indices >= 0
            assert np.array_equal(res.indices[keep], tidx.numpy()[keep])
            continue
        dout = rng.standard_normal(res.out.shape).astype(dtype)
        y, idx, dx = _torch_pool(x, k, s, p, d, c, dout)
        assert np.array_equal(res.out, y, equal_nan=True)
        assert np.array_equal(res.indices, idx)
        assert np.array_equal(pooling.max_pool2d_backward(dout, res), dx, equal_nan=True)
        compared += 1
    assert compared > 500


def test_random_reals_batched_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 17, 19)).astype(np.float32)
    res = pooling.max_pool2d(x, 3, stride=1, padding=1)
    dout = rng.standard_normal(res.out.shape).astype(np.float32)
    y, idx, dx = _torch_pool(x, 3, 1, 1, 1, False, dout)
    assert np.array_equal(res.out, y) and np.array_equal(res.indices, idx)
    assert np.array_equal(pooling.max_pool2d_backward(dout, res), dx)


def test_full_reductions_split_ties_like_our_split_policy():
    # semantics.md: torch.max over a whole tensor splits the gradient among ties.
    x = np.array([[2.0, 5.0], [5.0, 5.0]])
    tx = torch.tensor(x, requires_grad=True)
    tx.max().backward()
    res = pooling.max_pool2d(x, 2)
    assert np.allclose(pooling.max_pool2d_backward([[1.0]], res, "split"), tx.grad.numpy())


def test_avg_pool_matches_pytorch():
    rng = np.random.default_rng(2)
    for k, s, p, c, inc in itertools.product([2, 3], [1, 2], [0, 1], [False, True], [True, False]):
        x = rng.standard_normal((1, 7, 6))
        try:
            res = pooling.avg_pool2d(x, k, stride=s, padding=p, ceil_mode=c, count_include_pad=inc)
        except ValueError:
            continue
        tx = torch.tensor(x, requires_grad=True)
        y = F.avg_pool2d(tx, k, s, p, c, inc)
        dout = rng.standard_normal(y.shape)
        y.backward(torch.tensor(dout))
        assert np.allclose(res.out, y.detach().numpy(), atol=1e-12)
        assert np.allclose(pooling.avg_pool2d_backward(dout, res), tx.grad.numpy(), atol=1e-12)
