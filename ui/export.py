"""Downloads for slides: the current picture as PNG (2x) and SVG from the sidebar of every page, and the
step-through as an animated GIF. Rendering is ``figures.export`` (Pillow and text, no browser); the files
are made only when a button is clicked (Streamlit's deferred download data), so reruns pay nothing.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from figures.export import Panel, build_scene, to_gif, to_png, to_svg
from ui import state
from ui.model import Pooled, pool_view

OFFERED = "_export_offer"


def pooled_panels(p: Pooled, cell: tuple[int, int]) -> list[Panel]:
    """x (selected window, winners), y (selected cell), dL/dx (receivers), dL/dy (selected cell)."""
    i, j = cell
    window = p.geometry.window_cells(i, j)
    receivers = p.receivers(i, j)
    return [
        Panel("x", p.x, highlight=window, winners=p.win_counts > 0),
        Panel("y = maxpool(x)", p.y, highlight=np.array([cell])),
        Panel("dL/dx", p.dx, "gradient", highlight=receivers if len(receivers) else None),
        Panel("dL/dy", p.dy, "gradient", highlight=np.array([cell])),
    ]


def offer(panels: list[Panel], caption: str, name: str, columns: int = 2) -> None:
    """Let this run's sidebar downloads show ``panels`` instead of the explorer's four grids."""
    st.session_state[OFFERED] = (panels, caption, name, columns)


def _default_offer():
    pooled = pool_view(state.view())
    if isinstance(pooled, str):
        return None
    text = state.get_extra("sel") or "0,0"
    try:
        i, j = (int(v) for v in text.split(",", 1))
    except ValueError:
        i = j = 0
    H_out, W_out = pooled.y.shape
    cell = (min(max(i, 0), H_out - 1), min(max(j, 0), W_out - 1))
    caption = f"Max pooling: {pooled.window.describe()}, tie rule '{pooled.tie_policy}'"
    return pooled_panels(pooled, cell), caption, "maxpool", 2


def sidebar_downloads() -> None:
    """PNG (2x) and SVG of the page's picture, in the sidebar; built only when clicked."""
    chosen = st.session_state.pop(OFFERED, None) or _default_offer()
    if chosen is None:
        return
    panels, caption, name, columns = chosen
    with st.sidebar:
        st.header("For slides")
        left, right = st.columns(2)
        left.download_button(
            "PNG (2×)",
            data=lambda: to_png(build_scene(panels, columns, caption), scale=2.0),
            file_name=f"{name}.png",
            mime="image/png",
            key="export_png",
            on_click="ignore",
            icon=":material/image:",
        )
        right.download_button(
            "SVG",
            data=lambda: to_svg(build_scene(panels, columns, caption)),
            file_name=f"{name}.svg",
            mime="image/svg+xml",
            key="export_svg",
            on_click="ignore",
            icon=":material/draw:",
        )
        st.caption("The grids on this page, the selected window outlined, drawn for a slide.")


def step_scenes(plan, caption: str):
    """One scene per step of a ``ui.steps.StepPlan``: x with the window, y so far, dL/dy, dL/dx so far."""
    scenes = []
    res = plan.res
    dx_limit = plan.dx_limit()
    finite = res.x[np.isfinite(res.x)]
    x_limits = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    for position in range(plan.n_steps):
        step = plan.step(position)
        receivers = np.array([r.cell for r in step.receivers]).reshape(-1, 2)
        backward = step.phase == "backward"
        panels = [
            Panel("x", res.x, highlight=step.window_cells, winners=step.win_counts > 0, limits=x_limits),
            Panel("y", step.y, highlight=np.array([step.cell]), limits=x_limits),
            Panel(
                "dL/dx",
                step.dx,
                "gradient",
                highlight=receivers if backward and len(receivers) else None,
                limits=(-dx_limit, dx_limit),
            ),
            Panel("dL/dy", plan.dy, "gradient", highlight=np.array([step.cell]) if backward else None),
        ]
        words = f"{'Backward' if backward else 'Forward'} step {step.number}: window {step.cell}"
        scenes.append(build_scene(panels, 2, f"{caption} · {words}"))
    return scenes


def step_gif_button(plan, caption: str) -> None:
    """An animated GIF of the whole step-through, one frame per step (made when clicked)."""
    st.download_button(
        f"Animated GIF ({plan.n_steps} frames, one per step)",
        data=lambda: to_gif(step_scenes(plan, caption), seconds_per_frame=1.0),
        file_name="maxpool-steps.gif",
        mime="image/gif",
        key="export_gif",
        on_click="ignore",
        icon=":material/animation:",
    )
