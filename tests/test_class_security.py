"""Class mode's safety, through the app (AppTest) and the store: who can write, what is refused, what is shown.

A student link never changes the room; a forged teacher link is refused; oversized codes, floods of
join attempts and of answers are refused with a message; nothing typed is echoed; an unknown or
expired room gets a clear message. Every session runs the quiz page inside the app's frame.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest

import classroom
from classroom import open_store
from tests.apptest_util import run_page
from ui import classroom as class_ui

QUIZ = "pages/quiz.py"
QUESTION = {"k": "2", "s": "1", "x": "1,1,2;3,3,0;0,5,5"}


@pytest.fixture()
def store_url(tmp_path, monkeypatch):
    url = f"sqlite://{tmp_path / 'rooms.sqlite3'}"
    monkeypatch.setenv("MAXPOOL_ROOM_STORE", url)
    classroom.shared_store.cache_clear()
    yield url
    classroom.shared_store.cache_clear()


def teacher_room(url: str, params: dict[str, str] | None = None):
    """A room opened by a teacher on the quiz page (straight through the store)."""
    return open_store(url).create_room(class_ui.view_text(QUIZ, params or QUESTION))


def rerun(at):
    at.session_state["_harness_page"] = QUIZ  # the harness's own key: loading a view drops page state
    return at.run()


def texts(at) -> str:
    parts = [e.value for kind in ("markdown", "error", "info", "success", "warning", "caption") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def test_a_teacher_opens_a_room_and_gets_a_code_links_and_a_qr_code(store_url):
    at = run_page(QUIZ, QUESTION)
    at.button(key="class_open").click()
    rerun(at)
    assert not at.exception
    code = at.session_state[class_ui.CODE]
    token = at.session_state[class_ui.TOKEN]
    assert classroom.format_code(code) in texts(at)
    assert len(at.get("image")) == 1  # the QR code
    assert "teach" not in dict(at.query_params)
    store = open_store(store_url)
    assert store.is_teacher(code, token)
    assert json.loads(store.room(code).view) == {"page": QUIZ, "params": QUESTION}
    # The teacher's change reaches the room.
    at.radio(key="tie").set_value("split")
    rerun(at)
    assert json.loads(store.room(code).view)["params"]["tie"] == "split"


def test_a_student_link_cannot_change_the_room(store_url):
    room = teacher_room(store_url)
    store = open_store(store_url)
    at = run_page(QUIZ, {"room": room.code})
    assert not at.exception
    assert at.session_state[class_ui.ROLE] == "student"
    assert class_ui.TOKEN not in at.session_state
    before = store.room(room.code)
    # The student changes their own screen: the tie rule, the grid, a cell of their answer.
    at.radio(key="tie").set_value("none")
    rerun(at)
    at.button(key="quiz_new").click()
    rerun(at)
    assert not at.exception
    after = store.room(room.code)
    assert (after.version, after.view) == (before.version, before.view)
    # The student cannot start, reveal or end a round from their session: those buttons are the teacher's.
    keys = {b.key for b in at.button}
    assert not keys & {"class_round_start", "class_round_reveal", "class_round_end"}


def test_a_forged_teacher_link_is_refused(store_url):
    room = teacher_room(store_url)
    for token in (secrets.token_urlsafe(24), room.code, "x" * 5000):
        at = run_page(QUIZ, {"room": room.code, "teach": token})
        assert not at.exception
        role = at.session_state[class_ui.ROLE] if class_ui.ROLE in at.session_state else None  # noqa: SIM401
        assert role != "teacher"
        assert "This teacher link is not valid" in texts(at)
        assert "teach" not in dict(at.query_params)
    assert open_store(store_url).version(room.code) == 1


def test_oversized_codes_and_floods_of_join_attempts_are_refused(store_url):
    room = teacher_room(store_url)
    at = run_page(QUIZ)
    at.text_input(key="class_code_input").set_value("A" * 100_000)
    submit(at)
    assert "A class code has 13 letters and digits" in texts(at)
    for _ in range(class_ui.JOIN_TRIES - 1):
        class_ui_join_wrong(at)
    # The limit is reached: even the right code must wait.
    at.text_input(key="class_code_input").set_value(room.code)
    submit(at)
    assert "Too many tries" in texts(at)
    assert class_ui.ROLE not in at.session_state


def submit(at):
    next(b for b in at.button if b.label == "Join the class").click()
    return rerun(at)


def class_ui_join_wrong(at):
    at.text_input(key="class_code_input").set_value("ZZZZ-ZZZZ-ZZZZZ")
    submit(at)


def test_nothing_typed_is_echoed(store_url):
    at = run_page(QUIZ)
    typed = "<img src=x onerror=alert(1)>**bold**"
    at.text_input(key="class_code_input").set_value(typed)
    submit(at)
    assert "A class code has" in texts(at)
    assert "<img" not in texts(at) and "**bold**" not in texts(at) and "bold" not in texts(at)


def test_unknown_and_expired_rooms_get_a_clear_message(store_url):
    at = run_page(QUIZ, {"room": "ABCD-2345-EFGH6"})
    assert not at.exception
    assert "No class room is open with this code" in texts(at)
    assert "room" not in dict(at.query_params)  # the dead code leaves the link
    expired = open_store(store_url, clock=lambda: time.time() - 2 * classroom.DEFAULT_TTL_SECONDS).create_room(
        class_ui.view_text(QUIZ, QUESTION)
    )
    at = run_page(QUIZ, {"room": expired.code})
    assert "No class room is open with this code" in texts(at)
    assert class_ui.ROLE not in at.session_state


def test_answers_are_one_per_student_and_flooding_is_refused(store_url):
    room = teacher_room(store_url)
    store = open_store(store_url)
    store.start_round(room.code, room.teacher_token, class_ui.view_text(QUIZ, QUESTION), (3, 3))
    at = run_page(QUIZ, {"room": room.code})
    assert at.session_state[class_ui.ROUND].number == 1
    for _ in range(3):  # three clicks in a row: the first is taken, the next are too fast
        at.button(key="class_send").click()
        rerun(at)
    assert "at most once a second" in texts(at)
    answers = store.answers(room.code, room.teacher_token, 1)
    assert answers == {at.session_state[class_ui.STUDENT_ID]: "0" * 9}  # nothing marked: nine zeros
    # A second student session is a second, anonymous answer.
    other = run_page(QUIZ, {"room": room.code})
    other.button(key="class_send").click()
    rerun(other)
    assert len(store.answers(room.code, room.teacher_token, 1)) == 2
    # After the reveal, answers are closed.
    store.reveal_round(room.code, room.teacher_token)
    time.sleep(1.1)  # past the once-a-second limit, so that the refusal below is the closed round's
    rerun(at)
    assert "The teacher revealed the answer" in texts(at)
    assert "class_send" not in {b.key for b in at.button}
    with pytest.raises(classroom.AnswerRejected):
        store.submit_answer(room.code, 1, at.session_state[class_ui.STUDENT_ID], "1" * 9)
