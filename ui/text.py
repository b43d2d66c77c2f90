"""Words and formulas the pages print: the selected window's math, tie notices, hover lines.

Only formatting: the numbers come from ``pooling`` through ``ui.model``.
"""

from __future__ import annotations

import math

import numpy as np

import pooling
from figures import format_value
from ui.escape import latex_text, md  # noqa: F401 - re-exported: pages quote user text with text.md
from ui.model import Pooled


def latex_number(v: float) -> str:
    """A number for LaTeX: integers without ``.0``, infinities as ``\\infty``."""
    if math.isnan(v):
        return r"\mathrm{NaN}"
    if math.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    return format_value(v).replace("−", "-")


def _fraction(w: float) -> str:
    """A share 1/k (k from 2 to 64) as ``\\tfrac{1}{k}``, any other weight as a number."""
    k = round(1 / w) if 0 < w < 1 else 0  # the only k with w·k near 1
    if 2 <= k <= 64 and abs(w * k - 1) < 1e-12:
        return rf"\tfrac{{1}}{{{k}}}"
    return latex_number(w)


def window_math(p: Pooled, i: int, j: int) -> list[str]:
    """LaTeX lines for output cell (i, j): its window's values, the max, and where its gradient goes."""
    values = pooling.window_values(p.res, i, j)
    weights = p.weights[i, j]
    widx = p.window_index[i, j]
    W = p.geometry.in_shape[1]
    rows = []
    for a in range(values.shape[0]):
        cells = []
        for b in range(values.shape[1]):
            text = latex_number(values[a, b])
            cells.append(rf"\boxed{{{text}}}" if weights[a, b] != 0 else text)
        rows.append(" & ".join(cells))
    matrix = r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    lines = [rf"y_{{{i},{j}}} = \max {matrix} = {latex_number(p.y[i, j])}"]
    g = p.dy[i, j]
    receivers = [
        (int(widx[a, b]), weights[a, b])
        for a in range(values.shape[0])
        for b in range(values.shape[1])
        if weights[a, b] != 0
    ]
    for flat, w in receivers:
        r, c = divmod(flat, W)
        lines.append(
            rf"\frac{{\partial L}}{{\partial x_{{{r},{c}}}}} \mathrel{{+}}= {_fraction(w)} \cdot "
            rf"\frac{{\partial L}}{{\partial y_{{{i},{j}}}}} = {_fraction(w)} \cdot {latex_factor(g)} "
            rf"= {latex_number(w * g)}"
        )
    return lines


def window_story(p: Pooled, i: int, j: int) -> str:
    """One or two plain sentences about output cell (i, j): its winner(s) and what the tie rule did."""
    if p.res.indices[i, j] < 0:
        return (
            f"Window ({i}, {j}) lies wholly in the padding: its output is −∞, it has no winner "
            "and sends no gradient anywhere."
        )
    tied, widx = p.tied
    W = p.geometry.in_shape[1]
    tied_cells = [divmod(int(v), W) for v in widx[i, j][tied[i, j]]]
    got = [(int(r), int(c)) for r, c in p.receivers(i, j)]
    value = format_value(p.y[i, j])
    if math.isnan(p.y[i, j]):
        return (
            f"Window ({i}, {j}) holds NaN at {_cells(tied_cells)}, so y[{i}, {j}] is NaN. PyTorch records "
            f"the last NaN in reading order; under '{p.tie_policy}' the gradient goes to "
            f"{_cells(got) or 'nobody'}."
        )
    if len(tied_cells) == 1:
        return (
            f"The maximum of window ({i}, {j}) is {value} at x{_cells(tied_cells)}: only that cell receives "
            f"dL/dy[{i}, {j}] = {format_value(p.dy[i, j])}; the window's other cells get nothing from "
            f"it, because nudging them does not change y[{i}, {j}]."
        )
    return (
        f"Window ({i}, {j}) has a {len(tied_cells)}-way tie at {value} ({_cells(tied_cells)}). Under "
        f"'{p.tie_policy}' the gradient goes to {_cells(got) or 'nobody'}."
    )


def _cells(cells) -> str:
    return ", ".join(f"[{r}, {c}]" for r, c in cells)


def tie_notice(p: Pooled) -> str | None:
    """A sentence about the ties on screen and what the current rule does with them, or None."""
    n = len(p.ties)
    if n == 0:
        return None
    windows = "window ties" if n == 1 else "windows tie"
    consequence = {
        "first": "each sends its whole gradient to its first maximum in reading order, as PyTorch, "
        "TensorFlow and JAX do.",
        "last": "each sends its whole gradient to its last maximum in reading order.",
        "split": "each splits its gradient equally among its tied maxima, as full reductions such as torch.max(x) do.",
        "all": "each gives its full gradient to every tied maximum, so it sends out more than it received: "
        "the gradient mass grows. This is not a gradient of max.",
        "none": "tied maxima get nothing, so those windows' gradient is lost. This is not a gradient of max either.",
    }[p.tie_policy]
    return f"{n} {windows} right now. Under '{p.tie_policy}', {consequence}"


def contribution_hover(p: Pooled) -> np.ndarray:
    """(H, W) strings: for each input cell, which windows sent it how much, and the sum."""
    H, W = p.x.shape
    hover = np.full((H, W), "", dtype=object)
    for (r, c), parts in p.contributions.items():
        lines = [
            f"from y[{q.output_cell[0]}, {q.output_cell[1]}]: {_share(q.weight)}{format_value(q.amount)}" for q in parts
        ]
        if len(parts) > 1:
            lines.append(f"sum of {len(parts)} windows: {format_value(p.dx[r, c])}")
        hover[r, c] = "<br>".join(lines)
    return hover


def _share(w: float) -> str:
    return "" if w == 1 else f"{format_value(w)} × dL/dy = "


def latex_factor(v: float) -> str:
    """A number for a LaTeX product or sum: a negative in parentheses, ``1 \\cdot (-1)``."""
    s = latex_number(v)
    return f"({s})" if s.startswith("-") else s


def plain_term(v: float) -> str:
    """A number for a plain-text sum or product: negatives in parentheses, as in ``3 + (−1)``."""
    s = format_value(v)
    return f"({s})" if s.startswith(("−", "-")) else s


def plain_sum(values) -> str:
    """``3 + (−1) + 2``: the terms of a sum, any negative term after the first in parentheses."""
    values = list(values)
    if not values:
        return "0"
    return " + ".join([format_value(values[0]), *(plain_term(v) for v in values[1:])])


def overlap_sums(p: Pooled, i: int, j: int) -> list[str]:
    """For each cell window (i, j) sends gradient to that also wins other windows: its dL/dx as the sum of
    what every window sends it, e.g. ``dL/dx[1, 1] = 1 + 2 + (-1) = 2, from y[0, 0], y[0, 1], y[1, 0]``."""
    lines = []
    for r, c in p.receivers(i, j):
        if p.win_counts[r, c] < 2:  # one window pays this cell: no sum (and p.contributions is not needed)
            continue
        parts = p.contributions.get((int(r), int(c)), [])
        if len(parts) < 2:
            continue
        sources = ", ".join(f"y[{q.output_cell[0]}, {q.output_cell[1]}]" for q in parts)
        lines.append(
            f"dL/dx[{r}, {c}] = {plain_sum(q.amount for q in parts)} = {format_value(p.dx[r, c])}, "
            f"from {sources}: overlapping windows add up."
        )
    return lines
