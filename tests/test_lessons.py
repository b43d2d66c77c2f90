"""The lessons' data and live facts: every example pools, and every claim holds in numbers worked out by hand
or by the plain-loop reference (tests/reference.py), not by the code under test."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from figures.lessons import make_piecewise_figure
from tests.reference import ref_backward, ref_forward
from ui import lessons

ALL_PARTS = [(n, part) for n, lesson in enumerate(lessons.LESSONS, start=1) for part in lesson.parts]


def lesson(n: int) -> lessons.Lesson:
    return lessons.LESSONS[n - 1]


def pooled(n: int, slug: str | None = None):
    parts = lesson(n).parts
    part = parts[0] if slug is None else next(p for p in parts if p.slug == slug)
    return lessons.pool_example(part.example), part.example


def reference(example: lessons.Example):
    """(y, dL/dx) of an example from the plain-loop reference."""
    w = example.window
    y, _, _ = ref_forward(example.x, w.kernel, w.stride, w.padding, w.dilation, w.ceil_mode)
    dy = np.ones(y.shape) if example.dy is None else example.dy
    dx = ref_backward(dy, example.x, w.kernel, w.stride, w.padding, w.dilation, w.ceil_mode, example.tie_policy)
    return y, dx


def test_eight_lessons_in_the_order_of_the_issue():
    titles = [lesson.title.lower() for lesson in lessons.LESSONS]
    assert len(titles) == 8
    for title, words in zip(
        titles,
        [
            "winner",
            "chain rule",
            "mask",
            "linear map",
            "piecewise",
            "ties",
            "overlapping",
            "padding, dilation and ceil",
        ],
    ):
        assert words in title


@pytest.mark.parametrize(("n", "part"), ALL_PARTS, ids=[f"{n}-{p.slug}" for n, p in ALL_PARTS])
def test_every_example_matches_the_reference(n, part):
    lesson_ = lesson(n)
    assert lesson_.paragraphs and lesson_.formulas
    p = lessons.pool_example(part.example)
    y, dx = reference(part.example)
    assert np.array_equal(p.y, y)
    assert np.allclose(p.dx, dx)
    i, j = part.example.focus
    assert 0 <= i < y.shape[0] and 0 <= j < y.shape[1]
    # Examples are read-only: a lesson cannot be changed by whoever loads it.
    assert not part.example.x.flags.writeable


def test_lesson1_winner_table_and_gradient_check():
    p, _ = pooled(1)
    table = lessons.winner_table(p)
    assert list(table["winner"]) == ["x[1, 0]", "x[1, 3]", "x[3, 1]", "x[2, 3]"]
    assert list(table["y"]) == ["4", "5", "6", "3"]
    # Each winner receives exactly its window's dL/dy; the other three cells of each window get 0.
    assert list(table["dL/dx at the winner"]) == ["1", "-2", "3", "0.5"]
    assert set(table["dL/dx at the other cells"]) == {"0, 0, 0"}
    fd, err = lessons.central_check(p)
    assert err < 1e-12 and fd.step == 0.5  # half the smallest gap to a runner-up (5 - 4 in window (0, 1))


def test_lesson2_measured_local_derivative_is_one_for_the_winner_only():
    p, example = pooled(2)
    table = lessons.neuron_table(p, example.focus)
    assert list(table["value"]) == ["0.5", "2.5", "-1.5", "1.25"]
    assert list(table["f′ = ∂y/∂x (measured)"]) == ["0", "1", "0", "0"]
    assert list(table["f′ · dL/dy"]) == ["0", "3", "0", "0"]
    assert list(table["dL/dx (backward pass)"]) == list(table["f′ · dL/dy"])


def test_lesson3_mask_times_spread_gradient_is_dx_without_overlap():
    p, _ = pooled(3)
    mask, spread, product = lessons.mask_view(p)
    expected_mask = np.zeros((4, 4))
    expected_mask[[0, 1, 2, 3], [1, 3, 0, 2]] = 1  # 7, 6, 8, 9
    assert np.array_equal(mask, expected_mask)
    assert np.array_equal(spread, np.kron([[1, -2], [0.5, 3]], np.ones((2, 2))))
    assert np.array_equal(product, reference(lesson(3).parts[0].example)[1])


def test_lesson3_caveat_the_mask_view_breaks_with_overlap():
    # On lesson 7's overlapping windows, copying dL/dy over windows adds the gradient of windows a cell
    # did not win, so M * spread is no longer dL/dx: the lesson says it assumes no overlap.
    p, _ = pooled(7)
    _, _, product = lessons.mask_view(p)
    assert not np.array_equal(product, p.dx)


def test_lesson4_selection_matrix_on_a_row_of_four():
    p, _ = pooled(4)
    view = lessons.selection_view(p)
    assert np.array_equal(view["S"], [[0, 1, 0, 0]])
    assert np.array_equal(view["Sx"], [4])
    assert np.array_equal(view["STdy"], [0, 2, 0, 0])
    assert np.array_equal(view["strict"], [0, 1, 0, 0])
    tie = lessons.tie_variant(p)
    # x4 = 3 is the runner-up; raised to 4 it ties with x2: every strict product is 0, while 'first' picks x2.
    assert tie["name"] == "x₄" and np.array_equal(tie["x"], [1.5, 4, 2.5, 4])
    assert np.array_equal(tie["strict"], [0, 0, 0, 0])
    assert np.array_equal(tie["S"], [[0, 1, 0, 0]])


def test_lesson5_piecewise_curve_has_one_kink_at_the_runner_up():
    _, example = pooled(5)
    for k, kink in ((0, 5.0), (1, 3.0), (2, 5.0)):
        curve = lessons.piecewise_curve(example, k)
        t, value, slope = curve["t"], curve["value"], curve["slope"]
        assert curve["kinks"] == [kink]
        others = np.delete(np.array([2.0, 5.0, 3.0]), k).max()
        assert np.array_equal(value, np.maximum(t, others))
        assert np.all(slope[t < kink] == 0) and np.all(slope[t > kink] == 1)
    table = lessons.partials_table(pooled(5)[0])
    assert list(table["∂y/∂x (backward pass)"]) == ["0", "1", "0"]
    assert list(table["central difference"]) == ["0", "1", "0"]


def test_lesson6_none_fails_the_subgradient_test_and_loses_gradient():
    p, _ = pooled(6)
    table = lessons.tie_rules_table(p)
    assert dict(table["subgradient test"]) == {
        "first": "passes",
        "last": "passes",
        "split": "passes",
        "all": "fails",
        "none": "fails",
    }
    # Two tied windows, each receiving dL/dy = 1: a 2-way tie at 3 and a 3-way tie at 2.
    assert dict(table["tied windows send"]) == {
        "first": "2 of 2",
        "last": "2 of 2",
        "split": "2 of 2",
        "all": "5 of 2",
        "none": "0 of 2",
    }
    assert list(table.loc["split"])[:5] == ["0.5", "0.333", "0.333", "0.5", "0.333"]
    failures = lessons.subgradient_failures(p)
    assert set(failures) == {"all", "none"}
    assert "not a subgradient" in failures["none"]


def test_lesson6_finite_differences_at_a_tie():
    p, _ = pooled(6)
    table, matches, step = lessons.difference_table(p)
    assert step == 0.5
    assert list(table.index) == ["x[0, 1]", "x[0, 2]", "x[0, 3]", "x[1, 0]", "x[1, 2]"]
    assert set(table["forward"]) == {"1"} and set(table["backward"]) == {"0"} and set(table["central"]) == {"0.5"}
    # Forward = 'all', backward = 'none'; the central ½ per tied cell is no rule (split gives ⅓ to a 3-way tie).
    assert matches == {"forward": ["all"], "backward": ["none"], "central": []}


def test_lesson6_parts_carry_their_tie_rule():
    assert [part.example.tie_policy for part in lesson(6).parts] == ["first", "split", "all", "none"]
    p, _ = pooled(6, "none")
    assert p.dx.sum() == 0  # every window of this x ties, so 'none' sends nothing at all


def test_lesson7_overlap_adds_and_an_overwrite_would_not():
    p, _ = pooled(7)
    table = lessons.overlap_table(p)
    assert list(table.index) == ["x[1, 1]"]
    row = table.loc["x[1, 1]"]
    assert row["wins windows"] == "(0, 0), (0, 1), (1, 0)"
    assert row["they send"] == "1 + 2 − 1"
    assert row["dL/dx (sum)"] == "2" and row["an overwrite would keep"] == "-1"
    assert p.dx[1, 1] == 1 + 2 - 1 and p.dx[3, 3] == 0.5


@pytest.mark.parametrize(
    ("slug", "out_shape", "n_unread", "without_shape"),
    [
        ("padding", (3, 3), 0, (2, 2)),
        ("dilation", (2, 2), 16, (2, 2)),
        ("ceil", (3, 3), 0, (2, 2)),
    ],
)
def test_lesson8_output_sizes_and_unread_cells(slug, out_shape, n_unread, without_shape):
    p, example = pooled(8, slug)
    assert p.y.shape == out_shape
    assert len(lessons.unread_cells(p)) == n_unread
    rows = lessons.geometry_table(example, lessons._plain(example))
    assert list(rows["y is"]) == [f"{out_shape[0]}×{out_shape[1]}", f"{without_shape[0]}×{without_shape[1]}"]


def test_lesson8_ceil_mode_reaches_the_largest_value():
    p, example = pooled(8, "ceil")
    terms = lessons.size_terms(p, 0)
    # (5 + 0 - 1 - 1) / 2 = 1.5: floor gives 2 windows, ceil 3.
    assert (terms["numerator"], terms["floor"], terms["ceil"], terms["out"]) == (3, 2, 3, 3)
    assert p.dx[4, 4] == 1  # x[4, 4] = 25 wins the last, partial window
    without = lessons.pool_example(lessons._plain(example))
    assert without.dx[4, 4] == 0 and (4, 4) in lessons.unread_cells(without)


def test_signed_sum_reads_like_arithmetic():
    assert lessons._signed_sum([1, 2, -1]) == "1 + 2 − 1"
    assert lessons._signed_sum([-0.5, 0.25]) == "-0.5 + 0.25"


def test_grid_words():
    assert lessons._grid_words(None) == "all ones"
    assert lessons._grid_words(np.array([[1, -2], [3, 0.5]])) == "[1  −2; 3  0.5]"


def test_piecewise_figure_marks_the_kink_and_the_example():
    _, example = pooled(5)
    curve = lessons.piecewise_curve(example, 0)
    fig = make_piecewise_figure(
        curve["t"], curve["value"], curve["slope"], moved="x₁", current=2.0, kinks=curve["kinks"], font_scale=1.6
    )
    go.Figure(fig.to_dict())  # every property is valid Plotly
    names = [t.name for t in fig.data]
    assert names == ["value", "slope", "current", "current"]
    value, slope = fig.data[0], fig.data[1]
    assert np.array_equal(value.y, np.maximum(curve["t"], 5)) and set(np.unique(slope.y)) == {0.0, 1.0}
    # The example's point: x1 = 2 is below the kink, so y = 5 and the slope is 0.
    assert fig.data[2].y[0] == 5 and fig.data[3].y[0] == 0
    assert fig.data[2].x[0] == pytest.approx(2.0, abs=0.05)
    assert {s.x0 for s in fig.layout.shapes if s.name == "kink"} == {5.0}
    assert fig.layout.font.size == 13 * 1.6 and fig.layout.xaxis2.title.font.size == 13 * 1.6
