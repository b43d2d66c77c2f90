"""Time the linked picture in a real browser: hover, in-place edit, opening a link; and the server's rerun per edit.

Starts ``streamlit run app.py`` on a free loopback port (and stops it), drives headless
Chromium with Playwright, and prints one line per figure, in milliseconds:

    NAME median=… p90=… n=…

- hover_to_outline_16x16: mouse moves onto a y cell -> the first animation frame in which
  all four grids carry the window's outlines (measured in the page from the event's
  timestamp); the line also says how many websocket messages the hovering sent (must be 0).
- edit_to_grids_16x16, edit_to_grids_64x64: Enter that commits a typed value of x -> the
  first frame where x holds the new value and all four grids were redrawn from the server's
  answer (one round trip).
- link_to_grids_warm: a shared link opened in a new browser context (empty cache) on a
  running server -> all four grids drawn (from the page's navigation start): cells coloured,
  either by the picture's own overlay (before plotly.js has loaded) or by plotly's heatmap.
- link_to_plotly_warm: the same links -> plotly's heatmap layer drawn on all four grids
  (plotly.js fetched and evaluated, and the colour layer handed over to it).
- link_to_grids_cold: as link_to_grids_warm with a freshly started server for every trial.
- link_floor_minimal_app: the platform floor for the link figures: benchmarks/floor_app/app.py
  (one components-v2 element drawing four placeholder grids at mount, same ready probe) on its
  own server, opened the same way.
- server_per_edit_16x16: one in-place edit sent over the websocket as the browser sends it
  (the picture's fragment rerun) -> script finished; plus the server's CPU time per edit.

Targets (issue 9): hover <= 16 ms and no message; edit 16x16 <= 150 ms (first bar 250),
64x64 <= 400 ms; warm link <= 1.5 s; server per edit <= 20 ms. This script asserts nothing.

    python benchmarks/bench_browser.py [--trials 20] [--cold-trials 20] [--only NAME ...]

NAME is one of hover, edit, link, cold, server, floor (default: all but floor).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, start_server, stop_server  # noqa: E402
from tests.browser.linked_helpers import cell_point, wait_for_grids  # noqa: E402
from tests.load.client import Session, linked_edit_widgets, proc_cpu_seconds  # noqa: E402

NAMES = ("x", "y", "dL/dy", "dL/dx")


def grid_query(side: int, seed: int = 0) -> str:
    x = np.random.default_rng(seed).integers(0, 10, size=(side, side))
    return "x=" + ";".join(",".join(str(v) for v in row) for row in x) + "&k=2"


def line(name: str, values_ms: list[float], extra: str = "") -> str:
    ordered = sorted(values_ms)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    text = f"{name} median={statistics.median(ordered):.1f} p90={p90:.1f} n={len(ordered)}"
    return text + (f" {extra}" if extra else "")


# Installed in every page: records, per hover, the first frame with outlines on all four grids.
HOVER_PROBE = """
() => {
  window.__hover = [];
  const names = ["x", "y", "dL/dy", "dL/dx"];
  window.addEventListener("mousemove", (ev) => {
    if (!(ev.target instanceof Element) || !ev.target.closest('[aria-label="y"]')) return;
    const t0 = ev.timeStamp;
    // performance.now() in the frame callback: the frame's own timestamp may precede the event.
    const check = () => {
      const ok = names.every((n) =>
        document.querySelector(`[aria-label="${n}"] rect.lp-hl, [aria-label="${n}"] rect.lp-recv`));
      const t = performance.now() - t0;
      if (ok) window.__hover.push(t); else if (t < 1000) requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, true);
}
"""

EDIT_PROBE = """
() => {
  window.__edits = [];
  window.__expect = null;
  window.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || !window.__expect) return;
    const t0 = ev.timeStamp, want = window.__expect, root = document.querySelector(".lp-root");
    const before = Number(root.dataset.draws);
    window.__expect = null;
    const check = () => {
      const z = document.querySelector('[aria-label="x"] .js-plotly-plot').data[0].z;
      const t = performance.now() - t0;
      if (Number(root.dataset.draws) > before && z[want.r][want.c] === want.v) window.__edits.push(t);
      else if (t < 20000) requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, true);
}
"""

# window.__ready: the first frame with all four grids' cells coloured (by the overlay or by plotly);
# window.__plotly: the first frame with plotly's heatmap layer on all four.
READY_PROBE = """
(() => {
  const names = ["x", "y", "dL/dy", "dL/dx"];
  const all = (sel) => names.every((n) => document.querySelector(`[aria-label="${n}"] ${sel}`));
  const check = () => {
    const plotly = all(".js-plotly-plot .heatmaplayer");
    if (window.__ready === undefined && (plotly || all(".lp-cells rect.lp-cell"))) window.__ready = performance.now();
    if (plotly) window.__plotly = performance.now(); else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""


def new_page(browser, width=1280, height=800):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def hover_trials(browser, url: str, trials: int) -> tuple[list[float], int]:
    page = new_page(browser)
    sent: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.goto(f"{url}/?{grid_query(16)}")
    wait_for_grids(page)
    page.evaluate(HOVER_PROBE)
    page.wait_for_timeout(500)
    sent.clear()
    points = [cell_point(page, "y", i % 8, (3 * i) % 8) for i in range(trials + 1)]
    page.mouse.move(2, 2)
    for k in range(trials):
        p = points[k]
        page.mouse.move(p["x"], p["y"])
        page.wait_for_function(f"() => window.__hover.length >= {k + 1}", timeout=10_000)
        page.mouse.move(2, 2)  # off the grids, so the next hover draws from nothing
        page.wait_for_timeout(30)
    values = page.evaluate("() => window.__hover")
    page.context.close()
    return values, len(sent)


def edit_trials(browser, url: str, side: int, trials: int) -> list[float]:
    page = new_page(browser, 1500, 1000)
    page.goto(f"{url}/?{grid_query(side)}")
    wait_for_grids(page)
    page.evaluate(EDIT_PROBE)
    point = cell_point(page, "x", 0, 1)
    page.mouse.click(point["x"], point["y"])
    page.mouse.move(2, 2)
    for k in range(trials):
        r, v = min(k, side - 1), 100 + k
        page.evaluate(f"() => {{ window.__expect = {{r: {r}, c: 1, v: {v}}}; }}")
        page.keyboard.type(str(v))
        page.keyboard.press("Enter")  # commits and moves the cursor down
        page.wait_for_function(f"() => window.__edits.length >= {k + 1}", timeout=30_000)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    values = page.evaluate("() => window.__edits")
    page.context.close()
    return values


def link_trial(browser, url: str, plotly: bool = False, path: str = "") -> float | tuple[float, float]:
    """Milliseconds from navigation start to the four grids drawn (and, with ``plotly``, to plotly's heatmaps)."""
    page = new_page(browser)
    page.add_init_script(READY_PROBE)
    page.goto(f"{url}/{path}" if path else f"{url}/?{grid_query(16)}&sel=1,1")
    page.wait_for_function("() => window.__ready !== undefined", timeout=60_000)
    value = page.evaluate("() => window.__ready")
    if plotly:
        page.wait_for_function("() => window.__plotly !== undefined", timeout=60_000)
        value = (value, page.evaluate("() => window.__plotly"))
    page.context.close()
    return value


def floor_trials(browser, trials: int) -> list[float]:
    """The minimal app of benchmarks/floor_app on its own server: navigation start to four placeholder grids."""
    process, url = start_server(cwd=ROOT / "benchmarks" / "floor_app")
    try:
        link_trial(browser, url, path="?warm=1")  # the server's first run, not timed, as for the app
        return [link_trial(browser, url, path="?floor=1") for _ in range(trials)]
    finally:
        stop_server(process)


async def _server_edits(url: str, pid: int, side: int, trials: int) -> tuple[list[float], float]:
    from urllib.parse import urlencode

    from websockets.asyncio.client import connect

    x = np.random.default_rng(0).integers(0, 10, size=(side, side))
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
        session = Session(ws)
        session.query_string = urlencode({"x": ";".join(",".join(str(v) for v in row) for row in x), "k": "2"})
        await session.run()
        component, fragment = session.widget_ids["linked"], session.widget_ids.get("fragment:linked", "")
        for k in range(3):  # warm-up
            await session.run(linked_edit_widgets(component, 0, 0, str(50 + k), k + 1), fragment_id=fragment)
        walls = []
        cpu0 = proc_cpu_seconds(pid)
        for k in range(trials):
            r, c, v = k % side, (k // side) % side, 100 + k
            t0 = time.perf_counter()
            run = await session.run(
                linked_edit_widgets(component, r, c, str(v), 10 + k), expect=(r, c, float(v)), fragment_id=fragment
            )
            walls.append((time.perf_counter() - t0) * 1000)
            if run.update_seconds is None or run.exceptions:
                raise RuntimeError(f"edit {k} did not update x: {run.exceptions}")
        cpu_ms = (proc_cpu_seconds(pid) - cpu0) / trials * 1000
    return walls, cpu_ms


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--cold-trials", type=int, default=20)
    parser.add_argument("--only", nargs="*", default=None, help="hover, edit, link, cold, server, floor")
    args = parser.parse_args(argv)
    only = set(args.only or ["hover", "edit", "link", "cold", "server"])

    from playwright.sync_api import sync_playwright

    (ROOT / "artifacts").mkdir(exist_ok=True)
    process, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
            link_trial(browser, url)  # warm the server (imports, first run) before anything is timed
            if "hover" in only:
                values, messages = hover_trials(browser, url, args.trials)
                print(line("hover_to_outline_16x16", values, f"websocket_messages_sent={messages}"), flush=True)
            if "edit" in only:
                print(line("edit_to_grids_16x16", edit_trials(browser, url, 16, args.trials)), flush=True)
                print(line("edit_to_grids_64x64", edit_trials(browser, url, 64, args.trials)), flush=True)
            if "link" in only:
                pairs = [link_trial(browser, url, plotly=True) for _ in range(args.trials)]
                print(line("link_to_grids_warm", [first for first, _ in pairs]), flush=True)
                print(line("link_to_plotly_warm", [full for _, full in pairs]), flush=True)
            if "floor" in only:
                print(line("link_floor_minimal_app", floor_trials(browser, args.trials)), flush=True)
            if "server" in only:
                # Playwright's sync API keeps an event loop in this thread: the client gets its own thread.
                with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                    job = pool.submit(asyncio.run, _server_edits(url, process.pid, 16, max(args.trials, 20)))
                    walls, cpu_ms = job.result()
                print(line("server_per_edit_16x16", walls, f"server_cpu_ms_per_edit={cpu_ms:.1f}"), flush=True)
            if "cold" in only:
                stop_server(process)
                process = None
                cold = []
                for _ in range(args.cold_trials):
                    fresh, fresh_url = start_server()
                    try:
                        cold.append(link_trial(browser, fresh_url))
                    finally:
                        stop_server(fresh)
                print(line("link_to_grids_cold", cold), flush=True)
            browser.close()
    finally:
        if process is not None:
            stop_server(process)


if __name__ == "__main__":
    main()
