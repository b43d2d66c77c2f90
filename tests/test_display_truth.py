"""What the explorer shows, read off the page and checked against answers worked out by hand:

- where the selected window's outline sits on a padded view (and which drawn values it surrounds);
- which cells the window math boxes, and which cells it says receive gradient, under each tie rule;
- what the tie sentence and the window sentence say under ``first`` and ``last`` (not just the rule's name).

Each case below was planted as a bug in the app (outline one cell off, every tied maximum boxed,
first/last explanations swapped) and no other test failed; these do.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.apptest_util import formulas, grid, linked, run_page

# --------------------------------------------------------------------------- the outline on padded views

# x is 5×6 with every value different: x[r, c] = 10*r + c, so each window's winner is its bottom-right
# cell inside the grid. Kernel 3×2, stride 2, padding 1×1: y is 3×4 (floor((5+2-3)/2)+1, floor((6+2-2)/2)+1).
X_DISTINCT = np.array([[10 * r + c for c in range(6)] for r in range(5)], float)
PADDED = {"x": ";".join(",".join(str(int(v)) for v in row) for row in X_DISTINCT), "k": "3x2", "s": "2", "p": "1"}


@pytest.mark.parametrize("cell", [(0, 0), (1, 2), (2, 3)])
def test_the_selected_windows_outline_sits_on_its_cells_on_a_padded_view(cell):
    i, j = cell
    at = run_page("pages/explorer.py", {**PADDED, "sel": f"{i},{j}"})
    assert not at.exception
    # Window (i, j) covers rows 2i-1 .. 2i+1 and columns 2j-1 .. 2j (stride 2, padding 1, kernel 3×2).
    window = {(2 * i - 1 + a, 2 * j - 1 + b) for a in range(3) for b in range(2)}
    # The linked picture outlines window (i, j) on the rows and columns its payload names (padded
    # coordinates: -1 is the top/left padding), which the browser draws as they are.
    picture = linked(at)
    assert picture["sel"] == [i, j]
    drawn_window = {(r, c) for r in picture["rows"][i] for c in picture["cols"][j]}
    assert drawn_window == window
    # The outline surrounds the values x holds there (cells outside x are the padding).
    x_drawn = grid(at, "x")
    for r, c in window:
        if 0 <= r < 5 and 0 <= c < 6:
            assert x_drawn[r, c] == X_DISTINCT[r, c], (r, c)
    # dL/dx lights the window's winner: its largest value is its bottom-right cell inside the grid.
    winner = (min(2 * i + 1, 4), min(2 * j, 5))
    W = picture["geometry"]["in_shape"][1]
    assert [divmod(flat, W) for flat, *_ in picture["receivers"][i * picture["geometry"]["out_shape"][1] + j]] == [
        winner
    ]


# --------------------------------------------------------------------------- the window math under each rule

# x = [[1, 5, 5], [2, 2, 2], [0, 0, 0]], kernel 2, stride 2, padding 1: window (0, 1) covers rows -1..0 and
# columns 1..2, so it reads [[-inf, -inf], [5, 5]]: a tie between x[0, 1] (window position (1, 0)) and
# x[0, 2] (position (1, 1)).
TIED = {"x": "1,5,5;2,2,2;0,0,0", "k": "2", "p": "1", "sel": "0,1"}
BOXED = {  # window positions boxed, and the input cells the ∂L/∂x lines name with their share
    "first": ({(1, 0)}, {(0, 1): "1"}),
    "last": ({(1, 1)}, {(0, 2): "1"}),
    "split": ({(1, 0), (1, 1)}, {(0, 1): r"\tfrac{1}{2}", (0, 2): r"\tfrac{1}{2}"}),
    "all": ({(1, 0), (1, 1)}, {(0, 1): "1", (0, 2): "1"}),
    "none": (set(), {}),
}


def matrix_cells(latex: str) -> list[list[str]]:
    body = re.search(r"\\begin\{bmatrix\}(.*)\\end\{bmatrix\}", latex, flags=re.S).group(1)
    return [[cell.strip() for cell in row.split("&")] for row in body.split(r"\\")]


@pytest.mark.parametrize("rule", list(BOXED))
def test_the_window_math_boxes_exactly_the_cells_the_rule_pays(rule):
    at = run_page("pages/explorer.py", {**TIED, "tie": rule})
    assert not at.exception
    lines = formulas(at)
    matrix = matrix_cells(lines[0])
    assert [[c.replace(r"\boxed{", "").rstrip("}") for c in row] for row in matrix] == [
        [r"-\infty", r"-\infty"],
        ["5", "5"],
    ]
    boxed = {(a, b) for a, row in enumerate(matrix) for b, c in enumerate(row) if c.startswith(r"\boxed")}
    expected_boxed, expected_shares = BOXED[rule]
    assert boxed == expected_boxed
    shares = {}
    for line in lines[1:]:
        found = re.search(r"\\partial x_\{(\d+),(\d+)\}\} \\mathrel\{\+\}= (.+?) \\cdot", line)
        shares[(int(found.group(1)), int(found.group(2)))] = found.group(3)
    assert shares == expected_shares


# --------------------------------------------------------------------------- what the sentences say

# x = [[3, 1], [3, 3]] with one 2×2 window: a three-way tie at 3 in cells [0, 0], [1, 0], [1, 1]
# (reading order). first pays [0, 0], last pays [1, 1].
THREE_WAY = {"x": "3,1;3,3", "k": "2"}


@pytest.mark.parametrize(
    ("rule", "paid", "says", "never_says"),
    [
        ("first", "[0, 0]", "first maximum", "last maximum"),
        ("last", "[1, 1]", "last maximum", "first maximum"),
    ],
)
def test_the_tie_sentences_say_what_first_and_last_do(rule, paid, says, never_says):
    at = run_page("pages/explorer.py", {**THREE_WAY, "tie": rule})
    assert not at.exception
    (notice,) = [m.value for m in at.info if "tie" in m.value]
    assert says in notice and never_says not in notice, notice
    # The sentence is a paragraph of its own (the window's math and the sentence share one markdown element).
    paragraphs = [part for m in at.markdown for part in m.value.split("\n\n")]
    (story,) = [part for part in paragraphs if part.startswith("Window (0, 0) has a 3-way tie")]
    assert "[0, 0], [1, 0], [1, 1]" in story
    assert story.endswith(f"the gradient goes to {paid}."), story
    # The picture agrees with the words: window (0, 0) sends its gradient to exactly the cell named.
    r, c = (int(v) for v in paid.strip("[]").split(","))
    picture = linked(at)
    W = picture["geometry"]["in_shape"][1]
    assert [divmod(flat, W) for flat, *_ in picture["receivers"][0]] == [(r, c)]
