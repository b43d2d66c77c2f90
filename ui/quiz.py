"""Predict, then reveal: the student marks where dL/dx lands and how much, then sees it cell by cell.

``score`` and ``mistake_notes`` are plain logic; the rest draws the page: the clickable x, the
answer grid, the reveal. Nothing derived from dL/dx reaches the page before the reveal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from figures import format_value
from figures.steps import make_verdict_figure, paired_height, verdict_hover
from ui import grids, linked, presentation, share, text
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
    """Columns for the question's picture (x and dL/dy) and the answer grid, in proportion to what each wants."""
    geom = p.geometry
    x_px = (geom.in_shape[1] + 2 * geom.padding[1]) * 46 + 60  # cells plus axis labels
    picture_px = x_px + max(geom.out_shape[1] * 46 + 60, x_px / 2)
    # The table's columns are 60 px wide up to 8 columns and 44 px beyond (ui.grids.cell_editor).
    table_px = (geom.in_shape[1] + 1) * (60 if geom.in_shape[1] <= 8 else 44) + 20
    if table_px <= 420:
        return st.columns([picture_px, table_px], gap="medium")
    # A wide table goes under the picture, where it has the page's width.
    return [st.container(), st.container()]


QUESTION_KEY = "quiz_x_linked"  # the question's linked picture of x and dL/dy (ui/linked.py)


def question_picture(p: Pooled, answer: np.ndarray) -> dict:
    """Keyword arguments for the question's linked picture: x and dL/dy, with nothing that gives dL/dx away.

    No window counts as pooled, so the payload holds no winner, tie, receiver or win count, and y
    and dL/dx are withheld cell by cell. Hovering still follows the windows (their cells are
    geometry, not the answer), and the student's marks are badged on x.
    """
    notes = np.empty(p.x.shape, dtype=object)
    for (r, c), v in np.ndenumerate(answer):
        notes[r, c] = f"your dL/dx: {format_value(v)}" + (" · click to unmark" if v != 0 else " · click to mark")
    return {
        "show": ("x", "dy"),
        "titles": {"x": "x · click the cells that get gradient", "dy": "dL/dy"},
        "pooled_windows": np.zeros(p.y.shape, dtype=bool),
        "pending": {"y": np.ones(p.y.shape, dtype=bool), "dx": np.ones(p.x.shape, dtype=bool)},
        "marks": {"x": answer != 0},
        "notes": {"x": notes},
        "clickable": ("x",),
        "help_text": (
            "◢ and a dashed outline mark the cells you gave gradient. Click a cell of x to set it to 1 (or back "
            "to 0); type other amounts in the table. Hover dL/dy to see its window in x."
        ),
    }


def _on_x_cell(grid: str, cell: tuple[int, int]) -> None:
    """A click on a cell of x marks it with 1, or unmarks it (0) if it already holds something."""
    answer = st.session_state.get(ANSWER)
    if grid != "x" or answer is None or not (0 <= cell[0] < answer.shape[0] and 0 <= cell[1] < answer.shape[1]):
        return
    answer = answer.copy()
    answer[cell] = 0.0 if answer[cell] != 0 else 1.0
    _set_answer(answer)


def x_panel(p: Pooled, answer: np.ndarray) -> None:
    """x to click and dL/dy as one linked picture, the student's marks badged; no trace of dL/dx."""
    linked.linked_grids(
        p,
        None,
        key=QUESTION_KEY,
        editable=(),
        pinnable=False,
        font_scale=presentation.font_scale(),
        on_cell=_on_x_cell,
        **question_picture(p, answer),
    )


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
    """The score, the linked picture with the right dL/dx (the student's cells badged), the student's grid
    with ✓ / ✗ on every cell, and a sentence per mistake."""
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
    reveal_picture(p, answer, verdict)
    scale = presentation.font_scale()
    geom = p.geometry
    both = np.concatenate([answer.ravel(), p.dx.ravel()])
    finite = np.abs(both[np.isfinite(both)])
    limit = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    yours = make_verdict_figure(
        answer,
        verdict.correct,
        name="your dL/dx",
        title="Your answer: ✓ right, ✗ wrong",
        hover_lines=verdict_hover(answer, p.dx),
        color_limit=limit,
        padding=geom.padding,
        font_scale=scale,
        height=paired_height(geom.in_shape, geom.padding, scale),
    )
    left, right_col = st.columns([2, 3], gap="large")
    with left:
        st.plotly_chart(yours, key="quiz_yours_chart", config={"displayModeBar": False})
    notes = mistake_notes(verdict, p.contributions)
    if notes:
        with right_col:
            st.markdown("**Where it went wrong**")
            shown = notes[:12]
            st.markdown("\n".join(f"- :red[:material/close:] {note}" for note in shown))
            if len(notes) > len(shown):
                st.caption(f"… and {len(notes) - len(shown)} more wrong cells (hover the grids to see each).")


REVEAL_KEY = "quiz_linked"  # the reveal's linked picture (ui/linked.py)


def reveal_notes(answer: np.ndarray, verdict: Verdict) -> np.ndarray:
    """One tooltip line per cell of dL/dx: what the student wrote there, and whether it is right."""
    out = np.empty(answer.shape, dtype=object)
    for (r, c), a in np.ndenumerate(answer):
        out[r, c] = f"you wrote {format_value(a)} here: " + ("✓ right" if verdict.correct[r, c] else "✗ wrong")
    return out


def reveal_picture(p: Pooled, answer: np.ndarray, verdict: Verdict) -> dict:
    """x, y, dL/dy and the right dL/dx as the linked picture, the cells the student gave gradient badged."""
    return linked.linked_grids(
        p,
        None,
        key=REVEAL_KEY,
        editable=(),
        pinnable=False,
        font_scale=presentation.font_scale(),
        titles={"dx": "dL/dx · right answer, ◢ yours"},
        marks={"dx": answer != 0},
        notes={"dx": reveal_notes(answer, verdict)},
        help_text=(
            "◢ and a dashed outline mark the cells you gave gradient. Hover a cell of y or dL/dy to follow its "
            "window to the cells it sends to; hover dL/dx to see where its sum comes from and what you wrote."
        ),
    )


def revealed() -> bool:
    return bool(st.session_state.get(REVEALED))


def share_note() -> None:
    """The link holds the question (x, dL/dy, window, tie rule), never the answer."""
    st.caption("Share this question: the link holds x, dL/dy, the window and the tie rule, not the answer.")
    share.link_box()
