"""The class's live channel (ui/class_live.py) and what a following picture draws its formulas with.

The channel in a real server, with simulated students, is tests/load/test_class_follow.py; in a
browser, tests/browser/test_class_browser.py and tests/browser/test_follow_live_browser.py.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import streamlit as st

from tests.load.client import run_in_own_loop
from ui import class_live, linked


def test_the_shipped_katex_is_the_version_streamlits_math_stylesheet_is_for():
    """The picture's formulas use Streamlit's KaTeX stylesheet and fonts, which fit one KaTeX version only."""
    static = Path(st.__file__).parent / "static" / "static" / "css"
    css_versions = {
        v for f in static.glob("*.css") for v in re.findall(r'katex-version:after\{content:"([0-9.]+)"', f.read_text())
    }
    shipped = (Path(linked.__file__).parent / linked.KATEX_FILE).read_text(encoding="utf-8")
    assert css_versions == {linked.KATEX_VERSION}
    assert re.findall(r'version:"([0-9.]+)"', shipped) == [linked.KATEX_VERSION]
    assert f"app/static/{linked.KATEX_FILE}" == linked.KATEX_SRC
    assert (linked.STATIC / linked.KATEX_FILE).read_bytes() == (
        Path(linked.__file__).parent / linked.KATEX_FILE
    ).read_bytes()


def test_a_slow_browser_keeps_only_the_newest_screens():
    async def fill() -> list[str]:
        channel = class_live.Channel(asyncio.get_running_loop())
        for i in range(class_live.MAX_QUEUED + 5):
            channel.put(str(i))
        return [channel.queue.get_nowait() for _ in range(channel.queue.qsize())]

    kept = run_in_own_loop(fill())  # not asyncio.run: after the browser tests Playwright's loop runs in this thread
    assert kept == [str(i) for i in range(5, class_live.MAX_QUEUED + 5)]


def test_only_the_apps_own_pages_may_open_the_channel():
    assert class_live._same_origin({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501"})
    assert class_live._same_origin({"host": "class.example.org", "origin": "https://Class.Example.org"})
    assert not class_live._same_origin({"host": "127.0.0.1:8501", "origin": "http://evil.example"})
    assert not class_live._same_origin({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:9999"})
    assert class_live._same_origin({"host": "127.0.0.1:8501"})  # no Origin: not a browser; the ids are checked


def test_outside_a_server_there_is_no_route_and_pages_keep_the_rerun_path():
    class_live._route_state.clear()
    try:
        assert class_live.ensure_route() is False  # no Streamlit app in this process (pytest)
    finally:
        class_live._route_state.clear()
