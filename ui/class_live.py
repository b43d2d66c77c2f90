"""Class mode's live channel: the teacher's next step reaches following students' pictures without a script run.

A following student's Step through screen is one linked picture (``ui/linked.js``), which opens a
WebSocket to `PATH` on the app's own server. When the teacher moves only the step, the server's
watcher (``ui.class_push``) builds the new step's screen once (picture payload and words, shared by
every session on that step) and writes the same text to every open channel of that room in this
process; the browsers redraw. A Streamlit rerun per student cost the server ~11 ms of CPU each, so
200 students waited 2.3 s for the last of them; one write per student costs a few tens of µs.

The route is added to Streamlit's own Starlette app (1.67 serves with Starlette and uvicorn) the first
time a page asks for it, in front of Streamlit's routes. Where that app cannot be found (AppTest,
another Streamlit), `ensure_route` returns False and the pages keep the rerun-per-student path.

The channel only ever sends: a browser's messages are read and dropped (a closed socket ends it). It is
opened for a session id and a room code; both must name a session this process's watcher has
following that room, else the socket is closed at once (code 4404), so the route tells nothing about
rooms or sessions to anyone else; and a page of another site may not open it (code 4403).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import threading
from dataclasses import dataclass, field

_LOGGER = logging.getLogger(__name__)

PATH = "_maxpool/class/live"
"""The channel's path under the app's base URL (relative: the browser resolves it against the page)."""

NOT_FOLLOWING = 4404
"""Close code for a socket whose session does not follow that room here (the browser stops retrying)."""

FOREIGN_ORIGIN = 4403
"""Close code for a socket opened by a page of another site (its Origin names another host)."""

MAX_QUEUED = 8
"""Messages waiting for a slow browser; older ones are dropped (each message is a whole screen)."""

_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ROOM = re.compile(r"[A-Za-z0-9]{1,32}")

_lock = threading.Lock()
_route_state: dict[str, bool] = {}  # "added": the route is in the app's router (once per process)


@dataclass(eq=False)
class Channel:
    """One browser's open socket: messages queue on the server's event loop and go out in order."""

    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)

    def put(self, text: str) -> None:
        """On the event loop: queue ``text``; a browser that fell behind keeps only the newest screens."""
        while self.queue.qsize() >= MAX_QUEUED:
            self.queue.get_nowait()
        self.queue.put_nowait(text)


def send(channels: list[Channel], text: str) -> None:
    """From any thread: queue ``text`` on every channel, one hop to each event loop (not one per channel)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Channel]] = {}
    for channel in channels:
        by_loop.setdefault(channel.loop, []).append(channel)
    for loop, group in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: the server is stopping
            loop.call_soon_threadsafe(_put_all, group, text)


def _put_all(channels: list[Channel], text: str) -> None:
    for channel in channels:
        channel.put(text)


def ensure_route() -> bool:
    """Add the channel's route to Streamlit's Starlette app once per process; True if it is there."""
    with _lock:
        if "added" not in _route_state:
            _route_state["added"] = _add_route()
        return _route_state["added"]


def _streamlit_app():
    """Streamlit's Starlette application in this process (the one serving ``/_stcore/stream``), or None."""
    try:
        from starlette.applications import Starlette
    except ImportError:
        return None
    for obj in gc.get_objects():
        if issubclass(type(obj), Starlette):  # type(): a lazy proxy's __class__ may warn or import
            paths = {getattr(route, "path", "") for route in obj.router.routes}
            if any(path.endswith("/_stcore/stream") for path in paths):
                return obj
    return None


def _base_path() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def _add_route() -> bool:
    try:
        from starlette.routing import WebSocketRoute

        app = _streamlit_app()
        if app is None:
            return False
        path = f"{_base_path()}/{PATH}"
        if not any(getattr(route, "path", None) == path for route in app.router.routes):
            app.router.routes.insert(0, WebSocketRoute(path, _live))
        return True
    except Exception as err:  # noqa: BLE001 - any mismatch with Streamlit's server: the rerun path stays
        _LOGGER.warning("class mode's live channel is off: %s", err)
        return False


async def _live(websocket) -> None:
    """The endpoint: check who asks, then send every screen the watcher queues until the socket closes."""
    from ui import class_push

    params = websocket.query_params
    session_id, room = params.get("session", ""), params.get("room", "")
    await websocket.accept()
    if not _same_origin(websocket.headers):
        await websocket.close(code=FOREIGN_ORIGIN)
        return
    if not (_SESSION_ID.fullmatch(session_id) and _ROOM.fullmatch(room)):
        await websocket.close(code=NOT_FOLLOWING)
        return
    since = params.get("since", "")
    channel = Channel(asyncio.get_running_loop())
    watcher = class_push.attach_channel(
        session_id, room, channel, int(since) if re.fullmatch(r"[0-9]{1,12}", since) else None
    )
    if watcher is None:
        await websocket.close(code=NOT_FOLLOWING)
        return
    sender = asyncio.create_task(_send_loop(websocket, channel))
    try:
        while True:
            message = await websocket.receive()
            if message.get("type") == "websocket.disconnect":
                break
    except Exception:  # noqa: BLE001 - a dropped connection ends the channel like a closed one
        pass
    finally:
        sender.cancel()
        watcher.detach(session_id, channel)


def _same_origin(headers) -> bool:
    """A browser names the page that opens a socket (Origin); only the app's own pages may open this one."""
    from urllib.parse import urlsplit

    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser (the benchmark's client): nothing to check, the ids below still are
    return urlsplit(origin).netloc.lower() == (headers.get("host") or "").lower()


async def _send_loop(websocket, channel: Channel) -> None:
    try:
        while True:
            await websocket.send_text(await channel.queue.get())
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - the socket closed under us: the receive loop ends the channel
        pass
