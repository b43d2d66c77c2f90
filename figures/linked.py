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
    values: dict[str, np.ndarray] | None = None,
    pending: dict[str, np.ndarray] | None = None,
    color_ranges: dict[str, tuple[float, float]] | None = None,
    pooled_windows: np.ndarray | None = None,
    sent_windows: np.ndarray | None = None,
    marks: dict[str, np.ndarray] | None = None,
    notes: dict[str, np.ndarray] | None = None,
    clickable: tuple[str, ...] = (),
    help_text: str | None = None,
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
    values : optional {grid: array of that grid's shape} drawn instead of the computed values
        (the step-through's y and dL/dx so far). Every other key still comes from ``res``.
    pending : optional {grid: bool mask}: cells not computed yet. Their value and text are not
        sent at all (value ``"nan"``, text ``""``), and the grid lists them under ``pending``.
    color_ranges : optional {grid: (zmin, zmax)} colour limits (e.g. fixed while a grid fills in).
    pooled_windows, sent_windows : optional bool masks of y's shape: the windows whose forward
        result is known, and those whose gradient has been sent back (``None``: all of them).
        A window not pooled has index -1, no ties and no receivers; a window pooled but not sent
        has no receivers; ``win_counts`` counts the pooled windows' receivers (the winners known so
        far). The payload then holds ``window_state``: per window 0 (pending), 1 (pooled), 2 (sent).
    marks : optional {grid: bool mask}: cells to badge (the quiz's marks, the tie lab's probe);
        listed as flat indices under the grid's ``marks``.
    notes : optional {grid: array of str}: one extra tooltip line per cell ("" for none), under ``notes``.
    clickable : grids whose cell clicks are sent back as ``{"type": "cell", "grid", "cell"}``.
    help_text : the line under the grids, instead of the default help.

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
        ``mark_winners``, ``show``, ``names``, ``titles``; with the optional arguments also
        ``window_state``, ``clickable``, ``help`` and per grid ``pending``, ``marks``, ``notes``.
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

    partial = pooled_windows is not None or sent_windows is not None
    pooled_mask, sent_mask = _window_masks(pooled_windows, sent_windows, n_windows)
    if partial:
        # What is not known yet is left out of the payload, so no tooltip (or page source) can show it.
        weights = np.where(pooled_mask[:, None], weights, 0)
        tied = tied & pooled_mask[:, None]

    receivers: list[list] = [[] for _ in range(n_windows)]
    win_idx, pos = np.nonzero(weights)
    flat_in = widx[win_idx, pos].tolist()
    share = weights[win_idx, pos].astype(np.float64)
    amounts = encode_values(share * dy_flat[win_idx])
    for k, f, w, a in zip(win_idx.tolist(), flat_in, share.tolist(), amounts):
        if f >= 0 and sent_mask[k]:  # padding never receives (its weight is 0 anyway)
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
    drawn = {"x": x, "y": y, "dy": dy, "dx": dx, **(values or {})}
    indices = res.indices.reshape(-1).tolist()
    if partial:
        indices = [v if known else -1 for v, known in zip(indices, pooled_mask.tolist())]
    payload = {
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
            "x": _grid(drawn["x"], "values", annotate_x),
            "y": _grid(drawn["y"], "values", annotate_y),
            "dy": _grid(drawn["dy"], "gradient", annotate_y),
            "dx": _grid(drawn["dx"], "gradient", annotate_x),
        },
        "indices": indices,
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
    _add_extras(payload, pending, color_ranges, marks, notes)
    if partial:
        payload["window_state"] = (pooled_mask.astype(np.int64) + (sent_mask & pooled_mask)).tolist()
    if clickable:
        payload["clickable"] = [name for name in clickable if name in NAMES]
    if help_text is not None:
        payload["help"] = str(help_text)
    return payload


def _window_masks(pooled_windows, sent_windows, n_windows: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat bool masks (pooled, sent) of the windows; ``None`` means every window; sent implies pooled."""
    pooled_mask = np.ones(n_windows, dtype=bool) if pooled_windows is None else np.asarray(pooled_windows, bool)
    sent_mask = np.ones(n_windows, dtype=bool) if sent_windows is None else np.asarray(sent_windows, bool)
    pooled_mask, sent_mask = pooled_mask.reshape(-1), sent_mask.reshape(-1)
    if pooled_mask.size != n_windows or sent_mask.size != n_windows:
        raise ValueError(f"pooled_windows and sent_windows must have y's {n_windows} cells")
    return pooled_mask, sent_mask & pooled_mask


def _add_extras(payload: dict, pending, color_ranges, marks, notes) -> None:
    """The optional per-grid keys: pending cells (values withheld), fixed colour limits, badges, notes."""
    grids = payload["grids"]
    for name, mask in (pending or {}).items():
        g = grids[name]
        flat = np.flatnonzero(np.asarray(mask, dtype=bool).reshape(-1)).tolist()
        for k in flat:
            g["v"][k] = "nan"
            if "text" in g:
                g["text"][k] = ""
        g["pending"] = flat
        if color_ranges is None or name not in color_ranges:
            # Limits from the computed cells only: a withheld value must not show through the colour scale.
            known = decode_values(g["v"], tuple(g["shape"]))
            g["zmin"], g["zmax"] = color_range(known, g["kind"])
    for name, (lo, hi) in (color_ranges or {}).items():
        grids[name]["zmin"], grids[name]["zmax"] = float(lo), float(hi)
    for name, mask in (marks or {}).items():
        grids[name]["marks"] = np.flatnonzero(np.asarray(mask, dtype=bool).reshape(-1)).tolist()
    for name, lines in (notes or {}).items():
        grids[name]["notes"] = [str(v) for v in np.asarray(lines, dtype=object).reshape(-1).tolist()]


def _positions(positions: np.ndarray, adaptive: bool) -> list[list[int]]:
    """Each window's input rows (or columns) as lists; for adaptive windows without the -1 fill."""
    if not adaptive:
        return positions.tolist()
    return [[int(v) for v in row if v >= 0] for row in positions]


# --- Payloads beyond the five tie rules (smooth max, unpooling, frameworks) -------------------------------------
# Same schema as `linked_payload`; these only fill its keys from other `pooling` results. Three optional keys
# are used, each drawn by ui/linked.js when present:
#   a grid's ``marks`` (as `linked_payload`'s ``marks=``): flat indices of cells badged as "look here"
#             (collisions, differences, a student's answer);
#   ``tips``: {grid key: flat row-major list of str}, the tooltip for a hovered cell of that grid, written here
#             when the built-in wording ("max: x[…]", "dL/dx[…] = a + b") would not be true of the grid;
#   ``names``: as before, but overridden where a page shows grids that are not x, y, dL/dy, dL/dx.


def with_marks(payload: dict, marks: dict[str, np.ndarray]) -> dict:
    """Badge the cells of ``marks`` (grid key -> bool mask of the grid's shape), added to the grid's ``marks``.

    The same per-grid list of flat row-major indices that `linked_payload`'s ``marks=`` writes; a second
    call adds to the cells already marked.
    """
    for name, mask in marks.items():
        mask = np.asarray(mask, dtype=bool)
        grid = payload["grids"][name]
        if mask.shape != tuple(grid["shape"]):
            raise ValueError(f"marks for {name!r} have shape {mask.shape}; the grid has shape {tuple(grid['shape'])}")
        grid["marks"] = sorted(set(grid.get("marks", [])) | set(np.flatnonzero(mask.reshape(-1)).tolist()))
    return payload


def with_tips(payload: dict, tips: dict[str, list[str]]) -> dict:
    """Add ``payload["tips"]``: for each grid key, one tooltip text per cell (flat, row-major)."""
    out = dict(payload.get("tips") or {})
    for name, texts in tips.items():
        H, W = payload["grids"][name]["shape"]
        if len(texts) != H * W:
            raise ValueError(f"tips for {name!r} have {len(texts)} entries; the grid has {H * W} cells")
        out[name] = [str(t) for t in texts]
    payload["tips"] = out
    return payload


def _explicit_receivers(window_index: np.ndarray, weights: np.ndarray, dy: np.ndarray) -> list[list]:
    """Per window, ``[flat input index, weight, amount]`` for every real cell of it (weight 0 included)."""
    receivers: list[list] = []
    for idx, w, g in zip(window_index.tolist(), weights.tolist(), dy.reshape(-1).tolist()):
        cells = [(f, wt) for f, wt in zip(idx, w) if f >= 0]
        # A window holding NaN has NaN weights (as torch's gradient): encoded like values, so JSON stays valid.
        shares = encode_values(np.array([wt for _, wt in cells], dtype=np.float64))
        amounts = encode_values(np.array([wt * g for _, wt in cells], dtype=np.float64))
        receivers.append([[f, wt, a] for (f, _), wt, a in zip(cells, shares, amounts)])
    return receivers


def explicit_payload(
    res: pooling.MaxPoolResult,
    dy: np.ndarray,
    *,
    y: np.ndarray,
    dx: np.ndarray,
    weights: np.ndarray,
    rule: str,
    **kwargs,
) -> dict:
    """`linked_payload` of ``res``'s windows with y, dL/dx and each window's receivers given explicitly.

    For a rule that is not one of the five tie policies (the smooth max): ``weights``
    (H_out, W_out, kH, kW) is each window position's share of dL/dy (as
    ``pooling.window_weights``); every real cell of a window is listed as a receiver with
    its weight and amount = weight * dL/dy, even where the weight is 0. ``rule`` is the
    name the tooltip gives the rule. ``indices`` and ``ties`` stay those of ``res`` (the
    hard max), so the tooltip still names a window's maximum. Other keyword arguments
    go to `linked_payload`.
    """
    payload = linked_payload(res, dy, "first", **kwargs)
    geom = res.geometry
    H_out, W_out = geom.out_shape
    n = H_out * W_out
    y = np.asarray(y, dtype=np.float64)
    dx = np.asarray(dx, dtype=np.float64)
    dy = np.asarray(dy, dtype=np.float64)
    if y.shape != (H_out, W_out) or dx.shape != res.x.shape or dy.shape != (H_out, W_out):
        raise ValueError("y and dL/dy must have the output's shape and dL/dx the input's shape")
    widx = geom.window_index().reshape(n, -1)
    w = np.asarray(weights, dtype=np.float64).reshape(n, -1)
    if w.shape != widx.shape:
        raise ValueError(f"weights have {w.shape[1]} positions per window; the windows have {widx.shape[1]}")
    payload["receivers"] = _explicit_receivers(widx, w, dy)
    counts = np.zeros(res.x.size, dtype=np.int64)
    sends = (widx >= 0) & (w != 0)
    np.add.at(counts, widx[sends], 1)
    payload["win_counts"] = counts.tolist()
    annotate_x = max(res.x.shape) <= MAX_ANNOTATED_SIDE
    annotate_y = max(y.shape) <= MAX_ANNOTATED_SIDE
    payload["grids"]["y"] = _grid(y, "values", annotate_y)
    payload["grids"]["dx"] = _grid(dx, "gradient", annotate_x)
    payload["tie_policy"] = rule
    return payload


SMOOTH_TITLES = {
    "x": "x · input",
    "y": "y = T·log Σ exp(window/T)",
    "dy": "dL/dy · from above",
    "dx": "dL/dx · softmax shares",
}


def smooth_payload(
    smooth: pooling.SmoothMaxPoolResult,
    hard: pooling.MaxPoolResult,
    dy: np.ndarray,
    **kwargs,
) -> dict:
    """The linked picture of smooth max pooling: y = T·logsumexp, dL/dx from the softmax weights.

    ``hard`` is ``pooling.max_pool2d`` of the same x and window (its geometry places the
    windows; its indices name each window's maximum in the tooltip). Every cell of a
    window receives ``softmax(window / T)`` of its dL/dy: the receivers' weights, as
    ``smooth.weights``, sum to 1 per window. x carries no winner badges (every cell
    receives a share), but its tied maxima are marked (``mark_ties``): the page's point.
    """
    if smooth.out.shape != hard.out.shape or smooth.x.shape != hard.x.shape:
        raise ValueError("smooth and hard must pool the same x with the same window")
    dy = np.asarray(dy, dtype=np.float64)
    dx = pooling.smooth_max_pool2d_backward(dy, smooth)
    kwargs.setdefault("titles", {k: v for k, v in SMOOTH_TITLES.items() if k in kwargs.get("show", SMOOTH_TITLES)})
    payload = explicit_payload(
        hard,
        dy,
        y=smooth.out,
        dx=dx,
        weights=smooth.weights,
        rule=f"smooth max at T = {smooth.temperature:g} (softmax shares)",
        **kwargs,
    )
    payload["mark_ties"] = payload["mark_winners"]
    payload["mark_winners"] = False
    if "text" in payload["grids"]["dx"]:
        # Shares are fractions with long tails (0.00857, 2.5e-05): two decimals fit a cell, the tooltip is exact.
        payload["grids"]["dx"]["text"] = [share_text(v) for v in dx.reshape(-1).tolist()]
    return payload


def share_text(v: float) -> str:
    """A share or gradient in two decimals (whole numbers as they are); ``≈0`` for a non-zero value below 0.005."""
    if not math.isfinite(v) or v == int(v):
        return format_value(v)
    if abs(v) < 0.005:
        return "≈0"
    return f"{v:.2f}"


UNPOOL_NAMES = {"x": "unpool(dL/dy)"}
"""In the unpooling picture the input-shaped left grid holds max_unpool2d(dL/dy, indices), not x."""


def unpool_payload(res: pooling.MaxPoolResult, dy: np.ndarray, **kwargs) -> dict:
    """dL/dy, ``max_unpool2d(dL/dy, indices)`` and dL/dx ('first') in one picture, the collisions marked.

    The input-shaped grid under key ``"x"`` holds the unpooled values (its accessible name is
    ``unpool(dL/dy)``); its corner badges mark the recorded indices (a 2: two windows write there).
    Hovering a window of dL/dy outlines it on the unpooled grid and its receiver in dL/dx.
    ``marks`` outline, in both input-shaped grids, the cells where unpooling overwrites
    while the gradient adds (``pooling.switch_collisions``); ``tips`` say for each cell
    which windows wrote there, in order, and what the gradient adds.
    """
    dy = np.asarray(dy, dtype=np.float64)
    kwargs.setdefault("show", ("dy", "x", "dx"))
    kwargs.setdefault("editable", ())
    kwargs.setdefault(
        "titles",
        {
            "dy": "dL/dy · from above",
            "x": "max_unpool2d(dL/dy, indices): writes",
            "dx": "dL/dx (backward): adds",
            "y": TITLES["y"],
        },
    )
    payload = linked_payload(res, dy, "first", **kwargs)
    unpooled = pooling.max_unpool2d(dy, res)
    dx = pooling.max_pool2d_backward(dy, res, "first")
    annotate_x = max(res.x.shape) <= MAX_ANNOTATED_SIDE
    payload["grids"]["x"] = _grid(unpooled, "gradient", annotate_x)
    payload["names"] = {**payload["names"], **UNPOOL_NAMES}
    H, W = res.x.shape
    H_out, W_out = res.out.shape
    collide = np.zeros((H, W), dtype=bool)
    writers: dict[int, list[tuple[int, int]]] = {}
    for k, f in enumerate(res.indices.reshape(-1).tolist()):
        if f >= 0:
            writers.setdefault(f, []).append(divmod(k, W_out))
    for c in pooling.switch_collisions(res):
        collide[c.cell] = True
    with_marks(payload, {"x": collide, "dx": collide})

    def cell_tip(grid: str, flat: int) -> str:
        r, c = divmod(flat, W)
        head = (
            f"unpool(dL/dy)[{r}, {c}] = {format_value(unpooled[r, c])}"
            if grid == "x"
            else f"dL/dx[{r}, {c}] = {format_value(dx[r, c])}"
        )
        wins = writers.get(flat, [])
        if not wins:
            return f"{head}\nno window's index points here: unpooling writes nothing, the gradient adds nothing"
        sends = [f"dL/dy[{i}, {j}] = {format_value(dy[i, j])}" for i, j in wins]
        if len(wins) == 1:
            return f"{head}\nrecorded index of y[{wins[0][0]}, {wins[0][1]}]: both put {sends[0]} here"
        return (
            f"{head}\nrecorded index of {len(wins)} windows: "
            + ", ".join(f"y[{i}, {j}]" for i, j in wins)
            + "\nunpooling writes "
            + ", then ".join(sends)
            + f": the last stays, {format_value(unpooled[r, c])}"
            + "\nthe gradient adds them: "
            + " + ".join(format_value(dy[i, j]) for i, j in wins)
            + f" = {format_value(dx[r, c])}"
        )

    def window_tip(k: int) -> str:
        i, j = divmod(k, W_out)
        f = int(res.indices[i, j])
        head = f"dL/dy[{i}, {j}] = {format_value(dy[i, j])}"
        if f < 0:
            return f"{head}\nthe window lies wholly in padding: no index, nothing written, no gradient"
        r, c = divmod(f, W)
        later = [w for w in writers[f] if w > (i, j)]
        fate = (
            f"overwritten later by y[{later[-1][0]}, {later[-1][1]}]: lost in unpool(dL/dy)"
            if later
            else "the last write there: it stays"
        )
        return (
            f"{head}\nrecorded index: x[{r}, {c}] = {format_value(res.x[r, c])} (the window's max)"
            f"\nunpooling writes {format_value(dy[i, j])} at [{r}, {c}]; {fate}"
            f"\nthe gradient adds {format_value(dy[i, j])} to dL/dx[{r}, {c}] = {format_value(dx[r, c])}"
        )

    tips = {
        "x": [cell_tip("x", f) for f in range(H * W)],
        "dx": [cell_tip("dx", f) for f in range(H * W)],
        "dy": [window_tip(k) for k in range(H_out * W_out)],
    }
    return with_tips(payload, {name: t for name, t in tips.items() if name in payload["show"]})


def framework_payload(
    fw: pooling.FrameworkPool,
    x: np.ndarray,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    *,
    label: str,
    marks: dict[str, np.ndarray] | None = None,
    font_scale: float = 1.0,
    show: tuple[str, ...] = ("x", "y", "dx"),
) -> dict:
    """One framework's pooling (``pooling.framework_pool2d``, dL/dy all ones) as a linked picture.

    Windows may be padded unevenly (TensorFlow's SAME: the odd pad goes after), so the
    rows and columns come from ``fw.pads`` rather than a PoolGeometry. Each window's one
    receiver is ``fw.winners`` (that framework's rule, NaN quirks included). Grid names
    carry ``label`` (``"x · PyTorch"``...) so several pictures on one page stay apart.
    """
    x = np.asarray(x, dtype=np.float64)
    H, W = x.shape
    (kH, kW), (sH, sW) = kernel, stride
    (top, bottom), (left, right) = fw.pads
    y = fw.out
    H_out, W_out = y.shape
    dy = np.ones((H_out, W_out))
    rows = (np.arange(H_out)[:, None] * sH - top + np.arange(kH)[None, :]).tolist()
    cols = (np.arange(W_out)[:, None] * sW - left + np.arange(kW)[None, :]).tolist()
    winners = fw.winners.reshape(-1)
    receivers = [[[int(f), 1.0, 1.0]] if f >= 0 else [] for f in winners.tolist()]
    widx = fw.window_index.reshape(H_out * W_out, -1)
    values = np.where(widx >= 0, x.reshape(-1)[np.maximum(widx, 0)], np.nan)
    with np.errstate(invalid="ignore"):
        top_value = np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1)
    ties = []
    for k in range(H_out * W_out):
        at_max = (widx[k] >= 0) & (values[k] == top_value[k]) & np.isfinite(values[k])
        ties.append(widx[k][at_max].tolist() if at_max.sum() >= 2 else [])
    counts = np.bincount(winners[winners >= 0], minlength=x.size)
    annotate_x = max(x.shape) <= MAX_ANNOTATED_SIDE
    annotate_y = max(y.shape) <= MAX_ANNOTATED_SIDE
    names = {key: f"{name} · {label}" for key, name in NAMES.items()}
    titles = {"x": "x · ◥ gets dL/dy · ● tie", "y": "y", "dy": "dL/dy", "dx": "dL/dx"}
    payload = {
        "version": 1,
        "tie_policy": f"{label}'s rule (first maximum)",
        "geometry": {
            "in_shape": [H, W],
            "out_shape": [H_out, W_out],
            "kernel": [kH, kW],
            "stride": [sH, sW],
            "padding": [top, left],
            "pads": [[top, bottom], [left, right]],
            "dilation": [1, 1],
            "ceil_mode": False,
        },
        "rows": rows,
        "cols": cols,
        "grids": {
            "x": _grid(x, "values", annotate_x),
            "y": _grid(y, "values", annotate_y),
            "dy": _grid(dy, "gradient", annotate_y),
            "dx": _grid(fw.dx, "gradient", annotate_x),
        },
        "indices": winners.tolist(),
        "receivers": receivers,
        "ties": ties,
        "win_counts": counts.tolist(),
        "annotate": annotate_x,
        "mark_winners": max(x.shape) <= MAX_MARKED_SIDE,
        "sel": None,
        "editable": [],
        "errors": [],
        "font_scale": float(font_scale),
        "show": list(show),
        "names": names,
        "titles": {name: titles[name] for name in show},
        "pinnable": False,
    }
    # The built-in "max: x[…]" line would be false where a framework's NaN rule sends the gradient to a
    # cell that is not the window's value (TensorFlow skips NaN in y but may route to a NaN).
    tips = []
    for k in range(H_out * W_out):
        i, j = divmod(k, W_out)
        lines = [f"y[{i}, {j}] = {format_value(y[i, j])} ({label})"]
        lines.append(f"window: rows {rows[i][0]}…{rows[i][-1]}, columns {cols[j][0]}…{cols[j][-1]} of x")
        f = int(winners[k])
        if f < 0:
            lines.append("no cell gets its gradient")
        else:
            r, c = divmod(f, W)
            lines.append(f"its gradient goes to x[{r}, {c}] = {format_value(x[r, c])}")
        if ties[k]:
            lines.append("tie among " + ", ".join(f"x[{t // W}, {t % W}]" for t in ties[k]) + ": the first wins")
        tips.append("\n".join(lines))
    # x and dL/dx: the windows holding the cell and those whose gradient it gets, without "x · PyTorch[0, 0]".
    holding: list[list[int]] = [[] for _ in range(x.size)]
    for k in range(H_out * W_out):
        for f in widx[k][widx[k] >= 0].tolist():
            holding[f].append(k)
    cell_tips = {"x": [], "dx": []}
    for f in range(x.size):
        r, c = divmod(f, W)
        wins = ", ".join(f"y[{k // W_out}, {k % W_out}]" for k in holding[f]) or "none"
        got = [k for k in holding[f] if winners[k] == f]
        gets = (
            f"gets the gradient of {', '.join(f'y[{k // W_out}, {k % W_out}]' for k in got)} ({label}'s rule)"
            if got
            else "gets no window's gradient"
        )
        for name, value in (("x", x[r, c]), ("dx", fw.dx[r, c])):
            head = f"{'x' if name == 'x' else 'dL/dx'}[{r}, {c}] = {format_value(value)} ({label})"
            cell_tips[name].append(f"{head}\nin windows: {wins}\n{gets}; dL/dx[{r}, {c}] = {format_value(fw.dx[r, c])}")
    with_tips(payload, {"y": tips, **cell_tips})
    if marks:
        with_marks(payload, {k: v for k, v in marks.items() if k in show})
    return payload
