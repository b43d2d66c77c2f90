"""The guided lessons: eight short steps through back-propagation in max pooling.

Each lesson is data (title, paragraphs, LaTeX, one or more examples) plus a demo that runs
``pooling`` on the lesson's example and shows the numbers that back its claim. Nothing on
screen is typed in by hand: tables, figures and plugged-in formulas are computed live.
A lesson's example can be loaded into the explorer (grids, sidebar settings, selected window).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

import pooling
from figures import format_value, make_grid_figure
from figures.lessons import make_piecewise_figure
from ui import grids, linked, presentation, state, text
from ui.model import Pooled, Window, pooled_from
from ui.text import md

if TYPE_CHECKING:
    import pandas as pd


def _table(rows: list[dict], index: str) -> pd.DataFrame:
    """A lesson's table, ``rows`` indexed by column ``index``.

    pandas is imported here, when a lesson shows a table: the Explorer loads this module for its presets,
    and importing pandas adds about a second to a fresh server's first page.
    """
    import pandas as pd

    return pd.DataFrame(rows).set_index(index)


LESSON = "lesson"  # link parameter: the lesson number, 1-based
PART = "part"  # link parameter: which example of a lesson that has several
EXPLORER = "pages/explorer.py"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False)
class Example:
    """A view to teach with: x, the window settings, dL/dy (None: all ones), the tie rule,
    and ``focus``, the output cell (window) the lesson talks about."""

    x: np.ndarray
    kernel: tuple[int, int]
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False
    tie_policy: str = "first"
    dy: np.ndarray | None = None
    focus: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        for name in ("x", "dy"):
            value = getattr(self, name)
            if value is not None:
                array = np.array(value, dtype=np.float64)
                array.flags.writeable = False
                object.__setattr__(self, name, array)

    @property
    def window(self) -> Window:
        return Window(self.kernel, self.stride or self.kernel, self.padding, self.dilation, self.ceil_mode)


@dataclass(frozen=True)
class Part:
    """One example of a lesson, with its name in the link and a sentence about it."""

    slug: str
    label: str
    example: Example
    note: str = ""


@dataclass(frozen=True)
class Lesson:
    """One lesson: its words and formulas, its example(s), and the demo that checks its claim live."""

    title: str
    paragraphs: tuple[str, ...]
    formulas: tuple[str, ...]
    parts: tuple[Part, ...]
    demo: Callable[[Pooled, Example, str], None]
    """Draws the live check: ``demo(pooled, example, key_prefix)``."""
    part_label: str = "Example"


def pool_example(example: Example) -> Pooled:
    """Run the core on an example: everything the explorer would compute for it."""
    window = example.window
    res = pooling.max_pool2d(example.x, window.kernel, **window.kwargs())
    dy = np.ones(res.out.shape) if example.dy is None else example.dy
    return pooled_from(res, window, dy, example.tie_policy)


# --------------------------------------------------------------------------- facts (pure: numbers from pooling)


def cell_name(cell) -> str:
    return f"x[{int(cell[0])}, {int(cell[1])}]"


def window_cells_in_grid(p: Pooled, i: int, j: int) -> list[tuple[int, int]]:
    """The input cells window (i, j) reads, padding left out, in scan order."""
    W = p.geometry.in_shape[1]
    return [divmod(int(v), W) for v in p.geometry.window_index()[i, j].ravel() if v >= 0]


def winner_table(p: Pooled) -> pd.DataFrame:
    """One row per window: its winner, y, dL/dy, what the winner receives and what the rest of the window gets."""
    rows = []
    H_out, W_out = p.y.shape
    W = p.geometry.in_shape[1]
    for i in range(H_out):
        for j in range(W_out):
            winner = divmod(int(p.res.indices[i, j]), W)
            others = [c for c in window_cells_in_grid(p, i, j) if c != winner]
            rows.append(
                {
                    "window": f"({i}, {j})",
                    "winner": cell_name(winner),
                    "y": format_value(p.y[i, j]),
                    "dL/dy": format_value(p.dy[i, j]),
                    "dL/dx at the winner": format_value(p.dx[winner]),
                    "dL/dx at the other cells": ", ".join(format_value(p.dx[c]) for c in others),
                }
            )
    return _table(rows, "window")


def central_check(p: Pooled) -> tuple[pooling.FiniteDifferences, float]:
    """Central differences of L = sum(dL/dy * y) for every cell, and their relative error against dL/dx."""
    fd = pooling.finite_differences(p.dy, p.res)
    return fd, pooling.relative_error(fd.central, p.dx)


def neuron_table(p: Pooled, focus: tuple[int, int]) -> pd.DataFrame:
    """The focus window's inputs as neurons: the local slope ∂y/∂x_k measured by a central
    difference, times dL/dy, against dL/dx from the backward pass."""
    i, j = focus
    one_hot = np.zeros(p.y.shape)
    one_hot[i, j] = 1.0
    slope = pooling.finite_differences(one_hot, p.res).central
    g = p.dy[i, j]
    rows = []
    for k, cell in enumerate(window_cells_in_grid(p, i, j), start=1):
        rows.append(
            {
                "neuron": f"x{_sub(k)} = {cell_name(cell)}",
                "value": format_value(p.x[cell]),
                "f′ = ∂y/∂x (measured)": format_value(slope[cell]),
                "dL/dy": format_value(g),
                "f′ · dL/dy": format_value(slope[cell] * g),
                "dL/dx (backward pass)": format_value(p.dx[cell]),
            }
        )
    return _table(rows, "neuron")


def spread(p: Pooled) -> np.ndarray:
    """(H, W): each cell holds the dL/dy of the window that reads it (summed if several do)."""
    out = np.zeros(p.x.shape)
    widx = p.geometry.window_index()
    flat = out.reshape(-1)
    kH, kW = p.geometry.kernel
    cells = widx.reshape(-1, kH * kW)
    g = np.repeat(p.dy.reshape(-1), kH * kW)
    keep = cells.reshape(-1) >= 0
    np.add.at(flat, cells.reshape(-1)[keep], g[keep])
    return out


def mask_view(p: Pooled) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The winner mask M, the spread dL/dy, and their product M ⊙ spread (dL/dx when windows do not overlap)."""
    mask = pooling.winner_mask(p.res, p.tie_policy).astype(float)
    spread_dy = spread(p)
    return mask, spread_dy, mask * spread_dy


def selection_view(p: Pooled) -> dict:
    """S, S @ x, S.T @ dL/dy, and the strict-comparison products I(x_k > x_j) for a single window over a row."""
    S = pooling.selection_matrix(p.res, p.tie_policy)
    x = p.x.reshape(-1)
    return {"S": S, "Sx": S @ x, "STdy": S.T @ p.dy.reshape(-1), "strict": strict_products(x)}


def strict_products(x: np.ndarray) -> np.ndarray:
    """For each entry x_k of a vector, the product over j != k of [x_k > x_j]: 1 only for a strict maximum."""
    x = np.ravel(x)
    return np.array([float(all(x[k] > x[j] for j in range(x.size) if j != k)) for k in range(x.size)])


def tie_variant(p: Pooled) -> dict:
    """The one-window row with its runner-up raised to the maximum: the strict products and S under 'first'."""
    x = p.x.reshape(-1).copy()
    top = int(np.argmax(x))
    runner_up = int(np.argmax(np.where(np.arange(x.size) == top, -np.inf, x)))
    x[runner_up] = x[top]
    res = pooling.max_pool2d(x.reshape(p.x.shape), p.window.kernel, **p.window.kwargs())
    return {
        "name": f"x{_sub(runner_up + 1)}",
        "value": x[top],
        "x": x,
        "strict": strict_products(x),
        "S": pooling.selection_matrix(res, "first"),
    }


def piecewise_curve(example: Example, k: int, n: int = 401) -> dict:
    """max of the example's row as its input ``k`` moves: values, slope from the backward pass, kinks.

    The row is pooled as a batch of n copies (one per value of the moved input), so the
    curve is exactly what ``max_pool2d`` and ``max_pool2d_backward`` compute.
    """
    x = example.x
    flat = x.reshape(-1)
    others = np.delete(flat, k)
    t = np.linspace(float(flat.min()) - 2.0, float(flat.max()) + 2.0, n)
    batch = np.broadcast_to(x, (n, *x.shape)).copy().reshape(n, 1, *x.shape)
    batch.reshape(n, -1)[:, k] = t
    window = example.window
    res = pooling.max_pool2d(batch, window.kernel, **window.kwargs())
    slope = pooling.max_pool2d_backward(np.ones(res.out.shape), res, example.tie_policy).reshape(n, -1)[:, k]
    value = res.out.reshape(n, -1)[:, 0]
    return {"t": t, "value": value, "slope": slope, "kinks": [float(others.max())]}


def partials_table(p: Pooled) -> pd.DataFrame:
    """For a one-window row: each input, whether it is strictly the largest, ∂max/∂x from the backward
    pass and from central differences."""
    fd, _ = central_check(p)
    x = p.x.reshape(-1)
    rows = []
    for k in range(x.size):
        cell = divmod(k, p.x.shape[1])
        largest = all(x[k] > x[j] for j in range(x.size) if j != k)
        rows.append(
            {
                "input": f"x{_sub(k + 1)} = {cell_name(cell)}",
                "value": format_value(x[k]),
                "piece": "largest: y = this input" if largest else "below the maximum",
                "∂y/∂x (backward pass)": format_value(p.dx[cell]),
                "central difference": format_value(fd.central[cell]),
            }
        )
    return _table(rows, "input")


def tied_cells(p: Pooled) -> list[tuple[int, int]]:
    return sorted({cell for tie in p.ties for cell in tie.cells})


def tie_rules_table(p: Pooled) -> pd.DataFrame:
    """Each tie rule on the example: what the tied cells receive, the gradient mass the tied windows
    send back against what they received, and the subgradient test."""
    cells = tied_cells(p)
    tied_windows = [tie.window for tie in p.ties]
    received = sum(float(p.dy[w]) for w in tied_windows)
    rows = []
    for policy in pooling.TIE_POLICIES:
        weights = pooling.window_weights(p.res, policy)
        sent = sum(float(weights[w].sum() * p.dy[w]) for w in tied_windows)
        dx = pooling.max_pool2d_backward(p.dy, p.res, policy)
        verdict = pooling.check_subgradient(p.res, policy)
        row = {"rule": policy}
        row.update({f"dL/dx at {cell_name(c)}": format_value(dx[c]) for c in cells})
        row["tied windows send"] = f"{format_value(sent)} of {format_value(received)}"
        row["subgradient test"] = "passes" if verdict.valid else "fails"
        rows.append(row)
    return _table(rows, "rule")


def subgradient_failures(p: Pooled) -> dict[str, str]:
    """The counterexample found for each tie rule that is not a subgradient on this example."""
    out = {}
    for policy in pooling.TIE_POLICIES:
        verdict = pooling.check_subgradient(p.res, policy)
        if not verdict.valid:
            out[policy] = verdict.message
    return out


def difference_table(p: Pooled) -> tuple[pd.DataFrame, dict[str, list[str]], float]:
    """Forward, backward and central differences at the tied cells; which rules each one equals over
    the whole grid; and the step used."""
    fd = pooling.finite_differences(p.dy, p.res)
    estimates = {"forward": fd.forward, "backward": fd.backward, "central": fd.central}
    rows = []
    for cell in tied_cells(p):
        row = {"cell": cell_name(cell)}
        row.update({name: format_value(values[cell]) for name, values in estimates.items()})
        rows.append(row)
    matches = {
        name: [
            policy
            for policy in pooling.TIE_POLICIES
            if pooling.relative_error(values, pooling.max_pool2d_backward(p.dy, p.res, policy)) < 1e-9
        ]
        for name, values in estimates.items()
    }
    return _table(rows, "cell"), matches, fd.step


def overlap_table(p: Pooled) -> pd.DataFrame:
    """Cells that win more than one window: what each window sends, the sum, and what an overwrite would keep."""
    rows = []
    for cell, parts in sorted(p.contributions.items()):
        if len(parts) < 2:
            continue
        rows.append(
            {
                "cell": cell_name(cell),
                "wins windows": ", ".join(f"({q.output_cell[0]}, {q.output_cell[1]})" for q in parts),
                "they send": _signed_sum([q.amount for q in parts]),
                "dL/dx (sum)": format_value(p.dx[cell]),
                "an overwrite would keep": format_value(parts[-1].amount),
            }
        )
    return _table(rows, "cell")


def size_terms(p: Pooled, axis: int) -> dict:
    """The numbers of PyTorch's output-size rule along one axis (0: rows, 1: columns)."""
    g = p.geometry
    n, k, s, pad, d = g.in_shape[axis], g.kernel[axis], g.stride[axis], g.padding[axis], g.dilation[axis]
    numerator = n + 2 * pad - d * (k - 1) - 1
    plain = numerator // s + 1
    return {
        "n": n,
        "k": k,
        "s": s,
        "p": pad,
        "d": d,
        "numerator": numerator,
        "floor": plain,
        "ceil": -(-numerator // s) + 1,
        "out": g.out_shape[axis],
    }


def unread_cells(p: Pooled) -> list[tuple[int, int]]:
    """Input cells that no window reads."""
    read = np.zeros(p.x.size, dtype=bool)
    widx = p.geometry.window_index().reshape(-1)
    read[widx[widx >= 0]] = True
    return [divmod(int(v), p.x.shape[1]) for v in np.flatnonzero(~read)]


def geometry_table(example: Example, plain: Example) -> pd.DataFrame:
    """The lesson's setting against the same x without it: y's shape, cells no window reads, and the
    gradient mass that reaches x."""
    rows = []
    for label, ex in (("with it", example), ("without it", plain)):
        p = pool_example(ex)
        unread = unread_cells(p)
        rows.append(
            {
                "": label,
                "settings": p.window.describe(),
                "y is": f"{p.y.shape[0]}×{p.y.shape[1]}",
                "cells no window reads": ", ".join(cell_name(c) for c in unread) or "none",
                "Σ dL/dx": format_value(p.dx.sum()),
            }
        )
    return _table(rows, "")


def _grid_words(grid: np.ndarray | None) -> str:
    """A small grid in one line, rows separated by semicolons: ``[1 −2; 3 0.5]``; None reads "all ones"."""
    if grid is None:
        return "all ones"
    rows = ["  ".join(format_value(v).replace("-", "−") for v in row) for row in grid]
    return "[" + "; ".join(rows) + "]"


def _signed_sum(values) -> str:
    """``1 + 2 − 1``: the terms of a sum as a reader writes them."""
    out = format_value(values[0])
    for v in values[1:]:
        out += f" − {format_value(-v)}" if v < 0 else f" + {format_value(v)}"
    return out


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


# --------------------------------------------------------------------------- drawing helpers


def _chart(fig, key: str) -> None:
    # Axis titles get an explicit size: left to Streamlit's chart theme they stay small in presentation
    # mode and keep a stale size after it is switched off.
    size = 13 * presentation.font_scale()
    fig.update_xaxes(title_font_size=size)
    fig.update_yaxes(title_font_size=size)
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})


def _grid_figures(p: Pooled, focus: tuple[int, int], key: str, *, show: tuple[str, ...] = ("x", "dy", "dx")) -> None:
    """x (winners, the focus window), dL/dy and dL/dx side by side in the explorer's linked picture.

    The focus window is pinned; hovering any cell follows its window as in the explorer. The
    example's grids are not edited here (the lesson's button opens them in the explorer).
    """
    titles = {"x": "x · ◥ winner · ● tie", "y": "y = maxpool(x)", "dy": "dL/dy", "dx": "dL/dx"}
    linked.linked_grids(
        p,
        focus,
        key=f"{key}_grids",
        editable=(),
        pinnable=False,
        show=show,
        titles=titles,
        font_scale=presentation.font_scale(),
    )


def _height(n_rows: int, scale: float) -> int:
    """Pixel height of a grid figure with ``n_rows`` drawn rows: roomier than the explorer's, since a lesson
    shows few figures, and larger still when presenting."""
    return int(min(max(n_rows * 64 + 110, 200), 560) * scale)


def _figure_row(figures: list[tuple[str, object]]) -> None:
    """Figures in one row; two per row when presenting, so each stays large."""
    per_row = 2 if presentation.is_on() else max(len(figures), 1)
    for start in range(0, len(figures), per_row):
        columns = st.columns(per_row, gap="medium")
        for column, (key, fig) in zip(columns, figures[start : start + per_row]):
            with column:
                _chart(fig, key)


def _side_by_side(widths: list[int]):
    """Two columns; stacked full width when presenting, where side by side would be too cramped."""
    if presentation.is_on():
        return st.container(), st.container()
    return st.columns(widths, gap="large")


def _check(ok: bool, message: str) -> None:
    """A one-line verdict with its numbers; a symbol as well as a colour says which way it went."""
    (st.success if ok else st.error)(message, icon=":material/check_circle:" if ok else ":material/cancel:")


def _latex_vector(values, column: bool = True) -> str:
    cells = [text.latex_number(float(v)) for v in np.ravel(values)]
    sep = r" \\ " if column else " & "
    return r"\begin{bmatrix}" + sep.join(cells) + r"\end{bmatrix}"


def _latex_matrix(matrix: np.ndarray) -> str:
    rows = [" & ".join(text.latex_number(float(v)) for v in row) for row in np.atleast_2d(matrix)]
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


# --------------------------------------------------------------------------- demos


def demo_winner(p: Pooled, example: Example, key: str) -> None:
    _grid_figures(p, example.focus, key)
    st.table(winner_table(p))
    fd, err = central_check(p)
    _check(
        err < 1e-9,
        f"Nudging each cell of x by h = {format_value(fd.step)} and measuring L again (central "
        f"differences) gives the same dL/dx: relative error {format_value(err)}.",
    )


def demo_chain_rule(p: Pooled, example: Example, key: str) -> None:
    i, j = example.focus
    left, right = _side_by_side([3, 2])
    with left:
        st.table(neuron_table(p, example.focus))
    with right:
        for line in text.window_math(p, i, j):
            st.latex(line)
    _grid_figures(p, example.focus, key, show=("x", "dx"))


def demo_mask(p: Pooled, example: Example, key: str) -> None:
    _grid_figures(p, example.focus, key, show=("x", "dy"))
    mask, spread_dy, product = mask_view(p)
    scale = presentation.font_scale()
    height = _height(p.x.shape[0], scale)
    _figure_row(
        [
            (
                f"{key}_mask",
                make_grid_figure(
                    mask, name="M", title="M: 1 at winners", winner_mask=mask > 0, font_scale=scale, height=height
                ),
            ),
            (
                f"{key}_spread",
                make_grid_figure(
                    spread_dy,
                    name="spread(dL/dy)",
                    kind="gradient",
                    title="dL/dy copied over its window",
                    font_scale=scale,
                    height=height,
                ),
            ),
            (
                f"{key}_product",
                make_grid_figure(
                    product,
                    name="M ⊙ spread",
                    kind="gradient",
                    title="M ⊙ spread = dL/dx",
                    winner_mask=mask > 0,
                    font_scale=scale,
                    height=height,
                ),
            ),
        ]
    )
    same = np.array_equal(product, p.dx)
    _check(
        same,
        "M ⊙ spread(dL/dy) " + ("equals" if same else "differs from") + " the backward pass's dL/dx "
        f"in all {p.x.size} cells (largest difference {format_value(np.abs(product - p.dx).max())}).",
    )


def _comparison_line(x: np.ndarray, k: int, products: np.ndarray) -> str:
    factors = r"\,".join(rf"[{text.latex_number(x[k])} > {text.latex_number(x[j])}]" for j in range(x.size) if j != k)
    return rf"S_{{1,{k + 1}}} = {factors} = {text.latex_number(products[k])}"


def demo_selection(p: Pooled, example: Example, key: str) -> None:
    view = selection_view(p)
    S, x = view["S"], p.x.reshape(-1)
    st.latex(r"y = S\,x = " + _latex_matrix(S) + _latex_vector(x) + " = " + _latex_vector(view["Sx"]))
    st.latex(
        r"\frac{\partial L}{\partial x} = S^{\top} \frac{\partial L}{\partial y} = "
        + _latex_vector(S.T)
        + r"\cdot "
        + text.latex_number(float(p.dy.reshape(-1)[0]))
        + " = "
        + _latex_vector(view["STdy"])
    )
    same_y = np.array_equal(view["Sx"], p.y.reshape(-1))
    same_dx = np.array_equal(view["STdy"], p.dx.reshape(-1))
    _check(
        same_y and same_dx,
        f"S x = {format_value(view['Sx'][0])} is y, and Sᵀ dL/dy is the backward pass's "
        f"dL/dx: {'both hold' if same_y and same_dx else 'a mismatch'}.",
    )
    st.markdown(
        "Each entry of S is a product of strict comparisons [a > b] (1 if true, 0 if not), evaluated on this x:"
    )
    columns = st.columns(2)
    for k in range(x.size):
        with columns[k % 2]:
            st.latex(_comparison_line(x, k, view["strict"]))
    tie = tie_variant(p)
    st.markdown(
        f"With a tie these products break down. Make {tie['name']} = {format_value(tie['value'])} as well: "
        f"every product is then 0, a row of zeros that sends no gradient at all (the 'none' rule of "
        f"lesson 6), while PyTorch's rule still picks one entry:"
    )
    st.latex(
        r"\text{strict products} = "
        + _latex_matrix(tie["strict"][None, :])
        + r", \qquad S_{\text{first}} = "
        + _latex_matrix(tie["S"])
    )
    _grid_figures(p, example.focus, key, show=("x", "dx"))


def demo_piecewise(p: Pooled, example: Example, key: str) -> None:
    n = p.x.size
    k = st.radio(
        "Move which input?",
        list(range(n)),
        key=f"{key}_input",
        horizontal=True,
        format_func=lambda v: f"x{_sub(v + 1)}",
    )
    curve = piecewise_curve(example, k)
    scale = presentation.font_scale()
    left, right = _side_by_side([1, 1])
    with left:
        fig = make_piecewise_figure(
            curve["t"],
            curve["value"],
            curve["slope"],
            moved=f"x{_sub(k + 1)}",
            current=float(example.x.reshape(-1)[k]),
            kinks=curve["kinks"],
            height=int(380 * scale),
            font_scale=scale,
        )
        _chart(fig, f"{key}_curve")
    with right:
        st.table(partials_table(p))
        kink = curve["kinks"][0]
        st.markdown(
            f"The kink sits at x{_sub(k + 1)} = {format_value(kink)}, the largest of the other inputs: "
            f"below it y ignores x{_sub(k + 1)} (slope 0), above it y is x{_sub(k + 1)} (slope 1)."
        )
    fd, err = central_check(p)
    _check(
        err < 1e-9,
        f"Central differences (h = {format_value(fd.step)}) agree with the backward pass: "
        f"relative error {format_value(err)}.",
    )


def demo_ties(p: Pooled, example: Example, key: str) -> None:
    _grid_figures(p, example.focus, key, show=("x", "dx"))
    st.markdown(
        "**Every rule on this x** (dL/dy = 1 for each window):" if example.dy is None else "**Every rule on this x:**"
    )
    st.table(tie_rules_table(p))
    for policy, message in subgradient_failures(p).items():
        st.error(f"{message} Direction: {_direction_words(policy)}.", icon=":material/cancel:")
    table, matches, step = difference_table(p)
    st.markdown(f"**What finite differences measure at the tied cells** (step h = {format_value(step)}):")
    st.table(table)
    lines = [
        f"the {name} difference equals '{', '.join(found)}'" if found else f"the {name} difference equals no rule"
        for name, found in matches.items()
    ]
    st.markdown("Over the whole grid, " + "; ".join(lines) + ".")


def _direction_words(policy: str) -> str:
    return "raise every tied cell together" if policy == "all" else "lower every tied cell together"


def demo_overlap(p: Pooled, example: Example, key: str) -> None:
    _grid_figures(p, example.focus, key)
    st.table(overlap_table(p))
    fd, err = central_check(p)
    _check(
        err < 1e-9,
        f"Central differences (h = {format_value(fd.step)}) agree with the summed dL/dx: "
        f"relative error {format_value(err)}.",
    )


def demo_geometry(p: Pooled, example: Example, key: str) -> None:
    for axis, name in ((0, "H"), (1, "W")):
        t = size_terms(p, axis)
        rounding = r"\left\lceil" if p.geometry.ceil_mode else r"\left\lfloor"
        closing = r"\right\rceil" if p.geometry.ceil_mode else r"\right\rfloor"
        value = t["ceil"] if p.geometry.ceil_mode else t["floor"]
        line = (
            rf"{name}_{{out}} = {rounding} \frac{{{t['n']} + 2\cdot{t['p']} - {t['d']}\cdot({t['k']}-1) - 1}}"
            rf"{{{t['s']}}} {closing} + 1 = {value}"
        )
        if value != t["out"]:
            side = "bottom" if axis == 0 else "right"
            line += rf" \to {t['out']}\ \text{{(a last window may not start in the {side} padding)}}"
        st.latex(line)
    _grid_figures(p, example.focus, key, show=("x", "dx"))
    st.table(geometry_table(example, _plain(example)))


def _plain(example: Example) -> Example:
    """The example without padding, dilation and ceil mode."""
    return replace(example, padding=(0, 0), dilation=(1, 1), ceil_mode=False)


# --------------------------------------------------------------------------- the lessons

_LESSON1_X = [[1, 3, 2, 1], [4, 0, 1, 5], [2, 1, 0, 3], [0, 6, 2, 1]]
_LESSON7_X = [[1, 2, 0, 1], [3, 9, 2, 0], [1, 2, 4, 1], [0, 1, 2, 10]]
_LESSON8_X = [[7, 12, 3, 18, 5], [14, 1, 20, 9, 16], [4, 22, 11, 2, 13], [19, 8, 15, 24, 6], [10, 17, 21, 23, 25]]
_TIE_X = [[1, 3, 2, 2], [3, 2, 2, 0]]

_RULE_NOTES = {
    "first": "What PyTorch, TensorFlow and JAX pooling do: the first tied cell in reading order takes it all.",
    "split": "What full reductions such as torch.max(x) do: each of the k tied cells gets 1/k.",
    "all": "Every tied cell gets the full dL/dy: the window hands back k times what it received.",
    "none": "Tied cells get nothing: the window's dL/dy disappears.",
}

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        title="Only the winner gets the gradient",
        paragraphs=(
            "Each window of x sends one number forward: its largest value, y[i, j]. The cell holding it is the "
            "window's **winner**.",
            "Going back, ask how much L moves when one cell of x moves a little. Move a cell that lost, and the "
            "window's maximum stays where it was: y does not change, so L does not either. Move the winner, and y "
            "moves with it one for one.",
            "So the winner receives the window's whole dL/dy, and the window's other cells receive nothing from this "
            "window (a cell that wins an overlapping window still gets that window's share).",
        ),
        formulas=(
            r"y_{i,j} = \max_{(r,c) \in W_{i,j}} x_{r,c}",
            r"\frac{\partial y_{i,j}}{\partial x_{r,c}} = \begin{cases} 1 & "
            r"\text{if } x_{r,c} \text{ wins } W_{i,j} \\[4pt] 0 & \text{otherwise} \end{cases}",
        ),
        parts=(Part("main", "Example", Example(_LESSON1_X, (2, 2), dy=[[1, -2], [3, 0.5]], focus=(0, 1))),),
        demo=demo_winner,
    ),
    Lesson(
        title="The chain rule: 1 for the winner, 0 for the rest",
        paragraphs=(
            "Think of the cells of one window as neurons of the layer below, and of the window as a unit whose "
            "activation is f = max of its inputs. Back-propagation multiplies the gradient arriving from above, "
            "dL/dy, by the unit's local derivative with respect to each input.",
            "For max that local derivative is a switch: 1 for the neuron holding the maximum (y follows it) and 0 "
            "for the others (y ignores them). ReLU(z) = max(0, z) works the same way.",
            "A neuron with derivative 0 passes nothing further down: on this example, the weights and bias that "
            "produced it get no update from this window.",
        ),
        formulas=(
            r"\delta_k = \frac{\partial L}{\partial x_k} = f'_k \cdot \frac{\partial L}{\partial y}",
            r"f'_k = \frac{\partial y}{\partial x_k} = \begin{cases} 1 & k = k^{\ast} \\ 0 & k \neq k^{\ast} "
            r"\end{cases} \qquad k^{\ast} = \arg\max_k x_k",
        ),
        parts=(Part("main", "Example", Example([[0.5, 2.5], [-1.5, 1.25]], (2, 2), dy=[[3]])),),
        demo=demo_chain_rule,
    ),
    Lesson(
        title="The same thing as a mask",
        paragraphs=(
            "During the forward pass, note where each window's maximum sat: a mask M the shape of x, 1 at the "
            "winners and 0 everywhere else. (PyTorch keeps the winners' indices instead: the same information "
            "in less space.)",
            "The backward pass then takes two steps: copy each dL/dy[i, j] onto every cell of its window, and "
            "multiply cell by cell by M. Only the winners keep what was copied to them.",
            "Written like this it assumes windows do not overlap; lesson 7 shows what overlap adds.",
        ),
        formulas=(
            r"M_{r,c} = \begin{cases} 1 & x_{r,c} \text{ wins its window} \\ 0 & \text{otherwise} \end{cases}",
            r"\frac{\partial L}{\partial x} = M \odot \operatorname{spread}\!\left(\frac{\partial L}{\partial y}"
            r"\right)",
        ),
        parts=(
            Part(
                "main",
                "Example",
                Example(
                    [[2, 7, 1, 0], [4, 3, 5, 6], [8, 1, 2, 2], [0, 5, 9, 4]],
                    (2, 2),
                    dy=[[1, -2], [0.5, 3]],
                    focus=(1, 1),
                ),
            ),
        ),
        demo=demo_mask,
    ),
    Lesson(
        title="Max as a linear map with a 0/1 matrix",
        paragraphs=(
            "Once the forward pass knows the winners, pooling only picks entries of x: y = S x, where S has one "
            "row per window and a single 1 in each row, in the winner's column.",
            "With the winners fixed this map is linear, and the derivative of S x with respect to x is S. So "
            "dL/dx = Sᵀ dL/dy: the transpose sends each window's gradient back to the entry it picked.",
            "S holds no weights to learn: it is rebuilt from x on every forward pass. Here x = [x₁, x₂, x₃, x₄] "
            "is a 1×4 grid and one 1×4 window covers it.",
        ),
        formulas=(
            r"y = S\,x, \qquad S_{o,k} = \begin{cases} 1 & x_k \text{ wins window } o \\ 0 & \text{otherwise} "
            r"\end{cases}",
            r"\frac{\partial L}{\partial x} = S^{\top} \frac{\partial L}{\partial y}",
        ),
        parts=(Part("main", "Example", Example([[1.5, 4, 2.5, 3]], (1, 4), dy=[[2]])),),
        demo=demo_selection,
    ),
    Lesson(
        title="Piecewise partial derivatives",
        paragraphs=(
            "Split max(x₁, …, xₙ) into pieces: wherever xₖ is strictly larger than every other input, the "
            "function simply equals xₖ.",
            "Inside that piece its partial derivative with respect to xₖ is 1, and with respect to every other "
            "input 0. The pieces meet where two inputs are equal: there the slope jumps.",
            "The plot moves one input and holds the others fixed; each point is pooled and back-propagated by "
            "the core.",
        ),
        formulas=(
            r"\max(x_1, \dots, x_n) = x_k \ \text{ where } x_k > x_j,\ j \neq k",
            r"\frac{\partial \max}{\partial x_k} = \begin{cases} 1 & x_k > x_j \text{ for all } j \neq k \\ "
            r"0 & x_k < x_j \text{ for some } j \end{cases}",
        ),
        parts=(Part("main", "Example", Example([[2, 5, 3]], (1, 3))),),
        demo=demo_piecewise,
    ),
    Lesson(
        title="Ties: who gets the gradient?",
        paragraphs=(
            "When k ≥ 2 cells share a window's maximum, max has a kink and no derivative there, so a rule has to "
            "choose. PyTorch, TensorFlow and JAX pooling give everything to the first tied cell in reading order; "
            "full reductions such as torch.max(x) split it equally. Both are fine.",
            "Giving every tied cell the full dL/dy is wrong: the window would hand back k times what it received.",
            "A claim you may meet: giving the tied cells zero is also fine, and a gradient check confirms it. "
            "Test it below. A valid choice at a kink is a subgradient: weights ≥ 0 on the tied cells that add up "
            "to 1. 'none' adds up to 0, so the window's gradient is lost and the test fails. A one-sided check can "
            "still seem to agree: the backward difference gives tied cells 0, just like 'none'. The forward "
            "difference gives them 1 each, like 'all', and the central difference ½ each whatever k is, so no "
            "single difference settles a tie.",
        ),
        formulas=(
            r"\partial \max(v) = \Big\{ g \ge 0 : \textstyle\sum_i g_i = 1,\ g = 0 \text{ off the tie} \Big\}",
            r"\max(v + t\,d) \ \ge\ \max(v) + t\, g \cdot d \qquad \forall\, d,\ t > 0",
        ),
        parts=tuple(
            Part(policy, policy, Example(_TIE_X, (2, 2), tie_policy=policy, focus=(0, 1)), _RULE_NOTES[policy])
            for policy in ("first", "split", "all", "none")
        ),
        demo=demo_ties,
        part_label="Tie rule",
    ),
    Lesson(
        title="Overlapping windows add up",
        paragraphs=(
            "With a stride smaller than the window, windows overlap and one cell can win several of them.",
            "L depends on that cell through every y it wins, so by the chain rule its gradient is the sum over "
            "those windows: the backward pass adds, it never overwrites.",
            "An implementation that stores instead of adding keeps only the last window's share and is silently "
            "wrong; a gradient check catches it.",
        ),
        formulas=(
            r"\frac{\partial L}{\partial x_{r,c}} = \sum_{(i,j)\,:\ x_{r,c} \text{ wins } W_{i,j}} "
            r"\frac{\partial L}{\partial y_{i,j}}",
        ),
        parts=(
            Part("main", "Example", Example(_LESSON7_X, (3, 3), stride=(1, 1), dy=[[1, 2], [-1, 0.5]], focus=(0, 1))),
        ),
        demo=demo_overlap,
    ),
    Lesson(
        title="Padding, dilation and ceil mode",
        paragraphs=(
            "**Padding** adds rows and columns of −∞ around x. A padded position never wins, so it never receives "
            "gradient: it only lets windows reach over the border.",
            "**Dilation** spreads a window's positions apart: a 2×2 kernel with dilation 2 reads cells two apart. "
            "The cells it skips are not in that window at all.",
            "**Ceil mode** rounds the output size up, adding a last, partial window where the floor would leave "
            "cells out. That last window must start inside x or in its top or left padding, never in the bottom or "
            "right padding. A cell no window reads gets no gradient, "
            "however large it is.",
        ),
        formulas=(
            r"H_{out} = \left\lfloor \frac{H + 2p - d\,(k-1) - 1}{s} \right\rfloor + 1",
            r"\text{ceil mode: } \lceil\ \rceil \text{ in place of } \lfloor\ \rfloor",
        ),
        parts=(
            Part(
                "padding",
                "padding",
                Example(_LESSON8_X, (3, 3), stride=(2, 2), padding=(1, 1)),
                "Kernel 3, stride 2, padding 1: the corner windows hang over the border.",
            ),
            Part(
                "dilation",
                "dilation",
                Example(_LESSON8_X, (2, 2), dilation=(2, 2), focus=(1, 1)),
                "Kernel 2, dilation 2: each window reads a 2×2 pattern spread over 3×3 cells.",
            ),
            Part(
                "ceil",
                "ceil mode",
                Example(_LESSON8_X, (2, 2), ceil_mode=True, focus=(2, 2)),
                "Kernel 2, stride 2 on a 5×5 grid: ceil mode adds the last row and column of windows.",
            ),
        ),
        demo=demo_geometry,
        part_label="Setting",
    ),
)


# --------------------------------------------------------------------------- navigation and loading


def current_number() -> tuple[int, str | None]:
    """The lesson in the link (1-based) and, if the link's number was unusable, why; written back to the link."""
    raw = state.get_extra(LESSON)
    total = len(LESSONS)
    n, problem = 1, None
    if raw is not None:
        shown = raw if len(raw) <= 20 else raw[:17] + "…"
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
            problem = f"“{shown}” is not a lesson number; lessons run from 1 to {total}. Showing lesson 1."
        else:
            n = min(max(int(raw), 1), total)
            if n != int(raw):
                problem = f"there is no lesson {int(raw)}; lessons run from 1 to {total}. Showing lesson {n}."
    state.set_extra(**{LESSON: str(n)})
    return n, problem


def link_warnings(lesson_problem: str | None) -> None:
    """Say which parts of the link could not be used (the rest of the link still is)."""
    for param, message in state.url_errors().items():
        st.warning(f"The link's `{param}` could not be used: {md(message)}", icon=":material/link_off:")
    if lesson_problem:
        st.warning(f"The link's `{LESSON}` could not be used: {md(lesson_problem)}", icon=":material/link_off:")


SCROLL_TOP = "_lessons_scroll_top"
"""Set by a Previous/Next click: the next run scrolls the page back to the lesson's title."""


def go_to(n: int) -> None:
    """Show lesson n (a button callback); its example choice starts from the first, read from the top."""
    state.set_extra(**{LESSON: str(n), PART: None})
    st.session_state[SCROLL_TOP] = True


def _scroll_to_top() -> None:
    # Streamlit keeps the scroll position across reruns, so after Next a student would land on
    # the new lesson's footer. A fixed script (nothing a user typed) scrolls the main area up.
    st.html(
        "<script>(() => { const up = () => { for (const s of ['[data-testid=\"stMain\"]', "
        "'[data-testid=\"stAppViewContainer\"]', '[data-testid=\"stAppScrollToBottomContainer\"]']) "
        "{ const e = document.querySelector(s); if (e) e.scrollTop = 0; } window.scrollTo(0, 0); }; "
        "up(); setTimeout(up, 60); setTimeout(up, 400); })();</script>",
        unsafe_allow_javascript=True,
    )


def current_part(lesson: Lesson) -> Part:
    """The lesson's example chosen in the link, or its first."""
    slug = state.get_extra(PART)
    return next((part for part in lesson.parts if part.slug == slug), lesson.parts[0])


def load_example(example: Example) -> None:
    """Make the example the current view and set the sidebar widgets to match (an on_click callback,
    so it runs before any widget of the next run is drawn)."""
    grids.set_grid("x", example.x)
    if example.dy is None:
        state.update(dy=None)
    else:
        grids.set_grid("dy", example.dy)
    state.update(
        kernel=example.kernel,
        stride=example.stride,
        padding=example.padding,
        dilation=example.dilation,
        ceil_mode=example.ceil_mode,
        tie_policy=example.tie_policy,
    )
    stride = example.stride or example.kernel
    st.session_state.update(
        {
            "k_h": example.kernel[0],
            "k_w": example.kernel[1],
            "stride_same": example.stride is None,
            "s_h": stride[0],
            "s_w": stride[1],
            "p_h": example.padding[0],
            "p_w": example.padding[1],
            "d_h": example.dilation[0],
            "d_w": example.dilation[1],
            "ceil": example.ceil_mode,
            "tie": example.tie_policy,
        }
    )
    state.set_extra(sel=f"{example.focus[0]},{example.focus[1]}")


def _on_pick() -> None:
    go_to(int(st.session_state["lesson_pick"]))


def _on_part(key: str) -> None:
    state.set_extra(**{PART: st.session_state[key]})


# --------------------------------------------------------------------------- page sections


def header(n: int) -> None:
    """Progress, and a list to jump to any lesson."""
    total = len(LESSONS)
    scroll = st.session_state.pop(SCROLL_TOP, False)
    # The script goes before the header on odd lessons and after it on even ones: a change of
    # element type at a position makes the browser mount (and so run) it again on every click.
    if scroll and n % 2:
        _scroll_to_top()
    left, right = st.columns([3, 2], gap="large", vertical_alignment="bottom")
    with left:
        st.progress(n / total, text=f"Lesson {n} of {total}")
    with right:
        st.session_state["lesson_pick"] = n
        st.selectbox(
            "Jump to",
            range(1, total + 1),
            key="lesson_pick",
            on_change=_on_pick,
            format_func=lambda k: f"{k}. {LESSONS[k - 1].title}",
        )
    if scroll and not n % 2:
        _scroll_to_top()


def body(n: int) -> None:
    """The lesson's text and formulas, its example, the live check, and the button that opens it in the explorer."""
    lesson = LESSONS[n - 1]
    st.header(f"{n}. {lesson.title}", anchor=False)
    words, _ = st.columns([4, 1])  # shorter lines read better
    with words:
        for paragraph in lesson.paragraphs:
            st.markdown(paragraph)
    for formula in lesson.formulas:
        st.latex(formula)
    part = current_part(lesson)
    if len(lesson.parts) > 1:
        key = f"lesson{n}_part"
        st.session_state[key] = part.slug
        st.segmented_control(
            lesson.part_label,
            [p.slug for p in lesson.parts],
            key=key,
            required=True,
            format_func=lambda slug: next(p.label for p in lesson.parts if p.slug == slug),
            on_change=_on_part,
            args=(key,),
        )
    if part.note:
        st.caption(part.note)
    example = part.example
    st.subheader("Check it on the example", anchor=False)
    st.caption(
        f"x is {example.x.shape[0]}×{example.x.shape[1]}, {example.window.describe()}, tie rule "
        f"'{example.tie_policy}', dL/dy = {_grid_words(example.dy)}. "
        "Everything below is computed now by the pooling core."
    )
    pooled = pool_example(example)
    lesson.demo(pooled, example, f"lesson{n}")
    if st.button(
        "Open this example in the explorer",
        key="lesson_load",
        type="primary",
        icon=":material/grid_on:",
        on_click=load_example,
        args=(example,),
    ):
        st.switch_page(EXPLORER)
    st.caption("Loads x, dL/dy, the window settings and the tie rule, and selects the window discussed here.")


def footer(n: int) -> None:
    """Previous and next, with the neighbouring lessons' titles."""
    st.divider()
    back, _, forward = st.columns([2, 1, 2])
    with back:
        st.button(
            f"← {n - 1}. {LESSONS[n - 2].title}" if n > 1 else "← Previous",
            key="lesson_prev",
            disabled=n == 1,
            on_click=go_to,
            args=(n - 1,),
            width="stretch",
        )
    with forward:
        st.button(
            f"{n + 1}. {LESSONS[n].title} →" if n < len(LESSONS) else "Next →",
            key="lesson_next",
            disabled=n == len(LESSONS),
            on_click=go_to,
            args=(n + 1,),
            width="stretch",
            type="secondary",
        )
