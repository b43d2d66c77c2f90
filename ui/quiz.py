"""Predict, then reveal: the student marks where dL/dx lands and how much, then sees it cell by cell.

``score`` and ``mistake_notes`` are plain logic; the rest draws the page: the clickable x, the
answer grid, the reveal. Nothing derived from dL/dx reaches the page before the reveal.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import streamlit as st

from figures import format_value, make_grid_figure, selected_cell
from figures.steps import make_verdict_figure, paired_height, verdict_hover
from ui import grids, presentation, share, text
from ui.model import Pooled
from ui.text import md

RTOL, ATOL = 0.01, 0.005
"""An answer counts as right within 1 % of the value or 0.005, so 0.33 is right for 1/3."""

EDITOR = "quiz"  # grids.cell_editor name: its base and revision live under "_quiz_editor_*"
ANSWER = "_quiz_answer"  # the last valid answer grid
REVEALED = "_quiz_revealed"
QUESTION = "_quiz_question"  # what the answer is an answer to; a new question hides the answer again
NEW_VALUES = (0, 5)  # new examples draw integers 0..4: small ranges make ties likely


# --------------------------------------------------------------------------- scoring (plain logic)


@dataclass(frozen=True, eq=False)
class Verdict:
    """The student's answer against the right dL/dx, cell by cell."""

    answer: np.ndarray
    right: np.ndarray
    correct: np.ndarray  # bool, shape of x

    @property
    def n_right(self) -> int:
        return int(self.correct.sum())

    @property
    def n_cells(self) -> int:
        return int(self.correct.size)

    @property
    def blank(self) -> bool:
        """Nothing answered: every cell is 0 while some cell gets gradient.

        Counted cell by cell, such an answer would be "mostly right" (every cell that gets nothing
        matches its 0), so a blank answer is not scored at all.
        """
        return not np.any(self.answer != 0) and bool(np.any(self.right != 0))

    def summary(self) -> str:
        """``"13 of 16 cells right"``, or that there is no answer to score yet."""
        if self.blank:
            return "No answer yet: every cell of your dL/dx is 0"
        return f"{self.n_right} of {self.n_cells} cells right"

    def receivers(self) -> tuple[int, int, int]:
        """(cells found, cells that get gradient, cells marked that get none), counting non-zero values."""
        gets, marked = self.right != 0, self.answer != 0
        return int((gets & marked).sum()), int(gets.sum()), int((marked & ~gets).sum())


def score(answer, right, *, rtol: float = RTOL, atol: float = ATOL) -> Verdict:
    """Compare an answer with the right dL/dx; NaN matches NaN and ±inf match themselves."""
    answer, right = np.asarray(answer, dtype=float), np.asarray(right, dtype=float)
    if answer.shape != right.shape:
        raise ValueError(f"the answer has shape {answer.shape}; it must have x's shape {right.shape}")
    correct = np.isclose(answer, right, rtol=rtol, atol=atol, equal_nan=True)
    return Verdict(answer=answer, right=right, correct=correct)


def mistake_notes(verdict: Verdict, contributions: dict) -> list[str]:
    """One sentence per wrong cell: what was written, what is right, and where the right value comes from."""
    notes = []
    for r, c in zip(*np.nonzero(~verdict.correct)):
        r, c = int(r), int(c)
        parts = contributions.get((r, c), [])
        if parts:
            sums = " + ".join(
                f"{format_value(q.amount) if n == 0 else text.plain_term(q.amount)} from y[{q.output_cell[0]}, "
                f"{q.output_cell[1]}]"
                for n, q in enumerate(parts)
            )
            why = f"it gets {sums}" + (f" = {format_value(verdict.right[r, c])}" if len(parts) > 1 else "")
        else:
            why = "no window sends it anything, so it gets 0"
        notes.append(f"dL/dx[{r}, {c}]: you wrote {format_value(verdict.answer[r, c])}; {why}.")
    return notes


def question_of(p: Pooled) -> tuple:
    """What identifies a question: x, dL/dy, the window and the tie rule."""
    return (p.x.shape, p.x.tobytes(), p.dy.shape, p.dy.tobytes(), p.window, p.tie_policy)


# --------------------------------------------------------------------------- the answer (session state)


def _set_answer(grid: np.ndarray) -> None:
    """Replace the answer from outside its grid editor: a new base and a fresh editor.

    Not ``grids.set_grid``, which also writes the grid into the view (the answer is not part of it).
    """
    grid = np.array(grid, dtype=np.float64)
    st.session_state[ANSWER] = grid
    grids.reset_editor(EDITOR, grid)


def reset_answer(grid: np.ndarray) -> None:
    """Start the answer over (a new question from outside the page, e.g. the graded sequence)."""
    _set_answer(grid)
    st.session_state[REVEALED] = False


def current_answer(shape: tuple[int, int]) -> np.ndarray:
    """The last valid answer, or zeros when there is none for this shape."""
    answer = st.session_state.get(ANSWER)
    if answer is None or answer.shape != tuple(shape):
        answer = np.zeros(shape)
        _set_answer(answer)
    return answer


def start_question(p: Pooled) -> None:
    """A new question (x, dL/dy, window or tie rule changed) hides the answer again."""
    question = question_of(p)
    if st.session_state.get(QUESTION) != question:
        st.session_state[QUESTION] = question
        st.session_state[REVEALED] = False
    current_answer(p.x.shape)


def _new_example(shape: tuple[int, int]) -> None:
    x = np.random.default_rng().integers(*NEW_VALUES, size=shape).astype(np.float64)
    grids.set_grid("x", x)
    _set_answer(np.zeros(shape))
    st.session_state[REVEALED] = False


def _clear(shape: tuple[int, int]) -> None:
    _set_answer(np.zeros(shape))


def _reveal(on: bool) -> None:
    st.session_state[REVEALED] = on


def _toggle_cell(chart_key: str) -> None:
    """A click on a cell of x marks it with 1, or unmarks it (0) if it already holds something."""
    if chart_key != f"quiz_x_chart_{grids.editor_revision(EDITOR)}":
        # An earlier chart's click, sent again by the browser on a later run (seen with a timer fragment
        # on the page, as in class mode): it was counted when it happened, so it must not toggle back.
        return
    cell = selected_cell(st.session_state.get(chart_key))
    answer = st.session_state.get(ANSWER)
    if cell is None or answer is None or not (0 <= cell[0] < answer.shape[0] and 0 <= cell[1] < answer.shape[1]):
        return
    answer = answer.copy()
    answer[cell] = 0.0 if answer[cell] != 0 else 1.0
    _set_answer(answer)


# --------------------------------------------------------------------------- the page's panels


def action_buttons(p: Pooled) -> None:
    """New example, clear the answer, and reveal (or hide again)."""
    shape = p.x.shape
    # Wide enough for "Clear my answer" with its icon at 1280 px (narrower columns cut it off).
    columns = st.columns([1.4, 1.6, 1.3, 2.7], vertical_alignment="bottom")
    columns[0].button(
        "New example",
        key="quiz_new",
        icon=":material/casino:",
        on_click=_new_example,
        args=(shape,),
        width="stretch",
        help=f"A new random x of the same size, integers {NEW_VALUES[0]} to {NEW_VALUES[1] - 1} (ties are likely)",
    )
    columns[1].button(
        "Clear my answer",
        key="quiz_clear",
        icon=":material/backspace:",
        on_click=_clear,
        args=(shape,),
        width="stretch",
    )
    if st.session_state.get(REVEALED):
        columns[2].button(
            "Hide again",
            key="quiz_hide",
            icon=":material/visibility_off:",
            on_click=_reveal,
            args=(False,),
            width="stretch",
        )
    else:
        columns[2].button(
            "Reveal",
            key="quiz_reveal",
            icon=":material/visibility:",
            type="primary",
            on_click=_reveal,
            args=(True,),
            width="stretch",
        )
    columns[3].caption(
        f"Tie rule: **{p.tie_policy}** (change it in the sidebar; the answer follows it). "
        f"Window: {p.window.describe()}."
    )


def question_columns(p: Pooled) -> list:
    """Columns for x, dL/dy and the answer grid, in proportion to the pixels each one's grid wants."""
    geom = p.geometry
    x_px = (geom.in_shape[1] + 2 * geom.padding[1]) * 46 + 90  # cells plus axis and colour bar
    dy_px = max(geom.out_shape[1] * 46 + 90, x_px / 2)
    # The table's columns are 60 px wide up to 8 columns and 44 px beyond (ui.grids.cell_editor).
    table_px = (geom.in_shape[1] + 1) * (60 if geom.in_shape[1] <= 8 else 44) + 20
    if table_px <= 420:
        return st.columns([x_px, dy_px, table_px], gap="medium")
    # A wide table goes under the figures, where it has the page's width.
    x_column, dy_column = st.columns([x_px, dy_px], gap="medium")
    return [x_column, dy_column, st.container()]


def x_panel(p: Pooled, answer: np.ndarray) -> None:
    """x to click, the student's marks badged; no trace of dL/dx (no winners, no win counts, no sums)."""
    geom = p.geometry
    H_out, W_out = p.y.shape
    scale = presentation.font_scale()
    marks = np.empty(p.x.shape, dtype=object)
    for (r, c), v in np.ndenumerate(answer):
        marks[r, c] = f"your dL/dx: {format_value(v)}" + (" · click to unmark" if v != 0 else " · click to mark")
    x_fig = make_grid_figure(
        p.x,
        name="x",
        title="x · click the cells that get gradient",
        winner_mask=answer != 0,
        window_cells=[geom.window_cells(a, b) for a in range(H_out) for b in range(W_out)],
        padding=geom.padding,
        extra_hover=marks,
        selectable=True,
        font_scale=scale,
        height=paired_height(geom.in_shape, geom.padding, scale),
    )
    # A fresh chart after each change, so clicking the same cell again is a new click.
    key = f"quiz_x_chart_{grids.editor_revision(EDITOR)}"
    st.plotly_chart(
        x_fig,
        key=key,
        on_select=functools.partial(_toggle_cell, key),
        selection_mode="points",
        config={"displayModeBar": False},
    )
    st.caption(
        "◥ (a black corner) marks the cells you gave gradient. Clicking a cell sets it to 1 (or back to 0); type other "
        "amounts in the table."
    )


def dy_panel(p: Pooled) -> None:
    """dL/dy, which the student needs for the amounts."""
    geom = p.geometry
    scale = presentation.font_scale()
    dy_fig = make_grid_figure(
        p.dy,
        name="dL/dy",
        kind="gradient",
        title="dL/dy",
        font_scale=scale,
        height=paired_height(geom.in_shape, geom.padding, scale),
    )
    st.plotly_chart(dy_fig, key="quiz_dy_chart", config={"displayModeBar": False})


def answer_editor(p: Pooled) -> np.ndarray:
    """The answer as an editable grid; a bad cell gets a message here and the last valid answer is kept."""
    answer = current_answer(p.x.shape)
    st.markdown("**Your dL/dx** (one number per cell of x; cells that get nothing stay 0)")
    edited, problems = grids.cell_editor(EDITOR, answer, label="your dL/dx")
    if problems:
        for problem in problems[:5]:
            st.error(md(problem), icon="⚠️")
        st.caption("Scoring uses your last answer that was all numbers.")
        return answer
    if not np.array_equal(edited, answer, equal_nan=True):
        st.session_state[ANSWER] = edited
    return edited


def reveal_panel(p: Pooled, answer: np.ndarray) -> None:
    """The score, both grids with ✓ / ✗ on every cell, and a sentence per mistake."""
    verdict = score(answer, p.dx)
    found, receiving, extra = verdict.receivers()
    headline = f"{verdict.summary()}."
    details = f"You gave gradient to {found} of the {receiving} cells that get some"
    if extra:
        details += f", and to {extra} {'cell that gets' if extra == 1 else 'cells that get'} none"
    details += "."
    if verdict.blank:
        details = (
            f"Nothing is scored: {receiving} {'cell gets' if receiving == 1 else 'cells get'} gradient here. "
            "Mark them (click x or type in the table) and reveal again; the right answer is below."
        )
        st.warning(f"{headline} {details}", icon="✍️")
    elif verdict.n_right == verdict.n_cells:
        st.success(f"{headline} {details}", icon="🎉")
    else:
        st.warning(f"{headline} {details}", icon="✍️")
    notice = text.tie_notice(p)
    if notice:
        st.info(notice, icon="⚖️")
    scale = presentation.font_scale()
    geom = p.geometry
    size = dict(height=paired_height(geom.in_shape, geom.padding, scale))
    both = np.concatenate([answer.ravel(), p.dx.ravel()])
    finite = np.abs(both[np.isfinite(both)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    hover = verdict_hover(answer, p.dx)
    yours = make_verdict_figure(
        answer,
        verdict.correct,
        name="your dL/dx",
        title="Your answer: ✓ right, ✗ wrong",
        hover_lines=hover,
        color_limit=limit,
        padding=geom.padding,
        font_scale=scale,
        **size,
    )
    right = make_verdict_figure(
        p.dx,
        verdict.correct,
        name="dL/dx",
        title="dL/dx: the right answer",
        hover_lines=hover,
        color_limit=limit,
        winner_mask=p.win_counts > 0,
        tie_mask=p.tied_cells,
        padding=geom.padding,
        font_scale=scale,
        **size,
    )
    left, right_col = st.columns(2)
    with left:
        st.plotly_chart(yours, key="quiz_yours_chart", config={"displayModeBar": False})
    with right_col:
        st.plotly_chart(right, key="quiz_right_chart", config={"displayModeBar": False})
    notes = mistake_notes(verdict, p.contributions)
    if notes:
        st.markdown("**Where it went wrong**")
        shown = notes[:12]
        st.markdown("\n".join(f"- :red[:material/close:] {note}" for note in shown))
        if len(notes) > len(shown):
            st.caption(f"… and {len(notes) - len(shown)} more wrong cells (hover the grids to see each).")


def revealed() -> bool:
    return bool(st.session_state.get(REVEALED))


def share_note() -> None:
    """The link holds the question (x, dL/dy, window, tie rule), never the answer."""
    st.caption("Share this question: the link holds x, dL/dy, the window and the tie rule, not the answer.")
    share.link_box()
