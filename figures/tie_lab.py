"""Figures of the tie lab: the loss along one input cell (the kink at a tie), and each window's
gradient mass under every tie rule against its dL/dy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from figures.grid import HIGHLIGHT, format_value

CURVE_COLOR = "#bbbbbb"  # light, so the dashed slopes drawn on top stay visible
FORWARD_COLOR = "#D55E00"  # Okabe-Ito vermillion
BACKWARD_COLOR = "#0072B2"  # Okabe-Ito blue
# One Okabe-Ito colour per tie rule (first, last, split, all, none); bars also carry their value as text.
POLICY_COLORS = ("#0072B2", "#56B4E9", "#009E73", "#D55E00", "#999999")
REFERENCE_COLOR = "#000000"


def _layout(title: str, height: int, font_scale: float) -> dict:
    return dict(
        title=dict(text=title, x=0.0, xanchor="left", font=dict(size=16 * font_scale)),
        height=height,
        margin=dict(l=int(60 * font_scale), r=12, t=int(44 * font_scale) + 8, b=int(48 * font_scale)),
        font=dict(size=13 * font_scale),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff",
        hovermode="closest",
    )


def make_probe_figure(
    h: np.ndarray,
    loss: np.ndarray,
    *,
    step: float,
    forward_slope: float,
    backward_slope: float,
    cell: tuple[int, int],
    loss_label: str = "L(x + h·e)",
    height: int = 360,
    font_scale: float = 1.0,
) -> go.Figure:
    """``L(x + h e_cell)`` against ``h`` around 0, with both one-sided slopes drawn as lines from ``h = 0``.

    Parameters
    ----------
    h : ndarray, shape (n,)
        Offsets added to the probed cell, increasing, containing 0 and ±step.
    loss : ndarray, shape (n,)
        The loss at each offset (``L(x)`` itself, or ``L(x + h e) - L(x)`` when ``L(x)`` is not finite).
    step : float
        The finite-difference step: points at ``±step`` are marked.
    forward_slope, backward_slope : float
        ``(L(x+h e) - L(x)) / h`` and ``(L(x) - L(x-h e)) / h`` at ``h = step``.
    cell : (int, int)
        The probed input cell, for the title and hover.

    Returns
    -------
    go.Figure
        Traces: "loss" (the curve), "backward slope" (dash-dot, h <= 0), "forward slope" (dashed,
        h >= 0), "steps" (markers at -step, 0, +step). A dotted vertical line named "h=0".
    """
    h = np.asarray(h, dtype=float)
    loss = np.asarray(loss, dtype=float)
    if h.shape != loss.shape or h.ndim != 1:
        raise ValueError(f"h and loss must be 1-D of the same length, got {h.shape} and {loss.shape}")
    zero = int(np.argmin(np.abs(h)))
    at_zero = float(loss[zero])
    r, c = cell
    curve = go.Scatter(
        name="loss",
        x=h,
        y=loss,
        mode="lines",
        line=dict(color=CURVE_COLOR, width=5),
        hovertemplate=f"h = %{{x:.4g}}<br>{loss_label} = %{{y:.6g}}<extra></extra>",
    )
    # The slopes are drawn over two steps only, so the curve shows where it leaves them.
    left = np.array([-2 * step, 0.0])
    right = np.array([0.0, 2 * step])
    backward = go.Scatter(
        name="backward slope",
        x=left,
        y=at_zero + backward_slope * left,
        mode="lines",
        line=dict(color=BACKWARD_COLOR, width=2, dash="dashdot"),
        hoverinfo="skip",
    )
    forward = go.Scatter(
        name="forward slope",
        x=right,
        y=at_zero + forward_slope * right,
        mode="lines",
        line=dict(color=FORWARD_COLOR, width=2, dash="dash"),
        hoverinfo="skip",
    )
    marks = np.array([-step, 0.0, step])
    marked = np.interp(marks, h, loss)
    steps = go.Scatter(
        name="steps",
        x=marks,
        y=marked,
        mode="markers",
        marker=dict(
            symbol=["triangle-left", "circle", "triangle-right"],
            size=11,
            color=HIGHLIGHT,
            line=dict(color="#000000", width=1),
        ),
        hovertemplate="h = %{x:.4g}<br>%{y:.6g}<extra></extra>",
        showlegend=False,
    )
    # The legend tells the slopes apart by line style (dashed, dash-dot), not only by colour.
    fig = go.Figure(data=[curve, backward, forward, steps])
    fig.update_layout(
        **_layout(f"Probe x[{r}, {c}]: {loss_label} against h", height, font_scale),
        legend=dict(orientation="h", x=0.0, y=-0.22, yanchor="top"),
        shapes=[
            dict(
                type="line",
                name="h=0",
                xref="x",
                yref="paper",
                x0=0,
                x1=0,
                y0=0,
                y1=1,
                line=dict(color="#888888", width=1, dash="dot"),
            )
        ],
        annotations=[
            dict(
                name="slopes",
                xref="paper",
                yref="paper",
                x=0.0,
                y=1.0,
                xanchor="left",
                yanchor="bottom",
                showarrow=False,
                align="left",
                font=dict(size=12 * font_scale),
                text=(
                    f"left slope (backward) = {format_value(backward_slope)}   ·   "
                    f"right slope (forward) = {format_value(forward_slope)}   ·   step h = {format_value(step)}"
                ),
            ),
        ],
        xaxis=dict(title=dict(text=f"h, added to x[{r}, {c}]"), zeroline=False, gridcolor="#e5e5e5"),
        yaxis=dict(title=dict(text=loss_label), zeroline=False, gridcolor="#e5e5e5"),
    )
    return fig


def make_window_mass_figure(
    windows: Sequence[tuple[int, int]],
    dy: Sequence[float],
    masses: Mapping[str, Sequence[float]],
    *,
    title: str = "Mass each window sends to x, by rule (black line: the window's dL/dy)",
    height: int = 340,
    font_scale: float = 1.0,
) -> go.Figure:
    """Grouped bars: for each window, the mass each tie rule sends out, next to the window's dL/dy.

    Parameters
    ----------
    windows : sequence of (i, j)
        The windows (output cells) shown, in order.
    dy : sequence of float
        ``dL/dy[i, j]`` of each window: what a correct rule sends out.
    masses : mapping of str to sequence of float
        Tie rule to the mass it sends from each window (``dL/dy`` times the sum of its shares).

    Returns
    -------
    go.Figure
        One Bar trace per rule, named after it, x = window labels "(i, j)", y = masses; and
        "dL/dy" (black markers at each window's dL/dy), with a black line shape named "dL/dy" across
        each window's group of bars.
    """
    labels = [f"({i}, {j})" for i, j in windows]
    traces: list = []
    for n, (policy, values) in enumerate(masses.items()):
        values = [float(v) for v in values]
        if len(values) != len(labels):
            raise ValueError(f"masses[{policy!r}] has {len(values)} values for {len(labels)} windows")
        traces.append(
            go.Bar(
                name=policy,
                x=labels,
                y=values,
                text=[format_value(v) for v in values],
                textposition="outside",
                cliponaxis=False,
                marker=dict(color=POLICY_COLORS[n % len(POLICY_COLORS)]),
                hovertemplate=f"window %{{x}} · {policy}: %{{y}}<extra></extra>",
            )
        )
    dy = [float(v) for v in dy]
    # A black line across each window's group of bars marks its dL/dy (category k sits at x = k).
    bargap = 0.25 if len(labels) >= 3 else 0.6
    half = (1 - bargap) / 2  # half the width of one window's group of bars, in category units
    shapes = [
        dict(
            type="line",
            name="dL/dy",
            xref="x",
            yref="y",
            x0=k - half,
            x1=k + half,
            y0=v,
            y1=v,
            line=dict(color=REFERENCE_COLOR, width=3),
            layer="above",
        )
        for k, v in enumerate(dy)
    ]
    traces.append(
        go.Scatter(
            name="dL/dy",
            x=labels,
            y=dy,
            mode="markers",
            marker=dict(symbol="line-ew", size=18, line=dict(color=REFERENCE_COLOR, width=3)),
            hovertemplate="window %{x}: dL/dy = %{y}<extra></extra>",
        )
    )
    every = [0.0, *dy, *(float(v) for values in masses.values() for v in values)]
    top, bottom = max(every), min(every)
    pad = 0.2 * (top - bottom or 1.0)
    fig = go.Figure(data=traces)
    fig.update_layout(
        **_layout(title, height, font_scale),
        barmode="group",
        bargap=bargap,
        shapes=shapes,
        legend=dict(orientation="h", x=0.0, y=-0.2, yanchor="top"),
        xaxis=dict(type="category", title=dict(text="window (i, j)")),
        yaxis=dict(
            title=dict(text="mass sent to x"),
            range=[bottom - (pad if bottom < 0 else 0), top + pad],
            zeroline=True,
            zerolinecolor="#888888",
            gridcolor="#e5e5e5",
        ),
    )
    return fig
