"""Class mode's push (ui/class_push.py) and the shared step payload (ui/payload_share.py), without a server.

The watcher is driven tick by tick against a real store of each kind (SQLite file, redis-server);
Streamlit's sessions are stood in for by small objects, and the rerun request that would go to a
session's event loop is recorded instead. tests/load/test_class_follow.py runs the same mechanism
in a real server, with students speaking Streamlit's websocket protocol.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from classroom import open_store
from tests.test_classroom_store import FakeClock, backend, redis_url  # noqa: F401 - fixtures used by name
from ui import class_push, payload_share
from ui.classroom import changed_params, view_text

STEP = "pages/step_through.py"
X = "3,1;4,1"


def step_view(step: int, x: str = X) -> str:
    return view_text(STEP, {"x": x, "k": "1", "step": str(step)})


class FakeSession:
    """What the watcher needs of an AppSession: it is idle between runs (no script runner)."""

    _scriptrunner = None


@pytest.fixture()
def runs(monkeypatch):
    """Rerun requests as (session, fragment id or None); every fake session counts as connected."""
    requested: list[tuple[FakeSession, str | None]] = []
    monkeypatch.setattr(class_push, "_active", lambda session_id: True)
    monkeypatch.setattr(
        class_push, "_request_run", lambda session, entry, fragment_id=None: requested.append((session, fragment_id))
    )
    return requested


@pytest.fixture()
def room(backend):  # noqa: F811 - the fixture imported above
    store = open_store(backend[1], ttl=3600, clock=FakeClock())
    created = store.create_room(step_view(1))
    yield store, created
    store.close()


def follow(watcher, sessions, code, version, fragment=None):
    for i, session in enumerate(sessions):
        watcher.watch(f"s{i}", session, code, version)
        watcher.done(f"s{i}", version, step_view(1), fragment)


def test_idle_followers_of_a_room_share_one_store_read(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    sessions = [FakeSession() for _ in range(200)]  # held here: the watcher only keeps weak references
    follow(watcher, sessions, created.code, 1)
    for _ in range(3):
        assert watcher.tick() is False
    # One version read per tick for the room (plus the room's state once, when first seen), not 200.
    assert watcher.reads == 3 + 1
    assert runs == []


def test_a_teacher_step_reruns_every_stale_follower_a_few_at_a_time(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    sessions = [FakeSession() for _ in range(5)]
    follow(watcher, sessions, created.code, 1)
    version = store.set_view(created.code, created.teacher_token, step_view(2))
    assert watcher.tick() is True
    assert [s for s, _ in runs] == sessions[: class_push.MAX_RUNS]
    assert watcher.tick() is True  # nothing finished yet: no more runs start
    assert len(runs) == class_push.MAX_RUNS
    for i in range(class_push.MAX_RUNS):  # those runs reach the end of their pages
        watcher.done(f"s{i}", version, step_view(2))
    reads = watcher.reads
    watcher.tick(read=False)  # what the thread does between its reads of the store
    assert [s for s, _ in runs] == sessions[: 2 * class_push.MAX_RUNS]
    assert watcher.reads == reads  # their places went to the next followers without asking the store
    for i in range(len(sessions)):
        watcher.done(f"s{i}", version, step_view(2))
        watcher.tick()
    assert sorted(map(id, (s for s, _ in runs))) == sorted(map(id, sessions))  # each once
    assert watcher.tick() is False


def test_a_finished_run_hands_its_place_to_the_next_follower_itself(room, runs):
    """The end of a follower's run requests the next queued one at once: no tick, no store read."""
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    sessions = [FakeSession() for _ in range(class_push.MAX_RUNS + 2)]
    follow(watcher, sessions, created.code, 1)
    version = store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    reads = watcher.reads
    watcher.done("s0", version, step_view(2))
    assert [s for s, _ in runs] == sessions[: class_push.MAX_RUNS + 1]
    watcher.done("s0", version, step_view(2))  # a second report of the same run frees nothing more
    assert len(runs) == class_push.MAX_RUNS + 1
    watcher.done("s1", version, step_view(2))
    assert [s for s, _ in runs] == sessions
    assert watcher.reads == reads


def test_a_step_only_change_reruns_the_fragment_and_anything_else_the_page(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    session = FakeSession()
    follow(watcher, [session], created.code, 1, fragment=("frag1", ("step",), ("step_pos",)))
    store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    assert runs[-1][1] == "frag1"
    watcher.done("s0", 2, step_view(2), ("frag1", ("step",), ("step_pos",)))
    store.set_view(created.code, created.teacher_token, step_view(2, x="9,1;4,1"))  # a new grid: the whole page
    watcher.tick()
    assert len(runs) == 2 and runs[-1][1] is None


def test_a_follower_that_left_is_not_rerun(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    sessions = [FakeSession(), FakeSession()]
    follow(watcher, sessions, created.code, 1)
    watcher.forget("s0")
    store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    assert runs == [(sessions[1], None)] and watcher.following("s1") and not watcher.following("s0")


def test_a_busy_session_is_asked_again_once_its_own_run_ends(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    session = FakeSession()
    follow(watcher, [session], created.code, 1)
    store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    # The request found the tab in a run of its own and was dropped (as _request_run's kick does).
    watcher._followers["s0"].requested = None
    watcher.tick()
    assert len(runs) == 2


def test_a_follower_whose_tab_closed_is_dropped(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    follow(watcher, [FakeSession()], created.code, 1)  # nothing holds the session any more: the tab is gone
    store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    assert runs == [] and not watcher.following("s0")


def test_a_closed_room_reruns_its_followers_once_more_so_they_are_told(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    session = FakeSession()
    follow(watcher, [session], created.code, 1)
    store.clock.advance(3601)  # the room expires
    watcher.tick()
    assert len(runs) == 1


def test_two_replicas_see_each_others_steps_through_the_store(backend, runs):  # noqa: F811
    """Each replica has its own watcher and store client; a step written by a third client reaches both."""
    clock = FakeClock()
    teacher, replica_a, replica_b = (open_store(backend[1], ttl=3600, clock=clock) for _ in range(3))
    try:
        created = teacher.create_room(step_view(1))
        a, b = class_push.Watcher(replica_a, thread=False), class_push.Watcher(replica_b, thread=False)
        session_a, session_b = FakeSession(), FakeSession()
        follow(a, [session_a], created.code, 1)
        follow(b, [session_b], created.code, 1)
        teacher.set_view(created.code, created.teacher_token, step_view(3))
        a.tick()
        b.tick()
        assert {id(s) for s, _ in runs} == {id(session_a), id(session_b)}
        assert a.room(created.code).view == b.room(created.code).view == step_view(3)
    finally:
        for store in (teacher, replica_a, replica_b):
            store.close()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (step_view(1), step_view(2), (None, frozenset({"step"}))),
        (step_view(1), step_view(1, x="9,1;4,1"), (None, frozenset({"x"}))),
        (step_view(1), view_text("pages/explorer.py", {"x": X, "k": "1"}), ("pages/explorer.py", frozenset({"step"}))),
        (step_view(1), step_view(1), (None, frozenset())),
        ("not json", step_view(1), None),
        (None, step_view(1), None),
    ],
)
def test_changed_params_names_what_differs(old, new, expected):
    assert changed_params(old, new) == expected


# --------------------------------------------------------------------------- shared step payload


def test_sessions_on_the_same_step_share_one_payload():
    key = ("test", object())  # a key no other test uses
    builds = []

    def build():
        builds.append(1)
        time.sleep(0.05)  # long enough for the other threads to ask while it is being built
        return json.dumps({"built": len(builds)})

    results = []
    threads = [threading.Thread(target=lambda: results.append(payload_share.shared_text(key, build))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1  # eight sessions asking at once build it once
    assert results == ['{"built": 1}'] * 8


def test_the_shared_payloads_are_bounded_in_number_and_size(monkeypatch):
    for i in range(payload_share.MAX_SETS + 5):
        payload_share.shared_text(("bounded", i), lambda: "{}")
    assert len(payload_share._SETS) <= payload_share.MAX_SETS
    monkeypatch.setattr(payload_share, "MAX_BYTES", 2500)
    for i in range(5):
        payload_share.shared_text(("sized", i), lambda: "x" * 1000)
    assert [k for k in payload_share._SETS if k[0] == "sized"] == [("sized", 3), ("sized", 4)]
    assert sum(len(t) for t in payload_share._SETS.values()) <= payload_share.MAX_BYTES


def test_two_students_on_the_same_step_get_the_same_step_picture():
    from tests.apptest_util import linked, run_page

    link = {"x": "1,3,2,4;3,0,1,0;4,1,0,2;0,2,5,5", "k": "2", "step": "6"}
    builds = payload_share.stats["builds"]
    first, second = run_page("pages/step_through.py", link), run_page("pages/step_through.py", link)
    assert not first.exception and not second.exception
    assert payload_share.stats["builds"] == builds + 1  # built for the first student, shared with the second
    assert linked(first, "step_linked") == linked(second, "step_linked")
    assert linked(first, "step_linked")["titles"]["dx"] == "dL/dx so far"  # step 6 of 8: backward, window 2


def test_sessions_on_the_same_step_share_its_words_and_plan(monkeypatch):
    """The step's plan, picture options and words are built once for every session on that step."""
    from tests.apptest_util import run_page
    from ui import steps

    built = []
    real_screen = steps._screen
    monkeypatch.setattr(
        steps, "_screen", lambda p, plan, position: built.append(position) or real_screen(p, plan, position)
    )
    link = {"x": "2,7,1,8;2,8,1,8;4,5,9,0;4,5,2,3", "k": "2", "step": "7"}  # a grid no other test uses
    first, second = run_page("pages/step_through.py", link), run_page("pages/step_through.py", link)
    assert not first.exception and not second.exception
    assert built == [6]  # step 7 (0-based 6), built for the first session only
    heading = [h.value for h in first.subheader if h.value.startswith("Step ")]
    assert (
        heading
        == [h.value for h in second.subheader if h.value.startswith("Step ")]
        == [
            # 4 windows forward, then backward step 3 of 4: the third window in scan order, (1, 0)
            "Step 7 of 8 · backward, dL/dy[1, 0]"
        ]
    )


# ---------------------------------------------------------------------- the live channel (ui/class_live.py)


class ImmediateLoop:
    """Stands in for the server's event loop: what is handed to it runs at once."""

    def call_soon_threadsafe(self, fn, *args):
        fn(*args)


class FakeChannel:
    def __init__(self):
        self.loop = ImmediateLoop()
        self.sent: list[str] = []

    def put(self, text: str) -> None:
        self.sent.append(text)


def test_a_step_goes_to_open_live_channels_once_built_and_never_as_a_run(room, runs, monkeypatch):
    from ui import steps

    built = []
    monkeypatch.setitem(class_push.LIVE, STEP, lambda view: built.append(view) or steps.live_screen(view))
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    sessions = [FakeSession() for _ in range(3)]
    frag = ("frag1", ("step",), ("step_pos",))
    follow(watcher, sessions, created.code, 1, fragment=frag)
    channels = [FakeChannel(), FakeChannel()]
    for i, channel in enumerate(channels):  # s2 has no channel open (its tab's picture has not connected)
        assert watcher.attach(f"s{i}", created.code, channel)
    assert not watcher.attach("s2", "SOMEOTHERROOM", FakeChannel())  # only for the room it follows
    version = store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    # The two open channels got the same screen, built once; only the third tab is rerun (its fragment).
    assert [len(c.sent) for c in channels] == [1, 1] and channels[0].sent == channels[1].sent
    assert len(built) == 1 and runs == [(sessions[2], "frag1")]
    screen = json.loads(channels[0].sent[0])
    assert screen["version"] == version and screen["step"] == 2
    assert screen["words"][0][2].startswith(f"Step 2 of {screen['n_steps']}")
    # Nothing more for them until the room moves again.
    watcher.tick()
    assert [len(c.sent) for c in channels] == [1, 1]
    # A new grid is not a step: every page runs again, channels or not.
    watcher.done("s2", version, step_view(2), frag)
    store.set_view(created.code, created.teacher_token, step_view(2, x="9,1;4,1"))
    watcher.tick()
    assert [len(c.sent) for c in channels] == [1, 1]
    assert [fragment for _, fragment in runs[1:]] == [None] * class_push.MAX_RUNS


def test_a_closed_channel_falls_back_to_the_run(room, runs):
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    session = FakeSession()
    frag = ("frag1", ("step",), ("step_pos",))
    follow(watcher, [session], created.code, 1, fragment=frag)
    channel = FakeChannel()
    watcher.attach("s0", created.code, channel)
    watcher.detach("s0", channel)
    store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    assert channel.sent == [] and runs == [(session, "frag1")]


def test_the_live_screen_is_the_screen_a_run_draws():
    """``live_screen`` (built outside any session) gives the picture and words the page's run would draw."""
    from figures.linked import linked_payload
    from ui import steps
    from ui.codec import decode_view
    from ui.model import pool_view

    x = "3,1,4,1;5,9,2,6;5,3,5,8;9,7,9,3"
    for step in (1, 4, 5, 8):
        screen = json.loads("{" + steps.live_screen(view_text(STEP, {"x": x, "k": "2", "step": str(step)})) + "}")
        view, _ = decode_view({"x": x, "k": "2"})
        p = pool_view(view)
        plan = steps.plan_steps(p.res, p.dy, p.tie_policy)
        shown = plan.step(step - 1)
        picture = steps.step_picture(p, plan, shown)
        expected = linked_payload(p.res, p.dy, p.tie_policy, sel=shown.cell, editable=(), pinnable=False, **picture)
        expected = json.loads(json.dumps(expected, allow_nan=False))
        assert {k: v for k, v in screen["picture"].items() if k != "plotly_src"} == expected
        assert screen["words"] == [list(line) for line in steps.step_words(p, plan, shown)]
        assert (screen["step"], screen["n_steps"]) == (step, plan.n_steps)
    # Views the page has to explain are left to a run.
    assert steps.live_screen(view_text(STEP, {"x": x, "k": "2", "step": "99"})) is None
    assert steps.live_screen(view_text(STEP, {"x": x, "k": "2", "step": "two"})) is None
    assert steps.live_screen(view_text(STEP, {"x": x, "k": "9"})) is None  # the window does not fit
    assert steps.live_screen(view_text("pages/explorer.py", {"x": x})) is None


def test_a_picture_that_reconnects_behind_gets_the_screen_again(room, runs):
    """A screen lost with a dropped socket: the picture reconnects with the version it shows and is sent the room's."""
    store, created = room
    watcher = class_push.Watcher(store, thread=False)
    session = FakeSession()
    frag = ("frag1", ("step",), ("step_pos",))
    follow(watcher, [session], created.code, 1, fragment=frag)
    lost = FakeChannel()
    watcher.attach("s0", created.code, lost, since=1)
    version = store.set_view(created.code, created.teacher_token, step_view(2))
    watcher.tick()
    assert len(lost.sent) == 1  # written, but the socket dropped before the browser had it
    again = FakeChannel()
    watcher.attach("s0", created.code, again, since=1)
    watcher.tick()
    assert [json.loads(t)["version"] for t in again.sent] == [version] and runs == []
    # Reconnecting up to date sends nothing more.
    current = FakeChannel()
    watcher.attach("s0", created.code, current, since=version)
    watcher.tick()
    assert current.sent == [] and runs == []
