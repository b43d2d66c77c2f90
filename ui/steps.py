"""The step-through: the forward pass window by window, then the backward pass output cell by output cell.

The sequencing (``plan_steps``, ``StepPlan.step``) is plain logic on ``pooling.routing``: no new
maths. A backward step adds one window's shares to dL/dx, so dL/dx after k backward steps is the
scatter of the first k windows' contributions, in output scan order as ``max_pool2d_backward``
adds them. The rest of the module draws the page's player (controls, figures, math).
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

import pooling
from figures import format_value
from ui import class_push, classroom, linked, payload_share, presentation, share, state, text
from ui.codec import decode_view
from ui.model import LAST_GOOD, Pooled, pool_exact, pool_view
from ui.text import md

FORWARD, BACKWARD = "forward", "backward"


# --------------------------------------------------------------------------- the sequence (plain logic)


@dataclass(frozen=True, eq=False)
class Receiver:
    """One input cell that a window's gradient reaches: its share and the amount ``share * dL/dy``."""

    cell: tuple[int, int]
    share: float
    amount: float


@dataclass(frozen=True, eq=False)
class Step:
    """The state of the computation right after one step.

    Attributes
    ----------
    position : int
        0 .. n_steps - 1 over the whole run: forward steps first, then backward steps.
    phase : str
        FORWARD (window ``cell`` is pooled) or BACKWARD (``dL/dy[cell]`` is sent back).
    number : int
        1-based count within the phase; also how many windows the phase has done.
    cell : (int, int)
        The output cell (i, j), that is the window, this step is about.
    window_cells : ndarray, shape (kH*kW, 2)
        (row, col) of every position of that window, padding included.
    receivers : tuple of Receiver
        Input cells this window's gradient goes to under the tie policy, in scan order.
    y : ndarray, shape (H_out, W_out)
        y so far: NaN where not computed yet (all computed during the backward phase).
    y_done : ndarray of bool, shape (H_out, W_out)
    dx_before, dx : ndarray, shape (H, W)
        dL/dx before and after this step; zeros throughout the forward phase.
    win_counts : ndarray of int, shape (H, W)
        How many of the windows done so far in this phase send each input cell a share.
    """

    position: int
    phase: str
    number: int
    cell: tuple[int, int]
    window_cells: np.ndarray
    receivers: tuple[Receiver, ...]
    y: np.ndarray
    y_done: np.ndarray
    dx_before: np.ndarray
    dx: np.ndarray
    win_counts: np.ndarray


@dataclass(frozen=True, eq=False)
class StepPlan:
    """Everything needed to replay one (H, W) plane's forward and backward pass step by step."""

    res: pooling.MaxPoolResult
    dy: np.ndarray
    tie_policy: str
    routing: pooling.Routing
    amounts: np.ndarray  # (M,) share * dL/dy of each routing entry, in x's dtype

    @property
    def n_windows(self) -> int:
        H_out, W_out = self.res.geometry.out_shape
        return H_out * W_out

    @property
    def n_steps(self) -> int:
        return 2 * self.n_windows

    def _entries(self, n_windows: int) -> int:
        """How many routing entries belong to the first ``n_windows`` windows (entries are sorted by window)."""
        return int(np.searchsorted(self.routing.output_index, n_windows, side="left"))

    def partial_dx(self, n_windows: int) -> np.ndarray:
        """dL/dx once the first ``n_windows`` output cells (scan order) have sent their gradient."""
        m = self._entries(n_windows)
        dx = np.zeros(self.res.x.size, dtype=self.res.x.dtype)
        # Same order and dtype as max_pool2d_backward, so after the last step the sums are equal bit for bit.
        np.add.at(dx, self.routing.input_index[:m], self.amounts[:m])
        return dx.reshape(self.res.x.shape)

    def partial_win_counts(self, n_windows: int) -> np.ndarray:
        """(H, W) int: how many of the first ``n_windows`` windows send each input cell a share."""
        m = self._entries(n_windows)
        counts = np.bincount(self.routing.input_index[:m], minlength=self.res.x.size)
        return counts.reshape(self.res.x.shape).astype(np.int64)

    def received(self, n_windows: int) -> dict[tuple[int, int], list[tuple[tuple[int, int], float, float]]]:
        """For each input cell, what the first ``n_windows`` windows sent it: [(output cell, share, amount), ...]."""
        m = self._entries(n_windows)
        W_out, W = self.res.geometry.out_shape[1], self.res.geometry.in_shape[1]
        out: dict[tuple[int, int], list] = {}
        for o, i, w, a in zip(
            self.routing.output_index[:m], self.routing.input_index[:m], self.routing.weight[:m], self.amounts[:m]
        ):
            out.setdefault(divmod(int(i), W), []).append((divmod(int(o), W_out), float(w), float(a)))
        return out

    def dx_limit(self) -> float:
        """Largest |dL/dx| any cell holds at any step: symmetric colour limits that never move.

        A running sum can pass its final value (``+3`` then ``-3``), so the limit covers every prefix.
        """
        if not len(self.amounts):
            return 1.0
        order = np.argsort(self.routing.input_index, kind="stable")  # per cell, still in window order
        cells, amounts = self.routing.input_index[order], self.amounts[order].astype(np.float64)
        running = np.cumsum(amounts)
        starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
        offset = np.repeat(np.r_[0.0, running[starts[1:] - 1]], np.diff(np.r_[starts, len(cells)]))
        prefix = np.abs(running - offset)
        finite = prefix[np.isfinite(prefix)]
        limit = float(finite.max()) if finite.size else 0.0
        return limit if limit > 0 else 1.0

    def locate(self, position: int) -> tuple[str, int]:
        """(phase, flat output index) of a position."""
        if not 0 <= position < self.n_steps:
            raise ValueError(
                f"position={position} is out of range: there are {self.n_steps} steps (0 to {self.n_steps - 1})"
            )
        if position < self.n_windows:
            return FORWARD, position
        return BACKWARD, position - self.n_windows

    def step(self, position: int) -> Step:
        """The state right after step ``position`` (0-based)."""
        phase, flat = self.locate(position)
        geom = self.res.geometry
        H_out, W_out = geom.out_shape
        W = geom.in_shape[1]
        cell = divmod(flat, W_out)
        lo, hi = self._entries(flat), self._entries(flat + 1)
        receivers = tuple(
            Receiver(divmod(int(i), W), float(w), float(a))
            for i, w, a in zip(self.routing.input_index[lo:hi], self.routing.weight[lo:hi], self.amounts[lo:hi])
        )
        if phase == FORWARD:
            y_done = (np.arange(H_out * W_out) <= flat).reshape(H_out, W_out)
            zeros = np.zeros(self.res.x.shape, dtype=self.res.x.dtype)
            dx_before = dx = zeros
        else:
            y_done = np.ones((H_out, W_out), dtype=bool)
            dx_before, dx = self.partial_dx(flat), self.partial_dx(flat + 1)
        return Step(
            position=position,
            phase=phase,
            number=flat + 1,
            cell=cell,
            window_cells=geom.window_cells(*cell),
            receivers=receivers,
            y=np.where(y_done, self.res.out, np.nan),
            y_done=y_done,
            dx_before=dx_before,
            dx=dx,
            win_counts=self.partial_win_counts(flat + 1),
        )


def plan_steps(res: pooling.MaxPoolResult, dy, tie_policy: str = "first") -> StepPlan:
    """The step plan of one (H, W) plane with upstream gradient ``dy`` (shape of ``res.out``)."""
    dy = np.asarray(dy, dtype=res.x.dtype)
    if dy.shape != res.out.shape:
        raise ValueError(f"dy has shape {dy.shape}; it must have y's shape {res.out.shape}")
    r = pooling.routing(res, tie_policy)
    amounts = (r.weight * dy.reshape(-1)[r.output_index]).astype(res.x.dtype)
    return StepPlan(res=res, dy=dy, tie_policy=tie_policy, routing=r, amounts=amounts)


# --------------------------------------------------------------------------- words for one step


def _cells(cells) -> str:
    return ", ".join(f"x[{r}, {c}]" for r, c in cells)


def forward_sentence(plan: StepPlan, step: Step) -> str:
    """What the forward step compares and what it picks, in words with the numbers."""
    i, j = step.cell
    res = plan.res
    if res.indices[i, j] < 0:
        return (
            f"Window ({i}, {j}) lies wholly in the padding: there is nothing to compare, y[{i}, {j}] = −∞, "
            "and this window has no winner."
        )
    geom = res.geometry
    H, W = geom.in_shape
    inside = [(int(r), int(c)) for r, c in step.window_cells if 0 <= r < H and 0 <= c < W]
    values = [format_value(res.x[r, c]) for r, c in inside]
    padded = len(inside) < len(step.window_cells)
    compared = f"Window ({i}, {j}) compares {', '.join(values)}" + (" (its padding counts as −∞)" if padded else "")
    top = res.out[i, j]
    if math.isnan(top):
        return f"{compared}: it holds NaN, and NaN wins every comparison, so y[{i}, {j}] = NaN."
    tied = [cell for cell in inside if res.x[cell] == top]
    shown = format_value(top)
    if len(tied) == 1:
        return f"{compared}: the largest is {shown}, at {_cells(tied)}, so y[{i}, {j}] = {shown}."
    got = [rc.cell for rc in step.receivers]
    return (
        f"{compared}: the largest, {shown}, is held by {len(tied)} cells ({_cells(tied)}), so "
        f"y[{i}, {j}] = {shown} whichever of them is picked. The tie matters only going back: under "
        f"'{plan.tie_policy}' the gradient will go to {_cells(got) or 'none of them'}."
    )


def accumulation_lines(step: Step, received: dict) -> list[str]:
    """LaTeX lines of a backward step: each receiving cell's running sum, before + amount = after."""
    lines = []
    for rc in step.receivers:
        r, c = rc.cell
        before, after = step.dx_before[r, c], step.dx[r, c]
        lines.append(
            rf"\frac{{\partial L}}{{\partial x_{{{r},{c}}}}} = {text.latex_number(before)} + "
            rf"{text.latex_number(rc.amount)} = {text.latex_number(after)}"
        )
    return lines


def adding_up_sentence(step: Step, received: dict) -> str | None:
    """Names the receiving cells that already held gradient from earlier windows, or None."""
    parts = []
    for rc in step.receivers:
        sources = received.get(rc.cell, [])
        if len(sources) < 2:
            continue
        earlier = text.plain_sum(a for _, _, a in sources[:-1])
        from_cells = ", ".join(f"y[{o[0]}, {o[1]}]" for o, _, _ in sources[:-1])
        r, c = rc.cell
        parts.append(
            f"x[{r}, {c}] already held {earlier} from {from_cells}; now it holds "
            f"{format_value(step.dx[r, c])} ({len(sources)} windows add up)"
        )
    if not parts:
        return None
    return "Overlap: " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- the player (streamlit)

POSITION = "step_pos"  # 0-based position, the page's own state
PLAYING = "step_playing"
TIMER = "_step_timer"  # the run_every the fragment was registered with in the last full run
LINK_PROBLEM = "_step_link_problem"
COUNT = "_step_count"  # number of steps of the example on screen, for the callbacks
SLIDER = "step_slider"
SPEED = "step_speed"
SPEEDS = (0.5, 1.0, 2.0)
PLAY_STARTED = "_step_play_started"  # time.monotonic() when Play was pressed
PLAY_STEPS = "_step_play_steps"  # steps advanced since Play was pressed
PLAY_NOTE = "_step_play_note"  # why the player paused by itself, shown until the next press
# A playing tab costs the server a rerun per step for as long as it stays open, hidden or not (a
# 64x64 grid has 8,192 steps: over two hours at 1 s per step). So one press of Play runs at most
# this many steps or seconds, whichever comes first; a class watching a demo never gets near either.
MAX_PLAY_STEPS = 200
MAX_PLAY_SECONDS = 300
LINKED_KEY = "step_linked"  # the linked picture of the step (ui/linked.py)


def _position_from_link(n_steps: int) -> int:
    """The 0-based position in the link's ``step=`` (1-based there); bad text gets a message, not a crash."""
    raw = state.get_extra("step")
    if raw is None:
        return 0
    text_ = raw.strip()
    # ASCII digits only (int() would also take "١٢"), and never more than a few of them.
    if not re.fullmatch(r"[0-9]{1,9}", text_):
        shown = re.sub(r"[^A-Za-z0-9.+-]", "?", text_[:20])  # nothing a message could render as markup
        st.session_state[LINK_PROBLEM] = (
            f"The link's step ({shown}) is not a step number; use a whole number from 1 to {n_steps}. Showing step 1."
        )
        return 0
    number = int(text_)
    if not 1 <= number <= n_steps:
        st.session_state[LINK_PROBLEM] = (
            f"The link's step={number} is outside 1 to {n_steps} for this example; showing the nearest step."
        )
    return min(max(number, 1), n_steps) - 1


def _position(n_steps: int) -> int:
    if POSITION not in st.session_state:
        st.session_state[POSITION] = _position_from_link(n_steps)
    pos = min(max(int(st.session_state[POSITION]), 0), n_steps - 1)
    st.session_state[POSITION] = pos
    return pos


def _move(to: str) -> None:
    """A button press: "start", "back", "next" or "end". Moving by hand pauses the player."""
    n_steps = int(st.session_state.get(COUNT, 1))
    pos = int(st.session_state.get(POSITION, 0))
    st.session_state[POSITION] = {
        "start": 0,
        "back": max(pos - 1, 0),
        "next": min(pos + 1, n_steps - 1),
        "end": n_steps - 1,
    }[to]
    st.session_state[PLAYING] = False
    st.session_state.pop(PLAY_NOTE, None)


def _toggle_play() -> None:
    if st.session_state.get(PLAYING):
        st.session_state[PLAYING] = False
        return
    if st.session_state.get(POSITION, 0) >= int(st.session_state.get(COUNT, 1)) - 1:
        st.session_state[POSITION] = 0  # play from the start once the end is reached
    st.session_state[PLAYING] = True
    st.session_state[PLAY_STARTED] = time.monotonic()
    st.session_state[PLAY_STEPS] = 0
    st.session_state.pop(PLAY_NOTE, None)


def play_budget_left() -> str | None:
    """None while this press of Play may go on; otherwise the note that says why it paused."""
    steps = int(st.session_state.get(PLAY_STEPS, 0))
    seconds = time.monotonic() - float(st.session_state.get(PLAY_STARTED, time.monotonic()))
    if steps >= MAX_PLAY_STEPS:
        return (
            f"Paused by itself after {MAX_PLAY_STEPS} steps, so an open tab does not keep the server busy. "
            "Press Play to go on."
        )
    if seconds >= MAX_PLAY_SECONDS:
        return (
            f"Paused by itself after {MAX_PLAY_SECONDS // 60} minutes, so an open (or hidden) tab does not "
            "keep the server busy. Press Play to go on."
        )
    return None


def _slider_moved() -> None:
    st.session_state[POSITION] = int(st.session_state[SLIDER]) - 1


def player() -> None:
    """The controls, the four figures and the step's math, in one fragment that replays on a timer.

    Play registers the fragment with ``run_every``, so each tick reruns only the fragment (no page
    reload). Starting or stopping the timer needs a full run, which re-registers the fragment.
    """
    speed = st.session_state.get(SPEED, 1.0)
    timer = float(speed) if st.session_state.get(PLAYING) else None
    st.session_state[TIMER] = timer

    @st.fragment(run_every=timer)
    def _player() -> None:
        _player_body()

    _player()


def _player_body() -> None:
    # A following student's screen reruns only this fragment when the teacher moves only the step.
    classroom.follow_in_fragment(("step",), reset=(POSITION, SLIDER))
    pooled = _pooled(state.view())
    if isinstance(pooled, str):
        st.error(f"Nothing to step through: {pooled}", icon="⚠️")
        return
    plan_key = _plan_key(pooled)
    plan = payload_share.shared_value(("plan", plan_key), lambda: plan_steps(pooled.res, pooled.dy, pooled.tie_policy))
    n_steps = plan.n_steps
    st.session_state[COUNT] = n_steps
    pos = _position(n_steps)
    playing = bool(st.session_state.get(PLAYING))
    wanted_timer = float(st.session_state.get(SPEED, 1.0)) if playing else None
    if st.session_state.get(TIMER) != wanted_timer:
        st.rerun()  # a full run registers the fragment again, with the timer on or off
    if playing:
        note = play_budget_left()
        if note is not None:
            st.session_state[PLAYING] = False
            st.session_state[PLAY_NOTE] = note
            st.rerun()  # out of budget: stop the timer where it is
        pos = min(pos + 1, n_steps - 1)
        st.session_state[POSITION] = pos
        st.session_state[PLAY_STEPS] = int(st.session_state.get(PLAY_STEPS, 0)) + 1
        if pos == n_steps - 1:
            st.session_state[PLAYING] = False
            st.rerun()  # the end: stop the timer
    state.set_extra(step=str(pos + 1))

    problem = st.session_state.pop(LINK_PROBLEM, None)
    if problem:
        st.warning(md(problem), icon="🔗")
    if not playing and st.session_state.get(PLAY_NOTE):
        st.info(st.session_state[PLAY_NOTE], icon=":material/timer_off:")
    following = classroom.following()
    # Everything below depends only on the example and the step: a class on one step shares it (ui/payload_share.py).
    shown = payload_share.shared_value(("screen", plan_key, pos), lambda: _screen(pooled, plan, pos))
    live = _live_follow(shown, n_steps) if following else None
    if live is not None:
        # The picture draws the whole follower's screen and takes the teacher's next steps from the server itself.
        _figures(pooled, shown, plan_key, follow=live)
        state.sync_url()
        return
    if following:
        _following_bar(pos, n_steps)
    else:
        _controls(pos, n_steps, playing)
    if presentation.is_on():
        # For a projector: the four figures in one row across the page, the words and formulas below.
        _figures(pooled, shown, plan_key)
        with st.container(key="step_words"):
            _step_math(shown.words, side_by_side=True)
            _share_box(following)
    else:
        figures, words = st.columns([2, 1], gap="medium")
        with figures:
            _figures(pooled, shown, plan_key)
        with words, st.container(key="step_words"):
            _step_math(shown.words)
            _share_box(following)
    state.sync_url()  # a fragment run does not reach app.py's sync, and the step is part of the link


def _share_box(following: bool) -> None:
    # A follower's link would be the teacher's view plus the class code, which joins the class: the
    # sidebar has that link already, and the two elements are a tenth of a follower's rerun.
    if not following:
        share_box()


def _following_bar(pos: int, n_steps: int) -> None:
    """A following student's stand-in for the step controls: where the teacher is, in one element.

    The buttons and the slider would only move this tab until the teacher's next step, and they
    are most of what a follower's rerun costs the server (benchmarks/bench_class.py); leaving to
    explore brings them back.
    """
    st.progress(
        (pos + 1) / n_steps,
        text=f"Step {pos + 1} of {n_steps}, as the teacher steps. Leave to explore to step on your own.",
    )


def _controls(pos: int, n_steps: int, playing: bool) -> None:
    at_start, at_end = pos == 0, pos == n_steps - 1
    buttons = st.columns([1, 1, 1.3, 1, 1], vertical_alignment="bottom")
    buttons[0].button(
        "Start",
        key="step_start",
        icon=":material/first_page:",
        on_click=_move,
        args=("start",),
        disabled=at_start and not playing,
        width="stretch",
        help="Jump to the first step",
    )
    buttons[1].button(
        "Back",
        key="step_prev",
        icon=":material/chevron_left:",
        on_click=_move,
        args=("back",),
        disabled=at_start,
        width="stretch",
        help="One step back",
    )
    buttons[2].button(
        "Pause" if playing else "Play",
        key="step_play",
        type="primary",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        on_click=_toggle_play,
        width="stretch",
        help=f"Advance one step at a time on a timer (at most {MAX_PLAY_STEPS} steps or "
        f"{MAX_PLAY_SECONDS // 60} minutes per press)",
    )
    buttons[3].button(
        "Next",
        key="step_next",
        icon=":material/chevron_right:",
        icon_position="right",
        on_click=_move,
        args=("next",),
        disabled=at_end,
        width="stretch",
        help="One step forward",
    )
    buttons[4].button(
        "End",
        key="step_end",
        icon=":material/last_page:",
        icon_position="right",
        on_click=_move,
        args=("end",),
        disabled=at_end and not playing,
        width="stretch",
        help="Jump to the last step",
    )
    position, speed = st.columns([5, 2], vertical_alignment="bottom")
    with speed:
        # A select box: a select slider's value labels ran past this narrow column.
        st.selectbox("Speed", SPEEDS, index=SPEEDS.index(1.0), key=SPEED, format_func=lambda s: f"{s:g} s per step")
    n_windows = n_steps // 2
    label = f"Step (1–{n_windows}: forward, {n_windows + 1}–{n_steps}: backward)"
    with position:
        if playing:
            # No slider while the timer runs: a tick sent before the browser has drawn the last step would
            # report the slider's old value, which would read as a drag back.
            st.progress((pos + 1) / n_steps, text=f"{label}: {pos + 1} — pause to drag")
            st.caption(
                f"Play pauses by itself after {MAX_PLAY_STEPS} steps or {MAX_PLAY_SECONDS // 60} minutes; "
                "press Play again to go on."
            )
            return
        st.session_state[SLIDER] = pos + 1
        st.slider(label, 1, n_steps, key=SLIDER, on_change=_slider_moved)


def step_picture(p: Pooled, plan: StepPlan, step: Step) -> dict:
    """The linked picture's options for one step: what is known so far, and nothing more.

    Forward step k: y holds its first k values (the rest pending), only those k windows are
    pooled (their winners badged in x), no gradient has gone back, dL/dx is pending throughout.
    Backward step k: y is whole, the first k windows have sent their gradient, dL/dx is the sum
    of what they sent. Colour limits are those of the whole run, so colours do not shift as the
    grids fill in. Returns keyword arguments for ``linked.linked_grids`` (plain logic, no drawing).
    """
    H_out, W_out = p.y.shape
    i, j = step.cell
    order = np.arange(H_out * W_out).reshape(H_out, W_out)
    forward = step.phase == FORWARD
    finite_y = p.y[np.isfinite(p.y)]
    y_range = (float(finite_y.min()), float(finite_y.max())) if finite_y.size else (0.0, 1.0)
    if y_range[0] == y_range[1]:
        y_range = (y_range[0] - 0.5, y_range[1] + 0.5)
    limit = plan.dx_limit()
    pending = {"y": ~step.y_done}
    if forward:
        pending["dx"] = np.ones(p.x.shape, dtype=bool)
    # Short titles: y and dL/dy are narrow; the step's words beside the picture say the rest.
    titles = (
        {"x": f"x · window ({i}, {j})", "y": "y so far", "dy": "dL/dy", "dx": "dL/dx · not yet"}
        if forward
        else {"x": "x", "y": "y", "dy": "dL/dy", "dx": "dL/dx so far"}
    )
    phase = "forward" if forward else "backward"
    return {
        "values": {"y": step.y, "dx": step.dx},
        "pending": pending,
        "color_ranges": {"y": y_range, "dx": (-limit, limit)},
        "pooled_windows": order < step.number if forward else None,
        "sent_windows": np.zeros((H_out, W_out), dtype=bool) if forward else order < step.number,
        "titles": titles,
        "help_text": (
            f"{phase.capitalize()} pass, window ({i}, {j}) outlined. Hover any cell to follow its window; "
            "the tooltips show only what has been computed up to this step."
        ),
    }


@dataclass(frozen=True, eq=False)
class StepScreen:
    """What one step shows besides its controls, the same for every session on that step.

    ``picture`` holds the linked picture's options (`step_picture`); ``words`` the step's words and
    formulas as ``(column, kind, text)`` in the order drawn: column "words" or "formulas", kind the
    Streamlit call ("subheader", "markdown", "latex", "caption", "info" or "success").
    """

    step: Step
    picture: dict
    words: tuple[tuple[str, str, str], ...]


def _screen(p: Pooled, plan: StepPlan, position: int) -> StepScreen:
    step = plan.step(position)
    return StepScreen(step, step_picture(p, plan, step), step_words(p, plan, step))


def _pooled(view) -> Pooled | str:
    """``pool_view(view)``, shared by the sessions showing the same grids and settings (a class on one step).

    Only a view whose own window fits is shared: a fallback to the last window that fitted comes
    from the session's own state (``ui.model.LAST_GOOD``), which a shared result would not be.
    """
    key = _pooled_key(view, state.link_params())
    found = payload_share.peek_value(key)
    if found is not None:
        st.session_state[LAST_GOOD] = found.window  # as pool_view records a window that fits
        return found
    pooled = pool_view(view)
    if not isinstance(pooled, str) and pooled.problem is None:
        payload_share.shared_value(key, lambda: pooled)
    return pooled


def _pooled_key(view, params: dict[str, str]) -> tuple:
    """The shared key of a view's pooled result: its link parameters without the screen's own extras."""
    return ("pooled", tuple(sorted((k, v) for k, v in params.items() if k not in view.extra)))


def _plan_key(p: Pooled) -> tuple:
    """Everything a step's plan, picture and words are computed from (so sessions with equal keys share them)."""
    return (p.x.tobytes(), p.x.shape, p.x.dtype.str, p.dy.tobytes(), p.dy.shape, p.dy.dtype.str, p.window, p.tie_policy)


def _live_follow(shown: StepScreen, n_steps: int) -> dict | None:
    """The linked picture's ``follow`` options for a following student (``ui.linked``), or None to draw as usual.

    With them the picture draws the progress line and the step's words too, and listens on the class's
    live channel (``ui.class_live``), so the teacher's next step needs no run of this page. Not while
    presenting: the live screens are built at the ordinary font size.
    """
    found = None if presentation.is_on() else classroom.live_channel()
    if found is None:
        return None
    live, version = found
    return {
        "live": live,
        "version": version,
        "step": shown.step.position + 1,
        "n_steps": n_steps,
        "words": shown.words,
        "katex": linked.KATEX_SRC,
    }


def live_screen(view_text: str) -> str | None:
    """A Step through view's screen for the live channel: ``"step":..,"n_steps":..,"picture":{..},"words":[..]``.

    Built outside any session (the watcher's thread, ``ui.class_push``) from the same shared parts a
    following page draws (`_pooled`, the plan, `_screen`, the picture's JSON), so both give the same
    screen. None when the view does not pool or its step is not a plain number: a run shows why.
    """
    data = json.loads(view_text)
    params = data["params"]
    step_text = params.get("step", "1")
    if data.get("page") != STEP_PAGE or not re.fullmatch(r"[0-9]{1,9}", step_text):
        return None
    view, _ = decode_view(params)
    key = _pooled_key(view, params)
    pooled = payload_share.peek_value(key)
    if pooled is None:
        pooled = pool_exact(view)
        if isinstance(pooled, str):
            return None
        payload_share.shared_value(key, lambda: pooled)
    plan_key = _plan_key(pooled)
    plan = payload_share.shared_value(("plan", plan_key), lambda: plan_steps(pooled.res, pooled.dy, pooled.tie_policy))
    if not 1 <= int(step_text) <= plan.n_steps:
        return None  # out of range: the page's run says so
    pos = int(step_text) - 1
    shown = payload_share.shared_value(("screen", plan_key, pos), lambda: _screen(pooled, plan, pos))
    picture = linked.payload_text(
        pooled, shown.step.cell, ("step", *plan_key, pos), editable=(), pinnable=False, **shown.picture
    )
    return f'"step":{pos + 1},"n_steps":{plan.n_steps},"picture":{picture},"words":{json.dumps(shown.words)}'


def _figures(p: Pooled, shown: StepScreen, plan_key: tuple, follow: dict | None = None) -> None:
    """x, y, dL/dy and dL/dx as the linked picture, as far as this step has got, the step's window pinned.

    The picture lays itself out for the width it gets (full width when presenting).
    """
    # Everything the picture is drawn from: a class on the same step shares one payload (ui/payload_share.py).
    linked.linked_grids(
        p,
        shown.step.cell,
        key=LINKED_KEY,
        editable=(),
        pinnable=False,
        font_scale=presentation.font_scale(),
        share_key=("step", *plan_key, shown.step.position),
        follow=follow,
        **shown.picture,
    )


def step_words(p: Pooled, plan: StepPlan, step: Step) -> tuple[tuple[str, str, str], ...]:
    """The step in words and its formulas with the numbers, as ``(column, kind, text)`` (see `StepScreen`)."""
    i, j = step.cell
    n_windows = plan.n_windows
    out: list[tuple[str, str, str]] = []
    if step.phase == FORWARD:
        out.append(("words", "subheader", f"Step {step.position + 1} of {plan.n_steps} · forward, window ({i}, {j})"))
        out.append(("words", "markdown", forward_sentence(plan, step)))
        if p.res.indices[i, j] >= 0:
            out.append(("formulas", "latex", text.window_math(p, i, j)[0]))
        out.append(
            (
                "words",
                "caption",
                f"y has {step.number} of {n_windows} values. The backward pass starts after the last window.",
            )
        )
        return tuple(out)
    out.append(("words", "subheader", f"Step {step.position + 1} of {plan.n_steps} · backward, dL/dy[{i}, {j}]"))
    out.append(("words", "markdown", text.window_story(p, i, j)))
    received = plan.received(step.number)
    if step.receivers:
        out += [("formulas", "latex", line) for line in text.window_math(p, i, j)[1:]]
        out.append(("formulas", "markdown", "**dL/dx so far**"))
        out += [("formulas", "latex", line) for line in accumulation_lines(step, received)]
        overlap = adding_up_sentence(step, received)
        if overlap:
            out.append(("formulas", "info", overlap))
    else:
        out.append(
            ("formulas", "markdown", f"Nothing is sent back from y[{i}, {j}]: dL/dx does not change in this step.")
        )
    out.append(
        (
            "words",
            "caption",
            f"{step.number} of {n_windows} output cells have sent their gradient. "
            "Cells no window sends anything to keep 0.",
        )
    )
    if step.number == n_windows:
        out.append(("words", "success", "Done: this is the whole dL/dx, the same as the explorer shows."))
    return tuple(out)


_ICONS = {"info": ":material/add_circle:", "success": "✅"}


def _step_math(words: tuple[tuple[str, str, str], ...], *, side_by_side: bool = False) -> None:
    """Draw `step_words`' lines (formulas to the right of the words with ``side_by_side``)."""
    # Stacked, the lines go straight into the caller's container (no container of their own: one
    # element fewer in every rerun of a following class).
    where = dict(zip(("words", "formulas"), st.columns(2, gap="large"))) if side_by_side else None
    for column, kind, line in words:
        draw = getattr(where[column] if where else st, kind)
        if kind in _ICONS:
            draw(line, icon=_ICONS[kind])
        else:
            draw(line)


def share_box() -> None:
    """The link to this view at this step."""
    st.markdown("**Share this step** — the link holds the grids, every setting and the step:")
    share.link_box()


STEP_PAGE = "pages/step_through.py"
class_push.LIVE[STEP_PAGE] = live_screen
