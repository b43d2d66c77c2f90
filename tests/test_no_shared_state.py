"""The app keeps no shared mutable state between sessions.

One Streamlit process serves every tab of a class, and the modules under ui/,
figures/ and pooling/ are imported once and shared by all of them. So:

- two sessions editing different things never see each other's edits (AppTest
  sessions run in one process, exactly like a server's sessions);
- no code writes into a module-level container (list, dict, set, array ...) of a
  shared module: checked statically with ast over the whole app, and dynamically
  by fingerprinting every module-level container before and after sessions that
  visit every page and edit;
- nothing is cached as a shared object: ``st.cache_resource`` and ``global``
  rebinding are refused; ``functools`` caches are allowed in the numpy-only
  ``pooling`` layer, whose cached results are read-only arrays and frozen objects.
"""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_bad_input import DEFAULT_PAGE, PAGES, open_page
from ui.shell import SIDEBAR_UNUSED_PAGES

ROOT = Path(__file__).resolve().parents[1]
SHARED_PACKAGES = ("ui", "figures", "pooling")  # imported once per process, shared by every session
PER_RUN = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]  # executed afresh on every run

# Calls whose result is a mutable container when bound at module level.
MUTABLE_FACTORIES = {
    "list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque",
    "array", "asarray", "zeros", "ones", "empty", "full", "arange", "linspace", "eye", "zeros_like", "ones_like",
}
# Methods that change a container in place.
MUTATING_METHODS = {
    "append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault", "add", "discard",
    "sort", "reverse", "fill", "put", "itemset", "resize", "setflags", "appendleft", "extendleft", "popleft",
    "__setitem__", "__delitem__", "__iadd__",
}
# Shared caches that are allowed, with the reason; anything else cached as a shared object fails.
ALLOWED_SHARED_CACHES = {
    "pooling": "functools.lru_cache of pure geometry and gather plans; the cached arrays are made read-only",
    "figures": "functools.lru_cache of Pillow fonts by size (slide export): fonts are only read, never changed",
}
# Module-level state that class mode shares between sessions on purpose (issue 12: 200 students following one
# teacher must not each poll the store and build the same figures), by name, with the reason. Nothing in them is
# a session's own: what one session shows is never changed by another.
ALLOWED_SHARED_STATE = {
    "ui.class_push._WATCHERS": "one watcher per room store and process: which sessions follow which room, "
    "never what a session shows",
    "ui.payload_share._SETS": "step pictures' payload JSON keyed by everything they are drawn from (grids, window, "
    "tie rule, step, font scale), immutable strings",
    "ui.payload_share._BUILDING": "the payloads being built now, so that sessions asking at once build one",
    "ui.payload_share.stats": "counts of shared-payload hits and builds (tests read them)",
    "ui.class_push.LIVE": "page file -> the function that builds that page's live screen from a room view; "
    "written once at import, never per session",
    "ui.class_live._route_state": "whether the live channel's route was added to this process's server (once)",
    "ui.payload_share._VALUES": "a step's pooled view, plan, picture options and words keyed by everything they "
    "are computed from, frozen dataclasses whose arrays are made read-only when stored",
}


def shared_files() -> list[Path]:
    return sorted(p for pkg in SHARED_PACKAGES for p in (ROOT / pkg).glob("*.py"))


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def is_mutable_value(node: ast.AST) -> bool:
    if isinstance(node, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        return name in MUTABLE_FACTORIES
    return False


def module_containers() -> dict[str, set[str]]:
    """{module: names bound at module level to a mutable container} for the shared modules."""
    found: dict[str, set[str]] = {}
    for path in shared_files():
        names = set()
        for node in ast.parse(path.read_text()).body:
            targets, value = [], None
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            if value is not None and is_mutable_value(value):
                names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id != "__all__"}
        found[module_name(path)] = names
    return found


def root_name(node: ast.AST) -> ast.AST:
    """The object at the root of ``a.b[c].d``: the Name or Attribute before any subscript."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node


class Writes(ast.NodeVisitor):
    """Collects in-place writes to shared containers in one file, resolving its imports."""

    def __init__(self, path: Path, containers: dict[str, set[str]]):
        self.path, self.containers = path, containers
        self.own = module_name(path) if path.parent.name in SHARED_PACKAGES else None
        self.aliases: dict[str, str] = {}  # local name -> "module.NAME" for imported containers
        self.modules: dict[str, str] = {}  # local name -> module, for "import ui.codec as codec"
        self.problems: list[str] = []
        self.locals: list[set[str]] = []

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT)}:{node.lineno}"

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self.modules[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for a in node.names:
            full = f"{node.module}.{a.name}"
            if full in self.containers:  # "from ui import codec": a module
                self.modules[a.asname or a.name] = full
            elif a.name in self.containers.get(node.module, ()):
                self.aliases[a.asname or a.name] = full

    def shared(self, node: ast.AST) -> str | None:
        """'module.NAME' if ``node`` denotes a shared module-level container, else None."""
        node = root_name(node)
        if isinstance(node, ast.Name):
            if any(node.id in scope for scope in self.locals):
                return None
            if self.own and node.id in self.containers.get(self.own, ()):
                return f"{self.own}.{node.id}"
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = self.modules.get(node.value.id)
            if module and node.attr in self.containers.get(module, ()):
                return f"{module}.{node.attr}"
        return None

    def visit_FunctionDef(self, node) -> None:
        assigned = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
        assigned |= {t.id for n in ast.walk(node) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                     for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
        self.locals.append(assigned)
        self.generic_visit(node)
        self.locals.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Global(self, node: ast.Global) -> None:
        self.problems.append(f"{self.where(node)}: 'global {', '.join(node.names)}' rebinds module state at run time")

    def check_target(self, target: ast.AST, node: ast.AST) -> None:
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            name = self.shared(target.value if isinstance(target, ast.Attribute) else target)
            if name:
                self.problems.append(f"{self.where(node)}: writes into {name}")

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            self.check_target(t, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.check_target(node.target, node)
        name = self.shared(node.target) if isinstance(node.target, ast.Name) else None
        if name:
            self.problems.append(f"{self.where(node)}: augmented assignment to {name}")
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for t in node.targets:
            self.check_target(t, node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in MUTATING_METHODS:
            name = self.shared(func.value)
            if name:
                self.problems.append(f"{self.where(node)}: {func.attr}() on {name}")
        for kw in node.keywords:  # numpy's out=
            if kw.arg == "out" and self.shared(kw.value):
                self.problems.append(f"{self.where(node)}: out= writes into {self.shared(kw.value)}")
        if isinstance(func, ast.Attribute) and func.attr == "copyto" and node.args and self.shared(node.args[0]):
            self.problems.append(f"{self.where(node)}: copyto() into {self.shared(node.args[0])}")
        self.generic_visit(node)


def all_app_files() -> list[Path]:
    return shared_files() + [p for p in PER_RUN if p.exists()]


def test_no_code_writes_into_a_shared_module_level_container():
    containers = module_containers()
    assert containers.get("ui.codec"), "the scan found no module-level containers: is it looking at the code?"
    problems = []
    for path in all_app_files():
        visitor = Writes(path, containers)
        visitor.visit(ast.parse(path.read_text()))
        problems += visitor.problems
    problems = [p for p in problems if not any(p.endswith(f" {name}") for name in ALLOWED_SHARED_STATE)]
    assert not problems, "\n".join(problems)


def test_the_scan_catches_writes():
    """The checker itself: each kind of write is reported, reads and local shadows are not."""
    source = """
from ui.codec import DEFAULT_X
from ui import codec
import ui.controls as controls

def f():
    DEFAULT_X[0, 0] = 1
    codec._SPECIAL["x"] = 2
    controls.TIE_LABELS.update(a=1)
    codec._PAIR_RANGES.setdefault("q", 1)
    np.add(DEFAULT_X, 1, out=DEFAULT_X)

def g():
    y = DEFAULT_X.copy()
    y[0, 0] = 1
    return codec._SPECIAL.get("nan")

def h(DEFAULT_X):
    DEFAULT_X[0] = 1

def k():
    global counter
"""
    fake = ROOT / "pages" / "_scan_probe.py"
    visitor = Writes(fake, module_containers())
    visitor.visit(ast.parse(source))
    kinds = [p.split(": ", 1)[1] for p in visitor.problems]
    assert kinds == [
        "writes into ui.codec.DEFAULT_X",
        "writes into ui.codec._SPECIAL",
        "update() on ui.controls.TIE_LABELS",
        "setdefault() on ui.codec._PAIR_RANGES",
        "out= writes into ui.codec.DEFAULT_X",
        "'global counter' rebinds module state at run time",
    ], kinds


def test_nothing_is_cached_as_a_shared_object():
    problems = []
    for path in all_app_files():
        package = path.parent.name
        for node in ast.walk(ast.parse(path.read_text())):
            name = None
            if isinstance(node, ast.Attribute) and node.attr in ("cache_resource", "experimental_singleton"):
                name = node.attr
            elif isinstance(node, ast.Attribute) and node.attr in ("lru_cache", "cache") and \
                    isinstance(node.value, ast.Name) and node.value.id == "functools":
                name = f"functools.{node.attr}"
            if name and not (name.startswith("functools") and package in ALLOWED_SHARED_CACHES):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name} shares one object between sessions")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- at run time


def fingerprint(obj, depth: int = 0):
    """A comparable snapshot of a container's contents (arrays by bytes, containers recursively)."""
    if depth > 6:
        return repr(type(obj))
    if isinstance(obj, np.ndarray):
        return ("ndarray", obj.dtype.str, obj.shape, obj.tobytes())
    if isinstance(obj, dict):
        return ("dict", tuple((repr(k), fingerprint(v, depth + 1)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(fingerprint(v, depth + 1) for v in obj))
    if isinstance(obj, (set, frozenset)):
        return (type(obj).__name__, tuple(sorted(repr(v) for v in obj)))
    if isinstance(obj, bytearray):
        return ("bytearray", bytes(obj))
    return repr(obj)


def shared_state() -> dict[str, object]:
    snapshot = {}
    for path in shared_files():
        name = module_name(path)
        module = sys.modules.get(name) or importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, (list, dict, set, bytearray, np.ndarray)) and not attr.startswith("__"):
                snapshot[f"{name}.{attr}"] = fingerprint(value)
    return snapshot


def find(at: AppTest, key: str):
    for kind in ("number_input", "checkbox", "radio", "text_area", "button", "selectbox"):
        for element in at.get(kind):
            if getattr(element, "key", None) == key:
                return element
    return None


def test_sessions_on_every_page_leave_module_state_unchanged():
    for path in shared_files():  # import everything first, so every container is in the snapshot
        importlib.import_module(module_name(path))
    before = shared_state()
    assert "ui.codec.DEFAULT_X" in before
    for page in PAGES:
        at = open_page(page, {"x": "1,2,3;4,5,6;7,8,9", "k": "2", "s": "1", "tie": "split"})
        assert not at.exception, (page, [e.value for e in at.exception])
        for key, action in (("k_h", lambda w: w.set_value(3)), ("tie", lambda w: w.set_value("all")),
                            ("ceil", lambda w: w.check()), ("x_fill_equal", lambda w: w.click())):
            widget = find(at, key)
            if widget is not None:
                action(widget).run()
                assert not at.exception, (page, key, [e.value for e in at.exception])
        paste = find(at, "x_paste")
        if paste is not None:
            paste.input("9 8\n7 6").run()
            find(at, "x_paste_apply").click().run()
    after = shared_state()
    changed = sorted(k for k in before if after.get(k) != before[k] and k not in ALLOWED_SHARED_STATE)
    assert not changed, f"module-level state changed by sessions: {changed}"


def param(at: AppTest, key: str) -> str:
    """The URL's value for ``key`` (AppTest gives a str or, for a repeated key, a list)."""
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def view(at: AppTest):
    return at.session_state["view"]


def test_two_sessions_editing_different_things_do_not_see_each_other():
    a = open_page(DEFAULT_PAGE, {"x": "1,2;3,4", "k": "2"})
    b = open_page(DEFAULT_PAGE, {"x": "5,6,7;8,9,10;11,12,13", "k": "2", "tie": "split"})
    a.session_state["editors"] = True  # the explorer builds its table editors only while they are open
    a.run()
    # a pastes a new grid and turns the kernel; b changes its tie rule and padding, in between.
    find(a, "x_paste").input("0 1\n1 0").run()
    find(b, "tie").set_value("last").run()
    find(a, "x_paste_apply").click().run()
    find(b, "p_h").set_value(1).run()
    find(a, "k_w").set_value(1).run()
    b.run()
    a.run()
    assert not a.exception and not b.exception
    va, vb = view(a), view(b)
    assert np.array_equal(va.x, [[0, 1], [1, 0]]) and va.kernel == (2, 1)
    assert va.tie_policy == "first" and va.padding == (0, 0)
    assert np.array_equal(vb.x, [[5, 6, 7], [8, 9, 10], [11, 12, 13]]) and vb.kernel == (2, 2)
    assert vb.tie_policy == "last" and vb.padding == (1, 0)
    # Each session's link is its own.
    assert param(a, "x") == "0,1;1,0" and param(b, "tie") == "last"
    assert "tie" not in a.query_params


@pytest.mark.parametrize("page", [p for p in PAGES if p not in SIDEBAR_UNUSED_PAGES])  # the others hide it
def test_a_sidebar_change_in_one_session_does_not_reach_another(page):
    a = open_page(page, {"x": "1,2;3,4"})
    b = open_page(page, {"x": "1,2;3,4"})
    find(a, "tie").set_value("none").run()
    find(a, "k_h").set_value(1).run()
    b.run()
    assert not a.exception and not b.exception
    assert view(a).tie_policy == "none" and view(a).kernel == (1, 2)
    assert view(b).tie_policy == "first" and view(b).kernel == (2, 2)
    assert find(b, "tie").value == "first" and find(b, "k_h").value == 2
