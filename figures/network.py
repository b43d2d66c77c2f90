"""Figures of the network page that are not grids: the finite-difference check of dL/dK."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures.grid import format_value

# Okabe-Ito colours (distinct under every common colour-vision deficiency); the two
# bars also differ in fill pattern, and the one-sided slopes in marker shape.
ANALYTIC_COLOR = "#0072B2"
CENTRAL_COLOR = "#E69F00"
ONE_SIDED_COLOR = "#000000"


def kernel_labels(shape: tuple[int, int]) -> list[str]:
    """``K[a, b]`` for every kernel entry, in reading order."""
    return [f"K[{a}, {b}]" for a in range(shape[0]) for b in range(shape[1])]


def make_kernel_check_figure(
    analytic: np.ndarray,
    central: np.ndarray,
    *,
    forward: np.ndarray | None = None,
    backward: np.ndarray | None = None,
    tie_policy: str = "first",
    height: int = 320,
    font_scale: float = 1.0,
) -> go.Figure:
    """Backward-pass dL/dK next to its finite-difference estimates, one group per kernel entry.

    Parameters
    ----------
    analytic : ndarray, shape (kH, kW)
        dL/dK from the backward pass.
    central : ndarray, shape (kH, kW)
        Central differences.
    forward, backward : ndarray, shape (kH, kW), optional
        One-sided differences, drawn as ▲ and ▼ markers when given (they differ
        from the central difference only at a tie or a ReLU kink).
    tie_policy : str
        Named in the legend of the backward pass.
    font_scale : float
        Multiplies every font size (presentation mode).

    Returns
    -------
    go.Figure
        Traces "backward pass" and "central difference" (bars), then
        "forward difference (+h)" and "backward difference (−h)" (markers) when given.
    """
    analytic, central = np.asarray(analytic, dtype=float), np.asarray(central, dtype=float)
    if analytic.shape != central.shape or analytic.ndim != 2:
        raise ValueError(f"analytic and central must be the same 2-D shape, got {analytic.shape} and {central.shape}")
    labels = kernel_labels(analytic.shape)

    def hover(name: str, values: np.ndarray) -> list[str]:
        return [f"{label}: {name} = {format_value(v)}" for label, v in zip(labels, values.ravel())]

    traces = [
        go.Bar(
            name=f"backward pass ('{tie_policy}')",
            x=labels,
            y=analytic.ravel(),
            marker_color=ANALYTIC_COLOR,
            hovertext=hover("backward pass", analytic),
            hoverinfo="text",
        ),
        go.Bar(
            name="central difference",
            x=labels,
            y=central.ravel(),
            marker_color=CENTRAL_COLOR,
            marker_pattern_shape="/",
            hovertext=hover("central difference", central),
            hoverinfo="text",
        ),
    ]
    for name, values, symbol in (
        ("forward difference (+h)", forward, "triangle-up"),
        ("backward difference (−h)", backward, "triangle-down"),
    ):
        if values is None:
            continue
        values = np.asarray(values, dtype=float)
        traces.append(
            go.Scatter(
                name=name,
                x=labels,
                y=values.ravel(),
                mode="markers",
                marker=dict(symbol=symbol, size=11, color=ONE_SIDED_COLOR, line=dict(color="white", width=1)),
                hovertext=hover(name, values),
                hoverinfo="text",
            )
        )
    fig = go.Figure(traces)
    fig.update_layout(
        barmode="group",
        height=height,
        margin=dict(l=52, r=8, t=36, b=40),
        title=dict(
            text="dL/dK: backward pass vs finite differences", x=0.0, xanchor="left", font=dict(size=16 * font_scale)
        ),
        font=dict(size=12 * font_scale),
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0.0),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        yaxis=dict(zeroline=True, zerolinecolor="#888888", gridcolor="#e5e5e5", title=dict(text="dL/dK")),
        xaxis=dict(categoryorder="array", categoryarray=labels),
    )
    return fig
