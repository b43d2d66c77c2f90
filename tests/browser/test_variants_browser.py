"""The five pages beyond 2-D max pooling in headless Chromium: open by link, use the page's own control,
see the figures change, screenshot into artifacts/; and one real download of each slide format."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser.conftest import ROOT
from tests.browser.helpers import full_screenshot, heatmap_z, query, wait_for_app, wait_until
from tests.browser.linked_helpers import grid_z

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"


def open_page(page, app_url: str, path_and_query: str) -> None:
    """Open the root first: a fresh server serves a first deep link in the old pages/ mode, without app.py."""
    page.goto(f"{app_url}/")
    wait_for_app(page)
    page.goto(f"{app_url}/{path_and_query}")
    wait_for_app(page)


def click(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()


def shot(page, name: str, height: int = 2400) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SHOTS / name, height=height)


def test_smooth_max_slider_cools_to_equal_shares(page, app_url):
    """Sliding the temperature to its cold end turns a tied window's shares of dL/dx into equal halves."""
    open_page(page, app_url, "smooth_max?x=3,1;3,2&temp=1")
    before = grid_z(page, "dL/dx")
    assert before[0][0] == pytest.approx(before[1][0]) and before[0][1] > 0
    page.locator(".st-key-smooth_temp input[type='range']").first.focus()
    page.keyboard.press("End")
    wait_until(lambda: query(page).get("temp") == "0.001")
    wait_until(lambda: grid_z(page, "dL/dx") == [[0.5, 0], [0.5, 0]])
    shot(page, "smooth_max.png")


def test_unpool_overlap_example_parts_the_grids(page, app_url):
    """The overlap example makes unpooling and the gradient differ, and the page lists where."""
    open_page(page, app_url, "unpool?k=2")  # 2x2 windows, stride = kernel: no overlap until the example
    assert grid_z(page, "unpool(dL/dy)") == grid_z(page, "dL/dx")
    click(page, "unpool_overlap_example")
    wait_until(lambda: query(page).get("s") == "1")
    wait_until(lambda: page.locator(".st-key-unpool_collisions").count() == 1)
    wait_until(lambda: grid_z(page, "unpool(dL/dy)") != grid_z(page, "dL/dx"))
    dx = grid_z(page, "dL/dx")
    assert dx[0][1] == 2 and grid_z(page, "unpool(dL/dy)")[0][1] == 1  # the 5 wins two windows
    shot(page, "unpool.png")


def test_adaptive_global_button_and_png_download(page, app_url):
    """Global pooling from the button; then the sidebar's PNG download is a real 2x image."""
    open_page(page, app_url, "adaptive?x=1,9,2,3,8&aout=1x3")
    assert heatmap_z(page, "y_chart") == [[9, 9, 8]]
    assert heatmap_z(page, "dx_chart") == [[0, 2, 0, 0, 1]]
    shot(page, "adaptive.png")
    click(page, "ad_global")
    wait_until(lambda: heatmap_z(page, "y_chart") == [[9]])
    assert query(page).get("aout") == "1"
    with page.expect_download() as download:
        page.locator(".st-key-export_png button").first.click()
    with open(download.value.path(), "rb") as f:
        image = Image.open(io.BytesIO(f.read()))
    assert image.format == "PNG" and image.width > 300 and image.width % 2 == 0


def test_one_d_signal_typed_in(page, app_url):
    """The question's vector first; then a typed signal with an overlap adds the gradient."""
    open_page(page, app_url, "one_d")
    assert grid_z(page, "dL/dx") == [[1, 0, 0, 0]]
    click(page, "od_overlap")
    wait_until(lambda: query(page).get("k1") == "3")
    wait_until(lambda: grid_z(page, "dL/dx") == [[0, 2, 0, 0]])
    box = page.locator(".st-key-od_x input").first
    box.fill("0,5,1,0,7")
    box.press("Enter")
    wait_until(lambda: grid_z(page, "y") == [[5, 5, 7]])
    shot(page, "one_d.png", height=1900)


def test_frameworks_nan_example_and_svg_download(page, app_url):
    """The NaN example makes TensorFlow's and JAX's cells differ from PyTorch's; the SVG download parses."""
    open_page(page, app_url, "frameworks")
    click(page, "fw_nan_example")
    wait_until(lambda: grid_z(page, "y · TensorFlow")[0] == [2, 3])
    assert grid_z(page, "dL/dx · JAX / Flax") != grid_z(page, "dL/dx · PyTorch")
    shot(page, "frameworks.png", height=2200)
    with page.expect_download() as download:
        page.locator(".st-key-export_svg button").first.click()
    with open(download.value.path(), encoding="utf-8") as f:
        text = f.read()
    assert (
        text.startswith("<svg") and text.count('class="cell"') == 4 * 4 + 16 * 4
    )  # four 2x2 y grids, four 4x4 dL/dx grids


def test_step_through_gif_has_one_frame_per_step(page, app_url):
    """The step-through's GIF, downloaded from the real server, has one frame per step (9 windows: 18)."""
    open_page(page, app_url, "step_through?x=1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4&k=2&s=1")
    with page.expect_download() as download:
        page.locator(".st-key-export_gif button").first.click()
    with open(download.value.path(), "rb") as f:
        gif = Image.open(io.BytesIO(f.read()))
        assert gif.format == "GIF" and gif.n_frames == 18
