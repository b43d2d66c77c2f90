"""The linked picture's script travels once per page, not in every rerun's message (ui/linked.py).

ui/linked.js is written into static/ under a name holding its hash; the component's own JS is a small
loader that imports it from there. Where static/ cannot be written, the script goes inline as before.
The browser tests (tests/browser/test_linked_browser.py and the rest) draw the picture through the loader.
"""

from __future__ import annotations

import hashlib
import json

from tests.apptest_util import run_page
from ui import linked

SEED = {"x": "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "k": "2"}


def test_static_holds_linked_js_under_its_hash():
    source = (linked.HERE / "linked.js").read_text(encoding="utf-8")
    name = f"linked-{hashlib.sha256(source.encode()).hexdigest()[:12]}.js"
    assert name == linked.LINKED_JS_FILE
    assert (linked.STATIC / name).read_text(encoding="utf-8") == source


def test_the_loader_imports_that_file():
    js = linked.component_js()
    assert f'"app/static/{linked.LINKED_JS_FILE}"' in js
    assert "import(" in js and len(js) < 2000 < len(linked.LINKED_JS)


def test_without_a_writable_static_folder_the_script_goes_inline(tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where static/ should be")
    monkeypatch.setattr(linked, "STATIC", blocked)
    assert linked.component_js() == linked.LINKED_JS


def test_a_rerun_message_carries_the_payload_and_the_loader_only():
    at = run_page(query=SEED)
    assert not at.exception
    (picture,) = [e for e in at.get("bidi_component") if e.proto.id.endswith("-linked")]
    assert picture.proto.js_content == linked.component_js()
    assert len(picture.proto.js_content) < 2000
    payload = json.loads(json.loads(picture.proto.json)["json"])
    assert payload["grids"]["x"]["shape"] == [4, 4]
