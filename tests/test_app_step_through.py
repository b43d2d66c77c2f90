"""AppTest for the step-through page: each step's linked picture holds the numbers pooling gives, step by step,
and withholds what the step has not computed yet."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from tests.apptest_util import grid, linked, plain, run_page, widget

PAGE = "pages/step_through.py"
SEED = "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4"
SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
# Kernel 2, stride 1: 3x3 overlapping windows, so 9 forward and 9 backward steps.
OVERLAP = {"x": SEED, "k": "2", "s": "1", "dy": "1,2,3;4,5,6;7,8,9"}
OVERLAP_DY = np.arange(1.0, 10.0).reshape(3, 3)


def open_page(query: dict[str, str]):
    at = run_page(PAGE, query)
    assert not at.exception
    return at


def step_heading(at) -> str:
    return next(h.value for h in at.subheader if h.value.startswith("Step "))


KEY = "step_linked"


def picture(at) -> dict:
    return linked(at, KEY)


def pinned_window(at) -> set[tuple[int, int]]:
    """Cells of x in the pinned window (the step's window), from the payload's rows and columns."""
    p = picture(at)
    i, j = p["sel"]
    return {(r, c) for r in p["rows"][i] for c in p["cols"][j]}


def receivers_of(at, i: int, j: int) -> set[tuple[int, int]]:
    """Cells of dL/dx that window (i, j) has sent gradient to, as the payload tells the browser."""
    p = picture(at)
    W, W_out = p["grids"]["x"]["shape"][1], p["geometry"]["out_shape"][1]
    return {divmod(flat, W) for flat, _, _ in p["receivers"][i * W_out + j]}


def drawn(at, name: str) -> np.ndarray:
    return grid(at, name, KEY)


def window(i: int, j: int, stride: int = 1) -> set[tuple[int, int]]:
    return {(i * stride + a, j * stride + b) for a in range(2) for b in range(2)}


def partial_dx_from_contributions(x, dy, n_windows, tie="first", **kw):
    """dL/dx after the first n_windows output cells, summed from pooling.contributions."""
    res = pooling.max_pool2d(x, 2, **kw)
    W_out = res.out.shape[1]
    dx = np.zeros_like(x)
    for (r, c), parts in pooling.contributions(dy, res, tie).items():
        for q in parts:
            if q.output_cell[0] * W_out + q.output_cell[1] < n_windows:
                dx[r, c] += q.amount
    return dx


def test_first_step_pools_window_0_0_and_y_has_its_first_value():
    at = open_page(OVERLAP)
    assert step_heading(at) == "Step 1 of 18 · forward, window (0, 0)"
    p = picture(at)
    assert p["sel"] == [0, 0] and pinned_window(at) == window(0, 0)
    assert p["pinnable"] is False and p["editable"] == []
    y = drawn(at, "y")
    assert y[0, 0] == 6 and np.isnan(y).sum() == 8
    assert p["grids"]["y"]["text"][0] == "6" and set(p["grids"]["y"]["text"][1:]) == {""}
    # Not computed yet: listed as pending, and no number for them anywhere in the payload.
    assert p["grids"]["y"]["pending"] == list(range(1, 9))
    assert p["grids"]["dx"]["pending"] == list(range(16)) and np.isnan(drawn(at, "dx")).all()
    assert p["window_state"] == [1] + [0] * 8  # one window pooled, none sent back
    assert p["indices"][1:] == [-1] * 8 and all(r == [] for r in p["receivers"])
    assert "Window (0, 0) compares 1, 1, 5, 6: the largest is 6, at x[1, 1], so y[0, 0] = 6." in [
        m.value for m in at.markdown
    ]
    assert any(r"y_{0,0} = \max" in latex.value for latex in at.latex)
    assert at.query_params["step"] == "1"


def test_next_and_back_move_the_window_and_fill_y():
    at = open_page(OVERLAP)
    at = widget(at, "step_next").click().run()
    assert not at.exception
    assert pinned_window(at) == window(0, 1)
    y = drawn(at, "y")
    res = pooling.max_pool2d(SEED_X, 2, stride=1)
    assert y[0, 0] == res.out[0, 0] == 6 and y[0, 1] == res.out[0, 1] == 7
    assert np.isnan(y).sum() == 7
    assert at.query_params["step"] == "2"
    at = widget(at, "step_prev").click().run()
    assert pinned_window(at) == window(0, 0)
    assert np.isnan(drawn(at, "y")).sum() == 8
    assert at.query_params["step"] == "1"


def test_backward_steps_show_the_partial_sums_of_dx():
    # Step 12 = backward step 3: output cells (0, 0), (0, 1), (0, 2) have sent their gradient.
    at = open_page({**OVERLAP, "step": "12"})
    assert step_heading(at) == "Step 12 of 18 · backward, dL/dy[0, 2]"
    dx = drawn(at, "dx")
    expected = partial_dx_from_contributions(SEED_X, OVERLAP_DY, 3, stride=1)
    assert np.array_equal(dx, expected)
    # By hand: windows (0,0), (0,1), (0,2) are won by x[1,1]=6, x[1,2]=7, x[1,3]=8 with dL/dy 1, 2, 3.
    assert dx[1].tolist() == [0, 1, 2, 3] and not dx[[0, 2, 3]].any()
    assert receivers_of(at, 0, 2) == {(1, 3)}
    assert pinned_window(at) == window(0, 2)
    # y is whole now; only the first three windows have sent anything back.
    assert picture(at)["window_state"] == [2, 2, 2] + [1] * 6
    assert receivers_of(at, 1, 0) == set() and "pending" not in picture(at)["grids"]["dx"]

    at = widget(at, "step_next").click().run()  # (1, 0): x[1,1] wins again, 1 + 4 = 5
    dx = drawn(at, "dx")
    assert np.array_equal(dx, partial_dx_from_contributions(SEED_X, OVERLAP_DY, 4, stride=1))
    assert dx[1, 1] == 5
    assert receivers_of(at, 1, 0) == {(1, 1)}
    assert any(latex.value.strip("$\n") == r"\frac{\partial L}{\partial x_{1,1}} = 1 + 4 = 5" for latex in at.latex)
    assert any("x[1, 1] already held 1 from y[0, 0]; now it holds 5" in info.value for info in at.info)
    # What the tooltip of dL/dx[1, 1] adds up: the amounts the sent windows list for x[1, 1] (flat 5).
    sent = [(k, amount) for k, recv in enumerate(picture(at)["receivers"]) for flat, _, amount in recv if flat == 5]
    assert sent == [(0, 1.0), (3, 4.0)]

    at = widget(at, "step_prev").click().run()
    at = widget(at, "step_prev").click().run()
    assert np.array_equal(drawn(at, "dx"), partial_dx_from_contributions(SEED_X, OVERLAP_DY, 2, stride=1))


def test_forward_steps_star_only_the_winners_found_so_far():
    at = open_page({**OVERLAP, "step": "2"})
    res = pooling.max_pool2d(SEED_X, 2, stride=1)
    counts = np.array(picture(at)["win_counts"]).reshape(4, 4)
    # Windows (0, 0) and (0, 1) are done: their winners, from pooling's indices, and no other cell.
    expected = {divmod(int(res.indices[0, 0]), 4), divmod(int(res.indices[0, 1]), 4)}
    assert {(int(r), int(c)) for r, c in zip(*np.nonzero(counts))} == expected == {(1, 1), (1, 2)}
    assert picture(at)["titles"]["y"] == "y so far" and picture(at)["titles"]["dx"] == "dL/dx · not yet"


def test_colour_limits_stay_put_while_dx_fills_in():
    at = open_page({**OVERLAP, "step": "10"})
    first = picture(at)["grids"]["dx"]
    at = widget(at, "step_end").click().run()
    last = picture(at)["grids"]["dx"]
    full = pooling.max_pool2d_backward(OVERLAP_DY, pooling.max_pool2d(SEED_X, 2, stride=1))
    assert (first["zmin"], first["zmax"]) == (last["zmin"], last["zmax"]) == (-full.max(), full.max())


def test_end_is_the_whole_backward_pass_and_start_goes_back():
    at = open_page(OVERLAP)
    at = widget(at, "step_end").click().run()
    assert step_heading(at) == "Step 18 of 18 · backward, dL/dy[2, 2]"
    res = pooling.max_pool2d(SEED_X, 2, stride=1)
    assert np.array_equal(drawn(at, "dx"), pooling.max_pool2d_backward(OVERLAP_DY, res))
    assert np.array_equal(drawn(at, "y"), res.out)
    assert picture(at)["window_state"] == [2] * 9
    assert at.success and "whole dL/dx" in at.success[0].value
    at = widget(at, "step_start").click().run()
    assert step_heading(at).startswith("Step 1 of 18")


def test_the_slider_jumps_to_a_step():
    at = open_page(OVERLAP)
    at = widget(at, "step_slider").set_value(10).run()
    assert step_heading(at) == "Step 10 of 18 · backward, dL/dy[0, 0]"
    assert np.array_equal(drawn(at, "dx"), partial_dx_from_contributions(SEED_X, OVERLAP_DY, 1, stride=1))
    assert at.query_params["step"] == "10"


def test_play_advances_each_run_and_stops_at_the_end():
    at = open_page({**OVERLAP, "step": "16"})
    at = widget(at, "step_play").click().run()
    assert not at.exception
    # Play starts the timer and shows the next step at once; the slider gives way to a progress bar.
    assert step_heading(at).startswith("Step 17 of 18")
    assert at.session_state["step_playing"] is True
    assert widget(at, "step_play").label == "Pause"
    assert not [s for s in at.get("slider") if s.key == "step_slider"]
    at.run()  # what a timer tick does: the fragment runs again
    assert step_heading(at).startswith("Step 18 of 18")
    assert at.session_state["step_playing"] is False  # the end stops the timer
    assert widget(at, "step_play").label == "Play"
    assert widget(at, "step_slider").value == 18


def test_pause_stops_advancing():
    at = open_page(OVERLAP)
    at = widget(at, "step_play").click().run()
    assert step_heading(at).startswith("Step 2 of 18")
    at = widget(at, "step_play").click().run()
    at.run()
    assert step_heading(at).startswith("Step 2 of 18")
    assert at.session_state["step_playing"] is False


def test_a_tie_under_split_sends_half_to_each():
    at = open_page({"x": "1,3;3,2", "k": "2", "tie": "split", "dy": "4", "step": "2"})
    assert drawn(at, "dx").tolist() == [[0, 2], [2, 0]]
    assert receivers_of(at, 0, 0) == {(0, 1), (1, 0)}
    at = widget(at, "step_prev").click().run()
    story = " ".join(m.value for m in at.markdown)
    assert "the largest, 3, is held by 2 cells (x[0, 1], x[1, 0])" in story
    assert "under 'split' the gradient will go to x[0, 1], x[1, 0]" in story


@pytest.mark.parametrize(
    "step, shown, message",
    [
        ("abc", 1, "step (abc) is not a step number"),
        ("99", 8, "outside 1 to 8"),
        ("0", 1, "outside 1 to 8"),
        ("![x](http://a)", 1, "step (??x??http???a?) is not"),
        ("١٢", 1, "not a step number"),
    ],
)
def test_a_bad_step_in_the_link_gets_a_message_and_a_valid_step(step, shown, message):
    at = open_page({"x": SEED, "k": "2", "step": step})
    assert step_heading(at).startswith(f"Step {shown} of 8")
    assert any(message in plain(w.value) for w in at.warning)
    assert at.query_params["step"] == str(shown)


def test_changing_the_window_keeps_a_valid_step():
    at = open_page({**OVERLAP, "step": "18"})
    at = widget(at, "stride_same").check().run()  # stride 2: 4 windows, 8 steps
    assert not at.exception
    assert step_heading(at).startswith("Step 8 of 8")
    res = pooling.max_pool2d(SEED_X, 2)
    # dL/dy keeps the values that still fit y's new 2x2 shape.
    assert np.array_equal(drawn(at, "dx"), pooling.max_pool2d_backward([[1.0, 2.0], [4.0, 5.0]], res))
    counts = np.array(picture(at)["win_counts"]).reshape(4, 4)
    assert {(int(r), int(c)) for r, c in zip(*np.nonzero(counts))} == {(1, 1), (1, 3), (2, 0), (3, 3)}


def test_editing_x_on_the_page_replans_the_steps():
    at = open_page({"x": SEED, "k": "2", "step": "3"})
    at = widget(at, "x_fill_equal").click().run()  # the explorer's editor, in this page's expander
    assert not at.exception
    assert step_heading(at).startswith("Step 3 of 8")
    story = " ".join(m.value for m in at.markdown)
    assert "the largest, 1, is held by 4 cells (x[2, 0], x[2, 1], x[3, 0], x[3, 1])" in story
    assert at.query_params["x"] == "1,1,1,1;1,1,1,1;1,1,1,1;1,1,1,1"
