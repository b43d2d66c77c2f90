"""Figures of the smooth-max page: how one window's gradient weights move as the temperature falls."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from figures.grid import HIGHLIGHT

# Okabe-Ito: colour-blind-safe, and each line also gets its own dash and marker.
_LINE_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def make_weight_paths_figure(
    temperatures: np.ndarray,
    weights: np.ndarray,
    labels: Sequence[str],
    current: float,
    *,
    title: str = "Gradient weights of the selected window as T falls",
    font_scale: float = 1.0,
) -> go.Figure:
    """One line per window position: its weight ``softmax(window / T)`` against T on a log axis.

    Parameters
    ----------
    temperatures : ndarray, shape (n,)
        Decreasing temperatures; the x axis runs from the largest on the left to the smallest.
    weights : ndarray, shape (n, K)
        Weight of each of the K positions at each temperature.
    labels : sequence of K str
        Legend entry of each position, e.g. ``x[0, 1] = 3``.
    current : float
        The temperature shown now: a vertical line in the highlight colour.
    """
    temperatures = np.asarray(temperatures, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if weights.shape != (len(temperatures), len(labels)):
        raise ValueError(f"weights must have shape {(len(temperatures), len(labels))}, got {weights.shape}")
    fig = go.Figure()
    for k, label in enumerate(labels):
        fig.add_trace(
            go.Scatter(
                name=label,
                x=temperatures,
                y=weights[:, k],
                mode="lines",
                line=dict(color=_LINE_COLORS[k % len(_LINE_COLORS)], dash=_DASHES[k % len(_DASHES)], width=2.5),
                hovertemplate=f"{label}<br>T = %{{x:.3g}}<br>weight = %{{y:.4f}}<extra></extra>",
            )
        )
    fig.add_vline(x=current, line=dict(color=HIGHLIGHT, width=2, dash="dash"), name="current")
    fig.update_layout(
        title=dict(text=title, font=dict(size=15 * font_scale)),
        xaxis=dict(type="log", autorange="reversed", title="temperature T (falling to the right)"),
        yaxis=dict(range=[-0.03, 1.03], title="share of dL/dy"),
        height=int(360 * font_scale),
        margin=dict(l=60, r=10, t=50, b=50),
        legend=dict(font=dict(size=12 * font_scale)),
        font=dict(size=12 * font_scale),
    )
    return fig
