"""The adaptive-pooling page's pieces: the output size control, the pooled view, the windows' bounds.

Numbers from ``pooling.adaptive_max_pool2d``; the Pooled view is the same one
the explorer draws, so the figures and the backward pass are the explorer's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import pooling
from figures import format_value
from ui import explorer, links, state
from ui.codec import MAX_GRID_SIDE, format_pair, parse_pair
from ui.model import Pooled, Window, pooled_from

DEFAULT_OUT = (2, 2)


def _set_global() -> None:
    st.session_state.update(ad_h=1, ad_w=1)


def output_size_control() -> tuple[int, int]:
    """Two number inputs for (H_out, W_out) and a 'global' button; kept in the link as ``aout`` (like 2 or 2x3)."""
    linked = links.read(
        "aout",
        lambda text: parse_pair(text, name="aout", minimum=1, maximum=MAX_GRID_SIDE, label="output size"),
        DEFAULT_OUT,
    )
    state.seed_widget("ad_h", linked[0])
    state.seed_widget("ad_w", linked[1])
    left, right, button = st.columns([2, 2, 2], vertical_alignment="bottom")
    h = left.number_input("Output rows H_out", 1, MAX_GRID_SIDE, step=1, key="ad_h")
    w = right.number_input("Output columns W_out", 1, MAX_GRID_SIDE, step=1, key="ad_w")
    button.button("Global max pooling (1×1)", key="ad_global", on_click=_set_global)
    size = (int(h), int(w))
    state.set_extra(aout=None if size == DEFAULT_OUT else format_pair(size))
    return size


def pool(out_size: tuple[int, int]) -> Pooled:
    """Adaptive max pooling of the view's x to ``out_size``, with dL/dy from the view (resized to fit)."""
    view = state.view()
    res = pooling.adaptive_max_pool2d(view.x, out_size)
    geom = res.geometry
    notices = []
    if view.dy is None:
        dy = np.ones(out_size)
    elif view.dy.shape != out_size:
        dy = state.resized(view.dy, out_size, 1.0)
        notices.append(
            f"dL/dy was {view.dy.shape[0]}×{view.dy.shape[1]}; y is {out_size[0]}×{out_size[1]}: "
            "kept the values that fit and filled the rest with 1."
        )
    else:
        dy = view.dy
    window = Window(geom.kernel, (1, 1), (0, 0), (1, 1), False)
    return pooled_from(res, window, dy, view.tie_policy, notices=notices)


def editors(out_size: tuple[int, int]) -> Pooled:
    """The x and dL/dy editors (as on the explorer), then the view pooled with the edits applied."""
    with st.expander("Edit x and dL/dy", key="ad_editors"):
        x_column, dy_column = st.columns(2, gap="large")
        with x_column:
            st.subheader("Input x")
            explorer.input_panel()
        with dy_column:
            st.subheader("Upstream gradient dL/dy")
            explorer.gradient_panel(out_size)
    pooled = pool(out_size)
    for notice in pooled.notices:
        st.caption(notice)
    return pooled


def bounds_table(p: Pooled) -> pd.DataFrame:
    """Rows and columns each output row/column pools: PyTorch's start = floor(i·H/H_out), end = ceil((i+1)·H/H_out)."""
    geom = p.geometry
    H, W = geom.in_shape
    rows = []
    for axis, bounds, n, n_out in (
        ("row", geom.row_bounds, H, geom.out_shape[0]),
        ("column", geom.col_bounds, W, geom.out_shape[1]),
    ):
        for i, (start, end) in enumerate(bounds):
            rows.append(
                {
                    "output": f"{axis} {i}",
                    "start = ⌊i·n/n_out⌋": f"⌊{i}·{n}/{n_out}⌋ = {start}",
                    "end = ⌈(i+1)·n/n_out⌉": f"⌈{i + 1}·{n}/{n_out}⌉ = {end}",
                    "size": end - start,
                    "overlaps the next": "yes" if i + 1 < len(bounds) and bounds[i + 1][0] < end else "",
                }
            )
    table = pd.DataFrame(rows).set_index("output")
    st.container(key="ad_bounds").dataframe(table, width="stretch")
    return table


def summary(p: Pooled) -> str:
    """One or two sentences on the window sizes and overlap."""
    geom = p.geometry
    H, W = geom.in_shape
    H_out, W_out = geom.out_shape
    heights = sorted({e - s for s, e in geom.row_bounds})
    widths = sorted({e - s for s, e in geom.col_bounds})
    sizes = f"window heights {' or '.join(map(str, heights))}, widths {' or '.join(map(str, widths))}"
    if (H_out, W_out) == (1, 1):
        return (
            f"Global max pooling: one window covers all of x ({H}×{W}); y is its largest value and the whole "
            "of dL/dy goes to the winner."
        )
    overlap = (
        "Neighbouring windows overlap, so a cell can win more than one window and then adds up their gradients."
        if geom.overlapping
        else "No two windows overlap here."
    )
    return f"{H}×{W} into {H_out}×{W_out}: {sizes}. {overlap}"


def window_line(p: Pooled, cell: tuple[int, int]) -> str:
    """The selected window's bounds and value, in words."""
    i, j = cell
    (r0, r1), (c0, c1) = p.geometry.row_bounds[i], p.geometry.col_bounds[j]
    return f"y[{i}, {j}] = max of x[{r0}:{r1}, {c0}:{c1}] (a {r1 - r0}×{c1 - c0} window) = {format_value(p.y[i, j])}"
