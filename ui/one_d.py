"""The 1-D page's pieces: the signal and its window controls (all in the link), the pooled signal, its math.

Numbers from ``pooling.max_pool1d`` (the 2-D core on a 1×L plane) and
``pooling.max_pool2d_backward``; drawn by the linked picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

import pooling
from figures import format_value
from figures.export import Panel
from figures.linked import linked_payload
from ui import export, links, state
from ui.codec import MAX_GRID_SIDE, MAX_PARAM_CHARS, GridError, format_grid, parse_grid
from ui.linked import linked_picture
from ui.text import latex_number, md

QUESTION_SIGNAL = np.array([5.0, 1.0, 3.0, 2.0])
"""The question's x = [x1, x2, x3, x4] with x1 the largest, pooled by one window over all four."""

# (link key, widget key, label, minimum, default)
_WINDOW = [
    ("k1", "od_k", "kernel", 1, 4),
    ("s1", "od_s", "stride", 1, 4),
    ("p1", "od_p", "padding", 0, 0),
    ("d1", "od_d", "dilation", 1, 1),
]


def _parse_signal(text: str, key: str) -> np.ndarray:
    grid = parse_grid(text, name=key)
    if grid.shape[0] != 1:
        raise GridError(f"{key}: a signal is one row of numbers separated by commas, like 5,1,3,2")
    return grid[0]


def _signal_text(x: np.ndarray) -> str:
    return format_grid(np.asarray(x, float)[None, :])


def _parse_int(key: str, minimum: int):
    def parse(text: str) -> int:
        if len(text) > 3 or not text.strip().isdigit() or not minimum <= int(text) <= MAX_GRID_SIDE:
            raise ValueError(f"{key} must be a whole number from {minimum} to {MAX_GRID_SIDE}")
        return int(text)

    return parse


def _parse_flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("ceil1 must be 0 or 1")
    return text == "1"


@dataclass(frozen=True)
class Signal1d:
    x: np.ndarray
    dy_text: str | None  # None: all ones
    kernel: int
    stride: int
    padding: int
    dilation: int
    ceil_mode: bool


def _load_question() -> None:
    st.session_state.update(od_x=_signal_text(QUESTION_SIGNAL), od_dy="", od_k=4, od_s=4, od_p=0, od_d=1, od_ceil=False)


def _load_overlap() -> None:
    st.session_state.update(od_x="0,5,1,0", od_dy="", od_k=3, od_s=1, od_p=0, od_d=1, od_ceil=False)


def controls() -> Signal1d:
    """The signal, dL/dy and window inputs, seeded from the link (``sig``, ``sigdy``, ``k1``, ``s1``, ...)."""
    x = links.read("sig", lambda t: _parse_signal(t, "sig"), QUESTION_SIGNAL)
    dy_text = links.read("sigdy", lambda t: _signal_text(_parse_signal(t, "sigdy")), None)
    state.seed_widget("od_x", _signal_text(x))
    state.seed_widget("od_dy", dy_text or "")
    for key, widget, _, minimum, default in _WINDOW:
        state.seed_widget(widget, links.read(key, _parse_int(key, minimum), default))
    state.seed_widget("od_ceil", links.read("ceil1", _parse_flag, False))
    presets = st.columns(2)
    presets[0].button(
        "The question's x = [x1, x2, x3, x4]",
        key="od_question",
        on_click=_load_question,
        help="One window over all four values, x1 the largest.",
    )
    presets[1].button("Overlapping windows: [0, 5, 1, 0], kernel 3, stride 1", key="od_overlap", on_click=_load_overlap)
    text_x, text_dy = st.columns(2)
    # One character over the parser's limit, so a cut value still gets its "too long" message.
    raw_x = text_x.text_input(
        "Signal x (values separated by commas; nan, inf allowed)", key="od_x", max_chars=MAX_PARAM_CHARS + 1
    )
    raw_dy = text_dy.text_input("dL/dy (empty: all ones)", key="od_dy", max_chars=MAX_PARAM_CHARS + 1)
    cols = st.columns(5, vertical_alignment="bottom")
    window = {}
    for col, (key, widget, label, minimum, _) in zip(cols, _WINDOW):
        window[key] = int(col.number_input(label, minimum, MAX_GRID_SIDE, step=1, key=widget))
    ceil_mode = cols[4].checkbox("ceil mode", key="od_ceil")
    try:
        x = _parse_signal(raw_x, "signal")
        state.set_extra(sig=None if np.array_equal(x, QUESTION_SIGNAL) else _signal_text(x))
    except GridError as err:
        text_x.error(f"{md(str(err))}. Showing the last valid signal.", icon="⚠️")
        # The link still holds the last valid signal, so the view falls back to it.
    if raw_dy.strip():
        try:
            dy_text = _signal_text(_parse_signal(raw_dy, "dL/dy"))
        except GridError as err:
            text_dy.error(f"{md(str(err))}. Using all ones.", icon="⚠️")
            dy_text = None
    else:
        dy_text = None
    state.set_extra(sigdy=dy_text)
    for key, _, _, _, default in _WINDOW:
        state.set_extra(**{key: None if window[key] == default else str(window[key])})
    state.set_extra(ceil1="1" if ceil_mode else None)
    return Signal1d(x, dy_text, window["k1"], window["s1"], window["p1"], window["d1"], bool(ceil_mode))


@dataclass(frozen=True)
class Pooled1d:
    signal: Signal1d
    res: pooling.MaxPool1dResult
    dy: np.ndarray
    dx: np.ndarray
    tie_policy: str
    weights: np.ndarray  # (L_out, k): share of each window position
    notice: str | None


def pool(signal: Signal1d, tie_policy: str) -> Pooled1d | str:
    """Pool the signal; a message instead if the window does not fit."""
    try:
        res = pooling.max_pool1d(
            signal.x,
            signal.kernel,
            stride=signal.stride,
            padding=signal.padding,
            dilation=signal.dilation,
            ceil_mode=signal.ceil_mode,
        )
    except ValueError as err:
        return str(err)
    notice = None
    n_out = res.out.shape[0]
    dy = np.ones(n_out)
    if signal.dy_text is not None:
        given = _parse_signal(signal.dy_text, "sigdy")
        if given.shape[0] == n_out:
            dy = given
        else:
            notice = f"dL/dy has {given.shape[0]} values but y has {n_out}: using all ones. Give {n_out} values."
    dx = pooling.max_pool2d_backward(dy, res, tie_policy)
    weights = pooling.window_weights(res.plane, tie_policy)[0, :, 0, :]
    return Pooled1d(signal, res, dy, dx, tie_policy, weights, notice)


def window_lines(p: Pooled1d, j: int) -> list[str]:
    """LaTeX for output j: its window with the receivers boxed, the max, and what each receiver gets."""
    widx = p.res.geometry.window_index()[0, j, 0]
    terms = []
    for pos, w in zip(widx, p.weights[j]):
        if pos < 0:
            terms.append(r"-\infty")
            continue
        value = latex_number(p.signal.x[pos])
        term = rf"x_{{{pos + 1}}}{{=}}{value}"
        terms.append(rf"\boxed{{{term}}}" if w != 0 else term)
    lines = [rf"y_{{{j + 1}}} = \max({', '.join(terms)}) = {latex_number(p.res.out[j])}"]
    for pos, w in zip(widx, p.weights[j]):
        if pos >= 0 and w != 0:
            share = "" if w == 1 else rf"{latex_number(w)} \cdot "
            lines.append(
                rf"\frac{{\partial L}}{{\partial x_{{{pos + 1}}}}} \mathrel{{+}}= {share}"
                rf"\frac{{\partial L}}{{\partial y_{{{j + 1}}}}} = {share}{latex_number(p.dy[j])}"
            )
    return lines


def gradient_line(p: Pooled1d) -> str:
    """dL/dx as a vector with its numbers."""
    return r"\frac{\partial L}{\partial x} = [" + ", ".join(latex_number(v) for v in p.dx) + "]"


def figures(p: Pooled1d, j: int, *, font_scale: float = 1.0) -> dict:
    """x, y, dL/dy and dL/dx as one-row grids of the linked picture, output j pinned; hover follows a window."""
    geom = p.res.geometry
    window = geom.window_cells(0, j)
    wins = pooling.win_counts(p.res.plane, p.tie_policy)[0]
    receivers = np.array([(0, int(v)) for v, w in zip(geom.window_index()[0, j, 0], p.weights[j]) if v >= 0 and w])
    # The 2-D result of the same pooling on the 1×L plane, computed by pooling.max_pool1d: the picture's
    # windows are its rows (always [0]) and columns.
    payload = linked_payload(
        p.res.plane,
        p.dy[None],
        p.tie_policy,
        sel=(0, j),
        editable=(),
        font_scale=font_scale,
        pinnable=True,
        titles={"x": "x · the signal · ◥ winner · ● tie", "y": "y = maxpool1d(x)"},
    )
    export.offer(
        [
            Panel("x", p.signal.x[None], highlight=window, winners=wins[None] > 0),
            Panel("y = maxpool1d(x)", p.res.out[None], highlight=np.array([(0, j)])),
            Panel("dL/dy", p.dy[None], "gradient", highlight=np.array([(0, j)])),
            Panel("dL/dx", p.dx[None], "gradient", highlight=receivers if len(receivers) else None),
        ],
        f"1-D max pooling, kernel {p.signal.kernel}, stride {p.signal.stride}, tie rule '{p.tie_policy}'",
        "maxpool1d",
        columns=1,
    )
    linked_picture(payload, key="od_linked", on_pin=_pin_output)
    return {"od_linked": payload}


def _pin_output(cell: tuple[int, int] | None) -> None:
    """A click on y_j (or dL/dy_j) in the picture explains that output, as the select box does."""
    if cell is not None:
        st.session_state["od_sel"] = cell[1] + 1


def output_choice(p: Pooled1d) -> int:
    """Which output y_j to explain, kept in the link as ``sel1`` (1-based, like the question's names)."""
    n = p.res.out.shape[0]
    linked = links.read("sel1", _parse_int("sel1", 1), 1)
    if linked > n:
        st.caption(f"The link's output y{linked} does not exist (y has {n} values); showing y1.")
        linked = 1
    if st.session_state.get("od_sel", 1) > n:
        st.session_state["od_sel"] = 1
    state.seed_widget("od_sel", linked)
    j = st.selectbox(
        "Explain output",
        list(range(1, n + 1)),
        key="od_sel",
        format_func=lambda k: f"y{k} = {format_value(p.res.out[k - 1])}",
    )
    state.set_extra(sel1=None if j == 1 else str(j))
    return j - 1
