"""The real-images page: decoding and caps, and AppTest of the page on the bundled sample and on uploads."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import pooling
from figures.images import make_image_figure
from tests.apptest_util import plain
from ui import images

ROOT = Path(__file__).resolve().parents[1]

# The app's frame around one page, so AppTest reruns keep the sidebar (AppTest reruns of an
# st.navigation app run only the page file).
HARNESS = """
import runpy
import streamlit as st
from ui import shell
shell.frame(lambda: runpy.run_path(st.session_state["_page_file"], run_name="__page__"))
"""


def png(array: np.ndarray, mode: str | None = None, **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format=save.pop("format", "PNG"), **save)
    return buffer.getvalue()


def sample_gray() -> np.ndarray:
    """The bundled picture read independently of the app: 8-bit grey levels over 255."""
    return np.asarray(Image.open(ROOT / "assets" / "sample.png"), dtype=np.float64) / 255


def block_mean(a: np.ndarray, f: int = 2) -> np.ndarray:
    """The mean of each f x f block (the sides here divide by f): what the whole-picture figures draw."""
    H, W = a.shape
    return np.asarray(a, dtype=np.float64).reshape(H // f, f, W // f, f).mean(axis=(1, 3))


def images_page(query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_string(HARNESS, default_timeout=120)
    at.session_state["_page_file"] = str(ROOT / "pages" / "images.py")
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def decode(value) -> np.ndarray:
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        return data.reshape([int(s) for s in str(shape).split(",")]) if shape else data
    return np.array(value, dtype=float)


def chart(at: AppTest, key: str) -> dict:
    return json.loads(at.get_by_key(key).proto.spec)


def z_of(at: AppTest, key: str) -> np.ndarray:
    """The heatmap's values as meant: 8-bit pictures travel as bytes k meaning k / 255 (hover says so)."""
    trace = chart(at, key)["data"][0]
    z = decode(trace["z"])
    return z / 255 if trace["hovertemplate"].endswith("/255<extra></extra>") else z


# --------------------------------------------------------------------------- decoding


def test_sample_is_what_the_script_draws():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_image", ROOT / "scripts" / "make_sample_image.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    drawn = module.make_scene()
    assert drawn.shape == (512, 512) and drawn.dtype == np.uint8
    assert module.png_bytes(drawn) == (ROOT / "assets" / "sample.png").read_bytes()
    assert np.array_equal(np.asarray(Image.open(ROOT / "assets" / "sample.png")), drawn)
    # Flat areas (ties), and a full range of grey levels.
    assert drawn.min() < 30 and drawn.max() == 255 and len(np.unique(drawn)) > 100


def test_decode_gray_colour_alpha_and_16_bit():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    assert np.allclose(images.decode_image(png(gray)), gray / 255, atol=1e-7)
    assert images.decode_image(png(gray)).dtype == np.float32

    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[1, 1] = (255, 255, 255)
    out = images.decode_image(png(rgb))
    assert out[1, 1] == 1.0 and out[0, 1] == 0.0
    assert abs(out[0, 0] - 76 / 255) < 1e-6  # ITU-R 601 luma of pure red: 0.299 * 255 = 76

    rgba = np.zeros((1, 2, 4), np.uint8)
    rgba[0, 0] = (0, 0, 0, 0)  # fully transparent black shows the white behind it
    rgba[0, 1] = (0, 0, 0, 255)
    assert images.decode_image(png(rgba)).tolist() == [[1.0, 0.0]]

    deep = np.array([[0, 65535], [32768, 1000]], dtype=np.uint16)
    assert np.allclose(images.decode_image(png(deep)), deep / 65535, atol=1e-7)

    jpeg = png(np.full((8, 8), 128, np.uint8), format="JPEG")
    assert np.allclose(images.decode_image(jpeg), 128 / 255, atol=2 / 255)


def test_decode_rejects_bad_files_with_reasons():
    with pytest.raises(images.ImageError, match="empty"):
        images.decode_image(b"")
    with pytest.raises(images.ImageError, match="not a picture"):
        images.decode_image(b"this is not an image at all")
    with pytest.raises(images.ImageError, match="at most 1024×1024"):
        images.decode_image(png(np.zeros((10, 1025), np.uint8)))
    with pytest.raises(images.ImageError, match="at most 5.0 MB"):
        images.decode_image(b"\x89PNG" + bytes(images.MAX_IMAGE_BYTES))
    truncated = png(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8))[:200]
    with pytest.raises(images.ImageError, match="could not be decoded"):
        images.decode_image(truncated)


def test_size_is_checked_before_decoding():
    # A 1025x1025 PNG cut off just after its pixel data starts: refused from the header alone.
    header = png(np.zeros((1025, 1025), np.uint8))[:64]
    with pytest.raises(images.ImageError, match="1025×1025"):
        images.decode_image(header)


def test_image_figure_is_lean_and_valid():
    values = np.random.default_rng(1).random((300, 200))
    fig = make_image_figure(values, name="x", kind="image", view_box=(10, 73, 20, 83))
    assert len(fig.data) == 1 and fig.data[0].text is None and not fig.layout.shapes
    go.Figure(fig.to_dict())  # re-validated: every property is a real Plotly property
    assert fig.data[0].z.dtype == np.float32
    assert list(fig.layout.yaxis.range) == [73.5, 9.5]  # row 0 on top
    # 8-bit grey levels travel as bytes, with limits, ticks and hover in grey levels 0-1.
    eight = make_image_figure(np.array([[0, 51, 255]], np.float32) / 255, name="x", kind="image", zrange=(0, 1))
    assert eight.data[0].z.dtype == np.uint8 and eight.data[0].z.tolist() == [[0, 51, 255]]
    assert (eight.data[0].zmin, eight.data[0].zmax) == (0, 255) and eight.data[0].colorbar.ticktext[-1] == "1"
    assert eight.data[0].hovertemplate == "x[%{y}, %{x}] = %{z}/255<extra></extra>"
    counts = make_image_figure(np.arange(6).reshape(2, 3), name="n", kind="counts")
    # Whole counts 0..5: a stepped bar from -0.5 to 5.5, one band per count.
    assert counts.data[0].z.dtype == np.uint8 and (counts.data[0].zmin, counts.data[0].zmax) == (-0.5, 5.5)
    grad = make_image_figure(np.array([[-1.0, 3.0]]), name="g", kind="gradient")
    assert (grad.data[0].zmin, grad.data[0].zmax) == (-3.0, 3.0)
    assert grad.data[0].z.dtype == np.int8  # whole numbers travel as small ints
    assert make_image_figure(np.array([[-1.0, 300.0]]), name="g", kind="gradient").data[0].z.dtype == np.int16
    assert make_image_figure(np.array([[0.5, 3.0]]), name="g", kind="gradient").data[0].z.dtype == np.float32
    # Many values: the colours stop at the 99.5% quantile, and the colour bar says so.
    many = np.ones((100, 100))
    many[0, :10] = 50
    clipped = make_image_figure(many, name="g", kind="gradient")
    assert clipped.data[0].zmax == 1.0 and clipped.data[0].colorbar.ticktext[-1] == "≥1"
    assert make_image_figure(many, name="g", kind="gradient", robust=False).data[0].zmax == 50


# --------------------------------------------------------------------------- the page


def test_page_is_listed_and_runs_from_app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("pages/images.py").run()
    assert not at.exception
    # The whole 512x512 picture is drawn as 2x2 block means (256 a side: no moiré in a small figure).
    assert np.allclose(z_of(at, "img_x_chart"), block_mean(sample_gray()), atol=1e-6)


def test_sample_pooled_at_full_resolution():
    at = images_page({"k": "2"})  # the window named, not the fresh view's (which overlaps)
    assert not at.exception
    x = sample_gray()
    assert z_of(at, "img_x_chart").shape == (256, 256)  # 512 pixels a side, drawn as 2x2 block means
    x_trace = chart(at, "img_x_chart")["data"][0]
    assert (x_trace["x0"], x_trace["dx"]) == (0.5, 2)  # each block sits on the two pixels it averages
    # Window 2x2, stride 2: y is each 2x2 block's maximum (computed here with a reshape).
    y = x.reshape(256, 2, 256, 2).max(axis=(1, 3))
    assert np.allclose(z_of(at, "img_y_chart"), y, atol=1e-6)
    counts = z_of(at, "img_counts_chart")
    res = pooling.max_pool2d(x.astype(np.float32), 2)
    assert np.allclose(counts, block_mean(pooling.win_counts(res)))
    # Disjoint windows: exactly one winner per window, inside its own block, so every block mean is 1/4.
    assert np.allclose(counts, 0.25)
    assert np.allclose(z_of(at, "img_dx_chart"), counts)  # dL/dy = 1: dL/dx counts wins
    assert "65,536 windows" in at.markdown[0].value or any("65,536 windows" in m.value for m in at.markdown)


def test_overlapping_windows_and_the_tie_rule_change_the_pattern():
    at = images_page({"k": "3", "s": "1"})
    assert not at.exception
    x = sample_gray().astype(np.float32)
    res = pooling.max_pool2d(x, 3, stride=1)
    counts = z_of(at, "img_counts_chart")
    assert np.allclose(counts, block_mean(pooling.win_counts(res)), atol=1e-5)
    assert pooling.win_counts(res).max() > 1  # a pixel wins several overlapping windows
    assert np.isclose(counts.sum() * 4, 510 * 510)

    at.radio(key="tie").set_value("all").run()
    counts_all = z_of(at, "img_counts_chart")
    assert np.allclose(counts_all, block_mean(pooling.win_counts(res, "all")), atol=1e-5)
    assert counts_all.sum() * 4 > 510 * 510  # flat areas: every tied pixel is counted
    assert any("does not add up" in w.value for w in at.warning)
    dx = z_of(at, "img_dx_chart")
    full = pooling.max_pool2d_backward(np.ones(res.out.shape, np.float32), res, "all")
    assert np.allclose(dx, block_mean(full), atol=1e-5)


def test_loss_choice_and_detail_view():
    at = images_page({"k": "2"})
    at.radio(key="img_dy").set_value("y").run()
    x = sample_gray().astype(np.float32)
    res = pooling.max_pool2d(x, 2)
    assert np.allclose(z_of(at, "img_dx_chart"), block_mean(pooling.max_pool2d_backward(res.out, res)), atol=1e-6)

    at.selectbox(key="img_detail").set_value(64).run()
    at.slider(key="img_row").set_value(200).run()
    at.slider(key="img_col").set_value(60).run()
    layout = chart(at, "img_counts_chart")["layout"]
    assert layout["xaxis"]["range"] == [59.5, 123.5] and layout["yaxis"]["range"] == [263.5, 199.5]
    y_layout = chart(at, "img_y_chart")["layout"]
    assert y_layout["xaxis"]["range"] == [29.5, 61.5]  # y cells 30..61 start inside columns 60..123
    assert z_of(at, "img_x_chart").shape == (512, 512)  # the whole picture is still sent
    assert at.query_params["imgzoom"] in ("64,200,60", ["64,200,60"])


def test_a_bad_link_parameter_is_named():
    at = images_page({"k": "abc", "tie": "random"})
    assert not at.exception
    named = " ".join(w.value for w in at.warning)
    assert "`k`" in named and "`tie`" in named
    assert z_of(at, "img_y_chart").shape == (256, 256)  # the defaults stand in for what could not be read


def test_uploads_good_and_bad():
    at = images_page({"k": "2"})
    at.radio(key="img_source").set_value("upload").run()
    assert not at.exception
    assert any("Choose a picture" in i.value for i in at.info)

    rgb = np.zeros((40, 30, 3), np.uint8)
    rgb[:, :15] = (0, 0, 255)
    at.file_uploader(key="img_upload").set_value(("blue.png", png(rgb), "image/png")).run()
    assert not at.exception
    x = z_of(at, "img_x_chart")
    assert x.shape == (40, 30)
    assert np.allclose(x[:, :15], 29 / 255, atol=1e-6) and np.allclose(x[:, 15:], 0)  # luma of blue: 29
    assert np.array_equal(z_of(at, "img_counts_chart"), pooling.win_counts(pooling.max_pool2d(x, 2)))

    at.file_uploader(key="img_upload").set_value(("broken.png", b"\x89PNG\r\n\x1a\nnonsense", "image/png")).run()
    assert not at.exception
    assert any("broken.png" in plain(e.value) and "not a picture" in e.value for e in at.error)

    wide = png(np.zeros((4, 2000), np.uint8))
    at.file_uploader(key="img_upload").set_value(("wide.png", wide, "image/png")).run()
    assert any("2000×4 pixels" in e.value and "1024×1024" in e.value for e in at.error)

    at.file_uploader(key="img_upload").set_value(("tiny.png", png(np.zeros((1, 1), np.uint8)), "image/png")).run()
    assert not at.exception
    assert any("does not fit this 1×1 picture" in e.value for e in at.error)
