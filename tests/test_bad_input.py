"""Bad input, systematically: every page, fed malformed links, pastes and control combinations.

For every page listed in ``app.PAGES`` whose file exists (so pages added later are
covered without touching this file), hypothesis builds links that mix valid and
malformed parameters, and sequences of pastes and sidebar changes. Each run must:

- raise nothing (``at.exception`` is empty);
- show a warning or error that names each bad parameter;
- keep the last valid grid: the session's view holds the last x that was valid
  (for a link, the link's x if it was valid and the default otherwise);
- finish in bounded time: every AppTest run has a timeout, and over-long text is
  refused by its length before it is split or parsed (a spy on the codec's grid
  builder proves it is never reached).

What each value is (valid or not, and what it means) is decided here, when the
value is built, never by asking the codec. Example counts are kept small because
one AppTest run costs 0.1-0.5 s; the explicit ``@example`` cases make sure every
kind of bad input in the issue is always tried.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import pooling
import ui.codec
from tests.apptest_util import plain
from ui.codec import DEFAULT_X, MAX_GRID_SIDE, MAX_PADDING, MAX_PARAM_CHARS, MAX_PASTE_CHARS, MAX_WINDOW_PARAM
from ui.shell import OWN_INPUT_PAGES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DEFAULT_PAGE = "pages/explorer.py"
# One run must finish within this many seconds; a hang or a quadratic parse fails the test.
RUN_TIMEOUT = 60
# Streamlit drops a whole query string longer than this before the app runs
# (streamlit.runtime.state.query_params.CLIENT_STATE_QUERY_STRING_MAX_LENGTH).
STREAMLIT_QUERY_LIMIT = 512 * 1024


def app_pages() -> list[str]:
    """The page files listed in app.PAGES that exist, read from app.py without running it."""
    tree = ast.parse((ROOT / "app.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets):
            return [path for _, path, _, _ in ast.literal_eval(node.value) if (ROOT / path).exists()]
    raise AssertionError("app.py has no PAGES list")


PAGES = app_pages()

# Pages that do not yet show the link's problems (ui.explorer.link_warnings()), each with the
# reason: a bug to fix, kept visible as a strict xfail so the entry must go once it is fixed.
LINK_MESSAGE_GAPS: dict[str, str] = {}


# Each example costs one or more AppTest runs (0.1-0.5 s each), so examples are few and failures
# are reported as found, without shrinking (which would rerun the app hundreds of times).
FAST = dict(
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- running the app


def _frame(page_file: str, app_file: str) -> None:
    """Run app.py with ``st.navigation`` answering ``page_file``: the whole frame on every run.

    AppTest (Streamlit 1.67) reruns only the current page's file of an ``st.navigation``
    app after the first run, skipping app.py and so the sidebar controls and the URL
    update. Running app.py itself each time, with navigation pinned to one page, keeps
    everything app.py does around the page, whatever that is.
    """
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    import streamlit as st

    class Page:  # what st.navigation returns: run() and url_path are used
        url_path = Path(page_file).stem

        def run(self):
            runpy.run_path(page_file, run_name="__page__")

    # st.Page resolves paths against the main script, which AppTest puts in a temporary folder.
    real = st.navigation, st.Page
    st.navigation = lambda *args, **kwargs: Page()
    st.Page = lambda path, *args, **kwargs: SimpleNamespace(url_path=Path(path).stem)
    try:
        runpy.run_path(app_file, run_name="__main__")
    finally:
        st.navigation, st.Page = real


def open_page(page: str, query: dict[str, str | list[str]] | None = None) -> AppTest:
    """A new session opened on ``page`` with the link ``query``, run once."""
    at = AppTest.from_function(_frame, args=(str(ROOT / page), APP), default_timeout=RUN_TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def messages(at: AppTest) -> list[str]:
    """Warnings and errors as the reader sees them (user text in them is markdown-escaped)."""
    return [plain(e.value) for e in at.warning] + [plain(e.value) for e in at.error]


def names(message: str, key: str) -> bool:
    """Whether a message names link parameter ``key``: quoted (`k`) or as the codec's prefix (k: ...)."""
    return f"`{key}`" in message or re.search(rf"(?<![\w/]){re.escape(key)}:", message) is not None


def view(at: AppTest):
    assert "view" in at.session_state, "the page did not load a view"
    return at.session_state["view"]


def same_grid(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def find_widget(at: AppTest, key: str):
    for kind in ("number_input", "checkbox", "radio", "text_area", "button"):
        for element in at.get(kind):
            if getattr(element, "key", None) == key:
                return element
    return None


def geometry_problem(shape, kernel, stride, padding, dilation, ceil_mode) -> str | None:
    """The core's objection to these settings on a grid of ``shape``, or None."""
    try:
        pooling.pool_geometry(shape, kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    except ValueError as err:
        return str(err)
    return None


def problem_word(problem: str) -> str:
    """The parameter a geometry message is about, as the core names it."""
    for word in ("padding", "stride", "dilation", "kernel_size"):
        if problem.startswith(word + "="):
            return word
    return "kernel_size"  # "output size ... is too small: a window (kernel_size=...) does not fit"


def assert_geometry_reported(at: AppTest, page: str, shape, kernel, stride, padding, dilation, ceil_mode) -> None:
    # Pages that pool something other than x (an image, a convolution's output) check the
    # window against that input themselves, with their own tests; x's fit says nothing there.
    if page in OWN_INPUT_PAGES:
        return
    problem = geometry_problem(shape, kernel, stride, padding, dilation, ceil_mode)
    if problem is not None:
        word = problem_word(problem)
        assert any(word in m for m in messages(at)), (problem, messages(at))


# --------------------------------------------------------------------------- values, valid or not


def grid_text(a: np.ndarray, row_sep: str = ";", col_sep: str = ",") -> str:
    return row_sep.join(col_sep.join(repr(float(v)) for v in row) for row in a)


cell_values = st.one_of(
    st.integers(-9, 9).map(float),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
)
grids = st.integers(1, 6).flatmap(
    lambda h: st.integers(1, 6).flatmap(
        lambda w: st.lists(st.lists(cell_values, min_size=w, max_size=w), min_size=h, max_size=h)
    )
).map(lambda rows: np.array(rows, dtype=np.float64))

# Malformed grids: every kind of bad grid text the issue lists (none longer than Streamlit's query limit).
BAD_GRIDS = [
    "",  # empty
    "   ",
    "1,2;3",  # ragged rows
    "1,2,3;4,5",
    "1;2,3",
    "1,two;3,4",  # words
    "hello",
    "1,2;3,x",
    "1e400,1",  # too large for a float
    "-1e999",
    "9" * (ui.codec.MAX_NUMBER_CHARS + 1),  # one value too long
    "1,,2",  # an empty cell
    ";",
    "1;;2",
    "0x10,1",  # hexadecimal
    "1_000",
    "١٢,3",  # non-ASCII digits
    "1+2j",
    "__import__('os')",
    ";".join(["1"] * (MAX_GRID_SIDE + 1)),  # too many rows
    ",".join(["1"] * (MAX_GRID_SIDE + 1)),  # too many columns
    "1" * (MAX_PARAM_CHARS + 1),  # longer than any grid link: refused by its length
]


def ragged(a: np.ndarray) -> str:
    """The grid with one value too many in its last row (a second row when it has only one)."""
    rows = [[repr(float(v)) for v in row] for row in a]
    if len(rows) == 1:
        rows.append(rows[0] + ["1"])
    else:
        rows[-1] = rows[-1] + ["1"]
    return ";".join(",".join(r) for r in rows)


def with_word(a: np.ndarray, word: str, r: int, c: int) -> str:
    rows = [[repr(float(v)) for v in row] for row in a]
    rows[r % len(rows)][c % len(rows[0])] = word
    return ";".join(",".join(r) for r in rows)


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8).filter(
    lambda w: w not in ("nan", "inf", "infinity")
)
bad_grids = st.one_of(
    st.sampled_from(BAD_GRIDS),
    grids.filter(lambda a: a.size > 0).map(ragged),
    st.tuples(grids, words, st.integers(0, 5), st.integers(0, 5)).map(lambda t: with_word(*t)),
)


def pair_text(a: int, b: int, style: int) -> str:
    return str(a) if a == b and style == 0 else f"{a}x{b}"


def good_pairs(low: int, high: int):
    return st.tuples(st.integers(low, high), st.integers(low, high), st.integers(0, 1)).map(
        lambda t: (pair_text(*t), (t[0], t[1]))
    )


COMMON_BAD_PAIRS = ["abc", "", " ", "2x", "x2", "2x3x4", "1.5", "1e3", "nan", "2;3", "٣", "-", "9" * 150_000]
BAD_PAIRS = {
    "k": COMMON_BAD_PAIRS + ["0", "-1", str(MAX_WINDOW_PARAM + 1), "0x2", "999999999999"],
    "s": COMMON_BAD_PAIRS + ["0", "0x1", "-2", str(MAX_WINDOW_PARAM + 1)],
    "p": COMMON_BAD_PAIRS + ["-1", str(MAX_PADDING + 1), "1x-1"],
    "d": COMMON_BAD_PAIRS + ["0", "-1", str(MAX_WINDOW_PARAM + 1)],
}
GOOD_PAIR_RANGES = {"k": (1, 5), "s": (1, 4), "p": (0, 3), "d": (1, 3)}
BAD_CEIL = ["2", "yes", "maybe", "", "1.0", "truee", "x" * 100]
BAD_TIE = ["random", "firstt", "", "max", "first;drop", "mean", "A" * 100, "fïrst"]


def param(key: str):
    """(text, good, meaning) for one link parameter; meaning is None for a bad value."""
    if key in ("x", "dy"):
        good = grids.map(lambda a: (grid_text(a), True, a))
        bad = bad_grids.map(lambda t: (t, False, None))
    elif key in BAD_PAIRS:
        good = good_pairs(*GOOD_PAIR_RANGES[key]).map(lambda t: (t[0], True, t[1]))
        bad = st.sampled_from(BAD_PAIRS[key]).map(lambda t: (t, False, None))
    elif key == "ceil":
        good = st.sampled_from([("0", False), ("1", True), ("true", True), ("False", False)]).map(
            lambda t: (t[0], True, t[1])
        )
        bad = st.sampled_from(BAD_CEIL).map(lambda t: (t, False, None))
    else:  # tie
        good = st.sampled_from(pooling.TIE_POLICIES).map(lambda p: (p, True, p))
        bad = st.sampled_from(BAD_TIE).map(lambda t: (t, False, None))
    return st.one_of(good, bad)


@st.composite
def links(draw):
    """A link: some parameters absent, some valid, some malformed; at least one malformed."""
    chosen = {}
    for key in ("x", "dy", "k", "s", "p", "d", "ceil", "tie"):
        if draw(st.booleans()):
            chosen[key] = draw(param(key))
    if all(good for _, good, _ in chosen.values()):
        key = draw(st.sampled_from(["x", "k", "s", "p", "d", "ceil", "tie"]))
        chosen[key] = draw(param(key).filter(lambda v: not v[1]))
    # Keep the whole query within what Streamlit passes to the app (huge values are tested on their own).
    while query_length({k: t for k, (t, _, _) in chosen.items()}) >= STREAMLIT_QUERY_LIMIT:
        longest = max(chosen, key=lambda k: len(chosen[k][0]))
        chosen[longest] = ("hello" if longest in ("x", "dy") else "abc", False, None)
    return chosen


def query_length(query: dict[str, str]) -> int:
    return len(urlencode(query, doseq=True))


def check_link(page: str, link: dict, *, named: bool = True) -> None:
    query = {key: text for key, (text, _, _) in link.items()}
    assert query_length(query) < STREAMLIT_QUERY_LIMIT  # the app gets to see it
    at = open_page(page, query)
    assert not at.exception, [e.value for e in at.exception]
    shown = messages(at)
    if named:
        for key, (_, good, _) in link.items():
            if not good:
                assert any(names(m, key) for m in shown), (key, shown)

    meaning = {key: value for key, (_, good, value) in link.items() if good}
    v = view(at)
    expected_x = meaning.get("x", DEFAULT_X)
    assert same_grid(v.x, expected_x), (v.x, expected_x)
    kernel = meaning.get("k", (2, 2))
    # A link naming a kernel (even a bad one) keeps stride = kernel; naming neither gets the fresh view's stride.
    stride = meaning.get("s", None if "k" in link else ui.codec.DEFAULT_STRIDE)
    padding = meaning.get("p", (0, 0))
    dilation = meaning.get("d", (1, 1))
    ceil_mode = meaning.get("ceil", False)
    assert v.kernel == kernel and v.stride == stride and v.padding == padding and v.dilation == dilation
    assert v.ceil_mode == ceil_mode and v.tie_policy == meaning.get("tie", "first")
    assert_geometry_reported(at, page, np.shape(expected_x), kernel, stride, padding, dilation, ceil_mode)
    if "dy" in meaning and page in DY_PAGES:
        assert_dy_kept_and_reported(at, meaning["dy"], np.shape(expected_x), kernel, stride, padding, dilation,
                                    ceil_mode)


# Pages that pool the view's x with the view's dL/dy (the others pool an image, a network's output, or a
# lesson's own example).
DY_PAGES = {"pages/explorer.py", "pages/step_through.py", "pages/quiz.py", "pages/tie_lab.py", "pages/matrix.py",
            "pages/max_vs_avg.py", "pages/code.py"}


def assert_dy_kept_and_reported(at: AppTest, dy, shape, kernel, stride, padding, dilation, ceil_mode) -> None:
    """The link's valid dL/dy stays as given; if it does not fit y, a message names both shapes."""
    assert same_grid(view(at).dy, dy), (view(at).dy, dy)
    try:
        out_shape = pooling.pool_geometry(shape, kernel, stride=stride, padding=padding, dilation=dilation,
                                          ceil_mode=ceil_mode).out_shape
    except ValueError:
        return  # nothing is pooled (the geometry message is checked above)
    if tuple(out_shape) != np.shape(dy):
        dy_text, y_text = "{}×{}".format(*np.shape(dy)), "{}×{}".format(*out_shape)
        shown = [e.value for e in [*at.warning, *at.error, *at.info]]
        assert any(dy_text in m and y_text in m for m in shown), (dy_text, y_text, shown)


# Every kind of bad link in the issue, always tried (several kinds per example to keep runs few).
@pytest.mark.parametrize("page", PAGES)
@settings(max_examples=5, **FAST)
@given(link=links())
# ragged rows, an empty kernel, zero stride, an unknown tie name, a word for ceil
@example(link={"x": ("1,2;3", False, None), "k": ("", False, None), "s": ("0", False, None),
               "tie": ("random", False, None), "ceil": ("maybe", False, None)})
# words, an enormous number in dL/dy, a negative padding, a huge dilation
@example(link={"x": ("1,two;3,4", False, None), "dy": ("1e400,1", False, None), "p": ("-1", False, None),
               "d": ("999999999999", False, None), "tie": ("split", True, "split")})
# NaN and inf are values, not errors; a kernel larger than the input; padding over half the kernel
@example(link={"x": ("nan,inf;-inf,1", True, np.array([[np.nan, np.inf], [-np.inf, 1]])), "k": ("3", True, (3, 3)),
               "p": ("2", True, (2, 2)), "s": ("abc", False, None)})
# an empty grid, long values: 150,000 digits for k, one more than a grid link holds for dL/dy
@example(link={"x": ("", False, None), "k": ("9" * 150_000, False, None),
               "dy": ("1" * (MAX_PARAM_CHARS + 1), False, None)})
def test_bad_links_get_a_message_and_keep_the_last_valid_grid(page, link):
    check_link(page, link, named=page not in LINK_MESSAGE_GAPS)


def gap(page: str):
    reason = LINK_MESSAGE_GAPS.get(page)
    return pytest.param(page, marks=pytest.mark.xfail(strict=True, reason=reason) if reason else ())


@pytest.mark.parametrize("page", [gap(p) for p in PAGES])
def test_every_page_names_a_bad_link_parameter(page):
    at = open_page(page, {"x": "1,2;3", "k": "abc", "tie": "random"})
    assert not at.exception
    for key in ("x", "k", "tie"):
        assert any(names(m, key) for m in messages(at)), (key, messages(at))


@pytest.mark.parametrize("page", [p for p in PAGES if p != DEFAULT_PAGE])
def test_switching_page_with_a_bad_link_keeps_the_view(page):
    """The real navigation (app.py's st.navigation and AppTest.switch_page) with a bad link."""
    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.query_params.update({"x": "1,2;3,4", "k": "zz", "s": "0", "tie": "nope"})
    at.run()
    assert not at.exception
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert same_grid(view(at).x, [[1, 2], [3, 4]]) and view(at).kernel == (2, 2)


def test_repeated_key_uses_the_last_value_and_reports_it():
    at = open_page(DEFAULT_PAGE, {"k": ["2", "abc"], "x": ["1,2;3,4", "5,6;7,8"]})
    assert not at.exception
    assert any(names(m, "k") for m in messages(at))
    assert same_grid(view(at).x, [[5, 6], [7, 8]])


# --------------------------------------------------------------------------- multi-megabyte input


class BuildSpy:
    """Counts calls of the codec's grid builder, the step after the length checks."""

    def __init__(self, monkeypatch):
        self.calls = []
        real = ui.codec._build_grid

        def spy(rows, name):
            self.calls.append((name, len(rows), max(len(r) for r in rows)))
            return real(rows, name)

        monkeypatch.setattr(ui.codec, "_build_grid", spy)


@pytest.mark.parametrize("page", PAGES)
def test_an_over_long_grid_link_is_refused_by_its_length_never_parsed(page, monkeypatch):
    spy = BuildSpy(monkeypatch)
    text = "1" * 300_000  # more than MAX_PARAM_CHARS, less than Streamlit's query limit
    at = open_page(page, {"x": text, "k": "3"})
    assert not at.exception
    if page not in LINK_MESSAGE_GAPS:
        assert any(names(m, "x") and "characters long" in m for m in messages(at)), messages(at)
    assert not [c for c in spy.calls if c[0] == "x"], spy.calls
    assert same_grid(view(at).x, DEFAULT_X) and view(at).kernel == (3, 3)  # the rest of the link is honoured


@pytest.mark.parametrize("megabytes", [2, 10])
def test_a_multi_megabyte_link_is_dropped_before_the_app_runs(megabytes, monkeypatch):
    """Streamlit ignores a query string over 512 KiB, so the app never sees it and cannot quote it.

    (The real server refuses it even earlier: uvicorn answers 400 to a request line over
    about 128 KiB.) What the app must do: no exception, the default view, nothing parsed.
    """
    spy = BuildSpy(monkeypatch)
    text = "1," * (megabytes * 512 * 1024)
    at = open_page(DEFAULT_PAGE, {"x": text})
    assert not at.exception
    assert not spy.calls
    assert same_grid(view(at).x, DEFAULT_X)


# Pages that draw the x editors (ui.explorer.input_panel), and so the paste box.
PASTE_PAGES = [
    page for page in PAGES
    if any(name in (ROOT / page).read_text() for name in ("editors_and_pool", "input_panel"))
]


@pytest.mark.parametrize("page", PASTE_PAGES)
def test_an_oversize_paste_is_refused_by_its_length_never_parsed(page, monkeypatch):
    at = open_page(page, {"x": "1,2;3,4"})
    at.session_state["editors"] = True  # the explorer builds its table editors only while they are open
    at.run()
    box, apply = find_widget(at, "x_paste"), find_widget(at, "x_paste_apply")
    assert box is not None and apply is not None, f"{page} draws the x editors but no paste box"
    spy = BuildSpy(monkeypatch)
    # set_value, not input(): input() honours max_chars as a browser does; a script sends it anyway,
    # and Streamlit cuts it to max_chars on the server, one character over what a paste may hold.
    # (A 1 MB value: 10 MB is over the 2 MB message cap, and the server drops the whole message;
    # tests/test_server_limits.py sends that one to a real server.)
    box.set_value("1\t" * (512 * 1024)).run()
    find_widget(at, "x_paste_apply").click().run()
    assert not at.exception
    assert not spy.calls
    assert any(names(m, "x") and "characters long" in m and f"{MAX_PASTE_CHARS:,}" in m for m in messages(at))
    assert same_grid(view(at).x, [[1, 2], [3, 4]])


# --------------------------------------------------------------------------- pastes and controls


def paste_text(a: np.ndarray, seps: tuple[str, str]) -> str:
    return grid_text(a, row_sep=seps[0], col_sep=seps[1])


BAD_PASTES = [
    "",
    "\n\n  \n",
    "1 2\n3",  # ragged
    "1 2 3\n4 5",
    "one two\n3 4",  # words
    "1 2\n3 nope",
    "1e400 1",  # enormous
    "9" * (ui.codec.MAX_NUMBER_CHARS + 1),
    "0x1F 2",
    "1_0 2",
    "\n".join(["1"] * (MAX_GRID_SIDE + 1)),  # too many rows
    " ".join(["1"] * (MAX_GRID_SIDE + 1)),  # too many columns
    "[[1, 2], [3, 4]]",  # a Python literal is not evaluated
    "1" * (MAX_PASTE_CHARS + 1),
]

pastes = st.one_of(
    st.tuples(grids, st.sampled_from([("\n", " "), ("\n", "\t"), ("\r\n", ", "), (";", ","), ("\n", " , ")])).map(
        lambda t: ("paste", paste_text(*t), t[0])
    ),
    st.sampled_from(BAD_PASTES).map(lambda t: ("paste", t, None)),
    # Ragged rows and words are bad in a paste too (empty cells and blank rows are not: a run of
    # separators counts as one, and blank lines are skipped).
    grids.map(ragged).map(lambda t: ("paste", t.replace(";", "\n"), None)),
    st.tuples(grids, words, st.integers(0, 5), st.integers(0, 5)).map(
        lambda t: ("paste", with_word(*t).replace(";", "\n").replace(",", " "), None)
    ),
)
controls = st.one_of(
    st.tuples(st.sampled_from(["k_h", "k_w"]), st.integers(1, 9)),
    st.tuples(st.sampled_from(["p_h", "p_w"]), st.integers(0, 5)),
    st.tuples(st.sampled_from(["d_h", "d_w"]), st.integers(1, 4)),
    st.tuples(st.sampled_from(["s_h", "s_w"]), st.integers(1, 5)),
    st.tuples(st.just("stride_same"), st.booleans()),
    st.tuples(st.just("ceil"), st.booleans()),
    st.tuples(st.just("tie"), st.sampled_from(pooling.TIE_POLICIES)),
).map(lambda t: ("control", *t))
actions = st.lists(st.one_of(pastes, controls), min_size=1, max_size=5)


def settings_from_widgets(at: AppTest):
    def value(key, default):
        w = find_widget(at, key)
        return default if w is None else w.value

    kernel = (int(value("k_h", 2)), int(value("k_w", 2)))
    stride = None if value("stride_same", True) else (int(value("s_h", 1)), int(value("s_w", 1)))
    padding = (int(value("p_h", 0)), int(value("p_w", 0)))
    dilation = (int(value("d_h", 1)), int(value("d_w", 1)))
    return kernel, stride, padding, dilation, bool(value("ceil", False))


def apply(at: AppTest, action) -> bool:
    """Do one action like a user; False if this page has no such control."""
    if action[0] == "paste":
        box = find_widget(at, "x_paste")
        if box is None:  # the explorer builds its table editors only while their expander is open
            at.session_state["editors"] = True
            at.run()
            box = find_widget(at, "x_paste")
        if box is None:
            return False
        box.input(action[1]).run()
        find_widget(at, "x_paste_apply").click().run()
        return True
    _, key, value = action
    widget = find_widget(at, key)
    if widget is None:
        return False
    if key in ("stride_same", "ceil"):
        (widget.check() if value else widget.uncheck()).run()
    else:
        widget.set_value(value).run()
    return True


@pytest.mark.parametrize("page", PAGES)
@settings(max_examples=4, **FAST)
@given(start=grids, steps=actions)
# a kernel larger than the input, then padding over half of it, then a stride past the input
@example(start=np.array([[1.0, 2], [3, 4]]), steps=[("control", "k_h", 3), ("control", "p_w", 2),
                                                    ("control", "stride_same", False), ("control", "s_h", 5)])
# ragged and worded pastes, then a valid one, an enormous number, a dilation that does not fit
@example(start=np.array([[5.0]]), steps=[("paste", "1 2\n3", None), ("paste", "one two", None),
                                         ("paste", "1 2\n3 4", np.array([[1.0, 2], [3, 4]])),
                                         ("paste", "1e400", None), ("control", "d_h", 4)])
def test_bad_pastes_and_control_combinations_keep_the_last_valid_grid(page, start, steps):
    at = open_page(page, {"x": grid_text(start)})
    last_valid = view(at).x.copy()
    assert same_grid(last_valid, start)
    for action in steps:
        if not apply(at, action):
            continue
        assert not at.exception, (action, [e.value for e in at.exception])
        if action[0] == "paste":
            if action[2] is None:
                assert any(names(m, "x") for m in messages(at)), (action[1][:50], messages(at))
            else:
                last_valid = action[2]
        assert same_grid(view(at).x, last_valid), (action, view(at).x, last_valid)
        assert_geometry_reported(at, page, np.shape(last_valid), *settings_from_widgets(at))


def test_pages_are_found():
    assert DEFAULT_PAGE in PAGES
