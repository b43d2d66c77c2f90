"""What the browser tests do to the app: wait for runs, read figure data, edit table cells."""

from __future__ import annotations

import time

CHART = '[data-testid="stPlotlyChart"]'
LINKED = ".lp-root"
"""The linked picture (ui/linked.js): its four grids are plotly plots inside ``[aria-label=name]`` elements."""
LINKED_KEYS = {"x_chart": "x", "y_chart": "y", "dy_chart": "dL/dy", "dx_chart": "dL/dx"}
"""The explorer's old chart keys, now grids of the linked picture (found by accessible name)."""


def wait_for_app(page, timeout: float = 60) -> None:
    """Wait until the app is connected, has drawn its charts, and no script run is in progress."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=timeout * 1000)
    page.wait_for_selector(f"{CHART} .js-plotly-plot, {LINKED} .js-plotly-plot", timeout=timeout * 1000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000)


def figure_data(page, key: str) -> list:
    """The Plotly traces of the chart drawn with ``key=`` (Streamlit marks its container ``st-key-<key>``).

    On a page with the linked picture, the explorer's keys (``x_chart``, ...) name its grids.
    """
    selector = f".st-key-{key} .js-plotly-plot"
    if key in LINKED_KEYS and page.query_selector(f'[aria-label="{LINKED_KEYS[key]}"] .js-plotly-plot'):
        selector = f'[aria-label="{LINKED_KEYS[key]}"] .js-plotly-plot'
    return page.evaluate(
        "(sel) => document.querySelector(sel).data.map(t => ({type: t.type, name: t.name, z: t.z, text: t.text}))",
        selector,
    )


def heatmap_z(page, key: str) -> list:
    """The heatmap's z values of the chart ``key``, as nested lists (Plotly may hold a typed array)."""
    z = next(t["z"] for t in figure_data(page, key) if t["type"] == "heatmap")
    return z["_inputArray"] if isinstance(z, dict) else z


def wait_until(predicate, timeout: float = 45, interval: float = 0.05):
    """Poll ``predicate`` until it returns a truthy value; return it, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # the page may be mid-rerender
            value = None
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def edit_cell(page, editor_index: int, row: int, col: int, text: str, *, n_cols: int) -> None:
    """Type ``text`` into cell (row, col) of the editor_index-th data editor, like a user.

    Clicks a cell of the first data row, walks left onto the index column and then
    right and down with the arrow keys (robust to column widths), types the value
    and presses Enter. On a page with the linked picture, editor 0 is x and editor 1
    is dL/dy, edited in place in the picture (click the cell, type, Enter).
    """
    name = ("x", "dL/dy")[editor_index] if editor_index < 2 else None
    if name and page.query_selector(f'{LINKED} [aria-label="{name}"]'):
        from tests.browser.linked_helpers import click

        click(page, name, row, col)
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        return
    type_in_data_editor(page, editor_index, row, col, text, n_cols=n_cols)


def type_in_data_editor(page, editor_index: int, row: int, col: int, text: str, *, n_cols: int) -> None:
    """Type into cell (row, col) of the editor_index-th ``st.data_editor`` itself (never the linked picture)."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(editor_index)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # Rows are 35 px and the header is one row: click the last cell of the first data row.
    grid.click(position={"x": box["width"] - 10, "y": 35 + 17})
    page.wait_for_timeout(150)  # the grid takes focus asynchronously
    for _ in range(n_cols + 1):
        page.keyboard.press("ArrowLeft")
    for _ in range(col + 1):
        page.keyboard.press("ArrowRight")
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    page.wait_for_timeout(100)
    page.keyboard.type(text)
    page.wait_for_timeout(100)
    page.keyboard.press("Enter")


def full_screenshot(page, path, height: int = 2600) -> None:
    """Screenshot the whole page: Streamlit scrolls inside its own container, so grow the viewport first."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(500)  # let charts re-layout to the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def query(page) -> dict[str, str]:
    """The browser's current query parameters (Streamlit rewrites the URL with the History API,
    which Playwright's ``page.url`` does not always follow)."""
    from urllib.parse import parse_qsl

    return dict(parse_qsl(page.evaluate("document.location.search").lstrip("?")))


def click_cell(page, chart_key: str, row: int, col: int) -> None:
    """Click the centre of cell (row, col) of a selectable grid figure, as a user would."""
    page.locator(f".st-key-{chart_key} .js-plotly-plot").scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    point = page.evaluate(
        """([key, row, col]) => {
            const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const area = gd.querySelector(".nsewdrag").getBoundingClientRect();
            return {x: area.left + xa.l2p(col), y: area.top + ya.l2p(row)};
        }""",
        [chart_key, row, col],
    )
    page.mouse.click(point["x"], point["y"])
