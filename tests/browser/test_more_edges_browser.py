"""The network, real-images and code pages in headless Chromium: load, change a control, see the result, screenshot."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import pooling
from pooling import network
from tests.browser.conftest import ROOT, SCREENSHOTS
from tests.browser.helpers import heatmap_z, wait_until
from ui import code_export

pytestmark = pytest.mark.browser

X8 = [
    [3, 1, 4, 1, 5, 9, 2, 6],
    [5, 3, 5, 8, 9, 7, 9, 3],
    [2, 3, 8, 4, 6, 2, 6, 4],
    [3, 3, 8, 3, 2, 7, 9, 5],
    [0, 2, 8, 8, 4, 1, 9, 7],
    [1, 6, 9, 3, 9, 9, 3, 7],
    [5, 1, 0, 5, 8, 2, 0, 9],
    [7, 4, 9, 4, 4, 5, 9, 2],
]
X8_LINK = ";".join(",".join(str(v) for v in row) for row in X8)
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def open_page(page, app_url: str, path_and_query: str) -> None:
    """Open a deep link the way a student does (the pages switch a fresh server out of the pages/ folder mode)."""
    page.goto(f"{app_url}/{path_and_query}")
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_selector(IDLE, state="attached")
    page.wait_for_selector('[data-testid="stSidebar"] .st-key-tie')  # the shared controls: app.py's frame ran


def type_number(page, key: str, text: str, done, attempts: int = 3) -> None:
    """Type ``text`` into the number input ``key`` and press Enter, like a user, until ``done()`` holds.

    A keystroke that lands while a script run is redrawing the input can be lost, so the
    edit is repeated (at most ``attempts`` times) once the app is idle again.
    """
    box = page.locator(f".st-key-{key} input")
    for attempt in range(attempts):
        page.wait_for_selector(IDLE, state="attached")
        box.click()
        box.fill(text)
        box.press("Enter")
        try:
            wait_until(done, timeout=15)
            return
        except TimeoutError:
            if attempt == attempts - 1:
                raise


def choose_tie_rule(page, label: str, done, attempts: int = 3) -> None:
    """Click the sidebar tie rule whose label starts with ``label`` until ``done()`` holds.

    A click that lands while the app is busy can check the radio without starting a run;
    then the rule is left (to 'last') and chosen again, as a user would.
    """
    sidebar = page.locator('[data-testid="stSidebar"]')
    for attempt in range(attempts):
        page.wait_for_selector(IDLE, state="attached")
        if attempt:
            sidebar.get_by_text("last: the last maximum").click()
            page.wait_for_timeout(1000)
            page.wait_for_selector(IDLE, state="attached")
        sidebar.get_by_text(label).click()
        try:
            wait_until(done, timeout=15)
            return
        except TimeoutError:
            if attempt == attempts - 1:
                raise


def screenshot(page, name: str, height: int) -> None:
    """Screenshot the whole page: Streamlit scrolls inside its own container, so grow the viewport first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.evaluate("document.querySelector('[data-testid=\"stSidebarContent\"]')?.scrollTo(0, 0)")
    page.wait_for_timeout(800)  # charts re-layout to the new size
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    page.set_viewport_size(size)


def chart_stats(page, key: str) -> dict:
    """Sum, maximum and a position-weighted checksum of a (possibly 512x512) heatmap, computed in the page."""
    return page.evaluate(
        """(key) => {
            const z = document.querySelector(`.st-key-${key} .js-plotly-plot`).data[0].z;
            const rows = z._inputArray || z;
            let sum = 0, max = -Infinity, check = 0, n = 0;
            for (const row of rows) { for (const v of row) { sum += v; max = Math.max(max, v);
                                                             check += v * ((n++ % 97) + 1); } }
            return {rows: rows.length, cols: rows[0].length, sum, max, check};
        }""",
        key,
    )


def expected_stats(values: np.ndarray) -> dict:
    flat = values.astype(np.float64).ravel()
    weights = (np.arange(flat.size) % 97) + 1
    return {
        "rows": values.shape[0],
        "cols": values.shape[1],
        "sum": float(flat.sum()),
        "max": float(flat.max()),
        "check": float((flat * weights).sum()),
    }


def block_mean(a: np.ndarray, f: int = 2) -> np.ndarray:
    """Each f x f block's mean: the whole 512x512 picture is drawn as 2x2 block means (no moiré)."""
    H, W = a.shape
    return np.asarray(a, dtype=np.float64).reshape(H // f, f, W // f, f).mean(axis=(1, 3))


def drawn(counts: np.ndarray) -> dict:
    """What the whole-picture counts chart holds for these 512x512 counts."""
    return expected_stats(block_mean(counts))


def close(a: dict, b: dict) -> bool:
    return (
        a["rows"] == b["rows"]
        and a["cols"] == b["cols"]
        and all(abs(a[k] - b[k]) <= 1e-6 * max(1.0, abs(b[k])) for k in ("sum", "max", "check"))
    )


def test_network_page_kernel_edit_updates_the_gradient(page, app_url):
    """A student types a new kernel entry and sees dL/dK follow; the finite differences agree."""
    x = np.array(X8, dtype=float)
    open_page(page, app_url, f"network?x={X8_LINK}&k=2&s=1&conv=1,0.31;0.72,-1.13")
    page.wait_for_selector(".st-key-net_dk_chart .js-plotly-plot")

    def dk(kernel):
        net = network.network_forward(x, np.array(kernel, float), 2, stride=1)
        return network.network_backward(np.ones(net.y.shape), net).dweight.tolist()

    # These kernel entries keep z clear of ties and zeros (even up to rounding): the differences agree.
    wait_until(lambda: heatmap_z(page, "net_dk_chart") == dk([[1, 0.31], [0.72, -1.13]]))
    type_number(page, "net_k_1_1", "2", lambda: heatmap_z(page, "net_dk_chart") == dk([[1, 0.31], [0.72, 2]]))
    page.get_by_text("The finite differences agree with the backward pass").first.wait_for()

    # The sidebar's tie rule reaches the network: a kernel of ones ties plenty on these integers.
    open_page(page, app_url, f"network?x={X8_LINK}&k=2&s=1&conv=1,1;1,1&tie=split")
    page.wait_for_selector(".st-key-net_check_chart .js-plotly-plot")
    page.get_by_text("This point sits on a tie").first.wait_for()
    screenshot(page, "network.png", height=2500)


def test_images_page_full_resolution_and_uploads(page, app_url):
    """The sample pooled at 512x512; the tie rule changes the win counts; a broken upload gets a message."""
    x = np.asarray(Image.open(ROOT / "assets" / "sample.png"), dtype=np.float32) / 255
    open_page(page, app_url, "images?k=3&s=1")
    page.wait_for_selector(".st-key-img_counts_chart .js-plotly-plot")
    res = pooling.max_pool2d(x, 3, stride=1)
    wait_until(lambda: close(chart_stats(page, "img_counts_chart"), drawn(pooling.win_counts(res))))
    assert chart_stats(page, "img_x_chart")["rows"] == 256  # 512 pixels a side, drawn as 2x2 block means

    choose_tie_rule(
        page,
        "all: full gradient",
        lambda: close(chart_stats(page, "img_counts_chart"), drawn(pooling.win_counts(res, "all"))),
    )
    page.get_by_text("so the gradient does not add up").first.wait_for()
    choose_tie_rule(
        page,
        "first: the first maximum",
        lambda: close(chart_stats(page, "img_counts_chart"), drawn(pooling.win_counts(res))),
    )
    screenshot(page, "images.png", height=1560)

    page.get_by_text("Upload a picture").click()
    uploader = page.locator('.st-key-img_upload input[type="file"]')
    uploader.wait_for(state="attached")
    uploader.set_input_files(files=[{"name": "broken.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\nxx"}])
    page.get_by_text("broken.png: This file is not a picture").wait_for()

    small = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (20, 1))  # 20x25, brightness rising to the right
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, format="PNG")
    uploader.set_input_files(files=[{"name": "ramp.png", "mimeType": "image/png", "buffer": buffer.getvalue()}])
    ramp = small.astype(np.float32) / 255
    # 8-bit pictures are drawn from their bytes (k means k / 255).
    wait_until(lambda: close(chart_stats(page, "img_x_chart"), expected_stats(small)))
    ramp_res = pooling.max_pool2d(ramp, 3, stride=1)
    wait_until(lambda: close(chart_stats(page, "img_counts_chart"), expected_stats(pooling.win_counts(ramp_res))))


def test_code_page_follows_the_tie_rule(page, app_url):
    """The PyTorch snippet warns about PyTorch's tie rule under 'split', and drops the warning under 'first'."""
    open_page(page, app_url, "code?x=1,3,0,0;3,2,0,0;4,4,1,2;4,4,2,1&k=2&tie=split")
    code = page.locator('[data-testid="stCode"]').first
    code.wait_for()
    wait_until(lambda: "PyTorch sends each window's gradient to its first maximum" in code.inner_text())
    assert "[4.0, 4.0, 1.0, 2.0]" in code.inner_text()
    page.locator(".st-key-code_torch_download").wait_for()
    screenshot(page, "code.png", height=2050)

    choose_tie_rule(
        page,
        "first: the first maximum",
        lambda: "import pooling" not in page.locator('[data-testid="stCode"]').first.inner_text(),
    )
    x = np.array([[1, 3, 0, 0], [3, 2, 0, 0], [4, 4, 1, 2], [4, 4, 2, 1]], dtype=float)
    res = pooling.max_pool2d(x, 2)
    expected = code_export.format_output("y", res.out) + code_export.format_output(
        "dL/dx", pooling.max_pool2d_backward(np.ones((2, 2)), res)
    )
    # The first "What it prints" block (the PyTorch tab's) shows PyTorch's own numbers now.
    printed = page.locator('[data-testid="stCode"]').filter(has_text="dL/dx (4x4)").first
    wait_until(lambda: printed.inner_text().strip() == expected.strip())
