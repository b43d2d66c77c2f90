"""A following student's step picture in headless Chromium, its live channel mocked by Playwright.

The picture (ui/linked.js) gets ``data.follow`` and draws the follower's screen itself: the teacher's step, the
picture and the step's words. The server's pushes are mocked with ``page.route_web_socket``; each pushed screen is
built by tests/browser/follow_app.py from the step player's helpers (ui/steps.py), the expected grids from
``pooling`` directly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

import pooling
from tests.browser.conftest import ROOT, free_port, stop_server, wait_healthy
from tests.browser.follow_app import KERNEL, ROOM, X, screen
from tests.browser.helpers import query, wait_until
from tests.browser.linked_helpers import grid_z, hover, tooltip

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
LIVE = "**/_maxpool/class/live**"


@pytest.fixture(scope="module")
def follow_url():
    """The one-component app on a free port. Run from a copy under artifacts/: Streamlit serves the static/ folder
    beside the script, where ui/linked.py (told by MAXPOOL_STATIC_DIR) puts linked.js and plotly.js."""
    folder = ARTIFACTS / "follow_app"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "tests" / "browser" / "follow_app.py", folder / "app.py")
    port = free_port()
    log = open(ARTIFACTS / f"streamlit-follow-{port}.log", "w")  # noqa: SIM115 - closed with the process
    env = {**os.environ, "MAXPOOL_STATIC_DIR": str(folder / "static")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(folder / "app.py"),
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process)
        yield base_url
    finally:
        stop_server(process)
        log.close()


class Live:
    """The mocked live channel: every connection the page opens, and a way to push a screen down the newest one."""

    def __init__(self, page):
        self.sockets = []
        self.closed = []
        self.lock = threading.Lock()
        self.page = page
        page.route_web_socket(LIVE, self._connect)

    def _connect(self, ws):
        # No connect_to_server(): the route is the server. The browser sends nothing.
        ws.on_close(lambda code, reason: self.closed.append(ws.url))
        with self.lock:
            self.sockets.append(ws)

    def urls(self) -> list[str]:
        # Playwright's sync API runs route handlers only while the test is inside one of its calls: give it one.
        self.page.wait_for_timeout(20)
        return [ws.url for ws in self.sockets]

    def since(self, k: int) -> str:
        return parse_qs(urlparse(self.urls()[k]).query)["since"][0]

    def push(self, step: int, version: int) -> None:
        self.sockets[-1].send(json.dumps({"version": version, **screen(step)}, allow_nan=False))


def root_data(page) -> dict:
    return page.evaluate("() => ({...document.querySelector('.lp-root').dataset})")


def progress(page) -> dict:
    return page.evaluate(
        "() => { const bar = document.querySelector('.lp-f-bar');"
        " return {text: document.querySelector('.lp-f-progress-text').textContent, role: bar.getAttribute('role'),"
        " now: bar.getAttribute('aria-valuenow'), max: bar.getAttribute('aria-valuemax')}; }"
    )


def words_text(page) -> str:
    return page.locator(".lp-f-words").inner_text()


def wait_for_follower(page, step: int) -> None:
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.wait_for_selector(f'.lp-follow .lp-root[data-follow-step="{step}"]')
    page.wait_for_selector('.lp-root[data-colour="plotly"] [aria-label="y"] .js-plotly-plot')
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')


def expected_y(windows_done: int) -> list:
    """y after ``windows_done`` forward steps, straight from pooling: pending cells (not computed yet) are None."""
    out = pooling.max_pool2d(X, KERNEL).out
    flat = [float(v) if k < windows_done else None for k, v in enumerate(out.reshape(-1))]
    return np.array(flat, dtype=object).reshape(out.shape).tolist()


def test_follower_steps_with_the_teacher_over_the_live_channel(page, follow_url):
    """Pushed steps redraw picture, progress, words and the link; older pushes and a rerun's older screen do not;
    a dropped channel comes back asking for what is newer than what is shown; leaving closes it, rejoining opens
    it again, and a picture taken off the page closes its channel."""
    page.set_viewport_size({"width": 1280, "height": 800})
    live = Live(page)
    page.goto(f"{follow_url}/?x=keep&step=3&version=7")
    wait_for_follower(page, 3)
    wait_until(lambda: live.urls())
    first = urlparse(live.urls()[0])
    assert first.scheme == "ws" and first.path == "/_maxpool/class/live"
    assert parse_qs(first.query) == {"room": [ROOM], "session": ["s1"], "since": ["7"]}
    assert progress(page)["text"].startswith("Step 3 of 8, as the teacher steps.")
    assert words_text(page).startswith(screen(3)["words"][0][2])
    assert grid_z(page, "y") == expected_y(3)

    live.push(4, version=8)
    wait_until(lambda: root_data(page).get("followVersion") == "8")
    bar = progress(page)
    assert bar["text"] == "Step 4 of 8, as the teacher steps. Leave to explore to step on your own."
    assert (bar["role"], bar["now"], bar["max"]) == ("progressbar", "4", "8")
    step4 = screen(4)["words"]
    heading = page.locator(".lp-f-words h3").inner_text()
    assert heading == step4[0][2] and heading.startswith("Step 4 of 8 · forward, window (1, 1)")
    # The sentence, from step_words; its numbers checked against the grid by hand: window (1, 1) of x is 5, 8 / 9, 3.
    sentence = page.locator(".lp-f-md p").first.inner_text()
    assert sentence == step4[1][2] and "compares 5, 8, 9, 3" in sentence
    wait_until(lambda: grid_z(page, "y") == expected_y(4))
    assert root_data(page)["followStep"] == "4"
    assert query(page) == {"x": "keep", "step": "4", "version": "7"}  # only step= moved
    assert page.locator(".lp-f-words .katex").count() == 1  # the window's formula, typeset by KaTeX
    assert page.locator(".lp-f-words .lp-f-tex").count() == 0

    # Older and equal versions change nothing: version 6 (step 2) and version 8 again with step 5's screen.
    live.push(2, version=6)
    live.push(5, version=8)
    page.wait_for_timeout(1500)
    assert root_data(page)["followStep"] == "4" and root_data(page)["followVersion"] == "8"
    assert grid_z(page, "y") == expected_y(4)
    assert page.locator(".lp-f-words h3").inner_text() == step4[0][2]
    assert query(page)["step"] == "4"

    # A Streamlit rerun that brings the older screen (version 7, step 3) does not take the follower back.
    runs = int(root_data(page)["followRuns"])
    page.locator(".st-key-rerun button").first.click()
    wait_until(lambda: int(root_data(page).get("followRuns", 0)) > runs)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    assert root_data(page)["followStep"] == "4" and grid_z(page, "y") == expected_y(4)
    assert len(live.urls()) == 1  # the same socket: its address did not change

    # The picture still answers the mouse: y[1, 1], computed at step 4, names its winner x[3, 2].
    hover(page, "y", 1, 1)
    wait_until(lambda: "max: x[3, 2] = 9" in tooltip(page))
    page.mouse.move(5, 5)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "follow_live_1280x800.png"), full_page=True)

    # The channel drops: the page opens it again, asking for what is newer than version 8.
    live.sockets[0].close()
    wait_until(lambda: len(live.urls()) == 2, timeout=30)
    assert live.since(1) == "8"
    live.push(5, version=9)
    wait_until(lambda: root_data(page).get("followStep") == "5")
    assert query(page)["step"] == "5"
    assert page.locator(".lp-f-words h3").inner_text().startswith("Step 5 of 8 · backward")

    # Narrow: the words go below the picture.
    page.set_viewport_size({"width": 600, "height": 1500})
    wait_until(
        lambda: page.evaluate(
            "() => document.querySelector('.lp-f-words').getBoundingClientRect().top"
            " >= document.querySelector('.lp-f-picture').getBoundingClientRect().bottom - 1"
        )
    )
    page.screenshot(path=str(ARTIFACTS / "follow_live_600.png"), full_page=True)

    # Leave to explore: no follower's screen, the socket closes, the picture stays.
    page.locator(".st-key-following label").first.click()
    page.wait_for_selector(".lp-follow", state="detached")
    wait_until(lambda: live.urls()[1] in live.closed)  # urls() lets Playwright deliver the close
    assert page.locator('.lp-root [aria-label="y"]').count() == 1
    assert "followVersion" not in root_data(page)

    # Rejoin: the follower's screen and a channel again (this app's rerun brings version 7 back).
    page.locator(".st-key-following label").first.click()
    page.wait_for_selector('.lp-follow .lp-root[data-follow-version="7"]')
    wait_until(lambda: len(live.urls()) == 3)
    assert live.since(2) == "7"
    # The picture leaves the page (another page opened): its channel closes too.
    page.locator(".st-key-picture label").first.click()
    page.wait_for_selector(".lp-root", state="detached")
    wait_until(lambda: live.urls()[2] in live.closed, timeout=20)


def test_tex_source_without_katex(page, follow_url):
    """No KaTeX module given: the formula shows as its TeX source, never as markup."""
    live = Live(page)
    page.goto(f"{follow_url}/?step=3&version=7&katex=0")
    wait_for_follower(page, 3)
    wait_until(lambda: live.urls())
    tex = [w[2] for w in screen(3)["words"] if w[1] == "latex"]
    assert page.locator(".lp-f-words .lp-f-tex").all_inner_texts() == tex
    assert page.locator(".lp-f-words .katex").count() == 0
    live.push(4, version=8)
    wait_until(lambda: root_data(page).get("followStep") == "4")
    assert page.locator(".lp-f-words .lp-f-tex").all_inner_texts() == [
        w[2] for w in screen(4)["words"] if w[1] == "latex"
    ]


HOSTILE = [
    ["words", "subheader", "Step <b>9</b> of 9"],
    [
        "words",
        "markdown",
        "**bold** and *em* and _em_ and `x<y>` and \\*stars\\* \\[1, 2\\] and a_b_c"
        '\n\n<img src=x onerror="window.__owned=1">',
    ],
    ["formulas", "info", "x[1, 1] already held <script>window.__owned=2</script>"],
    ["words", "success", "Done: **all** of dL/dx."],
    ["words", "caption", "Cells <i>no</i> window reaches keep 0."],
]


def test_words_are_a_safe_markdown_subset_and_presenting_stacks(page, follow_url):
    """Pushed words: markup is text, never HTML; the markdown subset (strong, em, code, escapes) works. Presenting
    (font scale above 1): the picture spans the width, the words go below it, formulas in a column of their own."""
    page.set_viewport_size({"width": 1280, "height": 800})
    page.emulate_media(color_scheme="dark")  # the app follows the system theme: look at the dark one here
    live = Live(page)
    page.goto(f"{follow_url}/?step=4&version=7&fs=1.6")
    wait_for_follower(page, 4)
    wait_until(lambda: live.urls())
    body = page.evaluate(
        "() => { const r = (s) => document.querySelector(s).getBoundingClientRect();"
        " return {picture: r('.lp-f-picture'), words: r('.lp-f-words'), body: r('.lp-f-body')}; }"
    )
    assert body["words"]["top"] >= body["picture"]["bottom"] - 1  # below the picture
    assert body["picture"]["width"] >= body["body"]["width"] - 1  # the whole width
    formulas = page.locator(".lp-f-words .lp-f-col").nth(1)
    assert formulas.locator(".katex").count() == 1 and "Step 4 of 8" not in formulas.inner_text()
    page.screenshot(path=str(ARTIFACTS / "follow_live_presenting_dark.png"), full_page=True)

    live.sockets[-1].send(json.dumps({"version": 8, **screen(5, 1.6), "step": 9, "n_steps": 9, "words": HOSTILE}))
    wait_until(lambda: root_data(page).get("followStep") == "9")
    words = page.locator(".lp-f-words")
    assert page.locator(".lp-f-words img, .lp-f-words script, .lp-f-words b, .lp-f-words i").count() == 0
    assert page.evaluate("() => window.__owned") is None
    assert words.locator("h3").inner_text() == "Step <b>9</b> of 9"
    assert words.locator("strong").all_inner_texts() == ["bold", "all"]
    assert words.locator("em").all_inner_texts() == ["em", "em"]
    assert words.locator(".lp-f-md code").all_inner_texts() == ["x<y>"]
    first, second = words.locator(".lp-f-md p").all_inner_texts()
    assert first.endswith("and *stars* [1, 2] and a_b_c")  # escapes give the character; no emphasis inside a word
    assert second == '<img src=x onerror="window.__owned=1">'
    assert words.locator(".lp-f-info").inner_text().strip().endswith("held <script>window.__owned=2</script>")
    assert words.locator(".lp-f-success").inner_text().startswith("✅")
    assert words.locator(".lp-f-caption").inner_text() == "Cells <i>no</i> window reaches keep 0."
    words.screenshot(path=str(ARTIFACTS / "follow_live_words_dark.png"))
