"""Window geometry of 2-D pooling, with PyTorch's output-size rule and checks.

Everything here is about *where* windows sit; no values are read. The rules
follow ``aten/src/ATen/native/Pool.h`` so that shapes and rejections match
``torch.nn.functional.max_pool2d``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

Pair = tuple[int, int]


def as_pair(value, name: str) -> Pair:
    """Return ``value`` as an ``(h, w)`` pair of ints.

    Accepts an int or a sequence of two ints; anything else (floats, bools,
    strings, other lengths) raises ``ValueError`` naming the parameter.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value), int(value))
    if (
        isinstance(value, (tuple, list, np.ndarray))
        and len(value) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)
    ):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"{name}={value!r} is invalid: {name} must be an int or a pair (h, w) of ints")


def output_size(size: int, kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """Output length along one dimension, exactly as PyTorch computes it.

    ``floor((size + 2*pad - dilation*(kernel-1) - 1 + (stride-1 if ceil_mode)) / stride) + 1``;
    in ceil mode the last window may not *start* in the right padding, so one
    is taken off when ``(out - 1) * stride >= size + pad``.
    """
    numerator = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1  # Python's // floors, like PyTorch's div_rtn
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@dataclass(frozen=True)
class PoolGeometry:
    """Where every pooling window of one (H, W) plane sits.

    Attributes are ``(h, w)`` pairs. ``out_shape`` is ``(H_out, W_out)``.
    Window ``(i, j)`` covers input rows ``i*stride[0] - padding[0] + a*dilation[0]``
    for ``a in range(kernel[0])``, and likewise for columns; positions outside
    ``[0, H) x [0, W)`` are padding, which counts as ``-inf``.
    """

    in_shape: Pair
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    ceil_mode: bool
    out_shape: Pair

    @property
    def extent(self) -> Pair:
        """Height and width a dilated window spans, gaps included."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    @property
    def overlapping(self) -> bool:
        """True when some input position can lie in more than one window."""
        return any(s < e for s, e in zip(self.stride, self.extent))

    def window_rows(self) -> np.ndarray:
        """(H_out, kH) int64: input row of each window position (may be out of range)."""
        return _positions(self.out_shape[0], self.kernel[0], self.stride[0], self.padding[0], self.dilation[0])

    def window_cols(self) -> np.ndarray:
        """(W_out, kW) int64: input column of each window position (may be out of range)."""
        return _positions(self.out_shape[1], self.kernel[1], self.stride[1], self.padding[1], self.dilation[1])

    def window_index(self) -> np.ndarray:
        """(H_out, W_out, kH, kW) int64: flat ``h*W + w`` of each window position, -1 in padding."""
        rows, cols = self.window_rows(), self.window_cols()
        H, W = self.in_shape
        row_ok = (rows >= 0) & (rows < H)
        col_ok = (cols >= 0) & (cols < W)
        flat = rows[:, None, :, None] * W + cols[None, :, None, :]
        ok = row_ok[:, None, :, None] & col_ok[None, :, None, :]
        return np.where(ok, flat, -1)

    def all_window_cells(self) -> np.ndarray:
        """(H_out*W_out, kH*kW, 2) int: the (row, col) of every position of every window, padding included."""
        rows, cols = self.window_rows(), self.window_cols()
        H_out, W_out = self.out_shape
        kH, kW = self.kernel
        r = np.broadcast_to(rows[:, None, :, None], (H_out, W_out, kH, kW))
        c = np.broadcast_to(cols[None, :, None, :], (H_out, W_out, kH, kW))
        return np.stack([r, c], axis=-1).reshape(H_out * W_out, kH * kW, 2)

    def window_cells(self, i: int, j: int) -> np.ndarray:
        """(kH*kW, 2) int: the (row, col) of each position of window (i, j), padding included."""
        rows = self.window_rows()[i]
        cols = self.window_cols()[j]
        return np.stack(np.meshgrid(rows, cols, indexing="ij"), axis=-1).reshape(-1, 2)


def _positions(n_out: int, kernel: int, stride: int, pad: int, dilation: int) -> np.ndarray:
    return (np.arange(n_out)[:, None] * stride - pad + np.arange(kernel)[None, :] * dilation).astype(np.int64)


def pool_geometry(
    in_shape,
    kernel_size,
    *,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    check_padding: bool = True,
) -> PoolGeometry:
    """Validate pooling parameters for an (H, W) plane and return its geometry.

    Parameters
    ----------
    in_shape : (H, W)
    kernel_size, stride, padding, dilation : int or (h, w)
        ``stride=None`` means ``stride = kernel_size`` (PyTorch's default).
    ceil_mode : bool
    check_padding : bool
        Enforce PyTorch's ``padding <= kernel_size // 2``.

    Raises
    ------
    ValueError
        Naming the parameter, the value and the allowed range, with PyTorch's
        wording in brackets where PyTorch rejects the same thing.
    """
    kernel = as_pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else as_pair(stride, "stride")
    padding = as_pair(padding, "padding")
    dilation = as_pair(dilation, "dilation")
    H, W = (int(v) for v in in_shape)
    if H < 1 or W < 1:
        raise ValueError(f"input size {H}x{W} is invalid: each side of the input must be at least 1")
    if min(kernel) < 1:
        raise ValueError(
            f"kernel_size={kernel} is invalid: kernel_size must be at least 1 in each dimension "
            "(PyTorch: kernel_size must be greater than zero)"
        )
    if min(stride) < 1:
        raise ValueError(
            f"stride={stride} is invalid: stride must be at least 1 in each dimension "
            "(PyTorch: stride should be greater than zero)"
        )
    if min(dilation) < 1:
        raise ValueError(
            f"dilation={dilation} is invalid: dilation must be at least 1 in each dimension "
            "(PyTorch: dilation should be greater than zero)"
        )
    if min(padding) < 0:
        raise ValueError(
            f"padding={padding} is invalid: padding must be at least 0 in each dimension "
            "(PyTorch: pad should be at least zero)"
        )
    half = (kernel[0] // 2, kernel[1] // 2)
    if check_padding and (padding[0] > half[0] or padding[1] > half[1]):
        raise ValueError(
            f"padding={padding} is invalid for kernel_size={kernel}: padding must be between 0 and "
            f"kernel_size // 2 = {half} in each dimension "
            "(PyTorch: pad should be smaller than or equal to half of kernel size)"
        )
    out = tuple(
        output_size(n, k, s, p, d, bool(ceil_mode)) for n, k, s, p, d in zip((H, W), kernel, stride, padding, dilation)
    )
    if min(out) < 1:
        extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        raise ValueError(
            f"output size {out[0]}x{out[1]} is too small: a {extent[0]}x{extent[1]} window "
            f"(kernel_size={kernel}, dilation={dilation}) does not fit in the {H}x{W} input "
            f"with padding={padding}; the input plus twice the padding must be at least the "
            "window's extent in each dimension (PyTorch: Output size is too small)"
        )
    return PoolGeometry((H, W), kernel, stride, padding, dilation, bool(ceil_mode), out)
