"""The quiz in headless Chromium: mark cells by clicking x, type an amount, reveal, see the score and the ✓ / ✗,
and follow a window in the reveal's linked picture (outlines as pooling gives, the student's cells badged)."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import full_screenshot, type_in_data_editor, wait_for_app, wait_until
from tests.browser.linked_helpers import (
    click_in,
    grid_z_in,
    hover_in,
    in_picture,
    outlined_in,
    tooltip_in,
    wait_for_picture,
)

pytestmark = pytest.mark.browser

# Kernel 2, stride 2, a tie in every window (see tests/test_app_quiz.py).
TIES = "1,3,2,2;3,0,1,0;4,4,5,1;0,4,1,5"
TIES_X = np.array([[1, 3, 2, 2], [3, 0, 1, 0], [4, 4, 5, 1], [0, 4, 1, 5]], dtype=float)
X8 = (
    "3,1,4,1,5,9,2,6;5,3,5,8,9,7,9,3;2,3,8,4,6,2,6,4;3,3,8,3,2,7,9,5;"
    "0,2,8,8,4,1,9,7;1,6,9,3,9,9,3,7;5,1,0,5,8,2,0,9;7,4,9,4,4,5,9,2"
)


def open_page(page, app_url: str, path_and_query: str) -> None:
    """Open the root first: a fresh server serves a first deep link in the old pages/ mode, without app.py."""
    page.goto(f"{app_url}/")
    wait_for_app(page)
    page.goto(f"{app_url}/{path_and_query}")
    wait_for_app(page)


def idle(page) -> None:
    """Wait until no script run is in progress (an edit made mid-run can be lost when the run redraws)."""
    page.wait_for_timeout(200)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


QUESTION = "quiz_x_linked"  # the question's linked picture: x to click, and dL/dy


def marked(page) -> set[tuple[int, int]]:
    """Cells badged on the question's x, i.e. the cells the student has given gradient."""
    return outlined_in(page, QUESTION, "x", "lp-mark")


def mark(page, row: int, col: int) -> None:
    """Click a cell of x in the question's picture and wait until its badge flips."""
    idle(page)
    page.wait_for_selector(in_picture(QUESTION, "x") + " .js-plotly-plot")
    before = marked(page)
    click_in(page, QUESTION, "x", row, col)
    wait_until(lambda: marked(page) == before ^ {(row, col)})
    idle(page)


def type_in_table(page, row: int, col: int, text: str, *, n_cols: int) -> None:
    """Type into the answer table (the page's only data editor) like a user: click, arrow keys, type, Enter.

    Not ``helpers.edit_cell``: on a page with a linked picture it edits the picture's x instead.
    """
    type_in_data_editor(page, 0, row, col, text, n_cols=n_cols)


def test_mark_type_reveal_with_a_tie(page, app_url):
    """A student marks winners by clicking and typing, picks the wrong copy of a tie, reveals, then fixes it."""
    open_page(page, app_url, f"quiz?x={TIES}&k=2")
    assert page.locator(".st-key-quiz_linked").count() == 0  # hidden
    # Before the reveal, hovering dL/dy shows its window in x and says nothing about the answer.
    wait_for_picture(page, QUESTION, names=("x", "dL/dy"))
    hover_in(page, QUESTION, "dL/dy", 1, 0)
    wait_until(lambda: outlined_in(page, QUESTION, "x", "lp-hl") == {(2, 0), (2, 1), (3, 0), (3, 1)})
    tip = tooltip_in(page, QUESTION)
    assert "dL/dy[1, 0] = 1" in tip and "max:" not in tip and "+=" not in tip and "x[2, 0]" not in tip
    page.mouse.move(1, 1)
    for cell in [(1, 0), (0, 2), (2, 0)]:
        mark(page, *cell)
    type_in_table(page, 2, 2, "1", n_cols=4)  # typed instead of clicked
    wait_until(lambda: (2, 2) in marked(page))
    mark(page, 3, 3)
    mark(page, 3, 3)  # a second click unmarks

    idle(page)
    page.locator(".st-key-quiz_reveal button").first.click()
    wait_until(lambda: "14 of 16 cells right" in page.locator('[data-testid="stAlert"]').first.inner_text())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    right = np.zeros((4, 4))
    right[0, 1] = right[0, 2] = right[2, 0] = right[2, 2] = 1  # first maximum in reading order of each window
    assert np.array_equal(right, pooling.max_pool2d_backward(np.ones((2, 2)), pooling.max_pool2d(TIES_X, 2)))
    wait_until(lambda: grid_z_in(page, "quiz_linked", "dL/dx") == right.tolist())
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "dL/dx[0, 1]: you wrote 0; it gets 1 from y[0, 0]." in body
    assert "dL/dx[1, 0]: you wrote 1; no window sends it anything, so it gets 0." in body

    # The reveal's picture: hovering y[0, 0] outlines its window in x and the cell it sends to in dL/dx, as
    # pooling gives; the student's cells carry a badge, and the tooltip of dL/dx says what was written there.
    key = "quiz_linked"
    wait_for_picture(page, key)
    res = pooling.max_pool2d(TIES_X, 2)
    student = {(1, 0), (0, 2), (2, 0), (2, 2)}
    wait_until(lambda: outlined_in(page, key, "dL/dx", "lp-mark") == student)
    for i in range(2):
        for j in range(2):
            hover_in(page, key, "y", i, j)
            window = {(2 * i + a, 2 * j + b) for a in range(2) for b in range(2)}  # kernel 2, stride 2
            wait_until(lambda w=window: outlined_in(page, key, "x", "lp-hl") == w)
            one_hot = np.zeros((2, 2))
            one_hot[i, j] = 1.0
            receivers = {tuple(c) for c in np.argwhere(pooling.max_pool2d_backward(one_hot, res)).tolist()}
            assert outlined_in(page, key, "dL/dx", "lp-recv") == receivers
    hover_in(page, key, "dL/dx", 1, 0)
    wait_until(lambda: "you wrote 1 here: ✗ wrong" in tooltip_in(page, key))
    assert "wins no window: dL/dx[1, 0] = 0" in tooltip_in(page, key)
    page.screenshot(path=str(SCREENSHOTS / "quiz_reveal_hover_1280x800.png"))
    page.mouse.move(1, 1)

    # Changing the answer after the reveal re-scores at once: x[0, 1] gets its 1 (x[1, 0] is still wrong).
    mark(page, 0, 1)
    wait_until(lambda: "15 of 16 cells right" in page.locator('[data-testid="stAlert"]').first.inner_text())
    wait_until(lambda: (0, 1) in outlined_in(page, "quiz_linked", "dL/dx", "lp-mark"))
    idle(page)
    full_screenshot(page, SCREENSHOTS / "quiz.png", height=1500)


def test_bigger_grid_with_overlap_and_split(page, app_url):
    """8x8, kernel 3, stride 2, split: the reveal lists the sums, and all-zero answers score the empty cells."""
    open_page(page, app_url, f"quiz?x={X8}&k=3&s=2&tie=split")
    x = np.array([[float(v) for v in row.split(",")] for row in X8.split(";")])
    res = pooling.max_pool2d(x, 3, stride=2)
    right = pooling.max_pool2d_backward(np.ones(res.out.shape), res, "split")
    # x[1, 4] = 9 wins window (0, 1) alone and ties three ways in (0, 2): under split it gets 1 + 1/3.
    mark(page, 1, 4)
    page.locator(".st-key-quiz_reveal button").first.click()
    n_right = int(np.isclose(np.where(np.arange(64).reshape(8, 8) == 12, 1.0, 0.0), right).sum())
    wait_until(lambda: f"{n_right} of 64 cells right" in page.locator('[data-testid="stAlert"]').first.inner_text())
    # The picture may come after the text.
    wait_until(lambda: (z := grid_z_in(page, "quiz_linked", "dL/dx")) is not None and np.allclose(z, right))
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert right[1, 4] == pytest.approx(4 / 3)
    assert "dL/dx[1, 4]: you wrote 1; it gets 1 from y[0, 1] + 0.333 from y[0, 2] = 1.33." in body
    full_screenshot(page, SCREENSHOTS / "quiz_8x8_split.png", height=1700)
