"""Refresh the README's pictures on purpose: run the browser tests, then copy their screenshots into docs/screenshots/.

A test run only writes screenshots into the ignored artifacts/screenshots/ folder, so running the suite
never changes tracked files. This script is the one step that does, when you mean it:

    python scripts/refresh_screenshots.py                 # run tests/browser, then copy
    python scripts/refresh_screenshots.py --no-run        # copy what the last run left in artifacts/
    python scripts/refresh_screenshots.py -- -k explorer  # pass options to pytest

It needs what the browser tests need (Chromium, Playwright). Commit docs/screenshots/ afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "artifacts" / "screenshots"
TARGET = ROOT / "docs" / "screenshots"
# The browser tests that take screenshots (the replica, restart and deep-link tests take none).
SCREENSHOT_TESTS = [
    "tests/browser/test_explorer_browser.py",
    "tests/browser/test_step_through_browser.py",
    "tests/browser/test_lessons_browser.py",
    "tests/browser/test_quiz_browser.py",
    "tests/browser/test_edges_browser.py",
    "tests/browser/test_more_edges_browser.py",
]


def copy_screenshots(source: Path = SOURCE, target: Path = TARGET) -> list[str]:
    """Copy every PNG in ``source`` into ``target``; the names of those that are new or changed."""
    target.mkdir(parents=True, exist_ok=True)
    changed = []
    for png in sorted(source.glob("*.png")):
        destination = target / png.name
        if not destination.exists() or destination.read_bytes() != png.read_bytes():
            shutil.copyfile(png, destination)
            changed.append(png.name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="only copy what artifacts/screenshots/ holds")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest options (after --)")
    args = parser.parse_args(argv)
    if not args.no_run:
        tests = [t for t in SCREENSHOT_TESTS if (ROOT / t).exists()]
        command = [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider", *args.pytest_args]
        status = subprocess.run(command, cwd=ROOT).returncode
        if status != 0:
            print(f"the browser tests failed (exit {status}); docs/screenshots/ left as it was", file=sys.stderr)
            return status
    if not SOURCE.is_dir() or not any(SOURCE.glob("*.png")):
        print(f"no screenshots in {SOURCE.relative_to(ROOT)}: run the browser tests first", file=sys.stderr)
        return 1
    changed = copy_screenshots()
    for name in changed:
        print(f"updated docs/screenshots/{name}")
    print(f"{len(changed)} screenshot(s) changed" if changed else "docs/screenshots/ already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
