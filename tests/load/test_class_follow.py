"""Following in a real server: students who send nothing get the teacher's steps (the server pushes them).

Three simulated tabs speak Streamlit's websocket protocol (the client of benchmarks/bench_class.py)
against one server with its own SQLite room store, and open their pictures' live channels as the
browser does. The teacher's steps are written to the store as the teacher's session writes them.
Checked: no tab gets a polling timer; a step-only change reaches every tab through its channel with no
run of its page, and a tab whose channel is closed gets a rerun of the step player's fragment alone;
a new grid reruns the whole page; a tab that left to explore is not moved; the channel refuses anyone
but the following tab. Nothing here is timed (bench_class.py times it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.bench_class import WAIT, open_student, step_view, wait_all
from classroom import open_store
from tests.browser.conftest import ROOT, start_server, stop_server
from tests.load.client import is_loopback, run_in_own_loop
from ui.classroom import view_text

pytestmark = [pytest.mark.load, pytest.mark.timeout(300)]

FRAGMENT_RUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
WHOLE_RUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
OTHER_X = "9,1,4,1;5,9,2,6;5,3,5,8;9,7,9,3"


@pytest.fixture()
def server(tmp_path):
    (ROOT / "artifacts").mkdir(exist_ok=True)
    store_url = f"sqlite://{tmp_path / 'rooms.sqlite3'}"
    os.environ["MAXPOOL_ROOM_STORE"] = store_url
    try:
        process, url = start_server()
    finally:
        os.environ.pop("MAXPOOL_ROOM_STORE", None)
    assert is_loopback(url)
    yield url, store_url
    stop_server(process)


async def _class(url: str, store_url: str) -> None:
    store = open_store(store_url)
    room = store.create_room(step_view(1))
    tasks: list = []
    students = await asyncio.gather(*(open_student(i, url, room.code, "test", tasks) for i in range(3)))
    try:
        stuck = await wait_all(lambda s: 1 in s.seen_steps and not s.running, students, WAIT)
        assert not stuck, "every tab loads the teacher's view"
        assert all(s.poll_fragment == "" for s in students), "no tab was given a polling timer"
        # A follower's player has no step controls of its own (the teacher steps); leaving brings them back.
        assert not [s for s in students if "step_next" in s.widget_ids or "step_slider" in s.widget_ids]

        # A follower's page is the linked picture alone, listening on the class's live channel.
        assert all(s.live_url and s.follow_step == 1 for s in students)
        # A step: every tab shows it without asking, through the live channel, with no run of its page.
        before = [len(s.finishes) for s in students]
        store.set_view(room.code, room.teacher_token, step_view(2))
        stuck = await wait_all(lambda s: 2 in s.seen_steps, students, WAIT)
        assert not stuck
        await asyncio.sleep(1.0)  # a run, had one been started, would have finished by now
        for s, n in zip(students, before):
            assert s.finishes[n:] == [] and s.live_messages >= 1 and s.follow_step == 2
            assert any(t.startswith("Step 2 of 8") for t in s.texts), "the screen says the new step"

        # A tab whose live channel is closed still follows: the server reruns its player fragment alone.
        quiet = students[2]
        quiet.live_task.cancel()
        await asyncio.sleep(0.5)  # the server sees the socket close
        n = len(quiet.finishes)
        store.set_view(room.code, room.teacher_token, step_view(3))
        stuck = await wait_all(lambda s: 3 in s.seen_steps, students, WAIT)
        assert not stuck
        await asyncio.wait_for(quiet.finished.wait(), WAIT)
        assert quiet.finishes[n:] == [FRAGMENT_RUN]
        # That run's picture opened the channel again, as the browser's does.
        await asyncio.sleep(0.5)
        assert not quiet.live_task.done()

        # A new grid: the whole page runs again (the grid editors, the sidebar and the figures change).
        before = [len(s.finishes) for s in students]
        store.set_view(room.code, room.teacher_token, view_text("pages/step_through.py", {"x": OTHER_X, "k": "2"}))
        stuck = await wait_all(lambda s: "x=9%2C1" in s.query_string and not s.running, students, WAIT)
        assert not stuck
        assert all(WHOLE_RUN in s.finishes[n:] for s, n in zip(students, before))

        # One tab leaves to explore: the next step reaches the other two only.
        leaver = students[0]
        await leaver.send(widgets=[WidgetState(id=leaver.widget_ids["class_leave"], trigger_value=True)])
        await asyncio.wait_for(leaver.finished.wait(), WAIT)
        assert "class_rejoin" in leaver.widget_ids
        assert "step_next" in leaver.widget_ids and "step_slider" in leaver.widget_ids
        store.set_view(
            room.code, room.teacher_token, view_text("pages/step_through.py", {"x": OTHER_X, "k": "2", "step": "5"})
        )
        stuck = await wait_all(lambda s: 5 in s.seen_steps, students[1:], WAIT)
        assert not stuck
        await asyncio.sleep(2.0)  # longer than the watcher takes to reach a follower (WATCH_SECONDS)
        assert 5 not in leaver.seen_steps
        assert not [e for s in students for e in s.exceptions]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(s.ws.close() for s in students), return_exceptions=True)
        store.close()


def test_students_who_send_nothing_follow_the_teacher(server):
    run_in_own_loop(_class(*server))  # not asyncio.run: Playwright's loop may run in this thread


async def _channel_refusals(url: str, store_url: str) -> None:
    from urllib.parse import parse_qs, urlsplit

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from ui.class_live import FOREIGN_ORIGIN, NOT_FOLLOWING

    store = open_store(store_url)
    room = store.create_room(step_view(1))
    other = store.create_room(step_view(1))
    tasks: list = []
    student = await open_student(0, url, room.code, "test", tasks)
    try:
        assert not await wait_all(lambda s: s.live_url and not s.running, [student], WAIT)
        query = parse_qs(urlsplit(student.live_url).query)
        base = student.live_url.split("?")[0]

        async def close_code(target: str, headers: dict | None = None) -> int | None:
            async with connect(target, open_timeout=WAIT, additional_headers=headers) as ws:
                with contextlib.suppress(ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), WAIT)
                return ws.close_code

        session = query["session"][0]
        # Another room's code, a made-up session, no session: closed at once, nothing sent.
        assert await close_code(f"{base}?room={other.code}&session={session}&since=0") == NOT_FOLLOWING
        assert await close_code(f"{base}?room={room.code}&session=not-a-session&since=0") == NOT_FOLLOWING
        assert await close_code(f"{base}?room={room.code}") == NOT_FOLLOWING
        # A page of another site may not open the student's own channel.
        evil = {"Origin": "http://evil.example"}
        assert await close_code(student.live_url, evil) == FOREIGN_ORIGIN
        # What a channel sends the server changes nothing: the room stays as the teacher left it.
        version = store.version(room.code)
        async with connect(student.live_url, open_timeout=WAIT) as ws:
            await ws.send(json.dumps({"version": 99, "view": step_view(5)}))
            await ws.send("x" * 10_000)
            await asyncio.sleep(0.5)
        assert store.version(room.code) == version and store.room(room.code).view == step_view(1)
        assert not student.exceptions
    finally:
        for task in [*tasks, student.live_task]:
            if task is not None:
                task.cancel()
        await student.ws.close()
        store.close()


def test_the_live_channel_refuses_whoever_does_not_follow_that_room(server):
    run_in_own_loop(_channel_refusals(*server))
