"""Smooth max pooling: ``T * logsumexp(window / T)``, whose gradient is a softmax over the window.

As the temperature T falls to 0 the smooth max tends to the max, and its
gradient weights ``softmax(window / T)`` tend to one-hot at a unique maximum and
to *equal shares* among tied maxima: the ``split`` tie rule is the limit of the
smooth rule, while ``first`` is the frameworks' choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .geometry import PoolGeometry
from .maxpool import _geometry, _scatter_add, as_float_input


@dataclass(frozen=True, eq=False)
class SmoothMaxPoolResult:
    """What ``smooth_max_pool2d`` returns.

    Attributes
    ----------
    out : ndarray, shape (..., H_out, W_out)
    weights : ndarray, shape (..., H_out, W_out, kH, kW)
        ``dy/dx`` for each window position: ``softmax(window / T)``, 0 on padding.
    x : ndarray, shape (..., H, W)
    geometry : PoolGeometry
    temperature : float
    """

    out: np.ndarray
    weights: np.ndarray
    x: np.ndarray
    geometry: PoolGeometry
    temperature: float


def check_temperature(temperature) -> float:
    """Return ``temperature`` as a float if it is finite and positive, else raise ValueError."""
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        raise ValueError(f"temperature={temperature!r} is invalid: it must be a positive number") from None
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"temperature={temperature!r} is invalid: it must be a finite number above 0")
    return t


def smooth_max_pool2d(
    x, kernel_size, *, temperature, stride=None, padding=0, dilation=1, ceil_mode: bool = False
) -> SmoothMaxPoolResult:
    """Smooth max pooling over the windows of ``max_pool2d``.

    Parameters
    ----------
    x : array_like, shape (H, W), (C, H, W) or (N, C, H, W)
    kernel_size, stride, padding, dilation, ceil_mode
        As ``max_pool2d``; padding positions are left out of the sum (``-inf``).
    temperature : float > 0
        T. Computed as ``m + T * log(sum(exp((window - m) / T)))`` with ``m``
        the window's max, so no exponent overflows, for T down to 1e-6 and
        for large values.

    Returns
    -------
    SmoothMaxPoolResult
        ``out`` equals ``T * torch.logsumexp(unfolded_window / T, -1)``, and
        ``weights`` its autograd gradient: finite inputs and NaN (a window with
        NaN gives NaN, in value and weights, as torch does). Where a window's
        max is infinite, torch's gradient is NaN; here the weights are the
        T -> 0 limit instead: equal shares among the positions holding it
        (none for a window wholly in padding).
    """
    x = as_float_input(x)
    T = check_temperature(temperature)
    geom = _geometry(x.shape[-2:], kernel_size, stride, padding, dilation, ceil_mode)
    H, W = geom.in_shape
    widx = geom.window_index()  # (H_out, W_out, kH, kW)
    planes = x.reshape(-1, H * W)
    fill = np.full((planes.shape[0], 1), -np.inf, dtype=x.dtype)
    values = np.concatenate([planes, fill], axis=1)[:, widx.reshape(-1)]
    values = values.reshape(planes.shape[0], -1, widx.shape[2] * widx.shape[3])  # (B, windows, K)
    top = values.max(axis=-1, keepdims=True)  # NaN if the window holds one
    shift = np.where(np.isfinite(top), top, 0.0).astype(x.dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = np.exp((values - shift) / x.dtype.type(T))  # <= 1 where the max is finite
        total = scaled.sum(axis=-1, keepdims=True)
        out = shift + x.dtype.type(T) * np.log(total)
        weights = scaled / total
    infinite = np.isinf(top[..., 0])
    if infinite.any():
        at_top = (values == top) & infinite[..., None]
        share = at_top / np.maximum(at_top.sum(axis=-1, keepdims=True), 1)
        weights = np.where(infinite[..., None], share, weights)
        out = np.where(infinite[..., None], top, out)
    weights = np.where((widx.reshape(-1, widx.shape[2] * widx.shape[3]) >= 0)[None], weights, 0).astype(x.dtype)
    lead = x.shape[:-2]
    return SmoothMaxPoolResult(
        out=out[..., 0].astype(x.dtype).reshape(*lead, *geom.out_shape),
        weights=weights.reshape(*lead, *geom.out_shape, *geom.kernel),
        x=x,
        geometry=geom,
        temperature=T,
    )


def smooth_max_pool2d_backward(dout, res: SmoothMaxPoolResult) -> np.ndarray:
    """dL/dx (shape of x): each window sends ``weights * dL/dy`` to its cells; overlapping windows add."""
    dout = np.asarray(dout)
    if dout.shape != res.out.shape:
        raise ValueError(f"dout has shape {dout.shape}; it must have the output's shape {res.out.shape}")
    geom = res.geometry
    H, W = geom.in_shape
    n_planes = math.prod(res.x.shape[:-2])
    sent = (res.weights * dout.astype(res.x.dtype)[..., None, None]).reshape(n_planes, -1)
    idx = np.broadcast_to(geom.window_index().reshape(-1), sent.shape)
    dx = np.zeros((n_planes, H * W), dtype=res.x.dtype)
    _scatter_add(dx, idx, sent)
    return dx.reshape(res.x.shape)
