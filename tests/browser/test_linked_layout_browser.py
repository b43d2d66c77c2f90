"""The Explorer's first screen: on a 1280x800 laptop the four grids and the window's math show without scrolling;
on a 1920x1080 projector in presentation mode an 8x8 grid has big cells and big numbers."""

from __future__ import annotations

import numpy as np
import pytest

from tests.browser.conftest import ROOT
from tests.browser.linked_helpers import grid, grid_text, number_font_px, wait_for_grids

pytestmark = pytest.mark.browser

NAMES = ("x", "y", "dL/dy", "dL/dx")


def grid_query(size: int, seed: int) -> str:
    x = np.random.default_rng(seed).integers(0, 10, size=(size, size))
    return "x=" + ";".join(",".join(str(v) for v in row) for row in x) + "&k=2"


@pytest.mark.parametrize("query", ["", grid_query(16, 1)], ids=["default", "16x16"])
def test_laptop_first_screen_shows_four_grids_and_the_math(browser, app_url, query):
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        page.goto(f"{app_url}/?{query}")
        wait_for_grids(page)
        page.wait_for_selector(".katex")
        for name in NAMES:
            box = grid(page, name).bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= 800, name
            assert box["x"] + box["width"] <= 1280, name
        # The selected window's math (its first formula) is on the first screen too.
        math = page.locator(".katex").first.bounding_box()
        assert math["y"] + math["height"] <= 800
        # Values are printed in the cells, also at 16x16.
        shape = (16, 16) if query else (4, 4)
        text = grid_text(page, "x")
        assert (len(text), len(text[0])) == shape
        (ROOT / "artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "artifacts" / f"first_screen_{shape[0]}.png"))
    finally:
        page.context.close()


def test_projector_presentation_mode_has_big_cells_and_numbers(browser, app_url):
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    try:
        page.goto(f"{app_url}/?{grid_query(8, 2)}&present=1")
        wait_for_grids(page)
        for name in NAMES:
            cell_px = float(grid(page, name).get_attribute("data-cs"))
            assert cell_px >= 48, name
            # The numbers really are drawn that big (the rendered SVG text, not only a setting).
            assert number_font_px(page, name) >= 20, name
        assert grid_text(page, "x")[2][3] == str(np.random.default_rng(2).integers(0, 10, size=(8, 8))[2, 3])
    finally:
        page.context.close()
