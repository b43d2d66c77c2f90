"""Max vs average: the same x and dL/dy through max pooling and average pooling, and where each
sends the gradient.

Both results come from ``pooling`` (``max_pool2d`` through ``ui.model``, ``avg_pool2d`` and its
backward here); this module picks the average pooling's settings, gathers the totals and draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st

import pooling
from figures import format_value, make_grid_figure, selected_cell
from figures.compare import make_mass_figure
from ui import presentation, state, text
from ui.explorer import figure_size
from ui.model import Pooled

COUNT_INCLUDE_PAD = "cip"  # link parameter: "0" divides by the real cells only (PyTorch's default is 1)


@dataclass(frozen=True)
class Comparison:
    """Max pooling (the view as the explorer shows it) next to average pooling of the same x.

    ``avg_dy`` is the view's dL/dy, resized (new cells 1) when average pooling's y has another
    shape, which happens only when the view uses dilation. ``notes`` say what differs and why.
    """

    max: Pooled
    avg: pooling.AvgPoolResult
    avg_dy: np.ndarray
    avg_dx: np.ndarray
    notes: list = field(default_factory=list)

    @property
    def max_mass(self) -> float:
        return float(self.max.dx.sum())

    @property
    def avg_mass(self) -> float:
        return float(self.avg_dx.sum())

    @property
    def max_dy_total(self) -> float:
        """Σ dL/dy over the windows that have a winner (a window wholly in padding sends nothing)."""
        return float(self.max.dy[self.max.res.indices >= 0].sum())

    @property
    def avg_dy_total(self) -> float:
        return float(self.avg_dy.sum())


def compare(p: Pooled, count_include_pad: bool) -> Comparison | str:
    """Average-pool the view's x with its window (dilation 1: average pooling has none); or a message."""
    w = p.window
    notes = []
    if w.dilation != (1, 1):
        notes.append(
            f"Average pooling has no dilation (PyTorch's avg_pool2d takes none), so the average side uses dilation 1 "
            f"with the same kernel, stride, padding and ceil mode: its windows are contiguous blocks, while max "
            f"pooling's read cells {w.dilation[0]} rows and {w.dilation[1]} columns apart."
        )
    try:
        avg = pooling.avg_pool2d(
            p.x,
            w.kernel,
            stride=w.stride,
            padding=w.padding,
            ceil_mode=w.ceil_mode,
            count_include_pad=count_include_pad,
        )
    except ValueError as err:
        return f"Average pooling cannot use these settings: {err}"
    avg_dy = p.dy
    if avg.out.shape != p.dy.shape:
        avg_dy = state.resized(p.dy, avg.out.shape, 1.0)
        notes.append(
            f"Without dilation, average pooling's y is {avg.out.shape[0]}×{avg.out.shape[1]} while max pooling's "
            f"is {p.y.shape[0]}×{p.y.shape[1]}: its dL/dy keeps the values that fit and has 1 in the new cells."
        )
    return Comparison(p, avg, avg_dy, pooling.avg_pool2d_backward(avg_dy, avg), notes)


def count_include_pad_control(has_padding: bool) -> bool:
    """A checkbox for count_include_pad (kept in the link); returns its value."""
    state.seed_widget("mva_cip", state.link_choice(COUNT_INCLUDE_PAD, ("0", "1"), "1") != "0")
    value = st.checkbox(
        "Average over padded positions too (count_include_pad, PyTorch's default)",
        key="mva_cip",
        help="Checked: every window divides its sum by the full window size, padded zeros included. "
        "Unchecked: it divides by the number of real cells of x in the window. Only matters with padding.",
    )
    state.set_extra(**{COUNT_INCLUDE_PAD: None if value else "0"})
    if not has_padding:
        st.caption("No padding right now, so both choices give the same result.")
    return bool(value)


# --------------------------------------------------------------------------- selected window


def _on_y_click(key: str) -> None:
    cell = selected_cell(st.session_state.get(key))
    if cell is not None:
        state.set_extra(sel=f"{cell[0]},{cell[1]}")


def avg_cell(c: Comparison, cell: tuple[int, int]) -> tuple[int, int]:
    """The selected window on the average side: the same (i, j), clamped to its y."""
    H_out, W_out = c.avg.out.shape
    return min(cell[0], H_out - 1), min(cell[1], W_out - 1)


def avg_window_math(c: Comparison, cell: tuple[int, int]) -> tuple[list[str], str]:
    """LaTeX: the selected average window's mean with its numbers, and the share each of its cells
    receives; plus a sentence on who receives it."""
    i, j = cell
    geom = c.avg.geometry
    widx = geom.window_index()[i, j]
    flat = c.avg.x.reshape(-1)
    values = np.where(widx >= 0, flat[np.maximum(widx, 0)], 0.0)
    rows = [
        " & ".join(text.latex_number(v) if idx >= 0 else r"\color{gray}{0}" for v, idx in zip(row, idx_row))
        for row, idx_row in zip(values, widx)
    ]
    matrix = r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    divisor = int(c.avg.divisor[i, j])
    g = c.avg_dy[i, j]
    share = g / divisor
    real = int((widx >= 0).sum())
    padded = divisor - real
    lines = [
        rf"y^{{\mathrm{{avg}}}}_{{{i},{j}}} = \tfrac{{1}}{{{divisor}}} \sum {matrix} = "
        rf"{text.latex_number(c.avg.out[i, j])}",
        rf"\frac{{\partial L}}{{\partial x_{{h,w}}}} \mathrel{{+}}= \tfrac{{1}}{{{divisor}}} \cdot "
        rf"\frac{{\partial L}}{{\partial y_{{{i},{j}}}}} = \tfrac{{1}}{{{divisor}}} \cdot {text.latex_factor(g)} = "
        rf"{text.latex_number(share)}",
    ]
    who = f"Each of the window's {real} cells of x receives {format_value(share)}"
    if padded > 0:
        who += (
            f"; its {padded} padded position{'s take' if padded != 1 else ' takes'} a share too, and that "
            "gradient reaches no cell of x."
        )
    else:
        who += ": every cell of the window, winner or not."
    return lines, who


# --------------------------------------------------------------------------- figures and totals


def figures(c: Comparison, cell: tuple[int, int]) -> dict:
    """Forward row: x, y (max), y (average). Backward row: dL/dy, dL/dx (max), dL/dx (average)."""
    p = c.max
    acell = avg_cell(c, cell)
    geom, ageom = p.geometry, c.avg.geometry
    receivers = p.receivers(*cell)
    size = figure_size(p.x.shape)
    marks = dict(winner_mask=p.win_counts > 0, win_counts=p.win_counts, tie_mask=p.tied_cells) if size["marks"] else {}
    h = presentation.grown(size["height"])
    scale = presentation.font_scale()
    avg_window = ageom.window_cells(*acell)
    figs = {
        "mva_x_chart": make_grid_figure(
            p.x,
            name="x",
            title="x: the selected window (max ◥)",
            **marks,
            highlight_cells=geom.window_cells(*cell),
            padding=geom.padding,
            height=h,
            font_scale=scale,
        ),
        "mva_y_max_chart": make_grid_figure(
            p.y,
            name="y max",
            title="y = maxpool(x) · click a cell",
            highlight_cells=np.array([cell]),
            selectable=True,
            height=h,
            font_scale=scale,
        ),
        "mva_y_avg_chart": make_grid_figure(
            c.avg.out,
            name="y avg",
            title="y = avgpool(x) · click a cell",
            highlight_cells=np.array([acell]),
            selectable=True,
            height=h,
            font_scale=scale,
        ),
        "mva_dy_chart": make_grid_figure(
            p.dy,
            name="dL/dy",
            kind="gradient",
            title="dL/dy: upstream gradient",
            highlight_cells=np.array([cell]),
            height=h,
            font_scale=scale,
        ),
        "mva_dx_max_chart": make_grid_figure(
            p.dx,
            name="dL/dx max",
            kind="gradient",
            title=f"dL/dx, max ('{p.tie_policy}'): only winners",
            winner_mask=p.win_counts > 0 if size["marks"] else None,
            tie_mask=p.tied_cells if size["marks"] else None,
            highlight_cells=receivers if len(receivers) else None,
            padding=geom.padding,
            height=h,
            font_scale=scale,
        ),
        "mva_dx_avg_chart": make_grid_figure(
            c.avg_dx,
            name="dL/dx avg",
            kind="gradient",
            title="dL/dx, average: whole window",
            highlight_cells=avg_window,
            padding=ageom.padding,
            height=h,
            font_scale=scale,
        ),
    }
    # Both dL/dx on one colour scale: the page compares them, and each on its own range would paint
    # average pooling's 0.25 as dark as max pooling's 1.
    both = np.concatenate([p.dx.ravel(), c.avg_dx.ravel()])
    both = np.abs(both[np.isfinite(both)])
    limit = float(both.max()) if both.size and both.max() > 0 else 1.0
    for key in ("mva_dx_max_chart", "mva_dx_avg_chart"):
        figs[key].update_traces(zmin=-limit, zmax=limit, selector=dict(name="grid"))
    keys = list(figs)
    # Big grids: x and the two dL/dx (the size of x) get more room than the y-sized figures.
    big = max(p.x.shape) > 10
    widths = ([1.6, 1, 1], [1, 1.5, 1.5]) if big else ([1, 1, 1], [1, 1, 1])
    for row, width in zip((keys[:3], keys[3:]), widths):
        for col, key in zip(st.columns(width), row):
            with col:
                select = {}
                if key.startswith("mva_y_"):
                    select = dict(on_select=lambda k=key: _on_y_click(k), selection_mode="points")
                st.plotly_chart(figs[key], key=key, config={"displayModeBar": False}, **select)
    if geom.padding != (0, 0):
        st.caption("Padding reads −∞ for max pooling (it never wins) and 0 for average pooling (it dilutes the mean).")
    if c.avg_dy is not p.dy:
        st.caption("Average pooling's dL/dy is the one above, resized to its y (see the note at the top).")
    return figs


def totals_table(c: Comparison) -> pd.DataFrame:
    """Per pooling: Σ dL/dy fed in, Σ dL/dx handed to x, the difference, and how many cells receive gradient."""
    rows = [
        {
            "pooling": f"max ('{c.max.tie_policy}')",
            "Σ dL/dy": c.max_dy_total,
            "Σ dL/dx": c.max_mass,
            "Σ dL/dy − Σ dL/dx": c.max_dy_total - c.max_mass,
            "cells receiving gradient": int((c.max.dx != 0).sum()),
            "largest |dL/dx|": float(np.max(np.abs(c.max.dx), initial=0.0)),
        },
        {
            "pooling": "average",
            "Σ dL/dy": c.avg_dy_total,
            "Σ dL/dx": c.avg_mass,
            "Σ dL/dy − Σ dL/dx": c.avg_dy_total - c.avg_mass,
            "cells receiving gradient": int((c.avg_dx != 0).sum()),
            "largest |dL/dx|": float(np.max(np.abs(c.avg_dx), initial=0.0)),
        },
    ]
    table = pd.DataFrame(rows).set_index("pooling")
    # A keyed container, so tests and the browser find the table (st.dataframe takes a key only for selections).
    st.container(key="mva_totals").dataframe(table, width="stretch")
    return table


def mass_chart(c: Comparison) -> None:
    fig = make_mass_figure(
        {f"max ('{c.max.tie_policy}')": c.max_mass, "average": c.avg_mass},
        reference=[c.max_dy_total, c.avg_dy_total],
        title="Gradient mass handed to x",
        height=presentation.grown(300),
        font_scale=presentation.font_scale(),
    )
    st.plotly_chart(fig, key="mva_mass_chart", config={"displayModeBar": False})


def mass_story(c: Comparison) -> str:
    """A sentence or two on where each pooling's gradient mass went."""
    parts = []
    lost_max = c.max_dy_total - c.max_mass
    if abs(lost_max) <= 1e-9 * max(1.0, abs(c.max_dy_total)):
        parts.append(
            f"Max pooling hands on all of Σ dL/dy = {format_value(c.max_dy_total)}, each window's share to its winner."
        )
    else:
        parts.append(
            f"Max pooling under '{c.max.tie_policy}' hands on {format_value(c.max_mass)} of "
            f"{format_value(c.max_dy_total)}: this tie rule creates or drops gradient at ties."
        )
    lost_avg = c.avg_dy_total - c.avg_mass
    if abs(lost_avg) <= 1e-9 * max(1.0, abs(c.avg_dy_total)):
        parts.append(
            f"Average pooling hands on all of its Σ dL/dy = {format_value(c.avg_dy_total)}, spread evenly "
            "over each window."
        )
    else:
        parts.append(
            f"Average pooling hands on {format_value(c.avg_mass)} of {format_value(c.avg_dy_total)}: "
            f"the other {format_value(lost_avg)} went to padded positions, which count in the divisor "
            "but are not cells of x."
        )
    return " ".join(parts)
