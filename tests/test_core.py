"""The pooling core: hand-checkable cases, edge cases, and sweeps against the plain-loop reference."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import pooling
from tests.reference import ref_backward, ref_forward

SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)


# --- hand-checkable cases -------------------------------------------------------------


def test_seed_4x4_example_forward_and_backward():
    # Windows: [[1,1],[5,6]] -> 6 at (1,1); [[2,4],[7,8]] -> 8 at (1,3);
    #          [[3,2],[1,2]] -> 3 at (2,0); [[1,0],[3,4]] -> 4 at (3,3).
    res = pooling.max_pool2d(SEED_X, 2)
    assert res.out.tolist() == [[6, 8], [3, 4]]
    assert res.indices.tolist() == [[1 * 4 + 1, 1 * 4 + 3], [2 * 4 + 0, 3 * 4 + 3]]
    dx = pooling.max_pool2d_backward([[10, 20], [30, 40]], res)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[2, 0], expected[3, 3] = 10, 20, 30, 40
    assert np.array_equal(dx, expected)


def test_d2l_3x3_example():
    x = np.arange(9.0).reshape(3, 3)
    res = pooling.max_pool2d(x, 2, stride=1)
    assert res.out.tolist() == [[4, 5], [7, 8]]
    dx = pooling.max_pool2d_backward(np.ones((2, 2)), res)
    assert dx.tolist() == [[0, 0, 0], [0, 1, 1], [0, 1, 1]]


def test_seed_vector_as_selection_vector():
    # max{x} = x W with W = [1, 0, 0, 0]' when x1 is the largest.
    x = np.array([[7.0, 2.0, 5.0, 1.0]])
    res = pooling.max_pool2d(x, (1, 4))
    S = pooling.selection_matrix(res)
    assert S.tolist() == [[1, 0, 0, 0]]
    assert res.out[0, 0] == (S @ x.ravel())[0] == 7.0
    dx = pooling.max_pool2d_backward([[1.0]], res)
    assert dx.tolist() == [[1, 0, 0, 0]]


def test_ties_first_goes_to_scan_order_first():
    res = pooling.max_pool2d([[1.0, 3.0], [3.0, 2.0]], 2)
    assert res.indices.tolist() == [[1]]
    grads = {p: pooling.max_pool2d_backward([[1.0]], res, p).tolist() for p in pooling.TIE_POLICIES}
    assert grads["first"] == [[0, 1], [0, 0]]
    assert grads["last"] == [[0, 0], [1, 0]]
    assert grads["split"] == [[0, 0.5], [0.5, 0]]
    assert grads["all"] == [[0, 1], [1, 0]]
    assert grads["none"] == [[0, 0], [0, 0]]


def test_without_ties_all_policies_agree():
    x = np.array([[1.0, 9.0, 2.0], [4.0, 3.0, 8.0], [0.0, 7.0, 5.0]])
    res = pooling.max_pool2d(x, 2, stride=1)
    grads = [pooling.max_pool2d_backward([[1.0, 2.0], [3.0, 4.0]], res, p) for p in pooling.TIE_POLICIES]
    for g in grads[1:]:
        assert np.array_equal(g, grads[0])


def test_overlap_adds_up():
    # semantics.md: [0, 5, 1, 0], kernel 3, stride 1 -> gradient [0, 2, 0, 0].
    res = pooling.max_pool2d([[0.0, 5.0, 1.0, 0.0]], (1, 3), stride=1)
    assert res.out.tolist() == [[5, 5]]
    assert pooling.max_pool2d_backward([[1.0, 1.0]], res).tolist() == [[0, 2, 0, 0]]


def test_nan_propagates_and_last_nan_wins():
    x = np.array([[np.nan, 1.0], [np.nan, 9.0]])
    res = pooling.max_pool2d(x, 2)
    assert math.isnan(res.out[0, 0])
    assert res.indices[0, 0] == 2  # the last NaN in scan order, as PyTorch
    assert pooling.max_pool2d_backward([[1.0]], res).tolist()[1][0] == 1.0
    # Other policies treat the NaN positions as the tied set.
    split = pooling.max_pool2d_backward([[1.0]], res, "split")
    assert split[0, 0] == split[1, 0] == 0.5


def test_all_minus_inf_window_reports_first_position():
    x = np.full((2, 2), -np.inf)
    res = pooling.max_pool2d(x, 2)
    assert res.out[0, 0] == -np.inf and res.indices[0, 0] == 0


def test_all_minus_inf_window_with_padding_reports_first_inside_position():
    x = np.full((3, 3), -np.inf)
    res = pooling.max_pool2d(x, 3, stride=1, padding=1)
    # Window (0, 0) covers rows -1..1, columns -1..1: its first inside position is (0, 0).
    assert res.indices[0, 0] == 0
    # Window (1, 2) covers rows 0..2, columns 1..3: first inside (0, 1).
    assert res.indices[1, 2] == 1


def test_window_wholly_in_padding_has_no_winner():
    # semantics.md's case: 1x1 input, kernel (1, 2), dilation (1, 2), padding (0, 1).
    res = pooling.max_pool2d([[5.0]], (1, 2), dilation=(1, 2), padding=(0, 1))
    assert res.out.shape == (1, 1)
    assert res.out[0, 0] == -np.inf
    assert res.indices[0, 0] == -1
    for policy in pooling.TIE_POLICIES:
        assert pooling.max_pool2d_backward([[3.0]], res, policy).tolist() == [[0.0]]


def test_padding_never_wins_over_negative_values():
    x = -np.arange(1.0, 10.0).reshape(3, 3)
    res = pooling.max_pool2d(x, 3, stride=1, padding=1)
    assert res.out[0, 0] == -1.0  # not 0: padding is -inf, not zero


def test_ceil_mode_edge_last_window_may_not_start_in_padding():
    # H=5, k=2, s=2, p=1, ceil: ceil((5 + 2 - 1 - 1) / 2) + 1 = 4 windows, but the 4th
    # would start at row 3*2 - 1 = 5, in the right padding (PyTorch's test:
    # (4-1)*2 = 6 >= H + p = 6), so it is dropped: 3.
    assert pooling.output_size(5, 2, 2, 1, 1, True) == 3
    res = pooling.max_pool2d(np.arange(25.0).reshape(5, 5), 2, padding=1, ceil_mode=True)
    assert res.out.shape == (3, 3)
    # H=6, k=3, s=2, p=1, ceil: 4 windows; the 4th starts at row 5 (< H + p), so it stays.
    assert pooling.output_size(6, 3, 2, 1, 1, True) == 4
    # Without ceil mode, floor: (5 - 1 - 1) / 2 + 1 = 2; with it, 3.
    assert pooling.output_size(5, 2, 2, 0, 1, False) == 2
    assert pooling.output_size(5, 2, 2, 0, 1, True) == 3


def test_ceil_mode_partial_window():
    x = np.arange(25.0).reshape(5, 5)
    res = pooling.max_pool2d(x, 2, ceil_mode=True)
    assert res.out.shape == (3, 3)
    assert res.out[2, 2] == 24.0 and res.indices[2, 2] == 24


def test_dilation():
    x = np.arange(16.0).reshape(4, 4)
    res = pooling.max_pool2d(x, 2, stride=1, dilation=2)
    # Window (0, 0) covers (0,0), (0,2), (2,0), (2,2): max 10 at flat 10.
    assert res.out.tolist() == [[10, 11], [14, 15]]
    assert res.indices.tolist() == [[10, 11], [14, 15]]


def test_dtypes():
    assert pooling.max_pool2d(np.ones((2, 2), dtype=np.int32), 2).out.dtype == np.float64
    assert pooling.max_pool2d(np.ones((2, 2), dtype=np.float32), 2).out.dtype == np.float32
    res = pooling.max_pool2d(np.ones((2, 2), dtype=np.float16), 2)
    assert res.out.dtype == np.float16
    assert pooling.max_pool2d_backward(np.ones((1, 1)), res).dtype == np.float16


def test_batched_shapes_match_per_plane():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, size=(2, 3, 5, 6)).astype(float)
    res = pooling.max_pool2d(x, 3, stride=2, padding=1)
    dout = rng.standard_normal(res.out.shape)
    dx = pooling.max_pool2d_backward(dout, res, "split")
    for n, c in itertools.product(range(2), range(3)):
        one = pooling.max_pool2d(x[n, c], 3, stride=2, padding=1)
        assert np.array_equal(one.out, res.out[n, c])
        assert np.array_equal(one.indices, res.indices[n, c])
        assert np.allclose(pooling.max_pool2d_backward(dout[n, c], one, "split"), dx[n, c])


# --- invalid input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(kernel_size=0), ["kernel_size", "(0, 0)", "at least 1"]),
        (dict(kernel_size=2, stride=0), ["stride", "(0, 0)", "at least 1"]),
        (dict(kernel_size=2, dilation=(1, 0)), ["dilation", "(1, 0)", "at least 1"]),
        (dict(kernel_size=2, padding=-1), ["padding", "at least 0"]),
        (dict(kernel_size=3, padding=2), ["padding=(2, 2)", "kernel_size // 2 = (1, 1)", "half of kernel size"]),
        (dict(kernel_size=5), ["output size", "too small", "5x5 window"]),
        (dict(kernel_size=2, dilation=4), ["output size", "too small"]),
        (dict(kernel_size=2.5), ["kernel_size=2.5", "int"]),
        (dict(kernel_size=(2, 2, 2)), ["kernel_size", "pair"]),
    ],
)
def test_invalid_geometry_names_parameter_value_and_range(kwargs, words):
    with pytest.raises(ValueError) as err:
        pooling.max_pool2d(np.zeros((4, 4)), **kwargs)
    for word in words:
        assert word in str(err.value)


def test_invalid_inputs():
    with pytest.raises(ValueError, match="shape"):
        pooling.max_pool2d(np.zeros(4), 2)
    with pytest.raises(ValueError, match="real numbers"):
        pooling.max_pool2d(np.zeros((2, 2), dtype=complex), 2)
    res = pooling.max_pool2d(np.zeros((2, 2)), 2)
    with pytest.raises(ValueError, match="tie_policy='random'"):
        pooling.max_pool2d_backward(np.ones((1, 1)), res, "random")
    with pytest.raises(ValueError, match="shape"):
        pooling.max_pool2d_backward(np.ones((2, 2)), res)


# --- sweeps against the reference -----------------------------------------------------

SHAPES = [(1, 1), (1, 5), (4, 4), (5, 7), (6, 3)]
KERNELS = [1, 2, 3, (2, 3), (3, 1)]
STRIDES = [None, 1, 2, (1, 3)]
PADDINGS = [0, 1, (1, 0)]
DILATIONS = [1, 2, (2, 1)]


def _sweep():
    for shape, k, s, p, d, c in itertools.product(SHAPES, KERNELS, STRIDES, PADDINGS, DILATIONS, (False, True)):
        kp = pooling.as_pair(k, "k")
        try:
            pooling.pool_geometry(shape, k, stride=s, padding=p, dilation=d, ceil_mode=c)
        except ValueError:
            continue
        yield pytest.param(shape, kp, s, p, d, c, id=f"{shape}-k{k}-s{s}-p{p}-d{d}-c{int(c)}")


@pytest.mark.parametrize(("shape", "k", "s", "p", "d", "c"), list(_sweep()))
def test_sweep_against_reference(shape, k, s, p, d, c):
    rng = np.random.default_rng(hash((shape, k, s, p, d, c)) % 2**32)
    x = rng.integers(0, 3, size=shape).astype(float)  # small integers: ties everywhere
    if x.size > 2:
        x.flat[rng.integers(x.size)] = np.nan
        x.flat[rng.integers(x.size)] = -np.inf
    sp = pooling.as_pair(k if s is None else s, "s")
    pp, dp = pooling.as_pair(p, "p"), pooling.as_pair(d, "d")
    out, idx, _ = ref_forward(x, k, sp, pp, dp, c)
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
    assert np.array_equal(res.out, out, equal_nan=True)
    assert np.array_equal(res.indices, idx)
    dout = rng.integers(-3, 4, size=out.shape).astype(float)
    for policy in pooling.TIE_POLICIES:
        got = pooling.max_pool2d_backward(dout, res, policy)
        want = ref_backward(dout, x, k, sp, pp, dp, c, policy)
        assert np.allclose(got, want, rtol=0, atol=1e-12), policy


def test_geometry_rejects_exactly_what_the_formula_cannot_pool():
    # Reject iff the reference's output length is < 1 or padding exceeds half the kernel.
    from tests.reference import out_len

    for n, k, s, p, d, c in itertools.product(range(1, 6), range(1, 5), range(1, 4), range(3), range(1, 3), (0, 1)):
        ok = p <= k // 2 and out_len(n, k, s, p, d, c) >= 1
        try:
            g = pooling.pool_geometry((n, n), k, stride=s, padding=p, dilation=d, ceil_mode=c)
        except ValueError:
            assert not ok
        else:
            assert ok and g.out_shape == (out_len(n, k, s, p, d, c),) * 2
