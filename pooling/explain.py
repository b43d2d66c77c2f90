"""Views of one pooling plane that explain the backward pass.

Who wins which window, which windows tie, which output cells send how much
gradient to each input cell, and the 0/1 selection matrix ``S`` with
``y = S @ x`` and ``dL/dx = S.T @ dL/dy``. All functions take the result of
``max_pool2d`` on a single (H, W) plane unless they say otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .adaptive import AdaptiveGeometry
from .maxpool import MaxPoolResult, _check_dout, tied_mask, window_weights


def _require_plane(res: MaxPoolResult) -> None:
    if res.x.ndim != 2:
        raise ValueError(f"expected the result of pooling one (H, W) plane, got x of shape {res.x.shape}")


@dataclass(frozen=True)
class Routing:
    """Sparse (COO) map of the backward pass of one plane, one entry per (window, input) pair with a non-zero share.

    Attributes
    ----------
    output_index : ndarray of int64, shape (M,)
        Flat ``i*W_out + j`` of the window (output cell).
    input_index : ndarray of int64, shape (M,)
        Flat ``h*W + w`` of the input cell receiving a share.
    weight : ndarray of float, shape (M,)
        Share of that window's upstream gradient the input cell receives.

    Entries are ordered by window (output scan order), then by scan order
    inside the window.
    """

    output_index: np.ndarray
    input_index: np.ndarray
    weight: np.ndarray
    out_shape: tuple[int, int]
    in_shape: tuple[int, int]


def routing(res: MaxPoolResult, tie_policy: str = "first") -> Routing:
    """Which input cells each window's gradient goes to, and in what share."""
    _require_plane(res)
    geom = res.geometry
    weights = window_weights(res, tie_policy).reshape(-1)
    widx = geom.window_index().reshape(-1)
    k = geom.kernel[0] * geom.kernel[1]
    out_idx = np.repeat(np.arange(geom.out_shape[0] * geom.out_shape[1], dtype=np.int64), k)
    keep = (weights != 0) & (widx >= 0)
    return Routing(out_idx[keep], widx[keep], weights[keep], geom.out_shape, geom.in_shape)


def selection_matrix(res: MaxPoolResult, tie_policy: str = "first") -> np.ndarray:
    """Dense matrix S of shape (H_out*W_out, H*W) with ``S[o, i]`` = share of window o sent to input i.

    Under ``first`` each row holds a single 1 at the window's winner, so for
    finite ``x``: ``y.ravel() == S @ x.ravel()`` and
    ``dL/dx.ravel() == S.T @ dL/dy.ravel()``. A window lying wholly in padding
    has an all-zero row (its ``y`` is ``-inf``). With NaN or inf in ``x`` the
    product ``S @ x`` is not ``y`` (``0 * inf`` is NaN), though ``S`` still is
    the map the backward pass applies.
    """
    r = routing(res, tie_policy)
    S = np.zeros((r.out_shape[0] * r.out_shape[1], r.in_shape[0] * r.in_shape[1]), dtype=res.x.dtype)
    S[r.output_index, r.input_index] = r.weight
    return S


@dataclass(frozen=True)
class Contribution:
    """One output cell's gradient arriving at one input cell."""

    output_cell: tuple[int, int]
    weight: float
    amount: float


def contributions(dout, res: MaxPoolResult, tie_policy: str = "first") -> dict[tuple[int, int], list[Contribution]]:
    """For each input cell that receives gradient, what each window sent it.

    Parameters
    ----------
    dout : array_like, shape (H_out, W_out)
    res : MaxPoolResult of one plane
    tie_policy : str

    Returns
    -------
    dict mapping input cell ``(h, w)`` to a list of ``Contribution`` in output
    scan order. ``dL/dx[h, w]`` is the sum of the amounts. Cells that receive
    nothing are absent. A winner whose upstream gradient is 0 is still listed.
    """
    dout = _check_dout(dout, res)
    r = routing(res, tie_policy)
    W_out = r.out_shape[1]
    W = r.in_shape[1]
    flat_dout = dout.reshape(-1)
    result: dict[tuple[int, int], list[Contribution]] = {}
    order = np.argsort(r.input_index, kind="stable")
    for e in order:
        o, i, w = int(r.output_index[e]), int(r.input_index[e]), r.weight[e]
        result.setdefault(divmod(i, W), []).append(Contribution(divmod(o, W_out), float(w), float(w * flat_dout[o])))
    return result


def win_counts(res: MaxPoolResult, tie_policy: str = "first") -> np.ndarray:
    """(..., H, W) int: how many windows send each input cell a non-zero share.

    Works on any batch shape. Under ``first`` this counts the windows each
    cell wins; a cell can win several overlapping windows.
    """
    geom = res.geometry
    H, W = geom.in_shape
    n_planes = int(np.prod(res.x.shape[:-2], dtype=np.int64))
    if tie_policy == "first":
        # A window's only receiver is its recorded winner: count the indices, without
        # a weight for every position of every window.
        idx = res.indices.reshape(n_planes, -1)
        keep = idx >= 0
        flat = (idx + (np.arange(n_planes, dtype=np.int64) * (H * W))[:, None])[keep]
        return np.bincount(flat, minlength=n_planes * H * W).reshape(res.x.shape).astype(np.int64)
    weights = window_weights(res, tie_policy)
    widx = geom.window_index()
    receives = (weights != 0).reshape(n_planes, -1)
    idx = np.broadcast_to(widx.reshape(-1), receives.shape)
    keep = receives & (idx >= 0)
    plane_of = np.broadcast_to(np.arange(n_planes)[:, None], receives.shape)
    counts = np.bincount(plane_of[keep] * (H * W) + idx[keep], minlength=n_planes * H * W)
    return counts.reshape(res.x.shape).astype(np.int64)


def winner_mask(res: MaxPoolResult, tie_policy: str = "first") -> np.ndarray:
    """(..., H, W) bool: cells that receive a share of some window's gradient."""
    return win_counts(res, tie_policy) > 0


def tie_counts(res: MaxPoolResult) -> np.ndarray:
    """(..., H_out, W_out) int: how many positions of each window hold its maximum (NaN: its NaNs).

    A count of 2 or more is a tie. Built one window position at a time over strided
    views, so no (H_out, W_out, kH, kW) array is made: cheap on whole pictures.
    """
    geom = res.geometry
    if isinstance(geom, AdaptiveGeometry):  # uneven windows: count over the gathered windows instead
        return tied_mask(res)[0].sum(axis=(-2, -1)).astype(np.int64)
    (kH, kW), (sH, sW), (pH, pW), (dH, dW) = geom.kernel, geom.stride, geom.padding, geom.dilation
    H_out, W_out = geom.out_shape
    H, W = geom.in_shape
    # Pad once, far enough for every window (ceil mode may reach past the padding);
    # `inside` marks real cells, so padding never counts whatever a window's max is.
    extra_h = max(0, (H_out - 1) * sH + (kH - 1) * dH + 1 - (H + 2 * pH))
    extra_w = max(0, (W_out - 1) * sW + (kW - 1) * dW + 1 - (W + 2 * pW))
    pad = [(0, 0)] * (res.x.ndim - 2) + [(pH, pH + extra_h), (pW, pW + extra_w)]
    padded = np.pad(res.x, pad)
    inside = np.pad(np.ones((H, W), dtype=bool), pad[-2:])
    top = res.out
    top_is_nan = np.isnan(top)
    counts = np.zeros(top.shape, dtype=np.int64)
    for a in range(kH):
        rows = slice(a * dH, a * dH + (H_out - 1) * sH + 1, sH)
        for b in range(kW):
            cols = slice(b * dW, b * dW + (W_out - 1) * sW + 1, sW)
            values = padded[..., rows, cols]  # position (a, b) of every window
            hit = (values == top) | (top_is_nan & np.isnan(values))
            counts += hit & inside[rows, cols]
    return counts


@dataclass(frozen=True)
class Tie:
    """A window whose maximum is held by more than one input cell."""

    window: tuple[int, int]
    cells: tuple[tuple[int, int], ...]
    value: float


def tie_report(res: MaxPoolResult) -> list[Tie]:
    """Every window of one plane with two or more tied maxima, in output scan order.

    A window holding NaN counts its NaN cells as the tied set (the value is NaN).
    """
    _require_plane(res)
    tied, widx = tied_mask(res)
    H_out, W_out = res.geometry.out_shape
    W = res.geometry.in_shape[1]
    flat = tied.reshape(H_out, W_out, -1)
    flat_idx = widx.reshape(H_out, W_out, -1)
    counts = flat.sum(axis=-1)
    ties = []
    for i, j in zip(*np.nonzero(counts >= 2)):
        cells = tuple(divmod(int(v), W) for v in flat_idx[i, j][flat[i, j]])
        ties.append(Tie((int(i), int(j)), cells, float(res.out[i, j])))
    return ties


def tied_cells(res: MaxPoolResult) -> np.ndarray:
    """(..., H, W) bool: input cells that hold a window's maximum together with another cell.

    The forward pass alone decides this, so the set is the same under every tie rule
    (under ``none`` these cells get nothing, yet they are still the tied maxima).
    A window holding NaN counts its NaN cells, as ``tied_mask`` does.
    """
    geom = res.geometry
    H, W = geom.in_shape
    tied, widx = tied_mask(res)
    n_planes = int(np.prod(res.x.shape[:-2], dtype=np.int64))
    kk = int(np.prod(geom.kernel))
    tied = tied.reshape(n_planes, -1, kk)
    tied &= (tied.sum(axis=-1) >= 2)[..., None]  # one cell at the max is a plain winner, not a tie
    idx = np.broadcast_to(widx.reshape(1, -1, kk), tied.shape)
    plane_of = np.broadcast_to(np.arange(n_planes)[:, None, None], tied.shape)
    out = np.zeros(n_planes * H * W, dtype=bool)
    out[plane_of[tied] * (H * W) + idx[tied]] = True
    return out.reshape(res.x.shape)


def window_values(res: MaxPoolResult, i: int, j: int) -> np.ndarray:
    """(kH, kW) values of window (i, j) of one plane; padding positions read ``-inf``."""
    _require_plane(res)
    widx = res.geometry.window_index()[i, j]
    flat = res.x.reshape(-1)
    return np.where(widx >= 0, flat[np.maximum(widx, 0)], -np.inf)


def partial_tie_corner(res: MaxPoolResult, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` x ``size`` box of x holding the most windows with a partial tie.

    A partial tie (two or more maxima, but not every real cell of the window equal) is where a
    tie rule picks between the pixels of an edge or a texture; a flat area ties everywhere and
    shows nothing. A window counts for a box when it starts inside it (row ``i*s - p``, column
    likewise). Candidate corners are tried every ``max(1, size // 4)`` cells; among equal counts
    the first in reading order wins.
    """
    _require_plane(res)
    g = res.geometry
    if isinstance(g, AdaptiveGeometry):
        raise ValueError("partial_tie_corner needs evenly strided windows (max_pool2d), not adaptive ones")
    tied, widx = tied_mask(res)
    n_tied = tied.sum(axis=(-2, -1))
    n_real = (widx >= 0).sum(axis=(-2, -1))
    partial = ((n_tied >= 2) & (n_tied < n_real)).astype(np.int64)
    # An integral image of the partly tied windows sums any box of them in four lookups.
    integral = np.zeros((partial.shape[0] + 1, partial.shape[1] + 1), dtype=np.int64)
    integral[1:, 1:] = partial.cumsum(0).cumsum(1)
    H, W = g.in_shape
    (sH, sW), (pH, pW) = g.stride, g.padding
    rows, cols = min(size, H), min(size, W)
    step = max(1, size // 4)
    best, corner = -1, (0, 0)
    for top in range(0, H - rows + 1, step):
        lo_r = min(max(-(-(top + pH) // sH), 0), partial.shape[0])
        hi_r = min(max((top + rows - 1 + pH) // sH + 1, lo_r), partial.shape[0])
        for left in range(0, W - cols + 1, step):
            lo_c = min(max(-(-(left + pW) // sW), 0), partial.shape[1])
            hi_c = min(max((left + cols - 1 + pW) // sW + 1, lo_c), partial.shape[1])
            count = integral[hi_r, hi_c] - integral[lo_r, hi_c] - integral[hi_r, lo_c] + integral[lo_r, lo_c]
            if count > best:
                best, corner = int(count), (top, left)
    return corner
