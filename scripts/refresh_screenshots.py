"""Refresh the README's pictures on purpose: every page at 1280x800 and presenting at 1920x1080, then the browser
tests' own screenshots, all into docs/screenshots/.

A test run only writes screenshots into the ignored artifacts/screenshots/ folder, so running the suite
never changes tracked files. This script is the one step that does, when you mean it:

    python scripts/refresh_screenshots.py                 # pages at both sizes, then run tests/browser and copy
    python scripts/refresh_screenshots.py --pages-only    # only the pages at both sizes (about two minutes)
    python scripts/refresh_screenshots.py --no-run        # pages, then copy what the last test run left
    python scripts/refresh_screenshots.py -- -k explorer  # pass options to pytest

The page pictures (docs/screenshots/pages/<page>_1280x800.png and <page>_1920x1080_present.png) are what a
new user sees first: a fresh session on each page, opened from the sidebar's default view, presentation
mode switched on with the sidebar toggle. The script starts its own server on a free loopback port and
stops it afterwards. It needs what the browser tests need (Chromium, Playwright); PNGs are reduced to a
palette with Pillow when that keeps them legible and smaller. Commit docs/screenshots/ afterwards.
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


# (url path, file stem) of every page; "" is the Explorer (the app's default page).
PAGES = [
    ("", "explorer"),
    ("step_through", "step_through"),
    ("lessons", "lessons"),
    ("quiz", "quiz"),
    ("tie_lab", "tie_lab"),
    ("matrix", "matrix"),
    ("network", "network"),
    ("max_vs_avg", "max_vs_avg"),
    ("images", "images"),
    ("code", "code"),
    ("smooth_max", "smooth_max"),
    ("unpool", "unpool"),
    ("adaptive", "adaptive"),
    ("one_d", "one_d"),
    ("frameworks", "frameworks"),
]
SIZES = [((1280, 800), False, "1280x800"), ((1920, 1080), True, "1920x1080_present")]
PAGES_TARGET = TARGET / "pages"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'


# Placeholders Streamlit shows while an element (a chart, a table, a component) is still loading.
LOADING = "() => !document.querySelector('[data-testid=stSkeleton], .stSpinner, [data-testid=stElementSkeleton]')"


def _settle(page, wait_ms: int) -> None:
    """Let a run start and finish, then give plotly.js, the tables and the linked picture time to draw."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.wait_for_timeout(wait_ms)
    page.wait_for_selector(IDLE, timeout=120_000)
    try:
        page.wait_for_function(LOADING, timeout=30_000)
    except Exception:  # a picture with a placeholder left is still worth having; say so
        print(f"still loading after 30 s: {page.url}", file=sys.stderr)
    page.wait_for_timeout(500)


def _shrink(path: Path) -> None:
    """Reduce a screenshot to a 256-colour palette when that makes it smaller (text stays crisp)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    tmp = path.with_suffix(".tmp.png")
    reduced.save(tmp, optimize=True)
    if tmp.stat().st_size < path.stat().st_size:
        tmp.replace(path)
    else:
        tmp.unlink()


def capture_pages(target: Path = PAGES_TARGET) -> list[str]:
    """A screenshot of every page at each of `SIZES`, from a server of its own; the files written."""
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, start_server, stop_server

    target.mkdir(parents=True, exist_ok=True)
    written = []
    process, base_url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
            for (width, height), present, suffix in SIZES:
                for path, stem in PAGES:
                    # A fresh context per page: a new user's first visit, with the page's own opening view.
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    page.goto(f"{base_url}/{path}")
                    page.wait_for_selector(CONNECTED, timeout=120_000)
                    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=120_000)
                    _settle(page, 1500)
                    if present:
                        page.locator(".st-key-present label").first.click()
                        _settle(page, 2500)
                    page.mouse.move(1, height - 1)  # no hover tooltip in the picture
                    out = target / f"{stem}_{suffix}.png"
                    page.screenshot(path=str(out))
                    _shrink(out)
                    written.append(str(out.relative_to(ROOT)))
                    print(f"wrote {written[-1]}", flush=True)
                    context.close()
            browser.close()
    finally:
        stop_server(process)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="after the pages, only copy what artifacts/ holds")
    parser.add_argument("--pages-only", action="store_true", help="only the pages at 1280x800 and 1920x1080")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest options (after --)")
    args = parser.parse_args(argv)
    capture_pages()
    if args.pages_only:
        return 0
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
