"""The linked picture in headless Chromium: winners carry a corner badge, tied maxima a corner disc under every
rule (`none` too), and no mark's drawn box meets the box of the number printed in its cell.

Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.linked_helpers import wait_for_grids

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"

# 2x2 windows, stride 2. Window (0, 0) = [[1, 3], [3, 0]] ties on 3; window (1, 1) = [[0, 2], [5, 5]] ties
# on 5; windows (0, 1) and (1, 0) have one maximum, x[0, 3] = 4 and x[2, 0] = 4 (by hand).
TIE_LINK = "1,3,2,4;3,0,1,0;4,1,0,2;0,2,5,5"
TIES = {(0, 1), (1, 0), (3, 2), (3, 3)}
PLAIN_WINNERS = {(0, 3), (2, 0)}
# Who receives in the tied windows: first = the first in scan order, last = the last, split/all = both,
# none = nobody.
RECEIVERS = {
    "first": {(0, 1), (3, 2)},
    "last": {(1, 0), (3, 3)},
    "split": TIES,
    "all": TIES,
    "none": set(),
}

MARKS_JS = """(sel) => {
    const box = document.querySelector(sel);
    const cells = (cls) => Array.from(box.querySelectorAll('.' + cls), e => [Number(e.dataset.r), Number(e.dataset.c)]);
    const rect = (e) => { const b = e.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; };
    const numbers = {};
    box.querySelectorAll('.lp-numbers text').forEach(t => { numbers[t.dataset.r + ',' + t.dataset.c] = rect(t); });
    const overlaps = [];
    box.querySelectorAll('.lp-badge, .lp-tie, .lp-count').forEach(m => {
        const n = numbers[m.dataset.r + ',' + m.dataset.c];
        const b = rect(m);
        // The number's box is its full line box (ascent to descent): a conservative stand-in for its ink.
        if (n && b[0] < n[2] && n[0] < b[2] && b[1] < n[3] && n[1] < b[3]) overlaps.push([m.getAttribute('class'), m.dataset.r, m.dataset.c]);
    });
    return {badges: cells('lp-badge'), ties: cells('lp-tie'), overlaps};
}"""


def marks(page, name: str = "x") -> dict:
    return page.evaluate(MARKS_JS, f'[aria-label="{name}"]')


@pytest.mark.parametrize("policy", ["first", "last", "split", "all", "none"])
def test_linked_picture_badges_winners_and_marks_ties_under_every_rule(page, app_url, policy):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/?x={TIE_LINK}&k=2&tie={policy}")
    wait_for_grids(page)
    found = marks(page)
    assert {tuple(c) for c in found["ties"]} == TIES
    assert {tuple(c) for c in found["badges"]} == PLAIN_WINNERS | RECEIVERS[policy]
    assert found["overlaps"] == []
    if policy == "none":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator('[aria-label="x"]').screenshot(path=str(SHOTS / "marks_none_x.png"))


@pytest.mark.parametrize("present", [False, True])
def test_marks_stay_off_the_numbers_on_an_8x8_grid_with_overlap(page, app_url, present):
    # Kernel 3, stride 1 over a grid of few values: many windows per cell (counts up to 9) and many ties.
    rows = [",".join(str((r * 3 + c * 5) % 4) for c in range(8)) for r in range(8)]
    page.set_viewport_size({"width": 1920, "height": 1080} if present else {"width": 1280, "height": 800})
    page.goto(f"{app_url}/?x={';'.join(rows)}&k=3&s=1&tie=split" + ("&present=1" if present else ""))
    wait_for_grids(page)
    found = marks(page)
    assert found["ties"] and found["badges"]
    assert found["overlaps"] == []
