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
        const hit = n && b[0] < n[2] && n[0] < b[2] && b[1] < n[3] && n[1] < b[3];
        if (hit) overlaps.push([m.getAttribute('class'), m.dataset.r, m.dataset.c]);
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


# ----------------------------------------------------------------------------- cell size when presenting

X8 = ";".join(",".join(str((r * 3 + c * 5) % 7) for c in range(8)) for r in range(8))
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

PLOTLY_CELLS_JS = """() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot'), e => {
    const xa = e._fullLayout && e._fullLayout.xaxis, ya = e._fullLayout && e._fullLayout.yaxis;
    const grid = (e.data || []).find(t => t.type === 'heatmap' && t.name === 'grid');
    if (!xa || !ya || !grid) return null;
    const cols = Math.abs(xa.range[1] - xa.range[0]), rows = Math.abs(ya.range[1] - ya.range[0]);
    return {name: (e.layout.title && e.layout.title.text) || '', cols, rows,
            px: Math.min(xa._length / cols, ya._length / rows)};
}).filter(v => v)"""


# (path and query, the picture's component key, screenshot name): the Explorer at stride 1 and 2, and Step through.
LINKED_8X8 = [
    (f"?x={X8}&k=2&s=1", "linked", "present_8x8_explorer_s1.png"),
    (f"?x={X8}&k=2&s=2", "linked", "present_8x8_explorer_s2.png"),
    (f"step_through?x={X8}&k=2", "step_linked", "present_8x8_step_through.png"),
]


@pytest.mark.parametrize("path, key, shot", LINKED_8X8, ids=["explorer_s1", "explorer_s2", "step_through"])
def test_linked_cells_are_at_least_60px_for_8x8_when_presenting(page, app_url, path, key, shot):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{app_url}/{path}&present=1")
    page.wait_for_selector(f'.st-key-{key} [aria-label="dL/dx"] .js-plotly-plot', timeout=90_000)
    page.wait_for_selector(IDLE, timeout=90_000)
    sizes = page.evaluate(
        "(key) => Array.from(document.querySelectorAll(`.st-key-${key} .lp-grid`),"
        " e => [e.getAttribute('aria-label'), Number(e.dataset.cs)])",
        key,
    )
    assert len(sizes) == 4
    assert all(cs >= 60 for _, cs in sizes), sizes
    # Nothing runs past the right edge of the page for it.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / shot))


@pytest.mark.parametrize("path", ["max_vs_avg", "matrix"])
def test_plotly_grid_cells_are_at_least_60px_for_8x8_when_presenting(page, app_url, path):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"{app_url}/{path}?x={X8}&k=2&present=1")
    page.wait_for_selector(IDLE, timeout=90_000)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=90_000)
    page.wait_for_timeout(2000)
    page.wait_for_selector(IDLE, timeout=90_000)
    grids = page.evaluate(PLOTLY_CELLS_JS)
    big = [g for g in grids if g["cols"] >= 8]  # x and dL/dx: the 8x8 grids (y is 4x4)
    assert big, grids
    assert all(g["px"] >= 60 for g in big), grids
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"present_8x8_{path}.png"))
