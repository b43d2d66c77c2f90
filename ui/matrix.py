"""The matrix view's wiring and panels: max pooling of the current grid (or of a vector) written as
one matrix S, with ``y = S x`` and ``dL/dx = S^T dL/dy`` printed with their numbers.

S comes from ``pooling.routing`` (its non-zero entries) or ``pooling.selection_matrix`` (small cases,
for the printed product); this module only gathers and formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st

import pooling
from figures import format_value, make_grid_figure, selected_cell
from figures.matrix import make_selection_matrix_figure
from ui import presentation, state
from ui.codec import GridError, format_number, parse_pasted_grid
from ui.explorer import figure_size
from ui.grids import PASTE_BOX_CHARS  # parsed as a pasted grid, so the same bound
from ui.model import Pooled, Window, window_of
from ui.text import latex_factor, latex_number, md

MODE = "mview"  # link parameter: "1d" for the vector mode, absent for the grid
VECTOR = "vec"  # link parameter: the vector x, comma separated
VECTOR_DY = "vdy"  # link parameter: the vector dL/dy, absent for all ones
ROW_2D = "sel"  # the selected output cell "i,j", shared with the explorer
ROW_1D = "vsel"  # the selected output j of the vector mode
DEFAULT_VECTOR = np.array([1.0, 3.0, 3.0, 2.0, 0.0, 5.0, 4.0, 4.0])
MAX_PRINTED_SIDE = 16
"""The whole product y = S x is printed while S has at most this many rows and columns."""
MAX_PRINTED_TERMS = 12
"""Longest sum printed for one entry of y or dL/dx."""


@dataclass(frozen=True)
class MatrixCase:
    """One pooling plane seen as a matrix: S's non-zeros, the vectors it maps, and how to name them.

    In the vector mode ``x`` is a (1, n) plane pooled with the window's width settings.
    """

    x: np.ndarray
    dy: np.ndarray
    res: pooling.MaxPoolResult
    tie_policy: str
    window: Window
    one_d: bool
    routing: pooling.Routing
    dx: np.ndarray

    @property
    def y(self) -> np.ndarray:
        return self.res.out

    @property
    def n_out(self) -> int:
        return int(self.y.size)

    @property
    def n_in(self) -> int:
        return int(self.x.size)

    def out_label(self, o: int) -> str:
        i, j = divmod(int(o), self.y.shape[1])
        return f"y[{j}]" if self.one_d else f"y[{i}, {j}]"

    def in_label(self, c: int) -> str:
        h, w = divmod(int(c), self.x.shape[1])
        return f"x[{w}]" if self.one_d else f"x[{h}, {w}]"

    def out_tex(self, o: int) -> str:
        i, j = divmod(int(o), self.y.shape[1])
        return f"y_{{{j}}}" if self.one_d else f"y_{{{i},{j}}}"

    def in_tex(self, c: int) -> str:
        h, w = divmod(int(c), self.x.shape[1])
        return f"x_{{{w}}}" if self.one_d else f"x_{{{h},{w}}}"

    def window_cells(self, o: int) -> np.ndarray:
        """(n, 2) (row, col) cells of output o's window in x, padding included."""
        return self.res.geometry.window_cells(*divmod(int(o), self.y.shape[1]))

    def window_columns(self, o: int) -> list[int]:
        """Columns of S (flat input indices) that output o's window reads, padding left out."""
        flat = self.res.geometry.window_index()[divmod(int(o), self.y.shape[1])].ravel()
        return [int(c) for c in flat if c >= 0]

    def s_times_x(self) -> np.ndarray:
        """(n_out,) the product S x, from S's non-zeros."""
        r = self.routing
        with np.errstate(invalid="ignore"):
            terms = r.weight * self.x.reshape(-1)[r.input_index]
        return np.bincount(r.output_index, weights=terms, minlength=self.n_out)


def _case(x, dy, window: Window, tie_policy: str, one_d: bool) -> MatrixCase:
    res = pooling.max_pool2d(x, window.kernel, **window.kwargs())
    return MatrixCase(
        x,
        dy,
        res,
        tie_policy,
        window,
        one_d,
        pooling.routing(res, tie_policy),
        pooling.max_pool2d_backward(dy, res, tie_policy),
    )


def grid_case(p: Pooled) -> MatrixCase:
    """The current view (the same x, dL/dy, window and tie rule as the explorer)."""
    return MatrixCase(p.x, p.dy, p.res, p.tie_policy, p.window, False, pooling.routing(p.res, p.tie_policy), p.dx)


# --------------------------------------------------------------------------- the vector mode


def _parse_vector(text: str, name: str) -> np.ndarray:
    """One row (or one column) of numbers; GridError with a message otherwise."""
    grid = parse_pasted_grid(text, name=name)
    if grid.shape[0] != 1 and grid.shape[1] != 1:
        raise GridError(f"{name}: expected one row of numbers, got {grid.shape[0]} rows of {grid.shape[1]}")
    return grid.reshape(-1)


def _vector_text(v: np.ndarray) -> str:
    return ", ".join(format_number(float(a)) for a in v)


def _link_vector(key: str, name: str) -> np.ndarray | None:
    raw = state.get_extra(key)
    if raw is None:
        return None
    try:
        return _parse_vector(raw, name)
    except GridError as err:
        st.warning(f"The link's `{key}` could not be used: {md(err)}", icon="🔗")
        state.set_extra(**{key: None})
        return None


def vector_window(view_window: Window) -> Window:
    """The 1-D window: the width half of each sidebar setting."""
    return Window(
        (1, view_window.kernel[1]),
        (1, view_window.stride[1]),
        (0, view_window.padding[1]),
        (1, view_window.dilation[1]),
        view_window.ceil_mode,
    )


def vector_case() -> MatrixCase | None:
    """Text boxes for the vector x and its dL/dy; the case they define, or None with a message if they do not fit."""
    x = _link_vector(VECTOR, "x")
    x = DEFAULT_VECTOR if x is None else x
    state.seed_widget("matrix_vector", _vector_text(x))
    state.seed_widget("matrix_vector_dy", "" if state.get_extra(VECTOR_DY) is None else state.get_extra(VECTOR_DY))
    left, right = st.columns(2, gap="large")
    with left:
        text = st.text_input("Vector x (numbers separated by commas or spaces)", key="matrix_vector",
                             max_chars=PASTE_BOX_CHARS)
        try:
            x = _parse_vector(text, "x")
            state.set_extra(**{VECTOR: _vector_text(x)})
        except GridError as err:
            st.error(f"{md(err)}. Showing the last valid vector.", icon="⚠️")
    view = state.view()
    window = vector_window(window_of(view))
    st.caption(
        f"The vector mode uses the width of each window setting: kernel {window.kernel[1]}, stride "
        f"{window.stride[1]}, padding {window.padding[1]}, dilation {window.dilation[1]}"
        f"{', ceil mode' if window.ceil_mode else ''}."
    )
    try:
        res = pooling.max_pool2d(x[None, :], window.kernel, **window.kwargs())
    except ValueError as err:
        with left:
            st.error(f"This window does not fit a vector of {x.size} values: {err}", icon="⚠️")
        return None
    n_out = res.out.shape[1]
    dy = np.ones(n_out)
    with right:
        dy_text = st.text_input(f"dL/dy ({n_out} numbers; empty for all ones)", key="matrix_vector_dy",
                                max_chars=PASTE_BOX_CHARS)
        if dy_text.strip():
            try:
                typed = _parse_vector(dy_text, "dL/dy")
                if typed.size != n_out:
                    raise GridError(f"dL/dy: y has {n_out} values, but {typed.size} were given")
                dy = typed
                state.set_extra(**{VECTOR_DY: _vector_text(dy)})
            except GridError as err:
                st.error(f"{md(err)}. Using all ones.", icon="⚠️")
        else:
            state.set_extra(**{VECTOR_DY: None})
    return _case(x[None, :], dy[None, :], window, view.tie_policy, True)


# --------------------------------------------------------------------------- the selected row


def selected_row(case: MatrixCase) -> int:
    """The selected row of S (an output cell), from the link, clamped to y."""
    H_out, W_out = case.y.shape
    key = ROW_1D if case.one_d else ROW_2D
    raw = state.get_extra(key)
    try:
        if case.one_d:
            i, j = 0, int(raw or 0) if len(raw or "") <= 9 else None
        else:
            i, j = (int(v) for v in (raw or "0,0").split(",")) if len(raw or "") <= 19 else (0, None)
        if j is None:
            raise ValueError(raw)
        asked = (i, j)
    except ValueError:
        i, j, asked = 0, 0, None
    i, j = min(max(i, 0), H_out - 1), min(max(j, 0), W_out - 1)
    state.link_cell_notice(key, raw, asked, (i, j), "y", (H_out, W_out))
    _store_row(case.one_d, i * W_out + j, W_out)
    return i * W_out + j


def _store_row(one_d: bool, row: int, W_out: int) -> None:
    i, j = divmod(int(row), W_out)
    if one_d:
        state.set_extra(**{ROW_1D: str(j)})
    else:
        state.set_extra(**{ROW_2D: f"{i},{j}"})


def _on_matrix_click(one_d: bool, W_out: int) -> None:
    cell = selected_cell(st.session_state.get("matrix_chart"))
    if cell is not None:
        _store_row(one_d, cell[0], W_out)


def _on_row_box(one_d: bool, W_out: int) -> None:
    _store_row(one_d, st.session_state["matrix_row_box"], W_out)


def row_box(case: MatrixCase, row: int) -> None:
    """A select box over the rows of S, for keyboards (clicking S does the same)."""
    st.session_state["matrix_row_box"] = row
    y = case.y.reshape(-1)
    st.selectbox(
        "Selected row of S: an output cell (or click a non-zero entry of S)",
        list(range(case.n_out)),
        key="matrix_row_box",
        on_change=_on_row_box,
        args=(case.one_d, case.y.shape[1]),
        format_func=lambda o: f"row {o}: {case.out_label(o)} = {format_value(y[o])}",
    )


# --------------------------------------------------------------------------- equations with numbers


def _weight(w: float) -> str:
    for k in range(2, 65):
        if abs(w * k - 1) < 1e-12:
            return rf"\tfrac{{1}}{{{k}}}"
    return latex_number(w)


def _sum(terms: list[str]) -> str:
    if not terms:
        return "0"
    if len(terms) > MAX_PRINTED_TERMS:
        terms = [*terms[:MAX_PRINTED_TERMS], r"\dots"]
    return " + ".join(terms).replace("+ -", "- ")


def row_equation(case: MatrixCase, row: int) -> str:
    """LaTeX: output ``row`` as row ``row`` of S times x, term by term, with the numbers plugged in."""
    r = case.routing
    mine = r.output_index == row
    cols, weights = r.input_index[mine], r.weight[mine]
    x = case.x.reshape(-1)
    symbols = _sum([rf"{_weight(w)} \cdot {case.in_tex(c)}" for c, w in zip(cols, weights)])
    numbers = _sum([rf"{_weight(w)} \cdot {latex_factor(x[c])}" for c, w in zip(cols, weights)])
    value = latex_number(case.s_times_x()[row])
    return rf"{case.out_tex(row)} = S_{{{row},:}}\,x = {symbols} = {numbers} = {value}"


def column_equations(case: MatrixCase, row: int) -> tuple[list[str], str | None]:
    """LaTeX: dL/dx at each input cell of the selected window, as a column of S times dL/dy.

    Cells whose column of S is empty (they receive nothing) share one line; the sentence returned
    with the lines says which they are (None when there are none).
    """
    r = case.routing
    dy = case.dy.reshape(-1)
    dx = case.dx.reshape(-1)
    lines, empty = [], []
    for c in case.window_columns(row)[:MAX_PRINTED_TERMS]:
        mine = r.input_index == c
        outs, weights = r.output_index[mine], r.weight[mine]
        grad = rf"\frac{{\partial L}}{{\partial {case.in_tex(c)}}}"
        if not len(outs):
            empty.append(c)
            continue
        symbols = _sum(
            [rf"{_weight(w)} \cdot \frac{{\partial L}}{{\partial {case.out_tex(o)}}}" for o, w in zip(outs, weights)]
        )
        numbers = _sum([rf"{_weight(w)} \cdot {latex_factor(dy[o])}" for o, w in zip(outs, weights)])
        column = rf"(S^\top)_{{{c},:}}\,\frac{{\partial L}}{{\partial y}}"
        lines.append(rf"{grad} = {column} = {symbols} = {numbers} = {latex_number(dx[c])}")
    note = None
    if empty:
        cells = ", ".join(case.in_label(c) for c in empty)
        note = (
            f"{cells} receive{'s' if len(empty) == 1 else ''} nothing (dL/dx = 0): "
            f"{'its column' if len(empty) == 1 else 'their columns'} of S "
            f"{'is' if len(empty) == 1 else 'are'} all zeros."
        )
    return lines, note


def _bmatrix(rows: list[list[str]]) -> str:
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(r) for r in rows) + r"\end{bmatrix}"


def full_products(case: MatrixCase, row: int) -> list[str] | None:
    """LaTeX of ``y = S x`` and ``(dL/dx)^T = (dL/dy)^T S`` in full, or None when S is too big to print."""
    if case.n_out > MAX_PRINTED_SIDE or case.n_in > MAX_PRINTED_SIDE:
        return None
    S = pooling.selection_matrix(case.res, case.tie_policy)
    mark = r"\textcolor{#ff00ff}"  # figures.HIGHLIGHT, as in the figures: the selected row

    def entry(o: int, text: str) -> str:
        return rf"{mark}{{{text}}}" if o == row else text

    y = case.s_times_x()
    s_rows = [[entry(o, _weight(w) if w else "0") for w in S[o]] for o in range(case.n_out)]
    y_col = [[entry(o, latex_number(y[o]))] for o in range(case.n_out)]
    x_row = [[latex_number(v) for v in case.x.reshape(-1)]]
    dy_row = [[entry(o, latex_number(v)) for o, v in enumerate(case.dy.reshape(-1))]]
    dx_row = [[latex_number(v) for v in case.dx.reshape(-1)]]
    # x gets a line of its own: S and x side by side (up to 16 + 16 columns) are wider than the page.
    return [
        rf"\underbrace{{{_bmatrix(y_col)}}}_{{S\,x}} = \underbrace{{{_bmatrix(s_rows)}}}_{{S}}\,x",
        rf"x = {_bmatrix(x_row)}^\top",
        rf"\underbrace{{{_bmatrix(dx_row)}}}_{{(\partial L/\partial x)^\top}} = "
        rf"\underbrace{{{_bmatrix(dy_row)}}}_{{(\partial L/\partial y)^\top}}\,S",
    ]


def forward_check(case: MatrixCase) -> tuple[bool, str]:
    """Whether S x reproduces y, and a sentence saying so (or why not, for this tie rule)."""
    sx = case.s_times_x()
    y = case.y.reshape(-1)
    same = np.isclose(sx, y, rtol=1e-12, atol=0, equal_nan=True)
    if same.all():
        return True, (
            f"S x reproduces y in all {case.n_out} rows: with the winners fixed, max pooling is this "
            "linear map, and the backward pass is its transpose."
        )
    bad = np.nonzero(~same)[0]
    where = ", ".join(case.out_label(o) for o in bad[:4]) + (" …" if len(bad) > 4 else "")
    empty = case.res.indices.reshape(-1)[bad] < 0
    if empty.all():
        return False, (
            f"S x differs from y in {len(bad)} row{'s' if len(bad) != 1 else ''} ({where}): "
            f"{'that window lies' if len(bad) == 1 else 'those windows lie'} wholly in padding, so "
            f"{'its row is' if len(bad) == 1 else 'their rows are'} empty while y is −∞ there. "
            "Every other row of S x equals y."
        )
    reasons = []
    if empty.any():
        reasons.append("a window lying wholly in padding has an empty row, while its y is −∞")
    if case.tie_policy == "all":
        reasons.append(
            "under 'all' a tied window's row holds a 1 for every tied maximum, so S x counts the "
            "maximum once per tied cell"
        )
    if case.tie_policy == "none":
        reasons.append("under 'none' a tied window's row is empty, so S x gives 0 there")
    because = "; ".join(reasons) or "the rows of S do not sum to 1 on the window's maximum"
    return False, (
        f"S x differs from y in {len(bad)} row{'s' if len(bad) != 1 else ''} ({where}): {because}. "
        "S still says where the backward pass sends each dL/dy, but it is no longer the forward pass."
    )


# --------------------------------------------------------------------------- figures

def matrix_figure(case: MatrixCase, row: int) -> None:
    """S with the selected row outlined; clicking a non-zero entry selects its row."""
    r = case.routing
    fig = make_selection_matrix_figure(
        r.output_index,
        r.input_index,
        r.weight,
        (case.n_out, case.n_in),
        out_labels=[case.out_label(o) for o in range(case.n_out)],
        in_labels=[case.in_label(c) for c in range(case.n_in)],
        selected_row=row,
        window_columns=case.window_columns(row),
        title=f"S under '{case.tie_policy}': {case.n_out} rows (outputs) × {case.n_in} columns (inputs)",
        font_scale=presentation.font_scale(),
    )
    st.plotly_chart(
        fig,
        key="matrix_chart",
        on_select=partial(_on_matrix_click, case.one_d, case.y.shape[1]),
        selection_mode="points",
        config={"displayModeBar": False},
        width="content" if fig.layout.width else "stretch",
    )


def grid_figures(case: MatrixCase, row: int) -> None:
    """x with the selected row's window outlined, y = S x with its cell, and dL/dx = Sᵀ dL/dy, side by side."""
    cell = divmod(row, case.y.shape[1])
    W = case.x.shape[1]
    receivers = case.routing.input_index[case.routing.output_index == row]
    counts = pooling.win_counts(case.res, case.tie_policy)
    padding = case.res.geometry.padding
    size = figure_size(case.x.shape)
    tied = pooling.tied_cells(case.res)
    marks = dict(winner_mask=counts > 0, win_counts=counts, tie_mask=tied) if size["marks"] else {}
    figs = {
        "matrix_x_chart": make_grid_figure(
            case.x,
            name="x",
            title="x: the selected row's window",
            **marks,
            highlight_cells=case.window_cells(row),
            padding=padding,
            height=presentation.grown(size["height"]),
            font_scale=presentation.font_scale(),
        ),
        "matrix_y_chart": make_grid_figure(
            case.y,
            name="y",
            title="y = maxpool(x)",
            highlight_cells=np.array([cell]),
            height=presentation.grown(size["height"]),
            font_scale=presentation.font_scale(),
        ),
        "matrix_dx_chart": make_grid_figure(
            case.dx,
            name="dL/dx",
            kind="gradient",
            title="dL/dx = Sᵀ dL/dy",
            **marks,
            highlight_cells=np.array([divmod(int(c), W) for c in receivers]).reshape(-1, 2) if len(receivers) else None,
            padding=padding,
            height=presentation.grown(size["height"]),
            font_scale=presentation.font_scale(),
        ),
    }
    for col, (key, fig) in zip(st.columns(3), figs.items()):
        with col:
            st.plotly_chart(fig, key=key, config={"displayModeBar": False})
