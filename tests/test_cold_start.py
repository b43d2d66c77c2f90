"""A fresh server's first Explorer page imports no pandas (about a second of a cold link's first paint).

The modules app.py and pages/explorer.py import are loaded in a clean interpreter, as a fresh server
loads them; the table editors and the lessons' tables import pandas when they are built.
tests/browser/ and benchmarks/bench_browser.py (link_to_grids_cold) run the real first page.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_explorers_modules_do_not_import_pandas():
    code = (
        "import sys, streamlit\n"
        "from ui import explorer, nodelay, presentation, presets, shell\n"
        "print(sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_lesson_table_still_builds_its_frame():
    from ui import lessons

    frame = lessons._table([{"cell": "[0, 0]", "value": 1}], "cell")
    assert list(frame.index) == ["[0, 0]"] and frame.loc["[0, 0]", "value"] == 1
