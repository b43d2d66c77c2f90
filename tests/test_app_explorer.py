"""AppTest for the app shell and the explorer: controls, links and bad input change the figures as the core says."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.apptest_util import formulas, grid, linked, run_app, run_page, widget
from ui.codec import DEFAULT_X

# The d2l-style grid these control tests were written for, given as a link so they do not lean on the default
# view (which changes when the teaching example does): 2x2 windows at stride 2, no tie.
SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
SEED = {"x": "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "k": "2"}


def core(x, kernel=2, tie="first", dy=None, **kw):
    res = pooling.max_pool2d(np.asarray(x, float), kernel, **kw)
    dy = np.ones(res.out.shape) if dy is None else np.asarray(dy, float)
    return res, pooling.max_pool2d_backward(dy, res, tie)


def winner_cells(payload) -> set[tuple[int, int]]:
    """Cells the picture marks as winners (star and outline): those with a non-zero win count."""
    W = payload["geometry"]["in_shape"][1]
    return {divmod(flat, W) for flat, n in enumerate(payload["win_counts"]) if n}


def run_with_editors(query=None):
    """The explorer with its table editors open (they are only built while their expander is open)."""
    at = run_page(query=query)
    at.session_state["editors"] = True
    return at.run()


def test_default_view_matches_the_core():
    at = run_app()
    assert not at.exception
    res, dx = core(DEFAULT_X, stride=1)  # the fresh view: 2x2 windows at stride 1
    assert np.array_equal(grid(at, "x"), DEFAULT_X)
    assert np.array_equal(grid(at, "y"), res.out)
    assert np.array_equal(grid(at, "dx"), dx)
    assert np.array_equal(grid(at, "dy"), np.ones((3, 3)))
    # By hand: the nine windows' maxima are 9 (twice, x[0, 1]), 7 (tied at x[0, 3] and x[1, 2]; first rule:
    # x[0, 3]), 4 at x[2, 0], 7 at x[1, 2] (twice), 6 at x[3, 1] (twice) and 5 at x[2, 3].
    assert winner_cells(linked(at)) == {(0, 1), (0, 3), (1, 2), (2, 0), (3, 1), (2, 3)}
    assert [dx[0, 1], dx[1, 2], dx[3, 1]] == [2, 2, 2]  # overlap: two windows' dL/dy each
    W = DEFAULT_X.shape[1]
    assert [sorted(divmod(f, W) for f in t) for t in linked(at)["ties"] if t] == [[(0, 3), (1, 2)]]
    # The URL holds the view from the first run on.
    assert at.query_params["x"] == "1,9,2,7;3,0,7,1;4,2,1,5;0,6,3,2"
    assert at.query_params["k"] == "2" and at.query_params["s"] == "1"


def test_navigation_app_shows_the_explorer_with_its_sidebar():
    at = run_app()
    assert not at.exception
    assert {w.key for w in at.sidebar.get("number_input")} >= {"k_h", "k_w", "p_h", "p_w", "d_h", "d_w"}
    assert at.sidebar.get("radio")[0].value == "first"


def test_a_link_reproduces_the_view():
    query = {"x": "1,5,2;0,5,3;4,1,5", "k": "2", "s": "1", "p": "1", "tie": "split",
             "dy": "1,2,3,4;5,6,7,8;1,1,1,1;2,2,2,2"}
    at = run_app(query)
    assert not at.exception
    x = np.array([[1, 5, 2], [0, 5, 3], [4, 1, 5]], float)
    dy = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [1, 1, 1, 1], [2, 2, 2, 2]], float)
    res, dx = core(x, 2, "split", dy, stride=1, padding=1)
    assert np.array_equal(grid(at, "y"), res.out)
    assert np.allclose(grid(at, "dx"), dx)
    assert widget(at, "k_h").value == 2 and widget(at, "stride_same").value is False
    assert widget(at, "s_w").value == 1 and widget(at, "p_h").value == 1
    assert widget(at, "tie").value == "split"
    # The picture draws x with its padding: window (0, 0) starts one row and column above the grid.
    assert linked(at)["geometry"]["padding"] == [1, 1]
    assert linked(at)["rows"][0] == [-1, 0] and linked(at)["cols"][0] == [-1, 0]


def test_kernel_and_stride_controls_change_the_figures():
    at = run_page(query=SEED)
    widget(at, "k_h").set_value(3).run()
    widget(at, "k_w").set_value(3).run()
    widget(at, "stride_same").uncheck().run()
    widget(at, "s_h").set_value(1).run()
    widget(at, "s_w").set_value(1).run()
    assert not at.exception
    res, dx = core(SEED_X, 3, stride=1)
    assert grid(at, "y").shape == (2, 2)
    assert np.array_equal(grid(at, "y"), res.out)
    # Overlap: x[1, 3] = 8 wins two windows and collects both gradients.
    assert np.array_equal(grid(at, "dx"), dx)
    assert dx[1, 3] == 2
    assert at.query_params["k"] == "3" and at.query_params["s"] == "1"


def test_tie_policies_on_an_all_equal_grid():
    at = run_with_editors(SEED)
    widget(at, "x_fill_equal").click().run()
    assert any("4 windows tie" in i.value for i in at.info)
    expected = {"first": [[1, 0], [0, 0]], "last": [[0, 0], [0, 1]], "split": [[0.25, 0.25], [0.25, 0.25]],
                "all": [[1, 1], [1, 1]], "none": [[0, 0], [0, 0]]}
    for policy, block in expected.items():
        widget(at, "tie").set_value(policy).run()
        assert not at.exception
        dx = grid(at, "dx")
        assert np.array_equal(dx, np.tile(block, (2, 2))), policy
        assert policy in at.info[0].value
    assert at.query_params["tie"] == "none"


def test_random_upstream_gradient_flows_to_the_winners():
    at = run_with_editors(SEED)
    widget(at, "dy_random").click().run()
    assert not at.exception
    dy = grid(at, "dy")
    assert dy.shape == (2, 2) and set(np.unique(dy)) <= set(range(-3, 4))
    _, dx = core(SEED_X, dy=dy)
    assert np.array_equal(grid(at, "dx"), dx)
    assert "dy" in at.query_params


def test_selecting_an_output_cell_outlines_its_window_and_prints_its_math():
    at = run_page(query=SEED)
    widget(at, "sel_box").set_value((1, 1)).run()
    assert not at.exception
    assert at.query_params["sel"] == "1,1"
    # The picture pins y[1, 1]; its window (kernel 2, stride 2) covers rows 2-3, columns 2-3 of x.
    payload = linked(at)
    assert payload["sel"] == [1, 1]
    assert payload["rows"][1] == [2, 3] and payload["cols"][1] == [2, 3]
    joined = " ".join(formulas(at))
    assert "y_{1,1}" in joined and r"\boxed{4}" in joined
    assert any("x[3, 3]" in m.value for m in at.markdown)


def test_bad_link_parameter_warns_and_the_rest_is_honoured():
    at = run_app({"x": "1,2;3,4", "k": "0", "tie": "split"})
    assert not at.exception
    assert any("`k`" in w.value for w in at.warning)
    assert np.array_equal(grid(at, "x"), [[1, 2], [3, 4]])
    assert widget(at, "tie").value == "split"


def test_a_window_that_does_not_fit_keeps_the_last_valid_one():
    at = run_page(query=SEED)
    widget(at, "k_h").set_value(5).run()
    assert not at.exception
    assert any("does not fit" in e.value or "too small" in e.value for e in at.error)
    assert any("last settings that fit" in w.value for w in at.warning)
    assert np.array_equal(grid(at, "y"), core(SEED_X)[0].out)


def test_paste_box_accepts_a_grid_and_rejects_a_ragged_one():
    at = run_with_editors()
    widget(at, "x_paste").input("9 1 1\n1 1 1\n1 1 7").run()
    widget(at, "x_paste_apply").click().run()
    assert np.array_equal(grid(at, "x"), [[9, 1, 1], [1, 1, 1], [1, 1, 7]])
    widget(at, "x_paste").input("1 2\n3").run()
    widget(at, "x_paste_apply").click().run()
    assert any("row 2" in e.value for e in at.error)
    # The last valid grid stays, and so does the text the user typed.
    assert np.array_equal(grid(at, "x"), [[9, 1, 1], [1, 1, 1], [1, 1, 7]])
    assert widget(at, "x_paste").value == "1 2\n3"


def test_resizing_keeps_the_overlap():
    at = run_with_editors()
    widget(at, "x_rows").set_value(6).run()
    x = grid(at, "x")
    assert x.shape == (6, 4)
    assert np.array_equal(x[:4], DEFAULT_X) and not x[4:].any()


def test_window_wholly_in_padding_is_explained():
    at = run_app({"x": "5", "k": "1x2", "d": "1x2", "p": "0x1"})
    assert not at.exception
    assert linked(at)["grids"]["y"]["text"][0] == "−∞"
    assert linked(at)["indices"] == [-1] and linked(at)["receivers"] == [[]]
    assert any("wholly in the padding" in m.value for m in at.markdown)
    assert np.array_equal(grid(at, "dx"), [[0.0]])


@pytest.mark.parametrize("size", [16, 64])
def test_big_grids_run(size):
    x = np.arange(size * size).reshape(size, size) % 7
    query = {"x": ";".join(",".join(str(v) for v in row) for row in x), "k": "3", "s": "1"}
    at = run_app(query, timeout=60)
    assert not at.exception
    res, dx = core(x, 3, stride=1)
    assert np.array_equal(grid(at, "dx"), dx)


def test_a_cell_that_wins_overlapping_windows_prints_its_sum():
    # By hand: with 3x3 windows at stride 1, each of the four windows of this x has its only maximum, 9, at
    # x[1, 1]; so dL/dx[1, 1] is the sum of all four dL/dy values, 1 + 2 + 3 + (−1) = 5.
    at = run_page(query={"x": "0,5,1,0;2,9,3,1;4,1,3,8;7,7,0,2", "k": "3", "s": "1", "dy": "1,2;3,-1", "sel": "0,1"})
    assert not at.exception
    paragraphs = [part for m in at.markdown for part in m.value.split("\n\n")]
    want = "dL/dx[1, 1] = 1 + 2 + 3 + (-1) = 5, from y[0, 0], y[0, 1], y[1, 0], y[1, 1]: overlapping windows add up."
    assert want in paragraphs


def test_a_cell_that_wins_one_window_prints_no_sum():
    at = run_page(query={**SEED, "sel": "1,1"})  # 2x2 windows at stride 2: no window overlaps another
    assert not at.exception
    assert not [m.value for m in at.markdown if "overlapping windows add up" in m.value]
