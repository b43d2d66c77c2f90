"""Figures drawn only by the lessons: max of a few inputs as one of them moves, with its slope."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures.grid import HIGHLIGHT, format_value

VALUE_COLOR = "#0072B2"  # Okabe-Ito blue
SLOPE_COLOR = "#D55E00"  # Okabe-Ito vermillion: told apart from blue under every colour-vision type
KINK_COLOR = "#888888"  # mid grey reads on light and dark backgrounds


def make_piecewise_figure(
    t: np.ndarray,
    value: np.ndarray,
    slope: np.ndarray,
    *,
    moved: str,
    current: float,
    kinks: list[float] | tuple[float, ...] = (),
    height: int = 380,
    font_scale: float = 1.0,
) -> go.Figure:
    """Two stacked panels over a shared axis: ``y = max(...)`` and ``∂y/∂moved`` as one input moves.

    Parameters
    ----------
    t : ndarray, shape (n,)
        Values taken by the moved input, increasing.
    value : ndarray, shape (n,)
        ``max`` of the inputs at each ``t``.
    slope : ndarray, shape (n,)
        ``∂ max / ∂ moved`` at each ``t`` (0 or 1 away from a kink).
    moved : str
        Name of the moved input, for the axis and hover, e.g. ``"x₁"``.
    current : float
        The moved input's value in the example: marked on both panels.
    kinks : sequence of float
        Values of ``t`` where the piece changes (ties): dashed vertical lines.

    Returns
    -------
    go.Figure
        Traces "value" (y = max, upper panel), "slope" (lower panel, a step line)
        and "current" (the example's point on each panel). Shapes named "kink".
    """
    t = np.asarray(t, dtype=float)
    value = np.asarray(value, dtype=float)
    slope = np.asarray(slope, dtype=float)
    at = int(np.argmin(np.abs(t - current)))

    def marker(y: float, label: str, xaxis: str, yaxis: str) -> go.Scatter:
        return go.Scatter(
            name="current",
            x=[t[at]],
            y=[y],
            xaxis=xaxis,
            yaxis=yaxis,
            mode="markers+text",
            text=[label],
            textposition="top left",
            textfont=dict(size=13 * font_scale),
            marker=dict(symbol="diamond", size=12 * font_scale, color=HIGHLIGHT, line=dict(color="#ffffff", width=1)),
            hoverinfo="skip",
            showlegend=False,
        )

    traces = [
        go.Scatter(
            name="value",
            x=t,
            y=value,
            mode="lines",
            line=dict(color=VALUE_COLOR, width=3),
            hovertemplate=f"{moved} = %{{x:.3g}}<br>y = %{{y:.3g}}<extra></extra>",
            xaxis="x",
            yaxis="y",
        ),
        go.Scatter(
            name="slope",
            x=t,
            y=slope,
            mode="lines",
            line=dict(color=SLOPE_COLOR, width=3, shape="hv"),
            hovertemplate=f"{moved} = %{{x:.3g}}<br>∂y/∂{moved} = %{{y:.3g}}<extra></extra>",
            xaxis="x2",
            yaxis="y2",
        ),
        marker(value[at], f"y = {format_value(value[at])}", "x", "y"),
        marker(slope[at], f"slope {format_value(slope[at])}", "x2", "y2"),
    ]
    shapes = [
        dict(
            type="line",
            xref=axis,
            yref=f"{yaxis} domain",
            x0=k,
            x1=k,
            y0=0,
            y1=1,
            name="kink",
            line=dict(color=KINK_COLOR, width=2, dash="dash"),
        )
        for k in kinks
        for axis, yaxis in (("x", "y"), ("x2", "y2"))
    ]
    span = float(value.max() - value.min()) or 1.0
    axis_font = dict(size=12 * font_scale)
    title_font = dict(size=13 * font_scale)
    layout = dict(
        height=height,
        margin=dict(l=int(60 * font_scale), r=12, t=int(30 * font_scale) + 8, b=int(48 * font_scale)),
        font=dict(size=13 * font_scale),
        paper_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        hovermode="closest",
        shapes=shapes,
        xaxis=dict(domain=[0, 1], anchor="y", showticklabels=False, matches="x2", tickfont=axis_font),
        yaxis=dict(
            domain=[0.45, 1],
            title=dict(text="y = max", font=title_font),
            tickfont=axis_font,
            range=[float(value.min()) - 0.1 * span, float(value.max()) + 0.2 * span],
        ),
        xaxis2=dict(
            domain=[0, 1],
            anchor="y2",
            title=dict(text=f"{moved} (the others held fixed)", font=title_font),
            tickfont=axis_font,
        ),
        yaxis2=dict(
            domain=[0, 0.33],
            title=dict(text=f"∂y/∂{moved}", font=title_font),
            range=[-0.25, 1.45],
            tickvals=[0, 1],
            tickfont=axis_font,
        ),
    )
    return go.Figure(data=traces, layout=layout)
