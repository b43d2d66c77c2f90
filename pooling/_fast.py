"""Fast exact paths for ``max_pool2d`` (private; plain numpy, no new dependencies).

Both paths return exactly what the general scan in ``maxpool.py`` returns, bit
for bit, or ``None`` when the input needs the general scan (a window holding
NaN, where PyTorch keeps the *last* NaN). They rest on one fact: without NaN,
PyTorch's winner is the first position, in row-major scan order, whose value
equals the window's maximum (``val > maxval`` is strict, so a later equal
value never replaces it). So the maximum can be taken with ``np.maximum``
(SIMD, no masks) and the winner found afterwards by equality tests in scan
order.

- ``forward_phases`` (large inputs): splits the input into stride phases so
  that every window position becomes a contiguous, shifted 1-D slice; each
  step is then one contiguous ufunc call over all planes at once.
- ``forward_gather`` (small inputs, where per-call overhead dominates): one
  gather of every window into a (windows, kH*kW) matrix and one ``argmax``.

Two corner cases the equality test alone gets wrong are fixed afterwards:
a window whose values are all ``-inf`` (PyTorch reports its first position
inside the input, never padding) and, only if this numpy's ``np.maximum``
does not keep its second operand on ties, the sign of a zero maximum
(PyTorch keeps the first of ``-0.0`` and ``0.0``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .geometry import PoolGeometry

FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""Dtypes the fast paths handle (those the tie probe below checks); others take the general scan."""

GATHER_MAX_ELEMENTS = 1 << 14
"""Above this many gathered window elements (planes * windows * kH*kW), ``forward_phases`` is faster."""

PHASE_MAX_PLANE = 1 << 22
"""Largest plane (H*W elements) for ``forward_phases``: it works on whole planes, with some
two dozen bytes of scratch per input element, so larger planes take the general scan."""


def _maximum_keeps_second_operand_on_ties() -> bool:
    """Whether ``np.maximum(a, b)`` returns ``b`` when ``a == b`` (checked on -0.0 vs 0.0).

    Probed once at import over float32 and float64, lengths that exercise the
    scalar and the SIMD loops, and a misaligned view, because the forward pass
    relies on it to give ``-0.0``/``0.0`` ties the sign of the first maximum.
    """
    for dtype in FAST_DTYPES:
        for n in (1, 3, 8, 17, 64, 1031):
            neg = np.full(n + 1, -0.0, dtype)[1:]  # misaligned on purpose
            pos = np.zeros(n, dtype)
            if not np.signbit(np.maximum(pos, neg)).all() or np.signbit(np.maximum(neg, pos)).any():
                return False
    return True


MAXIMUM_KEEPS_SECOND = _maximum_keeps_second_operand_on_ties()


def _readonly(a: np.ndarray) -> np.ndarray:
    """Mark a cached array read-only so that no caller can corrupt the cache."""
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=16)  # (H_out, W_out) arrays: keep only a few geometries
def first_inside_index(geom: PoolGeometry) -> np.ndarray:
    """(H_out, W_out) int64: flat index of each window's first position inside the input, -1 if none.

    PyTorch's winner of a window whose values are all ``-inf`` (nothing beats
    the initial ``-inf``), and our -1 for a window wholly in padding.
    """
    H, W = geom.in_shape
    rows, cols = geom.window_rows(), geom.window_cols()
    row_ok = (rows >= 0) & (rows < H)
    col_ok = (cols >= 0) & (cols < W)
    first_row = rows[np.arange(len(rows)), row_ok.argmax(axis=1)]
    first_col = cols[np.arange(len(cols)), col_ok.argmax(axis=1)]
    flat = first_row[:, None] * W + first_col[None, :]
    inside = row_ok.any(axis=1)[:, None] & col_ok.any(axis=1)[None, :]
    return _readonly(np.where(inside, flat, -1))


def _fix_corner_cases(
    out: np.ndarray, indices: np.ndarray, planes: np.ndarray, geom: PoolGeometry, values_exact: bool = False
) -> bool:
    """Patch ``indices`` (and ``out``) in place where equality tests differ from PyTorch.

    ``out`` and ``indices`` have shape (B, H_out, W_out), ``planes`` (B, H, W);
    ``values_exact`` says ``out`` was read at the winners (so no
    zero can have the wrong sign). Returns False when some window holds NaN:
    the caller must then use the general scan. The checks cost one reduction
    over ``out`` unless one of the rare cases is present.
    """
    lowest = float(out.min())  # NaN if any window holds NaN, -inf if any window is all -inf
    if lowest != lowest:  # NaN
        return False
    if lowest == -np.inf:
        # All -inf (or all padding): PyTorch reports the first inside position.
        all_minus_inf = out == -np.inf
        indices[all_minus_inf] = np.broadcast_to(first_inside_index(geom), out.shape)[all_minus_inf]
    if not (values_exact or MAXIMUM_KEEPS_SECOND):
        # np.maximum may have returned the later of -0.0 / 0.0: take the winner's own value.
        zero = out == 0
        if zero.any():
            plane = np.broadcast_to(np.arange(out.shape[0])[:, None, None], out.shape)[zero]
            out[zero] = planes.reshape(planes.shape[0], -1)[plane, indices[zero]]
    return True


# --- small inputs: gather every window, then argmax ------------------------------------


@dataclass(frozen=True, eq=False)
class GatherPlan:
    """Index tables for ``forward_gather``, computed once per geometry.

    Attributes
    ----------
    gather : ndarray of intp, shape (H_out*W_out*kH*kW,)
        Flat input index of each window position, windows in output order and
        positions in scan order; 0 for padding (overwritten with ``-inf``).
    padding : ndarray of intp
        Where ``gather`` points into padding.
    window_index : ndarray of int64, shape (H_out*W_out*kH*kW,)
        As ``gather`` but -1 for padding: what ``indices`` reports.
    row_start : ndarray of intp, shape (H_out*W_out,)
        Offset of each window's first position in ``gather``.
    """

    gather: np.ndarray
    padding: np.ndarray
    window_index: np.ndarray
    row_start: np.ndarray


@functools.lru_cache(maxsize=64)  # at most GATHER_MAX_ELEMENTS entries per table
def gather_plan(geom: PoolGeometry) -> GatherPlan:
    """The cached ``GatherPlan`` of ``geom``."""
    kH, kW = geom.kernel
    widx = geom.window_index().reshape(-1)
    n_windows = geom.out_shape[0] * geom.out_shape[1]
    return GatherPlan(
        gather=_readonly(np.where(widx >= 0, widx, 0).astype(np.intp)),
        padding=_readonly(np.flatnonzero(widx < 0).astype(np.intp)),
        window_index=_readonly(widx.astype(np.int64)),
        row_start=_readonly(np.arange(n_windows, dtype=np.intp) * (kH * kW)),
    )


def forward_gather(planes: np.ndarray, geom: PoolGeometry):
    """Max pooling of (B, H, W) planes by one gather and one ``argmax``; for small inputs.

    ``argmax`` returns the first maximum, which is PyTorch's winner unless the
    window holds NaN (``argmax`` takes the first NaN, PyTorch the last): then
    None is returned and the caller uses the general scan. Written for few
    numpy calls, since on a 16x16 grid each call costs more than the work.

    Returns
    -------
    (out, indices) of shapes (B, H_out, W_out), or None.
    """
    plan = gather_plan(geom)
    B = planes.shape[0]
    K = geom.kernel[0] * geom.kernel[1]
    if B == 1:
        windows = planes.reshape(-1)[plan.gather]  # each window's values in scan order
        if plan.padding.size:
            windows[plan.padding] = -np.inf
        pos = windows.reshape(-1, K).argmax(axis=1)
        pos += plan.row_start  # the winner's position in ``windows``
        indices = plan.window_index[pos]
    else:
        windows = planes.reshape(B, -1)[:, plan.gather]
        if plan.padding.size:
            windows[:, plan.padding] = -np.inf
        windows = windows.reshape(-1)
        pos = windows.reshape(-1, K).argmax(axis=1)
        pos += np.arange(0, windows.size, K)
        indices = plan.window_index.take(pos, mode="wrap")  # the plane's table, repeated
    # Read the value at the winner (not a max reduction) so that a -0.0/0.0
    # tie keeps the first one's sign, as PyTorch does.
    out = windows[pos]
    shape = (B, *geom.out_shape)
    out, indices = out.reshape(shape), indices.reshape(shape)
    if not _fix_corner_cases(out, indices, planes, geom, values_exact=True):
        return None
    return out, indices


# --- large inputs: stride phases and contiguous shifted slices ------------------------


@dataclass(frozen=True)
class AxisPhases:
    """How the window positions along one axis map onto the stride phases of that axis.

    Window ``i``'s position ``a`` is input row ``h = i*s - p + a*d``. Writing
    ``a*d - p = q_a*s + r_a`` (floor division), ``h = (i + q_a)*s + r_a``: the
    row ``i + q_a`` of *phase* ``r_a`` (the rows congruent to ``r_a`` mod ``s``).
    Each phase is stored with ``length`` rows, row ``u`` holding input row
    ``(u + q_min)*s + r`` or ``-inf`` padding, so position ``a`` of window
    ``i`` sits at row ``i + shift[a]`` of phase ``phases[phase_of[a]]``.

    Attributes
    ----------
    phases : tuple of int
        The residues ``r`` used by some position, ascending.
    phase_of : tuple of int
        For each position ``a``: index into ``phases``.
    shift : tuple of int
        For each position ``a``: ``q_a - q_min`` (>= 0).
    length : int
        Rows per phase: ``n_out + max(shift)``.
    copies : tuple of (int, int, int)
        For each phase: rows ``[lo, hi)`` hold input rows ``start, start + s, ...``;
        the others are padding.
    """

    phases: tuple[int, ...]
    phase_of: tuple[int, ...]
    shift: tuple[int, ...]
    length: int
    copies: tuple[tuple[int, int, int], ...]


def axis_phases(size: int, n_out: int, kernel: int, stride: int, pad: int, dilation: int) -> AxisPhases:
    """The ``AxisPhases`` of one axis (see there)."""
    starts = [a * dilation - pad for a in range(kernel)]
    q = [t // stride for t in starts]
    r = [t % stride for t in starts]
    q_min = min(q)  # <= 0, since position 0 starts at -pad
    phases = tuple(sorted(set(r)))
    length = n_out + max(q) - q_min
    copies = []
    for ph in phases:
        lo = -q_min  # the phase row holding input row ph (u = 0)
        hi = min(length, (size - 1 - ph) // stride + 1 - q_min)  # past the last input row of this phase
        copies.append((lo, max(lo, hi), ph))
    return AxisPhases(
        phases=phases,
        phase_of=tuple(phases.index(v) for v in r),
        shift=tuple(v - q_min for v in q),
        length=length,
        copies=tuple(copies),
    )


@dataclass(frozen=True, eq=False)
class PhasePlan:
    """Everything ``forward_phases`` needs that depends only on the geometry.

    Attributes
    ----------
    rows, cols : AxisPhases
    identity : bool
        Stride 1 and no padding on both axes: the single phase is the input
        itself, so no copy is needed.
    base : ndarray of int64, shape (H_out, W_out)
        ``(i*sH - pH)*W + (j*sW - pW)``: flat index of window (i, j)'s
        position (0, 0), which may lie in padding.
    """

    rows: AxisPhases
    cols: AxisPhases
    identity: bool
    base: np.ndarray


@functools.lru_cache(maxsize=16)  # ``base`` is an (H_out, W_out) array: keep only a few
def phase_plan(geom: PoolGeometry) -> PhasePlan:
    """The cached ``PhasePlan`` of ``geom``."""
    (H, W), (H_out, W_out) = geom.in_shape, geom.out_shape
    (kH, kW), (sH, sW), (pH, pW), (dH, dW) = geom.kernel, geom.stride, geom.padding, geom.dilation
    rows = axis_phases(H, H_out, kH, sH, pH, dH)
    cols = axis_phases(W, W_out, kW, sW, pW, dW)
    base = (np.arange(H_out, dtype=np.int64) * sH - pH)[:, None] * W + (np.arange(W_out, dtype=np.int64) * sW - pW)
    identity = sH == sW == 1 and pH == pW == 0
    return PhasePlan(rows=rows, cols=cols, identity=identity, base=_readonly(base))


CHUNK_ELEMENTS = 1 << 16
"""Elements of one phase-layout array per chunk of planes. The scratch arrays of one
chunk then total about 2 MB for float32 (this machine's L2 cache), so every pass runs
in cache, and they are reused from chunk to chunk instead of allocated fresh (one
pass over fresh memory costs its page faults). Measured: 2**15 to 2**17 are within
noise of each other; 2**18 is twice as slow."""


class _PhaseScratch:
    """Scratch arrays for ``forward_phases``, sized for ``chunk`` planes and reused for every chunk.

    ``phases`` is the input rearranged as (row phases, column phases,
    planes*rows*cols), phase-major so that one position of every window of
    every plane in the chunk is a single contiguous slice. Its padding is set
    to ``-inf`` once here; ``load`` only overwrites the inside.
    """

    def __init__(self, plan: PhasePlan, geom: PoolGeometry, chunk: int, dtype: np.dtype):
        rows, cols = plan.rows, plan.cols
        self.plan, self.geom, self.chunk = plan, geom, chunk
        size = chunk * rows.length * cols.length
        if plan.identity:
            self.phases = None  # the input itself is the only phase
        else:
            self.phases = np.empty((len(rows.phases), len(cols.phases), chunk, rows.length, cols.length), dtype)
            for ri, (r_lo, r_hi, _) in enumerate(rows.copies):
                for ci, (c_lo, c_hi, _) in enumerate(cols.copies):
                    dst = self.phases[ri, ci]
                    dst[:, :r_lo] = -np.inf
                    dst[:, r_hi:] = -np.inf
                    dst[:, r_lo:r_hi, :c_lo] = -np.inf
                    dst[:, r_lo:r_hi, c_hi:] = -np.inf
        n_row_max = len(rows.phases) if geom.kernel[1] > 1 else 0
        self.row_max = np.empty((n_row_max, size), dtype)
        self.top = np.empty(size, dtype)
        self.still = np.empty(size, bool)
        self.differs = np.empty(size, bool)
        self.code = np.empty(size, np.uint8)
        self.code_row = np.empty(size, np.uint8)
        # The winner's offset from its window's corner, in int16 when every
        # intermediate of step 3 fits (halves the traffic of that step).
        (kH, kW), (dH, dW) = geom.kernel, geom.dilation
        W = geom.in_shape[1]
        row_step = dH * W - kW * dW
        largest = max(
            (kH * kW - 1) * dW,  # k * dW
            kH * abs(row_step),  # a * row_step (and row_step itself)
            (kH - 1) * dH * W + (kW - 1) * dW,  # the offset
            dW,
        )
        self.offset_dtype = np.dtype(np.int16 if largest < 2**15 else np.int32)
        self.offset = np.empty(size, self.offset_dtype)
        self.offset_row = np.empty(size, self.offset_dtype)

    def load(self, planes: np.ndarray) -> np.ndarray:
        """Copy (c, H, W) planes, c <= chunk, into the phases; return them as (row ph., col ph., c*rows*cols)."""
        plan, c = self.plan, planes.shape[0]
        rows, cols = plan.rows, plan.cols
        if plan.identity:
            return planes.reshape(1, 1, -1)
        sH, sW = self.geom.stride
        for ri, (r_lo, r_hi, r_src) in enumerate(rows.copies):
            for ci, (c_lo, c_hi, c_src) in enumerate(cols.copies):
                if r_hi > r_lo and c_hi > c_lo:
                    self.phases[ri, ci, :c, r_lo:r_hi, c_lo:c_hi] = planes[
                        :,
                        r_src : r_src + (r_hi - r_lo - 1) * sH + 1 : sH,
                        c_src : c_src + (c_hi - c_lo - 1) * sW + 1 : sW,
                    ]
        return self.phases.reshape(len(rows.phases), len(cols.phases), -1)


def forward_phases(planes: np.ndarray, geom: PoolGeometry):
    """Max pooling of (B, H, W) planes with contiguous 1-D ufunc calls; for large inputs.

    Planes are processed in chunks (see ``CHUNK_ELEMENTS``) so that the
    passes below run in cache. Within a chunk every array is laid out like
    the phases, (planes, rows, cols) flattened, with window (i, j) of plane n
    at ``(n*rows + i)*cols + j``; window position (a, b) is then the phase
    slice starting ``shift_a*cols + shift_b`` further on. Columns
    ``j >= W_out`` and rows ``i >= H_out`` of this layout are scratch.

    1. Maximum along the window's rows (for each row phase), then down its
       column: ``kW - 1`` + ``kH - 1`` calls of ``np.maximum(later, earlier)``.
    2. Winner: the number of leading positions, in scan order, that differ
       from the maximum (``kH*kW - 1`` comparisons, then bool/uint8 sums).
    3. ``indices = base + a*dH*W + b*dW`` for the winner's position (a, b).

    Returns
    -------
    (out, indices) of shapes (B, H_out, W_out), or None when a window holds NaN.
    """
    plan = phase_plan(geom)
    B, H, W = planes.shape
    H_out, W_out = geom.out_shape
    per_plane = plan.rows.length * plan.cols.length
    chunk = max(1, min(B, CHUNK_ELEMENTS // per_plane))
    scratch = _PhaseScratch(plan, geom, chunk, planes.dtype)
    out = np.empty((B, H_out, W_out), planes.dtype)
    indices = np.empty((B, H_out, W_out), np.int64)
    for start in range(0, B, chunk):
        stop = min(B, start + chunk)
        _pool_chunk(planes[start:stop], scratch, out[start:stop], indices[start:stop])
    if not _fix_corner_cases(out, indices, planes, geom):
        return None
    return out, indices


def _pool_chunk(planes: np.ndarray, scratch: _PhaseScratch, out: np.ndarray, indices: np.ndarray) -> None:
    """Steps 1-3 of ``forward_phases`` for c <= chunk planes, written into ``out`` and ``indices``."""
    plan, geom = scratch.plan, scratch.geom
    rows, cols = plan.rows, plan.cols
    (kH, kW), (dH, dW) = geom.kernel, geom.dilation
    H_out, W_out = geom.out_shape
    W = geom.in_shape[1]
    c = planes.shape[0]
    Hq, Wq = rows.length, cols.length
    phases = scratch.load(planes)
    n = (c - 1) * Hq * Wq + (H_out - 1) * Wq + W_out  # covers every real window
    n_rows = n + max(rows.shift) * Wq  # row maxima are also needed below the last window

    def column_slice(ri: int, b: int, length: int) -> np.ndarray:
        return phases[ri, cols.phase_of[b], cols.shift[b] : cols.shift[b] + length]

    # 1. Maxima. np.maximum(later, earlier) keeps ``earlier`` on a tie (probed at
    # import), so a -0.0/0.0 tie keeps the first one's sign, as PyTorch does.
    row_max = []
    for ri in range(len(rows.phases)):
        if kW == 1:
            row_max.append(column_slice(ri, 0, n_rows))
            continue
        acc = scratch.row_max[ri, :n_rows]
        np.maximum(column_slice(ri, 1, n_rows), column_slice(ri, 0, n_rows), out=acc)
        for b in range(2, kW):
            np.maximum(column_slice(ri, b, n_rows), acc, out=acc)
        row_max.append(acc)

    def row_slice(a: int) -> np.ndarray:
        start = rows.shift[a] * Wq
        return row_max[rows.phase_of[a]][start : start + n]

    in_place = Hq == H_out and Wq == W_out  # no scratch rows or columns: write maxima into ``out``
    top = out.reshape(-1) if in_place else scratch.top[:n]
    if kH == 1:
        np.copyto(top, row_slice(0))
    else:
        np.maximum(row_slice(1), row_slice(0), out=top)
        for a in range(2, kH):
            np.maximum(row_slice(a), top, out=top)

    # 2. Winner's scan position k = number of leading positions != max. Some
    # position equals the max (no NaN), so the last one needs no test.
    K = kH * kW
    code = scratch.code[: c * Hq * Wq]  # only [:n] is used; the rest is scratch layout
    if K == 1:
        code[:n] = 0
    else:
        still = scratch.still[:n]  # True while no position so far equals the max
        differs = scratch.differs[:n]
        start = rows.shift[0] * Wq + cols.shift[0]
        np.not_equal(phases[rows.phase_of[0], cols.phase_of[0], start : start + n], top, out=still)
        np.copyto(code[:n], still)
        for k in range(1, K - 1):
            a, b = divmod(k, kW)
            start = rows.shift[a] * Wq + cols.shift[b]
            np.not_equal(phases[rows.phase_of[a], cols.phase_of[b], start : start + n], top, out=differs)
            np.logical_and(still, differs, out=still)
            np.add(code[:n], still.view(np.uint8), out=code[:n])

    # 3. Flat index: base + a*dH*W + b*dW = base + k*dW + a*(dH*W - kW*dW), a = k // kW.
    offset = scratch.offset[: c * Hq * Wq]
    if dW == 1:
        np.copyto(offset[:n], code[:n])
    else:
        np.multiply(code[:n], dW, out=offset[:n], dtype=scratch.offset_dtype)
    row_step = dH * W - kW * dW
    if kH > 1 and row_step != 0:
        code_row = scratch.code_row[:n]
        np.floor_divide(code[:n], kW, out=code_row)
        offset_row = scratch.offset_row[:n]
        np.multiply(code_row, row_step, out=offset_row, dtype=scratch.offset_dtype)
        np.add(offset[:n], offset_row, out=offset[:n])
    # A widening copy, then an add of equal dtypes, beats one mixed-dtype add.
    np.copyto(indices, offset.reshape(c, Hq, Wq)[:, :H_out, :W_out])
    np.add(indices, plan.base, out=indices)
    if not in_place:
        np.copyto(out, scratch.top[: c * Hq * Wq].reshape(c, Hq, Wq)[:, :H_out, :W_out])
