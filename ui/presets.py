"""One-click starting points for the Explorer, one per point the page teaches: the winner takes the gradient
(Basic), a tie needs a rule (Tie), overlapping windows add up (Overlap).

Each preset is a lessons ``Example`` (x, window, dL/dy, tie rule, the window to select), loaded through the
same callback as a lesson's "Open in the explorer" button, so the sidebar and the link follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui import grids, lessons, state
from ui.codec import DEFAULT_STRIDE, DEFAULT_X
from ui.lessons import Example


@dataclass(frozen=True)
class Preset:
    label: str
    example: Example
    point: str
    """The one sentence the preset is there to show."""


PRESETS: dict[str, Preset] = {
    "basic": Preset(
        "Basic",
        # Every window has one clear maximum (4, 5, 6, 3); dL/dy differs per window so each amount is traceable.
        Example([[1, 3, 2, 1], [4, 0, 1, 5], [2, 1, 0, 3], [0, 6, 2, 1]], (2, 2), dy=[[1, -2], [3, 0.5]]),
        "Each window's largest value wins; only the winner receives that window's dL/dy.",
    ),
    "tie": Preset(
        "Tie",
        # Window (0, 0) is [[1, 3], [3, 0]]: 3 twice. The other three windows have one maximum each.
        Example([[1, 3, 2, 4], [3, 0, 1, 0], [4, 1, 0, 2], [0, 2, 5, 1]], (2, 2), dy=[[2, 1], [1, 1]]),
        "Window (0, 0) holds its maximum 3 twice: the tie rule in the sidebar decides who gets its dL/dy = 2.",
    ),
    "overlap": Preset(
        "Overlap",
        # Kernel 3, stride 1: the four windows overlap, and the 9 at x[1, 1] lies in all of them.
        Example(
            [[1, 2, 0, 1], [3, 9, 2, 0], [1, 2, 4, 1], [0, 1, 2, 10]],
            (3, 3),
            stride=(1, 1),
            dy=[[1, 2], [-1, 0.5]],
            focus=(0, 1),
        ),
        "With stride 1 the 3×3 windows overlap: x[1, 1] wins three of them and receives the sum of their dL/dy.",
    ),
}


def _load(name: str) -> None:
    lessons.load_example(PRESETS[name].example)
    st.session_state["_preset"] = name


def preset_buttons() -> None:
    """A row of preset buttons; after a click, the preset's sentence under them."""
    columns = st.columns([1, 1, 1, 4], vertical_alignment="center")
    for column, (name, preset) in zip(columns, PRESETS.items()):
        column.button(preset.label, key=f"preset_{name}", on_click=_load, args=(name,), width="stretch")
    chosen = st.session_state.get("_preset")
    # The sentence stays while x is the preset's; after an edit it would describe another grid.
    if chosen and np.array_equal(state.view().x, PRESETS[chosen].example.x):
        columns[3].markdown(PRESETS[chosen].point)
    else:
        columns[3].caption("Start from an example that shows one point: a winner, a tie, or overlapping windows.")


# --------------------------------------------------------------------------- the quiz's graded sequence

QUIZ_SEQUENCE = ("basic", "tie", "overlap")
"""The quiz's questions in order: a winner per window, then a tie (the rule decides), then overlap (sums)."""
QUIZ_LABELS = {"basic": "1 · one winner", "tie": "2 · a tie", "overlap": "3 · overlapping windows"}
QUIZ_OPENED = "_quiz_sequence_opened"


def _is_default_view() -> bool:
    v = state.view()
    return (
        np.array_equal(v.x, DEFAULT_X)
        and v.dy is None
        and v.kernel == (2, 2)
        and v.stride == DEFAULT_STRIDE
        and v.padding == (0, 0)
        and v.dilation == (1, 1)
        and not v.ceil_mode
        and v.tie_policy == "first"
    )


def open_quiz_on_question_one() -> None:
    """On the session's first quiz visit, an untouched default view becomes question 1.

    x and dL/dy change here, before their editors are drawn. Question 1's windows do not overlap (the
    default stride does), so its stride goes into the view too; the sidebar's stride widgets, drawn
    already in this run, are dropped and the run starts again, so they take the view's stride. A view the
    user edited or linked is kept: it is then "your own" question.
    """
    if st.session_state.get(QUIZ_OPENED):
        return
    st.session_state[QUIZ_OPENED] = True
    if not _is_default_view() or state.opened_with_link():
        return
    example = PRESETS[QUIZ_SEQUENCE[0]].example
    grids.set_grid("x", example.x)
    grids.set_grid("dy", example.dy)
    state.set_extra(sel=None)
    if example.kernel != state.view().kernel or example.stride != state.view().stride:
        state.update(kernel=example.kernel, stride=example.stride)
        for key in ("k_h", "k_w", "stride_same", "s_h", "s_w"):
            st.session_state.pop(key, None)
        st.rerun()


def _load_question(name: str, reset_answer) -> None:
    lessons.load_example(PRESETS[name].example)
    reset_answer(np.zeros(PRESETS[name].example.x.shape))


def current_question() -> str | None:
    """Which question of the sequence is on screen (x, dL/dy, window and tie rule all match), or None."""
    v = state.view()
    for name in QUIZ_SEQUENCE:
        e = PRESETS[name].example
        dy_same = v.dy is not None and e.dy is not None and np.array_equal(v.dy, e.dy)
        if (
            np.array_equal(v.x, e.x)
            and dy_same
            and v.kernel == e.kernel
            and (v.stride or v.kernel) == (e.stride or e.kernel)
            and v.padding == e.padding
            and v.dilation == e.dilation
            and v.ceil_mode == e.ceil_mode
        ):
            return name
    return None


def quiz_sequence(reset_answer) -> None:
    """Buttons for the three graded questions; the current one is highlighted, and its point named after the reveal.

    ``reset_answer(grid)`` clears the student's answer when a question is loaded.
    """
    now = current_question()
    columns = st.columns([1, 1, 1.3], vertical_alignment="center")
    for column, name in zip(columns, QUIZ_SEQUENCE):
        column.button(
            QUIZ_LABELS[name],
            key=f"quiz_question_{name}",
            on_click=_load_question,
            args=(name, reset_answer),
            type="primary" if name == now else "secondary",
            width="stretch",
        )
    if now is None:
        st.caption("Your own question: the Explorer's x, dL/dy, window and tie rule.")
