"""Class mode's push: one watcher thread per server process reruns following students' pages when their room changes.

A page that polls costs a script run per student per timer tick: 200 students polling once a
second kept one of the machine's two cores busy while nothing changed. Instead each server
process keeps a list of its following sessions by room. A thread reads the version of each
listed room every `WATCH_SECONDS` (one store read per room, however many students follow it;
with two replicas each reads the shared Redis store, so a step taken on one reaches students on
the other), and asks each session whose page shows an older version to run its page again, the
way Streamlit reruns every session when the app's source changes (``runOnSave``). The run then
loads the teacher's view exactly as a polling page did (``ui.classroom._follow``). When the
change is one a page's fragment can show alone (``ui.classroom.follow_in_fragment``: Next on the
step page changes only ``step=``), only that fragment is rerun, a fraction of the page's cost. And
when the page has a screen builder in `LIVE` and the follower's picture has its live channel open
(``ui.class_live``), there is no run at all: the new screen is built once per room and version and
written to every such channel. A run costs the server ~11 ms of CPU per student; a write, tens of µs.

At most `MAX_RUNS` of those runs go at once. They all want the same CPU, and 200 threads started
together finish later in total than the same runs queued: under the GIL every message a run sends
makes it wait behind all the others (measured in benchmarks/bench_class.py). A run that reaches the
end of its page requests the next queued one itself (`Watcher.done`), and the thread looks only at
the runs in flight between its reads, so handing on a place costs the same for 20 students or 200.

This reaches into Streamlit's runtime (1.67: the session manager, ``AppSession.request_rerun`` and
the session's event loop). Where any of that is missing (AppTest, another Streamlit version),
`watch` returns False and the page keeps its polling fragment, so following still works.
"""

from __future__ import annotations

import json
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import classroom

WATCH_SECONDS = 0.1
"""How often the watcher reads the versions of the rooms it has followers for (idle cost: one read per room)."""

MAX_RUNS = 2
"""Follow runs started at once per process; the rest wait for one to finish (see the module docstring)."""

RUN_TIMEOUT = 10.0
"""A requested run that has not reported back after this long no longer holds a place (it failed or the tab left)."""

LIVE: dict[str, Callable[[str], str | None]] = {}
"""Page file -> builder of a live screen for a room view on that page (``ui.steps.live_screen``).

The builder returns the screen as the inside of a JSON object (``"step":..,"picture":..``), or None
when the view cannot be shown that way (then the student's page is rerun as before).
"""

_DISPATCH_SECONDS = 0.05  # while runs are queued: how often the thread looks for runs that never reported back


@dataclass
class _Follower:
    code: str
    applied: int | None  # the room version this session's page shows
    session: weakref.ref  # the AppSession
    applied_view: str | None = None  # the room view it loaded last
    fragment: tuple | None = None  # (fragment id, params, reset keys) the page can follow with, or None
    requested: int | None = None  # the version a rerun was requested for (None: none pending)
    requested_at: float = 0.0
    done: bool = False  # the requested run reached the end of the page
    channel: object | None = None  # the page's open live channel (ui.class_live.Channel), if any


class Watcher:
    """The following sessions of one store, and the thread that reruns them when their room's version moves."""

    def __init__(self, store: classroom.RoomStore, *, thread: bool = True):
        self.store = store
        self.thread = thread  # False: nothing ticks but the caller (tests drive `tick` by hand)
        self._followers: dict[str, _Follower] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._rooms: dict[str, classroom.RoomState] = {}  # the latest state read of each followed room
        self._versions: dict[str, int | None] = {}  # each followed room's version as read last (None: closed)
        self._read_at = -math.inf
        self._queue: deque[str] = deque()  # followers whose page is behind, waiting for a place (from the last read)
        self._in_flight: set[str] = set()  # followers with a requested run that has not reported back
        self._dispatch_lock = threading.RLock()  # the queue and the runs in flight (the thread and finishing runs)
        self._diffs: dict[tuple, bool] = {}  # (view shown, room view, params) -> whether the fragment can follow
        self._live_texts: dict[tuple[str, int], str | None] = {}  # (room, version) -> the live screen sent
        self.live_sent = 0  # screens written to live channels (tests check that steps go that way)
        self.reads = 0  # store reads made by the thread (tests check that students share them)
        self.kicks = 0  # reruns requested
        self.fragment_kicks = 0  # of which only a fragment's

    # ------------------------------------------------------------------ called from script runs

    def watch(self, session_id: str, session, code: str, applied: int | None) -> None:
        """Keep ``session`` following room ``code``; its page now shows version ``applied``."""
        with self._lock:
            entry = self._followers.get(session_id)
            if entry is None or entry.code != code or entry.session() is not session:
                self._followers[session_id] = _Follower(code, applied, weakref.ref(session))
            else:
                entry.applied = applied
            if self.thread and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="class-follow-watcher", daemon=True)
                self._thread.start()

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._followers.pop(session_id, None)

    def done(self, session_id: str, applied: int | None, applied_view: str | None = None, fragment=None) -> None:
        """A follower's run reached the end of its page: its place goes to the next queued run at once.

        ``applied_view`` is the room view the page loaded, ``fragment`` the page's fragment that can
        follow a change of some link parameters alone (see `Watcher.tick`). The next run is requested
        from here, the finishing run's thread: waking the watcher's thread for it cost every student
        one more hand-over of the interpreter between threads.
        """
        with self._lock:
            entry = self._followers.get(session_id)
            if entry is None:
                return
            entry.applied, entry.applied_view, entry.fragment = applied, applied_view, fragment
            if entry.requested is None:
                return  # a run of the student's own: no place to hand over
            entry.done = True
        now = time.monotonic()
        try:
            with self._dispatch_lock:
                self._settle(now)
                self._dispatch(now, read=False)
        except Exception:  # noqa: BLE001 - never the student's run's problem: the watcher's thread tries again
            pass

    def attach(self, session_id: str, code: str, channel, since: int | None = None) -> bool:
        """A following page opened its live channel (``ui.class_live``); False if it does not follow ``code`` here.

        ``since`` is the room version the picture shows: a picture that reconnects behind what was sent
        (a screen lost with a dropped socket) gets the room's screen again at the next read.
        """
        with self._lock:
            entry = self._followers.get(session_id)
            if entry is None or entry.code != code or entry.session() is None:
                return False
            entry.channel = channel
            if since is not None and entry.applied is not None and since < entry.applied:
                entry.applied = since
        self._read_at = -math.inf  # read at the next tick: the page may be behind already
        return True

    def detach(self, session_id: str, channel) -> None:
        with self._lock:
            entry = self._followers.get(session_id)
            if entry is not None and entry.channel is channel:
                entry.channel = None

    def room(self, code: str) -> classroom.RoomState | None:
        """The room as the watcher read it last (so a fragment run need not read the store again), or None."""
        with self._lock:
            return self._rooms.get(code)

    def following(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._followers

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        while True:
            try:
                # A finished run hands its place on itself (`done`); while runs are queued this also frees
                # the places of runs that never reported back. The store is read every WATCH_SECONDS.
                busy = self.tick(read=time.monotonic() - self._read_at >= WATCH_SECONDS)
            except Exception:  # noqa: BLE001 - a store hiccup must not end following for the whole server
                busy = False
            time.sleep(_DISPATCH_SECONDS if busy else WATCH_SECONDS)

    def tick(self, now: float | None = None, *, read: bool = True) -> bool:
        """Request the reruns that are due; True while some wait.

        With ``read`` it first reads the followed rooms' versions (once per room) and drops followers
        whose tab has gone; without, it only hands finished runs' places to waiting followers.
        """
        now = time.monotonic() if now is None else now
        if not read:
            with self._dispatch_lock:
                self._settle(now)
                return self._dispatch(now, read=False)
        versions = self._versions
        with self._lock:
            entries = list(self._followers.items())
        codes = {entry.code for _, entry in entries}
        self._read_at = now
        for code in set(versions) - codes:  # rooms nobody here follows any more
            versions.pop(code, None)
            with self._lock:
                self._rooms.pop(code, None)
        for code in codes:
            self._read_room(code)
        with self._dispatch_lock:
            self._scan(entries, versions, now)
            return self._dispatch(now, read=True)

    def _dispatch(self, now: float, *, read: bool) -> bool:
        """Request runs for queued followers while fewer than `MAX_RUNS` are in flight; True while some wait.

        Called with ``_dispatch_lock`` held, from the watcher's thread or from a finishing run (`done`).
        """
        versions = self._versions
        while self._queue and len(self._in_flight) < MAX_RUNS:
            session_id = self._queue.popleft()
            with self._lock:
                entry = self._followers.get(session_id)
            session = entry.session() if entry is not None else None
            if session is None or entry.requested is not None or entry.code not in versions:
                continue
            version = versions[entry.code]
            if version == entry.applied and version is not None:
                continue  # caught up by a run of its own since the last read
            if not read and not _active(session_id):
                self.forget(session_id)
                continue
            entry.requested, entry.requested_at, entry.done = version, now, False
            self._in_flight.add(session_id)
            fragment_id = self._fragment_for(entry)
            self.kicks += 1
            self.fragment_kicks += fragment_id is not None
            _request_run(session, entry, fragment_id)
        return bool(self._queue) or bool(self._in_flight)

    def _read_room(self, code: str) -> None:
        """Read room ``code``'s version, and its state when the version moved (once per change, for every follower)."""
        try:
            self._versions[code] = self.store.version(code)
            self.reads += 1
            known = self.room(code)
            if self._versions[code] != (known.version if known else None):
                found = self.store.room(code)
                self.reads += 1
                with self._lock:
                    self._rooms[code] = found
        except classroom.RoomNotFound:
            self._versions[code] = None  # one more run tells the student that the room closed
            with self._lock:
                self._rooms.pop(code, None)
        except Exception:  # noqa: BLE001 - the store is down: try again next time, pages stay as they are
            pass

    def _finished(self, entry: _Follower, session, now: float) -> bool:
        """Whether ``entry``'s requested run no longer holds a place (it ended, or it is too old to wait for)."""
        if entry.requested is None:
            return True
        if entry.done or (entry.applied == entry.requested and _idle(session)):
            return True
        return now - entry.requested_at >= RUN_TIMEOUT

    def _scan(self, entries, versions, now: float) -> None:
        """At a read of the store: every follower whose page is behind its room, in the order they followed."""
        self._queue.clear()
        self._in_flight.clear()
        live: dict[str, list] = {}  # room -> the channels of followers that get the room's screen through them
        for session_id, entry in entries:
            session = entry.session()
            if session is None or not _active(session_id):
                self.forget(session_id)
                continue
            if entry.code not in versions:
                continue
            if entry.requested is not None:
                if not self._finished(entry, session, now):
                    self._in_flight.add(session_id)
                    continue
                entry.requested = None
            version = versions[entry.code]
            if version != entry.applied or version is None:
                if self._live_ready(entry, version):
                    live.setdefault(entry.code, []).append(entry)
                else:
                    self._queue.append(session_id)
        for code, followers in live.items():
            self._send_live(code, followers)

    def _live_ready(self, entry: _Follower, version: int | None) -> bool:
        """Whether ``entry``'s page can take the room's new version through its live channel (no rerun)."""
        if entry.channel is None or version is None or self._fragment_for(entry) is None:
            return False
        return self._live_text(entry.code, version) is not None

    def _live_text(self, code: str, version: int) -> str | None:
        """The room's screen at ``version`` as sent to live channels, built once for all its followers here."""
        key = (code, version)
        if key not in self._live_texts:
            room = self.room(code)
            text = None
            if room is not None and room.version == version:
                try:
                    builder = LIVE.get(json.loads(room.view).get("page"))
                    body = builder(room.view) if builder is not None else None
                except Exception:  # noqa: BLE001 - a view the builder cannot show: the rerun path shows it
                    body = None
                text = None if body is None else f'{{"version":{int(version)},{body}}}'
            if len(self._live_texts) >= 64:
                self._live_texts.clear()
            self._live_texts[key] = text
        return self._live_texts[key]

    def _send_live(self, code: str, followers: list[_Follower]) -> None:
        from ui import class_live

        room = self.room(code)
        version = self._versions.get(code)
        text = self._live_text(code, version)
        # A channel may close meanwhile (on the event loop): only the followers it reached count as up to date.
        reached = [(entry, entry.channel) for entry in followers]
        reached = [(entry, channel) for entry, channel in reached if channel is not None]
        class_live.send([channel for _, channel in reached], text)
        self.live_sent += len(reached)
        for entry, _ in reached:
            entry.applied, entry.applied_view = version, room.view

    def _settle(self, now: float) -> None:
        """Between reads: free the places of the runs that ended (looks at those runs only, not every follower)."""
        for session_id in list(self._in_flight):
            with self._lock:
                entry = self._followers.get(session_id)
            session = entry.session() if entry is not None else None
            if session is None:
                self._in_flight.discard(session_id)
            elif self._finished(entry, session, now):
                entry.requested = None
                self._in_flight.discard(session_id)

    def _fragment_for(self, entry: _Follower) -> str | None:
        """The fragment to rerun instead of the page: the change since its last run is only in the fragment's params."""
        room = self.room(entry.code)
        if entry.fragment is None or room is None or entry.applied_view is None:
            return None
        fragment_id, params, _ = entry.fragment
        key = (entry.applied_view, room.view, params)  # 200 students of a room share one comparison
        if key not in self._diffs:
            from ui.classroom import changed_params

            if len(self._diffs) >= 64:
                self._diffs.clear()
            diff = changed_params(entry.applied_view, room.view)
            self._diffs[key] = diff is not None and diff[0] is None and diff[1] <= set(params)
        return fragment_id if self._diffs[key] else None


# ---------------------------------------------------------------------- Streamlit's runtime (1.67)


def _runtime_session(session_id: str):
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
    return None if info is None else info.session


def _active(session_id: str) -> bool:
    try:
        return _runtime_session(session_id) is not None
    except Exception:  # noqa: BLE001 - no runtime: nothing to rerun
        return False


def _idle(session) -> bool:
    return getattr(session, "_scriptrunner", None) is None


def _request_run(session, entry: _Follower, fragment_id: str | None = None) -> None:
    """Ask ``session`` to run its page (or only ``fragment_id``) again, on its own event loop, if it is idle.

    On the event loop this is ordered with the tab's own messages: a run the student started (a
    click) is never cut short by this one; then the request is dropped and the next tick asks again.
    """
    from streamlit.proto.ClientState_pb2 import ClientState

    def kick() -> None:
        if not _idle(session):
            entry.requested = None  # busy with its own run: the next tick asks again
            return
        last = session._client_state
        state = ClientState(query_string=last.query_string, page_script_hash=last.page_script_hash)
        if fragment_id and session.has_fragment(fragment_id):
            state.fragment_id = fragment_id
        if last.HasField("context_info"):
            state.context_info.CopyFrom(last.context_info)
        session.request_rerun(state)

    try:
        session._event_loop.call_soon_threadsafe(kick)
    except (AttributeError, RuntimeError):
        entry.requested = None


_WATCHERS: dict[int, Watcher] = {}
_WATCHERS_LOCK = threading.Lock()


def watcher_for(store: classroom.RoomStore) -> Watcher:
    with _WATCHERS_LOCK:
        found = _WATCHERS.get(id(store))
        if found is None or found.store is not store:
            found = _WATCHERS[id(store)] = Watcher(store)
        return found


def attach_channel(session_id: str, code: str, channel, since: int | None = None) -> Watcher | None:
    """The watcher that has ``session_id`` following room ``code``, with ``channel`` attached to it; else None."""
    with _WATCHERS_LOCK:
        watchers = list(_WATCHERS.values())
    for watcher in watchers:
        if watcher.attach(session_id, code, channel, since):
            return watcher
    return None


def current_session() -> tuple[str, object] | None:
    """(session id, AppSession) of the run calling this, or None where there is no runtime to push through."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None:
            return None
        session = _runtime_session(ctx.session_id)
        if session is None or not hasattr(session, "request_rerun") or not hasattr(session, "_event_loop"):
            return None
        return ctx.session_id, session
    except Exception:  # noqa: BLE001 - any mismatch with Streamlit's internals: fall back to polling
        return None
