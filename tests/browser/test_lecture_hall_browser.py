"""The app in front of a class, in headless Chromium: Next opens a lesson at its title, a long link stays in a
small box, nothing is cut off at 1280x800 or when presenting at 1920x1080, and text is readable (WCAG AA).

Screenshots of what failed go to artifacts/."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.browser.helpers import wait_until
from ui.share import LINK_BOX_HEIGHT

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'


def settle(page, wait_ms: int = 400) -> None:
    """Wait for the run a click or a load started to finish (the state flips to running, then back)."""
    page.wait_for_timeout(wait_ms)
    page.wait_for_selector(IDLE, timeout=90_000)


def open_url(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(CONNECTED, timeout=90_000)
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=90_000)
    settle(page, 800)


def main_scroll_top(page) -> float:
    return page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")


def test_next_lesson_opens_at_its_title(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_url(page, app_url)  # from the root, so a fresh server runs app.py's navigation first
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Lessons", exact=True).click()
    page.wait_for_selector('[data-testid="stProgress"]')
    settle(page, 1000)
    for lesson in (2, 3, 4):  # odd and even lessons: the scroll must happen on every click
        button = page.locator(".st-key-lesson_next button")
        button.scroll_into_view_if_needed()
        assert main_scroll_top(page) > 300  # the footer is far down the page
        button.click()
        wait_until(lambda n=lesson: f"Lesson {n} of 8" in page.locator('[data-testid="stProgress"]').inner_text())
        settle(page)
        wait_until(lambda: main_scroll_top(page) < 5, timeout=10)
        title = page.locator('[data-testid="stMainBlockContainer"] h2').first
        assert title.inner_text().startswith(f"{lesson}.")
        assert title.bounding_box()["y"] < 800  # the new lesson's title is on screen


def test_a_40x40_link_stays_in_a_small_box(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    rng = np.random.default_rng(1)
    x = ";".join(",".join(str(v) for v in row) for row in rng.integers(0, 100, (40, 40)))
    open_url(page, f"{app_url}/?x={x}&k=2")
    box = page.get_by_role("textbox", name="Link to this view")  # ui/share.py's box
    box.scroll_into_view_if_needed()
    height = box.bounding_box()["height"]
    assert height <= LINK_BOX_HEIGHT + 8, f"the link box is {height} px tall"
    assert f"x={x}&" in box.input_value()  # the whole link is in it, to copy


CLIP_DATAFRAMES = '[data-testid="stDataFrame"] { overflow: hidden !important; }'
"""Glide's data grid keeps a 20 px helper past its right edge; clipped, the frame's own width is what counts."""

PAGES = ["", "step_through", "lessons", "quiz", "tie_lab", "matrix", "network", "max_vs_avg", "images", "code"]

# Everything in the main area wider than its box: the document, the main area, and any element inside the
# main block (KaTeX, tables, charts, buttons). A data frame scrolls its own canvas on purpose: its inside is
# skipped (and clipped to it first, see CLIP_DATAFRAMES), the frame itself is checked; so is not what is
# narrower than 2 px (hidden helpers).
OVERFLOW_JS = """
() => {
  const found = [];
  const name = (e) => (e.getAttribute('data-testid') || e.className?.baseVal || e.className || e.tagName)
    .toString().slice(0, 60) + ' ' + (e.innerText || e.textContent || '').trim().slice(0, 50);
  const doc = document.scrollingElement;
  if (doc.scrollWidth > doc.clientWidth + 1) found.push(['document', doc.scrollWidth, doc.clientWidth]);
  const main = document.querySelector('[data-testid="stMain"]');
  if (main.scrollWidth > main.clientWidth + 1) found.push(['stMain', main.scrollWidth, main.clientWidth]);
  const block = document.querySelector('[data-testid="stMainBlockContainer"]');
  const right = block.getBoundingClientRect().right;
  for (const e of block.querySelectorAll('*')) {
    if (e.parentElement.closest('[data-testid="stDataFrame"]')) continue;
    if (e instanceof SVGElement && !e.classList.contains('main-svg')) continue;  // clientWidth means nothing there
    if (e.clientWidth < 2) continue;
    const style = getComputedStyle(e);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (e.closest('.katex-mathml')) continue;  // KaTeX's copy for screen readers, clipped to 1 px on purpose
    const frame = e.getAttribute('data-testid') === 'stDataFrame';  // its own scrollbars: only its box counts
    if (!frame && e.scrollWidth > e.clientWidth + 2) found.push([name(e), e.scrollWidth, e.clientWidth]);
    else if (e.getBoundingClientRect().right > right + 2 && e.getBoundingClientRect().width > 0)
      found.push([name(e) + ' (past the right edge)', Math.round(e.getBoundingClientRect().right), Math.round(right)]);
  }
  // Plotly clips a chart's title and axis titles at the figure's edge instead of overflowing: compare boxes.
  const titles = '[data-testid="stPlotlyChart"] :is(text.gtitle, text.xtitle, text.ytitle)';
  for (const t of block.querySelectorAll(titles)) {
    const svg = t.closest('svg').getBoundingClientRect(), box = t.getBoundingClientRect();
    if (box.width && (box.right > svg.right + 1 || box.left < svg.left - 1))
      found.push(['chart title cut off: ' + t.textContent.slice(0, 50), Math.round(box.right), Math.round(svg.right)]);
  }
  return found;
}
"""


@pytest.mark.parametrize("present", [False, True], ids=["1280x800", "presenting-1920x1080"])
@pytest.mark.parametrize("path", PAGES, ids=[p or "explorer" for p in PAGES])
def test_nothing_is_cut_off(page, app_url, path, present):
    size = {"width": 1920, "height": 1080} if present else {"width": 1280, "height": 800}
    page.set_viewport_size(size)
    open_url(page, f"{app_url}/{path}" + ("?present=1" if present else ""))
    page.wait_for_timeout(1500)  # charts and KaTeX lay out after the run ends
    page.add_style_tag(content=CLIP_DATAFRAMES)
    found = page.evaluate(OVERFLOW_JS)
    if found:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"overflow-{path or 'explorer'}-{'present' if present else 'normal'}.png"))
    assert not found, found[:8]


# WCAG 2 contrast of captions and chart tick labels against what is behind them (opacity blended in).
CONTRAST_JS = """
() => {
  const parse = (c) => { const m = (c.match(/[\\d.]+/g) || []).map(Number); return m.length === 3 ? [...m, 1] : m; };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (e) => {
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.length === 4 && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const opacity = (e) => {
    let o = 1;
    for (let n = e; n && n.nodeType === 1; n = n.parentElement) o *= parseFloat(getComputedStyle(n).opacity);
    return o;
  };
  const seen = (fg, bg, alpha) => fg.slice(0, 3).map((v, i) => alpha * v + (1 - alpha) * bg[i]);
  const out = [];
  for (const e of document.querySelectorAll('[data-testid="stMain"] [data-testid="stCaptionContainer"]')) {
    if (!e.innerText.trim()) continue;
    const fg = parse(getComputedStyle(e).color), bg = background(e);
    out.push(['caption', ratio(seen(fg, bg, fg[3] * opacity(e)), bg), e.innerText.slice(0, 40)]);
  }
  // Plotly charts drawn by Streamlit, and the plotly.js grids of the linked picture (.lp-root).
  const charts = ':is([data-testid="stPlotlyChart"], .lp-root)';
  for (const t of document.querySelectorAll(`${charts} :is(.xtick, .ytick, .cbaxis) text`)) {
    if (!t.textContent.trim()) continue;
    const style = getComputedStyle(t), fg = parse(style.fill);
    const bg = background(t.closest('[data-testid="stPlotlyChart"], .lp-root'));
    const alpha = (fg[3] ?? 1) * parseFloat(style.fillOpacity || '1') * opacity(t);
    out.push(['tick', ratio(seen(fg, bg, alpha), bg), t.textContent]);
  }
  return out;
}
"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_captions_and_tick_labels_meet_wcag_aa(browser, app_url, theme):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        for path in ("", "tie_lab", "max_vs_avg"):
            open_url(page, f"{app_url}/{path}")
            # Charts draw after the run (the explorer's are the linked picture's plotly.js grids).
            page.wait_for_selector(':is([data-testid="stPlotlyChart"], .lp-root) .xtick text')
            page.wait_for_timeout(1000)
            measured = page.evaluate(CONTRAST_JS)
            kinds = {kind for kind, _, _ in measured}
            assert kinds == {"caption", "tick"}, (path, kinds)
            low = [(kind, round(r, 2), text) for kind, r, text in measured if r < 4.5]
            assert not low, (theme, path or "explorer", low[:6])
    finally:
        context.close()
