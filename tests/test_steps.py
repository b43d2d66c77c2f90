"""The step-through's sequence: partial y and partial dL/dx at every step, checked against plain loops."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import pytest

import pooling
from figures.steps import make_verdict_figure
from tests.reference import ref_forward
from ui.steps import BACKWARD, FORWARD, accumulation_lines, adding_up_sentence, forward_sentence, plan_steps

SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)


def shares_by_loop(x, k, s, p, d, tie_policy):
    """{(window i, j): [(input cell, share), ...]} from the plain-loop reference and the tie rule's definition."""
    _, idx, tied = ref_forward(x, k, s, p, d, False)
    W = x.shape[1]
    out = {}
    for i in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            cells = [divmod(f, W) for f in tied[i][j]]
            if idx[i, j] < 0 or not cells:
                out[(i, j)] = []
            elif tie_policy == "first":
                out[(i, j)] = [(divmod(int(idx[i, j]), W), 1.0)]
            elif tie_policy == "last":
                out[(i, j)] = [(cells[-1], 1.0)]
            elif tie_policy == "split":
                out[(i, j)] = [(c, 1.0 / len(cells)) for c in cells]
            elif tie_policy == "all":
                out[(i, j)] = [(c, 1.0) for c in cells]
            else:
                out[(i, j)] = [(cells[0], 1.0)] if len(cells) == 1 else []
    return out


def dx_by_loop(x, dy, n_windows, shares):
    """dL/dx after the first n_windows output cells (row by row) have sent their gradient."""
    dx = np.zeros_like(x)
    W_out = dy.shape[1]
    for flat in range(n_windows):
        i, j = divmod(flat, W_out)
        for (r, c), share in shares[(i, j)]:
            dx[r, c] += share * dy[i, j]
    return dx


def test_seed_overlapping_example_step_by_step():
    # 4x4, kernel 2, stride 1: 9 windows, so 9 forward steps then 9 backward steps.
    res = pooling.max_pool2d(SEED_X, 2, stride=1)
    dy = np.arange(1.0, 10.0).reshape(3, 3)
    plan = plan_steps(res, dy, "first")
    assert plan.n_steps == 18
    shares = shares_by_loop(SEED_X, (2, 2), (1, 1), (0, 0), (1, 1), "first")
    for position in range(18):
        step = plan.step(position)
        if position < 9:
            assert step.phase == FORWARD
            assert step.cell == divmod(position, 3)
            assert step.y_done.sum() == position + 1
            assert np.array_equal(step.y[step.y_done], res.out[step.y_done])
            assert np.isnan(step.y[~step.y_done]).all()
            assert not step.dx.any()
        else:
            k = position - 9 + 1
            assert step.phase == BACKWARD
            assert step.cell == divmod(k - 1, 3)
            assert step.y_done.all()
            assert np.array_equal(step.dx_before, dx_by_loop(SEED_X, dy, k - 1, shares))
            assert np.array_equal(step.dx, dx_by_loop(SEED_X, dy, k, shares))
        rows, cols = step.cell
        expected_window = {(rows + a, cols + b) for a in range(2) for b in range(2)}
        assert {tuple(c) for c in step.window_cells} == expected_window


def test_hand_checked_partial_sums_of_the_seed():
    # Windows (0,0) = [[1,1],[5,6]] and (0,1) = [[1,2],[6,7]] of the stride-1 seed: x[1,1]=6 wins the first,
    # x[1,2]=7 the second. With dL/dy = 1..9 after two backward steps: dx[1,1] = 1, dx[1,2] = 2.
    res = pooling.max_pool2d(SEED_X, 2, stride=1)
    plan = plan_steps(res, np.arange(1.0, 10.0).reshape(3, 3), "first")
    step = plan.step(9 + 1)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 2] = 1, 2
    assert np.array_equal(step.dx, expected)
    assert [(rc.cell, rc.share, rc.amount) for rc in step.receivers] == [((1, 2), 1.0, 2.0)]


@pytest.mark.parametrize("tie_policy", pooling.TIE_POLICIES)
@pytest.mark.parametrize(
    "x, k, s, p, d",
    [
        (np.array([[1, 3, 3, 0], [3, 2, 1, 3], [0, 3, 3, 1], [2, 2, 2, 2]], float), 2, 1, 0, 1),
        (np.ones((5, 5)), 3, 1, 1, 1),
        (np.array([[4, 1, 4, 2, 4], [0, 4, 3, 4, 1], [4, 2, 4, 0, 4]], float), (2, 3), (1, 2), (1, 1), 1),
        (np.arange(25.0).reshape(5, 5) % 4, 2, 1, 0, 2),
    ],
)
def test_every_partial_dx_matches_the_loop_and_ends_at_the_backward_pass(tie_policy, x, k, s, p, d):
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d)
    rng = np.random.default_rng(0)
    dy = rng.integers(-3, 4, size=res.out.shape).astype(float)
    plan = plan_steps(res, dy, tie_policy)
    pair = pooling.as_pair
    shares = shares_by_loop(x, pair(k, "k"), pair(s, "s"), pair(p, "p"), pair(d, "d"), tie_policy)
    n = plan.n_windows
    for k_done in range(n + 1):
        np.testing.assert_allclose(plan.partial_dx(k_done), dx_by_loop(x, dy, k_done, shares), atol=1e-12)
    last = plan.step(plan.n_steps - 1)
    assert np.array_equal(last.dx, pooling.max_pool2d_backward(dy, res, tie_policy))
    assert np.array_equal(last.win_counts, pooling.win_counts(res, tie_policy))


def test_ties_split_shares_and_counts():
    # One window, a 2-way tie at 3: under split each tied cell gets half of dL/dy = 4.
    res = pooling.max_pool2d(np.array([[1.0, 3.0], [3.0, 2.0]]), 2)
    plan = plan_steps(res, [[4.0]], "split")
    step = plan.step(1)
    assert [(rc.cell, rc.share, rc.amount) for rc in step.receivers] == [((0, 1), 0.5, 2.0), ((1, 0), 0.5, 2.0)]
    assert step.dx.tolist() == [[0, 2], [2, 0]]
    forward = forward_sentence(plan, plan.step(0))
    assert "held by 2 cells (x[0, 1], x[1, 0])" in forward
    assert "'split'" in forward and "x[0, 1], x[1, 0]" in forward.split("go to")[1]
    none = plan_steps(res, [[4.0]], "none")
    assert none.step(1).receivers == ()
    assert "none of them" in forward_sentence(none, none.step(0))


def test_overlap_is_named_and_summed():
    # semantics.md's 1-D case: [0, 5, 1, 0], kernel 3, stride 1: x[0, 1] wins both windows.
    res = pooling.max_pool2d(np.array([[0.0, 5.0, 1.0, 0.0]]), (1, 3), stride=1)
    plan = plan_steps(res, [[1.0, 1.0]], "first")
    step = plan.step(3)
    received = plan.received(2)
    assert received == {(0, 1): [((0, 0), 1.0, 1.0), ((0, 1), 1.0, 1.0)]}
    assert accumulation_lines(step, received) == [r"\frac{\partial L}{\partial x_{0,1}} = 1 + 1 = 2"]
    assert adding_up_sentence(step, received) == (
        "Overlap: x[0, 1] already held 1 from y[0, 0]; now it holds 2 (2 windows add up)."
    )
    assert adding_up_sentence(plan.step(2), plan.received(1)) is None


def test_colour_limit_covers_every_running_sum():
    # x[0, 1] wins both windows; dL/dy = +3 then -3: the final dL/dx is 0, but step 1 shows 3.
    res = pooling.max_pool2d(np.array([[0.0, 5.0, 1.0, 0.0]]), (1, 3), stride=1)
    plan = plan_steps(res, [[3.0, -3.0]], "first")
    assert plan.step(3).dx.tolist() == [[0, 0, 0, 0]]
    assert plan.step(2).dx.tolist() == [[0, 3, 0, 0]]
    assert plan.dx_limit() == 3.0
    assert plan_steps(res, [[0.0, 0.0]], "first").dx_limit() == 1.0  # an all-zero gradient still gets a range


def test_window_wholly_in_padding_has_no_winner():
    # A 1x2 row, kernel (1, 2), dilation 3, padding 1: the only window reads columns -1 and 2, both padding.
    res = pooling.max_pool2d(
        np.array([[7.0, 9.0]]), (1, 2), stride=(1, 3), padding=(0, 1), dilation=(1, 3), ceil_mode=True
    )
    assert res.indices.tolist() == [[-1]]
    plan = plan_steps(res, np.ones(res.out.shape), "first")
    assert plan.step(0).receivers == () and plan.step(1).receivers == ()
    assert not plan.step(1).dx.any()
    assert "wholly in the padding" in forward_sentence(plan, plan.step(0))


def test_positions_out_of_range_and_bad_dy_are_rejected():
    res = pooling.max_pool2d(SEED_X, 2)
    plan = plan_steps(res, np.ones((2, 2)))
    with pytest.raises(ValueError, match="position=8 is out of range: there are 8 steps"):
        plan.step(8)
    with pytest.raises(ValueError, match=r"dy has shape \(3, 3\)"):
        plan_steps(res, np.ones((3, 3)))


def test_nan_in_x_reads_as_nan():
    res = pooling.max_pool2d(np.array([[1.0, math.nan], [2.0, 0.0]]), 2)
    plan = plan_steps(res, [[1.0]])
    assert "NaN" in forward_sentence(plan, plan.step(0))


# --- the quiz's verdict figure --------------------------------------------------


def test_verdict_badges_carry_a_symbol_and_a_colour():
    correct = np.array([[True, False], [True, True]])
    fig = make_verdict_figure(np.array([[0.0, 1.0], [0.0, 2.0]]), correct, name="dL/dx", title="t")
    badges = next(t for t in fig.data if t.name == "verdicts")
    assert list(badges.text) == ["✓", "✗", "✓", "✓"]
    assert badges.textfont.color[1] != badges.textfont.color[0]
    assert [tuple(c) for c in badges.customdata] == [(0, 0, 1), (0, 1, 0), (1, 0, 1), (1, 1, 1)]


def test_verdict_figure_is_valid_plotly():
    # The builder skips validation for speed; a validating round trip must accept what it makes.
    verdict = make_verdict_figure(
        np.ones((20, 20)),
        np.eye(20, dtype=bool),
        name="dL/dx",
        title="t",
        winner_mask=np.eye(20, dtype=bool),
        color_limit=2.0,
    )
    assert go.Figure(verdict.to_dict()).to_plotly_json()["data"]
    big = next(t for t in verdict.data if t.name == "verdicts")
    assert big.text is None and list(big.marker.symbol[:2]) == ["circle", "x"]  # no room to print: marker shapes


def test_step_picture_shows_only_what_each_step_has_computed():
    """The linked picture's options per step: windows pooled and sent so far, pending cells, fixed colour limits."""
    from figures.linked import linked_payload
    from ui.model import Window, pooled_from
    from ui.steps import step_picture

    res = pooling.max_pool2d(SEED_X, 2, stride=1)
    dy = np.arange(1.0, 10.0).reshape(3, 3)
    p = pooled_from(res, Window((2, 2), (1, 1), (0, 0), (1, 1), False), dy, "first")
    plan = plan_steps(res, dy)
    full_dx = pooling.max_pool2d_backward(dy, res)
    for position in range(plan.n_steps):
        step = plan.step(position)
        options = step_picture(p, plan, step)
        payload = linked_payload(res, dy, "first", sel=step.cell, **options)
        done = step.number  # windows done in this phase, in scan order
        if step.phase == FORWARD:
            assert payload["window_state"] == [1] * done + [0] * (9 - done)
            assert payload["grids"]["y"]["pending"] == list(range(done, 9))
            assert payload["grids"]["dx"]["pending"] == list(range(16))
        else:
            assert payload["window_state"] == [2] * done + [1] * (9 - done)
            assert "pending" not in payload["grids"]["dx"] and payload["grids"]["y"]["pending"] == []
            # dL/dx drawn = the receivers' amounts so far = the plan's partial sum.
            dx = np.zeros(16)
            for window in payload["receivers"]:
                for flat, _, amount in window:
                    dx[flat] += amount
            assert np.array_equal(dx.reshape(4, 4), plan.partial_dx(done))
        # Colour limits of the whole run (dL/dy > 0, so sums only grow to the final dL/dx): they never move.
        assert (payload["grids"]["dx"]["zmin"], payload["grids"]["dx"]["zmax"]) == (-full_dx.max(), full_dx.max())
        assert (payload["grids"]["y"]["zmin"], payload["grids"]["y"]["zmax"]) == (res.out.min(), res.out.max())
