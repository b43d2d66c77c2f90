"""The shared sidebar controls: the pooling window and the tie rule.

They are drawn by ``app.py`` on every page, so they keep their values when the
user switches pages; their values are written into the view (and so the URL).
"""

from __future__ import annotations

import streamlit as st

import pooling
from ui import presentation, state
from ui.codec import MAX_PADDING, MAX_WINDOW_PARAM

TIE_LABELS = {
    "first": "first: the first maximum in reading order (PyTorch, TensorFlow, JAX)",
    "last": "last: the last maximum in reading order",
    "split": "split: an equal share to each tied maximum (full reductions)",
    "all": "all: full gradient to every tied maximum (wrong)",
    "none": "none: tied maxima get nothing (wrong)",
}

TIE_HELP = {
    "first": "What PyTorch, TensorFlow and JAX max pooling do with equal numbers (NaN differs): the first "
    "maximum in reading order (row by row, left to right) takes the whole gradient. Not universal: old Theano "
    "CPU pooling gave "
    "every tied maximum the gradient (the 'all' rule).",
    "last": "The last maximum in reading order takes the whole gradient. A valid choice, "
    "though none of PyTorch, TensorFlow, JAX, Torch7 or ONNX pooling uses it.",
    "split": "Each of the k tied maxima gets 1/k of the gradient. This is what torch.max(x) "
    "over a whole tensor does, and it is a valid subgradient too.",
    "all": "Each tied maximum gets the full gradient, so a window sends out k times what it "
    "received (old Theano CPU pooling did this). Not a subgradient: shown to see why it is wrong.",
    "none": "Tied maxima get nothing, so the window's gradient vanishes. Not a subgradient "
    "of max either: shown to test the claim that it is fine.",
}

# (widget key, view attribute, index in the pair, minimum, maximum)
_PAIR_WIDGETS = [
    ("k_h", "kernel", 0, 1, MAX_WINDOW_PARAM),
    ("k_w", "kernel", 1, 1, MAX_WINDOW_PARAM),
    ("s_h", "stride", 0, 1, MAX_WINDOW_PARAM),
    ("s_w", "stride", 1, 1, MAX_WINDOW_PARAM),
    ("p_h", "padding", 0, 0, MAX_PADDING),
    ("p_w", "padding", 1, 0, MAX_PADDING),
    ("d_h", "dilation", 0, 1, MAX_WINDOW_PARAM),
    ("d_w", "dilation", 1, 1, MAX_WINDOW_PARAM),
]


def _seed_from_view() -> None:
    v = state.view()
    stride = v.stride or v.kernel
    pairs = {"kernel": v.kernel, "stride": stride, "padding": v.padding, "dilation": v.dilation}
    for key, attr, i, _, _ in _PAIR_WIDGETS:
        state.seed_widget(key, pairs[attr][i])
    state.seed_widget("stride_same", v.stride is None)
    state.seed_widget("ceil", v.ceil_mode)
    state.seed_widget("tie", v.tie_policy)


def _pair_inputs(label: str, attr: str, help_text: str) -> tuple[int, int]:
    st.markdown(f"**{label}**", help=help_text)
    columns = st.columns(2)
    values = []
    for col, (key, _, i, lo, hi) in zip(columns * 2, [w for w in _PAIR_WIDGETS if w[1] == attr]):
        with col:
            values.append(st.number_input("height" if i == 0 else "width", lo, hi, step=1, key=key))
    return int(values[0]), int(values[1])


NOT_USED_HERE = (
    "The pooling window and the tie rule are not used on this page: each lesson sets its own. "
    "The settings are kept for the other pages."
)


def sidebar_controls(check_fit: bool = True, used: bool = True) -> None:
    """Draw the window and tie controls in the sidebar and write their values into the view.

    ``check_fit``: say next to the controls when the window does not fit the grid x. Pages
    that pool something else (an image, a convolution's output) check the fit themselves.
    ``used``: False on a page that ignores these settings; they are then left out (a live control
    that changes nothing, next to the page's own tie rule, misleads), and the view keeps their values.
    """
    if not used:
        with st.sidebar:
            presentation.toggle()
            st.caption(NOT_USED_HERE)
            # A link's window that does not fit x is still named here: the other pages will use it.
            v = state.view()
            problem = check_fit and window_problem(v.x.shape, v.kernel, v.stride, v.padding, v.dilation, v.ceil_mode)
            if problem:
                st.error(problem, icon="⚠️")
        return
    _seed_from_view()
    with st.sidebar:
        presentation.toggle()
        st.header("Pooling window")
        kernel = _pair_inputs("Kernel size", "kernel", "How many rows and columns each window spans.")
        same = st.checkbox("Stride = kernel size (PyTorch's default)", key="stride_same")
        stride = None
        if not same:
            stride = _pair_inputs("Stride", "stride", "How far the window moves between outputs. "
                                  "A stride smaller than the window makes windows overlap.")
        with presentation.secondary("Padding, dilation, ceil mode"):
            padding = _pair_inputs("Padding", "padding", "Rows and columns of −∞ added on each side. "
                                   "PyTorch allows at most half the kernel size.")
            dilation = _pair_inputs("Dilation", "dilation", "Spacing between the positions a window "
                                    "reads; 1 means no gaps.")
            ceil_mode = st.checkbox("Ceil mode", key="ceil", help="Round the output size up, keeping a "
                                    "last partial window. As in PyTorch, that window must start inside the grid "
                                    "or its top/left padding, never in the bottom/right padding.")
        problem = check_fit and window_problem(state.view().x.shape, kernel, stride, padding, dilation, ceil_mode)
        if problem:
            st.error(problem, icon="⚠️")
        st.header("Tie rule")
        tie = st.radio("Who gets the gradient when a window's maximum is tied?", pooling.TIE_POLICIES,
                       format_func=lambda p: TIE_LABELS[p], key="tie")
        if not presentation.is_on():
            st.caption(TIE_HELP[tie])
    state.update(kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                 ceil_mode=ceil_mode, tie_policy=tie)


def window_problem(in_shape, kernel, stride, padding, dilation, ceil_mode) -> str | None:
    """PyTorch's objection to these window settings on this grid, or None if they are fine."""
    try:
        pooling.pool_geometry(in_shape, kernel, stride=stride, padding=padding, dilation=dilation,
                              ceil_mode=ceil_mode)
    except ValueError as err:
        return f"These settings do not fit the {in_shape[0]}×{in_shape[1]} grid: {err}"
    return None
