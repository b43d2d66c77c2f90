"""AppTest for the lessons page: every lesson renders its live check, navigation and progress follow the link,
and each lesson's button loads its example into the explorer (view, sidebar widgets and figures)."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_util import chart, grid, heatmap, linked, run_app, run_page, widget
from tests.reference import ref_backward, ref_forward
from ui import lessons

PAGE = "pages/lessons.py"
ALL_PARTS = [(n, part.slug) for n, lesson in enumerate(lessons.LESSONS, start=1) for part in lesson.parts]


def progress_text(at) -> str:
    return at.get("progress")[0].proto.text


def header(at) -> str:
    return at.header[0].value


def expected(example: lessons.Example):
    """(y, dL/dx) from the plain-loop reference."""
    w = example.window
    y, _, _ = ref_forward(example.x, w.kernel, w.stride, w.padding, w.dilation, w.ceil_mode)
    dy = np.ones(y.shape) if example.dy is None else example.dy
    return y, ref_backward(dy, example.x, w.kernel, w.stride, w.padding, w.dilation, w.ceil_mode, example.tie_policy)


def part_of(n: int, slug: str) -> lessons.Part:
    return next(p for p in lessons.LESSONS[n - 1].parts if p.slug == slug)


@pytest.mark.parametrize("n", range(1, 9))
def test_each_lesson_renders_its_math_and_live_check(n):
    at = run_page(PAGE, query={"lesson": str(n)})
    assert not at.exception
    lesson = lessons.LESSONS[n - 1]
    assert header(at) == f"{n}. {lesson.title}"
    assert progress_text(at) == f"Lesson {n} of 8"
    assert at.get("progress")[0].proto.value == 100 * n // 8
    latex = [e.value.strip("$\n") for e in at.latex]
    assert all(formula in latex for formula in lesson.formulas)
    example = lesson.parts[0].example
    y, dx = expected(example)
    key = f"lesson{n}"
    if n != 5:  # lesson 5 draws a curve instead of the grids
        assert np.array_equal(grid(at, "x", key=f"{key}_grids"), example.x)
    if n in (1, 2, 4, 6, 7, 8):
        assert np.allclose(grid(at, "dx", key=f"{key}_grids"), dx)
    assert at.query_params["lesson"] == str(n)


def test_lesson_tables_show_the_computed_numbers():
    at = run_page(PAGE, query={"lesson": "1"})
    table = at.table[0].value
    assert list(table["dL/dx at the winner"]) == ["1", "-2", "3", "0.5"]
    at = run_page(PAGE, query={"lesson": "6"})
    rules = at.table[0].value
    assert dict(rules["subgradient test"]) == {
        "first": "passes",
        "last": "passes",
        "split": "passes",
        "all": "fails",
        "none": "fails",
    }
    differences = at.table[1].value
    assert set(differences["central"]) == {"0.5"}
    assert [e.value for e in at.error if "'none' is not a subgradient" in e.value]


def test_lesson3_mask_figures():
    at = run_page(PAGE, query={"lesson": "3"})
    mask = heatmap(chart(at, "lesson3_mask"))
    assert mask.sum() == 4 and mask[0, 1] == mask[1, 3] == mask[2, 0] == mask[3, 2] == 1
    _, dx = expected(lessons.LESSONS[2].parts[0].example)
    assert np.array_equal(heatmap(chart(at, "lesson3_product")), dx)
    assert at.success and "equals the backward pass" in at.success[0].value


def test_lesson5_curve_follows_the_chosen_input():
    at = run_page(PAGE, query={"lesson": "5"})
    spec = chart(at, "lesson5_curve")
    kinks = [s["x0"] for s in spec["layout"]["shapes"] if s.get("name") == "kink"]
    assert set(kinks) == {5.0}
    widget(at, "lesson5_input").set_value(1).run()
    spec = chart(at, "lesson5_curve")
    assert {s["x0"] for s in spec["layout"]["shapes"] if s.get("name") == "kink"} == {3.0}


def test_next_previous_and_progress():
    at = run_page(PAGE)
    assert progress_text(at) == "Lesson 1 of 8" and at.query_params["lesson"] == "1"
    assert widget(at, "lesson_prev").disabled
    widget(at, "lesson_next").click().run()
    assert progress_text(at) == "Lesson 2 of 8"
    assert header(at).startswith("2. ")
    assert at.query_params["lesson"] == "2"
    widget(at, "lesson_next").click().run()
    widget(at, "lesson_next").click().run()
    assert progress_text(at) == "Lesson 4 of 8"
    widget(at, "lesson_prev").click().run()
    assert progress_text(at) == "Lesson 3 of 8" and at.query_params["lesson"] == "3"
    assert not at.exception


def test_jump_list_and_last_lesson():
    at = run_page(PAGE)
    widget(at, "lesson_pick").set_value(8).run()
    assert progress_text(at) == "Lesson 8 of 8" and at.query_params["lesson"] == "8"
    assert widget(at, "lesson_next").disabled and not widget(at, "lesson_prev").disabled


@pytest.mark.parametrize(
    ("given", "shown", "says"),
    [
        ("99", 8, "there is no lesson 99"),
        ("0", 1, "there is no lesson 0"),
        ("three", 1, "“three” is not a lesson number"),
        ("9" * 5000, 1, "is not a lesson number"),
    ],
)
def test_a_bad_lesson_number_in_the_link_is_named_and_clamped(given, shown, says):
    at = run_page(PAGE, query={"lesson": given})
    assert not at.exception
    assert progress_text(at) == f"Lesson {shown} of 8"
    assert at.query_params["lesson"] == str(shown)
    assert any("`lesson`" in w.value and says in w.value for w in at.warning)


def test_a_bad_view_parameter_is_named_on_the_lessons_page():
    at = run_page(PAGE, query={"lesson": "2", "k": "abc", "x": "1,2;3"})
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("`k`" in w for w in warnings) and any("`x`" in w for w in warnings)
    assert progress_text(at) == "Lesson 2 of 8"  # the rest of the link is still used
    assert not any("`lesson`" in w for w in warnings)


def test_choosing_an_example_part_changes_the_figures_and_the_link():
    at = run_page(PAGE, query={"lesson": "8"})
    assert grid(at, "dx", key="lesson8_grids").shape == (5, 5)
    assert any(c.value == part_of(8, "padding").note for c in at.caption)
    at.segmented_control(key="lesson8_part").set_value("ceil").run()
    assert at.query_params["part"] == "ceil"
    _, dx = expected(part_of(8, "ceil").example)
    assert np.array_equal(grid(at, "dx", key="lesson8_grids"), dx)
    assert dx[4, 4] == 1
    # Moving to another lesson forgets the part.
    widget(at, "lesson_prev").click().run()
    assert "part" not in at.query_params


@pytest.mark.parametrize(("n", "slug"), ALL_PARTS, ids=[f"{n}-{s}" for n, s in ALL_PARTS])
def test_load_button_sets_the_view_and_the_explorer_shows_it(n, slug):
    at = run_app({"lesson": str(n), "part": slug}, page=PAGE)
    assert not at.exception
    widget(at, "lesson_load").click().run()
    assert not at.exception
    example = part_of(n, slug).example
    view = at.session_state["view"]
    assert np.array_equal(view.x, example.x)
    assert (view.dy is None) == (example.dy is None)
    if example.dy is not None:
        assert np.array_equal(view.dy, example.dy)
    assert view.kernel == example.kernel and view.stride == example.stride
    assert view.padding == example.padding and view.dilation == example.dilation
    assert view.ceil_mode == example.ceil_mode and view.tie_policy == example.tie_policy
    assert view.extra["sel"] == f"{example.focus[0]},{example.focus[1]}"
    # The sidebar widgets were set too, so the next run does not overwrite the view with old settings.
    stride = example.stride or example.kernel
    state = at.session_state
    assert (state["k_h"], state["k_w"], state["s_h"], state["s_w"]) == (*example.kernel, *stride)
    assert (state["p_h"], state["p_w"], state["d_h"], state["d_w"]) == (*example.padding, *example.dilation)
    assert state["stride_same"] is (example.stride is None)
    assert state["ceil"] is example.ceil_mode and state["tie"] == example.tie_policy
    # Landed on the explorer, whose figures show the example.
    assert at.title[0].value == "Max pooling, forward and backward"
    y, dx = expected(example)
    assert np.array_equal(grid(at, "x"), example.x)
    assert np.array_equal(grid(at, "y"), y)
    assert np.allclose(grid(at, "dx"), dx)
    assert linked(at)["sel"] == list(example.focus)


def _load_then_frame():
    """Lesson 7's example loaded by the lessons' callback, then the shared frame (sidebar controls, URL)."""
    import streamlit as st

    from ui import lessons, shell

    example = lessons.LESSONS[6].parts[0].example
    shell.frame(lambda: st.button("load", key="load", on_click=lessons.load_example, args=(example,)))


def test_loaded_example_survives_full_runs_of_the_sidebar():
    # The callback sets the sidebar widgets as well as the view, so the controls, which run on every page and
    # write their values into the view, keep the example instead of restoring the old settings.
    at = AppTest.from_function(_load_then_frame, default_timeout=30).run()
    at.button(key="load").click().run()
    at.run()
    assert not at.exception
    example = part_of(7, "main").example
    view = at.session_state["view"]
    assert view.kernel == (3, 3) and view.stride == (1, 1) and np.array_equal(view.x, example.x)
    assert np.array_equal(view.dy, example.dy)
    assert widget(at, "k_h").value == 3 and widget(at, "stride_same").value is False
    assert widget(at, "s_w").value == 1
    assert at.query_params["k"] == "3" and at.query_params["s"] == "1" and at.query_params["sel"] == "0,1"


def test_lesson_grids_show_what_the_lesson_names_and_do_not_pin_or_edit():
    """The lesson's picture draws only the grids it discusses, with its focus window pinned, hover only."""
    at = run_page(PAGE, query={"lesson": "3"})
    payload = linked(at, "lesson3_grids")
    assert payload["show"] == ["x", "dy"]
    assert payload["pinnable"] is False and payload["editable"] == []
    assert payload["sel"] == list(lessons.LESSONS[2].parts[0].example.focus)
