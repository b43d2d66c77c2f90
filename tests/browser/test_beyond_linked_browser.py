"""Hover in the linked pictures of the smooth-max, unpooling, 1-D and frameworks pages, in headless Chromium:
the outlines a hovered y cell draws are the window and the receivers that ``pooling`` gives. Screenshots (the
window 1280x800, a grid with ties) go to artifacts/screenshots/."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.browser.conftest import ROOT
from tests.browser.helpers import query, wait_until
from tests.browser.linked_helpers import click, grid_text, hover, outlined, visible_tooltip, wait_for_named_grids
from tests.reference import window_positions

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"

TIE_X = np.array([[3, 1, 2, 0], [3, 2, 5, 5], [0, 1, 4, 2], [2, 2, 1, 4]], float)
TIE_QUERY = "x=3,1,2,0;3,2,5,5;0,1,4,2;2,2,1,4&k=2"  # 2x2 windows at stride 2, as the checks below pool


def open_page(page, app_url: str, path_and_query: str, names) -> None:
    """Open the root first (a fresh server serves a first deep link without app.py), then the page."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/")
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.goto(f"{app_url}/{path_and_query}")
    wait_for_named_grids(page, names)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def window(res, i: int, j: int) -> set[tuple[int, int]]:
    """Real cells of window (i, j), from a plain loop over the geometry."""
    g = res.geometry
    H, W = g.in_shape
    return {(h, w) for h, w, ok in window_positions(i, j, H, W, g.kernel, g.stride, g.padding, g.dilation) if ok}


def test_smooth_hover_shows_every_share(page, app_url):
    """Hovering y[0, 1] outlines its window and all four cells as receivers, with the softmax shares."""
    T = 0.5
    open_page(page, app_url, f"smooth_max?{TIE_QUERY}&temp={T}", ["x", "y", "dL/dy", "dL/dx", "y · max"])
    hard = pooling.max_pool2d(TIE_X, 2)
    smooth = pooling.smooth_max_pool2d(TIE_X, 2, temperature=T)
    hover(page, "y", 0, 1)
    wait_until(lambda: outlined(page, "x", "lp-hl") == window(hard, 0, 1))
    assert outlined(page, "dL/dx", "lp-recv") == window(hard, 0, 1)  # every cell gets a share
    tip = visible_tooltip(page)
    # Window (0, 1) is [2, 0; 5, 5]: the two 5s hold equal shares (printed as JS's 3 significant digits).
    share = float(smooth.weights[0, 1, 1, 0])
    assert f"dL/dx[1, 2] += {share:.3g} (share {share:.3g})" in tip and f"dL/dx[1, 3] += {share:.3g}" in tip
    shot(page, "smooth_hover.png")
    # The hard max beside it sends window (0, 1) to its first 5 only.
    hover(page, "y · max", 0, 1)
    wait_until(lambda: outlined(page, "dL/dx · max", "lp-recv") == {divmod(int(hard.indices[0, 1]), 4)})


def test_smooth_cools_to_split(page, app_url):
    """At the cold end of the slider the tied cells' printed shares are halves."""
    open_page(page, app_url, "smooth_max?x=3,1;3,2&temp=1", ["x", "y", "dL/dx"])
    page.locator(".st-key-smooth_temp input[type='range']").first.focus()
    page.keyboard.press("End")
    wait_until(lambda: query(page).get("temp") == "0.001")
    wait_until(lambda: grid_text(page, "dL/dx") == [["0.50", "0"], ["0.50", "0"]])


def test_unpool_hover_and_collisions(page, app_url):
    """Hovering dL/dy[0, 0] outlines its window on the unpooled grid and its receiver; the collision is marked."""
    x = np.array([[0.0, 5, 1, 0]])
    open_page(page, app_url, "unpool?x=0,5,1,0&k=1x3&s=1&dy=10,20", ["x", "y", "dL/dy", "unpool(dL/dy)", "dL/dx"])
    res = pooling.max_pool2d(x, (1, 3), stride=1)
    collisions = {c.cell for c in pooling.switch_collisions(res)}
    assert collisions == {(0, 1)}
    assert outlined(page, "unpool(dL/dy)", "lp-mark") == collisions
    assert outlined(page, "dL/dx", "lp-mark") == collisions
    hover(page, "dL/dy", 0, 0)
    wait_until(lambda: outlined(page, "unpool(dL/dy)", "lp-hl") == window(res, 0, 0))
    assert outlined(page, "dL/dx", "lp-recv") == {divmod(int(res.indices[0, 0]), 4)}
    assert "overwritten later by y[0, 1]" in visible_tooltip(page)
    hover(page, "unpool(dL/dy)", 0, 1)
    wait_until(lambda: "the gradient adds them: 10 + 20 = 30" in visible_tooltip(page))
    # The switches picture: hovering y outlines the window on x.
    hover(page, "y", 0, 1)
    wait_until(lambda: outlined(page, "x", "lp-hl") == window(res, 0, 1))


def test_unpool_overlap_example_screenshot(page, app_url):
    open_page(page, app_url, "unpool", ["unpool(dL/dy)", "dL/dx"])
    page.locator(".st-key-unpool_overlap_example button").first.click()
    wait_until(lambda: query(page).get("s") == "1")
    wait_until(lambda: len(outlined(page, "dL/dx", "lp-mark")) == 4)  # four cells win two windows each
    hover(page, "dL/dy", 0, 1)
    wait_until(lambda: visible_tooltip(page))
    shot(page, "unpool_hover.png")


def test_one_d_hover_follows_the_window(page, app_url):
    """A 1xL signal: hovering y[0, 1] outlines x[1..3] and the winner (the second 5 of a tie, rule 'first')."""
    x = np.array([0.0, 5, 1, 0, 5, 5])
    open_page(page, app_url, "one_d?sig=0,5,1,0,5,5&k1=3&s1=1", ["x", "y", "dL/dy", "dL/dx"])
    res = pooling.max_pool1d(x, 3, stride=1)
    hover(page, "y", 0, 1)
    wait_until(lambda: outlined(page, "x", "lp-hl") == window(res.plane, 0, 1))
    assert outlined(page, "dL/dx", "lp-recv") == {(0, int(res.indices[1]))}
    hover(page, "y", 0, 3)  # window 3 is x[3..5] = [0, 5, 5]: a tie of x[4] and x[5]
    wait_until(lambda: outlined(page, "x", "lp-hl") == window(res.plane, 0, 3))
    assert outlined(page, "dL/dx", "lp-recv") == {(0, int(res.indices[3]))}
    assert "tie among" in visible_tooltip(page)
    shot(page, "one_d_hover.png")
    # A click on y_3 (0-based column 2) explains that output: the select box and the link follow.
    click(page, "y", 0, 2)
    wait_until(lambda: query(page).get("sel1") == "3")
    wait_until(lambda: r"y_{3} = \max(x_{3}{=}1" in page.locator(".katex").first.text_content())


def test_frameworks_hover_shows_each_rule(page, app_url):
    """[NaN, 1, 3, 2] in one window: each framework's picture outlines its own receiver."""
    x = np.array([[np.nan, 1, 3, 2]])
    names = [f"y · {n}" for n in ("PyTorch", "TensorFlow", "JAX / Flax", "Keras (TF backend)")]
    open_page(page, app_url, "frameworks?x=nan,1,3,2&k=1x4", names)
    for fw, label in (("pytorch", "PyTorch"), ("tensorflow", "TensorFlow"), ("jax", "JAX / Flax")):
        winner = int(pooling.framework_pool2d(x, (1, 4), (1, 4), framework=fw, pads=((0, 0), (0, 0))).winners[0, 0])
        hover(page, f"y · {label}", 0, 0)
        wait_until(lambda label=label, winner=winner: outlined(page, f"dL/dx · {label}", "lp-recv") == {(0, winner)})
        assert outlined(page, f"x · {label}", "lp-hl") == {(0, 0), (0, 1), (0, 2), (0, 3)}
    # JAX sends to the 3, PyTorch to the NaN: both differing cells are marked in JAX's dL/dx.
    assert outlined(page, "dL/dx · JAX / Flax", "lp-mark") == {(0, 0), (0, 2)}
    shot(page, "frameworks_hover.png")
