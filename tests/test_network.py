"""pooling.network: conv -> ReLU -> max pooling, checked by hand, by loops, by finite differences, against torch."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pooling
from pooling import network

SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)


@pytest.fixture(scope="module")
def torch():
    """PyTorch when importable; in CI (CI=true) a missing torch is a failure, not a skip."""
    if os.environ.get("CI") == "true":
        import torch as module
    else:
        module = pytest.importorskip("torch")
    return module


def test_plain_numpy():
    check = "import sys, pooling.network; assert 'streamlit' not in sys.modules and 'plotly' not in sys.modules"
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", check], cwd=root, env=dict(os.environ, PYTHONPATH=str(root)), check=True)


def loop_conv(x, w):
    """The definition, one output at a time."""
    kH, kW = w.shape
    out = np.zeros((x.shape[0] - kH + 1, x.shape[1] - kW + 1))
    for i, j in np.ndindex(*out.shape):
        out[i, j] = sum(w[a, b] * x[i + a, j + b] for a in range(kH) for b in range(kW))
    return out


def test_seed_example_by_hand():
    # z = x[i, j] - x[i+1, j+1]; relu; one 2x2 window over the top-left of a.
    w = np.array([[1.0, 0.0], [0.0, -1.0]])
    net = network.network_forward(SEED_X, w, 2)
    assert np.array_equal(net.z, [[-5, -6, -6], [3, 5, 7], [1, -1, -3]])
    assert np.array_equal(net.a, [[0, 0, 0], [3, 5, 7], [1, 0, 0]])
    assert np.array_equal(net.y, [[5]])
    grads = network.network_backward([[1.0]], net)
    # Only the winner a[1, 1] = 5 passes gradient; the kernel sees the patch under it.
    assert np.array_equal(grads.dz, [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
    assert np.array_equal(grads.dweight, [[6, 7], [2, 1]])
    expected_dx = np.zeros((4, 4))
    expected_dx[1, 1], expected_dx[2, 2] = 1, -1
    assert np.array_equal(grads.dx, expected_dx)
    assert network.network_loss([[1.0]], net.y) == 5.0


@pytest.mark.parametrize("shape,kernel", [((5, 6), (2, 2)), ((7, 7), (3, 3)), ((4, 9), (2, 3)), ((3, 3), (3, 3))])
def test_conv_matches_loops(shape, kernel):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(shape), rng.standard_normal(kernel)
    z = network.conv2d(x, w)
    assert np.allclose(z, loop_conv(x, w), rtol=0, atol=1e-12)
    dout = rng.standard_normal(z.shape)
    dx, dw = network.conv2d_backward(dout, x, w)
    # dL/dw and dL/dx of L = sum(dout * conv(x, w)), from the loop definition entry by entry.
    eye_w = np.eye(w.size).reshape(-1, *w.shape)
    eye_x = np.eye(x.size).reshape(-1, *x.shape)
    assert np.allclose(dw.ravel(), [np.sum(dout * loop_conv(x, e)) for e in eye_w], atol=1e-12)
    assert np.allclose(dx.ravel(), [np.sum(dout * loop_conv(e, w)) for e in eye_x], atol=1e-12)


def test_conv_batch_sums_kernel_gradient():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 5, 5)), rng.standard_normal((2, 2))
    z = network.conv2d(x, w)
    dout = rng.standard_normal(z.shape)
    dx, dw = network.conv2d_backward(dout, x, w)
    singles = [network.conv2d_backward(dout[n], x[n], w) for n in range(3)]
    assert np.allclose(dw, sum(s[1] for s in singles))
    assert np.allclose(dx, np.stack([s[0] for s in singles]))


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="does not fit"):
        network.conv2d(np.zeros((2, 2)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="dout has shape"):
        network.conv2d_backward(np.zeros((3, 3)), np.zeros((3, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="output size"):
        network.network_forward(np.zeros((3, 3)), np.zeros((2, 2)), 3)


def test_relu_kink_and_nan():
    z = np.array([-1.0, 0.0, 2.0, np.nan])
    assert np.array_equal(network.relu(z), [0, 0, 2, np.nan], equal_nan=True)
    # At z == 0 the gradient is 0; NaN passes it (PyTorch's threshold_backward).
    assert np.array_equal(network.relu_backward(np.ones(4), z), [0, 0, 1, 1])


def test_finite_differences_agree_away_from_kinks():
    rng = np.random.default_rng(2)
    checked = 0
    for trial in range(40):
        x = rng.standard_normal((7, 8))
        w = rng.standard_normal((3, 3) if trial % 2 else (2, 2))
        k, s = (2, 2) if trial % 3 else (3, 1)
        net = network.network_forward(x, w, k, stride=s, padding=trial % 2)
        dout = rng.standard_normal(net.y.shape)
        assert not network.kinks(net)  # random reals: no ties, no z exactly 0
        grads = network.network_backward(dout, net)
        fd = network.kernel_finite_differences(dout, net)
        for estimate in (fd.forward, fd.backward, fd.central):
            assert pooling.relative_error(estimate, grads.dweight) < 1e-6
        checked += 1
    assert checked == 40


def test_tie_is_reported_and_central_difference_averages():
    # A 2x1 kernel of ones sums columns: z = [[4, 4, 0]]. Windows (1, 2) at stride 1: [4, 4] ties.
    x = np.array([[1.0, 2.0, 0.0], [3.0, 2.0, 0.0]])
    w = np.array([[1.0], [1.0]])
    net = network.network_forward(x, w, (1, 2), stride=(1, 1))
    assert np.array_equal(net.y, [[4, 4]])
    found = network.kinks(net)
    assert found.ties == [((0, 0), [(0, 0), (0, 1)])] and not found.relu_kinks
    fd = network.kernel_finite_differences(np.ones_like(net.y), net)
    # L = max(z0, z1) + max(z1, 0) with z0 = w0 + 3 w1, z1 = 2 w0 + 2 w1.
    # Raising w0 lets z1 win window 0 (slope 2 + 2); lowering it lets z0 win (1 + 2).
    # Raising w1 lets z0 win (3 + 2); lowering it lets z1 win (2 + 2).
    assert np.allclose(fd.forward, [[4], [5]])
    assert np.allclose(fd.backward, [[3], [4]])
    assert np.allclose(fd.central, [[3.5], [4.5]])
    first = network.network_backward(np.ones_like(net.y), net, "first").dweight
    assert np.array_equal(first, [[1 + 2], [3 + 2]])  # PyTorch's first maximum: z0 wins window 0
    split = network.network_backward(np.ones_like(net.y), net, "split").dweight
    assert np.allclose(split, fd.central)  # a 2-way split is the average of the two one-sided slopes


def test_relu_kink_is_reported():
    x = np.array([[1.0, -1.0, 2.0]])
    w = np.array([[1.0, 1.0]])  # z = [0, 1]: z[0] == 0
    net = network.network_forward(x, w, (1, 1))
    assert network.kinks(net).relu_kinks == [(0, 0)]
    fd = network.kernel_finite_differences(np.ones_like(net.y), net)
    # L = relu(w0 - w1) + relu(2 w1 - w0). Raising w0 wakes z[0] up (slope 1 - 1), lowering it
    # does not (0 - 1); raising w1 keeps z[0] asleep (0 + 2), lowering it wakes it (-1 + 2).
    assert np.allclose(fd.forward, [[0, 2]]) and np.allclose(fd.backward, [[-1, 1]])
    # z == 0 in a window whose max is positive is no kink of L.
    net2 = network.network_forward(x, w, (1, 2))
    assert not network.kinks(net2)


def test_zero_ties_from_negative_z_are_not_kinks():
    x = -np.arange(1.0, 10.0).reshape(3, 3)
    net = network.network_forward(x, np.ones((2, 2)), 2)  # all z < 0: a = 0 everywhere
    assert np.array_equal(net.y, [[0.0]])
    assert not network.kinks(net)
    grads = network.network_backward([[1.0]], net)
    assert not grads.dz.any() and not grads.dweight.any()


def test_rounding_level_ties_and_zeros_count_as_kinks():
    # z = 0.1 + 0.2 - 0.3 is 0 on paper and 5.6e-17 in floats: still a ReLU kink, and the
    # finite-difference step must not shrink to that rounding gap.
    x = np.array([[0.1, 0.2], [0.3, 9.0]])
    net = network.network_forward(x, np.array([[1.0, 1.0], [-1.0, 0.0]]), 1)
    assert 0 < net.z[0, 0] < 1e-15
    assert network.kinks(net).relu_kinks == [(0, 0)]
    assert network.kernel_step(net) == 1e-3
    # 0.1 + 0.2 and 0.3 + 0 tie on paper, not in floats: a window over both (dilation 2) reports the tie.
    x = np.array([[0.1, 0.2, 0.3, 0.0]])
    net = network.network_forward(x, np.array([[1.0, 1.0]]), (1, 2), dilation=(1, 2))
    assert net.z[0, 0] != net.z[0, 2]
    assert network.kinks(net).ties == [((0, 0), [(0, 0), (0, 2)])]
    assert network.kernel_step(net) > 1e-6
    # A z near 0 in a window whose maximum is positive is no kink.
    net = network.network_forward(
        np.array([[0.1, 0.2, 5.0], [0.3, 1.0, 2.0]]), np.array([[1.0, 1.0], [-1.0, 0.0]]), (1, 2), stride=1
    )
    assert abs(net.z[0, 0]) < 1e-15 and not network.kinks(net)


def test_step_stays_below_margin():
    x = np.array([[0.0, 1.0, 1.001], [0.0, 0.0, 0.0]])
    net = network.network_forward(x, np.ones((1, 1)), (1, 2), stride=1)
    h = network.kernel_step(net)
    assert 0 < h <= 0.25 * 0.001 / 1.001 + 1e-15


def _torch_network(torch, x, w, dout, kernel, stride, padding, dilation, ceil):
    F = torch.nn.functional
    tx = torch.tensor(x[None, None], requires_grad=True)
    tw = torch.tensor(w[None, None], requires_grad=True)
    z = F.conv2d(tx, tw)
    z.retain_grad()
    y = F.max_pool2d(torch.relu(z), kernel, stride, padding, dilation, ceil)
    y.backward(torch.tensor(dout[None, None]))
    return y.detach().numpy()[0, 0], z.grad.numpy()[0, 0], tw.grad.numpy()[0, 0], tx.grad.numpy()[0, 0]


@pytest.mark.torch
def test_conv_forward_and_grads_match_torch(torch):
    F = torch.nn.functional
    rng = np.random.default_rng(3)
    for shape, kernel in [((5, 6), (2, 2)), ((8, 8), (3, 3)), ((3, 7), (2, 3)), ((2, 5), (2, 1))]:
        x = rng.standard_normal((2, *shape))
        w = rng.standard_normal(kernel)
        tx = torch.tensor(x[:, None], requires_grad=True)
        tw = torch.tensor(w[None, None], requires_grad=True)
        tz = F.conv2d(tx, tw)
        dout = rng.standard_normal(tz.shape)
        tz.backward(torch.tensor(dout))
        z = network.conv2d(x, w)
        dx, dw = network.conv2d_backward(dout[:, 0], x, w)
        assert np.allclose(z, tz.detach().numpy()[:, 0], rtol=1e-12, atol=1e-12)
        assert np.allclose(dx, tx.grad.numpy()[:, 0], rtol=1e-12, atol=1e-12)
        assert np.allclose(dw, tw.grad.numpy()[0, 0], rtol=1e-12, atol=1e-12)


@pytest.mark.torch
def test_relu_backward_matches_torch(torch):
    z = np.array([-1.0, 0.0, -0.0, 2.0, np.nan, np.inf, -np.inf])
    tz = torch.tensor(z, requires_grad=True)
    torch.relu(tz).backward(torch.ones(len(z), dtype=torch.float64))
    assert np.array_equal(network.relu(z), torch.relu(torch.tensor(z)).numpy(), equal_nan=True)
    assert np.array_equal(network.relu_backward(np.ones(len(z)), z), tz.grad.numpy())


@pytest.mark.torch
def test_whole_network_matches_torch(torch):
    rng = np.random.default_rng(4)
    compared = 0
    settings = itertools.product([(2, 2), (3, 3)], [2, 3], [None, 1], [0, 1], [1, 2], [False, True])
    for wshape, k, s, p, d, c in settings:
        x = rng.integers(-3, 4, (9, 8)).astype(float)  # integers: ties and z == 0 happen
        w = rng.integers(-2, 3, wshape).astype(float)
        try:
            net = network.network_forward(x, w, k, stride=s, padding=p, dilation=d, ceil_mode=c)
        except ValueError:
            continue
        if (net.pool.indices < 0).any():
            continue  # PyTorch's CPU backward writes out of bounds there (see semantics.md)
        dout = rng.integers(-2, 3, net.y.shape).astype(float)
        y, dz, dw, dx = _torch_network(torch, x, w, dout, k, s if s else k, p, d, c)
        grads = network.network_backward(dout, net, "first")
        assert np.array_equal(net.y, y)
        assert np.array_equal(grads.dz, dz)
        assert np.array_equal(grads.dweight, dw)
        assert np.array_equal(grads.dx, dx)
        compared += 1
    assert compared > 50
