"""Downloads for slides: the current picture as PNG (2x) and SVG from the sidebar of every page, and the
step-through as an animated GIF. Rendering is ``figures.export`` (Pillow and text, no browser); the files
are made only when a button is clicked (Streamlit's deferred download data), so reruns pay nothing.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import pooling
from figures.export import Panel, build_scene, to_gif, to_png, to_svg
from ui import state
from ui.model import Pooled, pooled_from, window_of

OFFERED = "_export_offer"
"""Session key: what the page offers this run, as (a function returning (panels, caption, columns), file name)."""


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
    st.session_state[OFFERED] = (lambda: (panels, caption, columns), name)


def view_picture(view, tie_policy: str | None = None):
    """(panels, caption, columns) of a view's x, y, dL/dx and dL/dy, the ``sel`` window outlined.

    Pure (no session state), so it can run in the download's own thread, only when clicked.
    """
    window = window_of(view)
    try:
        res = pooling.max_pool2d(view.x, window.kernel, **window.kwargs())
    except ValueError as err:
        return [Panel("x", view.x)], f"x (the window does not fit: {err})", 1
    dy = view.dy if view.dy is not None and view.dy.shape == res.out.shape else np.ones(res.out.shape)
    policy = tie_policy or view.tie_policy
    pooled = pooled_from(res, window, dy, policy)
    text = view.extra.get("sel") or "0,0"
    try:
        i, j = (int(v) for v in text.split(",", 1))
    except ValueError:
        i = j = 0
    H_out, W_out = res.out.shape
    cell = (min(max(i, 0), H_out - 1), min(max(j, 0), W_out - 1))
    return pooled_panels(pooled, cell), f"Max pooling: {window.describe()}, tie rule '{policy}'", 2


def sidebar_downloads(fallback: bool = True) -> None:
    """PNG (2x) and SVG of the page's picture, in the sidebar; drawn only when a button is clicked.

    A page that did not ``offer`` a picture gets the view's four grids if ``fallback``, else no buttons
    (pages that pool a picture or a layer of their own, not the grid x).
    """
    chosen = st.session_state.pop(OFFERED, None)
    if chosen is None and not fallback:
        return
    if chosen is None:
        view = state.view()  # a frozen snapshot: later edits make a new one
        chosen = (lambda: view_picture(view), "maxpool")
    build, name = chosen

    def scene():
        panels, caption, columns = build()
        return build_scene(panels, columns, caption)

    with st.sidebar:
        st.header("For slides")
        left, right = st.columns(2)
        left.download_button(
            "PNG (2×)",
            data=lambda: to_png(scene(), scale=2.0),
            file_name=f"{name}.png",
            mime="image/png",
            key="export_png",
            on_click="ignore",
            icon=":material/image:",
        )
        right.download_button(
            "SVG",
            data=lambda: to_svg(scene()),
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
            Panel("y", step.y, highlight=np.array([step.cell]), limits=x_limits, pending=~step.y_done),
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


MAX_GIF_FRAMES = 200
"""Longest step-through offered as a GIF: a 16x16 grid with kernel 2 (128 steps) takes some seconds
to draw; thousands of frames would take minutes and make a file no slide wants."""


def step_gif_button(plan, caption: str) -> None:
    """An animated GIF of the whole step-through, one frame per step (made when clicked)."""
    if plan.n_steps > MAX_GIF_FRAMES:
        st.caption(
            f"An animated GIF is offered up to {MAX_GIF_FRAMES} steps; this view has {plan.n_steps}. "
            "A smaller x or a larger stride gives fewer windows."
        )
        return
    st.download_button(
        f"Animated GIF ({plan.n_steps} frames, one per step)",
        data=lambda: to_gif(step_scenes(plan, caption), seconds_per_frame=1.0),
        file_name="maxpool-steps.gif",
        mime="image/gif",
        key="export_gif",
        on_click="ignore",
        icon=":material/animation:",
    )
