"""Pictures for slides: the PNG, SVG and GIF files are decoded and checked (size, cells, one frame per step)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

import pooling
from figures.export import CELL, Panel, build_scene, to_gif, to_png, to_svg
from tests.apptest_util import run_page
from ui.codec import decode_view
from ui.export import step_scenes, view_picture
from ui.steps import plan_steps

SEED = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
SVG = "{http://www.w3.org/2000/svg}"


def _panels():
    res = pooling.max_pool2d(SEED, 2)
    dx = pooling.max_pool2d_backward(np.ones((2, 2)), res)
    window = res.geometry.window_cells(0, 1)
    return [
        Panel("x", SEED, highlight=window, winners=dx > 0),
        Panel("y", res.out, highlight=np.array([[0, 1]])),
        Panel("dL/dx", dx, "gradient"),
        Panel("dL/dy", np.ones((2, 2)), "gradient"),
    ]


def test_png_is_twice_the_scene_and_shows_the_highlight():
    scene = build_scene(_panels(), 2, "caption")
    image = Image.open(io.BytesIO(to_png(scene, scale=2.0)))
    assert image.format == "PNG" and image.size == (2 * scene.width, 2 * scene.height)
    # The layout: two grids side by side, 4 + 2 cells wide, plus margins and a gap.
    assert scene.width == 2 * 16 + 6 * CELL + 24
    # The selected window of x (rows 0-1, columns 2-3) is outlined in magenta.
    rgb = np.asarray(image.convert("RGB"))
    assert (np.abs(rgb.astype(int) - [255, 0, 255]).sum(axis=-1) == 0).sum() > 100


def test_svg_parses_with_one_rect_per_cell_and_escaped_text():
    panels = _panels() + [Panel("<a> & b", np.array([[np.nan, np.inf]]))]
    root = ET.fromstring(to_svg(build_scene(panels, 2)))
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "cell"]
    assert len(cells) == 16 + 4 + 16 + 4 + 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<a> & b" in texts and "nan" in texts and "∞" in texts
    windows = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "window"]
    assert len(windows) == 2  # x's window and y's cell


def test_gif_has_one_frame_per_step():
    res = pooling.max_pool2d(SEED, 2, stride=1)  # 9 windows: 18 steps
    plan = plan_steps(res, np.arange(1.0, 10.0).reshape(3, 3))
    gif = to_gif(step_scenes(plan, "test"), seconds_per_frame=0.5)
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF" and image.n_frames == plan.n_steps == 18
    assert image.info["duration"] == 500 and image.info.get("loop") == 0
    # The last frame shows the finished dL/dx: the frames differ from each other.
    image.seek(0)
    first = np.asarray(image.convert("RGB")).copy()
    image.seek(image.n_frames - 1)
    assert not np.array_equal(first, np.asarray(image.convert("RGB")))


def test_empty_inputs_are_refused():
    with pytest.raises(ValueError):
        build_scene([])
    with pytest.raises(ValueError):
        to_gif([])


@pytest.mark.parametrize(
    "page",
    [
        "pages/explorer.py",
        "pages/smooth_max.py",
        "pages/unpool.py",
        "pages/adaptive.py",
        "pages/one_d.py",
        "pages/frameworks.py",
        "pages/step_through.py",
    ],
)
def test_every_page_offers_the_downloads(page):
    at = run_page(page)
    assert not at.exception
    keys = {b.key for b in at.get("download_button")}
    assert {"export_png", "export_svg"} <= keys
    if page == "pages/step_through.py":
        assert "export_gif" in keys


def test_view_picture_outlines_the_selected_window():
    view, errors = decode_view({"x": ["1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4"], "k": ["2"], "sel": ["1,0"]})
    assert not errors
    panels, caption, columns = view_picture(view)
    assert [p.name for p in panels] == ["x", "y = maxpool(x)", "dL/dx", "dL/dy"] and columns == 2
    # Window (1, 0) of kernel 2 covers rows 2-3, columns 0-1; its winner is the 3 at (2, 0).
    assert sorted(map(tuple, panels[0].highlight.tolist())) == [(2, 0), (2, 1), (3, 0), (3, 1)]
    assert panels[2].highlight.tolist() == [[2, 0]]
    assert "kernel 2" in caption
    bad, _ = decode_view({"x": ["1,2"], "k": ["3"]})
    panels, caption, _ = view_picture(bad)
    assert len(panels) == 1 and "does not fit" in caption


def test_long_step_throughs_get_no_gif_but_a_reason():
    at = run_page("pages/step_through.py", {"x": ";".join([",".join(["1"] * 16)] * 16), "k": "1"})
    assert not at.exception
    assert "export_gif" not in {b.key for b in at.get("download_button")}
    assert any("up to 200 steps; this view has 512" in c.value for c in at.caption)


def test_step_frames_leave_outputs_not_computed_yet_blank():
    res = pooling.max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    scenes = step_scenes(plan_steps(res, np.ones((2, 2))), "t")
    root = ET.fromstring(to_svg(scenes[0]))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    y_texts = texts[texts.index("y") + 1 : texts.index("dL/dx")]
    assert y_texts == ["5"]  # after forward step 1 only y[0, 0] = max(0, 1, 4, 5) is known


def test_pages_with_their_own_input_get_no_grid_picture():
    at = run_page("pages/network.py")
    assert not at.exception
    assert "export_png" not in {b.key for b in at.get("download_button")}
