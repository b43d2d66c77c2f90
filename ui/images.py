"""The real-images page's pieces: reading a picture (the bundled sample or an upload, with
size caps), pooling it at full resolution, and the four big figures."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import streamlit as st

import pooling
from figures.images import make_image_figure
from ui import presentation, state
from ui.model import Pooled, Window, pooled_from, window_of

MAX_IMAGE_SIDE = 1024
"""Largest accepted width and height of a picture, in pixels."""
MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Largest accepted file, in bytes (5 MB)."""
_ROOT = Path(__file__).resolve().parents[1]
# In a checkout assets/ sits beside ui/; an installed wheel ships it with app.py inside the launcher
# package (setup.py), and ui/ then sits beside that package in site-packages.
SAMPLE_PATH = next(
    (path for path in (_ROOT / "assets" / "sample.png", _ROOT / "maxpool_explainer" / "app" / "assets" / "sample.png")
     if path.is_file()),
    _ROOT / "assets" / "sample.png",
)
"""The bundled picture, drawn by scripts/make_sample_image.py."""

SOURCES = {"sample": "Bundled sample (512×512)", "upload": "Upload a picture"}
GRADIENTS = {
    "ones": "all ones: L = sum of y",
    "y": "y itself: L = ½ · sum of y²",
    "signs": "random signs ±1",
}


class ImageError(ValueError):
    """A file that cannot be used as a picture; the message says why and what is accepted."""


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def decode_image(data: bytes) -> np.ndarray:
    """Read an image file into grey levels.

    Parameters
    ----------
    data : bytes
        A PNG, JPEG, GIF, BMP, WebP or TIFF file, at most `MAX_IMAGE_BYTES` long and
        `MAX_IMAGE_SIDE` pixels on each side (checked from the header, before decoding).

    Returns
    -------
    ndarray of float32, shape (H, W)
        Grey levels from 0 (black) to 1 (white): colour is converted with
        ITU-R 601 luma, transparency is laid over white, 16-bit images keep their
        range, the EXIF orientation is applied, and an animation gives its first frame.

    Raises
    ------
    ImageError
        Empty, too large, not an image, or damaged.
    """
    from PIL import Image, ImageOps

    if not data:
        raise ImageError("The file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(
            f"The file is {_megabytes(len(data))}; at most {_megabytes(MAX_IMAGE_BYTES)} is accepted. "
            "Save a smaller picture and try again."
        )
    not_a_picture = ImageError(
        "This file is not a picture that can be read: upload a PNG, JPEG, GIF, BMP, WebP or TIFF file."
    )
    try:
        # Image.open reads only the header; no pixel is decoded before the size check below.
        img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # Pillow's own guard (a header claiming over 2 x Image.MAX_IMAGE_PIXELS pixels, or over 1 x when
        # warnings are errors) fires inside open(): that is far over our cap, so say so in our words.
        raise ImageError(
            f"The file claims a picture far larger than {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} pixels (a "
            "decompression bomb, or a huge picture); it was not decoded. Shrink or crop it first."
        ) from err
    except Exception as err:  # noqa: BLE001 - any Pillow failure on a stranger's file is the user's problem
        raise not_a_picture from err
    width, height = img.size
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise ImageError(
            f"The picture is {width}×{height} pixels; at most {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} is accepted. "
            "Shrink or crop it first."
        )
    if width < 1 or height < 1:
        raise ImageError(f"The picture is {width}×{height} pixels; it needs at least one pixel.")
    try:
        img.load()
        img = ImageOps.exif_transpose(img)
        gray = _to_gray(img)
    except Exception as err:  # noqa: BLE001 - damaged or cut-short data, unsupported modes, codec errors
        kind = img.format or "image"
        raise ImageError(
            f"The file starts like a {kind} file but could not be decoded (it may be damaged or "
            "cut short). Try saving it again."
        ) from err
    return gray


def _to_gray(img) -> np.ndarray:
    """Grey levels in [0, 1] of a loaded Pillow image, whatever its mode."""
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        return (np.asarray(img, dtype=np.float64) / 65535).astype(np.float32)
    if img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        finite = values[np.isfinite(values)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        scaled = (np.nan_to_num(values, nan=lo, posinf=hi, neginf=lo) - lo) / (hi - lo if hi > lo else 1.0)
        return scaled.astype(np.float32)
    if img.mode == "LAB":
        # CIE L*a*b*: Pillow cannot convert it to L or RGB, but its first band is the lightness.
        return (np.asarray(img.getchannel("L"), dtype=np.float32) / 255).astype(np.float32)
    if img.mode in ("RGBA", "LA", "La", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return (np.asarray(img.convert("L"), dtype=np.float32) / 255).astype(np.float32)


@st.cache_data(max_entries=8, show_spinner=False)
def load_image(data: bytes) -> tuple[np.ndarray | None, str | None]:
    """``decode_image`` cached on the file's bytes: (grey levels, None) or (None, message)."""
    try:
        return decode_image(data), None
    except ImageError as err:
        return None, str(err)


def sample_bytes() -> bytes:
    return SAMPLE_PATH.read_bytes()


def upstream_gradient(kind: str, y: np.ndarray) -> np.ndarray:
    """dL/dy for the chosen loss: ones, y itself (L = ½ Σ y²), or seeded random signs."""
    if kind == "y":
        return y.copy()
    if kind == "signs":
        return np.random.default_rng(0).choice(np.array([-1.0, 1.0], dtype=y.dtype), size=y.shape)
    return np.ones_like(y)


def pool_image(x: np.ndarray, window: Window, tie_policy: str, gradient: str) -> Pooled:
    """Pool ``x`` with ``window``, wired as the grid pages are; raises the core's ValueError if it does not fit."""
    res = pooling.max_pool2d(x, window.kernel, **window.kwargs())
    return pooled_from(res, window, upstream_gradient(gradient, res.out), tie_policy)


def source_panel() -> tuple[bytes | None, str]:
    """The picture chooser; returns the chosen file's bytes (None while nothing is uploaded) and its name."""
    state.seed_widget("img_source", state.link_choice("img", list(SOURCES), "sample"))
    source = st.radio("Picture", list(SOURCES), key="img_source", format_func=SOURCES.get, horizontal=True)
    state.set_extra(img=None if source == "sample" else source)
    if source == "sample":
        return sample_bytes(), "sample.png"
    upload = st.file_uploader(
        f"A picture up to {MAX_IMAGE_SIDE}×{MAX_IMAGE_SIDE} pixels and {_megabytes(MAX_IMAGE_BYTES)}; "
        "colour is turned into grey levels",
        type=["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"],
        key="img_upload",
        max_upload_size=MAX_IMAGE_BYTES // (1024 * 1024),
    )
    if upload is None:
        st.info("Choose a picture to upload; the figures show it as soon as it arrives.", icon="🖼️")
        return None, ""
    return upload.getvalue(), upload.name


def gradient_choice() -> str:
    state.seed_widget("img_dy", state.link_choice("imgdy", list(GRADIENTS), "ones"))
    kind = st.radio(
        "dL/dy",
        list(GRADIENTS),
        key="img_dy",
        format_func=GRADIENTS.get,
        horizontal=True,
        help="The upstream gradient each output sends back. With all ones, dL/dx under 'first' or 'last' "
        "counts the windows each pixel wins.",
    )
    state.set_extra(imgdy=None if kind == "ones" else kind)
    return kind


def summary(p: Pooled) -> str:
    """One sentence of numbers: sizes, winners, ties and gradient mass."""
    H, W = p.x.shape
    H_out, W_out = p.y.shape
    winners = int((p.win_counts > 0).sum())
    tied_share = p.tied_window_count / max(1, H_out * W_out)
    return (
        f"x is {H}×{W} = {H * W:,} pixels; y is {H_out}×{W_out} = {H_out * W_out:,} windows "
        f"({p.window.describe()}). {winners:,} pixels receive gradient from at least one window "
        f"({winners / (H * W):.1%}); {p.tied_window_count:,} windows ({tied_share:.1%}) have a tied maximum "
        f"(any flat patch ties). Sum of dL/dy = {float(p.dy.sum(dtype=np.float64)):,.6g}; "
        f"sum of dL/dx = {float(p.dx.sum(dtype=np.float64)):,.6g}."
    )


def mass_notice(p: Pooled) -> str | None:
    """What the wrong tie rules do to the gradient mass on this picture, or None."""
    if p.tied_window_count == 0 or p.tie_policy not in ("all", "none"):
        return None
    sent, arrived = float(p.dy.sum(dtype=np.float64)), float(p.dx.sum(dtype=np.float64))
    rule = "every tied maximum gets the full gradient" if p.tie_policy == "all" else "tied maxima get nothing"
    return (
        f"Under '{p.tie_policy}' {rule}, so the gradient does not add up: y sends back {sent:,.6g} "
        f"in total and x receives {arrived:,.6g}. Flat areas tie in almost every window, so a picture "
        "shows the wrong rule at once."
    )


OVERVIEW_SIDE = 256
"""The whole picture is drawn as block means of at most this many blocks a side (a figure is
about 270-600 screen pixels): finer grids alias into moiré. A detail shows every pixel."""

DETAIL_SIZES = {0: "the whole picture", 32: "a 32×32 detail", 64: "a 64×64 detail", 128: "a 128×128 detail"}


def _parse_detail(text: str | None) -> tuple[int, int, int]:
    """``"size,row,col"`` from the link, or the whole picture when absent or unreadable."""
    try:
        size, row, col = (int(v) for v in (text or "").split(","))
    except ValueError:
        return 0, 0, 0
    return (size, row, col) if size in DETAIL_SIZES and row >= 0 and col >= 0 else (0, 0, 0)


def tie_corner(p: Pooled, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` x ``size`` detail holding the most partly tied windows (see pooling)."""
    return pooling.partial_tie_corner(p.res, size)


def detail_panel(shape: tuple[int, int], p: Pooled | None = None) -> tuple[int, int, int, int] | None:
    """Which part of the picture the figures show first: (top, bottom, left, right), or None for all of it.

    With no corner in the link, a detail opens where windows tie partially (`tie_corner`), not on flat sky.
    """
    H, W = shape
    linked = state.get_extra("imgzoom") is not None
    size, row, col = _parse_detail(state.get_extra("imgzoom"))
    state.seed_widget("img_detail", size)
    columns = st.columns([2, 3, 3])
    size = columns[0].selectbox("Show", list(DETAIL_SIZES), key="img_detail", format_func=DETAIL_SIZES.get)
    if size == 0 or size >= max(H, W):
        state.set_extra(imgzoom=None)
        return None
    rows, cols = min(size, H), min(size, W)
    if not linked and p is not None and "img_row" not in st.session_state:
        row, col = tie_corner(p, size)
    top = _corner_slider(columns[1], "Top row", "img_row", row, H - rows)
    left = _corner_slider(columns[2], "Left column", "img_col", col, W - cols)
    state.set_extra(imgzoom=f"{size},{top},{left}")
    return top, top + rows - 1, left, left + cols - 1


def _corner_slider(column, label: str, key: str, start: int, largest: int) -> int:
    """A slider from 0 to ``largest`` (kept in range when the picture changes); none when there is no choice."""
    if largest <= 0:
        return 0
    state.seed_widget(key, min(start, largest))
    st.session_state[key] = min(st.session_state[key], largest)
    return column.slider(label, 0, largest, key=key)


def output_box(geometry: pooling.PoolGeometry, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The outputs whose windows start inside the input box ``(top, bottom, left, right)``."""
    (sH, sW), (pH, pW) = geometry.stride, geometry.padding
    H_out, W_out = geometry.out_shape
    top, bottom, left, right = box
    lo_r, hi_r = -(-(top + pH) // sH), (bottom + pH) // sH
    lo_c, hi_c = -(-(left + pW) // sW), (right + pW) // sW
    clamp = lambda v, n: min(max(v, 0), n - 1)  # noqa: E731
    return clamp(lo_r, H_out), clamp(max(hi_r, lo_r), H_out), clamp(lo_c, W_out), clamp(max(hi_c, lo_c), W_out)


def figures(p: Pooled, box: tuple[int, int, int, int] | None = None) -> dict:
    """The four full-resolution figures: x, y, win counts and dL/dx; drawn and returned by name."""
    y_box = None if box is None else output_box(p.res.geometry, box)
    scale = presentation.font_scale()
    side = dict(overview_side=OVERVIEW_SIDE)
    figs = {
        "x": make_image_figure(
            p.x,
            name="x",
            kind="image",
            title="x: the picture (grey levels 0–1)",
            zrange=(0.0, 1.0),
            view_box=box,
            font_scale=scale,
            **side,
        ),
        "y": make_image_figure(
            p.y,
            name="y",
            kind="image",
            title="y = maxpool(x)",
            zrange=(0.0, 1.0),
            view_box=y_box,
            font_scale=scale,
            **side,
        ),
        "counts": make_image_figure(
            p.win_counts,
            name="windows won",
            kind="counts",
            view_box=box,
            font_scale=scale,
            title=f"Windows won by each pixel (tie rule '{p.tie_policy}')",
            **side,
        ),
        "dx": make_image_figure(
            p.dx,
            name="dL/dx",
            kind="gradient",
            title="dL/dx: where the gradient lands",
            view_box=box,
            font_scale=scale,
            **side,
        ),
    }
    config = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
    top = st.columns(2)
    with top[0]:
        st.plotly_chart(figs["x"], key="img_x_chart", config=config)
    with top[1]:
        st.plotly_chart(figs["y"], key="img_y_chart", config=config)
    bottom = st.columns(2)
    with bottom[0]:
        st.plotly_chart(figs["counts"], key="img_counts_chart", config=config)
    with bottom[1]:
        st.plotly_chart(figs["dx"], key="img_dx_chart", config=config)
    return figs


def current_window() -> Window:
    return window_of(state.view())
