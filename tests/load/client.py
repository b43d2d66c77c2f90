"""A websocket-level load client for the app: many sessions, each opening a link and editing cells.

Each session speaks Streamlit's own protocol on ``/_stcore/stream`` (protobuf
``BackMsg``/``ForwardMsg``), as a browser tab does: it asks for a run with the link's
query string, learns the widget ids from the elements it receives, then edits one
cell of the x editor at a time (the data editor's widget state, as the browser sends
it) and waits until the x figure arrives with the new value. On a page with the linked
picture (ui/linked.py) an edit is the component's ``event`` trigger, as its browser code
sends it, and the new x is read from the component's payload. That wait is the
edit-to-update latency. No browser rendering is involved, so 30+ sessions fit on a
2-core machine next to the server; the browser's own cost is measured by
benchmarks/bench_app.py.

Everything is bounded: each wait has a timeout, the whole run has a deadline, and
sessions only ever talk to the loopback address they are given.

    python -m tests.load.client --url http://127.0.0.1:8501 --sessions 30 --edits 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import json
import os
import random
import resource
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import numpy as np
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

#: The link every session opens: an 8x8 grid of small integers (ties likely), 2x2 windows.
GRID_SIDE = 8
EDIT_TIMEOUT = 30.0  # seconds one edit may take before it counts as an error
FINISHED_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
FINISHED_OK = (
    ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY"),
    ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY"),  # an edit in the linked picture
)


def link_query(seed: int = 0, side: int = GRID_SIDE) -> tuple[str, np.ndarray]:
    x = np.random.default_rng(seed).integers(0, 10, size=(side, side))
    return urlencode({"x": ";".join(",".join(str(v) for v in row) for row in x), "k": "2"}), x.astype(float)


def heatmap(spec: dict) -> np.ndarray:
    """The values of the figure's grid trace (Plotly sends numpy arrays as base64 typed arrays)."""
    for trace in spec["data"]:
        if trace.get("name") == "grid":
            z = trace["z"]
            if isinstance(z, dict):
                flat = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.dtype(z["dtype"]))
                return flat.reshape([int(s) for s in str(z["shape"]).split(",")])
            return np.array([[np.nan if v is None else v for v in row] for row in z], dtype=float)
    raise KeyError("no grid trace")


def run_in_own_loop(coroutine):
    """``asyncio.run`` in a thread of its own: after the browser tests, Playwright's sync API keeps an
    event loop running in the main thread, where ``asyncio.run`` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host == "::1" or host.startswith("127.")


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float  # request to script_finished
    update_seconds: float | None  # request to the x figure (None if it never came)
    widget_ids: dict[str, str]
    x: np.ndarray | None
    query_string: str | None
    page_hash: str | None
    exceptions: list[str]
    status: int | None


@dataclass
class SessionStats:
    load_seconds: float | None = None
    edit_seconds: list[float] = field(default_factory=list)  # edit -> updated x figure
    run_seconds: list[float] = field(default_factory=list)  # edit -> script finished
    updated: int = 0
    errors: list[str] = field(default_factory=list)


class Session:
    def __init__(self, ws):
        self.ws = ws
        self.widget_ids: dict[str, str] = {}
        self.query_string = ""
        self.page_hash = ""

    async def rerun(
        self, widgets: list | None = None, expect: tuple[int, int, float] | None = None, fragment_id: str = ""
    ) -> Run:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash
        if fragment_id:  # a widget inside a fragment reruns only that fragment, as in the browser
            state.fragment_id = fragment_id
        for widget in widgets or []:
            state.widget_states.widgets.append(widget)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        update, x, exceptions, status, qs, page = None, None, [], None, None, None
        ids: dict[str, str] = {}
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), EDIT_TIMEOUT)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                element = fm.delta.new_element
                etype = element.WhichOneof("type")
                body = getattr(element, etype)
                wid = getattr(body, "id", "") if etype != "exception" else ""
                if wid.startswith("$$ID"):
                    ids[wid.rsplit("-", 1)[1]] = wid
                    if fm.delta.fragment_id:
                        ids["fragment:" + wid.rsplit("-", 1)[1]] = fm.delta.fragment_id
                if etype == "exception":
                    exceptions.append(f"{body.type}: {body.message}"[:300])
                elif etype == "plotly_chart" and wid.endswith("-x_chart"):
                    x = heatmap(json.loads(body.spec))
                    if expect is None or x[expect[0], expect[1]] == expect[2]:
                        update = time.perf_counter() - t0
                elif etype == "bidi_component" and wid.endswith("-linked"):
                    x = linked_x(body.json)
                    if expect is None or x[expect[0], expect[1]] == expect[2]:
                        update = time.perf_counter() - t0
            elif kind == "page_info_changed":
                qs = fm.page_info_changed.query_string
            elif kind == "new_session":
                page = fm.new_session.page_script_hash
            elif kind == "script_finished":
                status = fm.script_finished
                if status == FINISHED_EARLY_FOR_RERUN:  # the app called st.rerun(): its next run follows
                    continue
                return Run(time.perf_counter() - t0, update, ids, x, qs, page, exceptions, status)

    async def run(self, widgets=None, expect=None, fragment_id: str = "") -> Run:
        result = await self.rerun(widgets, expect, fragment_id)
        self.widget_ids.update(result.widget_ids)
        if result.query_string is not None:
            self.query_string = result.query_string
        if result.page_hash:
            self.page_hash = result.page_hash
        return result


def linked_x(payload_json: str) -> np.ndarray:
    """x as the linked picture's payload carries it (figures/linked.py)."""
    from figures.linked import decode_values

    data = json.loads(payload_json)
    grid = (json.loads(data["json"]) if isinstance(data.get("json"), str) else data)["grids"]["x"]
    return decode_values(grid["v"], tuple(grid["shape"]))


def linked_edit_widgets(component_id: str, row: int, col: int, text: str, serial: int) -> list:
    """An in-place edit of x[row, col], as the linked picture's browser code sends it: its ``event`` trigger,
    beside the component's (empty) state, which the browser sends too and Streamlit reads triggers through."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    state = WidgetState()
    state.id = component_id
    state.json_value = "{}"
    trigger = WidgetState()
    trigger.id = f"$$STREAMLIT_INTERNAL_KEY_{component_id}__events"
    trigger.json_trigger_value = json.dumps(
        [{"event": "event", "value": {"type": "edit", "grid": "x", "cells": [[row, col, text]], "n": serial}}]
    )
    return [state, trigger]


def editor_widget(widget_id: str, edits: dict[int, dict[str, str]]):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    w = WidgetState()
    w.id = widget_id
    w.string_value = json.dumps(
        {"edited_rows": {str(r): cells for r, cells in edits.items()}, "added_rows": [], "deleted_rows": []}
    )
    return w


async def one_session(
    index: int, url: str, n_edits: int, think: tuple[float, float], ready: asyncio.Event, loaded: list, seed: int
) -> SessionStats:
    stats = SessionStats()
    rng = random.Random(seed * 1000 + index)
    ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    query, x = link_query(index)
    try:
        # A route cookie per session: behind nginx (deploy/), sessions spread over the replicas.
        async with connect(
            ws_url,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=EDIT_TIMEOUT,
            ping_interval=None,
            additional_headers={"Cookie": f"st_route=load-{seed}-{index}"},
        ) as ws:
            session = Session(ws)
            session.query_string = query
            first = await session.run()
            stats.load_seconds = first.seconds
            if first.exceptions or first.x is None or not np.array_equal(first.x, x):
                stats.errors.append(f"session {index}: first run wrong ({first.exceptions or 'no or wrong x'})")
                return stats
            loaded.append(index)
            await ready.wait()  # every session is open before anyone edits
            # The linked picture's in-place edit when the page has it, else the data editor's cell edit.
            linked = session.widget_ids.get("linked")
            editor = next((wid for key, wid in session.widget_ids.items() if key.startswith("x_editor_")), None)
            if linked is None and editor is None:
                stats.errors.append(f"session {index}: no x editor on the page")
                return stats
            edits: dict[int, dict[str, str]] = {}
            for e in range(n_edits):
                if think[1] > 0:
                    await asyncio.sleep(rng.uniform(*think))
                r, c = rng.randrange(GRID_SIDE), rng.randrange(GRID_SIDE)
                value = float(100 + e)  # never in the starting grid, different every edit
                if linked is not None:
                    widgets = linked_edit_widgets(linked, r, c, str(int(value)), e + 1)
                else:
                    edits.setdefault(r, {})[str(c)] = str(int(value))
                    widgets = [editor_widget(editor, edits)]
                fragment = session.widget_ids.get("fragment:linked", "") if linked is not None else ""
                result = await session.run(widgets, expect=(r, c, value), fragment_id=fragment)
                stats.run_seconds.append(result.seconds)
                if result.exceptions:
                    stats.errors.append(f"session {index} edit {e}: exception {result.exceptions[0]}")
                elif result.status not in (*FINISHED_OK, None):
                    stats.errors.append(f"session {index} edit {e}: run ended with status {result.status}")
                elif result.update_seconds is None:
                    stats.errors.append(f"session {index} edit {e}: x figure never showed {value} at ({r}, {c})")
                else:
                    stats.updated += 1
                    stats.edit_seconds.append(result.update_seconds)
    except TimeoutError:
        stats.errors.append(f"session {index}: timed out after {EDIT_TIMEOUT} s")
    except Exception as exc:  # a refused or dropped connection is an error to report, not a crash
        stats.errors.append(f"session {index}: {type(exc).__name__}: {exc}"[:300])
    return stats


# --------------------------------------------------------------------------- server process figures


def proc_rss_bytes(pid: int | list[int]) -> int:
    """Resident memory of a process (or the sum over several), from /proc."""
    if isinstance(pid, list):
        return sum(proc_rss_bytes(p) for p in pid)
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def proc_cpu_seconds(pid: int | list[int]) -> float:
    """CPU time (user + system) a process (or several together) has used, from /proc."""
    if isinstance(pid, list):
        return sum(proc_cpu_seconds(p) for p in pid)
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def _run(
    url: str,
    sessions: int,
    edits: int,
    think: tuple[float, float],
    server_pid: int | list[int] | None,
    seed: int,
    warmups: int,
) -> dict:
    # Warm-up: sessions that load and edit once, so imports and first compilations are not
    # counted (with replicas, several, so that every replica is warmed).
    warm_event = asyncio.Event()
    warm_event.set()
    warm = SessionStats()
    for k in range(warmups):
        warm.errors += (await one_session(10_000 + k, url, 1, (0, 0), warm_event, [], seed)).errors
    if warm.errors:
        return {
            "sessions": sessions,
            "edits_per_session": edits,
            "edits_sent": 0,
            "edits_updated": 0,
            "errors": len(warm.errors),
            "error_samples": ["warm-up: " + e for e in warm.errors],
        }
    await asyncio.sleep(1.0)
    rss0 = proc_rss_bytes(server_pid) if server_pid else None
    ready, loaded = asyncio.Event(), []
    tasks = [asyncio.create_task(one_session(i, url, edits, think, ready, loaded, seed)) for i in range(sessions)]
    t_open = time.perf_counter()
    while len(loaded) < sessions and not all(t.done() for t in tasks) and time.perf_counter() - t_open < 120:
        await asyncio.sleep(0.05)
    open_seconds = time.perf_counter() - t_open
    rss_open = proc_rss_bytes(server_pid) if server_pid else None
    cpu0, t0 = (proc_cpu_seconds(server_pid) if server_pid else None), time.perf_counter()
    ready.set()
    results: list[SessionStats] = await asyncio.gather(*tasks)
    wall = time.perf_counter() - t0
    cpu1 = proc_cpu_seconds(server_pid) if server_pid else None
    rss_end = proc_rss_bytes(server_pid) if server_pid else None

    edit_s = [s for r in results for s in r.edit_seconds]
    run_s = [s for r in results for s in r.run_seconds]
    load_s = [r.load_seconds for r in results if r.load_seconds is not None]
    errors = [e for r in results for e in r.errors]
    mib = 1024 * 1024
    out = {
        "sessions": sessions,
        "edits_per_session": edits,
        "think_seconds": list(think),
        "edits_sent": len(run_s),
        "edits_updated": sum(r.updated for r in results),
        "errors": len(errors),
        "error_samples": errors[:10],
        "open_all_seconds": open_seconds,
        "load_p50_ms": _ms(percentile(load_s, 0.5)),
        "load_p95_ms": _ms(percentile(load_s, 0.95)),
        "edit_to_update_p50_ms": _ms(percentile(edit_s, 0.5)),
        "edit_to_update_p95_ms": _ms(percentile(edit_s, 0.95)),
        "edit_to_update_max_ms": _ms(max(edit_s) if edit_s else None),
        "edit_to_run_end_p50_ms": _ms(percentile(run_s, 0.5)),
        "edit_to_run_end_p95_ms": _ms(percentile(run_s, 0.95)),
        "edit_phase_seconds": wall,
        "edits_per_second": len(run_s) / wall if wall > 0 else None,
    }
    if server_pid:
        out.update(
            {
                "server_cpu_seconds": cpu1 - cpu0,
                "server_cpu_cores_busy": (cpu1 - cpu0) / wall if wall > 0 else None,
                "server_cpu_ms_per_edit": (cpu1 - cpu0) / len(run_s) * 1000 if run_s else None,
                "server_rss_before_mib": rss0 / mib,
                "server_rss_all_open_mib": rss_open / mib,
                "server_rss_after_edits_mib": rss_end / mib,
                "memory_per_session_open_mib": (rss_open - rss0) / mib / sessions,
                "memory_per_session_after_edits_mib": (rss_end - rss0) / mib / sessions,
            }
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["client_cpu_seconds_total"] = usage.ru_utime + usage.ru_stime
    out["load_average_1min_after"] = os.getloadavg()[0]  # other work on the machine: noise
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def run_load(
    url: str,
    sessions: int,
    edits: int,
    *,
    think: tuple[float, float] = (0.0, 0.0),
    server_pid: int | list[int] | None = None,
    deadline: float = 600.0,
    seed: int = 0,
    warmups: int = 1,
) -> dict:
    """Run ``sessions`` concurrent sessions of ``edits`` edits each against ``url`` (loopback only).

    ``server_pid``: the server process (or the replicas' processes) whose CPU and memory
    are reported. Returns the figures as a dict (latencies in ms). Stops by itself: after
    ``deadline`` seconds the run is cancelled and reported as an error.
    """
    if not is_loopback(url):
        raise ValueError(f"load tests only target this machine's loopback addresses, not {url}")

    async def bounded():
        try:
            return await asyncio.wait_for(_run(url, sessions, edits, think, server_pid, seed, warmups), deadline)
        except TimeoutError:
            return {
                "errors": 1,
                "error_samples": [f"the whole run exceeded its {deadline} s deadline"],
                "sessions": sessions,
                "edits_per_session": edits,
                "edits_sent": 0,
                "edits_updated": 0,
            }

    # A fresh thread owns its own event loop, so this also works when the calling thread
    # already runs one (Playwright's sync API keeps a loop alive in pytest's thread).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, bounded()).result()


def summary(figures: dict) -> str:
    keys = [
        "sessions",
        "edits_per_session",
        "think_seconds",
        "edits_sent",
        "edits_updated",
        "errors",
        "edit_to_update_p50_ms",
        "edit_to_update_p95_ms",
        "edit_to_update_max_ms",
        "load_p50_ms",
        "load_p95_ms",
        "edits_per_second",
        "server_cpu_cores_busy",
        "server_cpu_ms_per_edit",
        "memory_per_session_open_mib",
        "memory_per_session_after_edits_mib",
        "sessions_per_replica",
        "load_average_1min_after",
    ]
    return "\n".join(f"{k:>36}: {figures.get(k)}" for k in keys if k in figures)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Load the app with concurrent websocket sessions (loopback only).")
    parser.add_argument("--url", required=True)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--think", type=float, nargs=2, default=(0.0, 0.0), metavar=("MIN", "MAX"))
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--deadline", type=float, default=600)
    args = parser.parse_args(argv)
    figures = run_load(
        args.url, args.sessions, args.edits, think=tuple(args.think), server_pid=args.server_pid, deadline=args.deadline
    )
    print(summary(figures))
    return figures


if __name__ == "__main__":
    main()
