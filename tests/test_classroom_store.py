"""The room store: the same tests against both back ends (SQLite file in WAL mode, a real redis-server).

Time is a fake clock passed to the store, so expiry and the answer rate limit are tested without
sleeping. The Redis back end runs against ``redis-server`` started on a free loopback port with no
persistence; in CI (``CI=true``) a missing redis-server fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import numpy as np
import pytest

from classroom import (
    ANSWER_MIN_INTERVAL,
    CODE_BITS,
    MAX_STUDENTS_PER_ROUND,
    MAX_VIEW_CHARS,
    AnswerRejected,
    NotTeacher,
    RoomNotFound,
    format_code,
    new_student_id,
    normalise_code,
    open_store,
    tally,
)
from classroom.store import CODE_ALPHABET, marks_of
from tests.redis_server import redis_server, redis_server_path

IN_CI = os.environ.get("CI") == "true"
TTL = 3600.0


class FakeClock:
    """Seconds since the epoch, moved by hand; starts at the real time so Redis's own expiry stays in the future."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def redis_url():
    if redis_server_path() is None:
        if IN_CI:
            pytest.fail("redis-server is missing: the Redis store tests must run in CI (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")
    with redis_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "redis"])
def backend(request, tmp_path):
    """(kind, url) of a fresh, empty store of each kind."""
    if request.param == "sqlite":
        return "sqlite", f"sqlite://{tmp_path / 'rooms.sqlite3'}"
    url = request.getfixturevalue("redis_url")
    import redis

    redis.Redis.from_url(url).flushdb()
    return "redis", url


@pytest.fixture()
def clock():
    return FakeClock()


@pytest.fixture()
def store(backend, clock):
    s = open_store(backend[1], ttl=TTL, clock=clock)
    yield s
    s.close()


def test_open_store_picks_the_back_end_from_the_url(backend, clock):
    kind, url = backend
    s = open_store(url, ttl=TTL, clock=clock)
    assert type(s).__name__ == {"sqlite": "SQLiteRoomStore", "redis": "RedisRoomStore"}[kind]
    s.close()


def test_sqlite_file_is_in_wal_mode(tmp_path):
    path = tmp_path / "rooms.sqlite3"
    open_store(f"sqlite://{path}").close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --------------------------------------------------------------------------- create and follow


def test_create_gives_a_code_with_65_random_bits_and_a_private_teacher_token(store):
    rooms = [store.create_room("v") for _ in range(20)]
    codes = {r.code for r in rooms}
    assert len(codes) == 20
    for r in rooms:
        assert len(r.code) * 5 == CODE_BITS >= 64 and set(r.code) <= set(CODE_ALPHABET)
        assert len(r.teacher_token) >= 32 and r.teacher_token not in r.code
        assert store.room(r.code).view == "v" and store.version(r.code) == 1
        assert store.is_teacher(r.code, r.teacher_token)
        assert not store.is_teacher(r.code, r.code)  # the student code is not a teacher token
    # Each symbol of 20 random codes: with 260 draws from 32 symbols, more than 16 distinct symbols
    # appear unless the generator is broken (the chance of <= 16 is below 1e-30).
    assert len(set("".join(codes))) > 16


def test_follow_the_view_through_its_version(store):
    room = store.create_room("page=a")
    assert store.version(room.code) == 1
    assert store.set_view(room.code, room.teacher_token, "page=b") == 2
    assert store.set_view(room.code, room.teacher_token, "page=b") == 2  # same view: nothing to follow
    assert store.set_view(room.code, room.teacher_token, "page=c") == 3
    state = store.room(room.code)
    assert (state.version, state.view, state.round) == (3, "page=c", None)


def test_a_code_can_be_typed_loosely(store):
    room = store.create_room("v")
    typed = format_code(room.code).lower().replace("0", "o").replace("1", "l")
    assert normalise_code(" " + typed + " ") == room.code
    assert store.room(typed).code == room.code


def test_only_the_teacher_token_writes(store):
    room = store.create_room("mine")
    other = store.create_room("other")
    for token in (room.code, other.teacher_token, "", "x" * 40, None, "a" * 10_000):
        with pytest.raises(NotTeacher):
            store.set_view(room.code, token, "hijacked")
        with pytest.raises(NotTeacher):
            store.start_round(room.code, token, "q", (2, 2))
        with pytest.raises(NotTeacher):
            store.reveal_round(room.code, token)
        with pytest.raises(NotTeacher):
            store.end_round(room.code, token)
        with pytest.raises(NotTeacher):
            store.answers(room.code, token, 1)
    assert store.room(room.code).view == "mine" and store.version(room.code) == 1


@pytest.mark.parametrize("code", ["", "nope", "0" * 13, "A" * 10_000, "ABCD-EFGH-JKMN\x00", "ÅBCD-EFGH-JKMNP"])
def test_unknown_or_malformed_codes_name_no_room(store, code):
    store.create_room("v")
    with pytest.raises(RoomNotFound, match="No class room is open with this code"):
        store.version(code)
    with pytest.raises(RoomNotFound):
        store.room(code)
    with pytest.raises(RoomNotFound):
        store.submit_answer(code, 1, new_student_id(), "0")
    assert not store.is_teacher(code, "x" * 32)


def test_a_view_larger_than_the_cap_is_refused(store):
    room = store.create_room("v")
    with pytest.raises(ValueError, match="at most"):
        store.set_view(room.code, room.teacher_token, "x" * (MAX_VIEW_CHARS + 1))
    with pytest.raises(ValueError):
        store.create_room("x" * (MAX_VIEW_CHARS + 1))
    assert store.room(room.code).view == "v"


# --------------------------------------------------------------------------- rounds and answers


def test_a_round_counts_one_answer_per_student(store, clock):
    room = store.create_room("v")
    n = store.start_round(room.code, room.teacher_token, "question", (2, 3))
    assert n == 1
    state = store.room(room.code)
    assert state.version == 2 and state.round.number == 1 and state.round.shape == (2, 3)
    assert not state.round.revealed
    alice, bob = new_student_id(), new_student_id()
    store.submit_answer(room.code, 1, alice, "100001")
    store.submit_answer(room.code, 1, bob, "110000")
    clock.advance(ANSWER_MIN_INTERVAL)
    store.submit_answer(room.code, 1, alice, "010001")  # replaces alice's first answer
    answers = store.answers(room.code, room.teacher_token, 1)
    assert answers == {alice: "010001", bob: "110000"}
    count, per_cell = tally(answers, (2, 3))
    # By hand: column sums of 010001 and 110000.
    assert count == 2 and per_cell.tolist() == [[1, 2, 0], [0, 0, 1]]
    assert store.version(room.code) == 2  # answers do not make every student rerun


def test_reveal_closes_the_round_and_a_new_round_starts_empty(store, clock):
    room = store.create_room("v")
    store.start_round(room.code, room.teacher_token, "q1", (1, 2))
    sid = new_student_id()
    store.submit_answer(room.code, 1, sid, "10")
    version = store.reveal_round(room.code, room.teacher_token)
    assert version == 3 and store.room(room.code).round.revealed
    clock.advance(5)
    with pytest.raises(AnswerRejected, match="round is over"):
        store.submit_answer(room.code, 1, sid, "01")
    assert store.answers(room.code, room.teacher_token, 1) == {sid: "10"}
    assert store.start_round(room.code, room.teacher_token, "q2", (1, 2)) == 2
    with pytest.raises(AnswerRejected, match="round is over"):
        store.submit_answer(room.code, 1, sid, "01")  # an answer to the old round
    assert store.answers(room.code, room.teacher_token, 2) == {}
    store.submit_answer(room.code, 2, sid, "01")
    assert store.answers(room.code, room.teacher_token, 2) == {sid: "01"}
    assert store.end_round(room.code, room.teacher_token) == 5  # open 1, start 2, reveal 3, start 4, end 5
    assert store.room(room.code).round is None
    with pytest.raises(AnswerRejected):
        store.submit_answer(room.code, 2, sid, "01")


@pytest.mark.parametrize(
    ("student", "marks", "why"),
    [
        ("nothex" * 6, "0000", "student id"),
        (None, "0000", "student id"),
        ("ab", "0000", "student id"),
        ("VALID", "000", "each of the 2×2 cells"),
        ("VALID", "00000", "each of the 2×2 cells"),
        ("VALID", "0200", "each of the 2×2 cells"),
        ("VALID", "<b>", "each of the 2×2 cells"),
        ("VALID", "1" * 1_000_000, "at most 4096 cells"),
    ],
)
def test_malformed_or_oversized_answers_are_refused(store, student, marks, why):
    room = store.create_room("v")
    store.start_round(room.code, room.teacher_token, "q", (2, 2))
    student = new_student_id() if student == "VALID" else student
    with pytest.raises(AnswerRejected, match=why):
        store.submit_answer(room.code, 1, student, marks)
    assert store.answers(room.code, room.teacher_token, 1) == {}


def test_flooding_answers_are_refused_until_a_second_has_passed(store, clock):
    room = store.create_room("v")
    store.start_round(room.code, room.teacher_token, "q", (1, 1))
    sid = new_student_id()
    store.submit_answer(room.code, 1, sid, "1")
    for _ in range(50):
        with pytest.raises(AnswerRejected, match="at most once a second"):
            store.submit_answer(room.code, 1, sid, "0")
        clock.advance(ANSWER_MIN_INTERVAL / 100)
    assert store.answers(room.code, room.teacher_token, 1) == {sid: "1"}
    clock.advance(ANSWER_MIN_INTERVAL / 2 + 0.01)  # half a second refused above, plus this: over a second
    store.submit_answer(room.code, 1, sid, "0")
    assert store.answers(room.code, room.teacher_token, 1) == {sid: "0"}


def test_a_round_takes_a_bounded_number_of_students(store):
    room = store.create_room("v")
    store.start_round(room.code, room.teacher_token, "q", (1, 1))
    for _ in range(MAX_STUDENTS_PER_ROUND):
        store.submit_answer(room.code, 1, new_student_id(), "1")
    with pytest.raises(AnswerRejected, match="no more are taken"):
        store.submit_answer(room.code, 1, new_student_id(), "1")
    assert len(store.answers(room.code, room.teacher_token, 1)) == MAX_STUDENTS_PER_ROUND


def test_concurrent_answers_are_all_counted_once(backend, clock):
    """40 students on 8 threads, each with its own connection: none lost, none doubled."""
    s = open_store(backend[1], ttl=TTL, clock=clock)
    room = s.create_room("v")
    s.start_round(room.code, room.teacher_token, "q", (2, 2))
    students = [new_student_id() for _ in range(40)]
    expected = {sid: marks_of(np.random.default_rng(i).integers(0, 2, size=(2, 2))) for i, sid in enumerate(students)}
    errors = []

    def send(chunk):
        try:
            for sid in chunk:
                s.submit_answer(room.code, 1, sid, expected[sid])
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=send, args=(students[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert s.answers(room.code, room.teacher_token, 1) == expected
    s.close()


# --------------------------------------------------------------------------- expiry and restarts


def test_rooms_expire(store, clock):
    room = store.create_room("v")
    store.start_round(room.code, room.teacher_token, "q", (1, 1))
    clock.advance(TTL - 1)
    assert store.version(room.code) == 2
    clock.advance(1)
    with pytest.raises(RoomNotFound):
        store.version(room.code)
    with pytest.raises(RoomNotFound):
        store.room(room.code)
    with pytest.raises(RoomNotFound):
        store.set_view(room.code, room.teacher_token, "late")
    with pytest.raises(RoomNotFound):
        store.submit_answer(room.code, 1, new_student_id(), "1")
    assert not store.is_teacher(room.code, room.teacher_token)
    assert store.purge_expired() == 1


def test_redis_keys_carry_the_rooms_expiry(redis_url, clock):
    import redis

    s = open_store(redis_url, ttl=TTL, clock=clock)
    room = s.create_room("v")
    s.start_round(room.code, room.teacher_token, "q", (1, 1))
    s.submit_answer(room.code, 1, new_student_id(), "1")
    client = redis.Redis.from_url(redis_url)
    for key in client.keys(f"maxpool:*{room.code}*"):
        # Redis deletes the key by itself within the room's lifetime (plus a second of rounding).
        assert 0 < client.pttl(key) <= (TTL + 1) * 1000
    s.close()


def test_a_restart_loses_no_room(backend, clock):
    """Reopening the store (as a restarted or second server does) finds every room as it was."""
    first = open_store(backend[1], ttl=TTL, clock=clock)
    room = first.create_room("view-1")
    first.set_view(room.code, room.teacher_token, "view-2")
    first.start_round(room.code, room.teacher_token, "q", (1, 2))
    sid = new_student_id()
    first.submit_answer(room.code, 1, sid, "01")
    first.close()
    second = open_store(backend[1], ttl=TTL, clock=clock)
    state = second.room(room.code)
    assert (state.view, state.version, state.round.number) == ("view-2", 3, 1)
    assert second.answers(room.code, room.teacher_token, 1) == {sid: "01"}
    assert second.set_view(room.code, room.teacher_token, "view-3") == 4
    second.close()


def test_ttl_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MAXPOOL_ROOM_TTL_HOURS", "2")
    s = open_store(f"sqlite://{tmp_path / 'r.sqlite3'}")
    assert s.ttl == 7200
    for bad in ("0", "-1", "nan", "forever", "1e9"):
        monkeypatch.setenv("MAXPOOL_ROOM_TTL_HOURS", bad)
        with pytest.raises(ValueError, match="MAXPOOL_ROOM_TTL_HOURS"):
            open_store(f"sqlite://{tmp_path / 'r.sqlite3'}")


def test_rooms_hold_no_personal_data(backend, clock):
    """Everything stored for a room and an answer, byte for byte: codes, hashes, the view, 0/1 marks, times."""
    s = open_store(backend[1], ttl=TTL, clock=clock)
    room = s.create_room("k=2")
    s.start_round(room.code, room.teacher_token, "k=2", (1, 1))
    sid = new_student_id()
    s.submit_answer(room.code, 1, sid, "1")
    if backend[0] == "sqlite":
        db = sqlite3.connect(s.path)
        rows = db.execute("SELECT * FROM rooms").fetchall() + db.execute("SELECT * FROM answers").fetchall()
        stored = " ".join(str(v) for row in rows for v in row)
    else:
        import redis

        client = redis.Redis.from_url(backend[1], decode_responses=True)
        stored = " ".join(f"{k} {v}" for key in client.keys("maxpool:*") for k, v in client.hgetall(key).items())
    assert room.teacher_token not in stored  # only its hash
    words = set(stored.replace("|", " ").split())
    allowed = {room.code, sid, "k=2", "1", "0"}
    for word in words - allowed:
        # Whatever else is there is a field name, a number or the token's hex hash.
        assert word.isidentifier() or word.replace(".", "").replace("e", "").isdigit() or len(word) == 64, word
    s.close()
