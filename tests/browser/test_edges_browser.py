"""The tie lab, the matrix view and max vs average in headless Chromium: open each page, use a control,
see the figures change, and save the screenshots in artifacts/screenshots/."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import click_cell, full_screenshot, heatmap_z, query, wait_for_app, wait_until
from tests.browser.linked_helpers import click_in, grid_z_in, outlined_in

pytestmark = pytest.mark.browser


def poll(get, ok):
    """Wait until ``ok(get())`` holds (the page reruns asynchronously); return that value."""

    def attempt():
        value = get()
        return value if ok(value) else None

    return wait_until(attempt)


def open_page(page, app_url: str, path: str) -> None:
    """Open the app's root, then the page: after a server start, Streamlit resolves a deep link to a page
    only once the entry script has run (streamlit/streamlit#9624), so the root goes first."""
    page.goto(f"{app_url}/")
    wait_for_app(page)
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    page.get_by_text("Pooling window").first.wait_for()  # the shared sidebar: the app shell ran


def test_tie_lab_four_way_tie_and_probe(page, app_url):
    """A teacher loads the four-way tie: central differences read 1/2 on each tied cell; clicking x moves the probe."""
    open_page(page, app_url, "tie_lab?k=2")  # 2x2 windows at stride 2, which the numbers below assume
    page.get_by_role("button", name="Four-way tie").click()
    # The four-way tie has 17 at x[0, 0], x[0, 1], x[1, 0] and x[1, 1].
    x = np.array(
        poll(lambda: grid_z_in(page, "tie_lab_linked", "x"), lambda z: z and z[0][0] == 17 and z[1][0] == 17), float
    )
    assert (x[:2, :2] == 17).all() and (x[2:, :] < 17).all() and (x[:, 2:] < 17).all()
    res = pooling.max_pool2d(x, 2)
    # Wait for the four-way tie's differences.
    central = poll(lambda: heatmap_z(page, "tie_lab_fd_central"), lambda z: z[0][0] == 0.5 and z[1][0] == 0.5)
    assert np.array_equal(np.array(central)[:2, :2], np.full((2, 2), 0.5))
    for policy in ("first", "split", "all", "none"):
        expected = pooling.max_pool2d_backward(np.ones((2, 2)), res, policy).tolist()
        # Charts redraw one by one as the rerun's updates arrive: wait for each.
        wait_until(lambda p=policy, e=expected: grid_z_in(page, f"tie_lab_dx_{p}", "dL/dx") == e)
    assert query(page).get("probe") == "0,0"
    page.get_by_text("A kink: the slope is 0 to the left and 1 to the right").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SCREENSHOTS / "tie_lab.png", height=3700)
    click_in(page, "tie_lab_linked", "x", 2, 2)  # a click on x in the linked picture probes the cell
    wait_until(lambda: query(page).get("probe") == "2,2")
    wait_until(lambda: outlined_in(page, "tie_lab_linked", "x", "lp-mark") == {(2, 2)})
    page.get_by_text("Both one-sided slopes are").first.wait_for()


def test_matrix_view_click_a_row(page, app_url):
    """Clicking a non-zero of S selects its row: the window outline in x and the link follow."""
    open_page(page, app_url, "matrix?x=1,3,0,2;3,2,5,1;4,4,0,1;1,0,2,6&k=2")
    x = np.array([[1, 3, 0, 2], [3, 2, 5, 1], [4, 4, 0, 1], [1, 0, 2, 6]], float)
    S = pooling.selection_matrix(pooling.max_pool2d(x, 2))
    assert heatmap_z(page, "matrix_chart") == S.tolist()
    # Row 2 is window (1, 0); its winner, x[2, 0] = 4, is column 8 of S.
    click_cell(page, "matrix_chart", 2, 8)
    wait_until(lambda: query(page).get("sel") == "1,0")

    def outlined():
        return page.evaluate(
            "() => document.querySelector('.st-key-matrix_x_chart .js-plotly-plot').layout.shapes"
            ".filter(s => s.name === 'highlight-cell').map(s => [(s.y0 + s.y1) / 2, (s.x0 + s.x1) / 2])"
        )

    cells = poll(lambda: sorted(outlined()), lambda cells: cells and cells[0][0] == 2)
    assert cells == [[2, 0], [2, 1], [3, 0], [3, 1]]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SCREENSHOTS / "matrix.png", height=1900)


def test_max_vs_average_count_include_pad(page, app_url):
    """Unchecking count_include_pad makes average pooling divide by real cells: no gradient is lost to padding."""
    open_page(page, app_url, "max_vs_avg?k=3&s=2&p=1&dy=1,2;3,4")
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
    dy = np.array([[1, 2], [3, 4]], float)

    def avg_dx(count_include_pad):
        res = pooling.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=count_include_pad)
        return pooling.avg_pool2d_backward(dy, res)

    def drawn():
        z = np.array(heatmap_z(page, "mva_dx_avg_chart"), dtype=float)
        return z[1:-1, 1:-1]  # the heatmap also covers the padding ring

    assert np.allclose(drawn(), avg_dx(True))
    assert avg_dx(True).sum() < dy.sum()
    page.get_by_text("went to padded positions").first.wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(page, SCREENSHOTS / "max_vs_avg.png", height=1900)
    page.get_by_text("Average over padded positions too").click()
    wait_until(lambda: np.allclose(drawn(), avg_dx(False)))
    wait_until(lambda: query(page).get("cip") == "0")
    assert avg_dx(False).sum() == pytest.approx(dy.sum())
