"""Step-through's Play stops by itself: after MAX_PLAY_STEPS steps or MAX_PLAY_SECONDS, with a note.

A tab left playing on a big grid used to cost the server a rerun per step for hours (7,938 steps on
a 64x64 grid). Each AppTest run below is what one timer tick does (the fragment runs again).
"""

from __future__ import annotations

import time

from tests.apptest_util import widget
from tests.test_app_step_through import open_page, step_heading
from ui import steps

# 64x64 of ones pooled with 1x1 windows: 4,096 windows, so 8,192 steps, far more than one press allows.
BIG = {"x": ";".join([",".join(["1"] * 64)] * 64), "k": "1"}


def notes(at) -> list[str]:
    return [i.value for i in at.info]


def test_play_pauses_after_the_step_budget_with_a_note(monkeypatch):
    monkeypatch.setattr(steps, "MAX_PLAY_STEPS", 3)  # the rule, not the number: three ticks are enough
    at = open_page(BIG)
    assert step_heading(at).startswith("Step 1 of 8192")
    at = widget(at, "step_play").click().run()
    assert at.session_state["step_playing"] is True
    assert any("pauses by itself" in c.value for c in at.caption)  # said on screen while playing
    at.run()
    at.run()
    assert step_heading(at).startswith("Step 4 of 8192")  # three steps taken
    at.run()  # the budget is spent: this tick pauses instead of stepping
    assert at.session_state["step_playing"] is False
    assert step_heading(at).startswith("Step 4 of 8192")
    assert widget(at, "step_play").label == "Play"
    assert any("after 3 steps" in n and "Press Play to go on" in n for n in notes(at)), notes(at)
    # Further runs (a stale timer tick) do not advance; Play again gets a fresh budget and clears the note.
    at.run()
    assert step_heading(at).startswith("Step 4 of 8192")
    at = widget(at, "step_play").click().run()
    assert at.session_state["step_playing"] is True and step_heading(at).startswith("Step 5 of 8192")
    assert not notes(at)


def test_play_pauses_after_the_time_budget():
    at = open_page(BIG)
    at = widget(at, "step_play").click().run()
    assert at.session_state["step_playing"] is True
    # As if Play had been pressed longer ago than the budget allows (a tab left open, maybe hidden).
    at.session_state[steps.PLAY_STARTED] = time.monotonic() - steps.MAX_PLAY_SECONDS - 1
    at.run()
    assert at.session_state["step_playing"] is False
    assert step_heading(at).startswith("Step 2 of 8192")
    assert any("minutes" in n and "Press Play to go on" in n for n in notes(at)), notes(at)


def test_the_budget_is_far_above_a_normal_demo():
    """A 16x16 grid with 2x2 windows (128 steps) plays to its end in one press at any speed."""
    assert steps.MAX_PLAY_STEPS >= 128
    assert 128 * max(steps.SPEEDS) * 1.1 <= steps.MAX_PLAY_SECONDS
