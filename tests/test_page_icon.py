"""The favicon is a small PNG the app's own server hands out: no request for it leaves the machine.

``page_icon="▦"`` became an image URL relative to the page, so every browser asked the server for
``/%E2%96%A6`` and got the page's HTML back; ``:material/grid_on:`` (and an emoji) make the browser
fetch the icon from Google's or a CDN's servers, which a classroom without internet cannot reach.
A file path is served by Streamlit's media endpoint, on the same host as the app
(tests/browser/test_page_icon_browser.py checks what a real browser asks for).
"""

from __future__ import annotations

import ast
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def page_icon() -> str:
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "set_page_config":
            keyword = next(k.value for k in node.keywords if k.arg == "page_icon")
            return ast.unparse(keyword)
    raise AssertionError("app.py does not call st.set_page_config(page_icon=...)")


def test_page_icon_is_the_packaged_png():
    assert page_icon() == "str(ICON)"  # app.py: ICON is ui/icon.png, found through the ui package
    icon = ROOT / "ui" / "icon.png"
    with Image.open(icon) as image:
        assert image.format == "PNG" and image.size[0] == image.size[1] >= 32
    # The wheel carries it: ui's package data names it.
    assert '"*.png"' in (ROOT / "pyproject.toml").read_text().split("[tool.setuptools.package-data]")[1]
