"""Average pooling and its backward, for comparison with max pooling.

Matches ``torch.nn.functional.avg_pool2d`` (no dilation there). With
``count_include_pad=True`` (PyTorch's default) each window divides by its size
counting padded positions, but only up to the padded border: a ceil-mode
window hanging past the right padding divides by fewer. With ``False`` it
divides by the number of real input positions in the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import PoolGeometry, pool_geometry
from .maxpool import as_float_input


@dataclass(frozen=True, eq=False)
class AvgPoolResult:
    """``out`` (..., H_out, W_out); ``divisor`` (H_out, W_out): what each window divides by."""

    out: np.ndarray
    divisor: np.ndarray
    x: np.ndarray
    geometry: PoolGeometry
    count_include_pad: bool


def _divisors(n_out: int, size: int, kernel: int, stride: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    start = np.arange(n_out) * stride - pad
    end = np.minimum(start + kernel, size + pad)
    with_pad = end - start
    inside = np.minimum(end, size) - np.maximum(start, 0)
    return with_pad, inside


def avg_pool2d(x, kernel_size, *, stride=None, padding=0, ceil_mode=False, count_include_pad=True) -> AvgPoolResult:
    """2-D average pooling with PyTorch's semantics.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
    kernel_size, stride, padding : int or (h, w)
    ceil_mode : bool
    count_include_pad : bool
        Divide by the window size counting zero padding (PyTorch's default),
        or by the count of real positions.

    Returns
    -------
    AvgPoolResult with ``out`` of shape (..., H_out, W_out).
    """
    x = as_float_input(x)
    geom = pool_geometry(x.shape[-2:], kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode)
    rows_pad, rows_in = _divisors(geom.out_shape[0], geom.in_shape[0], geom.kernel[0], geom.stride[0], geom.padding[0])
    cols_pad, cols_in = _divisors(geom.out_shape[1], geom.in_shape[1], geom.kernel[1], geom.stride[1], geom.padding[1])
    if count_include_pad:
        divisor = rows_pad[:, None] * cols_pad[None, :]
    else:
        divisor = rows_in[:, None] * cols_in[None, :]
    widx = geom.window_index()
    planes = x.reshape(-1, geom.in_shape[0] * geom.in_shape[1])
    padded = np.concatenate([planes, np.zeros((planes.shape[0], 1), planes.dtype)], axis=1)
    sums = padded[:, widx].sum(axis=(-2, -1))
    out = (sums / divisor).astype(x.dtype)
    return AvgPoolResult(out.reshape(*x.shape[:-2], *geom.out_shape), divisor, x, geom, bool(count_include_pad))


def avg_pool2d_backward(dout, res: AvgPoolResult) -> np.ndarray:
    """``dL/dx`` for average pooling: each window spreads ``dL/dy / divisor`` over its real positions.

    Overlapping windows add up; padded positions absorb their share (which is
    why, with padding, the gradient mass can be less than the sum of ``dL/dy``).
    """
    dout = np.asarray(dout)
    if dout.shape != res.out.shape:
        raise ValueError(f"dout has shape {dout.shape}; it must have the output's shape {res.out.shape}")
    geom = res.geometry
    H, W = geom.in_shape
    n_planes = int(np.prod(res.x.shape[:-2], dtype=np.int64))
    share = (dout.reshape(n_planes, *geom.out_shape) / res.divisor).astype(res.x.dtype)
    widx = geom.window_index()
    sent = np.broadcast_to(share[..., None, None], (n_planes, *widx.shape)).reshape(n_planes, widx.size)
    idx = np.broadcast_to(widx.reshape(-1), sent.shape)
    keep = idx >= 0
    plane_of = np.broadcast_to(np.arange(n_planes)[:, None], sent.shape)
    dx = np.zeros(n_planes * H * W, dtype=res.x.dtype)
    np.add.at(dx, plane_of[keep] * (H * W) + idx[keep], sent[keep])
    return dx.reshape(res.x.shape)
