"""The smooth-max page's pieces: the temperature control, the numbers of the selected window, its figures.

Every number comes from ``pooling.smooth_max_pool2d`` and the hard pooling; this
module only chooses what to show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import pooling
from figures import format_value, make_grid_figure
from figures.export import Panel
from figures.smooth import make_weight_paths_figure
from ui import export, grids, links, state
from ui.explorer import figure_size
from ui.model import Pooled

TEMPERATURES = tuple(float(f"{10 ** (e / 10):.3g}") for e in range(10, -31, -1))
"""The slider's stops: 10 down to 0.001, ten per decade, evenly spaced on a log scale."""

DEFAULT_TEMPERATURE = 1.0
PATH_TEMPERATURES = np.logspace(1, -3, 81)
"""Where the weight curves are sampled (the whole slider range)."""

TIE_EXAMPLE = np.array([[3, 1, 2, 0], [3, 2, 5, 5], [0, 1, 4, 2], [2, 2, 1, 4]], dtype=float)
"""Kernel 2, stride 2: windows (0, 0), (0, 1) and (1, 1) each hold a two-way tie; (1, 0) has none."""


def _parse_temperature(text: str) -> float:
    allowed = "temp must be a number from 0.001 to 10, like temp=0.1"
    try:
        value = float(text) if len(text) <= 12 else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.001 <= value <= 10):
        raise ValueError(allowed)
    return value


def _nearest(value: float) -> float:
    return min(TEMPERATURES, key=lambda t: abs(math.log10(t) - math.log10(value)))


def temperature_control() -> float:
    """The log-scale temperature slider (10 down to 0.001), kept in the link as ``temp``."""
    linked = links.read("temp", _parse_temperature, DEFAULT_TEMPERATURE)
    state.seed_widget("smooth_temp", _nearest(linked))
    value = st.select_slider(
        "Temperature T (log scale: slide right to cool down)",
        options=TEMPERATURES,
        key="smooth_temp",
        format_func=lambda t: f"{t:g}",
        help="y = T·log Σ exp(x/T) over the window. Large T: close to the mean plus a constant, weights spread "
        "out. Small T: close to the max, weights on the maximum.",
    )
    state.set_extra(temp=None if value == DEFAULT_TEMPERATURE else f"{value:g}")
    return float(value)


def _load_tie_example() -> None:
    grids.set_grid("x", TIE_EXAMPLE)
    state.update(dy=None)
    state.set_extra(sel="0,0")


def tie_example_button() -> None:
    st.button(
        "Load a grid with tied maxima",
        key="smooth_tie_example",
        on_click=_load_tie_example,
        help="A 4×4 grid whose 2×2 windows mostly hold a two-way tie.",
    )


@dataclass(frozen=True)
class SmoothView:
    """The smooth pooling of a view at temperature T, and the selected window's numbers."""

    hard: Pooled
    smooth: pooling.SmoothMaxPoolResult
    dx: np.ndarray
    cell: tuple[int, int]
    positions: list[tuple[int, int]]  # real cells of the selected window, in scan order
    weights: np.ndarray  # (n,) weights of those cells at T
    tied: np.ndarray  # (n,) bool: holds the window's max
    first: np.ndarray  # (n,) the frameworks' shares ("first")
    split: np.ndarray  # (n,) equal shares of the tied maxima
    paths: np.ndarray  # (len(PATH_TEMPERATURES), n)


def smooth_view(p: Pooled, T: float, cell: tuple[int, int]) -> SmoothView:
    """Pool ``p``'s x smoothly at T with the same window; collect the selected window's weights."""
    w = p.window
    smooth = pooling.smooth_max_pool2d(p.x, w.kernel, temperature=T, **w.kwargs())
    dx = pooling.smooth_max_pool2d_backward(p.dy, smooth)
    i, j = cell
    widx = p.geometry.window_index()[i, j].reshape(-1)
    real = widx >= 0
    W = p.geometry.in_shape[1]
    positions = [divmod(int(v), W) for v in widx[real]]
    tied = pooling.tied_mask(p.res)[0][i, j].reshape(-1)[real]
    first = pooling.window_weights(p.res, "first")[i, j].reshape(-1)[real]
    split = pooling.window_weights(p.res, "split")[i, j].reshape(-1)[real]
    values = p.x.reshape(-1)[widx[real]][None, :]
    # The same smooth max on the window alone, as a 1×n plane, at every sampled temperature.
    paths = (
        np.stack(
            [
                pooling.smooth_max_pool2d(values, (1, values.shape[1]), temperature=t).weights.reshape(-1)
                for t in PATH_TEMPERATURES
            ]
        )
        if values.size
        else np.zeros((len(PATH_TEMPERATURES), 0))
    )
    weights = smooth.weights[i, j].reshape(-1)[real]
    return SmoothView(p, smooth, dx, cell, positions, weights, tied, first, split, paths)


def numbers_table(v: SmoothView) -> pd.DataFrame:
    """One row per cell of the selected window: its value, its weight at T, and the two tie rules' shares."""
    x = v.hard.x
    table = pd.DataFrame(
        {
            "cell": [f"x[{r}, {c}]" for r, c in v.positions],
            "value": [format_value(x[r, c]) for r, c in v.positions],
            f"weight at T = {v.smooth.temperature:g}": [f"{w:.6f}" for w in v.weights],
            "limit T→0 (split)": [f"{w:.6f}" for w in v.split],
            "first (frameworks)": [f"{w:g}" for w in v.first],
        }
    ).set_index("cell")
    st.container(key="smooth_numbers").dataframe(table, width="stretch")
    return table


def limit_story(v: SmoothView) -> str:
    """Plain words for what the selected window's weights do now and as T falls."""
    n_tied = int(v.tied.sum())
    T = v.smooth.temperature
    i, j = v.cell
    if not len(v.positions):
        return f"Window ({i}, {j}) lies wholly in the padding: no cell, no weight."
    if any(math.isnan(x) for x in v.hard.x[tuple(np.array(v.positions).T)]):
        return f"Window ({i}, {j}) holds NaN: the smooth max and all its weights are NaN, at every temperature."
    top = float(v.weights[v.tied].sum())
    if n_tied == 1:
        return (
            f"Window ({i}, {j}) has one maximum. At T = {T:g} it holds {top:.4f} of the gradient; as T falls "
            "its share tends to 1 and every other share to 0: the smooth rule becomes the argmax, as every "
            "tie rule agrees when there is no tie."
        )
    share = v.weights[v.tied]
    return (
        f"Window ({i}, {j}) has a {n_tied}-way tie. The tied cells hold equal weights at every temperature "
        f"(now {format_value(float(share[0]))} each, {top:.4f} together); as T falls, together they tend to 1, so "
        f"each tends to 1/{n_tied}. The limit of the smooth rule is **split**; the frameworks' **first** gives "
        "everything to one of them instead: a different, equally valid subgradient."
    )


def figures(v: SmoothView, *, font_scale: float = 1.0) -> dict:
    """x with the window, its weights at T, and dL/dx smooth beside dL/dx under the tie rule; then the weight paths."""
    p, (i, j) = v.hard, v.cell
    geom = p.geometry
    size = figure_size(p.x.shape)
    window = geom.window_cells(i, j)
    h = size["height"]
    kH, kW = geom.kernel
    weight_grid = v.smooth.weights[i, j]
    figs = {
        "smooth_x_chart": make_grid_figure(
            p.x,
            name="x",
            title="x: the selected window",
            tie_mask=p.tied_cells if size["marks"] else None,
            highlight_cells=window,
            padding=geom.padding,
            height=h,
            font_scale=font_scale,
        ),
        "smooth_w_chart": make_grid_figure(
            weight_grid,
            name="weight",
            title=f"weights of window ({i}, {j}) at T = {v.smooth.temperature:g}",
            font_scale=font_scale,
        ),
        "smooth_dx_chart": make_grid_figure(
            v.dx,
            name="dL/dx smooth",
            kind="gradient",
            title="dL/dx, smooth max",
            highlight_cells=window,
            padding=geom.padding,
            height=h,
            font_scale=font_scale,
        ),
        "smooth_dxhard_chart": make_grid_figure(
            p.dx,
            name="dL/dx max",
            kind="gradient",
            title=f"dL/dx, max with '{p.tie_policy}'",
            highlight_cells=window,
            winner_mask=p.win_counts > 0 if size["marks"] else None,
            tie_mask=p.tied_cells if size["marks"] else None,
            padding=geom.padding,
            height=h,
            font_scale=font_scale,
        ),
    }
    labels = [f"x[{r}, {c}] = {format_value(p.x[r, c])}" for r, c in v.positions]
    figs["smooth_paths_chart"] = make_weight_paths_figure(
        PATH_TEMPERATURES, v.paths, labels, v.smooth.temperature, font_scale=font_scale
    )
    export.offer(
        [
            Panel("x", p.x, highlight=window),
            Panel(f"weights at T = {v.smooth.temperature:g}", weight_grid),
            Panel("dL/dx, smooth max", v.dx, "gradient", highlight=window),
            Panel(f"dL/dx, max ('{p.tie_policy}')", p.dx, "gradient", highlight=window),
        ],
        f"Smooth max, window ({i}, {j}), T = {v.smooth.temperature:g}",
        "smooth-max",
    )
    top = st.columns([3, 2])
    top[0].plotly_chart(figs["smooth_x_chart"], key="smooth_x_chart", config={"displayModeBar": False})
    top[1].plotly_chart(figs["smooth_w_chart"], key="smooth_w_chart", config={"displayModeBar": False})
    st.caption(f"The weights form a {kH}×{kW} grid like the window; padding positions get 0.")
    st.plotly_chart(figs["smooth_paths_chart"], key="smooth_paths_chart", config={"displayModeBar": False})
    if int(v.tied.sum()) > 1:
        st.caption("The tied cells' curves coincide at every temperature (one is drawn over the other).")
    bottom = st.columns(2)
    bottom[0].plotly_chart(figs["smooth_dx_chart"], key="smooth_dx_chart", config={"displayModeBar": False})
    bottom[1].plotly_chart(figs["smooth_dxhard_chart"], key="smooth_dxhard_chart", config={"displayModeBar": False})
    return figs
