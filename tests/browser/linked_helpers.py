"""What browser tests do to the linked picture (ui/linked.js): find grids by accessible name, hover, read outlines."""

from __future__ import annotations

GRID = '[aria-label="{name}"]'


def grid(page, name: str):
    """The grid element whose accessible name is exactly ``name`` (x, y, dL/dy, dL/dx)."""
    return page.locator(GRID.format(name=name))


def wait_for_grids(page, timeout: float = 60) -> None:
    """Wait until the app is connected, the four grids are drawn, and no script run is in progress."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout * 1000)
    for name in ("x", "y", "dL/dy", "dL/dx"):
        page.wait_for_selector(GRID.format(name=name) + " .js-plotly-plot", timeout=timeout * 1000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)


def grid_z(page, name: str) -> list:
    """The heatmap's z values as drawn (None for NaN) of grid ``name``."""
    return page.evaluate(
        "(sel) => { const z = document.querySelector(sel + ' .js-plotly-plot').data[0].z;"
        " return Array.from(z, row => Array.from(row)); }",
        GRID.format(name=name),
    )


def grid_text(page, name: str) -> list:
    """The text printed in the cells of grid ``name``, row by row (the picture prints values in its overlay)."""
    return page.evaluate(
        "(sel) => { const out = []; document.querySelectorAll(sel + ' .lp-numbers text').forEach(t => {"
        " const r = Number(t.dataset.r), c = Number(t.dataset.c); (out[r] = out[r] || [])[c] = t.textContent; });"
        " return out; }",
        GRID.format(name=name),
    )


def number_font_px(page, name: str) -> float:
    """Rendered font size (px) of the values printed in grid ``name`` (the smallest, if they differ)."""
    return page.evaluate(
        "(sel) => Math.min(...Array.from(document.querySelectorAll(sel + ' .lp-numbers text'),"
        " t => parseFloat(getComputedStyle(t).fontSize)))",
        GRID.format(name=name),
    )


def cell_point(page, name: str, row: int, col: int) -> dict:
    """Page coordinates of the centre of cell (row, col) of grid ``name`` (padding rows/cols are negative)."""
    return _cell_point(page, GRID.format(name=name), row, col)


def _cell_point(page, selector: str, row: int, col: int) -> dict:
    """Page coordinates of the centre of cell (row, col) of the grid element ``selector`` finds."""
    return page.evaluate(
        """([sel, row, col]) => {
            const box = document.querySelector(sel);
            const rect = box.getBoundingClientRect();
            const cs = Number(box.dataset.cs), r0 = Number(box.dataset.r0), c0 = Number(box.dataset.c0);
            return {x: rect.left + 26 + (col - c0 + 0.5) * cs, y: rect.top + 20 + (row - r0 + 0.5) * cs};
        }""",
        [selector, row, col],
    )


def hover(page, name: str, row: int, col: int) -> None:
    grid(page, name).scroll_into_view_if_needed()
    point = cell_point(page, name, row, col)
    page.mouse.move(point["x"], point["y"])


def click(page, name: str, row: int, col: int) -> None:
    grid(page, name).scroll_into_view_if_needed()
    point = cell_point(page, name, row, col)
    page.mouse.click(point["x"], point["y"])


def outlined(page, name: str, css_class: str) -> set[tuple[int, int]]:
    """Cells of grid ``name`` that carry an outline of ``css_class`` (lp-hl, lp-recv, lp-won, lp-winner, lp-err)."""
    cells = page.evaluate(
        "([sel, cls]) => Array.from(document.querySelectorAll(`${sel} rect.${cls}`),"
        " r => [Number(r.dataset.r), Number(r.dataset.c)])",
        [GRID.format(name=name), css_class],
    )
    return {tuple(c) for c in cells}


def tooltip(page) -> str:
    return page.evaluate(
        "() => { const t = document.querySelector('.lp-tip');"
        " return t && t.style.display !== 'none' ? t.textContent : ''; }"
    )


def draws(page) -> int:
    """How many times the picture has been drawn (goes up after each payload from the server)."""
    return int(page.evaluate("() => Number(document.querySelector('.lp-root')?.dataset.draws || 0)"))


def wait_for_named_grids(page, names, timeout: float = 60) -> None:
    """Like `wait_for_grids`, for a page whose linked pictures carry other names (``unpool(dL/dy)``, ``y · max``)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout * 1000)
    for name in names:
        page.wait_for_selector(GRID.format(name=name) + " .js-plotly-plot", timeout=timeout * 1000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)


def visible_tooltip(page) -> str:
    """The text of whichever linked picture's tooltip is showing (a page may hold several pictures)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.lp-tip')).filter(t => t.style.display === 'block')"
        ".map(t => t.textContent).join('\\n')"
    )


# --- one picture among several on a page (the tie lab, the quiz's reveal): scoped by the component's key ---


def in_picture(key: str, name: str) -> str:
    """CSS selector of grid ``name`` inside the linked picture drawn with ``key=`` (Streamlit's st-key class)."""
    return f'.st-key-{key} [aria-label="{name}"]'


def wait_for_picture(page, key: str, names=("x", "y", "dL/dy", "dL/dx"), timeout: float = 60) -> None:
    for name in names:
        page.wait_for_selector(in_picture(key, name) + " .js-plotly-plot", timeout=timeout * 1000)


def grid_z_in(page, key: str, name: str) -> list:
    """The heatmap's z values as drawn (None for NaN) of grid ``name`` in picture ``key``."""
    return page.evaluate(
        "(sel) => { const el = document.querySelector(sel + ' .js-plotly-plot');"
        " return el && el.data ? Array.from(el.data[0].z, row => Array.from(row)) : null; }",
        in_picture(key, name),
    )


def cell_point_in(page, key: str, name: str, row: int, col: int) -> dict:
    return _cell_point(page, in_picture(key, name), row, col)


def hover_in(page, key: str, name: str, row: int, col: int) -> None:
    page.locator(in_picture(key, name)).scroll_into_view_if_needed()
    point = cell_point_in(page, key, name, row, col)
    page.mouse.move(point["x"], point["y"])


def click_in(page, key: str, name: str, row: int, col: int) -> None:
    page.locator(in_picture(key, name)).scroll_into_view_if_needed()
    point = cell_point_in(page, key, name, row, col)
    page.mouse.click(point["x"], point["y"])


def outlined_in(page, key: str, name: str, css_class: str) -> set[tuple[int, int]]:
    """Cells of grid ``name`` in picture ``key`` carrying a mark of ``css_class`` (lp-hl, lp-recv, lp-mark, ...)."""
    cells = page.evaluate(
        "([sel, cls]) => Array.from(document.querySelectorAll(`${sel} .${cls}`),"
        " r => [Number(r.dataset.r), Number(r.dataset.c)])",
        [in_picture(key, name), css_class],
    )
    return {tuple(c) for c in cells}


def tooltip_in(page, key: str) -> str:
    """The visible tooltip of picture ``key``."""
    return page.evaluate(
        "(key) => { const t = document.querySelector(`.st-key-${key} .lp-tip`);"
        " return t && t.style.display !== 'none' ? t.textContent : ''; }",
        key,
    )
