"""The quiz: scoring on hand-checked cases with ties, and the page hiding, then revealing, dL/dx."""

from __future__ import annotations

import json

import numpy as np
import pytest

import pooling
from tests.apptest_util import chart, grid, heatmap, linked, plain, run_page, widget
from ui.quiz import mistake_notes, score

PAGE = "pages/quiz.py"
# Kernel 2, stride 2, and every window ties:
#   (0,0) [[1,3],[3,0]]: 3 at x[0,1], x[1,0]      (0,1) [[2,2],[1,0]]: 2 at x[0,2], x[0,3]
#   (1,0) [[4,4],[0,4]]: 4 at x[2,0], x[2,1], x[3,1]   (1,1) [[5,1],[1,5]]: 5 at x[2,2], x[3,3]
TIES = "1,3,2,2;3,0,1,0;4,4,5,1;0,4,1,5"
TIES_X = np.array([[1, 3, 2, 2], [3, 0, 1, 0], [4, 4, 5, 1], [0, 4, 1, 5]], dtype=float)
# Under "first" the first maximum in reading order of each window gets its dL/dy = 1.
FIRST = np.zeros((4, 4))
FIRST[0, 1] = FIRST[0, 2] = FIRST[2, 0] = FIRST[2, 2] = 1
# A student who picks x[1,0] instead of x[0,1] in the first window, and gets the rest right.
STUDENT = np.zeros((4, 4))
STUDENT[1, 0] = STUDENT[0, 2] = STUDENT[2, 0] = STUDENT[2, 2] = 1


# --- scoring (plain logic) ---------------------------------------------------------------------


def test_score_counts_cells_on_a_tie_case():
    res = pooling.max_pool2d(TIES_X, 2)
    right = pooling.max_pool2d_backward(np.ones((2, 2)), res, "first")
    assert np.array_equal(right, FIRST)  # the hand-worked answer above
    verdict = score(STUDENT, right)
    assert verdict.summary() == "14 of 16 cells right"
    assert {tuple(map(int, c)) for c in np.argwhere(~verdict.correct)} == {(0, 1), (1, 0)}
    assert verdict.receivers() == (3, 4, 1)  # found 3 of the 4 receiving cells, 1 extra
    notes = mistake_notes(verdict, pooling.contributions(np.ones((2, 2)), res, "first"))
    assert notes == [
        "dL/dx[0, 1]: you wrote 0; it gets 1 from y[0, 0].",
        "dL/dx[1, 0]: you wrote 1; no window sends it anything, so it gets 0.",
    ]


def test_score_under_split_accepts_rounded_thirds():
    res = pooling.max_pool2d(TIES_X, 2)
    right = pooling.max_pool2d_backward(np.ones((2, 2)), res, "split")
    answer = np.zeros((4, 4))
    answer[[0, 1, 0, 0, 2, 3], [1, 0, 2, 3, 2, 3]] = 0.5
    answer[[2, 2, 3], [0, 1, 1]] = 0.33  # 1/3 to two decimals counts as right
    assert score(answer, right).summary() == "16 of 16 cells right"
    answer[3, 1] = 0.3  # too far from 1/3
    assert score(answer, right).summary() == "15 of 16 cells right"


def test_score_edge_values_and_shapes():
    assert score([[np.nan, np.inf, -np.inf]], [[np.nan, np.inf, -np.inf]]).n_right == 3
    assert score([[0.0]], [[np.nan]]).n_right == 0
    with pytest.raises(ValueError, match="must have x's shape"):
        score(np.zeros((2, 2)), np.zeros((3, 3)))


def test_overlapping_windows_add_up_in_the_notes():
    # semantics.md: [0, 5, 1, 0], kernel 3, stride 1: x[0, 1] wins both windows and gets 2.
    res = pooling.max_pool2d(np.array([[0.0, 5.0, 1.0, 0.0]]), (1, 3), stride=1)
    right = pooling.max_pool2d_backward(np.ones((1, 2)), res)
    verdict = score([[0.0, 1.0, 0.0, 0.0]], right)
    assert verdict.summary() == "3 of 4 cells right"
    assert mistake_notes(verdict, pooling.contributions(np.ones((1, 2)), res)) == [
        "dL/dx[0, 1]: you wrote 1; it gets 1 from y[0, 0] + 1 from y[0, 1] = 2."
    ]


# --- the page ------------------------------------------------------------------------------------


def open_quiz(query=None):
    at = run_page(PAGE, {"x": TIES, "k": "2", **(query or {})})
    assert not at.exception
    return at


def type_answer(at, answer: np.ndarray):
    """Type a whole answer into the quiz's grid, as the editor's edit state (what the browser sends)."""
    key = f"quiz_editor_{at.session_state['_quiz_editor_revision']}"
    rows = {r: {str(c): str(answer[r, c]) for c in range(answer.shape[1])} for r in range(answer.shape[0])}
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def chart_keys(at) -> list[str]:
    return [e.proto.id.rsplit("-", 1)[-1] for e in at.get("plotly_chart")]


def revealed_picture(at) -> bool:
    """Whether the reveal's linked picture (key quiz_linked) is on the page."""
    try:
        linked(at, "quiz_linked")
    except KeyError:
        return False
    return True


def page_text(at) -> str:
    """Everything the page shows as text, to look for leaks."""
    kinds = ("markdown", "caption", "info", "warning", "success", "latex", "error")
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def test_before_the_reveal_nothing_about_dx_is_on_the_page():
    at = open_quiz()
    assert not revealed_picture(at)  # the reveal's picture carries dL/dx: it comes with the reveal only
    assert chart_keys(at) == []  # the question is one linked picture, x and dL/dy
    question = linked(at, "quiz_x_linked")
    assert question["show"] == ["x", "dy"] and question["clickable"] == ["x"]
    assert np.array_equal(grid(at, "x", "quiz_x_linked"), TIES_X)
    assert np.array_equal(grid(at, "dy", "quiz_x_linked"), np.ones((2, 2)))
    # Nothing derived from pooling's answer: no winner, tie, receiver or win count; y and dL/dx withheld.
    assert question["indices"] == [-1] * 4 and question["ties"] == [[]] * 4
    assert question["receivers"] == [[]] * 4 and not any(question["win_counts"])
    assert question["window_state"] == [0] * 4
    assert set(question["grids"]["dx"]["v"]) == {"nan"} and set(question["grids"]["y"]["v"]) == {"nan"}
    assert set(question["grids"]["dx"]["text"]) == {""} and question["grids"]["x"]["marks"] == []
    shown = page_text(at)
    for leak in ("gets 1", "tie right now", "windows tie", "cells right", "right answer", "✓", "✗"):
        assert leak not in shown
    # Every tooltip note on x is the student's own answer.
    assert question["grids"]["x"]["notes"][0] == "your dL/dx: 0 · click to mark"


def test_reveal_scores_cell_by_cell_with_a_tie():
    at = type_answer(open_quiz(), STUDENT)
    # The typed answer is badged on the question's x.
    assert linked(at, "quiz_x_linked")["grids"]["x"]["marks"] == np.flatnonzero(STUDENT).tolist()
    at = widget(at, "quiz_reveal").click().run()
    assert not at.exception
    assert at.warning[0].value.startswith("14 of 16 cells right.")
    assert "4 windows tie right now" in at.info[0].value
    # The linked picture: the right dL/dx, the four grids of the view, the student's cells badged.
    picture = linked(at, "quiz_linked")
    assert picture["show"] == ["x", "y", "dy", "dx"]
    assert np.array_equal(grid(at, "dx", "quiz_linked"), FIRST)
    assert np.array_equal(grid(at, "x", "quiz_linked"), TIES_X)
    assert picture["grids"]["dx"]["marks"] == np.flatnonzero(STUDENT).tolist()
    notes = np.array(picture["grids"]["dx"]["notes"]).reshape(4, 4)
    wrong = {(int(r), int(c)) for r, c in zip(*np.nonzero(np.char.endswith(notes.astype(str), "✗ wrong")))}
    assert wrong == {(0, 1), (1, 0)}  # STUDENT and FIRST differ exactly there
    assert notes[1, 0] == "you wrote 1 here: ✗ wrong" and notes[0, 2] == "you wrote 1 here: ✓ right"
    assert picture["editable"] == [] and picture["pinnable"] is False
    assert np.array_equal(heatmap(chart(at, "quiz_yours_chart")), STUDENT)
    notes = " ".join(m.value for m in at.markdown)
    assert "dL/dx[0, 1]: you wrote 0; it gets 1 from y[0, 0]." in notes
    assert "dL/dx[1, 0]: you wrote 1; no window sends it anything, so it gets 0." in notes
    # Hide again puts the answer away.
    at = widget(at, "quiz_hide").click().run()
    assert not revealed_picture(at) and "quiz_yours_chart" not in chart_keys(at)


def test_the_answer_follows_the_tie_rule_and_a_new_rule_hides_it_again():
    at = type_answer(open_quiz(), STUDENT)
    at = widget(at, "quiz_reveal").click().run()
    at = widget(at, "tie").set_value("split").run()
    assert not at.exception
    assert not revealed_picture(at)  # a new question: hidden again
    at = widget(at, "quiz_reveal").click().run()
    split = pooling.max_pool2d_backward(np.ones((2, 2)), pooling.max_pool2d(TIES_X, 2), "split")
    assert np.allclose(grid(at, "dx", "quiz_linked"), split)
    assert linked(at, "quiz_linked")["tie_policy"] == "split"
    n_right = int(np.isclose(STUDENT, split).sum())  # counted here without ui.quiz
    assert n_right == 7  # every tied maximum now gets a share: only the 7 cells that get nothing are right
    assert at.warning[0].value.startswith(f"{n_right} of 16 cells right.")


def test_a_bad_cell_gets_a_message_and_the_last_answer_is_kept():
    at = type_answer(open_quiz(), STUDENT)
    key = f"quiz_editor_{at.session_state['_quiz_editor_revision']}"
    at.session_state[key] = {"edited_rows": {0: {"0": "abc"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert any("your dL/dx[0, 0]" in plain(e.value) and "not a number" in e.value for e in at.error)
    at = widget(at, "quiz_reveal").click().run()
    assert at.warning[0].value.startswith("14 of 16 cells right.")  # the last valid answer


def test_new_example_and_clear_start_over():
    at = type_answer(open_quiz(), STUDENT)
    at = widget(at, "quiz_reveal").click().run()
    at = widget(at, "quiz_new").click().run()
    assert not at.exception
    x = np.array([[float(v) for v in row.split(",")] for row in at.query_params["x"].split(";")])
    assert x.shape == (4, 4) and ((x >= 0) & (x <= 4)).all() and np.array_equal(x, np.round(x))
    assert not revealed_picture(at)
    assert not at.session_state["_quiz_answer"].any()
    at = type_answer(at, STUDENT)
    assert at.session_state["_quiz_answer"].sum() == 4
    at = widget(at, "quiz_clear").click().run()
    assert not at.session_state["_quiz_answer"].any()


def test_the_link_holds_the_question_but_never_the_answer():
    at = type_answer(open_quiz({"tie": "last"}), STUDENT)
    at = widget(at, "quiz_reveal").click().run()
    params = dict(at.query_params)
    assert params["x"] == TIES and params["tie"] == "last"
    assert not any("quiz" in key or "answer" in key for key in params)
    assert json.dumps(params).count("1,0,1,0") == 0  # no answer grid written into the link
