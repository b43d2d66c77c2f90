"""AppTest for the matrix view: S as drawn against an S built here from the definition, y = S x and
dL/dx = S^T dL/dy with their numbers, row selection, the vector mode, the sparse rendering and bad input."""

from __future__ import annotations

import numpy as np

from tests.apptest_util import cell_text, chart, decode, heatmap, plain, run_app, run_page, shapes, trace, widget
from tests.reference import ref_forward

PAGE = "pages/matrix.py"

# The grid these tests were written for, as a link (2x2 windows, stride = kernel), so they do not lean on the
# default view, which follows the Explorer's teaching example.
SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
SEED = {"x": "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "k": "2"}


def selection_matrix_by_hand(x, k=(2, 2), s=None, policy="first"):
    """S from the plain-loop reference: a row per window, the share of each input cell in it."""
    s = s or k
    x = np.asarray(x, float)
    out, _, tied = ref_forward(x, k, s, (0, 0), (1, 1), False)
    S = np.zeros((out.size, x.size))
    for o, cells in enumerate(c for row in tied for c in row):
        if policy == "first":
            S[o, cells[0]] = 1
        elif policy == "split":
            S[o, cells] = 1 / len(cells)
        elif policy == "all":
            S[o, cells] = 1
    return S, out


def matrix_z(at) -> np.ndarray:
    """S as drawn cell by cell (the heatmap of the matrix chart)."""
    return decode(trace(chart(at, "matrix_chart"), "matrix")["z"]).astype(float)


def latex(at) -> list[str]:
    return [e.value.strip("$\n") for e in at.latex]


def test_default_grid_S_and_the_products_with_numbers():
    at = run_page(PAGE, SEED)
    assert not at.exception
    S, y = selection_matrix_by_hand(SEED_X)
    spec = chart(at, "matrix_chart")
    assert np.array_equal(matrix_z(at), S)
    # y = S x and dL/dx = S^T dL/dy, against the drawn y and dL/dx.
    assert np.array_equal(S @ SEED_X.ravel(), y.ravel())
    assert np.array_equal(heatmap(chart(at, "matrix_y_chart")).ravel(), S @ SEED_X.ravel())
    assert np.array_equal(heatmap(chart(at, "matrix_dx_chart")).ravel(), S.T @ np.ones(4))
    # Row 0 is selected: it is boxed in S, and its window (rows 0-1, columns 0-1) is outlined in x.
    (box,) = shapes(spec, "highlight-row")
    assert (box["y0"], box["y1"]) == (-0.5, 0.5)
    cells = sorted(
        ((s["y0"] + s["y1"]) / 2, (s["x0"] + s["x1"]) / 2)
        for s in shapes(chart(at, "matrix_x_chart"), "highlight-cell")
    )
    assert cells == [(0, 0), (0, 1), (1, 0), (1, 1)]
    lines = latex(at)
    assert r"y_{0,0} = S_{0,:}\,x = 1 \cdot x_{1,1} = 1 \cdot 6 = 6" in lines
    assert any(
        line.startswith(r"\frac{\partial L}{\partial x_{1,1}} = (S^\top)_{5,:}") and line.endswith("= 1")
        for line in lines
    )
    assert any("x[0, 0], x[0, 1], x[1, 0] receive nothing" in c.value for c in at.caption)
    assert any("S x reproduces y in all 4 rows" in s.value for s in at.success)
    # The whole product is printed while S is small: x's 16 numbers and dL/dx's 16 numbers appear in it.
    # (x has a line of its own: beside S it would run past the page's edge.)
    full = [line for line in lines if r"\underbrace" in line or line.startswith("x = ")]
    assert len(full) == 3
    assert "1 & 1 & 2 & 4 & 5 & 6 & 7 & 8 & 3 & 2 & 1 & 0 & 1 & 2 & 3 & 4" in full[1]
    assert " & ".join(str(int(v)) for v in S.T @ np.ones(4)) in full[2]


def test_selecting_a_row_moves_every_highlight_and_the_link():
    at = run_page(PAGE, {**SEED, "dy": "1,2;3,4"})
    widget(at, "matrix_row_box").set_value(3).run()
    assert at.query_params["sel"] == "1,1"
    (box,) = shapes(chart(at, "matrix_chart"), "highlight-row")
    assert (box["y0"], box["y1"]) == (2.5, 3.5)
    cells = sorted(
        ((s["y0"] + s["y1"]) / 2, (s["x0"] + s["x1"]) / 2)
        for s in shapes(chart(at, "matrix_x_chart"), "highlight-cell")
    )
    assert cells == [(2, 2), (2, 3), (3, 2), (3, 3)]
    # Row 3 is window (1, 1): its winner x[3, 3] = 4 receives dL/dy[1, 1] = 4.
    lines = latex(at)
    assert r"y_{1,1} = S_{3,:}\,x = 1 \cdot x_{3,3} = 1 \cdot 4 = 4" in lines
    assert any(
        line.startswith(r"\frac{\partial L}{\partial x_{3,3}}") and line.endswith(r"1 \cdot 4 = 4") for line in lines
    )
    S, _ = selection_matrix_by_hand(SEED_X)
    assert np.array_equal(heatmap(chart(at, "matrix_dx_chart")).ravel(), S.T @ np.array([1, 2, 3, 4.0]))
    # The explorer reads the same link parameter, so it opens on the same window.
    assert run_page("pages/explorer.py", {**SEED, "sel": "1,1"}).query_params["sel"] == "1,1"


def test_tie_rules_change_S_and_whether_S_x_is_y():
    x = "1,1,2,2;1,1,2,2;0,0,5,5;0,0,5,5"
    grid = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [0, 0, 5, 5], [0, 0, 5, 5]], float)
    at = run_page(PAGE, {"x": x, "k": "2", "tie": "split"})
    S, y = selection_matrix_by_hand(grid, policy="split")
    assert np.allclose(matrix_z(at), S)
    assert any("S x reproduces y" in s.value for s in at.success)
    assert any(r"\tfrac{1}{4} \cdot x_{0,0} + \tfrac{1}{4} \cdot x_{0,1}" in line for line in latex(at))

    at = run_page(PAGE, {"x": x, "k": "2", "tie": "all"})
    S, y = selection_matrix_by_hand(grid, policy="all")
    assert np.array_equal(matrix_z(at), S)
    assert np.array_equal(S @ grid.ravel(), 4 * y.ravel())  # every row counts its maximum 4 times
    # Window (1, 0) ties at 0, where 4 x 0 is still 0: three rows differ, not four.
    warning = next(w.value for w in at.warning if "S x differs from y" in w.value)
    assert "in 3 rows (y[0, 0], y[0, 1], y[1, 1])" in warning and "under 'all'" in warning

    at = run_page(PAGE, {"x": x, "k": "2", "tie": "none"})
    assert not matrix_z(at).any()
    assert any("under 'none' a tied window's row is empty" in w.value for w in at.warning)


def test_windows_wholly_in_padding_have_empty_rows():
    # x is 2x1; a (1, 2) kernel dilated by 2 with one column of padding reads columns -1 and 1: padding only.
    at = run_page(PAGE, {"x": "1;2", "k": "1x2", "d": "1x2", "p": "0x1"})
    assert not at.exception
    assert cell_text(chart(at, "matrix_y_chart")).tolist() == [["−∞"], ["−∞"]]  # y of an empty window
    assert not matrix_z(at).any()
    warning = next(w.value for w in at.warning if "S x differs from y" in w.value)
    assert "in 2 rows (y[0, 0], y[1, 0])" in warning and "wholly in padding" in warning
    assert "Every other row of S x equals y" in warning


def test_vector_mode():
    at = run_page(PAGE, SEED)
    widget(at, "matrix_mode").set_value("1d").run()
    assert at.query_params["mview"] == "1d"
    x = np.array([1, 3, 3, 2, 0, 5, 4, 4], float)
    S, y = selection_matrix_by_hand(x[None, :], k=(1, 2))
    assert np.array_equal(matrix_z(at), S)
    assert S.shape == (4, 8)
    ticks = chart(at, "matrix_chart")["layout"]["xaxis"]["ticktext"]
    assert ticks == [f"x[{i}]" for i in range(8)]

    # Edit the vector and its dL/dy; the last window ties (4, 4) and splits under 'split'.
    widget(at, "matrix_vector").set_value("2 7 7 1 0 9").run()
    widget(at, "matrix_vector_dy").set_value("1, -2, 3").run()
    assert at.query_params["vec"] == "2, 7, 7, 1, 0, 9" and at.query_params["vdy"] == "1, -2, 3"
    S, y = selection_matrix_by_hand(np.array([[2, 7, 7, 1, 0, 9]], float), k=(1, 2))
    assert np.array_equal(heatmap(chart(at, "matrix_y_chart")).ravel(), y.ravel())
    assert np.array_equal(heatmap(chart(at, "matrix_dx_chart")).ravel(), S.T @ np.array([1, -2, 3.0]))
    assert r"y_{0} = S_{0,:}\,x = 1 \cdot x_{1} = 1 \cdot 7 = 7" in latex(at)

    # The vector mode follows the window's width settings: kernel width 3, stride 1.
    widget(at, "k_w").set_value(3).run()
    widget(at, "stride_same").uncheck().run()
    widget(at, "s_w").set_value(1).run()
    assert any("kernel 3, stride 1" in c.value for c in at.caption)
    assert decode(trace(chart(at, "matrix_chart"), "cells")["y"]).max() == 3  # 6 - 3 + 1 = 4 rows


def test_vector_mode_bad_input_keeps_the_last_valid_vector():
    at = run_page(PAGE, {"k": "2", "mview": "1d", "vec": "1,5,2,2"})
    widget(at, "matrix_vector").set_value("1, 2, x").run()
    errors = [plain(e.value) for e in at.error]
    assert any('"x" in row 1, column 3 is not a number' in e and "Showing the last valid vector" in e for e in errors)
    assert np.array_equal(heatmap(chart(at, "matrix_x_chart")), [[1, 5, 2, 2]])
    assert at.query_params["vec"] == "1, 5, 2, 2"
    widget(at, "matrix_vector_dy").set_value("1, 2, 3").run()
    assert any("y has 2 values, but 3 were given" in plain(e.value) for e in at.error)
    assert np.array_equal(heatmap(chart(at, "matrix_dx_chart")), [[0, 1, 1, 0]])  # all ones instead
    # A vector the window does not fit: a message, no traceback.
    widget(at, "matrix_vector").set_value("3").run()
    assert not at.exception
    assert any("This window does not fit a vector of 1 values" in e.value for e in at.error)
    # A bad link: a warning, and the default vector.
    bad = run_page(PAGE, {"mview": "1d", "vec": "1;2,3"})
    assert not bad.exception
    assert any("The link's `vec` could not be used" in w.value for w in bad.warning)


def test_big_grid_is_drawn_sparsely_from_its_non_zeros():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 10, (64, 64)).astype(float)
    query = {"x": ";".join(",".join(str(int(v)) for v in row) for row in x), "k": "2", "sel": "5,7"}
    at = run_page(PAGE, query, timeout=60)
    assert not at.exception
    spec = chart(at, "matrix_chart")
    assert all(t.get("name") != "matrix" for t in spec["data"])
    entries = trace(spec, "entries")
    rows, cols = decode(entries["y"]).astype(int), decode(entries["x"]).astype(int)
    S, _ = selection_matrix_by_hand(x)
    assert len(rows) == 1024
    assert np.array_equal(np.argwhere(S), np.column_stack([rows, cols])[np.lexsort((cols, rows))])
    # The selected row (5 * 32 + 7) and its window's four columns are marked.
    window = trace(spec, "window")
    assert set(decode(window["y"]).astype(int)) == {167}
    assert sorted(decode(window["x"]).astype(int)) == [10 * 64 + 14, 10 * 64 + 15, 11 * 64 + 14, 11 * 64 + 15]
    assert not [line for line in latex(at) if r"\underbrace" in line]
    assert any("too big to print in full" in c.value for c in at.caption)


def test_the_page_is_listed_and_runs_in_the_app():
    at = run_app(page=PAGE)
    assert not at.exception
    assert at.title[0].value == "Matrix view"
