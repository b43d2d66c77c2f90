"""1-D max pooling, as ``torch.nn.functional.max_pool1d``: the 2-D core run on a 1xL plane.

A signal x of length L is the plane of height 1 ``x[None, :]`` pooled with a
(1, k) window, so forward, indices, backward and every tie rule are the 2-D
ones; nothing is computed twice.
"""

from __future__ import annotations

import numbers

import numpy as np

from .geometry import output_size
from .maxpool import MaxPool1dResult, max_pool2d, max_pool2d_backward


def _as_int(value, name: str) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    raise ValueError(f"{name}={value!r} is invalid: {name} must be an int")


def _check_1d(L: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> None:
    """Reject what PyTorch rejects, in 1-D words (the 2-D messages would speak of pairs)."""
    if L < 1:
        raise ValueError(f"input length {L} is invalid: the signal must have at least 1 element")
    for name, value in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if value < 1:
            raise ValueError(f"{name}={value} is invalid: {name} must be at least 1")
    if not 0 <= p <= k // 2:
        raise ValueError(
            f"padding={p} is invalid for kernel_size={k}: padding must be between 0 and kernel_size // 2 = {k // 2} "
            "(PyTorch: pad should be smaller than or equal to half of kernel size)"
        )
    if output_size(L, k, s, p, d, ceil_mode) < 1:
        raise ValueError(
            f"output length is too small: a window spanning {d * (k - 1) + 1} positions (kernel_size={k}, "
            f"dilation={d}) does not fit in {L} elements with padding={p} (PyTorch: Output size is too small)"
        )


def max_pool1d(x, kernel_size, *, stride=None, padding=0, dilation=1, ceil_mode: bool = False) -> MaxPool1dResult:
    """1-D max pooling with PyTorch's semantics.

    Parameters
    ----------
    x : array_like, shape (L), (C, L) or (N, C, L)
    kernel_size, stride, padding, dilation : int
        ``stride`` defaults to ``kernel_size``; padding is ``-inf``, at most ``kernel_size // 2``.
    ceil_mode : bool

    Returns
    -------
    MaxPool1dResult
        ``.out`` and ``.indices`` of shape (..., L_out) with
        ``L_out = floor((L + 2p - d(k-1) - 1 [+ s-1 if ceil_mode]) / s) + 1``;
        ``.plane`` is the same pooling as a 2-D result on (..., 1, L).

    Examples
    --------
    >>> res = max_pool1d([1, 3, 3, 2], 2)
    >>> res.out, res.indices
    (array([3., 3.]), array([1, 2]))
    """
    x = np.asarray(x)
    if not 1 <= x.ndim <= 3:
        raise ValueError(f"x has shape {x.shape}; expected (L), (C, L) or (N, C, L)")
    k = _as_int(kernel_size, "kernel_size")
    s = k if stride is None else _as_int(stride, "stride")
    p = _as_int(padding, "padding")
    d = _as_int(dilation, "dilation")
    _check_1d(x.shape[-1], k, s, p, d, bool(ceil_mode))
    plane = max_pool2d(x[..., None, :], (1, k), stride=(1, s), padding=(0, p), dilation=(1, d), ceil_mode=ceil_mode)
    squeeze = plane.out.shape[:-2] + plane.out.shape[-1:]
    return MaxPool1dResult(
        out=plane.out.reshape(squeeze),
        indices=plane.indices.reshape(squeeze),
        x=plane.x.reshape(x.shape),
        plane=plane,
    )


def max_pool1d_backward(dout, res: MaxPool1dResult, tie_policy: str = "first") -> np.ndarray:
    """dL/dx of shape (..., L) from ``dout`` of shape (..., L_out): ``max_pool2d_backward`` on the 1xL plane."""
    return max_pool2d_backward(dout, res, tie_policy)
