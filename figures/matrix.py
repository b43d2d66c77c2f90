"""The selection matrix S (rows: output cells, columns: input cells) as a figure: cell by cell while
it is small, as a scatter of its non-zero entries once it is too big to draw densely."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from figures.grid import HIGHLIGHT, format_value

DENSE_LIMIT = 20_000
"""Largest number of entries (rows × columns) of S drawn cell by cell; above it only the non-zeros are drawn."""

MAX_ANNOTATED_ENTRIES = 1_200
"""Non-zero entries carry their printed value while S has at most this many entries (cells stay readable)."""

MAX_LABELLED_AXIS = 32
"""Axes of up to this many rows or columns get one label per row or column."""

# White for 0, deepening blue for larger shares: a sequential scale that keeps the zeros quiet.
MATRIX_COLORSCALE = [[0.0, "#ffffff"], [0.35, "#9ecae1"], [1.0, "#08306b"]]
SPARSE_COLORSCALE = [[0.0, "#9ecae1"], [1.0, "#08306b"]]
_CELL_PX = 36  # wanted cell size; smaller when S is wide
_ASSUMED_WIDTH_PX = 900  # plot width guess, only used to size the figure and markers
_COLORBAR_PX = 90
_MIN_HEIGHT, _MAX_HEIGHT = 220, 640


def _labels(labels: Sequence[str] | None, n: int, prefix: str) -> list[str]:
    if labels is None:
        return [f"{prefix}{k}" for k in range(n)]
    if len(labels) != n:
        raise ValueError(f"expected {n} {prefix}labels, got {len(labels)}")
    return [str(s) for s in labels]


def _ticks(n: int, labels: list[str]) -> dict:
    if n <= MAX_LABELLED_AXIS:
        return dict(tickmode="array", tickvals=list(range(n)), ticktext=labels)
    return dict(tickmode="auto", nticks=12)


def make_selection_matrix_figure(
    output_index: np.ndarray,
    input_index: np.ndarray,
    weight: np.ndarray,
    shape: tuple[int, int],
    *,
    out_labels: Sequence[str] | None = None,
    in_labels: Sequence[str] | None = None,
    selected_row: int | None = None,
    window_columns: Sequence[int] | None = None,
    title: str = "S: rows are output cells, columns are input cells",
    dense_limit: int = DENSE_LIMIT,
    font_scale: float = 1.0,
) -> go.Figure:
    """Draw S from its non-zero entries (the COO triplets of ``pooling.routing``).

    Parameters
    ----------
    output_index, input_index : ndarray of int, shape (M,)
        Row and column of each non-zero entry.
    weight : ndarray of float, shape (M,)
        ``S[row, col]``. Repeated (row, col) pairs are not expected.
    shape : (int, int)
        ``(n_out, n_in)``: rows and columns of S.
    out_labels, in_labels : sequence of str, optional
        Names of rows ("y[0, 1]") and columns ("x[2, 3]"), used for ticks and hover.
    selected_row : int, optional
        Row outlined with a dashed `HIGHLIGHT` box (shape "highlight-row").
    window_columns : sequence of int, optional
        Columns of the selected row's window (its input cells): outlined in `HIGHLIGHT`
        (shapes "highlight-cell") when drawn densely, open `HIGHLIGHT` squares (trace "window") otherwise.
    dense_limit : int
        Draw cell by cell (a Heatmap named "matrix") while ``n_out * n_in <= dense_limit``;
        beyond, only a Scatter of the non-zeros (trace "entries") is drawn, which stays fast.

    Returns
    -------
    go.Figure
        Dense: traces "matrix" (Heatmap, z of shape (n_out, n_in)) and "cells" (transparent markers on the
        non-zeros, customdata [row, col], for clicking a row). Sparse: "entries" (Scatter, x = column,
        y = row, colour = weight, customdata [row, col]) and, with a selection, "window". Row 0 is on top.
        A dense figure has a layout width fitted to the matrix (draw it with ``width="content"``).
    """
    n_out, n_in = (int(v) for v in shape)
    rows = np.asarray(output_index, dtype=np.int64)
    cols = np.asarray(input_index, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    if not (rows.shape == cols.shape == weight.shape and rows.ndim == 1):
        raise ValueError("output_index, input_index and weight must be 1-D of the same length")
    out_names = _labels(out_labels, n_out, "row ")
    in_names = _labels(in_labels, n_in, "col ")
    dense = n_out * n_in <= dense_limit
    zmax = max(1.0, float(weight.max())) if weight.size else 1.0
    hover = [
        f"S[{r}, {c}] = {format_value(w)}<br>{out_names[r]} takes {format_value(w)} × {in_names[c]}"
        for r, c, w in zip(rows, cols, weight)
    ]
    traces: list = []
    shapes: list[dict] = []
    if dense:
        z = np.zeros((n_out, n_in))
        z[rows, cols] = weight
        annotate = n_out * n_in <= MAX_ANNOTATED_ENTRIES
        text = np.full((n_out, n_in), "", dtype=object)
        if annotate:
            text[rows, cols] = [format_value(w) for w in weight]
        traces.append(
            go.Heatmap(
                name="matrix",
                z=z,
                x=np.arange(n_in),
                y=np.arange(n_out),
                zmin=0.0,
                zmax=zmax,
                colorscale=MATRIX_COLORSCALE,
                text=text if annotate else None,
                texttemplate="%{text}" if annotate else None,
                xgap=1 if n_in <= 80 else 0,
                ygap=1 if n_out <= 80 else 0,
                hoverinfo="skip",
                colorbar=dict(thickness=10, outlinewidth=0, len=0.9, title=dict(text="share")),
            )
        )
        marker = dict(
            size=max(4, min(_CELL_PX, _ASSUMED_WIDTH_PX // max(n_in, 1))), color="rgba(0,0,0,0)", symbol="square"
        )
    else:
        marker = dict(
            size=max(3, min(10, _ASSUMED_WIDTH_PX // max(n_in, n_out, 1) + 2)),
            color=weight,
            cmin=0.0,
            cmax=zmax,
            # Only non-zeros are drawn, so the scale starts at a visible blue rather than white.
            colorscale=SPARSE_COLORSCALE,
            symbol="square",
            line=dict(width=0),
            colorbar=dict(thickness=10, outlinewidth=0, len=0.9, title=dict(text="share")),
        )
    traces.append(
        go.Scatter(
            name="cells" if dense else "entries",
            x=cols,
            y=rows,
            customdata=np.column_stack([rows, cols]),
            mode="markers",
            marker=marker,
            selected=dict(marker=dict(opacity=1 if not dense else 0)),
            unselected=dict(marker=dict(opacity=1 if not dense else 0)),
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    if selected_row is not None:
        r = int(selected_row)
        shapes.append(
            dict(
                type="rect",
                name="highlight-row",
                xref="x",
                yref="y",
                x0=-0.5,
                x1=n_in - 0.5,
                y0=r - 0.5,
                y1=r + 0.5,
                line=dict(color=HIGHLIGHT, width=2.5, dash="dash"),
                layer="above",
            )
        )
        columns = [int(c) for c in (window_columns if window_columns is not None else [])]
        if dense:
            shapes += [
                dict(
                    type="rect",
                    name="highlight-cell",
                    xref="x",
                    yref="y",
                    x0=c - 0.45,
                    x1=c + 0.45,
                    y0=r - 0.45,
                    y1=r + 0.45,
                    line=dict(color=HIGHLIGHT, width=1.5),
                    layer="above",
                )
                for c in columns
            ]
        elif columns:
            traces.append(
                go.Scatter(
                    name="window",
                    x=columns,
                    y=[r] * len(columns),
                    mode="markers",
                    marker=dict(symbol="square-open", size=9, color=HIGHLIGHT, line=dict(width=2)),
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
    labelled = n_in <= MAX_LABELLED_AXIS  # column labels such as "x[3, 2]" stand rotated under the matrix
    margin = dict(l=int(72 * font_scale), r=8, t=int(40 * font_scale) + 8, b=int((96 if labelled else 56) * font_scale))
    width = None
    if dense:
        # Presenting, cells and the room they may take grow with the fonts (the page is wider too).
        cell_px = min(_CELL_PX * font_scale, _ASSUMED_WIDTH_PX * font_scale / max(n_in, 1))
        height = int(min(max(n_out * cell_px + margin["t"] + margin["b"], _MIN_HEIGHT), _MAX_HEIGHT * font_scale))
        # Sized to the matrix, so the colour bar sits next to it rather than across the page.
        width = int(max(n_in * cell_px, 360) + margin["l"] + margin["r"] + _COLORBAR_PX)
    else:
        height = 520
    x_axis = dict(
        title=dict(text="column of S = input cell (x flattened row by row)"),
        showgrid=False,
        zeroline=False,
        range=[-0.5, n_in - 0.5],
        autorange=False,
        constrain="domain",
        tickangle=-90 if labelled else 0,
        **_ticks(n_in, in_names),
    )
    y_axis = dict(
        title=dict(text="row of S = output cell"),
        showgrid=False,
        zeroline=False,
        range=[n_out - 0.5, -0.5],
        autorange=False,
        **_ticks(n_out, out_names),
    )
    if dense:
        # Square cells, so S reads like the matrix it is.
        y_axis.update(scaleanchor="x", scaleratio=1)
    title_text = title
    if not dense:
        title_text = f"{title} · only its {len(weight):,} non-zeros of {n_out * n_in:,} drawn (axes not to scale)"
    fig = go.Figure(data=traces)
    fig.update_layout(
        title=dict(text=title_text, x=0.0, xanchor="left", font=dict(size=15 * font_scale)),
        height=height,
        width=width,
        margin=margin,
        font=dict(size=12 * font_scale),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff" if not dense else "#f4f4f4",
        hovermode="closest",
        showlegend=False,
        shapes=shapes,
        xaxis=x_axis,
        yaxis=y_axis,
    )
    return fig
