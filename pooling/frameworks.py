"""Max pooling under the conventions of PyTorch, TensorFlow, JAX/Flax and Keras (plain numpy).

What differs, per ``/work/shared/semantics.md`` (each fact read from the
framework's source or run on CPU):

- Padding. PyTorch pads symmetrically by an explicit amount. TensorFlow,
  Flax and Keras take ``'VALID'`` (no padding) or ``'SAME'`` (output size
  ``ceil(size / stride)``; the total padding, when odd, puts its extra
  position *after*: bottom and right). Padding never wins (``-inf``).
- Default stride. PyTorch and Keras: the window size. Flax ``max_pool``: 1.
  TensorFlow's ``tf.nn.max_pool2d`` has no default.
- NaN. PyTorch: NaN wins, and the gradient goes to the *last* NaN.
  TensorFlow (CPU): the value skips NaN (an all-NaN or all ``-inf`` window
  gives the most negative float), while the gradient goes to the first
  position unless something strictly larger follows, so a leading NaN keeps
  it (an all-NaN window: its first NaN). JAX: the value is NaN; the gradient
  follows XLA's ``ge`` selection, which drops a NaN for whatever follows it.
- Ties of equal numbers: the first maximum in row-major order everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import output_size
from .windows import gather_windows, scan_winners

FRAMEWORKS = ("pytorch", "tensorflow", "jax", "keras")
"""Keras means Keras 3 on its TensorFlow backend (on the JAX backend it computes what JAX does)."""

PADDING_MODES = ("valid", "same")


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) padding of TF/JAX ``'SAME'`` along one dimension: the odd extra goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def framework_padding(size: int, kernel: int, stride: int, mode: str) -> tuple[int, int]:
    """(before, after) padding for ``mode`` in PADDING_MODES."""
    if mode not in PADDING_MODES:
        raise ValueError(f"padding={mode!r} is invalid: choose 'valid' or 'same'")
    return same_padding(size, kernel, stride) if mode == "same" else (0, 0)


def torch_equivalent(size: int, kernel: int, stride: int, mode: str) -> tuple[int, bool] | None:
    """PyTorch ``(padding, ceil_mode)`` that places the same windows as ``mode``, or None if none does.

    PyTorch pads both sides equally, so 'SAME' with an odd total padding has
    no exact equivalent unless ceil mode happens to add the missing window.
    """
    before, after = framework_padding(size, kernel, stride, mode)
    n_out = (size + before + after - kernel) // stride + 1
    if before > kernel // 2:
        return None
    for ceil_mode in (False, True):
        if output_size(size, kernel, stride, before, 1, ceil_mode) == n_out:
            return before, ceil_mode
    return None


def pytorch_settings(in_shape, kernel, stride, mode: str):
    """PyTorch ``(padding pair, ceil_mode)`` placing the same windows as TF/JAX ``mode`` on an (H, W) plane, or None.

    One ceil-mode flag must serve both dimensions, as ``F.max_pool2d`` takes one.
    """
    for ceil_mode in (False, True):
        pads = []
        for size, k, s in zip(in_shape, kernel, stride):
            before, after = framework_padding(size, k, s, mode)
            n_out = (size + before + after - k) // s + 1
            fits = before <= k // 2 and output_size(size, k, s, before, 1, ceil_mode) == n_out
            pads.append(before if fits else None)
        if None not in pads:
            return (pads[0], pads[1]), ceil_mode
    return None


@dataclass(frozen=True)
class FrameworkPool:
    """One framework's max pooling of one (H, W) plane.

    Attributes
    ----------
    framework : str
    out : ndarray, shape (H_out, W_out)
        The forward value under that framework's NaN rule.
    winners : ndarray of int64, shape (H_out, W_out)
        Flat ``h*W + w`` of the input cell that receives each window's gradient; -1 for none.
    dx : ndarray, shape (H, W)
        The input gradient for ``dout`` (the winners' scatter-add).
    pads : ((top, bottom), (left, right))
    window_index : ndarray of int64, shape (H_out, W_out, kH*kW)
        Flat index of each window position, -1 in padding.
    """

    framework: str
    out: np.ndarray
    winners: np.ndarray
    dx: np.ndarray
    pads: tuple[tuple[int, int], tuple[int, int]]
    window_index: np.ndarray


def window_cells(in_shape, kernel, stride, pads) -> np.ndarray:
    """(n_windows, kH*kW, 2) int: (row, col) of every window position, padding included (rows -1, H, ... there).

    For drawing: with SAME padding the extra row and column show up after the grid.
    """
    H, W = in_shape
    (kH, kW), (sH, sW) = kernel, stride
    (top, bottom), (left, right) = pads
    H_out = (H + top + bottom - kH) // sH + 1
    W_out = (W + left + right - kW) // sW + 1
    rows = np.arange(H_out)[:, None] * sH - top + np.arange(kH)[None, :]
    cols = np.arange(W_out)[:, None] * sW - left + np.arange(kW)[None, :]
    r = np.broadcast_to(rows[:, None, :, None], (H_out, W_out, kH, kW))
    c = np.broadcast_to(cols[None, :, None, :], (H_out, W_out, kH, kW))
    return np.stack([r, c], axis=-1).reshape(H_out * W_out, kH * kW, 2)


def _window_index(in_shape, kernel, stride, pads) -> np.ndarray:
    H, W = in_shape
    (kH, kW), (sH, sW) = kernel, stride
    (top, bottom), (left, right) = pads
    H_out = (H + top + bottom - kH) // sH + 1
    W_out = (W + left + right - kW) // sW + 1
    if H_out < 1 or W_out < 1:
        raise ValueError(f"a {kH}x{kW} window does not fit in the {H}x{W} input with this padding")
    rows = np.arange(H_out)[:, None] * sH - top + np.arange(kH)[None, :]
    cols = np.arange(W_out)[:, None] * sW - left + np.arange(kW)[None, :]
    ok = ((rows >= 0) & (rows < H))[:, None, :, None] & ((cols >= 0) & (cols < W))[None, :, None, :]
    flat = rows[:, None, :, None] * W + cols[None, :, None, :]
    return np.where(ok, flat, -1).reshape(H_out, W_out, kH * kW)


def framework_pool2d(x, kernel_size, stride, *, framework: str, pads, dout=None) -> FrameworkPool:
    """Max pool one (H, W) plane with explicit ``pads`` ((top, bottom), (left, right)) under ``framework``.

    Use ``framework_padding`` for 'valid'/'same'. ``dout`` defaults to ones.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework={framework!r} is invalid: choose one of {', '.join(FRAMEWORKS)}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x has shape {x.shape}; expected one (H, W) plane")
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    stride = (stride, stride) if isinstance(stride, int) else tuple(stride)
    widx = _window_index(x.shape, kernel, stride, pads)
    H_out, W_out, K = widx.shape
    flat_idx = widx.reshape(-1, K)
    values = gather_windows(x.reshape(1, -1), flat_idx)
    valid = flat_idx >= 0
    rule = {"pytorch": "pytorch", "tensorflow": "tensorflow", "keras": "tensorflow", "jax": "jax"}[framework]
    best, arg = scan_winners(values, valid, rule)
    best, arg, values = best[0], arg[0], values[0]  # one plane
    winners = np.where(arg >= 0, np.take_along_axis(flat_idx, np.maximum(arg, 0)[:, None], axis=1)[:, 0], -1)
    if rule == "tensorflow":
        # Eigen's max reduction: NaN skipped, starting from the lowest float.
        real = np.where(valid, values, -np.inf)
        with np.errstate(invalid="ignore"):
            out = np.fmax(np.nanmax(np.where(np.isnan(real), -np.inf, real), axis=-1), np.finfo(x.dtype).min)
    elif rule == "jax":
        out = values.max(axis=-1)  # NaN propagates (lax.max)
    else:
        out = best
    dout = np.ones((H_out, W_out)) if dout is None else np.asarray(dout, dtype=np.float64)
    if dout.shape != (H_out, W_out):
        raise ValueError(f"dout has shape {dout.shape}; it must have the output's shape {(H_out, W_out)}")
    dx = np.zeros(x.size)
    keep = winners >= 0
    np.add.at(dx, winners[keep], dout.reshape(-1)[keep])
    return FrameworkPool(
        framework=framework,
        out=out.reshape(H_out, W_out),
        winners=winners.reshape(H_out, W_out),
        dx=dx.reshape(x.shape),
        pads=(tuple(pads[0]), tuple(pads[1])),
        window_index=widx,
    )


DEFAULT_STRIDE = {"pytorch": "kernel_size", "keras": "pool_size", "jax": "1 (flax.linen.max_pool)", "tensorflow": None}
"""Each API's stride when none is given (TensorFlow's ``tf.nn.max_pool2d`` requires one)."""
