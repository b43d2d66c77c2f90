"""Markdown from a link never renders: every page, every link key, and an uploaded file's name.

A hostile link puts markdown where the app quotes link text in a message: ``[x](//ev.il)``
would show a clickable link, ``![](//ev.il/a.png)`` would make every browser that opens the
link fetch a third-party image, ``*EMPH*`` and backticks would restyle the message. Every
page is opened with every link key (the codec's own keys and every page-owned key, found in
the code so a new key is covered without editing this file) carrying each payload, and every
piece of markdown the page renders (message bodies, captions, markdown, LaTeX, labels and
help) is checked: no payload's markdown survives unescaped. So that the check cannot pass by
the payload simply not being shown, each page must also quote the payload somewhere (escaped).

The browser side (the DOM has no outside link or image, no request leaves for ev.il) is in
tests/browser/test_hostile_links_browser.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.apptest_util import plain, run_page
from tests.test_app_images import images_page
from tests.test_bad_input import app_pages
from tests.test_image_bombs import png_bomb
from ui.codec import VIEW_KEYS
from ui.text import md

ROOT = Path(__file__).resolve().parents[1]
PAGES = app_pages()

# Each payload fits the 20 characters a parser message quotes, so the message shows all of it.
PAYLOADS = {
    "link": "[x](//ev.il)*EMPH*",
    "image": "![](//ev.il/a.png)",
    "code": "`TICK` www.ev.il",
    "directive": ":red[R]http://ev.il",
}
# Markdown that would be live if it reached a renderer unescaped.
LIVE = [
    re.compile(r"(?<!\\)\]\s*\("),  # the middle of [text](target) / ![alt](target)
    re.compile(r"(?<!\\)!(?<!\\)\["),  # an image's start
    re.compile(r"ev\.il"),  # an unescaped address: a bare autolink target (escaped, it reads ev\.il)
    re.compile(r"(?<!\\)\*EMPH(?<!\\)\*"),
    re.compile(r"(?<!\\)`TICK(?<!\\)`"),
    re.compile(r"(?<!\\):red(?<!\\)\["),
    # GitHub's bare autolinks survive backslash escapes (Chromium linked "https\:\/\/ev\.il"): a scheme
    # right before its colon, "www" right before its dot, or an "@", none broken by a zero-width space.
    re.compile(r"(?i)\b(https?|ftp|mailto|xmpp)\\?:"),
    re.compile(r"(?i)\bwww\\?\."),
    re.compile(r"@(?!\u200b)"),
]
FIELDS = ("body", "label", "help", "caption", "placeholder")


def page_link_keys() -> set[str]:
    """Every page-owned link key: the first argument of each state.get_extra(...) in ui/ and pages/,
    a string literal or a module-level string constant."""
    keys: set[str] = set()
    for path in sorted((ROOT / "ui").glob("*.py")) + sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {
            t.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get_extra" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    keys.add(arg.value)
                elif isinstance(arg, ast.Name) and arg.id in constants:
                    keys.add(constants[arg.id])
                elif isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name):
                    module = ROOT / "ui" / f"{arg.value.id}.py"
                    other = ast.parse(module.read_text()) if module.exists() else ast.Module(body=[])
                    keys |= {
                        n.value.value
                        for n in other.body
                        if isinstance(n, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == arg.attr for t in n.targets)
                        and isinstance(n.value, ast.Constant)
                    }
    # Read through a helper that takes the key as a variable (ui.matrix._link_vector(VECTOR, ...)).
    return keys | {"vec"}


LINK_KEYS = sorted(set(VIEW_KEYS) | page_link_keys())


def test_the_key_list_is_complete():
    """Keys the issue names, and the ones only found by reading the code, are all there."""
    for key in ("x", "dy", "k", "tie", "lesson", "vdy", "conv", "h", "sel", "step", "vec", "probe", "imgzoom"):
        assert key in LINK_KEYS, LINK_KEYS


def hostile_link(payload: str, **fixed: str) -> dict[str, str]:
    """Every link key carrying the payload (a grid's payload in its first cell, where it is quoted)."""
    query = {key: payload for key in LINK_KEYS}
    query["x"] = query["dy"] = f"{payload},1;1,1"
    query.update(fixed)
    return query


def rendered_markdown(at) -> list[str]:
    """Every markdown string the run produced: message bodies, text, LaTeX, labels, help."""
    found: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            for name in FIELDS:
                if name in proto.DESCRIPTOR.fields_by_name:
                    value = getattr(proto, name)
                    if isinstance(value, str) and value:
                        found.append(value)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def live_markdown(texts: list[str]) -> list[str]:
    return [t for t in texts if any(p.search(t) for p in LIVE)]


def test_the_check_catches_live_markdown():
    """The detector itself: every payload, unescaped, is caught; escaped by ui.text.md, none is."""
    for payload in PAYLOADS.values():
        assert live_markdown([f"x: {payload} is not a number"]), payload
        assert not live_markdown([f"x: {md(payload)} is not a number"]), md(payload)
    # Escaping alone does not stop a bare address from becoming a link: the detector says so.
    for address in ("https://ev.il", "www.ev.il", "a@ev.il"):
        escaped_only = re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", address)
        assert live_markdown([escaped_only]) and not live_markdown([md(address)]), address


@pytest.mark.parametrize("payload", list(PAYLOADS), ids=list(PAYLOADS))
@pytest.mark.parametrize("page", PAGES)
def test_no_link_text_renders_as_markdown(page, payload):
    at = run_page(page, hostile_link(PAYLOADS[payload]))
    assert not at.exception, [e.value for e in at.exception]
    texts = rendered_markdown(at)
    # Only text that quotes the payload (every payload names ev.il) is judged: the app's own text may
    # cite sources with real links.
    hostile = [t for t in texts if "ev.il" in plain(t)]
    assert not live_markdown(hostile), live_markdown(hostile)
    # The payload did reach a message (escaped): the check above is not vacuous.
    marker = "ev.il"
    quoted = [plain(t) for t in texts if marker in plain(t)]
    assert quoted, f"{page} quoted none of the hostile link's text; messages: {[plain(t) for t in texts][:8]}"


# Page keys a page reads only in a mode the link must switch on first.
MODES = [
    ("pages/matrix.py", {"mview": "1d"}, ("vec", "vdy")),
]


@pytest.mark.parametrize("page,fixed,keys", MODES, ids=[m[0] for m in MODES])
@pytest.mark.parametrize("payload", list(PAYLOADS), ids=list(PAYLOADS))
def test_mode_dependent_keys_do_not_render_markdown(page, fixed, keys, payload):
    query = hostile_link(PAYLOADS[payload], **fixed)
    for key in keys:
        query[key] = f"{PAYLOADS[payload]},1"
    at = run_page(page, query)
    assert not at.exception, [e.value for e in at.exception]
    texts = rendered_markdown(at)
    assert not live_markdown(texts), live_markdown(texts)
    assert sum("ev.il" in plain(t) for t in texts) >= 2, [plain(t) for t in texts]


# Keys whose own message quotes the link's text, page by page: each must appear, escaped.
QUOTED_BY = {
    "pages/lessons.py": "lesson",
    "pages/tie_lab.py": "h",
    "pages/network.py": "conv",
}


@pytest.mark.parametrize("page,key", sorted(QUOTED_BY.items()))
def test_a_page_key_alone_is_quoted_escaped(page, key):
    at = run_page(page, {key: PAYLOADS["link"]})
    assert not at.exception
    texts = rendered_markdown(at)
    assert not live_markdown(texts), live_markdown(texts)
    assert any("[x](//ev.il)" in plain(t) for t in texts), [plain(t) for t in texts if "link" in t]


@pytest.mark.parametrize("payload", list(PAYLOADS), ids=list(PAYLOADS))
def test_an_uploaded_files_name_does_not_render_as_markdown(payload):
    at = images_page()
    at.radio(key="img_source").set_value("upload").run()
    name = PAYLOADS[payload] + ".png"
    at.file_uploader(key="img_upload").set_value((name, png_bomb(), "image/png")).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = rendered_markdown(at)
    assert not live_markdown(texts), live_markdown(texts)
    assert any(name in plain(t) for t in texts), [plain(t) for t in texts]


def test_pasted_text_and_typed_cells_do_not_render_as_markdown():
    """The paste box's and the cell editor's messages quote what was typed: escaped too."""
    from tests.apptest_util import widget

    at = run_page("pages/explorer.py")
    at.session_state["editors"] = True  # the explorer builds its table editors only while they are open
    at.run()
    widget(at, "x_paste").set_value("![](//ev.il/a.png) 1\n1 1")
    widget(at, "x_paste_apply").click().run()
    texts = rendered_markdown(at)
    assert not live_markdown(texts), live_markdown(texts)
    assert any("![](//ev.il/a.png)" in plain(t) for t in texts)


def test_latex_text_makes_a_command_literal():
    """No user text reaches st.latex today (every formula is numbers); the helper for the day one does."""
    from ui.text import latex_text

    # By hand: each of \ { } $ & # % _ ^ ~ becomes its text-mode spelling; a line break becomes a space.
    assert latex_text(r"\href{//ev.il}{x}") == r"\text{\textbackslash{}href\{//ev.il\}\{x\}}"
    assert latex_text("a_b^c~d$e&f#g%h\ni") == (r"\text{a\_b\textasciicircum{}c\textasciitilde{}d\$e\&f\#g\%h i}")
