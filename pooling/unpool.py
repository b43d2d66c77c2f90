"""Max unpooling: put each value back at its window's recorded winner (``torch.nn.functional.max_unpool2d``).

Unpooling uses the same "switches" (the indices) as the backward pass of max
pooling, but it *writes* where the backward pass *adds*: when overlapping
windows share a winner, unpooling keeps one value and the gradient keeps the
sum. ``switch_collisions`` finds those cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .maxpool import MaxPoolResult


def _output_shape(output_size, res: MaxPoolResult) -> tuple[int, int]:
    if output_size is None:
        return tuple(res.geometry.in_shape)
    size = tuple(output_size)
    if len(size) == len(res.indices.shape):  # a full shape, as PyTorch also accepts
        size = size[-2:]
    if len(size) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in size):
        raise ValueError(f"output_size={output_size!r} is invalid: give (H, W) with each side at least 1")
    return int(size[0]), int(size[1])


def max_unpool2d(values, res: MaxPoolResult, output_size=None) -> np.ndarray:
    """Scatter ``values`` to the winners recorded in ``res.indices``; zero elsewhere.

    Parameters
    ----------
    values : array_like, shape of ``res.out`` (..., H_out, W_out)
        What to put back: ``res.out`` to undo the pooling as far as possible, or
        an upstream gradient ``dL/dy`` to compare with the backward pass.
    res : MaxPoolResult
        From ``max_pool2d`` or ``adaptive_max_pool2d``.
    output_size : (H, W) or a full shape, optional
        Defaults to the pooled input's plane, what PyTorch's docs advise passing
        (``output_size=x.size()``); PyTorch's own default is computed from
        kernel, stride and padding and can be smaller than x.

    Returns
    -------
    ndarray, shape (..., H, W), dtype of ``values`` (float)
        Equal to ``torch.nn.functional.max_unpool2d(values, res.indices, ...)``.
        Where several windows share a winner, the value of the last window in
        output scan order stays: what PyTorch's CPU loop does on one thread
        (with several threads its result there is a race, pytorch#80827).
        A window with no winner (index -1) writes nothing.

    Raises
    ------
    ValueError
        If ``values`` does not have the output's shape, or an index does not
        fit in ``output_size`` (PyTorch: "Found an invalid max index").
    """
    values = np.asarray(values)
    if values.dtype.kind in "biu":
        values = values.astype(np.float64)
    if values.shape != res.indices.shape:
        raise ValueError(f"values have shape {values.shape}; they must have the output's shape {res.indices.shape}")
    H, W = _output_shape(output_size, res)
    lead = values.shape[:-2]
    n_planes = math.prod(lead)
    idx = res.indices.reshape(n_planes, -1)
    if idx.size and idx.max() >= H * W:
        raise ValueError(
            f"output_size {H}x{W} is too small for index {int(idx.max())}: an index must be below H*W = {H * W} "
            "(PyTorch: Found an invalid max index)"
        )
    out = np.zeros((n_planes, H * W), dtype=values.dtype)
    flat = (idx + (np.arange(n_planes, dtype=np.int64) * (H * W))[:, None]).reshape(-1)
    vals = values.reshape(-1)
    keep = idx.reshape(-1) >= 0
    flat, vals = flat[keep], vals[keep]
    # Last write wins, made explicit: the last occurrence of each target is the
    # first one in the reversed order, which np.unique reports.
    _, first_in_reversed = np.unique(flat[::-1], return_index=True)
    last = flat.size - 1 - first_in_reversed
    out.reshape(-1)[flat[last]] = vals[last]
    return out.reshape(*lead, H, W)


@dataclass(frozen=True)
class SwitchCollision:
    """An input cell recorded as winner by several windows of one plane.

    ``windows`` lists the output cells in scan order; unpooling keeps the
    value of the last one, the backward pass adds all of them.
    """

    cell: tuple[int, int]
    windows: tuple[tuple[int, int], ...]


def switch_collisions(res: MaxPoolResult) -> list[SwitchCollision]:
    """Cells of one (H, W) plane that more than one window's index points to, in input scan order."""
    if res.indices.ndim != 2:
        raise ValueError(f"expected the result of pooling one (H, W) plane, got indices of shape {res.indices.shape}")
    W = res.geometry.in_shape[1]
    W_out = res.indices.shape[1]
    flat = res.indices.reshape(-1)
    counts = np.bincount(flat[flat >= 0], minlength=1)
    found = []
    for target in np.nonzero(counts >= 2)[0]:
        windows = tuple(divmod(int(o), W_out) for o in np.nonzero(flat == target)[0])
        found.append(SwitchCollision(divmod(int(target), W), windows))
    return found
