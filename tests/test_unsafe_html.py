"""Production settings, and no path from anything a user typed to raw HTML.

1. ``.streamlit/config.toml`` keeps the production settings: headless, no file
   watcher, no usage statistics, no error details for visitors, and XSRF protection
   on (with CORS protection on, which Streamlit needs for XSRF to stay on). Checked
   in the file and in the values Streamlit itself loads from it.
2. Every call that renders raw HTML - any call with ``unsafe_allow_html=`` not
   literally False, ``st.html``, ``components.html`` - is found with ``ast`` in the
   app's code, and its content must be constant strings or a name from
   `ALLOWED_HTML`, a documented allow-list of module-level constants.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"

#: Module-level constants allowed as raw HTML content, with what they are. Each must be
#: assigned exactly once, at module level, from string literals only (checked below).
ALLOWED_HTML = {
    "ui.presentation.PRESENTATION_CSS": "the presentation-mode stylesheet: a fixed <style> block",
    "ui.presentation.BASE_CSS": "the always-on stylesheet (caption and chart-label contrast): a fixed <style> block",
    "ui.presentation.WRAP_CSS": "presenting a wide x, rows of charts wrap: a fixed <style> block",
}

HTML_FUNCTIONS = {"html"}  # st.html, components.html, st.components.v1.html
TEXT_FUNCTIONS = {"markdown", "write", "caption", "html", "text", "title", "header", "subheader", "info",
                  "warning", "error", "success", "toast", "help"}


def app_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for folder in ("pages", "ui", "figures", "pooling"):
        files += sorted((ROOT / folder).glob("*.py"))
    return [f for f in files if f.exists()]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


# --------------------------------------------------------------------------- production settings


def test_config_file_keeps_the_production_settings():
    config = tomllib.loads(CONFIG.read_text())
    server, browser, client = config.get("server", {}), config.get("browser", {}), config.get("client", {})
    assert server.get("headless") is True
    assert server.get("fileWatcherType") == "none"
    assert server.get("runOnSave", False) is False
    assert browser.get("gatherUsageStats") is False
    assert client.get("showErrorDetails") in ("none", False)
    # XSRF protection is on by default; it must not be switched off, nor CORS protection (off
    # CORS makes Streamlit drop XSRF protection too).
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert "cookieSecret" not in server, "a cookie secret belongs in the environment, not in the repository"


def test_streamlit_loads_the_production_settings():
    """The values Streamlit itself reads from the file (in a child process: the config is global)."""
    script = (
        "import json\n"
        "from streamlit import config\n"
        "config.get_config_options(force_reparse=True)\n"
        "names = ['server.headless', 'server.fileWatcherType', 'browser.gatherUsageStats',\n"
        "         'client.showErrorDetails', 'server.enableXsrfProtection', 'server.enableCORS']\n"
        "print(json.dumps({n: config.get_option(n) for n in names}))\n"
    )
    env_free = {k: v for k, v in __import__("os").environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env_free, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    options = json.loads(out.strip().splitlines()[-1])
    assert options == {
        "server.headless": True,
        "server.fileWatcherType": "none",
        "browser.gatherUsageStats": False,
        "client.showErrorDetails": "none",
        "server.enableXsrfProtection": True,
        "server.enableCORS": True,
    }


# --------------------------------------------------------------------------- raw HTML


def constant_bindings(path: Path) -> dict[str, list[ast.AST]]:
    """Every module-level binding of each name in ``path`` (to tell one constant from a rebound name)."""
    bound: dict[str, list[ast.AST]] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    bound.setdefault(t.id, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            bound.setdefault(node.target.id, []).append(node.value if node.value is not None else node)
    return bound


def is_literal(node: ast.AST) -> bool:
    """A string built from literals only: "a", "a" "b", "a" + "b", f"a" with no fields."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return is_literal(node.left) and is_literal(node.right)
    return False


class HtmlCalls(ast.NodeVisitor):
    """Finds raw-HTML calls in one file and checks what they render."""

    def __init__(self, path: Path, allowed: dict[str, str]):
        self.path, self.allowed = path, allowed
        self.module = module_name(path)
        self.imports: dict[str, str] = {}  # local name -> dotted origin
        self.problems: list[str] = []

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for a in node.names:
                self.imports[a.asname or a.name] = f"{node.module}.{a.name}"

    def dotted(self, node: ast.AST) -> str | None:
        """The full dotted name of a Name or Attribute chain, imports resolved."""
        if isinstance(node, ast.Name):
            return self.imports.get(node.id, f"{self.module}.{node.id}")
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def safe(self, node: ast.AST) -> bool:
        if is_literal(node):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.safe(node.left) and self.safe(node.right)
        return isinstance(node, (ast.Name, ast.Attribute)) and self.dotted(node) in self.allowed

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        flag = next((kw for kw in node.keywords if kw.arg == "unsafe_allow_html"), None)
        unsafe_flag = flag is not None and not (isinstance(flag.value, ast.Constant) and flag.value.value is False)
        dotted = self.dotted(func) or ""
        is_html = dotted.startswith("streamlit") and dotted.rpartition(".")[2] in HTML_FUNCTIONS
        where = f"{self.path.relative_to(ROOT)}:{node.lineno}"
        if name in TEXT_FUNCTIONS and any(kw.arg is None for kw in node.keywords):
            self.problems.append(f"{where}: {name}(**kwargs) could pass unsafe_allow_html=True unseen")
        if unsafe_flag or is_html:
            content = list(node.args) + [kw.value for kw in node.keywords if kw.arg in ("body", "html")]
            if not content:
                self.problems.append(f"{where}: {name}() with raw HTML and no content to check")
            for arg in content:
                if not self.safe(arg):
                    self.problems.append(f"{where}: {name}() renders raw HTML from {ast.unparse(arg)!r}, "
                                         "which is neither a string literal nor in ALLOWED_HTML")
        self.generic_visit(node)


def scan(path: Path, source: str | None = None) -> HtmlCalls:
    visitor = HtmlCalls(path, ALLOWED_HTML)
    visitor.visit(ast.parse(source if source is not None else path.read_text()))
    return visitor


def test_nothing_a_user_typed_reaches_raw_html():
    problems = []
    for path in app_files():
        problems += scan(path).problems
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(ALLOWED_HTML))
def test_allow_listed_html_is_one_literal_constant(name):
    module, _, attr = name.rpartition(".")
    path = ROOT / (module.replace(".", "/") + ".py")
    assert path.exists(), f"{name}: no file {path}"
    bindings = constant_bindings(path).get(attr, [])
    assert len(bindings) == 1, f"{name} must be bound exactly once at module level; found {len(bindings)}"
    assert is_literal(bindings[0]), f"{name} must be built from string literals only"
    # Nothing else in the code base assigns to it either.
    for other in app_files():
        for node in ast.walk(ast.parse(other.read_text())):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Attribute) and t.attr == attr:
                        pytest.fail(f"{other.relative_to(ROOT)}:{node.lineno} reassigns {name}")


def test_the_scan_catches_unsafe_html():
    """The checker itself, on code written to break the rule (and code that keeps it)."""
    probe = ROOT / "pages" / "_probe.py"
    source = '''
import streamlit as st
import streamlit.components.v1 as components
from streamlit.components.v1 import html as raw_html
from ui.presentation import PRESENTATION_CSS
from ui import presentation

text = st.text_input("name")
st.markdown(f"<b>{text}</b>", unsafe_allow_html=True)            # 1: user text
st.markdown("<b>" + text + "</b>", unsafe_allow_html=True)       # 2
st.html(text)                                                    # 3
components.html("<p>{}</p>".format(text))                       # 4
st.write("<i>hi</i>", text, unsafe_allow_html=True)              # 5
st.caption(text, unsafe_allow_html=flag)                         # 6: a flag that may be True
st.markdown(text, **options)                                     # 7: may hide the flag
raw_html(OTHER_CSS)                                              # 8: not allow-listed

st.markdown("<hr>", unsafe_allow_html=True)                      # fine: a literal
st.markdown("<b>" "bold" "</b>", unsafe_allow_html=True)         # fine
st.html(PRESENTATION_CSS)                                        # fine: allow-listed
st.html(presentation.PRESENTATION_CSS)                           # fine
st.markdown(text)                                                # fine: escaped
st.markdown(text, unsafe_allow_html=False)                       # fine
'''
    visitor = scan(probe, source)
    lines = sorted({int(p.split(":")[1]) for p in visitor.problems})
    assert lines == [9, 10, 11, 12, 13, 14, 15, 16], visitor.problems
