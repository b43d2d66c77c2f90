"""The code page's snippets: generated, executed in a subprocess, and their printed numbers compared with the app's.

The PyTorch snippets run whenever torch is importable; in CI (CI=true) a missing
torch is a failure, not a skip.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import pooling
from ui import code_export
from ui.code_export import ViewSpec
from ui.codec import DEFAULT_X

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI") == "true"

# Runs each snippet file in a fresh namespace, capturing what it prints; one interpreter for all
# of them, so torch is imported once. Prints a JSON list of {"stdout", "error"}.
RUNNER = """
import contextlib, io, json, runpy, sys, traceback
results = []
for path in sys.argv[1:]:
    out = io.StringIO()
    error = None
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(path, run_name="__main__")
    except BaseException:
        error = traceback.format_exc()
    results.append({"stdout": out.getvalue(), "error": error})
print(json.dumps(results))
"""

# The app's frame around one page, so AppTest reruns keep the sidebar (AppTest reruns of an
# st.navigation app run only the page file).
HARNESS = """
import runpy
import streamlit as st
from ui import shell
shell.frame(lambda: runpy.run_path(st.session_state["_page_file"], run_name="__page__"))
"""


def run_snippets(snippets: list[str], tmp_path: Path) -> list[str]:
    """Execute each snippet in a subprocess started in the app's folder; return what each printed."""
    paths = []
    for n, text in enumerate(snippets):
        path = tmp_path / f"snippet_{n}.py"
        path.write_text(text)
        paths.append(str(path))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *paths], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for result, text in zip(results, snippets):
        assert result["error"] is None, f"{result['error']}\n--- snippet ---\n{text}"
    return [r["stdout"] for r in results]


@pytest.fixture(scope="module")
def torch():
    """PyTorch when importable; in CI a missing torch is a failure, not a skip."""
    if IN_CI:
        import torch as module
    else:
        module = pytest.importorskip("torch")
    return module


def spec(x, *, dy=None, kernel=2, stride=None, padding=0, dilation=1, ceil_mode=False, tie="first") -> ViewSpec:
    pair = pooling.as_pair
    k = pair(kernel, "k")
    return ViewSpec(
        x=np.array(x, dtype=float),
        dy=None if dy is None else np.array(dy, dtype=float),
        kernel=k,
        stride=k if stride is None else pair(stride, "s"),
        padding=pair(padding, "p"),
        dilation=pair(dilation, "d"),
        ceil_mode=ceil_mode,
        tie_policy=tie,
    )


SEED = [[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]]
TIES = [[1, 3, 0, 0], [3, 2, 0, 0], [4, 4, 1, 2], [4, 4, 2, 1]]
NAN, INF = math.nan, math.inf

CASES = {
    "seed": spec(SEED),
    "split-overlap-dy": spec(
        TIES, kernel=3, stride=1, padding=1, tie="split", dy=[[1, -2, 3, 0], [2, 1, 0, -1], [0, 3, 1, 1], [-1, 0, 2, 1]]
    ),
    "nan-inf": spec([[NAN, 1, 2, NAN], [0, NAN, -INF, INF], [5, 5, -INF, -INF], [1, 2, -INF, -INF]]),
    "last-no-ties": spec([[0.5, 1.25, -3.0], [2.75, -1.5, 0.1], [7e-5, 1e300, -2.5]], kernel=2, stride=1, tie="last"),
    "all-ceil": spec(TIES + [[4, 4, 4, 4]], kernel=2, ceil_mode=True, tie="all"),
    "none-dilated": spec(TIES, kernel=2, stride=1, dilation=2, tie="none"),
    # semantics.md's case: kernel (1, 2), dilation (1, 2), padding (0, 1) on a 1x1 input reads
    # columns -1 and 1, both padding, so the only window has no winner (PyTorch: -inf).
    "empty-window": spec([[5.0]], kernel=(1, 2), stride=1, padding=(0, 1), dilation=(1, 2), tie="split"),
}


def app_numbers(s: ViewSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y, the view's dL/dx and PyTorch-rule dL/dx, computed directly with the core (as ui.model does)."""
    res = s.pool()
    dy = s.upstream(res)
    return res.out, pooling.max_pool2d_backward(dy, res, s.tie_policy), pooling.max_pool2d_backward(dy, res)


def test_snippet_generation_needs_no_streamlit():
    check = "import sys, ui.code_export; assert 'streamlit' not in sys.modules and 'plotly' not in sys.modules"
    subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)


def test_the_empty_window_case_really_has_one():
    res = CASES["empty-window"].pool()
    assert res.indices.tolist() == [[-1]] and res.out.tolist() == [[-math.inf]]


@pytest.mark.parametrize("v", [0.0, -0.0, 1.0, -2.5, 0.1, 1e-300, 5e-324, 1.7976931348623157e308, NAN, INF, -INF])
def test_number_literal_evaluates_to_the_same_float(v):
    names = {"nan": NAN, "inf": INF}
    back = eval(code_export.number(v), {"__builtins__": {}}, names)  # noqa: S307 - our own literal
    assert (math.isnan(back) and math.isnan(v)) or (back == v and math.copysign(1, back) == math.copysign(1, v))


def test_output_format_round_trips():
    grid = np.array([[0.0, -0.0, NAN], [INF, -INF, 1e-7]])
    text = code_export.format_output("dL/dx", grid)
    assert text.splitlines()[0] == "dL/dx (2x3)"
    assert text.splitlines()[1] == "0.0 0.0 nan"  # -0.0 is printed as 0.0
    assert np.array_equal(code_export.parse_output(text)["dL/dx"], grid, equal_nan=True)


@pytest.mark.parametrize("name", CASES)
def test_snippets_are_valid_python_with_the_views_numbers(name):
    s = CASES[name]
    for snippet in (code_export.torch_snippet(s), code_export.numpy_snippet(s)):
        compile(snippet, name, "exec")
        assert code_export.grid_literal(s.x) in snippet
        assert f"kernel_size={s.kernel}".replace(" ", "") in snippet.replace(" ", "") or str(s.kernel) in snippet


def test_tie_rule_comment_only_where_pytorch_differs():
    differs = code_export.torch_snippet(CASES["split-overlap-dy"])
    assert "PyTorch sends each window's gradient to its first maximum" in differs
    assert 'tie_policy="split"' in differs and "import pooling" in differs
    same = code_export.torch_snippet(CASES["last-no-ties"])
    assert "No window of x has a tied maximum" in same and "import pooling" not in same
    first = code_export.torch_snippet(CASES["seed"])
    assert "first maximum in reading order. This view" not in first and "import pooling" not in first


def test_numpy_snippets_print_the_apps_numbers(tmp_path):
    outputs = run_snippets([code_export.numpy_snippet(s) for s in CASES.values()], tmp_path)
    for (name, s), printed in zip(CASES.items(), outputs):
        assert printed == code_export.expected_output(s), name
        grids = code_export.parse_output(printed)
        y, dx, _ = app_numbers(s)
        assert np.array_equal(grids["y"], y, equal_nan=True), name
        assert np.array_equal(grids["dL/dx"], dx, equal_nan=True), name


@pytest.mark.torch
def test_torch_snippets_print_the_apps_numbers(torch, tmp_path):
    outputs = run_snippets([code_export.torch_snippet(s) for s in CASES.values()], tmp_path)
    for (name, s), printed in zip(CASES.items(), outputs):
        assert printed == code_export.expected_output(s, torch=True), name
        grids = code_export.parse_output(printed)
        y, dx, dx_first = app_numbers(s)
        assert np.array_equal(grids["y"], y, equal_nan=True), name
        assert np.array_equal(grids["dL/dx"], dx, equal_nan=True), name
        if code_export.tie_rule_differs(s):
            assert np.array_equal(grids["dL/dx (PyTorch: first maximum)"], dx_first), name
            assert not np.array_equal(dx, dx_first), name  # the cases were chosen so the rules disagree


@pytest.mark.torch
def test_torch_itself_agrees_with_the_first_rule_numbers(torch):
    # Independent of the snippets: PyTorch in this process, on the cases its CPU backward can run.
    F = torch.nn.functional
    for name, s in CASES.items():
        res = s.pool()
        if (res.indices < 0).any():
            continue
        tx = torch.tensor(s.x[None, None], requires_grad=True)
        ty = F.max_pool2d(tx, s.kernel, s.stride, s.padding, s.dilation, s.ceil_mode)
        ty.backward(torch.tensor(s.upstream(res)[None, None]))
        y, _, dx_first = app_numbers(s)
        assert np.array_equal(ty.detach().numpy()[0, 0], y, equal_nan=True), name
        assert np.array_equal(tx.grad.numpy()[0, 0], dx_first), name


# --------------------------------------------------------------------------- the page


def code_page(query: dict[str, str]) -> AppTest:
    at = AppTest.from_string(HARNESS, default_timeout=60)
    at.session_state["_page_file"] = str(ROOT / "pages" / "code.py")
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def shown_code(at: AppTest) -> list[str]:
    """The page's code blocks, each with one final newline (st.code drops it; the snippets print it)."""
    return [element.value.rstrip("\n") + "\n" for element in at.code]


def test_code_page_is_listed_and_runs_from_app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/code.py").run()
    assert not at.exception
    blocks = shown_code(at)
    assert any("F.max_pool2d" in b for b in blocks) and any("pooling.max_pool2d" in b for b in blocks)


def test_code_page_shows_the_views_numbers_and_they_run(tmp_path):
    query = {"x": "1,3,0,0;3,2,0,0;4,4,1,2;4,4,2,1", "k": "2", "tie": "split"}
    at = code_page(query)
    assert not at.exception
    torch_code, torch_printed, numpy_code, numpy_printed = shown_code(at)
    for row in ("[1.0, 3.0, 0.0, 0.0]", "[3.0, 2.0, 0.0, 0.0]", "[4.0, 4.0, 1.0, 2.0]", "[4.0, 4.0, 2.0, 1.0]"):
        assert row in torch_code and row in numpy_code
    assert "kernel_size=(2, 2), stride=(2, 2)" in torch_code
    assert "PyTorch sends each window's gradient to its first maximum" in torch_code
    assert 'tie_policy="split"' in numpy_code
    # The printed block holds the app's numbers: y and the split gradient, computed here independently.
    x = np.array([[1, 3, 0, 0], [3, 2, 0, 0], [4, 4, 1, 2], [4, 4, 2, 1]], dtype=float)
    res = pooling.max_pool2d(x, 2)
    grids = code_export.parse_output(numpy_printed)
    assert np.array_equal(grids["y"], [[3, 0], [4, 2]])
    assert np.array_equal(grids["dL/dx"], pooling.max_pool2d_backward(np.ones((2, 2)), res, "split"))
    assert grids["dL/dx"][2, 0] == 0.25  # the four-way tie of 4s shares its gradient
    # The shown numpy snippet, run as it is, prints exactly the shown block.
    assert run_snippets([numpy_code], tmp_path) == [numpy_printed]
    assert at.get_by_key("code_torch_download") is not None and at.get_by_key("code_numpy_download") is not None


@pytest.mark.torch
def test_code_page_torch_snippet_runs_and_follows_the_tie_rule(torch, tmp_path):
    query = {"x": "1,3,0,0;3,2,0,0;4,4,1,2;4,4,2,1", "k": "2", "tie": "split"}
    at = code_page(query)
    torch_code, torch_printed, _, _ = shown_code(at)
    assert run_snippets([torch_code], tmp_path) == [torch_printed]
    # Switching the tie rule to PyTorch's own drops the detour through pooling.
    at.radio(key="tie").set_value("first").run()
    torch_code, torch_printed, _, _ = shown_code(at)
    assert "import pooling" not in torch_code
    printed = run_snippets([torch_code], tmp_path)[0]
    assert printed == torch_printed
    assert code_export.parse_output(printed)["dL/dx"][2, 0] == 1.0  # the first 4 takes the whole gradient


def test_code_page_writes_nan_and_inf_so_the_snippet_runs(tmp_path):
    at = code_page({"x": "nan,1;-inf,inf", "k": "1"})
    assert not at.exception
    _, _, numpy_code, numpy_printed = shown_code(at)
    assert 'nan, inf = float("nan"), float("inf")' in numpy_code
    assert "[nan, 1.0]" in numpy_code and "[-inf, inf]" in numpy_code
    assert run_snippets([numpy_code], tmp_path) == [numpy_printed]
    assert code_export.parse_output(numpy_printed)["dL/dx"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_code_page_names_a_bad_link_parameter():
    at = code_page({"x": "1,2;3", "tie": "random"})
    assert not at.exception
    named = " ".join(w.value for w in at.warning)
    assert "`x`" in named and "`tie`" in named
    # The bad x falls back to the default grid, written into the code as it is.
    assert code_export.grid_literal(np.array(DEFAULT_X)) in shown_code(at)[0]


def test_code_page_says_when_the_window_does_not_fit():
    at = code_page({"x": "1,2;3,4", "k": "3"})
    assert not at.exception
    assert any("Nothing to reproduce" in e.value or "do not fit" in e.value for e in [*at.error, *at.warning])
