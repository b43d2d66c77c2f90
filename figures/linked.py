"""The linked picture's payload: x, y, dL/dy and dL/dx with every window's cells and receivers, as plain JSON.

A pure function of a ``pooling`` result, an upstream gradient and a tie rule. The browser
component (``ui/linked.py``) only draws and highlights what this payload says; it never
pools anything itself. Plain lists and dicts (no plotly objects) keep an edit's rerun cheap.

Non-finite numbers are not JSON: a value list holds finite numbers as numbers and NaN,
+inf and -inf as the strings ``"nan"``, ``"inf"`` and ``"-inf"``.
"""

from __future__ import annotations

import math

import numpy as np

import pooling
from figures.grid import MAX_ANNOTATED_SIDE, _color_range, format_value

MAX_MARKED_SIDE = 24
"""Winner outlines are drawn while both sides of x are at most this (beyond, they would cover the cells)."""

NAMES = {"x": "x", "y": "y", "dy": "dL/dy", "dx": "dL/dx"}
"""Grid keys in the payload and the names shown (and used as accessible names) for them."""

TITLES = {
    "x": "x · input · ◥ winner · ● tie",
    "y": "y = maxpool(x)",
    "dy": "dL/dy · from above",
    "dx": "dL/dx · reaches x",
}
"""Default titles above the grids."""

SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode_values(values: np.ndarray) -> list:
    """Flat row-major list of a grid's values; NaN, +inf, -inf become ``"nan"``, ``"inf"``, ``"-inf"``."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    out = flat.tolist()
    finite = np.isfinite(flat)
    if not finite.all():
        for k in np.flatnonzero(~finite):
            v = flat[k]
            out[k] = "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    return out


def decode_values(encoded: list, shape: tuple[int, int]) -> np.ndarray:
    """Inverse of `encode_values` (used by tests and by anything reading a payload back)."""
    return np.array([SPECIAL[v] if isinstance(v, str) else v for v in encoded], dtype=np.float64).reshape(shape)


def color_range(values: np.ndarray, kind: str) -> tuple[float, float]:
    """Colour limits from the finite values: symmetric around 0 for gradients, as the plotly figures do."""
    return _color_range(values, kind)


def _grid(values: np.ndarray, kind: str, annotate: bool) -> dict:
    zmin, zmax = color_range(values, kind)
    grid = {"shape": list(values.shape), "v": encode_values(values), "kind": kind, "zmin": zmin, "zmax": zmax}
    if annotate:
        grid["text"] = [format_value(v) for v in values.reshape(-1).tolist()]
    return grid


def linked_payload(
    res: pooling.MaxPoolResult,
    dy: np.ndarray,
    tie_policy: str,
    *,
    sel: tuple[int, int] | None = None,
    editable: tuple[str, ...] = ("x", "dy"),
    errors: list[dict] | None = None,
    font_scale: float = 1.0,
    show: tuple[str, ...] = ("x", "y", "dy", "dx"),
    titles: dict[str, str] | None = None,
    pinnable: bool = True,
) -> dict:
    """Everything the linked picture draws for one plane, as JSON-safe lists and dicts.

    Parameters
    ----------
    res : MaxPoolResult of one (H, W) plane
    dy : ndarray, shape (H_out, W_out)
        The upstream gradient dL/dy.
    tie_policy : str
        One of ``pooling.TIE_POLICIES``; decides the receivers and dL/dx.
    sel : (i, j) or None
        The pinned output cell.
    editable : grids the user may edit in place (subset of ``("x", "dy")``).
    errors : list of dict, optional
        Text typed into a cell that is not a number: ``{"grid", "r", "c", "text", "reason"}``.
    font_scale : float
        Presentation mode's text scale.
    show : which grids to draw, in order (keys of `NAMES`).
    titles : optional per-grid titles (defaults to the grid's name).
    pinnable : whether a click on y or dL/dy pins its cell (else hover only; ``sel`` still shows).

    Returns
    -------
    dict with
        ``geometry``: in_shape, out_shape, kernel, stride, padding, dilation, ceil_mode;
        ``rows`` (H_out lists of kH input rows) and ``cols`` (W_out lists of kW input
        columns): window (i, j) covers ``rows[i] x cols[j]``, padding positions included
        (they lie outside [0, H) x [0, W));
        ``grids``: for x, y, dy, dx the shape, values (`encode_values`), colour kind and
        range, and printed text while the grid is small;
        ``indices``: PyTorch's flat winner index per window (-1: no winner);
        ``receivers``: per window (row-major), ``[flat input index, weight, amount]`` for
        each cell that gets a share of its gradient under the tie rule, amount =
        weight * dL/dy[i, j];
        ``ties``: per window, the flat indices of its tied maxima (empty without a tie);
        ``win_counts``: per input cell, how many windows send it a share;
        plus ``tie_policy``, ``sel``, ``editable``, ``errors``, ``font_scale``, ``annotate``,
        ``mark_winners``, ``show``, ``names``, ``titles``.
    """
    geom = res.geometry
    x = res.x
    y = res.out
    dy = np.asarray(dy, dtype=np.float64)
    H_out, W_out = geom.out_shape
    n_windows = H_out * W_out
    kk = geom.kernel[0] * geom.kernel[1]
    dx = pooling.max_pool2d_backward(dy, res, tie_policy)

    weights = pooling.window_weights(res, tie_policy).reshape(n_windows, kk)
    tied, widx = pooling.tied_mask(res)
    widx = widx.reshape(n_windows, kk)
    tied = tied.reshape(n_windows, kk)
    dy_flat = dy.reshape(-1)

    receivers: list[list] = [[] for _ in range(n_windows)]
    win_idx, pos = np.nonzero(weights)
    flat_in = widx[win_idx, pos].tolist()
    share = weights[win_idx, pos].astype(np.float64)
    amounts = encode_values(share * dy_flat[win_idx])
    for k, f, w, a in zip(win_idx.tolist(), flat_in, share.tolist(), amounts):
        if f >= 0:  # padding never receives (its weight is 0 anyway)
            receivers[k].append([f, w, a])

    ties: list[list[int]] = [[] for _ in range(n_windows)]
    counts = tied.sum(axis=1)
    for k in np.flatnonzero(counts >= 2).tolist():
        ties[k] = widx[k][tied[k]].tolist()

    win_counts = (
        np.bincount(np.asarray(flat_in, dtype=np.int64)[np.asarray(flat_in) >= 0], minlength=x.size)
        if flat_in
        else np.zeros(x.size, dtype=np.int64)
    )
    annotate_x = max(x.shape) <= MAX_ANNOTATED_SIDE
    annotate_y = max(y.shape) <= MAX_ANNOTATED_SIDE
    # Adaptive windows differ in length: their short windows end in -1 positions, which are no
    # padding (row -1 would be drawn above x), so each window lists only the rows it covers.
    adaptive = hasattr(geom, "row_bounds")
    return {
        "version": 1,
        "tie_policy": tie_policy,
        "geometry": {
            "in_shape": list(geom.in_shape),
            "out_shape": [H_out, W_out],
            "kernel": list(geom.kernel),
            "stride": list(geom.stride),
            "padding": list(geom.padding),
            "dilation": list(geom.dilation),
            "ceil_mode": bool(geom.ceil_mode),
        },
        "rows": _positions(geom.window_rows(), adaptive),
        "cols": _positions(geom.window_cols(), adaptive),
        "grids": {
            "x": _grid(x, "values", annotate_x),
            "y": _grid(y, "values", annotate_y),
            "dy": _grid(dy, "gradient", annotate_y),
            "dx": _grid(dx, "gradient", annotate_x),
        },
        "indices": res.indices.reshape(-1).tolist(),
        "receivers": receivers,
        "ties": ties,
        "win_counts": win_counts.tolist(),
        "annotate": annotate_x,
        "mark_winners": max(x.shape) <= MAX_MARKED_SIDE,
        "sel": None if sel is None else [int(sel[0]), int(sel[1])],
        "editable": [name for name in editable if name in ("x", "dy")],
        "errors": list(errors or []),
        "font_scale": float(font_scale),
        "show": list(show),
        "names": dict(NAMES),
        "titles": {name: (titles or {}).get(name, TITLES[name]) for name in show},
        "pinnable": bool(pinnable),
    }


def _positions(positions: np.ndarray, adaptive: bool) -> list[list[int]]:
    """Each window's input rows (or columns) as lists; for adaptive windows without the -1 fill."""
    if not adaptive:
        return positions.tolist()
    return [[int(v) for v in row if v >= 0] for row in positions]
