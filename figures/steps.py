"""Figures for the quiz, built on ``make_grid_figure``: fixed colour limits and right/wrong badges.

(Step through draws the linked picture, ``figures.linked``; its cells fill in there.)"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures.grid import format_value, make_grid_figure

RIGHT_COLOR = "#117733"  # Paul Tol's green and vermillion: apart for every colour vision,
WRONG_COLOR = "#cc3311"  # and the badges carry a symbol (✓ / ✗) so colour is never alone.
RIGHT_SYMBOL, WRONG_SYMBOL = "✓", "✗"

_BADGE_OFFSET = 0.32  # badge centre from the cell centre (cells), down and right, when values are printed


def paired_height(in_shape: tuple[int, int], padding: tuple[int, int] = (0, 0), font_scale: float = 1.0) -> int:
    """Pixel height for the figures of one x of this shape: about 46 px a row (padding included), 300 to 640."""
    rows = in_shape[0] + 2 * padding[0]
    return int(min(max(rows * 46 + 100, 300), 640) * font_scale)


def _grid_origin(fig: go.Figure) -> tuple[int, int]:
    """(row, col) index in the drawn arrays of grid cell (0, 0); padding rows/cols come first."""
    heat = fig.data[0]
    return -int(heat.y[0]), -int(heat.x[0])


def set_color_range(fig: go.Figure, values: np.ndarray, zmin: float, zmax: float) -> go.Figure:
    """Fix the colour limits of a ``make_grid_figure`` figure (in place) and re-clip its grid.

    A grid that changes from step to step keeps its colours only if the limits do not
    follow the values shown at each step.
    """
    values = np.asarray(values, dtype=float)
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)
    r0, c0 = _grid_origin(fig)
    h, w = values.shape
    z[r0 : r0 + h, c0 : c0 + w] = np.clip(values, zmin, zmax)
    heat.update(z=z, zmin=zmin, zmax=zmax)
    return fig


def make_verdict_figure(
    values: np.ndarray,
    correct: np.ndarray,
    *,
    name: str,
    title: str,
    hover_lines: np.ndarray | None = None,
    color_limit: float | None = None,
    **grid_kwargs,
) -> go.Figure:
    """A gradient grid with a ✓ or ✗ badge on every cell (right or wrong), for the quiz.

    Parameters
    ----------
    values : ndarray, shape (H, W)
        What the cells print: the student's answer or the right dL/dx.
    correct : ndarray of bool, shape (H, W)
        Which cells the student got right.
    name, title : str
        As for ``make_grid_figure``.
    hover_lines : ndarray of str or object, shape (H, W), optional
        Extra hover lines per cell (passed as ``extra_hover``); the verdict is added.
    color_limit : float, optional
        Symmetric colour limits ``±color_limit``, so two figures side by side compare.
    **grid_kwargs
        Passed to ``make_grid_figure`` (winner_mask, padding, font_scale, ...).

    Returns
    -------
    go.Figure
        ``make_grid_figure``'s traces plus a "verdicts" trace: a white badge per cell at
        its bottom-right corner (clear of the printed value, the winner badge at the top right and the tie
        mark at the bottom left), holding ✓ or ✗, outlined and
        written in `RIGHT_COLOR` or `WRONG_COLOR`; customdata holds (row, col, right).
    """
    values = np.asarray(values, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if correct.shape != values.shape:
        raise ValueError(f"correct must have shape {values.shape}, got {correct.shape}")
    verdict_words = np.where(correct, f"{RIGHT_SYMBOL} right", f"{WRONG_SYMBOL} wrong")
    hover = np.empty(values.shape, dtype=object)
    for (r, c), word in np.ndenumerate(verdict_words):
        extra = [] if hover_lines is None else [str(hover_lines[r, c])]
        hover[r, c] = [*extra, str(word)]
    fig = make_grid_figure(values, name=name, kind="gradient", title=title, extra_hover=hover, **grid_kwargs)
    if color_limit is not None and np.isfinite(color_limit) and color_limit > 0:
        set_color_range(fig, values, -color_limit, color_limit)

    annotated = fig.data[0].text is not None
    rows, cols = np.nonzero(np.ones(values.shape, dtype=bool))
    ok = correct[rows, cols]
    offset = _BADGE_OFFSET if annotated else 0.0
    height = fig.layout.height
    n_rows = len(fig.data[0].y)
    cell_px = max((height - 90) / max(n_rows, 1), 4)
    # Diameter about a quarter of the cell: from the corner it reaches no closer than 0.2 cell to the centre.
    size = float(min(max(cell_px * (0.26 if annotated else 0.7), 6), 20))
    colors = np.where(ok, RIGHT_COLOR, WRONG_COLOR)
    fig.add_trace(
        go.Scatter(
            name="verdicts",
            x=cols + offset,
            y=rows + offset,
            customdata=np.column_stack([rows, cols, ok.astype(int)]),
            mode="markers+text" if annotated else "markers",
            text=np.where(ok, RIGHT_SYMBOL, WRONG_SYMBOL) if annotated else None,
            textposition="middle center",
            textfont=dict(size=size * 0.75, color=colors.tolist()),
            marker=dict(
                symbol="circle" if annotated else np.where(ok, "circle", "x").tolist(),
                size=size,
                color="white" if annotated else colors.tolist(),
                line=dict(color=colors.tolist(), width=1.5),
            ),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    return fig


def verdict_hover(answer: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(H, W) hover lines "you wrote a · right is b" for the verdict figures."""
    answer, right = np.asarray(answer, dtype=float), np.asarray(right, dtype=float)
    out = np.empty(answer.shape, dtype=object)
    for (r, c), a in np.ndenumerate(answer):
        out[r, c] = f"you wrote {format_value(a)} · right is {format_value(right[r, c])}"
    return out
