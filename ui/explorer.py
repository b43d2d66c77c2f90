"""Pieces of the explorer that other pages reuse: the two grid panels, the four figures,
the selected window, and the share box."""

from __future__ import annotations

import numpy as np
import streamlit as st

from figures import make_grid_figure, selected_cell
from ui import grids, share, state, text
from ui.model import Pooled, pool_view

SELECTION = "sel"


MAX_MARKED_SIDE = 24
"""Winners get their star and outline while both sides of x are at most this; beyond, the marks
would cover the cells (a 64×64 grid in a third of the page leaves 3 px per cell)."""


def figure_size(shape: tuple[int, int]) -> dict:
    """Height for a grid figure sharing a row with others, and whether winner marks still fit."""
    side = max(shape)
    return {"height": 420 if side > 10 else None, "marks": side <= MAX_MARKED_SIDE}


def link_warnings() -> None:
    """One warning per link parameter that could not be used (the rest of the link still applies)."""
    for param, message in state.url_errors().items():
        st.warning(f"The link's `{param}` could not be used: {message}", icon="🔗")


def editors_and_pool(key: str, *, expanded: bool = False) -> Pooled:
    """The x and dL/dy editors in an expander, then the view pooled with the edits applied.

    x is edited first (it may change y's shape), then dL/dy follows y's shape. If no
    window settings fit the grid, the page stops with the reason; if the current ones
    do not fit, a warning says which last valid ones are shown.
    """
    with st.expander("Edit x and dL/dy", expanded=expanded, key=key):
        x_column, dy_column = st.columns(2, gap="large")
        with x_column:
            st.subheader("Input x")
            input_panel()
        pooled = pool_view(state.view())
        if not isinstance(pooled, str):
            with dy_column:
                st.subheader("Upstream gradient dL/dy")
                gradient_panel(pooled.y.shape)
    pooled = pool_view(state.view())
    if isinstance(pooled, str):
        st.error(f"Nothing to show yet: {pooled}", icon="⚠️")
        st.stop()
    if pooled.problem:
        st.warning(f"Showing the last settings that fit ({pooled.window.describe()}): {pooled.problem}", icon="⚠️")
    return pooled


def input_panel() -> None:
    """Editors for x: size, fill actions, the cell editor and the paste box."""
    x = state.view().x
    grids.size_inputs("x", x, fill=0.0)
    grids.fill_buttons("x", x)
    edited, problems = grids.cell_editor("x", x, label="x")
    if problems:
        for problem in problems[:5]:
            st.error(problem, icon="⚠️")
        st.caption("The figures keep showing the last grid that was valid.")
    elif not np.array_equal(edited, x, equal_nan=True):
        state.update(x=edited)
    with st.expander("Paste a whole grid"):
        grids.paste_box("x")


def _random_dy(shape) -> None:
    grids.set_grid("dy", np.random.default_rng().integers(-3, 4, size=shape).astype(float))
    st.session_state["dy_mode"] = "custom"


def _dy_mode_changed(shape) -> None:
    if st.session_state["dy_mode"] == "ones":
        state.update(dy=None)
    else:
        grids.set_grid("dy", np.ones(shape))


def gradient_panel(out_shape: tuple[int, int]) -> None:
    """dL/dy: all ones, or a custom grid that follows y's shape."""
    view = state.view()
    st.session_state["dy_mode"] = "ones" if view.dy is None else "custom"
    st.radio("dL/dy", ["ones", "custom"], key="dy_mode", horizontal=True, on_change=_dy_mode_changed,
             args=(out_shape,), format_func={"ones": "all ones", "custom": "custom grid"}.get,
             help="The gradient of the loss with respect to each output y[i, j], arriving from the layers above.")
    st.button("Random integers −3…3", key="dy_random", on_click=_random_dy, args=(out_shape,))
    if view.dy is None:
        st.caption(f"Every output sends back 1: L = sum of y. (y is {out_shape[0]}×{out_shape[1]}.)")
        return
    dy = view.dy if view.dy.shape == out_shape else state.resized(view.dy, out_shape, 1.0)
    if dy is not view.dy:
        state.update(dy=dy)
    edited, problems = grids.cell_editor("dy", dy, label="dL/dy")
    if problems:
        for problem in problems[:5]:
            st.error(problem, icon="⚠️")
    elif not np.array_equal(edited, dy, equal_nan=True):
        state.update(dy=edited)


def selection(p: Pooled) -> tuple[int, int]:
    """The selected output cell, from the link (``sel=i,j``), clamped to y's shape."""
    H_out, W_out = p.y.shape
    text_value = state.get_extra(SELECTION) or "0,0"
    try:
        i, j = (int(v) for v in text_value.split(",", 1)) if len(text_value) <= 12 else (None, None)
    except ValueError:
        i = j = None
    if i is None:
        st.warning(f"The link's `sel` must be an output cell written row,column (like 1,2); "
                   f"y is {H_out}×{W_out}. Showing y[0, 0].", icon="🔗")
        i = j = 0
    cell = (min(max(i, 0), H_out - 1), min(max(j, 0), W_out - 1))
    if cell != (i, j):
        st.caption(f"The link's cell y[{i}, {j}] is outside y ({H_out}×{W_out}); showing y[{cell[0]}, {cell[1]}].")
    state.set_extra(sel=f"{cell[0]},{cell[1]}")
    return cell


def _on_y_click() -> None:
    cell = selected_cell(st.session_state.get("y_chart"))
    if cell is not None:
        state.set_extra(sel=f"{cell[0]},{cell[1]}")
        st.session_state["sel_box"] = cell


def _on_select_box() -> None:
    i, j = st.session_state["sel_box"]
    state.set_extra(sel=f"{i},{j}")


def selection_box(p: Pooled, cell: tuple[int, int]) -> None:
    """A select box over output cells, for keyboards (clicking y does the same)."""
    H_out, W_out = p.y.shape
    options = [(i, j) for i in range(H_out) for j in range(W_out)]
    st.session_state["sel_box"] = cell
    st.selectbox("Selected output cell", options, key="sel_box", on_change=_on_select_box,
                 format_func=lambda c: f"y[{c[0]}, {c[1]}] = {text.format_value(p.y[c])}")


def figures_grid(p: Pooled, cell: tuple[int, int], *, font_scale: float = 1.0) -> dict:
    """The four figures, x and y (forward) above dL/dx and dL/dy (backward); returns them by name."""
    geom = p.geometry
    H_out, W_out = p.y.shape
    i, j = cell
    window = geom.window_cells(i, j)
    receivers = p.receivers(i, j)
    # Faint outlines of every window help while they can be told apart; past a few hundred
    # they only add noise (and weight), so big grids show just the selected window.
    all_windows = geom.all_window_cells() if H_out * W_out <= 400 else None
    # Two figures share a row, so big grids get a fixed, roughly square height.
    big = max(geom.in_shape) + 2 * max(geom.padding) > 10
    size = dict(height=int(480 * font_scale)) if big else {}
    figs = {
        "x": make_grid_figure(p.x, name="x", title="x: input, winners marked ★",
                              winner_mask=p.win_counts > 0, win_counts=p.win_counts, window_cells=all_windows,
                              highlight_cells=window, padding=geom.padding, font_scale=font_scale, **size),
        "y": make_grid_figure(p.y, name="y", title="y = maxpool(x) · click a cell",
                              highlight_cells=np.array([cell]), selectable=True, font_scale=font_scale, **size),
        "dx": make_grid_figure(p.dx, name="dL/dx", kind="gradient", title="dL/dx: gradient reaching x",
                               winner_mask=p.win_counts > 0, highlight_cells=receivers if len(receivers) else None,
                               padding=geom.padding, extra_hover=text.contribution_hover(p), font_scale=font_scale,
                               **size),
        "dy": make_grid_figure(p.dy, name="dL/dy", kind="gradient", title="dL/dy: upstream gradient",
                               highlight_cells=np.array([cell]), font_scale=font_scale, **size),
    }
    forward = st.columns(2)
    with forward[0]:
        st.plotly_chart(figs["x"], key="x_chart", config={"displayModeBar": False})
    with forward[1]:
        st.plotly_chart(figs["y"], key="y_chart", on_select=_on_y_click, selection_mode="points",
                        config={"displayModeBar": False})
    backward = st.columns(2)
    with backward[0]:
        st.plotly_chart(figs["dx"], key="dx_chart", config={"displayModeBar": False})
    with backward[1]:
        st.plotly_chart(figs["dy"], key="dy_chart", config={"displayModeBar": False})
    return figs


def window_panel(p: Pooled, cell: tuple[int, int]) -> None:
    """The selected window's math with its numbers, and a sentence about it."""
    i, j = cell
    st.markdown(text.window_story(p, i, j))
    if p.res.indices[i, j] >= 0:
        for line in text.window_math(p, i, j):
            st.latex(line)
        st.caption("Boxed values receive gradient from this window; the window's other cells receive nothing from it.")
    for line in text.overlap_sums(p, i, j):
        st.markdown(line)


def share_box() -> None:
    """The link that reproduces this view, with a copy button."""
    st.markdown("**Share this view** — the link holds the grids and every setting:")
    share.link_box()
