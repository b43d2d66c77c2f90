"""Max pooling forward and backward, matching PyTorch's CPU kernel bit for bit.

``max_pool2d`` records, for every window, the flat index of its winner (the
first maximum in row-major scan order, or the last NaN if the window holds a
NaN, exactly as PyTorch does). ``max_pool2d_backward`` sends each upstream
gradient to the winner(s) chosen by a tie policy and adds up what overlapping
windows send to the same input.

Speed: ``max_pool2d`` first tries the exact fast paths of ``_fast`` (a gather
and ``argmax`` for small inputs, stride phases and contiguous passes for large
ones). ``_forward_planes`` below is the general scan: it handles what they
decline (NaN in a window, dtypes other than float32/float64, more than 255
window positions, huge planes). The fast paths are checked against the
plain-loop reference and PyTorch in ``tests/test_core_fastpaths.py``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from . import _fast
from .geometry import PoolGeometry, pool_geometry

TIE_POLICIES = ("first", "last", "split", "all", "none")
"""Tie rules for the backward pass.

- ``first``: the whole gradient goes to the first maximum in scan order (with
  NaN: the last NaN). What PyTorch, TensorFlow and JAX window pooling do.
- ``last``: to the last maximum.
- ``split``: an equal share to each tied maximum, as full reductions
  (``torch.max(x)``, ``jnp.max``) do.
- ``all``: the full gradient to every tied maximum. Not a gradient: kept to
  show why it is wrong (it multiplies the gradient mass by the tie count).
- ``none``: nothing to tied maxima. Also not a gradient of the max.

With no tie in a window all five agree.
"""


@dataclass(frozen=True, eq=False)
class MaxPoolResult:
    """What ``max_pool2d`` returns, and everything the backward pass needs.

    Attributes
    ----------
    out : ndarray, shape (..., H_out, W_out)
        The pooled values ``y``; leading dimensions as ``x``.
    indices : ndarray of int64, shape (..., H_out, W_out)
        Flat index ``h*W + w`` of each window's winner in the unpadded input
        plane, as PyTorch's ``return_indices``; -1 for a window that lies
        wholly in padding (its output is ``-inf`` and it has no winner).
    x : ndarray, shape (..., H, W)
        The input, as a float array (kept for tie policies and explanations).
    geometry : PoolGeometry
        Kernel, stride, padding, dilation, ceil mode and shapes.
    """

    out: np.ndarray
    indices: np.ndarray
    x: np.ndarray
    geometry: PoolGeometry


@dataclass(frozen=True, eq=False)
class MaxPool1dResult:
    """What ``max_pool1d`` returns: 1-D views of the 2-D result of the same pooling on a 1xL plane.

    Attributes
    ----------
    out, indices : ndarray, shape (..., L_out)
        As ``torch.nn.functional.max_pool1d(..., return_indices=True)``; indices
        are positions in the unpadded signal, -1 for a window wholly in padding.
    x : ndarray, shape (..., L)
    plane : MaxPoolResult
        The same pooling as 2-D, x of shape (..., 1, L): what the figures and
        explanations of the 2-D pages take. ``max_pool2d_backward`` accepts
        either this result or ``plane``.
    """

    out: np.ndarray
    indices: np.ndarray
    x: np.ndarray
    plane: MaxPoolResult

    @property
    def geometry(self) -> PoolGeometry:
        """The 2-D geometry of ``plane`` (kernel (1, k), in_shape (1, L))."""
        return self.plane.geometry


def as_float_input(x) -> np.ndarray:
    """Return ``x`` as a float array of 2, 3 or 4 dimensions (ints become float64)."""
    x = np.asarray(x)
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)
    elif x.dtype.kind != "f":
        raise ValueError(f"x has dtype {x.dtype}; expected real numbers (a float or int array)")
    if not 2 <= x.ndim <= 4:
        raise ValueError(f"x has shape {x.shape}; expected (H, W), (C, H, W) or (N, C, H, W)")
    # As PyTorch: only the batch N may be 0 (an empty result); an empty channel or spatial
    # dimension is an error ("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size").
    names = ("N", "C", "H", "W")[4 - x.ndim :]
    for name, size in zip(names, x.shape):
        if size == 0 and name != "N":
            meaning = {"C": "channels", "H": "rows (height)", "W": "columns (width)"}[name]
            raise ValueError(
                f"x has shape {x.shape}: its dimension {name} ({meaning}) is 0; only the batch dimension N "
                "may be empty (PyTorch: 'Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size')"
            )
    return x


def max_pool2d(
    x,
    kernel_size,
    *,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
) -> MaxPoolResult:
    """2-D max pooling with PyTorch's semantics.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
        Ints become float64; float dtypes are kept.
    kernel_size : int or (kH, kW)
    stride : int or (sH, sW), optional
        Defaults to ``kernel_size``.
    padding : int or (pH, pW)
        Implicit ``-inf`` on both sides; at most ``kernel_size // 2``.
    dilation : int or (dH, dW)
        Spacing between window positions; 1 means no gaps.
    ceil_mode : bool
        Round the output size up, but never start a window in the right padding.

    Returns
    -------
    MaxPoolResult
        ``.out`` and ``.indices`` of shape (..., H_out, W_out) with
        ``H_out = floor((H + 2*pH - dH*(kH-1) - 1 [+ sH-1 if ceil_mode]) / sH) + 1``.

    Examples
    --------
    >>> res = max_pool2d([[1, 3], [3, 2]], 2)
    >>> res.out, res.indices
    (array([[3.]]), array([[1]]))
    """
    x = as_float_input(x)
    plane_shape = x.shape[-2:]
    geom = _geometry(plane_shape, kernel_size, stride, padding, dilation, ceil_mode)
    planes = x.reshape(-1, *plane_shape)
    fast = _forward_fast(planes, geom)
    if fast is not None:
        out, indices = fast
    else:
        # One max over the whole input tells whether any NaN exists: NaN needs the
        # slower update rule, and most inputs have none.
        has_nan = planes.size > 0 and bool(np.isnan(planes.max()))
        out, indices = _forward_planes(planes, geom, has_nan)
    out_shape = x.shape[:-2] + geom.out_shape
    return MaxPoolResult(out=out.reshape(out_shape), indices=indices.reshape(out_shape), x=x, geometry=geom)


def _geometry(in_shape, kernel_size, stride, padding, dilation, ceil_mode) -> PoolGeometry:
    """``pool_geometry`` for these parameters, from a cache when they are plain ints.

    Validating and building the geometry costs more than pooling a 16x16 grid,
    and an app recomputes the same geometry on every edit. Only exact ``int``s,
    pairs of them, ``None`` and ``bool`` are cached: other types (numpy ints,
    lists, bools posing as ints) are validated afresh, so that ``1`` and
    ``True`` can never share a cache entry.
    """
    if type(ceil_mode) is bool and _plain(kernel_size) and _plain(stride) and _plain(padding) and _plain(dilation):
        return _cached_geometry(tuple(in_shape), kernel_size, stride, padding, dilation, ceil_mode)
    return pool_geometry(in_shape, kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)


def _plain(value) -> bool:
    """True for ``None``, an ``int`` or a tuple of ``int`` (exact types: no bool, no numpy ints)."""
    if value is None or type(value) is int:
        return True
    return type(value) is tuple and all(type(v) is int for v in value)


@functools.lru_cache(maxsize=256)
def _cached_geometry(in_shape, kernel_size, stride, padding, dilation, ceil_mode) -> PoolGeometry:
    """``pool_geometry``, memoised (PoolGeometry is frozen, so sharing it is safe)."""
    return pool_geometry(in_shape, kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)


def _forward_fast(planes: np.ndarray, geom: PoolGeometry):
    """(out, indices) from a fast path of ``_fast``, or None where only the general scan applies.

    Fast paths take float32/float64 inputs with at most 255 window positions
    (the winner's position is kept as uint8); they return None themselves when
    a window holds NaN. Small inputs go to the gather path, whose cost is a
    handful of numpy calls; larger ones to the phase path, whose cost is a few
    contiguous passes over the data, for planes up to ``_fast.PHASE_MAX_PLANE``
    elements (its scratch arrays are sized by the plane).
    """
    B, H, W = planes.shape
    K = geom.kernel[0] * geom.kernel[1]
    if planes.dtype not in _fast.FAST_DTYPES or B == 0 or K > 255:
        return None
    if B * geom.out_shape[0] * geom.out_shape[1] * K <= _fast.GATHER_MAX_ELEMENTS:
        return _fast.forward_gather(planes, geom)
    if H * W > _fast.PHASE_MAX_PLANE:
        return None
    return _fast.forward_phases(planes, geom)


def _valid_span(n_out: int, start: int, stride: int, size: int) -> tuple[int, int]:
    """Range [lo, hi) of outputs o whose position ``o*stride + start`` lies in [0, size)."""
    lo = max(0, -(start // stride))  # smallest o with o*stride + start >= 0
    hi = min(n_out, (size - 1 - start) // stride + 1) if start <= size - 1 else 0
    return lo, max(lo, hi)


def _first_valid_offset(positions: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per output: offset of its first in-range window position, and whether one exists."""
    ok = (positions >= 0) & (positions < size)
    return ok.argmax(axis=1), ok.any(axis=1)


def _scan_max(
    src: np.ndarray,
    n_out: int,
    kernel: int,
    stride: int,
    pad: int,
    dilation: int,
    axis_size: int,
    has_nan: bool,
    carry: np.ndarray | None = None,
):
    """Running max along the last axis of ``src``: one pass per window offset.

    Returns the max over each window (``-inf`` where the window is all padding),
    the winning offset within the window, and (when ``carry`` is given) the
    ``carry`` value at the winning position. The update rule is PyTorch's
    ``val > maxval || isnan(val)``: strict, so the first maximum stays, and any
    NaN takes over, so the last NaN stays.
    """
    shape = src.shape[:-1] + (n_out,)
    best = np.full(shape, -np.inf, dtype=src.dtype)
    offset_dtype = np.uint8 if kernel <= 256 else np.int32
    positions = np.arange(n_out)[:, None] * stride - pad + np.arange(kernel)[None, :] * dilation
    first, _ = _first_valid_offset(positions, axis_size)
    # Start at the first in-range position, as PyTorch does: an all -inf window
    # then reports that position, not a padded one.
    arg = np.empty(shape, dtype=offset_dtype)
    arg[...] = first.astype(offset_dtype)
    carried = None
    if carry is not None:
        carried = np.empty(shape, dtype=carry.dtype)
        start_cols = positions[np.arange(n_out), first].clip(0, axis_size - 1)
        carried[...] = carry[..., start_cols]
    for a in range(kernel):
        start = a * dilation - pad
        lo, hi = _valid_span(n_out, start, stride, axis_size)
        if lo >= hi:
            continue
        first_pos = lo * stride + start
        cand = src[..., first_pos : first_pos + (hi - lo - 1) * stride + 1 : stride]
        cur = best[..., lo:hi]
        mask = cand > cur
        if has_nan:
            mask |= np.isnan(cand)
        np.copyto(cur, cand, where=mask)
        np.copyto(arg[..., lo:hi], a, where=mask, casting="unsafe")
        if carry is not None:
            cand_carry = carry[..., first_pos : first_pos + (hi - lo - 1) * stride + 1 : stride]
            np.copyto(carried[..., lo:hi], cand_carry, where=mask)
    return best, arg, carried


def _forward_planes(planes: np.ndarray, geom: PoolGeometry, has_nan: bool):
    """Separable max over (B, H, W) planes: along rows first, then along columns.

    First-in-scan-order survives the split: the column pass keeps the first row
    holding the maximum, and the row pass kept that row's first column.
    """
    H, W = geom.in_shape
    H_out, W_out = geom.out_shape
    (kH, kW), (sH, sW), (pH, pW), (dH, dW) = geom.kernel, geom.stride, geom.padding, geom.dilation
    row_max, col_arg, _ = _scan_max(planes, W_out, kW, sW, pW, dW, W, has_nan)
    # Now scan down the columns: move H to the last axis (a view, no copy).
    out_t, row_arg_t, col_arg_t = _scan_max(
        row_max.swapaxes(-1, -2),
        H_out,
        kH,
        sH,
        pH,
        dH,
        H,
        has_nan,
        carry=col_arg.swapaxes(-1, -2),
    )
    out = np.ascontiguousarray(out_t.swapaxes(-1, -2))
    row_off = row_arg_t.swapaxes(-1, -2)
    col_off = col_arg_t.swapaxes(-1, -2)
    base = (np.arange(H_out) * sH - pH)[:, None] * W + (np.arange(W_out) * sW - pW)[None, :]
    indices = base + row_off * np.int64(dH * W) + col_off * np.int64(dW)
    empty = _empty_windows(geom)
    if empty is not None:
        indices[..., empty] = -1
    return out, indices


def _empty_windows(geom: PoolGeometry) -> np.ndarray | None:
    """(H_out, W_out) bool: windows with no position inside the input, or None if there are none."""
    rows, cols = geom.window_rows(), geom.window_cols()
    H, W = geom.in_shape
    row_ok = ((rows >= 0) & (rows < H)).any(axis=1)
    col_ok = ((cols >= 0) & (cols < W)).any(axis=1)
    if row_ok.all() and col_ok.all():
        return None
    return ~(row_ok[:, None] & col_ok[None, :])


def check_tie_policy(tie_policy: str) -> str:
    """Return ``tie_policy`` if it is one of TIE_POLICIES, else raise ValueError."""
    if tie_policy not in TIE_POLICIES:
        raise ValueError(f"tie_policy={tie_policy!r} is invalid: choose one of {', '.join(TIE_POLICIES)}")
    return tie_policy


def _check_dout(dout, res: MaxPoolResult) -> np.ndarray:
    dout = np.asarray(dout)
    if dout.shape != res.out.shape:
        raise ValueError(f"dout has shape {dout.shape}; it must have the output's shape {res.out.shape}")
    return dout.astype(res.x.dtype, copy=False)


def tied_mask(res: MaxPoolResult) -> tuple[np.ndarray, np.ndarray]:
    """Which positions of each window hold its maximum.

    Returns
    -------
    tied : ndarray of bool, shape (..., H_out, W_out, kH, kW)
        True where the position is in the input and equals the window's max;
        for a window holding NaN, True at its NaN positions.
    window_index : ndarray of int64, shape (H_out, W_out, kH, kW)
        Flat input index of each position, -1 in padding.
    """
    geom = res.geometry
    widx = geom.window_index()
    H, W = geom.in_shape
    planes = res.x.reshape(-1, H * W)
    # Append one -inf column so that index -1 (padding) gathers -inf.
    padded = np.concatenate([planes, np.full((planes.shape[0], 1), -np.inf, planes.dtype)], axis=1)
    values = padded[:, widx]  # (B, H_out, W_out, kH, kW)
    top = res.out.reshape(-1, *geom.out_shape)[..., None, None]
    tied = (values == top) | (np.isnan(top) & np.isnan(values))
    tied &= widx >= 0
    return tied.reshape(*res.out.shape, *geom.kernel), widx


def window_weights(res: MaxPoolResult, tie_policy: str = "first") -> np.ndarray:
    """Share of each window's upstream gradient that each window position receives.

    Returns
    -------
    ndarray, shape (..., H_out, W_out, kH, kW), dtype of ``x``
        ``dL/dx = sum over windows of weight * dL/dy`` scattered to each
        position's input index. Rows of a window sum to 1 for first, last and
        split; to the tie count for all; to 0 for none when tied.
    """
    check_tie_policy(tie_policy)
    tied, widx = tied_mask(res)
    kH, kW = res.geometry.kernel
    flat = tied.reshape(*tied.shape[:-2], kH * kW)
    count = flat.sum(axis=-1, keepdims=True)
    dtype = res.x.dtype
    if tie_policy == "first":
        # PyTorch's winner, NaN quirk included: the recorded index itself.
        win = (widx.reshape(*widx.shape[:2], kH * kW) == res.indices[..., None]) & (res.indices[..., None] >= 0)
        weights = win.astype(dtype)
    elif tie_policy == "last":
        last = kH * kW - 1 - flat[..., ::-1].argmax(axis=-1)
        weights = (np.arange(kH * kW) == last[..., None]) & (count > 0)
        weights = weights.astype(dtype)
    elif tie_policy == "split":
        weights = flat / np.maximum(count, 1).astype(dtype)
        weights = weights.astype(dtype)
    elif tie_policy == "all":
        weights = flat.astype(dtype)
    else:  # "none": a unique max still gets the gradient; tied maxima get nothing
        weights = (flat & (count == 1)).astype(dtype)
    return weights.reshape(tied.shape)


def max_pool2d_backward(dout, res: MaxPoolResult, tie_policy: str = "first") -> np.ndarray:
    """Gradient of ``L`` with respect to ``x`` given ``dout = dL/dy``.

    Parameters
    ----------
    dout : array_like, shape (..., H_out, W_out)
        Upstream gradient, same shape as ``res.out``.
    res : MaxPoolResult or MaxPool1dResult
        From ``max_pool2d``, ``adaptive_max_pool2d`` or ``max_pool1d`` (then
        ``dout`` has shape (..., L_out) and dx the shape of the 1-D x).
    tie_policy : {"first", "last", "split", "all", "none"}
        Who gets the gradient when a window's maximum is tied (see TIE_POLICIES).

    Returns
    -------
    dx : ndarray, shape of ``res.x``, dtype of ``res.x``
        Zero everywhere but at winners; a winner of several overlapping
        windows receives the sum of their gradients, added in output scan
        order as PyTorch does (so float32 sums match bit for bit).
    """
    if isinstance(res, MaxPool1dResult):
        dout = np.asarray(dout)
        if dout.shape != res.out.shape:
            raise ValueError(f"dout has shape {dout.shape}; it must have the output's shape {res.out.shape}")
        return max_pool2d_backward(dout[..., None, :], res.plane, tie_policy).reshape(res.x.shape)
    check_tie_policy(tie_policy)
    dout = _check_dout(dout, res)
    H, W = res.geometry.in_shape
    n_planes = math.prod(res.x.shape[:-2])
    n_windows = math.prod(res.geometry.out_shape)  # explicit, so that zero planes reshape too
    if tie_policy == "first" and n_planes == 1 and H * W <= SMALL_BINCOUNT:
        # A small grid, as the app shows: one np.bincount call where it is exact.
        dx = _first_by_bincount(res.indices.reshape(-1), dout.reshape(-1), H * W, res)
        if dx is not None:
            return dx.reshape(res.x.shape)
    dx = np.zeros((n_planes, H * W), dtype=res.x.dtype)
    if tie_policy == "first":
        # One path for disjoint and overlapping windows: ``dx[winner] += g`` in
        # output order, PyTorch's own loop (so a -0.0 gradient lands as +0.0
        # there too, and float32 overlap sums round identically).
        _scatter_add(dx, res.indices.reshape(n_planes, n_windows), dout.reshape(n_planes, n_windows))
    else:
        weights = window_weights(res, tie_policy)
        widx = res.geometry.window_index()
        sent = weights * dout[..., None, None]
        sent = sent.reshape(n_planes, n_windows * math.prod(res.geometry.kernel))
        idx = np.broadcast_to(widx.reshape(-1), sent.shape)
        _scatter_add(dx, idx, sent)
    return dx.reshape(res.x.shape)


SMALL_BINCOUNT = 1 << 12
"""Largest single plane whose "first" backward may use ``_first_by_bincount`` (its float64
sums then stay small; on large inputs ``np.add.at`` is faster)."""


@functools.lru_cache(maxsize=256)
def _overlapping(geom: PoolGeometry) -> bool:
    """``geom.overlapping``, memoised: the property costs more than the 16x16 backward it guards."""
    return geom.overlapping


def _first_by_bincount(idx: np.ndarray, g: np.ndarray, size: int, res: MaxPoolResult) -> np.ndarray | None:
    """The "first" backward of one small plane in one ``np.bincount`` call, or None if it does not apply.

    ``np.bincount`` adds the weights in float64, in the order given (output
    scan order). For float64 that is PyTorch's sum exactly. For float32 it is
    exact only while each input receives at most one gradient, so only for
    windows that cannot overlap (``0.0 + g`` then rounds back to ``g``, with
    -0.0 becoming +0.0 as in PyTorch). A negative index (a window wholly in
    padding) makes bincount raise; the caller then takes ``_scatter_add``.
    For a 16x16 grid this replaces three numpy calls, one a reduction.
    """
    dtype = res.x.dtype
    if not (dtype == np.float64 or (dtype == np.float32 and not _overlapping(res.geometry))):
        return None
    try:
        sums = np.bincount(idx, weights=g, minlength=size)
    except ValueError:  # negative index
        return None
    if sums.size != size:  # an index past the plane: let _scatter_add raise IndexError
        return None
    return sums.astype(dtype, copy=False)


SCATTER_CHUNK = 1 << 18
"""Indices per ``np.add.at`` call in ``_scatter_add``: the flat indices are built
chunk by chunk in one small reused buffer, instead of in a fresh array as large
as ``indices`` (whose first touch of new memory costs more than the arithmetic)."""


def _scatter_add(dx: np.ndarray, idx: np.ndarray, values: np.ndarray) -> None:
    """dx[p, idx[p, o]] += values[p, o], in order of o; index -1 is skipped.

    ``np.add.at`` adds one value at a time, in the array's dtype and in the
    order given: the same order and rounding as PyTorch's CPU loop. (Summing
    in float64 with ``np.bincount`` and rounding once would differ for
    float32 inputs that win three or more windows, and is slower here.)
    """
    n_planes, plane = dx.shape
    if idx.size and idx.min() < 0:  # only windows wholly in padding have index -1
        keep = idx >= 0
        rows = np.broadcast_to(np.arange(n_planes, dtype=np.int64)[:, None], idx.shape)
        np.add.at(dx.reshape(-1), rows[keep] * plane + idx[keep], values[keep])
        return
    if n_planes == 1:
        np.add.at(dx.reshape(-1), idx.reshape(-1), values.reshape(-1))
        return
    # Planes are independent: scatter a chunk of planes at a time, each into its
    # own rows of dx, with indices made flat by a per-row offset.
    chunk = max(1, min(n_planes, SCATTER_CHUNK // max(1, idx.shape[1])))
    row_offset = (np.arange(chunk, dtype=np.int64) * plane)[:, None]
    flat = np.empty((chunk, idx.shape[1]), np.int64)
    for start in range(0, n_planes, chunk):
        stop = min(n_planes, start + chunk)
        np.add(idx[start:stop], row_offset[: stop - start], out=flat[: stop - start])
        np.add.at(dx[start:stop].reshape(-1), flat[: stop - start].reshape(-1), values[start:stop].reshape(-1))
