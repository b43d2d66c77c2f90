"""Lean heatmaps for whole pictures (up to 1024x1024): no per-cell text, winner marks or
window outlines, just the values, square pixels, row 0 on top and indexed axes."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, sample_colorscale

from figures.grid import GRADIENT_COLORSCALE, VALUES_COLORSCALE, format_value

IMAGE_COLORSCALE = "gray"
"""A picture reads best in its own grey levels (sequential, and safe for every colour vision)."""

KINDS = ("image", "counts", "gradient")

_MARGIN = dict(l=48, r=8, t=40, b=40)


GREY_LEVELS = 255
"""Pictures whose every value is k / 255 (8-bit sources) are sent as the bytes k: a quarter of the size."""


def _eight_bit(values: np.ndarray) -> np.ndarray | None:
    """``values * 255`` as uint8 when that is exact (every value one of the 256 levels k / 255), else None."""
    if values.dtype.kind != "f" or not np.isfinite(values).all():
        return None
    levels = np.rint(values * GREY_LEVELS)
    if levels.min(initial=0) < 0 or levels.max(initial=0) > GREY_LEVELS:
        return None
    if not np.array_equal((levels / GREY_LEVELS).astype(values.dtype), values):
        return None
    return levels.astype(np.uint8)


def _compact(values: np.ndarray, kind: str) -> np.ndarray:
    """The smallest dtype that holds the values exactly: Plotly sends numpy arrays as base64
    typed arrays, so a 512x512 float32 grid costs 1.4 MB of text and int8 one 350 kB.
    Whole-number gradients (dL/dy of ones: dL/dx counts wins) travel as small ints too."""
    if kind == "counts":
        top = int(values.max(initial=0))
        return values.astype(np.uint8 if top < 256 else np.uint16 if top < 65536 else np.uint32)
    if values.dtype.kind == "f" and np.isfinite(values).all():
        whole = np.rint(values)
        if np.array_equal(whole, values):
            lo, hi = float(whole.min(initial=0)), float(whole.max(initial=0))
            for small in (np.int8, np.int16):
                if np.iinfo(small).min <= lo and hi <= np.iinfo(small).max:
                    return whole.astype(small)
    # A window lying wholly in padding pools to -inf: show it as a gap, not as a colour.
    return np.where(np.isfinite(values), values, np.nan).astype(np.float32)


CLIP_QUANTILE = 0.995
"""Counts and gradients are coloured up to this quantile of their non-zero sizes: a few pixels
winning many windows would otherwise squeeze the common 0 / 1 / 2 into one colour."""


CLIP_MIN_VALUES = 1000
"""Below this many non-zero values nothing is clipped: every outlier is then worth seeing."""


def _robust_limit(sizes: np.ndarray, integer: bool) -> tuple[float, bool]:
    """Colour limit for non-negative ``sizes`` and whether it clips the largest value."""
    nonzero = sizes[sizes > 0]
    if not nonzero.size:
        return 1.0, False
    top = float(nonzero.max())
    if nonzero.size < CLIP_MIN_VALUES:
        return top, False
    limit = float(np.quantile(nonzero, CLIP_QUANTILE))
    limit = float(np.ceil(limit)) if integer else limit
    limit = max(limit, float(nonzero.min()))
    return (limit, True) if limit < top else (top, False)


def _sqrt_colorscale(name: str, signed: bool, stops: int = 21) -> list:
    """``name``'s colours laid out by the square root of the size, so that 0, 1 and 2 of a
    range up to 9 stand apart; for a signed (diverging) scale, by sign * sqrt(|t|) around the middle."""
    scale = get_colorscale(name)
    positions = np.linspace(0.0, 1.0, stops)
    if signed:
        t = 2 * positions - 1
        where = (np.sign(t) * np.sqrt(np.abs(t)) + 1) / 2
    else:
        where = np.sqrt(positions)
    colours = sample_colorscale(scale, list(where))
    return [[float(p), c] for p, c in zip(positions, colours)]


def _clipped_ticks(lo: float, hi: float, integer: bool) -> dict:
    """Colour-bar ticks whose end labels say the colour is clipped there (≥ hi, and ≤ lo when negative)."""
    if integer and hi <= 10:
        values = list(range(int(lo), int(hi) + 1))
    else:
        values = list(np.linspace(lo, hi, 5))
    text = [format_value(v) for v in values]
    text[-1] = "≥" + text[-1]
    if lo < 0:
        text[0] = "≤" + text[0]
    return dict(tickmode="array", tickvals=values, ticktext=text)


def area_average(values: np.ndarray, factor: int) -> np.ndarray:
    """Each ``factor`` x ``factor`` block of ``values`` replaced by its mean (a partial last block by the
    mean of the pixels it holds; non-finite values are left out, a block of only those is NaN).

    Drawing a 512x512 grid into ~270 screen pixels picks every other pixel or so and shows a moiré
    of the picture's fine texture; the block mean is what the eye would see from afar.
    """
    values = np.asarray(values, dtype=np.float64)
    H, W = values.shape
    Hb, Wb = -(-H // factor), -(-W // factor)
    padded = np.full((Hb * factor, Wb * factor), np.nan)
    padded[:H, :W] = np.where(np.isfinite(values), values, np.nan)
    blocks = padded.reshape(Hb, factor, Wb, factor)
    count = np.isfinite(blocks).sum(axis=(1, 3))
    total = np.nansum(blocks, axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


MAX_DISCRETE_COUNT = 12
"""Win counts up to this get a stepped colour bar, one flat colour and one tick per whole count."""


def _discrete_counts(name: str, top: int) -> tuple[list, dict]:
    """A stepped colour scale for the counts 0..top (laid out from -0.5 to top + 0.5) and a tick per count."""
    levels = top + 1
    colours = sample_colorscale(get_colorscale(name), [np.sqrt(k / max(top, 1)) for k in range(levels)])
    scale = []
    for k, colour in enumerate(colours):
        scale += [[k / levels, colour], [(k + 1) / levels, colour]]
    return scale, dict(tickmode="array", tickvals=list(range(levels)), ticktext=[str(k) for k in range(levels)])


def make_image_figure(
    values: np.ndarray,
    *,
    name: str,
    kind: str = "image",
    title: str | None = None,
    zrange: tuple[float, float] | None = None,
    view_box: tuple[int, int, int, int] | None = None,
    height: int = 460,
    robust: bool = True,
    font_scale: float = 1.0,
    overview_side: int | None = None,
) -> go.Figure:
    """One large grid as a plain heatmap.

    Parameters
    ----------
    values : ndarray, shape (H, W)
        Grey levels, win counts or a gradient.
    name : str
        Hover reads ``name[row, col] = value``.
    kind : {"image", "counts", "gradient"}
        Grey scale; Viridis from 0 for counts; reversed RdBu centred at 0 with
        symmetric limits for gradients (both laid out by the square root).
    title : str, optional
        Defaults to `name`.
    zrange : (float, float), optional
        Colour limits; by default the data's range (symmetric for gradients,
        from 0 for counts).
    view_box : (top, bottom, left, right), optional
        Inclusive rows and columns shown at first (a detail); the whole grid is
        still sent, so zooming out (double-click) shows everything.
    height : int
        Pixel height of the figure.
    robust : bool
        For counts and gradients, colour only up to the `CLIP_QUANTILE` of the
        non-zero sizes (the colour bar then marks its ends with ≥ / ≤; hover
        still shows every exact value). Their colours always follow the square
        root of the size, so small counts are told apart.
    font_scale : float
        Multiplies every font size (presentation mode).
    overview_side : int, optional
        With no `view_box` and a grid longer than this on a side, draw the
        `area_average` of blocks of f x f pixels (f the smallest whole factor
        that brings the grid within it), placed on the pixels they cover: a
        whole picture squeezed into a small figure shows no moiré. Hover then
        gives the block's mean.

    Returns
    -------
    go.Figure
        One trace, the Heatmap named "grid", without text; z is float32, or the
        smallest integer type when every value is a whole number (counts, and
        gradients such as dL/dx under dL/dy = 1), or uint8 levels k for an 8-bit
        picture (k / 255).
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"values must be 2-D (H, W), got shape {values.shape}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    H, W = values.shape
    factor = 1
    if overview_side is not None and view_box is None and max(H, W) > overview_side:
        factor = -(-max(H, W) // overview_side)
        values = area_average(values, factor)
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
    ticks = {}
    if zrange is not None:
        zmin, zmax = zrange
    elif kind in ("gradient", "counts"):
        integer = kind == "counts" and factor == 1
        sizes = np.abs(finite)
        if robust:
            m, clipped = _robust_limit(sizes, integer)
        else:
            m, clipped = float(sizes.max(initial=0.0)) or 1.0, False
        zmin, zmax = (-m, m) if kind == "gradient" else (0.0, m)
        if clipped:
            ticks = _clipped_ticks(zmin, zmax, integer)
    else:
        zmin, zmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if zmin == zmax:
            zmin, zmax = zmin - 0.5, zmax + 0.5
    name_of_scale = {"image": IMAGE_COLORSCALE, "counts": VALUES_COLORSCALE, "gradient": GRADIENT_COLORSCALE}[kind]
    # Spelled out as a list: without validation Plotly.py would pass the name through, and
    # Plotly.js knows neither "gray" nor the "_r" reversal.
    if kind == "image":
        colorscale = get_colorscale(name_of_scale)
    else:
        colorscale = _sqrt_colorscale(name_of_scale, signed=kind == "gradient")
    if kind == "counts" and factor == 1 and not ticks and zmax <= MAX_DISCRETE_COUNT:
        # Whole counts get one flat colour each and a tick each: a smooth 0-1 bar suggests fractions.
        colorscale, ticks = _discrete_counts(name_of_scale, int(zmax))
        zmin, zmax = -0.5, int(zmax) + 0.5
    top, bottom, left, right = (0, H - 1, 0, W - 1) if view_box is None else (int(v) for v in view_box)
    value_format = "%{z}" if kind == "counts" and factor == 1 else "%{z:.4g}"
    z = _eight_bit(values) if kind == "image" and factor == 1 else None
    if z is not None:
        # Grey levels k / 255 travel as the bytes k; colour limits, ticks and hover say what they mean.
        value_format = f"%{{z}}/{GREY_LEVELS}"
        tick_values = np.linspace(zmin, zmax, 5)
        ticks = dict(
            tickmode="array",
            tickvals=list(tick_values * GREY_LEVELS),
            ticktext=[format_value(round(v, 4)) for v in tick_values],
        )
        zmin, zmax = zmin * GREY_LEVELS, zmax * GREY_LEVELS
    else:
        z = _compact(values, kind if factor == 1 else "image")
    hover = f"{name}[%{{y}}, %{{x}}] = {value_format}<extra></extra>"
    placement = {}
    if factor > 1:
        # Each block sits on the pixels it averages, so the axes still count pixels of the picture.
        placement = dict(x0=(factor - 1) / 2, dx=factor, y0=(factor - 1) / 2, dy=factor)
        hover = f"mean of {name} over {factor}×{factor} pixels around [%{{y}}, %{{x}}] = {value_format}<extra></extra>"
    heatmap = dict(
        type="heatmap",
        name="grid",
        z=z,
        zmin=zmin,
        zmax=zmax,
        zmid=0.0 if kind == "gradient" else None,
        colorscale=colorscale,
        hovertemplate=hover,
        **placement,
        colorbar=dict(thickness=10, outlinewidth=0, len=0.9, tickfont=dict(size=11 * font_scale), **ticks),
    )
    axis = dict(
        showgrid=False,
        zeroline=False,
        showline=False,
        ticks="outside",
        ticklen=3,
        constrain="domain",
        tickfont=dict(size=11 * font_scale),
    )
    layout = dict(
        title=dict(text=title if title is not None else name, x=0.0, xanchor="left", font=dict(size=16 * font_scale)),
        font=dict(size=13 * font_scale),
        hoverlabel=dict(font=dict(size=12 * font_scale)),
        height=height,
        margin=_MARGIN,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
        xaxis=dict(axis, title=dict(text="column"), range=[left - 0.5, right + 0.5], autorange=False),
        # Given top-down so row 0 is at the top, as in the matrix.
        yaxis=dict(
            axis,
            title=dict(text="row"),
            range=[bottom + 0.5, top - 0.5],
            autorange=False,
            scaleanchor="x",
            scaleratio=1,
        ),
    )
    # Every key above is a valid Plotly property (the tests re-validate a figure); skipping
    # validation saves ~90 ms per 512x512 grid, which Plotly would otherwise copy and check.
    return go.Figure(data=[heatmap], layout=layout, _validate=False)
