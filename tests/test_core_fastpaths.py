"""The fast paths of ``max_pool2d`` (``pooling/_fast.py``) against the plain-loop reference and PyTorch.

Every fast path is forced in turn (the gather path for small inputs, the phase
path in one chunk, the phase path in many small chunks) and must give exactly
what the reference and PyTorch give, bit for bit: values (the sign of zero
included), indices and the "first" backward (float32 overlap sums included).
A spy checks that the forced path really ran, or really declined (NaN).
"""

from __future__ import annotations

import itertools
import os
import zlib

import numpy as np
import pytest

import pooling
from pooling import _fast
from pooling import maxpool as maxpool_module
from tests.reference import ref_forward

if os.environ.get("CI") == "true":
    import torch  # in CI a missing torch is a failure, not a skip
else:
    try:
        import torch
    except ImportError:
        torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

PATHS = ["gather", "phases", "phases_chunked"]

# (kernel, stride, padding, dilation, ceil_mode): disjoint, overlapping, padded,
# dilated, ceil-mode and stride-wider-than-window geometries, square and not.
GEOMETRIES = [
    (2, None, 0, 1, False),
    (3, 2, 1, 1, False),
    (3, 1, 0, 1, False),
    (3, 1, 1, 1, False),
    ((2, 3), (1, 2), (1, 0), 1, False),
    (2, 1, 1, 2, False),
    ((3, 2), 2, (1, 1), (2, 1), True),
    (2, 2, 1, 1, True),
    (3, 3, 0, 1, True),
    (1, (2, 1), 0, 1, False),
    ((1, 2), 3, 0, (1, 2), False),
]


def _geom_id(g):
    k, s, p, d, c = g
    return f"k{k}-s{s}-p{p}-d{d}-c{int(c)}"


class _Spy:
    """Records what each fast path returned: ``"ran"`` or ``"declined"`` (None)."""

    def __init__(self):
        self.calls = []

    def wrap(self, name, fn):
        def spy(*args, **kwargs):
            result = fn(*args, **kwargs)
            self.calls.append((name, "declined" if result is None else "ran"))
            return result

        return spy


@pytest.fixture(params=PATHS)
def path(request, monkeypatch):
    """Force one fast path; yields (name, spy)."""
    name = request.param
    if name == "gather":
        monkeypatch.setattr(_fast, "GATHER_MAX_ELEMENTS", 1 << 40)
    else:
        monkeypatch.setattr(_fast, "GATHER_MAX_ELEMENTS", -1)
    if name == "phases_chunked":
        # A few planes per chunk, and a last chunk that is only partly full.
        monkeypatch.setattr(_fast, "CHUNK_ELEMENTS", 1)
    spy = _Spy()
    monkeypatch.setattr(_fast, "forward_gather", spy.wrap("gather", _fast.forward_gather))
    monkeypatch.setattr(_fast, "forward_phases", spy.wrap("phases", _fast.forward_phases))
    return name, spy


def _bits(a):
    """The raw bit patterns of a float array, so that -0.0 != 0.0 and NaN payloads count."""
    a = np.ascontiguousarray(a)
    return a.view({4: np.uint32, 8: np.uint64, 2: np.uint16}[a.dtype.itemsize])


def _assert_bitwise(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(_bits(got), _bits(want))


def _values(kind, shape, dtype, rng):
    """Test inputs: ties, reals, signed zeros, -inf, NaN."""
    if kind == "ties":
        x = rng.integers(0, 3, shape).astype(dtype)
    elif kind == "reals":
        x = rng.standard_normal(shape).astype(dtype)
    elif kind == "signed_zeros":
        x = rng.choice(np.array([0.0, -0.0, -1.0], dtype), shape)
    elif kind == "minus_inf":
        x = rng.choice(np.array([-np.inf, -np.inf, 1.0, -0.0], dtype), shape)
    else:  # "nan"
        x = rng.integers(0, 3, shape).astype(dtype)
        x.flat[rng.integers(x.size, size=2)] = np.nan
    return x


def _seed(*parts) -> int:
    """A seed that, unlike ``hash`` of a str, is the same in every process."""
    return zlib.crc32(repr(parts).encode())


def _reference_plane(x, k, s, p, d, c):
    """(out, indices) of one plane from ``tests/reference.py``."""
    out, idx, _ = ref_forward(x, k, s, p, d, c)
    return out, idx


def _check_against_reference(x, geometry):
    """Forward bit for bit and "first" backward (integer gradients: exact sums) against the reference."""
    k, s, p, d, c = geometry
    kp = pooling.as_pair(k, "k")
    sp, pp, dp = pooling.as_pair(k if s is None else s, "s"), pooling.as_pair(p, "p"), pooling.as_pair(d, "d")
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
    rng = np.random.default_rng(7)
    dout = rng.integers(-3, 4, res.out.shape).astype(x.dtype)
    dx = pooling.max_pool2d_backward(dout, res)
    planes = x.reshape(-1, *x.shape[-2:])
    douts = dout.reshape(-1, *res.out.shape[-2:])
    for n in range(planes.shape[0]):
        out, idx = _reference_plane(planes[n], kp, sp, pp, dp, c)
        _assert_bitwise(res.out.reshape(douts.shape)[n], out)
        assert np.array_equal(res.indices.reshape(douts.shape)[n], idx)
        want = np.zeros(planes[n].size)
        for i, j in np.ndindex(idx.shape):  # "first": each window's gradient to its winner
            if idx[i, j] >= 0:
                want[idx[i, j]] += douts[n][i, j]
        assert np.array_equal(dx.reshape(planes.shape)[n], want.reshape(planes[n].shape))
    return res


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=_geom_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["ties", "reals", "signed_zeros", "minus_inf", "nan"])
def test_fast_paths_match_reference(path, geometry, dtype, kind):
    name, spy = path
    rng = np.random.default_rng(_seed(_geom_id(geometry), kind, np.dtype(dtype).name))
    for shape in [(5, 7), (3, 6, 5), (2, 3, 4, 9)]:
        x = _values(kind, shape, dtype, rng)
        try:
            res = _check_against_reference(x, geometry)
        except ValueError:
            continue  # geometry too large for this shape: rejected like PyTorch
        # The forced path ran, and declined exactly when some window holds NaN.
        which, outcome = spy.calls[-1]
        assert which == ("gather" if name == "gather" else "phases")
        assert outcome == ("declined" if np.isnan(res.out).any() else "ran")
    assert spy.calls, "no case was pooled"


def test_windows_wholly_in_padding_and_all_minus_inf_windows(path):
    # One column, kernel (1, 2), dilation (1, 2), padding (0, 1): each window covers
    # columns -1 and 1, both padding, so it has no winner (index -1, output -inf).
    x = np.array([[[5.0], [-np.inf], [0.0]], [[1.0], [2.0], [-0.0]]], np.float32)
    res = _check_against_reference(x, ((1, 2), 1, (0, 1), (1, 2), False))
    assert (res.indices == -1).all() and (res.out == -np.inf).all()
    # -inf values and padding: every window is all -inf; its winner is its first inside position.
    res = _check_against_reference(np.full((4, 5), -np.inf), (3, 2, 1, 1, True))
    assert (res.out == -np.inf).all()
    res = pooling.max_pool2d([[5.0]], (1, 2), dilation=(1, 2), padding=(0, 1))
    for policy in pooling.TIE_POLICIES:
        assert pooling.max_pool2d_backward([[3.0]], res, policy).tolist() == [[0.0]]


def test_batched_chunks_of_every_size(path):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, (3, 7, 6, 5)).astype(np.float32)  # 21 planes: chunks never divide evenly
    _check_against_reference(x, (3, 2, 1, 1, False))
    _check_against_reference(x, (2, None, 0, 1, True))


def test_non_contiguous_input(path):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, (2, 9, 8)).astype(np.float64).transpose(0, 2, 1)
    assert not x.flags.c_contiguous
    _check_against_reference(x, (3, 1, 1, 1, False))
    _check_against_reference(x, (2, None, 0, 1, False))


def test_zero_sign_without_relying_on_np_maximum_tie_order(path, monkeypatch):
    # If np.maximum did not keep its second operand on ties, the phase path must
    # read the winner's own value: force that branch and check it too.
    monkeypatch.setattr(_fast, "MAXIMUM_KEEPS_SECOND", False)
    rng = np.random.default_rng(5)
    for geometry in GEOMETRIES[:4]:
        x = _values("signed_zeros", (2, 6, 7), np.float32, rng)
        _check_against_reference(x, geometry)


def test_maximum_tie_probe_matches_this_numpy():
    neg, pos = np.full(100, -0.0, np.float32), np.zeros(100, np.float32)
    keeps_second = bool(np.signbit(np.maximum(pos, neg)).all()) and not np.signbit(np.maximum(neg, pos)).any()
    assert keeps_second == _fast.MAXIMUM_KEEPS_SECOND


def test_what_the_fast_paths_decline_takes_the_general_scan(monkeypatch):
    spy = _Spy()
    monkeypatch.setattr(_fast, "forward_gather", spy.wrap("gather", _fast.forward_gather))
    monkeypatch.setattr(_fast, "forward_phases", spy.wrap("phases", _fast.forward_phases))
    x = np.random.default_rng(6).integers(0, 3, (17, 18)).astype(np.float32)
    _check_against_reference(x, ((16, 17), 1, 0, 1, False))  # 272 window positions > 255
    _check_against_reference(x.astype(np.float16), (2, None, 0, 1, False))  # float16
    _check_against_reference(x.astype(">f4"), (2, None, 0, 1, False))  # big-endian float32
    assert spy.calls == []
    monkeypatch.setattr(_fast, "PHASE_MAX_PLANE", 17 * 18 - 1)
    monkeypatch.setattr(_fast, "GATHER_MAX_ELEMENTS", -1)
    _check_against_reference(x, (3, 1, 1, 1, False))  # plane too large for the phase path
    assert spy.calls == []


def test_empty_batch():
    for policy in pooling.TIE_POLICIES:
        res = pooling.max_pool2d(np.zeros((0, 2, 4, 4), np.float32), 2)
        assert res.out.shape == res.indices.shape == (0, 2, 2, 2)
        assert pooling.max_pool2d_backward(np.zeros(res.out.shape), res, policy).shape == (0, 2, 4, 4)


def test_results_own_their_memory_and_caches_stay_intact(path):
    x = np.arange(36.0).reshape(6, 6)
    first = pooling.max_pool2d(x, 3, stride=1, padding=1)
    want_out, want_idx = first.out.copy(), first.indices.copy()
    first.out[...] = 0  # results are writable and share nothing with the caches
    first.indices[...] = 0
    again = pooling.max_pool2d(x, 3, stride=1, padding=1)
    assert np.array_equal(again.out, want_out) and np.array_equal(again.indices, want_idx)


def test_geometry_cache_keeps_validation():
    x = np.zeros((4, 4))
    pooling.max_pool2d(x, 1)  # caches kernel_size=1
    for bad in (True, (1, True)):
        with pytest.raises(ValueError, match="kernel_size"):
            pooling.max_pool2d(x, bad)
    with pytest.raises(ValueError, match="output size"):
        pooling.max_pool2d(x, 5)
    plain = pooling.max_pool2d(np.arange(16.0).reshape(4, 4), 2, stride=1)
    for k, s in [(np.int64(2), 1), ([2, 2], (1, 1)), ((2, 2), np.array([1, 1]))]:
        other = pooling.max_pool2d(np.arange(16.0).reshape(4, 4), k, stride=s)
        assert other.geometry == plain.geometry
        assert np.array_equal(other.out, plain.out) and np.array_equal(other.indices, plain.indices)


@pytest.mark.parametrize("policy", pooling.TIE_POLICIES)
def test_scatter_in_chunks_of_planes_matches_one_pass(monkeypatch, policy):
    # The backward scatters a chunk of planes at a time: chunks of one plane and
    # of a size that does not divide the planes must give the one-pass result.
    rng = np.random.default_rng(9)
    grid = rng.integers(0, 3, (3, 5, 7, 6)).astype(np.float32)
    one_column = rng.integers(0, 3, (3, 5, 4, 1)).astype(np.float32)  # windows wholly in padding
    for x, geometry in [
        (grid, (3, 2, 1, 1, False)),
        (grid, (2, None, 0, 1, False)),
        (one_column, ((1, 2), 1, (0, 1), (1, 2), False)),
    ]:
        k, s, p, d, c = geometry
        res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
        dout = rng.standard_normal(res.out.shape).astype(np.float32)
        monkeypatch.setattr(maxpool_module, "SCATTER_CHUNK", 1 << 30)
        one_pass = pooling.max_pool2d_backward(dout, res, policy)
        for chunk in (1, 2 * res.out.shape[-1] * res.out.shape[-2] + 1):
            monkeypatch.setattr(maxpool_module, "SCATTER_CHUNK", chunk)
            _assert_bitwise(pooling.max_pool2d_backward(dout, res, policy), one_pass)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_plane_bincount_backward_matches_scatter(monkeypatch, dtype):
    # One small plane takes np.bincount (float64 sums, or float32 without overlap);
    # it must equal the np.add.at scatter bit for bit, -0.0 gradients and -1 included.
    rng = np.random.default_rng(10)
    cases = [
        (rng.integers(0, 3, (6, 7)), (2, None, 0, 1, False)),
        (rng.integers(0, 3, (6, 7)), (3, 1, 1, 1, False)),  # overlap: float32 declines
        (rng.standard_normal((9, 8)), (3, 2, 1, 1, True)),
        (rng.integers(0, 3, (4, 1)), ((1, 2), 1, (0, 1), (1, 2), False)),  # index -1: declines
    ]
    for values, (k, s, p, d, c) in cases:
        res = pooling.max_pool2d(values.astype(dtype), k, stride=s, padding=p, dilation=d, ceil_mode=c)
        dout = (rng.standard_normal(res.out.shape) * 1e4).astype(dtype)
        dout.flat[0] = -0.0
        fast = pooling.max_pool2d_backward(dout, res)
        monkeypatch.setattr(maxpool_module, "SMALL_BINCOUNT", 0)
        _assert_bitwise(fast, pooling.max_pool2d_backward(dout, res))
        monkeypatch.undo()
        assert fast.dtype == dtype
    bad = pooling.max_pool2d(np.zeros((4, 4), dtype), 2)
    bad.indices[0, 0] = 99  # past the plane: an error, as with np.add.at, not a silent drop
    with pytest.raises(IndexError):
        pooling.max_pool2d_backward(np.ones((2, 2)), bad)


def test_float32_overlap_sums_keep_output_order():
    # One input wins four windows; float32 sums of 1e8, 1, -1e8, 1 depend on the order.
    # Kernel 3, stride 2, padding 1: input (1, 1) lies in windows (0, 0), (0, 1), (1, 0), (1, 1).
    x = np.zeros((2, 5, 5), np.float32)
    x[:, 1, 1] = 9.0
    for path_limit in (1 << 40, -1):  # the gather path, then the phase path
        old = _fast.GATHER_MAX_ELEMENTS
        _fast.GATHER_MAX_ELEMENTS = path_limit
        try:
            res = pooling.max_pool2d(x, 3, stride=2, padding=1)
        finally:
            _fast.GATHER_MAX_ELEMENTS = old
        assert (res.indices[:, :2, :2] == 6).all()
        dout = np.zeros(res.out.shape, np.float32)
        dout[:, :2, :2] = np.array([[1e8, 1.0], [-1e8, 1.0]], np.float32)
        acc = np.float32(0)
        for v in (1e8, 1.0, -1e8, 1.0):  # output scan order, float32 rounding at each step
            acc = np.float32(acc + np.float32(v))
        assert acc == 1.0  # (1e8 + 1) rounds to 1e8: the order matters
        dx = pooling.max_pool2d_backward(dout, res)
        assert (dx[:, 1, 1] == acc).all()


# --- against PyTorch -------------------------------------------------------------------


def _torch_pool(x, geometry, dout):
    k, s, p, d, c = geometry
    tx = torch.tensor(x.reshape(-1, *x.shape[-2:]), requires_grad=True)
    y, idx = torch.nn.functional.max_pool2d(tx, k, s if s is not None else k, p, d, c, return_indices=True)
    y.backward(torch.tensor(dout.reshape(y.shape)))
    return y.detach().numpy(), idx.numpy(), tx.grad.numpy()


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=_geom_id)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_paths_match_pytorch_bit_for_bit(path, geometry, dtype):
    k, s, p, d, c = geometry
    rng = np.random.default_rng(_seed(_geom_id(geometry), np.dtype(dtype).name))
    for shape, kind in itertools.product([(6, 7), (2, 3, 9, 8)], ["ties", "reals", "signed_zeros", "minus_inf", "nan"]):
        x = _values(kind, shape, dtype, rng)
        try:
            res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
        except ValueError:
            continue
        if (res.indices < 0).any():
            continue  # PyTorch's CPU backward writes out of bounds there (semantics.md)
        # Real gradients spanning magnitudes (float32 overlap sums round), a -0.0 among them.
        dout = (rng.standard_normal(res.out.shape) * 10.0 ** rng.integers(-3, 8, res.out.shape)).astype(dtype)
        dout.flat[0] = -0.0
        y, idx, dx = _torch_pool(x, geometry, dout)
        _assert_bitwise(res.out.reshape(y.shape), y)
        assert np.array_equal(res.indices.reshape(idx.shape), idx)
        _assert_bitwise(pooling.max_pool2d_backward(dout, res).reshape(dx.shape), dx)


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_benchmark_shapes_match_pytorch(dtype):
    # Scaled-down versions of benchmarks/bench_pooling.py's cases, on the default dispatch.
    rng = np.random.default_rng(8)
    for shape, k, s, p in [((2, 5, 28, 28), 3, 2, 1), ((2, 5, 28, 28), 2, 2, 0), ((1, 1, 96, 96), 3, 1, 0)]:
        for x in (rng.standard_normal(shape).astype(dtype), rng.integers(0, 3, shape).astype(dtype)):
            res = pooling.max_pool2d(x, k, stride=s, padding=p)
            dout = rng.standard_normal(res.out.shape).astype(dtype)
            y, idx, dx = _torch_pool(x, (k, s, p, 1, False), dout)
            _assert_bitwise(res.out, y.reshape(res.out.shape))
            assert np.array_equal(res.indices, idx.reshape(res.indices.shape))
            _assert_bitwise(pooling.max_pool2d_backward(dout, res), dx.reshape(x.shape))


@needs_torch
@pytest.mark.torch
def test_negative_zero_gradient_lands_as_positive_zero_like_pytorch():
    for k, s in [(2, 2), (3, 1)]:
        x = np.arange(16.0, dtype=np.float32).reshape(4, 4)
        res = pooling.max_pool2d(x, k, stride=s)
        dout = np.full(res.out.shape, -0.0, np.float32)
        _, _, dx = _torch_pool(x, (k, s, 0, 1, False), dout)
        _assert_bitwise(pooling.max_pool2d_backward(dout, res), dx.reshape(x.shape))
        assert not np.signbit(pooling.max_pool2d_backward(dout, res)).any()
