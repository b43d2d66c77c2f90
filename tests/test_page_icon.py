"""The favicon is one Streamlit draws itself (an emoji it knows or a material icon), never a URL.

``page_icon="▦"`` is neither, so Streamlit turned it into an image URL and every browser requested
``/%E2%96%A6`` from the server, which answered with the page's HTML.
"""

from __future__ import annotations

import ast
from pathlib import Path

from streamlit.commands.page_config import _get_favicon_string

ROOT = Path(__file__).resolve().parents[1]


def page_icon() -> str:
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "set_page_config":
            return next(ast.literal_eval(k.value) for k in node.keywords if k.arg == "page_icon")
    raise AssertionError("app.py does not call st.set_page_config(page_icon=...)")


def test_page_icon_is_drawn_by_streamlit_not_fetched():
    favicon = _get_favicon_string(page_icon())
    assert favicon.startswith(("emoji:", ":material/")), favicon


def test_the_check_refuses_the_old_icon():
    assert not _get_favicon_string("▦").startswith(("emoji:", ":material/"))
