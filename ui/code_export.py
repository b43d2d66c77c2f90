"""Python snippets that reproduce the current view: one with PyTorch, one with the ``pooling`` package.

Pure Python plus numpy and ``pooling`` (no streamlit), so tests can generate a
snippet, run it in a subprocess and compare what it prints with the app's numbers.
Both snippets print ``y`` and ``dL/dx`` in the format of ``format_output``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import pooling

# The printing helper both snippets carry: one header line, then one line per row,
# each value as Python's shortest round-trip repr (so the text pins the exact float).
# Adding 0.0 turns -0.0 into 0.0, so a signed zero cannot make two equal results differ.
SHOW_FUNCTION = '''def show(name, grid):
    """Print a 2-D grid: a header line, then one line per row of exact float values."""
    rows = grid.tolist()
    print(f"{name} ({len(rows)}x{len(rows[0])})")
    for row in rows:
        print(" ".join(repr(float(v) + 0.0) for v in row))
'''

POLICY_WORDS = {
    "first": "the first maximum in reading order gets the whole gradient",
    "last": "the last maximum in reading order gets the whole gradient",
    "split": "each tied maximum gets an equal share",
    "all": "every tied maximum gets the full gradient (not a gradient of max: kept to show why)",
    "none": "tied maxima get nothing (not a gradient of max either)",
}


@dataclass(frozen=True, eq=False)
class ViewSpec:
    """What a snippet needs: the grids and the pooling settings of one view.

    ``dy=None`` means all ones (``L = sum(y)``); ``stride`` is explicit (the
    kernel when the view uses PyTorch's default).
    """

    x: np.ndarray
    dy: np.ndarray | None
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ceil_mode: bool
    tie_policy: str

    @classmethod
    def from_pooled(cls, pooled, *, dy_is_ones: bool) -> ViewSpec:
        """The spec of what the app computed: ``pooled`` is a ``ui.model.Pooled`` (read by attribute,
        so this module needs no streamlit); ``dy_is_ones`` when the view's dL/dy is the default."""
        window = pooled.window
        return cls(
            x=pooled.x,
            dy=None if dy_is_ones else pooled.dy,
            kernel=window.kernel,
            stride=window.stride,
            padding=window.padding,
            dilation=window.dilation,
            ceil_mode=window.ceil_mode,
            tie_policy=pooled.tie_policy,
        )

    def pool(self) -> pooling.MaxPoolResult:
        return pooling.max_pool2d(
            np.asarray(self.x, dtype=np.float64),
            self.kernel,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            ceil_mode=self.ceil_mode,
        )

    def upstream(self, res: pooling.MaxPoolResult) -> np.ndarray:
        return np.ones(res.out.shape) if self.dy is None else np.asarray(self.dy, dtype=np.float64)


def number(v: float) -> str:
    """A float as Python source that evaluates to exactly it (``nan``, ``inf``, ``-inf`` are names the
    snippet defines)."""
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def grid_literal(a: np.ndarray, indent: str = "    ") -> str:
    """A nested list literal, one row per line."""
    rows = [indent + "[" + ", ".join(number(v) for v in row) + "]," for row in np.asarray(a, dtype=np.float64)]
    return "[\n" + "\n".join(rows) + "\n]"


def _special_names(*grids) -> str:
    """``nan, inf = ...`` when a grid holds NaN or infinity (the literals use those names), else nothing."""
    if any(g is not None and not np.isfinite(g).all() for g in grids):
        return 'nan, inf = float("nan"), float("inf")\n\n'
    return ""


def _pair(p) -> str:
    return f"({int(p[0])}, {int(p[1])})"


def _settings(spec: ViewSpec) -> str:
    return (
        f"kernel_size={_pair(spec.kernel)}, stride={_pair(spec.stride)}, padding={_pair(spec.padding)}, "
        f"dilation={_pair(spec.dilation)}, ceil_mode={spec.ceil_mode}"
    )


def _header(spec: ViewSpec, tool: str) -> str:
    H, W = np.shape(spec.x)
    dy = "all ones (L = sum of y)" if spec.dy is None else "as in the view"
    return (
        f"# Reproduces the max pooling view of the backprop explainer with {tool}.\n"
        f"# x is {H}x{W}; {_settings(spec)}.\n"
        f"# dL/dy: {dy}. Tie rule '{spec.tie_policy}': {POLICY_WORDS[spec.tie_policy]}.\n"
        "# L = sum(dL/dy * y), so dL/dx is the gradient of L with respect to x.\n"
    )


def _cells(cells) -> str:
    cells = list(cells)
    shown = ", ".join(f"({i}, {j})" for i, j in cells[:6])
    return shown + (f" and {len(cells) - 6} more" if len(cells) > 6 else "")


def tie_rule_differs(spec: ViewSpec, res: pooling.MaxPoolResult | None = None) -> bool:
    """True when PyTorch's first-maximum rule may give another dL/dx than the view's tie rule."""
    res = res if res is not None else spec.pool()
    return spec.tie_policy != "first" and bool(pooling.tie_report(res))


def torch_snippet(spec: ViewSpec) -> str:
    """A script that computes y and dL/dx with ``torch.nn.functional.max_pool2d`` and prints them.

    When the view's tie rule is not PyTorch's and x has tied maxima, the script
    says so and prints PyTorch's own dL/dx too, then the view's from ``pooling``.
    When a window lies wholly in padding (PyTorch's CPU backward writes out of
    bounds there), the script scatters the gradient itself from the indices.
    """
    res = spec.pool()
    H, W = res.x.shape
    ties = pooling.tie_report(res)
    differs = tie_rule_differs(spec, res)
    empty = [divmod(int(k), res.out.shape[1]) for k in np.flatnonzero(res.indices < 0)]
    lines = [_header(spec, "PyTorch"), "import torch", "import torch.nn.functional as F"]
    if differs:
        lines += ["", "import pooling  # the explainer's package: run this file from the app's folder"]
    lines += ["", "", SHOW_FUNCTION, ""]
    lines.append(_special_names(spec.x, spec.dy) + f"x = torch.tensor({grid_literal(spec.x)}, dtype=torch.float64)")
    lines.append("# PyTorch pools (N, C, H, W) or (C, H, W) tensors: add a batch and a channel of size 1.")
    if empty:
        lines += [
            f"x = x.reshape(1, 1, {H}, {W})",
            "",
            _call("y, indices", "F.max_pool2d", f"x, {_settings(spec)}, return_indices=True"),
        ]
    else:
        lines += [
            f"x = x.reshape(1, 1, {H}, {W}).requires_grad_()",
            "",
            _call("y", "F.max_pool2d", f"x, {_settings(spec)}"),
        ]
    if spec.dy is None:
        lines.append("dy = torch.ones_like(y)  # dL/dy: all ones, so L = sum(y)")
    else:
        h, w = res.out.shape
        lines.append(
            f"dy = torch.tensor({grid_literal(spec.dy)}, dtype=torch.float64).reshape(1, 1, {h}, {w})  # dL/dy"
        )
    if empty:
        has_winner = (
            "[" + ", ".join("[" + ", ".join(str(bool(v)) for v in row) + "]" for row in (res.indices >= 0)) + "]"
        )
        lines += [
            f"# Windows {_cells(empty)} lie wholly in the padding: y is -inf there and they have no winner.",
            "# PyTorch's CPU backward would write outside the gradient buffer for them (it can crash), so",
            "# the gradient is scattered by hand from the returned indices, skipping those windows.",
            f"has_winner = torch.tensor({has_winner})",
            f"dx = torch.zeros({H} * {W}, dtype=torch.float64)",
            "dx.index_add_(0, indices[0, 0][has_winner], dy[0, 0][has_winner])",
            f"dx = dx.reshape(1, 1, {H}, {W})",
        ]
    else:
        lines += ["y.backward(dy)  # L = sum(dL/dy * y)", "dx = x.grad"]
    lines += ["", 'show("y", y[0, 0].detach())']
    if not differs:
        if spec.tie_policy != "first":
            lines.append(
                f"# No window of x has a tied maximum, so PyTorch's first-maximum rule and "
                f"'{spec.tie_policy}' give the same dL/dx."
            )
        lines.append('show("dL/dx", dx[0, 0])')
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "# PyTorch sends each window's gradient to its first maximum in reading order. This view uses the tie",
        f"# rule '{spec.tie_policy}' ({POLICY_WORDS[spec.tie_policy]}), and windows {_cells(t.window for t in ties)}",
        "# have tied maxima, so PyTorch's dL/dx differs from the view's. PyTorch's own answer:",
        'show("dL/dx (PyTorch: first maximum)", dx[0, 0])',
        "",
        f"# The view's dL/dx under '{spec.tie_policy}', from the explainer's pooling package:",
        _call("res", "pooling.max_pool2d", f"x.detach()[0, 0].numpy(), {_pool_args(spec)}"),
        f'dx_view = pooling.max_pool2d_backward(dy[0, 0].numpy(), res, tie_policy="{spec.tie_policy}")',
        'show("dL/dx", dx_view)',
    ]
    return "\n".join(lines) + "\n"


def _call(target: str, function: str, args: str, comment: str = "") -> str:
    """``target = function(args)``, with the arguments on their own line when it would be long."""
    line = f"{target} = {function}({args})" + (f"  # {comment}" if comment else "")
    if len(line) <= 100:
        return line
    return f"{target} = {function}(\n    {args}\n)" + (f"  # {comment}" if comment else "")


def _pool_args(spec: ViewSpec) -> str:
    return (
        f"{_pair(spec.kernel)}, stride={_pair(spec.stride)}, padding={_pair(spec.padding)}, "
        f"dilation={_pair(spec.dilation)}, ceil_mode={spec.ceil_mode}"
    )


def numpy_snippet(spec: ViewSpec) -> str:
    """A script that computes y and dL/dx with the ``pooling`` package and prints them."""
    res = spec.pool()
    lines = [
        _header(spec, "numpy and the explainer's pooling package"),
        "# Run it from the app's folder (or put that folder on PYTHONPATH).",
        "import numpy as np",
        "",
        "import pooling",
        "",
        "",
        SHOW_FUNCTION,
        "",
        _special_names(spec.x, spec.dy) + f"x = np.array({grid_literal(spec.x)}, dtype=np.float64)",
        "",
        _call("res", "pooling.max_pool2d", f"x, {_pool_args(spec)}"),
        "y = res.out",
    ]
    if spec.dy is None:
        lines.append("dy = np.ones_like(y)  # dL/dy: all ones, so L = sum(y)")
    else:
        lines.append(f"dy = np.array({grid_literal(spec.dy)}, dtype=np.float64)  # dL/dy")
    lines.append(f'dx = pooling.max_pool2d_backward(dy, res, tie_policy="{spec.tie_policy}")  # L = sum(dL/dy * y)')
    if (res.indices < 0).any():
        lines.append("# Windows lying wholly in the padding give y = -inf and send no gradient.")
    lines += ["", 'show("y", y)', 'show("dL/dx", dx)']
    return "\n".join(lines) + "\n"


def format_output(name: str, grid: np.ndarray) -> str:
    """Exactly what ``show(name, grid)`` prints in a snippet."""
    grid = np.asarray(grid, dtype=np.float64)
    rows = [" ".join(repr(float(v) + 0.0) for v in row) for row in grid.tolist()]
    return "\n".join([f"{name} ({grid.shape[0]}x{grid.shape[1]})", *rows]) + "\n"


def expected_output(spec: ViewSpec, *, torch: bool = False) -> str:
    """What the snippet prints, computed here with ``pooling``: y, then dL/dx (and for the PyTorch
    snippet, PyTorch's own dL/dx first when the tie rules differ)."""
    res = spec.pool()
    dy = spec.upstream(res)
    text = format_output("y", res.out)
    if torch and tie_rule_differs(spec, res):
        text += format_output("dL/dx (PyTorch: first maximum)", pooling.max_pool2d_backward(dy, res, "first"))
    return text + format_output("dL/dx", pooling.max_pool2d_backward(dy, res, spec.tie_policy))


def parse_output(text: str) -> dict[str, np.ndarray]:
    """Read what a snippet printed back into arrays, by name (the inverse of ``format_output``)."""
    grids: dict[str, np.ndarray] = {}
    lines = text.strip().splitlines()
    k = 0
    while k < len(lines):
        head = lines[k]
        name, _, size = head.rpartition(" (")
        h, w = (int(v) for v in size.rstrip(")").split("x"))
        values = [[float(v) for v in line.split()] for line in lines[k + 1 : k + 1 + h]]
        grid = np.array(values, dtype=np.float64).reshape(h, w)
        grids[name] = grid
        k += 1 + h
    return grids
