"""Heatmap figure of one 2-D grid (x, y, dL/dy or dL/dx) with winners, windows and
the selected window marked the same way in every figure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

MAX_ANNOTATED_SIDE = 16
"""Cells carry their printed value while both sides of the grid are at most this."""

HIGHLIGHT = "#ff00ff"
"""Outline colour of the selected window in every figure. Pure magenta is far
(CIELAB) from every colour of Viridis and of reversed RdBu, also under simulated
deuteranopia, so one window can be followed from x to y to dL/dy to dL/dx."""

WINNER_COLOR = "#000000"
VALUES_COLORSCALE = "Viridis"
GRADIENT_COLORSCALE = "RdBu_r"  # reversed so positive gradients are red
NAN_COLOR = "#a0a0a0"  # the plot background, seen through cells whose z is NaN
PADDING_COLOR = "#d9d9d9"
WINDOW_LINE_COLOR = "#1a1a1a"
WINDOW_HALO_COLOR = "#ffffff"
"""Windows are a solid dark line over a wider white one: one of the two stands out on every cell
colour (dark Viridis purple, yellow, deep red or blue) and on the light or dark page around."""
TIE_COLOR = "#e69f00"
"""Fill of the tie mark (Okabe-Ito orange); its shape (a disc) and corner (bottom left) tell it from the
winner badge (a black triangle, top right) without colour."""

_MIN_HEIGHT, _MAX_HEIGHT = 260, 640
_CELL_PX = 40  # wanted cell size when the height is derived from the grid
_ASSUMED_WIDTH_PX = 600  # plot width guess, only used to size markers and lines
_EVERY_CELL_TICKS = 24  # up to this many cells per axis, every index is labelled
_MAX_TICKS = 17
_TICK_STEPS = (1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 50, 64, 100, 128, 200, 256, 500)

# Insets (in cells) keep nested outlines apart: the dashed highlight box lies on the
# cell edges, highlighted cells just inside, then winner outlines, then faint windows.
_HIGHLIGHT_CELL_INSET = 0.03
_WINDOW_INSET = 0.1
_WINNER_INSET = 0.08
# Corner marks stay inside a corner of their cell, clear of the value printed in the middle: the
# winner badge is a right triangle with legs _BADGE_LEG in the top-right corner, the tie mark a disc
# of diameter _TIE_SIZE in the bottom-left one, the win count hangs from the top-left corner.
_BADGE_GAP, _BADGE_LEG = 0.04, 0.24
_TIE_SIZE = 0.22
_BIG_MARK_OFFSET = 0.22  # centre of a corner marker from the cell centre on grids without printed values


def format_value(v: float) -> str:
    """Format a number compactly for a cell: ``3``, ``-0.25``, ``1.23e-4``, ``nan``, ``∞``.

    Parameters
    ----------
    v : float
        Any real number, NaN or ±inf.

    Returns
    -------
    str
        Integers without ``.0``; otherwise three significant digits (from 100 to
        1e6 all integer digits and one decimal; scientific notation outside
        [1e-3, 1e6));
        ``"nan"``, ``"∞"``, ``"−∞"`` (U+2212) for the special values. Finite
        negatives use an ASCII ``-``.
    """
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == 0:
        return "0"  # also turns -0.0 into "0"
    size = abs(v)
    if v.is_integer() and size < 1e6:
        return str(int(v))
    if size < 1e-3 or size >= 1e6:
        mantissa, exponent = f"{v:.2e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{int(exponent)}"
    if size >= 100:
        # One decimal, so 222.5 does not read as 222 (a tie or a half share would vanish).
        return f"{v:.1f}".rstrip("0").rstrip(".")
    return f"{v:.3g}"


def _as_cells(cells: Any) -> np.ndarray:
    """(n, 2) int array of (row, col) from anything array-like; (0, 2) for empty."""
    arr = np.asarray(cells, dtype=np.int64)
    if arr.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    return arr.reshape(-1, 2)


def _window_boxes(window_cells: Sequence[Any]) -> np.ndarray:
    """Bounding boxes of windows, shape (n_windows, 4): row_min, row_max, col_min, col_max."""
    if isinstance(window_cells, np.ndarray) and window_cells.ndim == 3:
        # All windows at once, (n_windows, n, 2): no per-window Python work.
        lo, hi = window_cells.min(axis=1), window_cells.max(axis=1)
        return np.column_stack([lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1]])
    windows = [_as_cells(w) for w in window_cells]
    windows = [w for w in windows if len(w)]
    if not windows:
        return np.zeros((0, 4), dtype=np.int64)
    if len({len(w) for w in windows}) == 1:
        stacked = np.stack(windows)  # (n_windows, n, 2): one vectorised min/max
        lo, hi = stacked.min(axis=1), stacked.max(axis=1)
    else:
        lo = np.array([w.min(axis=0) for w in windows])
        hi = np.array([w.max(axis=0) for w in windows])
    return np.column_stack([lo[:, 0], hi[:, 0], lo[:, 1], hi[:, 1]])


def _ticks(lo: int, hi: int) -> list[int]:
    """Integer tick positions from lo to hi: every cell when few, else a round step."""
    if hi - lo + 1 <= _EVERY_CELL_TICKS:
        return list(range(lo, hi + 1))
    step = next((s for s in _TICK_STEPS if (hi - lo) // s + 1 <= _MAX_TICKS), _TICK_STEPS[-1])
    first = -((-lo) // step) * step  # smallest multiple of step >= lo
    return list(range(first, hi + 1, step))


def _rect(row0: float, row1: float, col0: float, col1: float, **style: Any) -> dict:
    """A rectangle shape in data coordinates (x = column, y = row)."""
    return dict(type="rect", xref="x", yref="y", x0=col0, x1=col1, y0=row0, y1=row1, **style)


def _cell_rect(row: int, col: int, inset: float, **style: Any) -> dict:
    half = 0.5 - inset
    return _rect(row - half, row + half, col - half, col + half, **style)


def _corner_badge(row: int, col: int, **style: Any) -> dict:
    """The winner badge: a right triangle filling the top-right corner of cell (row, col)."""
    right, top = col + 0.5 - _BADGE_GAP, row - 0.5 + _BADGE_GAP
    path = f"M {right - _BADGE_LEG},{top} L {right},{top} L {right},{top + _BADGE_LEG} Z"
    return dict(type="path", xref="x", yref="y", path=path, **style)


def _tie_disc(row: int, col: int, **style: Any) -> dict:
    """The tie mark: a disc in the bottom-left corner of cell (row, col)."""
    left, bottom = col - 0.5 + _BADGE_GAP, row + 0.5 - _BADGE_GAP
    return dict(
        type="circle", xref="x", yref="y", x0=left, x1=left + _TIE_SIZE, y0=bottom - _TIE_SIZE, y1=bottom, **style
    )


def _extra_lines(item: Any) -> list[str]:
    if item is None:
        return []
    if isinstance(item, str):
        return [item] if item else []
    if isinstance(item, float) and math.isnan(item):
        return []
    if isinstance(item, (list, tuple, np.ndarray)):
        return [str(s) for s in item if s is not None and str(s)]
    return [str(item)]


def _color_range(values: np.ndarray, kind: str) -> tuple[float, float]:
    """Colour limits from the finite values: symmetric around 0 for gradients."""
    finite = values[np.isfinite(values)]
    if kind == "gradient":
        m = float(np.max(np.abs(finite))) if finite.size else 0.0
        m = m if m > 0 else 1.0  # an all-zero gradient still needs a real range
        return -m, m
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def make_grid_figure(
    values: np.ndarray,
    *,
    name: str,
    kind: str = "values",
    title: str | None = None,
    winner_mask: np.ndarray | None = None,
    win_counts: np.ndarray | None = None,
    tie_mask: np.ndarray | None = None,
    window_cells: list[np.ndarray] | np.ndarray | None = None,
    highlight_cells: np.ndarray | None = None,
    padding: tuple[int, int] = (0, 0),
    extra_hover: np.ndarray | None = None,
    selectable: bool = False,
    height: int | None = None,
    font_scale: float = 1.0,
) -> go.Figure:
    """Draw one grid as a heatmap that reads like the matrix: row 0 on top, square cells.

    Cell (r, c) is centred at data coordinates x = c, y = r. Padding and window
    cells outside the grid keep their own indices (-1, H, ...), so nothing shifts.

    Parameters
    ----------
    values : ndarray, shape (H, W)
        The grid. NaN shows grey with "nan"; ±inf is clipped to the finite range
        for colour and printed as ∞.
    name : str
        "x", "y", "dL/dy", "dL/dx": hover reads ``name[r, c] = value``; default title.
    kind : {"values", "gradient"}
        Sequential Viridis scale, or reversed RdBu centred at 0 with zmin = -zmax.
    title : str, optional
        Figure title; defaults to `name`.
    winner_mask : ndarray of bool, shape (H, W), optional
        Cells marked with a corner badge (a black triangle in the top-right corner) and a black
        outline. Defaults to ``win_counts > 0``.
    win_counts : ndarray of int, shape (H, W), optional
        Windows won by each cell: a small "×k" in the top-left corner when k > 1, and in hover.
    tie_mask : ndarray of bool, shape (H, W), optional
        Tied maxima (``pooling.tied_cells``): an orange disc in the bottom-left corner, whatever
        the tie rule, so a tie shows even where no cell receives anything (rule ``none``).
    window_cells : list of ndarray, each shape (n, 2), or one ndarray (n_windows, n, 2), optional
        (row, col) cells of every window, padding cells included. Each window's
        bounding box is drawn as a solid dark line on a white halo (traces "windows-halo", "windows").
    highlight_cells : ndarray of int, shape (n, 2), optional
        Cells of the selected window (or one output cell): each outlined in
        `HIGHLIGHT`, plus a dashed `HIGHLIGHT` bounding box.
    padding : (int, int)
        (ph, pw) ghost rows/cols drawn around the grid (grey, "−∞" for values,
        blank for gradients). The drawn area also grows to hold every window and
        highlighted cell.
    extra_hover : ndarray of str or object, shape (H, W), optional
        Extra hover lines per cell: a string or a list of strings.
    selectable : bool
        Add a transparent marker per cell (customdata = [row, col]) as the last
        trace, named "cells", for ``st.plotly_chart(on_select="rerun")``.
    height : int, optional
        Pixel height; by default about 40 px per row, clamped to 260..640.
    font_scale : float
        Multiplies every font size (presentation mode).

    Returns
    -------
    go.Figure
        Traces in order: "grid" (Heatmap), "windows-halo" and "windows" (if `window_cells`),
        "winners" (if `winner_mask` or `win_counts`: the count labels on printed grids, the badges
        on big ones), "winner-outlines" (big grids), "ties" (big grids with `tie_mask`), "cells"
        (if `selectable`). Shapes carry names: "padding", "grid-border", "winner", "winner-badge",
        "tie-mark", "highlight-cell", "highlight-box".
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D (H, W), got shape {values.shape}")
    if kind not in ("values", "gradient"):
        raise ValueError(f"kind must be 'values' or 'gradient', got {kind!r}")
    n_h, n_w = values.shape
    pad_h, pad_w = (int(p) for p in padding)
    if pad_h < 0 or pad_w < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")

    has_windows = window_cells is not None and len(window_cells) > 0
    boxes = _window_boxes(window_cells) if has_windows else np.zeros((0, 4), np.int64)
    highlight = _as_cells(highlight_cells) if highlight_cells is not None else _as_cells([])

    # Drawn extent in cell indices: grid, padding, and anything a window reaches.
    row_lo, row_hi, col_lo, col_hi = -pad_h, n_h - 1 + pad_h, -pad_w, n_w - 1 + pad_w
    if len(boxes):
        row_lo, row_hi = min(row_lo, int(boxes[:, 0].min())), max(row_hi, int(boxes[:, 1].max()))
        col_lo, col_hi = min(col_lo, int(boxes[:, 2].min())), max(col_hi, int(boxes[:, 3].max()))
    if len(highlight):
        row_lo, row_hi = min(row_lo, int(highlight[:, 0].min())), max(row_hi, int(highlight[:, 0].max()))
        col_lo, col_hi = min(col_lo, int(highlight[:, 1].min())), max(col_hi, int(highlight[:, 1].max()))
    n_rows, n_cols = row_hi - row_lo + 1, col_hi - col_lo + 1
    r0, c0 = -row_lo, -col_lo  # offset of grid cell (0, 0) in the drawn arrays

    annotated = n_h <= MAX_ANNOTATED_SIDE and n_w <= MAX_ANNOTATED_SIDE
    margin = dict(l=int(52 * font_scale), r=8, t=int(36 * font_scale) + 8, b=int(44 * font_scale))
    if height is None:
        height = n_rows * _CELL_PX * font_scale + margin["t"] + margin["b"]
        height = int(min(max(height, _MIN_HEIGHT * font_scale), _MAX_HEIGHT * font_scale))
    plot_px = max(height - margin["t"] - margin["b"], 50)
    cell_px = min(plot_px / n_rows, _ASSUMED_WIDTH_PX / n_cols)

    # Colour: clip ±inf into the finite range; NaN stays NaN and shows the grey background.
    zmin, zmax = _color_range(values, kind)
    z = np.full((n_rows, n_cols), np.nan)
    z[r0 : r0 + n_h, c0 : c0 + n_w] = np.clip(values, zmin, zmax)

    counts = None if win_counts is None else np.asarray(win_counts, dtype=np.int64)
    extra = None if extra_hover is None else np.asarray(extra_hover, dtype=object)
    for label, arr in (("win_counts", counts), ("extra_hover", extra)):
        if arr is not None and arr.shape != values.shape:
            raise ValueError(f"{label} must have shape {values.shape}, got {arr.shape}")

    pad_text = "−∞" if kind == "values" else ""
    pad_hover = "padding (−∞: never wins)" if kind == "values" else "padding (gets no gradient)"
    text = np.full((n_rows, n_cols), pad_text, dtype=object)
    hover = np.full((n_rows, n_cols), "", dtype=object)
    grid_hover = np.empty((n_h, n_w), dtype=object)
    for r in range(n_h):
        for c in range(n_w):
            shown = format_value(values[r, c])
            lines = [f"{name}[{r}, {c}] = {shown}"]
            if counts is not None and counts[r, c] > 0:
                k = int(counts[r, c])
                lines.append(f"wins {k} window" + ("s" if k > 1 else ""))
            if extra is not None:
                lines.extend(_extra_lines(extra[r, c]))
            text[r0 + r, c0 + c] = shown
            grid_hover[r, c] = "<br>".join(lines)
    hover[:, :] = [[f"{pad_hover}<br>[{r}, {c}]" for c in range(col_lo, col_hi + 1)] for r in range(row_lo, row_hi + 1)]
    hover[r0 : r0 + n_h, c0 : c0 + n_w] = grid_hover

    heatmap = go.Heatmap(
        name="grid",
        x=np.arange(col_lo, col_hi + 1),
        y=np.arange(row_lo, row_hi + 1),
        z=z,
        zmin=zmin,
        zmax=zmax,
        zmid=0.0 if kind == "gradient" else None,
        colorscale=GRADIENT_COLORSCALE if kind == "gradient" else VALUES_COLORSCALE,
        text=text if annotated else None,
        texttemplate="%{text}" if annotated else None,
        hovertext=None if selectable else hover,
        # With a "cells" layer on top, that layer answers hover (and clicks) instead.
        hoverinfo="skip" if selectable else "text",
        xgap=1 if cell_px >= 6 else 0,
        ygap=1 if cell_px >= 6 else 0,
        colorbar=dict(thickness=10, outlinewidth=0, tickfont=dict(size=11 * font_scale), len=0.9),
        # Printed numbers already say what each colour means; the bar earns its width only without them.
        showscale=not annotated,
    )
    traces: list[Any] = [heatmap]
    shapes: list[dict] = []

    if (row_lo, row_hi, col_lo, col_hi) != (0, n_h - 1, 0, n_w - 1):
        fill = dict(fillcolor=PADDING_COLOR, line=dict(width=0), layer="below", name="padding")
        bands = [
            (row_lo, -1, col_lo, col_hi),  # above the grid
            (n_h, row_hi, col_lo, col_hi),  # below
            (0, n_h - 1, col_lo, -1),  # left
            (0, n_h - 1, n_w, col_hi),  # right
        ]
        shapes += [_rect(a - 0.5, b + 0.5, c - 0.5, d + 0.5, **fill) for a, b, c, d in bands if a <= b and c <= d]
        border = dict(line=dict(color="#606060", width=1.5), layer="above", name="grid-border")
        shapes.append(_rect(-0.5, n_h - 0.5, -0.5, n_w - 0.5, **border))

    if len(boxes):
        # One NaN-separated line trace instead of thousands of shapes keeps big grids fast.
        t, b = boxes[:, 0] - 0.5 + _WINDOW_INSET, boxes[:, 1] + 0.5 - _WINDOW_INSET
        left, right = boxes[:, 2] - 0.5 + _WINDOW_INSET, boxes[:, 3] + 0.5 - _WINDOW_INSET
        gap = np.full(len(boxes), np.nan)
        # float32 halves the JSON sent to the browser; the error is far below a pixel.
        xs = np.column_stack([left, right, right, left, left, gap]).ravel().astype(np.float32)
        ys = np.column_stack([t, t, b, b, t, gap]).ravel().astype(np.float32)
        line_px = min(max(cell_px / 24, 1.5), 3.0) * max(font_scale, 1.0) ** 0.5
        layers = (("windows-halo", WINDOW_HALO_COLOR, line_px + 2), ("windows", WINDOW_LINE_COLOR, line_px))
        for trace_name, color, width in layers:
            traces.append(
                go.Scatter(
                    name=trace_name,
                    x=xs,
                    y=ys,
                    mode="lines",
                    line=dict(color=color, width=width),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )

    if winner_mask is not None or counts is not None:
        mask = np.asarray(winner_mask, dtype=bool) if winner_mask is not None else counts > 0
        if mask.shape != values.shape:
            raise ValueError(f"winner_mask must have shape {values.shape}, got {mask.shape}")
        rows, cols = np.nonzero(mask)
        if annotated:
            # The badge is a shape in data coordinates, so it stays in its corner at any zoom and never
            # reaches the printed value; the "winners" trace carries the cells and their counts.
            badge = dict(
                fillcolor=WINNER_COLOR, line=dict(color="#ffffff", width=1), layer="above", name="winner-badge"
            )
            shapes += [_corner_badge(int(r), int(c), **badge) for r, c in zip(rows, cols)]
            # Inside the winner's outline (drawn above the traces), so the outline never crosses the count; as
            # big as the room between the corner and the printed value (half the font size from the centre)
            # allows. Too small to read, it is left out: the hover still says how many windows a cell wins.
            count_inset = _WINNER_INSET + 0.02
            count_px = min((0.5 - count_inset) * cell_px - 13 * font_scale / 2 - 0.5, 14 * font_scale)
            labels = [""] * len(rows)
            if counts is not None and count_px >= 7:
                labels = [f"×{k}" if k > 1 else "" for k in counts[rows, cols]]
            traces.append(
                go.Scatter(
                    name="winners",
                    # Anchored at the top-left corner, the label hangs into the cell, away from its middle.
                    x=cols - 0.5 + count_inset,
                    y=rows - 0.5 + count_inset,
                    customdata=np.column_stack([rows, cols]),
                    mode="text",
                    text=labels,
                    textposition="bottom right",
                    textfont=dict(size=count_px, color="#111111", shadow="auto"),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
        else:
            # No printed values: the badge is a marker in the cell's top-right quarter.
            traces.append(
                _corner_marks(
                    "winners", rows, cols, (+1, -1), "triangle-ne",
                    size=min(max(cell_px * 0.45, 3), 12), color=WINNER_COLOR, line_color="#ffffff",
                )
            )
        width = min(max(cell_px / 12, 1.0), 3.0)
        if annotated:
            outline = dict(line=dict(color=WINNER_COLOR, width=width), layer="above", name="winner")
            shapes += [_cell_rect(int(r), int(c), _WINNER_INSET, **outline) for r, c in zip(rows, cols)]
        else:
            # Big grids can have thousands of winners: one trace of open squares draws their
            # outlines at a fraction of the cost of one layout shape each.
            traces.append(
                go.Scatter(
                    name="winner-outlines",
                    x=cols,
                    y=rows,
                    mode="markers",
                    marker=dict(symbol="square-open", size=max(cell_px * (1 - 2 * _WINNER_INSET), 3),
                                color=WINNER_COLOR, line=dict(width=width)),
                    selected=dict(marker=dict(opacity=1)),
                    unselected=dict(marker=dict(opacity=1)),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )

    if tie_mask is not None:
        tied = np.asarray(tie_mask, dtype=bool)
        if tied.shape != values.shape:
            raise ValueError(f"tie_mask must have shape {values.shape}, got {tied.shape}")
        t_rows, t_cols = np.nonzero(tied)
        if annotated:
            disc = dict(fillcolor=TIE_COLOR, line=dict(color="#000000", width=1), layer="above", name="tie-mark")
            shapes += [_tie_disc(int(r), int(c), **disc) for r, c in zip(t_rows, t_cols)]
        elif len(t_rows):
            traces.append(
                _corner_marks(
                    "ties", t_rows, t_cols, (-1, +1), "circle",
                    size=min(max(cell_px * 0.4, 3), 10), color=TIE_COLOR, line_color="#000000",
                )
            )

    if len(highlight):
        width = min(max(cell_px / 14, 1.0), 2.5)
        cell_style = dict(line=dict(color=HIGHLIGHT, width=width), layer="above", name="highlight-cell")
        shapes += [_cell_rect(int(r), int(c), _HIGHLIGHT_CELL_INSET, **cell_style) for r, c in highlight]
        (top, left), (bottom, right) = highlight.min(axis=0), highlight.max(axis=0)
        box_style = dict(line=dict(color=HIGHLIGHT, width=3), layer="above", name="highlight-box")
        shapes.append(_rect(top - 0.5, bottom + 0.5, left - 0.5, right + 0.5, **box_style))

    if selectable:
        rows, cols = np.divmod(np.arange(n_h * n_w), n_w)
        traces.append(
            go.Scatter(
                name="cells",
                x=cols,
                y=rows,
                customdata=np.column_stack([rows, cols]),
                mode="markers",
                marker=dict(size=max(cell_px, 4), color="rgba(0,0,0,0)", symbol="square"),
                selected=dict(marker=dict(opacity=0)),
                unselected=dict(marker=dict(opacity=0)),
                hovertext=grid_hover.ravel(),
                hoverinfo="text",
                showlegend=False,
            )
        )

    font = dict(size=13 * font_scale)
    axis = dict(
        showgrid=False,
        zeroline=False,
        showline=False,
        ticks="",
        tickmode="array",
        tickfont=dict(size=11 * font_scale),
        constrain="domain",
    )
    layout = dict(
        title=dict(text=title if title is not None else name, x=0.0, xanchor="left", font=dict(size=16 * font_scale)),
        height=height,
        margin=margin,
        font=font,  # also caps the auto-fitted size of the numbers in cells
        hoverlabel=dict(font=dict(size=12 * font_scale)),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor=NAN_COLOR,
        showlegend=False,
        hovermode="closest",
        shapes=shapes,
        xaxis=dict(
            axis,
            title=dict(text="column", font=dict(size=13 * font_scale)),
            tickvals=_ticks(col_lo, col_hi),
            range=[col_lo - 0.5, col_hi + 0.5],
            autorange=False,
        ),
        yaxis=dict(
            axis,
            title=dict(text="row", font=dict(size=13 * font_scale)),
            tickvals=_ticks(row_lo, row_hi),
            # Reversed by giving the range top-down. autorange="reversed" would let the
            # scatter markers pad the range past the cells (and clamping it with
            # autorangeoptions breaks under scaleanchor in Plotly.js 4).
            range=[row_hi + 0.5, row_lo - 0.5],
            autorange=False,
            scaleanchor="x",
            scaleratio=1,
        ),
    )
    # Every key above is a fixed, valid Plotly property (the tests re-validate the
    # figure); skipping validation makes ~1000 winner shapes cost ms, not 0.2 s.
    fig = go.Figure(data=traces, layout=layout, _validate=False)
    return fig


def _get(obj: Any, key: str) -> Any:
    """Read key from a mapping or attribute from an object; None when missing."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError):
        return getattr(obj, key, None)


def selected_cell(selection_event: Any) -> tuple[int, int] | None:
    """The (row, col) of the last clicked cell in a Streamlit Plotly selection event.

    Parameters
    ----------
    selection_event : mapping or object or None
        What ``st.plotly_chart(fig, on_select="rerun")`` returns:
        ``{"selection": {"points": [{"customdata": [r, c], ...}, ...]}}``,
        by key or by attribute.

    Returns
    -------
    (int, int) or None
        From the last point whose customdata is a (row, col) pair (the "cells"
        layer), or None when nothing such was selected.
    """
    points = _get(_get(selection_event, "selection"), "points")
    for point in reversed(list(points or [])):
        data = _get(point, "customdata")
        if isinstance(data, Mapping):
            # Streamlit hands a typed-array row back as {"0": row, "1": col}.
            data = [data[k] for k in sorted(data, key=lambda k: int(k))] if all(
                str(k).isdigit() for k in data) else None
        if data is None or isinstance(data, (str, bytes)):
            continue
        try:
            row, col = (float(v) for v in data)
        except (TypeError, ValueError):
            continue
        if row.is_integer() and col.is_integer():
            return int(row), int(col)
    return None


def _corner_marks(name, rows, cols, corner, symbol, *, size, color, line_color) -> go.Scatter:
    """One marker per cell in the corner ``corner`` = (column sign, row sign) of each cell: the badges of
    big grids with no printed values, where one trace costs far less than a layout shape per cell."""
    return go.Scatter(
        name=name,
        x=cols + corner[0] * _BIG_MARK_OFFSET,
        y=rows + corner[1] * _BIG_MARK_OFFSET,
        customdata=np.column_stack([rows, cols]),
        mode="markers",
        marker=dict(symbol=symbol, size=size, color=color, line=dict(color=line_color, width=0.5)),
        # Clicking a cell must not dim the badges (Plotly fades unselected points).
        selected=dict(marker=dict(opacity=1)),
        unselected=dict(marker=dict(opacity=1)),
        hoverinfo="skip",
        showlegend=False,
    )
