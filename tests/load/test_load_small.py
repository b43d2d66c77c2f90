"""A small load run in the test suite: 10 concurrent sessions x 5 edits against one real server.

It asserts correctness under concurrency - no errors, and every edit produced an
update showing the new value - and never asserts on time (benchmarks/bench_load.py
measures the full 30-session figures; docs/load.md records them).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import ROOT, start_server, stop_server
from tests.load.client import run_load, summary

pytestmark = [pytest.mark.load, pytest.mark.timeout(240)]

SESSIONS, EDITS = 10, 5


def test_ten_sessions_editing_at_once_all_get_their_updates():
    (ROOT / "artifacts").mkdir(exist_ok=True)
    process, url = start_server()
    try:
        figures = run_load(url, SESSIONS, EDITS, server_pid=process.pid, deadline=180)
    finally:
        stop_server(process)
    print(summary(figures))
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["edits_sent"] == SESSIONS * EDITS
    assert figures["edits_updated"] == SESSIONS * EDITS
