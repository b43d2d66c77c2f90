"""Adaptive (and global) max pooling: the output size is given, the windows follow from it.

PyTorch's rule (``aten/src/ATen/native/AdaptivePooling.h``): output row ``i``
of ``H_out`` covers input rows ``floor(i*H/H_out)`` up to, not including,
``ceil((i+1)*H/H_out)``; columns likewise. Windows can differ in size by one
and neighbours can overlap. Global max pooling is output size 1x1.

The result is a ``MaxPoolResult`` whose geometry is an ``AdaptiveGeometry``:
its windows are padded with ``-inf`` positions up to the largest window size,
so ``max_pool2d_backward`` and the explanation functions work on it unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .geometry import PoolGeometry
from .maxpool import MaxPoolResult, as_float_input
from .windows import gather_windows, scan_winners


def adaptive_bounds(size: int, out: int) -> tuple[tuple[int, int], ...]:
    """``(start, end)`` of each of ``out`` windows over ``size`` positions (end exclusive), PyTorch's rule."""
    return tuple(((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out))


@dataclass(frozen=True)
class AdaptiveGeometry(PoolGeometry):
    """Windows of adaptive pooling: a ``PoolGeometry`` whose windows have their own bounds.

    ``kernel`` is the largest window's size; a shorter window's missing
    positions lie outside the input (they read ``-inf``, like padding).
    ``stride``, ``padding`` and ``dilation`` are (1, 1), (0, 0), (1, 1) and
    not used to place windows.
    """

    row_bounds: tuple[tuple[int, int], ...] = ()
    col_bounds: tuple[tuple[int, int], ...] = ()

    @property
    def extent(self):
        return self.kernel

    @property
    def overlapping(self) -> bool:
        return any(b[0] < a[1] for bounds in (self.row_bounds, self.col_bounds) for a, b in zip(bounds, bounds[1:]))

    def window_rows(self) -> np.ndarray:
        """(H_out, kH) int64: input row of each window position; -1 past a short window's end."""
        return _positions(self.row_bounds, self.kernel[0])

    def window_cols(self) -> np.ndarray:
        """(W_out, kW) int64: input column of each window position; -1 past a short window's end."""
        return _positions(self.col_bounds, self.kernel[1])

    def window_cells(self, i: int, j: int) -> np.ndarray:
        """(n, 2) int: the (row, col) of each cell of window (i, j); n varies between windows."""
        (r0, r1), (c0, c1) = self.row_bounds[i], self.col_bounds[j]
        rows, cols = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
        return np.stack([rows.reshape(-1), cols.reshape(-1)], axis=-1)

    def all_window_cells(self) -> np.ndarray:
        """(H_out*W_out, kH*kW, 2) int: each window's cells, short windows repeating their first cell (for outlines)."""
        cells = self.window_index()
        W = self.in_shape[1]
        first = cells.reshape(*cells.shape[:2], -1)[..., :1]
        flat = np.where(cells.reshape(*cells.shape[:2], -1) >= 0, cells.reshape(*cells.shape[:2], -1), first)
        flat = flat.reshape(-1, flat.shape[-1])
        return np.stack([flat // W, flat % W], axis=-1)


def _positions(bounds, kernel: int) -> np.ndarray:
    starts = np.array([b[0] for b in bounds], dtype=np.int64)[:, None]
    ends = np.array([b[1] for b in bounds], dtype=np.int64)[:, None]
    pos = starts + np.arange(kernel, dtype=np.int64)[None, :]
    return np.where(pos < ends, pos, -1)


def _output_pair(output_size, in_shape) -> tuple[int, int]:
    if output_size is None or isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise ValueError(f"output_size={output_size!r} is invalid: give an int or a pair (H_out, W_out)")
    pair = []
    for value, size in zip(output_size, in_shape):
        if value is None:  # PyTorch: None keeps that side of the input
            value = size
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"output_size={tuple(output_size)!r} is invalid: each side must be an int of at least 1")
        pair.append(int(value))
    return tuple(pair)


def adaptive_geometry(in_shape, output_size) -> AdaptiveGeometry:
    """Windows of adaptive pooling of an (H, W) plane to ``output_size`` (int, pair, or None per side)."""
    H, W = (int(v) for v in in_shape)
    if H < 1 or W < 1:
        raise ValueError(f"input size {H}x{W} is invalid: each side of the input must be at least 1")
    H_out, W_out = _output_pair(output_size, (H, W))
    rows, cols = adaptive_bounds(H, H_out), adaptive_bounds(W, W_out)
    kernel = (max(e - s for s, e in rows), max(e - s for s, e in cols))
    return AdaptiveGeometry((H, W), kernel, (1, 1), (0, 0), (1, 1), False, (H_out, W_out), rows, cols)


def adaptive_max_pool2d(x, output_size) -> MaxPoolResult:
    """Adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool2d(x, output_size, return_indices=True)``.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
    output_size : int or (H_out, W_out)
        A side may be None to keep the input's size there. (1, 1) is global max pooling.

    Returns
    -------
    MaxPoolResult
        ``.out`` and ``.indices`` of shape (..., H_out, W_out); ``.indices`` flat
        ``h*W + w`` of each winner: the first maximum in row-major order, or
        the last NaN (PyTorch's ``val > maxval || isnan(val)``). Pass it to
        ``max_pool2d_backward`` under any tie policy.

    Examples
    --------
    >>> adaptive_max_pool2d([[1, 2, 3], [4, 5, 6]], (1, 2)).out
    array([[5., 6.]])
    """
    x = as_float_input(x)
    geom = adaptive_geometry(x.shape[-2:], output_size)
    H, W = geom.in_shape
    planes = x.reshape(-1, H * W)
    widx = geom.window_index().reshape(math.prod(geom.out_shape), -1)
    best, arg = scan_winners(gather_windows(planes, widx), widx >= 0, "pytorch")
    indices = np.take_along_axis(np.broadcast_to(widx, arg.shape + (widx.shape[1],)), arg[..., None], axis=2)[..., 0]
    shape = x.shape[:-2] + geom.out_shape
    return MaxPoolResult(out=best.astype(x.dtype).reshape(shape), indices=indices.reshape(shape), x=x, geometry=geom)
