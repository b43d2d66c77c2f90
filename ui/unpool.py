"""The unpooling page's pieces: ``max_unpool2d(dL/dy, indices)`` beside ``dL/dx``, and the cells where they part.

Numbers from ``pooling.max_unpool2d``, ``pooling.max_pool2d_backward`` and
``pooling.switch_collisions``; this module only arranges them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import pooling
from figures import format_value
from figures.export import Panel
from figures.linked import linked_payload, unpool_payload
from ui import export, grids, state
from ui.linked import linked_picture
from ui.model import Pooled

OVERLAP_EXAMPLE = np.array([[0, 5, 1, 0, 2], [1, 2, 0, 3, 1], [4, 0, 1, 1, 0], [0, 1, 2, 0, 6], [2, 0, 1, 4, 0]], float)
"""With kernel 3, stride 1 the 5, the 3, the first 4 and the 6 each win two windows: unpooling and the
gradient part at those four cells."""


@dataclass(frozen=True)
class UnpoolView:
    p: Pooled
    unpooled: np.ndarray  # max_unpool2d(dL/dy, indices), shape of x
    dx: np.ndarray  # the backward pass with PyTorch's switches ("first")
    collisions: list  # pooling.SwitchCollision, in input scan order


def unpool_view(p: Pooled) -> UnpoolView:
    """Unpool dL/dy with the recorded indices and take the backward pass under 'first' (the same switches)."""
    dx = pooling.max_pool2d_backward(p.dy, p.res, "first")
    return UnpoolView(p, pooling.max_unpool2d(p.dy, p.res), dx, pooling.switch_collisions(p.res))


def _use_overlap_example() -> None:
    grids.set_grid("x", OVERLAP_EXAMPLE)
    st.session_state.update(k_h=3, k_w=3, stride_same=False, s_h=1, s_w=1, p_h=0, p_w=0, d_h=1, d_w=1, ceil=False)
    state.update(dy=None)


def overlap_button() -> None:
    st.button(
        "Try overlapping windows (kernel 3, stride 1)",
        key="unpool_overlap_example",
        on_click=_use_overlap_example,
        help="Loads a 5×5 grid whose large values win several overlapping windows.",
    )


def story(v: UnpoolView) -> tuple[str, str]:
    """(kind, text): "same" when the two grids agree, "differ" when unpooling overwrote what the gradient added."""
    geom = v.p.geometry
    if not v.collisions:
        if geom.overlapping:
            return "same", (
                "The windows overlap, but no cell is the recorded winner of two of them here, so "
                "unpooling dL/dy and the backward pass give the same grid. Make a large value win "
                "two windows to see them part."
            )
        return "same", (
            "The windows do not overlap, so each cell is the winner of at most one window: putting "
            "dL/dy back at the recorded indices (unpooling) *is* the backward pass."
        )
    n = len(v.collisions)
    return "differ", (
        f"{n} cell{'s are' if n > 1 else ' is'} the recorded winner of several windows. The "
        "backward pass adds what those windows send; unpooling writes them one after another, so "
        "only the last write stays. Same switches, different operation."
    )


def collision_table(v: UnpoolView) -> pd.DataFrame | None:
    """Each cell where unpooling overwrites: the windows, their dL/dy, the sum (gradient) and the kept value."""
    if not v.collisions:
        return None
    rows = []
    for c in v.collisions:
        sends = [v.p.dy[w] for w in c.windows]
        rows.append(
            {
                "cell": f"x[{c.cell[0]}, {c.cell[1]}]",
                "won by windows": ", ".join(f"y[{i}, {j}]" for i, j in c.windows),
                "their dL/dy": " + ".join(format_value(g) for g in sends),
                "dL/dx (adds)": format_value(v.dx[c.cell]),
                "unpooled (last write)": format_value(v.unpooled[c.cell]),
            }
        )
    table = pd.DataFrame(rows).set_index("cell")
    st.container(key="unpool_collisions").dataframe(table, width="stretch")
    return table


def figures(v: UnpoolView, cell: tuple[int, int], *, font_scale: float = 1.0) -> dict:
    """Two linked pictures: x and y (where the switches come from), then dL/dy, unpool(dL/dy) and dL/dx
    side by side, the cells where unpooling overwrites and the gradient adds marked (dashed outline, corner tag)."""
    p = v.p
    geom = p.geometry
    differ = np.array([c.cell for c in v.collisions]).reshape(-1, 2)
    mark = differ if len(differ) else None
    targets = np.zeros(p.x.shape, bool)
    targets.reshape(-1)[p.res.indices[p.res.indices >= 0]] = True
    switches = linked_payload(
        p.res,
        p.dy,
        "first",
        sel=cell,
        editable=(),
        font_scale=font_scale,
        show=("x", "y"),
        titles={"x": "x · ◥ recorded index (switch) · ● tie", "y": "y = maxpool(x)"},
    )
    parted = unpool_payload(p.res, p.dy, sel=cell, font_scale=font_scale)
    export.offer(
        [
            Panel("x (switches outlined)", p.x, highlight=geom.window_cells(*cell), winners=targets),
            Panel("dL/dy", p.dy, "gradient", highlight=np.array([cell])),
            Panel("max_unpool2d(dL/dy): writes", v.unpooled, "gradient", highlight=mark),
            Panel("dL/dx: adds", v.dx, "gradient", highlight=mark),
        ],
        "Unpooling switches vs the backward pass",
        "unpooling",
    )
    linked_picture(switches, key="unpool_switches")
    st.markdown(
        "**Unpooling beside the gradient.** Hover a cell of dL/dy: its window, where unpooling writes its value "
        "and where the gradient adds it." + (" Orange dashes: cells where the two part." if v.collisions else "")
    )
    linked_picture(parted, key="unpool_linked")
    return {"unpool_switches": switches, "unpool_linked": parted}
