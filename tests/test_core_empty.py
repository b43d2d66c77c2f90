"""Empty and zero-size inputs as PyTorch treats them, and a relative error that never warns.

PyTorch 2.13 (run on CPU): an empty batch (N = 0) pools to an empty output and an empty
gradient; a zero-size channel or spatial dimension is rejected ("Expected 3D or 4D (batch
mode) tensor with optional 0 dim batch size"). The core does the same, with a ValueError
naming the dimension. The live comparison runs whenever torch is importable (always in CI).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pooling

EMPTY_BATCH = [(0, 2, 4, 4), (0, 1, 5, 3)]
ZERO_SIZE = [  # (shape, the dimension that is empty)
    ((2, 0, 4, 4), "C"),
    ((0, 0, 4, 4), "C"),
    ((0, 4, 4), "C"),
    ((2, 2, 0, 4), "H"),
    ((2, 2, 4, 0), "W"),
    ((3, 0, 4), "H"),
    ((0, 4), "H"),
    ((4, 0), "W"),
]


def _out_side(n: int, k: int = 2) -> int:
    # PyTorch's rule with stride = kernel, no padding or dilation: floor((n - k) / k) + 1.
    return (n - k) // k + 1


@pytest.mark.parametrize("shape", EMPTY_BATCH)
def test_an_empty_batch_gives_an_empty_result_and_gradient(shape):
    x = np.zeros(shape)
    expected = (*shape[:2], _out_side(shape[2]), _out_side(shape[3]))
    res = pooling.max_pool2d(x, 2)
    assert res.out.shape == res.indices.shape == expected
    for policy in pooling.TIE_POLICIES:
        dx = pooling.max_pool2d_backward(np.ones(expected), res, policy)
        assert dx.shape == shape and dx.dtype == x.dtype
    avg = pooling.avg_pool2d(x, 2)
    assert avg.out.shape == expected
    assert pooling.avg_pool2d_backward(np.ones(expected), avg).shape == shape


@pytest.mark.parametrize(("shape", "dimension"), ZERO_SIZE)
@pytest.mark.parametrize("pool", [pooling.max_pool2d, pooling.avg_pool2d], ids=["max", "avg"])
def test_a_zero_size_channel_or_side_is_an_error_naming_the_dimension(pool, shape, dimension):
    with pytest.raises(ValueError, match=rf"dimension {dimension} \(") as err:
        pool(np.zeros(shape), 2)
    assert str(shape) in str(err.value)


def _torch():
    if os.environ.get("CI") == "true":
        import torch  # in CI a missing torch is a failure, not a skip

        return torch
    return pytest.importorskip("torch")


@pytest.mark.torch
@pytest.mark.parametrize("shape", EMPTY_BATCH + [shape for shape, _ in ZERO_SIZE if len(shape) > 2])
@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d"])
def test_empty_and_zero_size_inputs_agree_with_pytorch(shape, name):
    torch = _torch()
    tx = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    try:
        ty = getattr(torch.nn.functional, name)(tx, 2)
        ty.sum().backward()
    except RuntimeError:
        with pytest.raises(ValueError):
            getattr(pooling, name)(np.zeros(shape), 2)
        return
    res = getattr(pooling, name)(np.zeros(shape), 2)
    assert res.out.shape == tuple(ty.shape)
    if name == "max_pool2d":
        dx = pooling.max_pool2d_backward(np.ones(res.out.shape), res)
    else:
        dx = pooling.avg_pool2d_backward(np.ones(res.out.shape), res)
    assert dx.shape == tuple(tx.grad.shape)


def test_relative_error_of_opposite_huge_values_is_one_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # |1e308 - (-1e308)| / (|1e308| + |-1e308|) = 2e308 / 2e308 = 1, though 2e308 overflows a float.
        assert pooling.relative_error([1e308], [-1e308]) == 1.0
        assert pooling.relative_error([1e308, 0.5], [1e308, 0.25]) == pytest.approx(0.25 / 0.75)
        assert pooling.relative_error([np.inf, np.nan, -np.inf], [np.inf, np.nan, -np.inf]) == 0.0
        assert pooling.relative_error([np.inf], [1.0]) == 1.0
        assert pooling.relative_error([np.nan], [1.0]) == 1.0
        assert pooling.relative_error([], []) == 0.0


def _plain_relative_error(a: float, b: float) -> float:
    """The definition in exact arithmetic (Python's fractions): max |a - b| / max(1e-8, |a| + |b|)."""
    from fractions import Fraction

    fa, fb = Fraction(a), Fraction(b)
    return float(abs(fa - fb) / max(Fraction(1, 10**8), abs(fa) + abs(fb)))


@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=True, width=64),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        max_size=6,
    )
)
def test_relative_error_never_warns_and_matches_the_definition(pairs):
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        error = pooling.relative_error(a, b)
    assert 0.0 <= error <= 1.0
    finite = [(x, y) for x, y in pairs if np.isfinite(x) and np.isfinite(y)]
    if len(finite) == len(pairs):
        expected = max((_plain_relative_error(x, y) for x, y in finite), default=0.0)
        assert error == pytest.approx(expected, rel=1e-12, abs=1e-300)
