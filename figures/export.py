"""Pictures for slides, drawn without a browser: the current grids as SVG text, PNG and animated GIF (Pillow).

One scene (a list of rectangles and texts in pixel coordinates) is built from
the panels, then written out as SVG or painted with Pillow, so the two formats
show the same thing. Colours follow the app: Viridis for values, reversed RdBu
centred at 0 for gradients, grey for NaN, the selected window outlined in the
highlight colour and winners outlined in black.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np
import plotly.colors
from PIL import Image, ImageDraw, ImageFont

from figures.grid import HIGHLIGHT, MAX_ANNOTATED_SIDE, NAN_COLOR, format_value

PENDING_COLOR = "#eeeeee"
CELL = 40
"""Cell side in pixels at scale 1 (PNG 2x doubles it)."""
GAP = 24
TITLE = 30
MARGIN = 16


@dataclass(frozen=True)
class Panel:
    """One grid to draw.

    Attributes
    ----------
    name : str
        Title above the grid: "x", "y", "dL/dy", "dL/dx", ...
    values : ndarray, shape (H, W)
        NaN is drawn grey; a cell not computed yet (a step-through) can be NaN too.
    kind : {"values", "gradient"}
    highlight : ndarray of int, shape (n, 2), optional
        Cells outlined in the highlight colour (the selected window, or one output cell).
    winners : ndarray of bool, shape (H, W), optional
        Cells outlined in black.
    limits : (float, float), optional
        Colour range; by default from the finite values (symmetric for gradients).
    pending : ndarray of bool, shape (H, W), optional
        Cells not computed yet (a step-through): drawn blank, without a number.
    """

    name: str
    values: np.ndarray
    kind: str = "values"
    highlight: np.ndarray | None = None
    winners: np.ndarray | None = None
    limits: tuple[float, float] | None = None
    pending: np.ndarray | None = None


@dataclass
class Scene:
    """Shapes in pixel coordinates at scale 1: ("rect", x, y, w, h, fill, stroke, stroke_width, kind) and
    ("text", x, y, text, size, fill, anchor, bold)."""

    width: int
    height: int
    items: list = field(default_factory=list)


def _scale_colors(name: str) -> np.ndarray:
    scale = plotly.colors.sequential.Viridis if name == "values" else plotly.colors.diverging.RdBu[::-1]
    rgb = [plotly.colors.hex_to_rgb(c) if c.startswith("#") else plotly.colors.unlabel_rgb(c) for c in scale]
    return np.array(rgb, dtype=float)


_SCALES = {kind: _scale_colors(kind) for kind in ("values", "gradient")}


def _colors(values: np.ndarray, lo: float, hi: float, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Fill colour (hex) and a readable ink colour for every value at once; NaN gets the NaN grey."""
    stops = _SCALES[kind]
    t = np.full(values.shape, 0.5) if hi <= lo else (np.clip(values, lo, hi) - lo) / (hi - lo)
    pos = np.nan_to_num(t, nan=0.0) * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    rgb = np.rint(stops[i] + (stops[i + 1] - stops[i]) * (pos - i)[..., None]).astype(int)
    fill = np.array(["#{:02x}{:02x}{:02x}".format(*c) for c in rgb.reshape(-1, 3)], dtype=object).reshape(values.shape)
    light = rgb @ np.array([0.299, 0.587, 0.114]) > 140
    nan = np.isnan(values)
    fill[nan] = NAN_COLOR
    light[nan] = True  # the NaN grey is light
    return fill, np.where(light, "#000000", "#ffffff")


def _limits(p: Panel) -> tuple[float, float]:
    if p.limits is not None:
        return p.limits
    finite = p.values[np.isfinite(p.values)]
    if p.kind == "gradient":
        m = float(np.abs(finite).max()) if finite.size else 1.0
        return (-m, m) if m > 0 else (-1.0, 1.0)
    return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)


def build_scene(panels: Sequence[Panel], columns: int = 2, caption: str | None = None) -> Scene:
    """Lay the panels out ``columns`` per row, each a titled grid of square cells."""
    if not panels:
        raise ValueError("nothing to draw: give at least one panel")
    rows = [panels[i : i + columns] for i in range(0, len(panels), columns)]
    col_w = [max(p.values.shape[1] for p in (r[c] for r in rows if c < len(r))) * CELL for c in range(columns)]
    col_w = [w for w in col_w if w > 0]
    row_h = [max(p.values.shape[0] for p in r) * CELL + TITLE for r in rows]
    caption_h = TITLE if caption else 0
    scene = Scene(
        MARGIN * 2 + sum(col_w) + GAP * (len(col_w) - 1), MARGIN * 2 + caption_h + sum(row_h) + GAP * (len(rows) - 1)
    )
    scene.items.append(("rect", 0, 0, scene.width, scene.height, "#ffffff", None, 0, "background"))
    if caption:
        scene.items.append(("text", MARGIN, MARGIN + 20, caption, 18, "#000000", "start", True))
    y0 = MARGIN + caption_h
    for r, row in enumerate(rows):
        x0 = MARGIN
        for c, panel in enumerate(row):
            _draw_panel(scene, panel, x0, y0)
            x0 += col_w[c] + GAP
        y0 += row_h[r] + GAP
    return scene


def _draw_panel(scene: Scene, p: Panel, x0: int, y0: int) -> None:
    values = np.asarray(p.values, dtype=float)
    H, W = values.shape
    lo, hi = _limits(p)
    scene.items.append(("text", x0, y0 + 20, p.name, 18, "#000000", "start", True))
    top = y0 + TITLE
    annotated = H <= MAX_ANNOTATED_SIDE and W <= MAX_ANNOTATED_SIDE
    fills, inks = _colors(values, lo, hi, p.kind)
    pending = np.zeros(values.shape, bool) if p.pending is None else np.asarray(p.pending, bool)
    for r in range(H):
        for c in range(W):
            fill = PENDING_COLOR if pending[r, c] else fills[r, c]
            scene.items.append(("rect", x0 + c * CELL, top + r * CELL, CELL, CELL, fill, "#ffffff", 1, "cell"))
            if annotated and not pending[r, c]:
                cx, cy = x0 + c * CELL + CELL / 2, top + r * CELL + CELL / 2 + 5
                scene.items.append(("text", cx, cy, format_value(values[r, c]), 14, inks[r, c], "middle", False))
    if p.winners is not None:
        for r, c in np.argwhere(p.winners):
            scene.items.append(
                ("rect", x0 + c * CELL + 3, top + r * CELL + 3, CELL - 6, CELL - 6, None, "#000000", 2.5, "winner")
            )
    if p.highlight is not None and len(p.highlight):
        cells = np.asarray(p.highlight).reshape(-1, 2)
        inside = cells[(cells[:, 0] >= 0) & (cells[:, 0] < H) & (cells[:, 1] >= 0) & (cells[:, 1] < W)]
        for r, c in inside:
            scene.items.append(
                ("rect", x0 + c * CELL + 1, top + r * CELL + 1, CELL - 2, CELL - 2, None, HIGHLIGHT, 2, "highlight")
            )
        if len(inside):
            (r0, c0), (r1, c1) = inside.min(axis=0), inside.max(axis=0)
            scene.items.append(
                (
                    "rect",
                    x0 + c0 * CELL,
                    top + r0 * CELL,
                    (c1 - c0 + 1) * CELL,
                    (r1 - r0 + 1) * CELL,
                    None,
                    HIGHLIGHT,
                    3.5,
                    "window",
                )
            )


def to_svg(scene: Scene) -> str:
    """The scene as a standalone SVG document (text, UTF-8)."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}" height="{scene.height}" '
        f'viewBox="0 0 {scene.width} {scene.height}" font-family="Helvetica, Arial, sans-serif">'
    ]
    for item in scene.items:
        if item[0] == "rect":
            _, x, y, w, h, fill, stroke, width, kind = item
            style = f'fill="{fill or "none"}"' + (f' stroke="{stroke}" stroke-width="{width}"' if stroke else "")
            out.append(f'<rect class="{kind}" x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" {style}/>')
        else:
            _, x, y, text, size, fill, anchor, bold = item
            weight = ' font-weight="bold"' if bold else ""
            out.append(
                f'<text x="{x:g}" y="{y:g}" font-size="{size}" fill="{fill}" text-anchor="{anchor}"{weight}>'
                f"{escape(text)}</text>"
            )
    out.append("</svg>")
    return "\n".join(out)


def _ascii(text: str) -> str:
    # Pillow's built-in font has no glyphs for U+2212 or the infinity sign.
    return text.replace("−∞", "-inf").replace("∞", "inf").replace("−", "-")


def to_image(scene: Scene, scale: float = 2.0, glyphs: dict | None = None) -> Image.Image:
    """The scene painted with Pillow at ``scale`` (2: twice the pixels, for sharp slides).

    ``glyphs`` caches each distinct text as a mask, so the frames of an animation (and the many
    equal numbers of one grid) are rendered once and pasted after that.
    """
    img = Image.new("RGB", (int(scene.width * scale), int(scene.height * scale)), "#ffffff")
    draw = ImageDraw.Draw(img)
    glyphs = {} if glyphs is None else glyphs
    for item in scene.items:
        if item[0] == "rect":
            _, x, y, w, h, fill, stroke, width, _ = item
            box = [x * scale, y * scale, (x + w) * scale - 1, (y + h) * scale - 1]
            draw.rectangle(box, fill=fill, outline=stroke, width=max(1, round(width * scale)) if stroke else 0)
        else:
            _, x, y, text, size, fill, anchor, bold = item
            key = (_ascii(text), int(size * scale), anchor, bold)
            if key not in glyphs:
                glyphs[key] = _glyph(*key)
            mask, (dx, dy) = glyphs[key]
            if mask is not None:
                img.paste(fill, (int(round(x * scale)) + dx, int(round(y * scale)) + dy), mask)
    return img


def _glyph(text: str, size: int, anchor: str, bold: bool):
    """(mask, offset from the anchor point) of one text, or (None, ...) for an empty one."""
    font = _font(size)
    pil_anchor = "ms" if anchor == "middle" else "ls"
    stroke = 1 if bold else 0
    left, top, right, bottom = font.getbbox(text, anchor=pil_anchor, stroke_width=stroke)
    if right <= left or bottom <= top:
        return None, (0, 0)
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text(
        (-left, -top), text, fill=255, font=font, anchor=pil_anchor, stroke_width=stroke, stroke_fill=255
    )
    return mask, (left, top)


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def to_png(scene: Scene, scale: float = 2.0) -> bytes:
    """PNG bytes of the scene at ``scale``."""
    buffer = io.BytesIO()
    to_image(scene, scale).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def to_gif(scenes: Sequence[Scene], *, seconds_per_frame: float = 1.0, scale: float = 1.0) -> bytes:
    """An animated GIF with one frame per scene, looping forever."""
    if not scenes:
        raise ValueError("an animation needs at least one frame")
    glyphs: dict = {}
    images = [to_image(s, scale, glyphs) for s in scenes]
    # One palette for every frame, taken from the last (it shows the most colours): quantizing each
    # frame on its own costs more and makes colours flicker between frames.
    palette = images[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    frames = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=int(seconds_per_frame * 1000),
        loop=0,
        disposal=1,
    )
    return buffer.getvalue()
