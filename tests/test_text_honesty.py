"""Sentences the app prints that must be true and read right: ceil mode's rule, tie rules, sums with negatives."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import pooling
from ui import controls, lessons, text
from ui.matrix import _case, column_equations, row_equation
from ui.model import Window, pooled_from
from ui.quiz import mistake_notes, score
from ui.steps import adding_up_sentence, plan_steps

ROOT = Path(__file__).resolve().parents[1]


def _sources() -> str:
    return "\n".join(p.read_text() for d in ("ui", "figures", "pages") for p in sorted((ROOT / d).glob("*.py")))


def test_ceil_mode_texts_name_the_right_and_bottom_padding():
    # PyTorch's rule (semantics.md, pooling/geometry.py): the last window may not START in the right padding.
    # A window may start in the left/top padding: the lesson's padding example (k3, s2, p1) starts at row -1.
    help_text = controls.sidebar_controls.__code__.co_consts
    ceil_help = next(c for c in help_text if isinstance(c, str) and "partial window" in c)
    assert "bottom/right padding" in ceil_help and "top/left padding" in ceil_help
    # The rule the text states, checked on the core: 5 cells, k2 s2 p1, ceil. A 4th window would start at
    # padded position 6 = 5 + 1, i.e. in the right padding, so PyTorch drops it; the first window starts at -1.
    g = pooling.pool_geometry((5, 5), 2, stride=2, padding=1, ceil_mode=True)
    assert g.out_shape == (3, 3)  # floor((5 + 2 - 1 - 1 + 1) / 2) + 1 = 4, minus the window in the padding
    lesson = next(les for les in lessons.LESSONS if les.title == "Padding, dilation and ceil mode")
    words = " ".join(lesson.paragraphs)
    assert "never starts in the padding" not in words
    assert "top or left padding" in words and "bottom or" in words


def test_no_sentence_overclaims():
    src = _sources()
    for wrong in (
        "Every framework's max pooling",  # old Theano CPU pooling gave every tied cell the gradient
        "every other cell of the window receives 0",  # not where windows overlap
        "the others get 0",
        "never one that starts in the padding",
        "window never starts in the padding",
    ):
        assert wrong not in src, wrong
    # "Σ dL/dx = 5 · Σ dL/dy = 4" reads as a product.
    assert not re.search(r"Σ dL/dx = \{[^}]*\} · Σ", src)
    assert "Theano" in controls.TIE_HELP["first"] and "Theano" in controls.TIE_HELP["all"]


def test_helpers_bracket_negative_terms():
    assert text.latex_factor(-1.0) == "(-1)" and text.latex_factor(2.0) == "2"
    assert text.plain_term(-1.0) == "(-1)" and text.plain_term(0.5) == "0.5"
    assert text.plain_sum([3.0, -1.0, 2.0]) == "3 + (-1) + 2"
    assert text.plain_sum([-1.0, 2.0]) == "-1 + 2"  # a leading minus reads fine


def test_window_math_brackets_a_negative_upstream_gradient():
    x = np.array([[1.0, 3.0], [0.0, 2.0]])
    res = pooling.max_pool2d(x, 2)
    p = pooled_from(res, Window((2, 2), (2, 2), (0, 0), (1, 1), False), np.array([[-1.0]]), "first")
    lines = text.window_math(p, 0, 0)
    assert r"1 \cdot (-1) = -1" in lines[-1]  # by hand: the winner 3 gets 1 · (−1)
    assert r"\cdot -" not in " ".join(lines)


def test_step_and_quiz_sentences_bracket_negatives():
    # [0, 0, 5, 0, 0], kernel 3, stride 1: the three windows (0..2), (1..3), (2..4) are all won by x[0, 2].
    # dL/dy = [3, -1, 2]: by hand x[0, 2] gets 3 + (-1) + 2 = 4.
    res = pooling.max_pool2d(np.array([[0.0, 0.0, 5.0, 0.0, 0.0]]), (1, 3), stride=1)
    dy = np.array([[3.0, -1.0, 2.0]])
    plan = plan_steps(res, dy, "first")
    sentence = adding_up_sentence(plan.step(5), plan.received(3))  # steps 3..5 are the backward of windows 0..2
    assert sentence == (
        "Overlap: x[0, 2] already held 3 + (-1) from y[0, 0], y[0, 1]; now it holds 4 (3 windows add up)."
    )
    right = pooling.max_pool2d_backward(dy, res)
    assert right[0, 2] == 4.0
    notes = mistake_notes(score([[0.0, 0.0, 0.0, 0.0, 0.0]], right), pooling.contributions(dy, res))
    assert notes == ["dL/dx[0, 2]: you wrote 0; it gets 3 from y[0, 0] + (-1) from y[0, 1] + 2 from y[0, 2] = 4."]


def test_matrix_products_bracket_negatives():
    x = np.array([[-2.0, -5.0, -1.0, -3.0]])
    dy = np.array([[-1.0, 4.0]])
    case = _case(x, dy, Window((1, 2), (1, 2), (0, 0), (1, 1), False), "first", True)
    assert r"1 \cdot (-2)" in row_equation(case, 0)  # y0 = max(-2, -5) = -2, read from x0
    lines, _ = column_equations(case, 0)
    assert any(r"1 \cdot (-1)" in line for line in lines)  # x0 gets 1 · dL/dy0 = 1 · (−1)
    for line in [row_equation(case, 0), *lines]:
        assert r"\cdot -" not in line
