"""Live sweeps of max_pool1d, adaptive_max_pool2d, max_unpool2d and smooth max pooling against PyTorch.

As tests/test_torch_live.py: in CI (CI=true) a missing torch is a failure, elsewhere a skip.
"""

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


def _random_input(rng, shape, dtype):
    """Small integers (so ties are common), with a NaN and a -inf now and then."""
    x = rng.integers(0, 3, shape).astype(dtype)
    flat = x.reshape(-1)
    if rng.random() < 0.3:
        flat[rng.integers(flat.size)] = np.nan
    if rng.random() < 0.3:
        flat[rng.integers(flat.size)] = np.nan
    if rng.random() < 0.2:
        flat[rng.integers(flat.size)] = -np.inf
    return x


def test_max_pool1d_matches_pytorch():
    rng = np.random.default_rng(11)
    compared = 0
    for L, k, s, p, d, c, dtype in itertools.product(
        [1, 2, 4, 7, 10], [1, 2, 3], [None, 1, 2, 3], [0, 1], [1, 2], [False, True], [np.float32, np.float64]
    ):
        try:
            res = pooling.max_pool1d(np.zeros((2, L), dtype), k, stride=s, padding=p, dilation=d, ceil_mode=c)
        except ValueError:
            with pytest.raises(RuntimeError):
                F.max_pool1d(torch.zeros(2, L), k, s, p, d, c)
            continue
        x = _random_input(rng, (2, 3, L), dtype)
        res = pooling.max_pool1d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
        tx = torch.tensor(x, requires_grad=True)
        y, idx = F.max_pool1d(tx, k, s, p, d, c, return_indices=True)
        assert np.array_equal(res.out, y.detach().numpy(), equal_nan=True)
        if (res.indices < 0).any():  # a window wholly in padding: PyTorch's backward writes out of bounds
            continue
        assert np.array_equal(res.indices, idx.numpy())
        dout = rng.standard_normal(res.out.shape).astype(dtype)
        y.backward(torch.tensor(dout))
        assert np.array_equal(pooling.max_pool2d_backward(dout, res), tx.grad.numpy(), equal_nan=True)
        # A single signal (L) pools as the one-channel (1, L) does.
        one = pooling.max_pool1d(x[0, 0], k, stride=s, padding=p, dilation=d, ceil_mode=c)
        assert np.array_equal(one.out, res.out[0, 0], equal_nan=True)
        compared += 1
    assert compared > 200


def test_adaptive_max_pool2d_matches_pytorch():
    rng = np.random.default_rng(12)
    compared = 0
    for (H, W), (Ho, Wo), dtype in itertools.product(
        [(1, 1), (3, 5), (5, 5), (7, 4), (10, 9)],
        [(1, 1), (2, 2), (3, 3), (2, 4), (5, 7), (1, 3)],
        [np.float32, np.float64],
    ):
        x = _random_input(rng, (2, H, W), dtype)
        res = pooling.adaptive_max_pool2d(x, (Ho, Wo))
        tx = torch.tensor(x, requires_grad=True)
        y, idx = F.adaptive_max_pool2d(tx, (Ho, Wo), return_indices=True)
        assert np.array_equal(res.out, y.detach().numpy(), equal_nan=True)
        assert np.array_equal(res.indices, idx.numpy())
        dout = rng.standard_normal(res.out.shape).astype(dtype)
        y.backward(torch.tensor(dout))
        assert np.allclose(pooling.max_pool2d_backward(dout, res), tx.grad.numpy(), equal_nan=True, rtol=1e-6)
        for policy in pooling.TIE_POLICIES:  # every policy runs on the adaptive result
            assert pooling.max_pool2d_backward(dout, res, policy).shape == x.shape
        compared += 1
    assert compared == 60


def test_max_unpool2d_matches_pytorch_on_one_thread():
    # With several threads PyTorch's CPU unpooling races where windows share an index
    # (pytorch#80827); on one thread it keeps the last write in scan order.
    rng = np.random.default_rng(13)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        compared = collided = 0
        for (H, W), k, s, p in itertools.product([(4, 4), (5, 7), (8, 6)], [2, 3], [1, 2, 3], [0, 1]):
            try:
                pooling.pool_geometry((H, W), k, stride=s, padding=p)
            except ValueError:
                continue
            x = rng.integers(0, 3, (2, H, W)).astype(np.float64)
            res = pooling.max_pool2d(x, k, stride=s, padding=p)
            values = rng.standard_normal(res.out.shape)
            mine = pooling.max_unpool2d(values, res)
            theirs = F.max_unpool2d(torch.tensor(values), torch.tensor(res.indices), k, s, p, output_size=(H, W))
            assert np.array_equal(mine, theirs.numpy())
            collided += bool(pooling.switch_collisions(res.__class__(res.out[0], res.indices[0], x[0], res.geometry)))
            compared += 1
        assert compared > 20 and collided > 5
        x = rng.standard_normal((1, 6, 7))
        res = pooling.adaptive_max_pool2d(x, (4, 3))
        values = rng.standard_normal(res.out.shape)
        # torch checks output_size against a kernel and stride; these admit 6x7 for a 4x3 output.
        theirs = F.max_unpool2d(torch.tensor(values), torch.tensor(res.indices), 1, (2, 3), output_size=(6, 7))
        assert np.array_equal(pooling.max_unpool2d(values, res), theirs.numpy())
    finally:
        torch.set_num_threads(threads)


def _torch_smooth(x, k, s, p, d, c, T, dout):
    """T * logsumexp(window / T) over windows unfolded by index, padding as -inf; autograd for the gradient."""
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
    widx = torch.tensor(res.geometry.window_index().reshape(-1))
    H, W = x.shape[-2:]
    tx = torch.tensor(x, requires_grad=True)
    flat = tx.reshape(-1, H * W)
    padded = torch.cat([flat, torch.full((flat.shape[0], 1), -torch.inf, dtype=tx.dtype)], dim=1)
    windows = padded[:, widx.clamp(min=-1)].reshape(flat.shape[0], *res.out.shape[-2:], -1)
    y = T * torch.logsumexp(windows / T, dim=-1)
    y.backward(torch.tensor(dout).reshape(y.shape))
    return y.detach().numpy().reshape(res.out.shape), tx.grad.numpy()


def test_smooth_max_pool2d_matches_torch_logsumexp():
    rng = np.random.default_rng(14)
    compared = 0
    for (H, W), k, s, p, d, c, T in itertools.product(
        [(4, 4), (5, 7)], [2, 3], [None, 1, 2], [0, 1], [1, 2], [False, True], [10.0, 1.0, 0.1, 1e-3, 1e-6]
    ):
        try:
            pooling.pool_geometry((H, W), k, stride=s, padding=p, dilation=d, ceil_mode=c)
        except ValueError:
            continue
        x = rng.standard_normal((2, H, W)) * rng.choice([1.0, 1e3])
        if rng.random() < 0.5:
            x = np.round(x)  # ties
        if rng.random() < 0.2:
            x[0, rng.integers(H), rng.integers(W)] = np.nan
        res = pooling.smooth_max_pool2d(x, k, temperature=T, stride=s, padding=p, dilation=d, ceil_mode=c)
        if np.isinf(res.out).any():
            continue  # a window wholly in padding: torch's gradient is NaN there, ours documented as none
        dout = rng.standard_normal(res.out.shape)
        y, dx = _torch_smooth(x, k, s, p, d, c, T, dout)
        assert np.allclose(res.out, y, rtol=1e-12, atol=1e-9, equal_nan=True)
        # torch forms the weights as exp(x/T - logsumexp(x/T)), which loses about |x|/T ulps;
        # ours subtract the max before dividing by T. The tolerance follows torch's error.
        atol = 1e-12 + 4 * np.finfo(float).eps * np.nanmax(np.abs(x)) / T
        assert np.allclose(pooling.smooth_max_pool2d_backward(dout, res), dx, rtol=1e-9, atol=atol, equal_nan=True)
        compared += 1
    assert compared > 300


def test_smooth_max_is_stable_for_tiny_temperatures_and_large_values_in_float32():
    x = np.array([[3e4, -3e4], [2.9e4, 1.0]], np.float32)
    res = pooling.smooth_max_pool2d(x, 2, temperature=1e-6)
    tx = torch.tensor(x, requires_grad=True)
    y = 1e-6 * torch.logsumexp(tx.reshape(-1) / 1e-6, 0)
    y.backward()
    assert np.isfinite(res.out).all()
    assert np.allclose(res.out[0, 0], y.item())
    assert np.allclose(res.weights.reshape(-1), tx.grad.numpy().reshape(-1))
