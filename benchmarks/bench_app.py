"""Time the app: the server's rerun after one edit, and the browser's edit-to-updated-figure time.

Design targets (docs: shared/design.md, "Performance targets"): server rerun of a page
after one edit <= 50 ms median at 16x16 and <= 200 ms at 64x64; edit in headless
Chromium to updated figures <= 300 ms median. Prints medians; asserts nothing.

Three measurements, all against a real ``streamlit run app.py`` started here on a free
loopback port (and stopped at the end):

- server, websocket: a client speaking Streamlit's protocol edits one cell of x (the
  data editor's widget state, as the browser sends it) and times the request to
  ``script_finished`` (the whole rerun, delivered) and to the updated x figure; the
  server process's CPU time per edit is read from /proc;
- server, AppTest: the same page run in-process (sidebar, page and URL update), timed
  around a rerun after changing one control; AppTest's own bookkeeping is included;
- browser: headless Chromium types a value into a cell of x and presses Enter; the
  time from the keydown to the frame where Plotly's x figure holds the new value is
  measured inside the page (performance.now(), checked every animation frame), and
  split at the page's first websocket send and its last message before the figure
  changed.

    python benchmarks/bench_app.py [--runs N] [--browser-edits N] [--no-browser] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from tests.load.client import Session, editor_widget, proc_cpu_seconds  # noqa: E402

TARGETS_MS = {"server_16": 50, "server_64": 200, "browser": 300}


def grid_link(side: int, seed: int = 0) -> tuple[str, np.ndarray]:
    x = np.random.default_rng(seed).integers(0, 10, size=(side, side))
    return "x=" + ";".join(",".join(str(v) for v in row) for row in x) + "&k=2", x


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p10_ms": round(ordered[int(0.1 * (len(ordered) - 1))] * 1000, 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 2),
        "runs": len(ordered),
    }


# --------------------------------------------------------------------------- server, websocket


async def _server_rerun(url: str, side: int, runs: int, pid: int | None) -> dict:
    query, x = grid_link(side)
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with connect(ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None) as ws:
        session = Session(ws)
        session.query_string = query.replace(",", "%2C").replace(";", "%3B")
        first = await session.run()
        editor = next((wid for key, wid in session.widget_ids.items() if key.startswith("x_editor_")), None)
        if editor is None or first.exceptions:
            raise RuntimeError(f"the page opened with a {side}x{side} link has no x editor (status {first.status}, "
                               f"exceptions {first.exceptions}, widgets {sorted(first.widget_ids)})")
        edits: dict[int, dict[str, str]] = {}
        finished, updated = [], []
        cpu0 = proc_cpu_seconds(pid) if pid else None
        for i in range(runs + 3):
            r, c = i % side, (3 * i) % side
            value = 100 + i
            edits.setdefault(r, {})[str(c)] = str(value)
            result = await session.run([editor_widget(editor, edits)], expect=(r, c, float(value)))
            if result.exceptions or result.update_seconds is None:
                raise RuntimeError(f"edit {i} at {side}x{side} failed: {result.exceptions or 'no update'}")
            if i == 2 and pid:  # the first edits warm up; CPU is counted from here
                cpu0 = proc_cpu_seconds(pid)
            if i >= 3:
                finished.append(result.seconds)
                updated.append(result.update_seconds)
        out = {"edit_to_run_end": _stats(finished), "edit_to_x_figure": _stats(updated)}
        if pid:
            out["server_cpu_ms_per_edit"] = round((proc_cpu_seconds(pid) - cpu0) / runs * 1000, 2)
        return out


def server_rerun(url: str, side: int, runs: int, pid: int | None = None) -> dict:
    return asyncio.run(_server_rerun(url, side, runs, pid))


# --------------------------------------------------------------------------- server, AppTest


def apptest_rerun(side: int, runs: int) -> dict:
    from tests.test_bad_input import open_page

    query, _ = grid_link(side)
    params = dict(p.split("=", 1) for p in query.split("&"))
    at = open_page("pages/explorer.py", params)
    times = []
    for i in range(runs + 2):
        tie = next(w for w in at.radio if w.key == "tie")
        tie.set_value("split" if i % 2 else "first")
        t0 = time.perf_counter()
        at.run()
        if i >= 2:
            times.append(time.perf_counter() - t0)
        if at.exception:
            raise RuntimeError([e.value for e in at.exception])
    return _stats(times)


# --------------------------------------------------------------------------- browser

# Installed before the app loads: note when the page sends on, and receives from, its websocket.
_SOCKET_CLOCK = """
(() => {
  const Native = window.WebSocket;
  window.__sent = null; window.__recv = null;
  class Clocked extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { window.__recv = performance.now(); });
    }
    send(data) { if (window.__sent === null) window.__sent = performance.now(); return super.send(data); }
  }
  window.WebSocket = Clocked;
})();
"""

# Per edit: arm the clocks, then check every animation frame for the new value in Plotly's x figure.
_WATCH = """
([r, c, v]) => {
  window.__lat = null; window.__t0 = null; window.__sent = null; window.__recvAtFigure = null;
  if (!window.__keyHook) {
    window.__keyHook = true;
    document.addEventListener('keydown', e => { if (e.key === 'Enter' && window.__t0 === null)
      window.__t0 = performance.now(); }, true);
  }
  const check = () => {
    const gd = document.querySelector('.st-key-x_chart .js-plotly-plot');
    const trace = gd && gd.data && gd.data.find(t => t.type === 'heatmap');
    let z = trace && trace.z;
    if (z && z._inputArray) z = z._inputArray;
    if (window.__t0 !== null && z && z[r] && Number(z[r][c]) === v) {
      window.__lat = performance.now() - window.__t0;
      window.__recvAtFigure = window.__recv;
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
"""
_SPLIT = """
() => ({total: window.__lat, toSend: window.__sent - window.__t0,
        sendToLastMessage: window.__recvAtFigure - window.__sent,
        lastMessageToFigure: window.__t0 + window.__lat - window.__recvAtFigure})
"""


def browser_edit(url: str, side: int, edits: int) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
    from tests.browser.helpers import edit_cell, wait_for_app

    query, x = grid_link(side, seed=1)
    times, parts = [], {"to_send": [], "send_to_last_message": [], "last_message_to_figure": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.add_init_script(_SOCKET_CLOCK)
            page.set_default_timeout(30_000)
            page.goto(f"{url}/?{query}")
            wait_for_app(page)
            current = int(x[0, 1])
            for i in range(edits + 1):
                value = (current + 1 + i % 3) % 10  # one digit, never the cell's current value
                page.evaluate(_WATCH, [0, 1, value])
                edit_cell(page, 0, 0, 1, str(value), n_cols=side)
                page.wait_for_function("window.__lat !== null", timeout=30_000)
                if i >= 1:  # the first edit warms up
                    split = page.evaluate(_SPLIT)
                    times.append(split["total"] / 1000)
                    parts["to_send"].append(split["toSend"] / 1000)
                    parts["send_to_last_message"].append(split["sendToLastMessage"] / 1000)
                    parts["last_message_to_figure"].append(split["lastMessageToFigure"] / 1000)
                current = value
                wait_for_app(page)
        finally:
            browser.close()
    # Where the time goes (medians): the page handling the key until it sends the edit; the
    # server's run until the last message before the figure changed; drawing after that.
    return {**_stats(times), "parts_median_ms": {k: round(statistics.median(v) * 1000, 1) for k, v in parts.items()}}


# --------------------------------------------------------------------------- main


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="edits timed per server measurement")
    parser.add_argument("--browser-edits", type=int, default=12)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from tests.browser.conftest import start_server, stop_server

    (ROOT / "artifacts").mkdir(exist_ok=True)
    process, url = start_server()
    result: dict = {"targets_ms": TARGETS_MS}
    try:
        for side in (16, 64):
            runs = args.runs if side == 16 else max(5, args.runs // 2)
            ws = server_rerun(url, side, runs, process.pid)
            result[f"server_ws_{side}x{side}"] = ws
            print(f"server rerun after one edit, {side}x{side} (websocket): median "
                  f"{ws['edit_to_run_end']['median_ms']} ms to run end, {ws['edit_to_x_figure']['median_ms']} ms "
                  f"to the x figure; server CPU {ws['server_cpu_ms_per_edit']} ms per edit", flush=True)
        for side in (16, 64):
            runs = args.runs if side == 16 else max(5, args.runs // 2)
            at = apptest_rerun(side, runs)
            result[f"server_apptest_{side}x{side}"] = at
            print(f"server rerun after one control change, {side}x{side} (AppTest): median {at['median_ms']} ms",
                  flush=True)
        if not args.no_browser:
            for side in (4, 16):
                br = browser_edit(url, side, args.browser_edits)
                result[f"browser_{side}x{side}"] = br
                print(f"browser edit to updated x figure, {side}x{side}: median {br['median_ms']} ms "
                      f"(parts: {br['parts_median_ms']})", flush=True)
    finally:
        stop_server(process)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
