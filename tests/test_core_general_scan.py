"""The general scan (``maxpool._forward_planes``) where the fast paths never go: float16 input and kernels of
more than 255 positions, windows wholly in padding included, against the plain-loop reference for every rule.

A window wholly in padding (possible with dilation: a 1-wide input, kernel (·, 2), dilation (·, 2),
padding (·, 1) puts both columns of every window at -1 and 1) has output -inf, index -1, no winner
and sends no gradient (docs: semantics.md; PyTorch itself writes outside the buffer there).
"""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from pooling import _fast
from tests.reference import ref_backward, ref_forward


@pytest.fixture(autouse=True)
def no_fast_path(monkeypatch):
    """Fail if a fast path is taken: these cases are about the general scan."""

    def refuse(*args, **kwargs):
        raise AssertionError("a fast path ran; this test is about the general scan")

    monkeypatch.setattr(_fast, "forward_gather", refuse)
    monkeypatch.setattr(_fast, "forward_phases", refuse)


def check_every_plane(x, kernel, stride, padding, dilation, ceil_mode=False):
    res = pooling.max_pool2d(x, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    k, s = pooling.as_pair(kernel, "k"), pooling.as_pair(stride, "s")
    p, d = pooling.as_pair(padding, "p"), pooling.as_pair(dilation, "d")
    planes = x.reshape(-1, *x.shape[-2:])
    outs, idxs = res.out.reshape(-1, *res.out.shape[-2:]), res.indices.reshape(-1, *res.out.shape[-2:])
    rng = np.random.default_rng(3)
    dout = rng.integers(-3, 4, res.out.shape).astype(np.float64)
    douts = dout.reshape(outs.shape)
    dxs = {
        policy: pooling.max_pool2d_backward(dout, res, policy).reshape(planes.shape) for policy in pooling.TIE_POLICIES
    }
    for n, plane in enumerate(planes):
        out, idx, _ = ref_forward(plane, k, s, p, d, ceil_mode)
        assert np.array_equal(outs[n], out.astype(x.dtype), equal_nan=True)
        assert np.array_equal(idxs[n], idx)
        for policy, dx in dxs.items():
            want = ref_backward(douts[n], plane.astype(np.float64), k, s, p, d, ceil_mode, policy)
            # float16 sums shares such as 1/3 in float16: equal to the float64 reference to its precision.
            tol = 1e-2 if x.dtype == np.float16 else 1e-12
            assert np.allclose(dx[n].astype(np.float64), want.reshape(plane.shape), rtol=tol, atol=tol), policy
    return res, dxs


def assert_wholly_in_padding(res, dxs):
    assert (res.out == -np.inf).all() and (res.indices == -1).all()
    for dx in dxs.values():
        assert not dx.any()


def test_float16_windows_wholly_in_padding():
    # Columns -1 and 1 of a 1-wide input: every window lies in the padding.
    x = np.array([[[5.0], [-np.inf], [0.0]], [[1.0], [np.nan], [-0.0]]], np.float16)
    res, dxs = check_every_plane(x, (1, 2), 1, (0, 1), (1, 2))
    assert res.out.dtype == np.float16
    assert_wholly_in_padding(res, dxs)


def test_a_kernel_of_more_than_255_positions_wholly_in_padding():
    # Kernel 128×2 = 256 positions sliding down 130 rows (3 windows), columns -1 and 1 of a 1-wide input.
    x = np.arange(130, dtype=np.float64).reshape(130, 1)
    res, dxs = check_every_plane(x, (128, 2), 1, (0, 1), (1, 2))
    assert res.out.shape == (3, 1)
    assert_wholly_in_padding(res, dxs)


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
def test_padded_tied_windows_on_the_general_scan(dtype):
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, (2, 20, 21)).astype(dtype)  # small integers: ties everywhere
    x[0, 3, 4] = -np.inf
    if dtype == np.float16:
        check_every_plane(x, 3, 2, 1, (1, 2), ceil_mode=True)
    else:
        check_every_plane(x, (16, 17), 5, 8, 1)  # 272 positions: more than the fast paths take
