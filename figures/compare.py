"""Bar chart of total gradient mass: how much of ``sum(dL/dy)`` each backward rule hands to ``x``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from figures.grid import format_value

BAR_COLOR = "#0072B2"  # Okabe-Ito blue: safe for every colour-vision type
REFERENCE_COLOR = "#D55E00"  # Okabe-Ito vermillion
_HALF_BAR = 0.4  # half a bar's width in category units (Plotly's default bargap 0.2)


def make_mass_figure(
    masses: Mapping[str, float],
    *,
    reference: float | Sequence[float],
    reference_label: str = "Σ dL/dy",
    title: str = "Gradient mass: Σ dL/dx",
    height: int = 300,
    font_scale: float = 1.0,
) -> go.Figure:
    """One bar per backward rule with its total ``Σ dL/dx``, against a dashed line at ``reference``.

    Parameters
    ----------
    masses : mapping of str to float
        Rule name (bar label) to its total gradient mass, in display order.
    reference : float or sequence of float
        The mass a correct gradient hands on, usually ``Σ dL/dy``: one value for every bar (a line
        across the chart), or one value per bar (a dash over each bar) when the bars were fed
        different upstream gradients.
    reference_label : str
        Text of the reference's label (its value is appended).

    Returns
    -------
    go.Figure
        Traces: "mass" (Bar, x = names, y = masses, values printed on the bars) and "reference"
        (dashed, on an overlaid linear x axis "x2" where bar k spans k ± 0.4; segments separated by
        None). Annotations named "reference-label" print the reference values.
    """
    names = [str(n) for n in masses]
    values = [float(v) for v in masses.values()]
    n = len(names)
    if n == 0:
        raise ValueError("masses is empty: give at least one bar")
    per_bar = [float(v) for v in np.broadcast_to(np.asarray(reference, dtype=float), (n,))]
    shared = len(set(per_bar)) <= 1
    bars = go.Bar(
        name="mass",
        x=names,
        y=values,
        text=[format_value(v) for v in values],
        # Inside the bar (at its top) where it fits, so the reference labels above the dashes stay clear.
        textposition="auto",
        insidetextanchor="end",
        insidetextfont=dict(color="#ffffff"),
        outsidetextfont=dict(color="#333333"),
        cliponaxis=False,
        marker=dict(color=BAR_COLOR),
        hovertemplate="%{x}: Σ dL/dx = %{y}<extra></extra>",
        showlegend=False,
    )
    if shared:
        # One line from the left edge of the first bar to the right edge of the last.
        xs, ys = [-0.5, n - 0.5], [per_bar[0], per_bar[0]]
        text = f"{reference_label} = {format_value(per_bar[0])}"
        labels = [dict(x=n - 0.5, y=per_bar[0], xanchor="right", text=text)]
    else:
        xs, ys = [], []
        for k, v in enumerate(per_bar):
            xs += [k - _HALF_BAR, k + _HALF_BAR, None]
            ys += [v, v, None]
        labels = [
            dict(x=k + _HALF_BAR, y=v, xanchor="right", text=f"{reference_label} = {format_value(v)}")
            for k, v in enumerate(per_bar)
        ]
    line = go.Scatter(
        name="reference",
        x=xs,
        y=ys,
        xaxis="x2",
        mode="lines",
        line=dict(color=REFERENCE_COLOR, width=2, dash="dash"),
        hoverinfo="skip",
        showlegend=False,
    )
    top = max([0.0, *per_bar, *values])
    bottom = min([0.0, *per_bar, *values])
    pad = 0.18 * (top - bottom or 1.0)
    fig = go.Figure(data=[bars, line])
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left", font=dict(size=16 * font_scale)),
        height=height,
        margin=dict(l=int(52 * font_scale), r=8, t=int(44 * font_scale) + 8, b=int(40 * font_scale)),
        font=dict(size=13 * font_scale),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff",
        showlegend=False,
        annotations=[
            dict(
                name="reference-label",
                xref="x2",
                yref="y",
                yanchor="bottom",
                showarrow=False,
                font=dict(color=REFERENCE_COLOR, size=12 * font_scale),
                **label,
            )
            for label in labels
        ],
        xaxis=dict(type="category", tickfont=dict(size=12 * font_scale)),
        # An invisible linear axis over the same span places the reference exactly over the bars.
        xaxis2=dict(overlaying="x", range=[-0.5, n - 0.5], visible=False),
        yaxis=dict(
            title=dict(text="Σ dL/dx"),
            range=[bottom - (pad if bottom < 0 else 0), top + pad],
            zeroline=True,
            zerolinecolor="#888888",
            gridcolor="#e5e5e5",
        ),
    )
    return fig
