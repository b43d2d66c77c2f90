"""Class mode under load: one teacher and N students on real servers, students speaking Streamlit's websocket protocol.

Each simulated student does what a browser tab does (tests/load/client.py is the start): it opens the
student link (``?room=<code>``), is taken to the teacher's page, and then reads whatever the server sends.
A following tab's Step through page is the linked picture alone, and the picture opens the class's live
channel (ui/class_live.py; its ``follow`` options name the URL); the client opens it too, sending the
tab's cookie as a browser does. A step-only change arrives there as the whole new screen, with no run of
the page (one watcher per process reads each room's version every 0.1 s). Anything else, or a tab whose
channel is not open, makes the server rerun the tab (at most two at a time): the step player's fragment
for a step, the whole page otherwise, which loads the teacher's view and writes it into the URL (the
``page_info_changed`` message). Where the server cannot push, the
page falls back to a polling fragment (the ``auto_rerun`` message), and the client honours its timer as
a browser does. The teacher's step is the write its session makes at the end of its run: ``set_view`` on
the store with the next step (the teacher's own run is not counted).

- ``follow_N_one_server``: one server, SQLite store. Per step, the time from the teacher's write until
  each student has that step's screen (through its live channel, or its URL after a rerun); p95 over
  students and steps; ``live_students`` says how many had their channel open. Target: p95 <= 2000 ms, 0 errors.
  Also the server's CPU over the follow phase (seconds, and as a share of one core), its CPU share
  while every tab only follows and nothing changes (``idle_poll_cpu_share``), and its resident memory.
- ``follow_N_two_replicas``: the same through nginx to two replicas (deploy/run_replicas.sh), Redis store.
- ``follow_B_browsers``: one server; B real Chromium tabs (Debian's chromium, headless, all on this
  machine's two cores) follow; per step, the time from the teacher's write until each tab has painted
  the new step (the first frame after its picture shows it).
- ``answers_N``: one server; the teacher starts a round on the quiz page and N students press "Send my
  prediction" at random moments within 10 s. Latency: click to the end of that run. Errors: students
  whose answer was lost or counted twice (the store's count against N), plus failed runs.

Lines printed: ``NAME p95=<ms> errors=<k> n=<samples> ...``. Bounded: every wait has a timeout, and
clients only connect to the loopback servers this script starts.

    python benchmarks/bench_class.py [--students N] [--steps K] [--browsers B]
                                     [--cases follow_one follow_two follow_browsers answers]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from classroom import open_store  # noqa: E402
from tests.load.client import is_loopback, percentile, proc_cpu_seconds, proc_rss_bytes  # noqa: E402
from ui.classroom import view_text  # noqa: E402

X = "3,1,4,1;5,9,2,6;5,3,5,8;9,7,9,3"  # 4x4, kernel 2: 4 forward and 4 backward steps
N_STEPS = 8
STEP_PAGE = "pages/step_through.py"
QUIZ_PAGE = "pages/quiz.py"
WAIT = 60.0  # seconds any one wait may take before it counts as an error
FINISHED_EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")


def step_view(step: int) -> str:
    return view_text(STEP_PAGE, {"x": X, "k": "2", "step": str(step)})


@dataclass
class Student:
    """One simulated browser tab in class mode."""

    index: int
    url: str
    code: str
    query_string: str = ""
    page_hash: str = ""
    poll_fragment: str = ""
    poll_interval: float = 0.0
    running: bool = True
    widget_ids: dict[str, str] = field(default_factory=dict)
    seen_steps: dict[int, float] = field(default_factory=dict)  # step -> when its URL first showed it
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    exceptions: list[str] = field(default_factory=list)
    finishes: list[int] = field(default_factory=list)  # script_finished statuses, in order (tests read them)
    texts: list[str] = field(default_factory=list)  # markdown and headings received (the last 200)
    ws: object = None
    cookie: str = ""  # the tab's cookie (behind nginx it picks the replica), sent on its live channel too
    live_url: str = ""  # the live channel the page's picture listens on (ui/class_live.py), as the browser opens it
    live_task: object = None
    live_messages: int = 0  # screens received through it
    follow_step: int | None = None  # the step the follower's picture shows (from the page or the channel)
    follow_version: int = -1

    def show_follow(self, version: int, step: int, words: list) -> None:
        """What the picture does with a screen: show it unless it is older than the one shown."""
        if version <= self.follow_version:
            return
        self.follow_version, self.follow_step = version, step
        self.texts = [*self.texts[-199:], *(str(line[2]) for line in words)]
        if step not in self.seen_steps:
            self.seen_steps[step] = time.perf_counter()

    async def listen(self, url: str) -> None:
        """The picture's side of the live channel: one socket, every message a whole screen."""
        try:
            headers = {"Cookie": self.cookie} if self.cookie else None
            async with connect(
                url, max_size=None, open_timeout=WAIT, ping_interval=None, additional_headers=headers
            ) as ws:
                async for raw in ws:
                    msg = json.loads(raw)
                    self.live_messages += 1
                    self.show_follow(int(msg["version"]), int(msg["step"]), msg["words"])
        except Exception as err:  # noqa: BLE001 - the test reads it as an error
            if not isinstance(err, asyncio.CancelledError):
                self.exceptions.append(f"live channel: {err!r}"[:200])

    def step_in_url(self) -> int | None:
        for part in self.query_string.split("&"):
            if part.startswith("step="):
                try:
                    return int(part[5:])
                except ValueError:
                    return None
        return None

    async def send(self, *, fragment: str = "", widgets: list | None = None) -> None:
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query_string
        rerun.page_script_hash = self.page_hash
        if fragment:
            rerun.fragment_id = fragment
            rerun.is_auto_rerun = True
        for widget in widgets or []:
            rerun.widget_states.widgets.append(widget)
        self.running = True
        self.finished.clear()
        await self.ws.send(msg.SerializeToString())

    async def read(self) -> None:
        """Follow everything the server sends: runs, URL changes, the poll timer, widget ids."""
        async for raw in self.ws:
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.running = True
                if fm.new_session.page_script_hash:
                    self.page_hash = fm.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = fm.page_info_changed.query_string
                step = self.step_in_url()
                if step is not None and step not in self.seen_steps:
                    self.seen_steps[step] = time.perf_counter()
            elif kind == "auto_rerun":
                self.poll_fragment, self.poll_interval = fm.auto_rerun.fragment_id, fm.auto_rerun.interval
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                element = fm.delta.new_element
                etype = element.WhichOneof("type")
                body = getattr(element, etype)
                if etype == "exception":
                    self.exceptions.append(f"{body.type}: {body.message}"[:200])
                elif etype == "bidi_component" and body.json:
                    self.take_component(json.loads(body.json))
                elif etype in ("markdown", "heading"):
                    self.texts = [*self.texts[-199:], body.body]
                wid = getattr(body, "id", "") if etype != "exception" else ""
                if wid.startswith("$$ID"):
                    self.widget_ids[wid.rsplit("-", 1)[1]] = wid
            elif kind == "script_finished" and fm.script_finished != FINISHED_EARLY_FOR_RERUN:
                self.finishes.append(fm.script_finished)
                self.running = False
                self.finished.set()

    def take_component(self, data: dict) -> None:
        """A linked picture arrived: a follower's opens its live channel (once per URL), as ui/linked.js does."""
        follow = data.get("follow") if isinstance(data, dict) else None
        if not isinstance(follow, dict):
            if self.live_task is not None:  # no longer following: the picture closes its channel
                self.live_task.cancel()
                self.live_task, self.live_url = None, ""
            return
        self.show_follow(int(follow["version"]), int(follow["step"]), follow["words"])
        live = urljoin(self.url.rstrip("/") + "/step_through", follow["live"]).replace("http://", "ws://", 1)
        same = live.split("&since=")[0] == self.live_url.split("&since=")[0]
        if not same or self.live_task is None or self.live_task.done():
            if self.live_task is not None:
                self.live_task.cancel()
            self.live_url = live
            self.live_task = asyncio.create_task(self.listen(live))

    async def poll_timer(self, rng: random.Random) -> None:
        """The browser's side of ``st.fragment(run_every=...)``: a fragment rerun per interval, when idle."""
        await asyncio.sleep(rng.uniform(0, 1.0))  # tabs opened at different moments
        while True:
            interval = self.poll_interval or 1.0
            await asyncio.sleep(interval)
            if self.poll_fragment and not self.running:
                await self.send(fragment=self.poll_fragment)


async def _finish(students, tasks, store) -> list[str]:
    """Stop the students' readers, close their sockets and the store; return what the students raised."""
    for task in [*tasks, *(s.live_task for s in students if s.live_task is not None)]:
        task.cancel()
    await asyncio.gather(*(s.ws.close() for s in students), return_exceptions=True)
    store.close()
    return [f"student {s.index}: {e}" for s in students for e in s.exceptions]


async def open_student(index: int, url: str, code: str, route_prefix: str, tasks: list) -> Student:
    ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    # A route cookie per tab: behind nginx (deploy/), tabs spread over the replicas.
    cookie = f"st_route={route_prefix}-{index}"
    ws = await connect(
        ws_url,
        subprotocols=["streamlit"],
        max_size=None,
        open_timeout=WAIT,
        ping_interval=None,
        additional_headers={"Cookie": cookie},
    )
    student = Student(index, url, code, query_string=f"room={code}", ws=ws, cookie=cookie)
    tasks.append(asyncio.create_task(student.read()))
    await student.send()
    tasks.append(asyncio.create_task(student.poll_timer(random.Random(index))))
    return student


async def wait_all(predicate, students: list[Student], timeout: float) -> list[Student]:
    """Wait until ``predicate(student)`` holds for all; return those for which it never did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        missing = [s for s in students if not predicate(s)]
        if not missing:
            return []
        await asyncio.sleep(0.05)
    return [s for s in students if not predicate(s)]


async def follow(url: str, store_url: str, n: int, steps: int, route_prefix: str, pids: list[int]) -> dict:
    store = open_store(store_url)
    room = store.create_room(step_view(1))
    tasks: list = []
    students = await asyncio.gather(*(open_student(i, url, room.code, route_prefix, tasks) for i in range(n)))
    errors: list[str] = []
    stuck = await wait_all(lambda s: 1 in s.seen_steps and not s.running, students, WAIT * 2)
    errors += [f"student {s.index}: never loaded the teacher's view" for s in stuck]
    await asyncio.sleep(2.0)  # every timer running
    # What following costs while nothing changes: every tab's poll, once a second.
    idle0, idle_t0 = proc_cpu_seconds(pids), time.perf_counter()
    await asyncio.sleep(5.0)
    idle_share = (proc_cpu_seconds(pids) - idle0) / (time.perf_counter() - idle_t0)
    cpu0, t_start = proc_cpu_seconds(pids), time.perf_counter()
    latencies: list[float] = []
    for k in range(steps):
        step = 2 + k % (N_STEPS - 1)  # 2, 3, ..., 8, 2, ...: always a step the 4x4 example has, never the last one
        for s in students:
            s.seen_steps.pop(step, None)  # a step seen in an earlier lap does not count again
        t0 = time.perf_counter()
        store.set_view(room.code, room.teacher_token, step_view(step))
        stuck = await wait_all(lambda s, k=step: k in s.seen_steps, students, WAIT)
        errors += [f"student {s.index}: never showed step {step}" for s in stuck]
        latencies += [s.seen_steps[step] - t0 for s in students if step in s.seen_steps]
        await asyncio.sleep(1.0)
    cpu, wall = proc_cpu_seconds(pids) - cpu0, time.perf_counter() - t_start
    errors += await _finish(students, tasks, store)
    return {
        **_latency_figures(latencies, errors),
        "server_cpu_s": round(cpu, 1),
        "server_cpu_share": round(cpu / wall, 2),
        "wall_s": round(wall, 1),
        "idle_poll_cpu_share": round(idle_share, 2),
        "live_students": sum(1 for s in students if s.live_messages),
        "server_rss_mib": round(proc_rss_bytes(pids) / 2**20, 1),
        "first_errors": errors[:5],
    }


# In each tab: when the picture's shown step changes, the time of the next frame after it (the new step painted).
STEP_PAINTED_JS = """() => {
  window.__stepPainted = {};
  const root = document.querySelector('.lp-root[data-follow-step]');
  new MutationObserver(() => {
    const step = root.dataset.followStep;
    if (step && !(step in window.__stepPainted)) {
      window.__stepPainted[step] = 0;
      requestAnimationFrame(() => setTimeout(() => { window.__stepPainted[step] = Date.now(); }, 0));
    }
  }).observe(root, {attributes: true, attributeFilter: ['data-follow-step']});
}"""


async def follow_browsers(url: str, store_url: str, n: int, steps: int) -> dict:
    """Real Chromium tabs following: from the teacher's write until each tab has painted the new step."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path

    store = open_store(store_url)
    room = store.create_room(step_view(1))
    errors: list[str] = []
    latencies: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            pages = []
            for _ in range(n):
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                page = await context.new_page()
                await page.goto(f"{url}/?room={room.code}")
                pages.append(page)
            for page in pages:
                await page.wait_for_selector('.lp-root[data-follow-step="1"]', timeout=WAIT * 1000)
                await page.evaluate(STEP_PAINTED_JS)
            for k in range(steps):
                step = 2 + k % (N_STEPS - 1)
                for page in pages:
                    await page.evaluate(f"() => {{ delete window.__stepPainted['{step}']; }}")
                t0 = time.time()
                store.set_view(room.code, room.teacher_token, step_view(step))
                for i, page in enumerate(pages):
                    try:
                        await page.wait_for_function(f"() => window.__stepPainted['{step}'] > 0", timeout=WAIT * 1000)
                        latencies.append(await page.evaluate(f"() => window.__stepPainted['{step}']") / 1000 - t0)
                    except Exception as err:  # noqa: BLE001 - counted as an error
                        errors.append(f"tab {i}: step {step} not painted: {err}"[:200])
                await asyncio.sleep(1.0)
        finally:
            await browser.close()
            store.close()
    return {**_latency_figures(latencies, errors), "tabs_on_this_machine": n, "first_errors": errors[:5]}


async def answers(url: str, store_url: str, n: int, window: float, pids: list[int]) -> dict:
    store = open_store(store_url)
    question = view_text(QUIZ_PAGE, {"x": X, "k": "2"})
    room = store.create_room(question)
    tasks: list = []
    students = await asyncio.gather(*(open_student(i, url, room.code, "answers", tasks) for i in range(n)))
    errors: list[str] = []
    stuck = await wait_all(lambda s: s.page_hash and not s.running, students, WAIT * 2)
    errors += [f"student {s.index}: never loaded the quiz" for s in stuck]
    store.start_round(room.code, room.teacher_token, question, (4, 4))
    stuck = await wait_all(lambda s: "class_send" in s.widget_ids and not s.running, students, WAIT)
    errors += [f"student {s.index}: never saw the round" for s in stuck]
    ready = [s for s in students if "class_send" in s.widget_ids]
    latencies: list[float] = []

    async def press(student: Student, delay: float) -> None:
        await asyncio.sleep(delay)
        for _ in range(int(WAIT / 0.05)):  # the button is pressed between two runs, as a person would
            if not student.running:
                break
            await asyncio.sleep(0.05)
        button = WidgetState(id=student.widget_ids["class_send"], trigger_value=True)
        t0 = time.perf_counter()
        await student.send(widgets=[button])
        try:
            await asyncio.wait_for(student.finished.wait(), WAIT)
            latencies.append(time.perf_counter() - t0)
        except TimeoutError:
            errors.append(f"student {student.index}: the send did not finish")

    cpu0 = proc_cpu_seconds(pids)
    rng = random.Random(0)
    await asyncio.gather(*(press(s, rng.uniform(0, window)) for s in ready))
    await asyncio.sleep(1.0)
    cpu = proc_cpu_seconds(pids) - cpu0
    counted = store.answers(room.code, room.teacher_token, 1)
    lost_or_doubled = abs(len(counted) - n)
    errors += [f"{len(counted)} answers counted for {n} students"] * (lost_or_doubled > 0)
    errors += await _finish(students, tasks, store)
    return {
        "p50_ms": _ms(percentile(latencies, 0.5)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "errors": lost_or_doubled + len(errors) - (lost_or_doubled > 0),
        "n": len(latencies),
        "counted": len(counted),
        "server_cpu_s": round(cpu, 1),
        "first_errors": errors[:5],
    }


def _latency_figures(latencies: list[float], errors: list[str]) -> dict:
    return {
        "p50_ms": _ms(percentile(latencies, 0.5)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "max_ms": _ms(max(latencies) if latencies else None),
        "errors": len(errors),
        "n": len(latencies),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def line(name: str, r: dict) -> str:
    extra = " ".join(f"{k}={v}" for k, v in r.items() if k not in ("p95_ms", "errors", "n", "first_errors"))
    return f"{name} p95={r['p95_ms']} errors={r['errors']} n={r['n']} {extra}"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which the answers are sent")
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=["follow_one", "follow_two", "follow_browsers", "answers"],
        default=["follow_one", "follow_two", "follow_browsers", "answers"],
    )
    parser.add_argument("--browsers", type=int, default=5, help="real Chromium tabs for follow_browsers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    n = args.students
    (ROOT / "artifacts").mkdir(exist_ok=True)
    results: dict = {}

    from tests.browser.conftest import start_server, stop_server

    def one_server(case):
        with tempfile.TemporaryDirectory() as tmp:
            store_url = f"sqlite://{tmp}/rooms.sqlite3"
            os.environ["MAXPOOL_ROOM_STORE"] = store_url
            process, url = start_server()
            try:
                assert is_loopback(url)
                return asyncio.run(case(url, store_url, [process.pid]))
            finally:
                stop_server(process)
                os.environ.pop("MAXPOOL_ROOM_STORE", None)

    if "follow_one" in args.cases:
        r = one_server(lambda url, store_url, pids: follow(url, store_url, n, args.steps, "one", pids))
        results[f"follow_{n}_one_server"] = r
        print(line(f"follow_{n}_one_server", r), flush=True)
    if "follow_two" in args.cases:
        from tests.load.deployment import Deployment, find_nginx
        from tests.redis_server import redis_server_path

        if find_nginx() is None or redis_server_path() is None:
            print(f"follow_{n}_two_replicas skipped: needs nginx and redis-server", flush=True)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                deployment = Deployment(Path(tmp), redis=True)  # the recipe of docs/deploy.md, with --redis
                try:
                    assert is_loopback(deployment.url) and deployment.store_url.startswith("redis://127.0.0.1:")
                    pids = list(deployment.replicas.values())
                    r = asyncio.run(follow(deployment.url, deployment.store_url, n, args.steps, "two", pids))
                    r["students_per_replica"] = sorted(deployment.sessions_per_replica().values())
                finally:
                    deployment.stop()
            results[f"follow_{n}_two_replicas"] = r
            print(line(f"follow_{n}_two_replicas", r), flush=True)
    if "follow_browsers" in args.cases:
        r = one_server(lambda url, store_url, pids: follow_browsers(url, store_url, args.browsers, args.steps))
        results[f"follow_{args.browsers}_browsers"] = r
        print(line(f"follow_{args.browsers}_browsers", r), flush=True)
    if "answers" in args.cases:
        r = one_server(lambda url, store_url, pids: answers(url, store_url, n, args.window, pids))
        results[f"answers_{n}"] = r
        print(line(f"answers_{n}", r), flush=True)
    for name, r in results.items():
        for e in r.get("first_errors", []):
            print(f"  {name}: {e}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
