"""The network page's pieces: the kernel editor, the forward and backward pass of
conv -> ReLU -> max pooling on the view's x, their figures, and the finite-difference check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import pooling
from figures import format_value, make_grid_figure
from figures.network import make_kernel_check_figure
from pooling import network
from ui import grids, presentation, state
from ui.codec import DEFAULT_X, GridError, format_grid, parse_grid
from ui.model import Window, window_of
from ui.text import latex_number, md

KERNEL_SIZES = (2, 3)
MAX_KERNEL_VALUE = 100.0
"""Kernel entries are kept within ±this (number inputs and links alike)."""
LINK_KEY = "conv"
DEFAULT_KERNEL = np.array([[1.0, 0.0], [0.0, -1.0]])
AGREEMENT = 1e-6
"""Largest relative error at which the finite differences count as agreeing."""
MAX_LISTED = 5
MAX_TERMS = 4

PRESETS = {
    "diagonal": ("Diagonal difference", {2: [[1, 0], [0, -1]], 3: [[1, 0, 0], [0, 0, 0], [0, 0, -1]]}),
    "vertical": ("Vertical edges", {2: [[1, -1], [1, -1]], 3: [[1, 0, -1], [2, 0, -2], [1, 0, -1]]}),
    "horizontal": ("Horizontal edges", {2: [[1, 1], [-1, -1]], 3: [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]}),
    "blur": ("Average", {2: [[0.25, 0.25], [0.25, 0.25]], 3: [[1 / 9] * 3] * 3}),
}


NETWORK_X = np.array(
    [[7, 12, 3, 18, 5], [14, 1, 20, 9, 16], [4, 22, 11, 2, 13], [19, 8, 15, 24, 6], [10, 17, 21, 23, 25]],
    dtype=np.float64,
)
"""The page's starting x when the view still holds the default 4×4 grid: through a 2×2 kernel that grid
leaves a 3×3 z and so a single 2×2 pooling window; this 5×5 one leaves a 4×4 z and four windows."""
OPENED = "_network_opened"


def open_with_several_windows() -> str | None:
    """On the session's first visit, swap the untouched default x for `NETWORK_X`; a note saying so, or None.

    A grid the user typed or linked is never replaced.
    """
    if st.session_state.get(OPENED):
        return None
    st.session_state[OPENED] = True
    v = state.view()
    if not np.array_equal(v.x, DEFAULT_X) or state.opened_with_link():
        return None
    # The default window overlaps (stride 1), which leaves several windows on the default x's z already.
    z_shape = (v.x.shape[0] - DEFAULT_KERNEL.shape[0] + 1, v.x.shape[1] - DEFAULT_KERNEL.shape[1] + 1)
    try:
        out = pooling.pool_geometry(
            z_shape, v.kernel, stride=v.stride, padding=v.padding, dilation=v.dilation, ceil_mode=v.ceil_mode
        ).out_shape
    except ValueError:
        out = (0, 0)
    if out[0] * out[1] > 1:
        return None
    grids.set_grid("x", NETWORK_X)
    return (
        "The default 4×4 x would leave a single pooling window here, so this page starts on a 5×5 x "
        "(the Explorer shows it too)."
    )


def _entry_key(a: int, b: int) -> str:
    return f"net_k_{a}_{b}"


def parse_kernel(text: str) -> np.ndarray:
    """A kernel from its link text (``"1,0;0,-1"``): 2x2 or 3x3, finite, within ±MAX_KERNEL_VALUE."""
    kernel = parse_grid(text, name=LINK_KEY)
    if kernel.shape not in ((n, n) for n in KERNEL_SIZES):
        raise GridError(f"{LINK_KEY}: the kernel is {kernel.shape[0]}×{kernel.shape[1]}; it must be 2×2 or 3×3")
    if not np.isfinite(kernel).all() or np.abs(kernel).max() > MAX_KERNEL_VALUE:
        raise GridError(
            f"{LINK_KEY}: kernel values must be finite numbers from {-MAX_KERNEL_VALUE:g} to {MAX_KERNEL_VALUE:g}"
        )
    return kernel


def kernel_from_link() -> tuple[np.ndarray, str | None]:
    """The kernel the link holds, or the default and the reason the link's could not be used."""
    text = state.get_extra(LINK_KEY)
    if text is None:
        return DEFAULT_KERNEL.copy(), None
    try:
        return parse_kernel(text), None
    except GridError as err:
        return DEFAULT_KERNEL.copy(), str(err)


def set_kernel(kernel: np.ndarray) -> None:
    """Make ``kernel`` the page's kernel: in the link and in the number inputs."""
    kernel = np.asarray(kernel, dtype=np.float64)
    state.set_extra(**{LINK_KEY: format_grid(kernel)})
    st.session_state["net_ksize"] = kernel.shape[0]
    for a, b in np.ndindex(*kernel.shape):
        st.session_state[_entry_key(a, b)] = float(kernel[a, b])


def _resize_kernel() -> None:
    n = st.session_state["net_ksize"]
    current, _ = kernel_from_link()
    set_kernel(state.resized(current, (n, n), 0.0))


def _apply_preset(name: str) -> None:
    n = st.session_state["net_ksize"]
    set_kernel(np.array(PRESETS[name][1][n], dtype=np.float64))


def kernel_editor() -> np.ndarray:
    """Size choice, presets and one number input per entry; returns the kernel K."""
    kernel, problem = kernel_from_link()
    if problem:
        st.warning(f"The link's kernel could not be used ({md(problem)}); showing the default kernel.", icon="🔗")
    state.seed_widget("net_ksize", kernel.shape[0])
    st.radio(
        "Kernel size",
        KERNEL_SIZES,
        key="net_ksize",
        format_func=lambda n: f"{n}×{n}",
        horizontal=True,
        on_change=_resize_kernel,
    )
    n = st.session_state["net_ksize"]
    if kernel.shape != (n, n):
        kernel = state.resized(kernel, (n, n), 0.0)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption("Start from:")
        for name, (label, _) in PRESETS.items():
            st.button(label, key=f"net_preset_{name}", on_click=_apply_preset, args=(name,), width="content")
    values = np.empty((n, n))
    for a in range(n):
        for column, b in zip(st.columns(n), range(n)):
            key = _entry_key(a, b)
            state.seed_widget(key, float(kernel[a, b]))
            with column:
                values[a, b] = st.number_input(
                    f"K[{a}, {b}]", -MAX_KERNEL_VALUE, MAX_KERNEL_VALUE, step=0.5, format="%g", key=key
                )
    state.set_extra(**{LINK_KEY: format_grid(values)})
    return values


@dataclass(frozen=True, eq=False)
class NetworkView:
    """Everything the network page shows for one view and kernel."""

    net: network.NetworkForward
    grads: network.NetworkGradients
    dy: np.ndarray
    tie_policy: str
    window: Window
    win_counts: np.ndarray
    kinks: network.Kinks
    check: network.KernelFiniteDifferences | None
    notices: list[str]


def compute(kernel: np.ndarray) -> NetworkView | str:
    """Run the network on the view's x with the sidebar's window; a message when it does not fit."""
    view = state.view()
    window = window_of(view)
    x = view.x
    if kernel.shape[0] > x.shape[0] or kernel.shape[1] > x.shape[1]:
        return (
            f"The {kernel.shape[0]}×{kernel.shape[1]} kernel does not fit the {x.shape[0]}×{x.shape[1]} "
            "input x: make x larger on the Explorer page, or choose a smaller kernel."
        )
    try:
        net = network.network_forward(x, kernel, window.kernel, **window.kwargs())
    except ValueError as err:
        h, w = x.shape[0] - kernel.shape[0] + 1, x.shape[1] - kernel.shape[1] + 1
        return (
            f"The sidebar's pooling window does not fit the {h}×{w} convolution output: {err}. "
            "Make x larger on the Explorer page, choose a smaller kernel, or change the window."
        )
    notices = []
    if view.dy is None:
        dy = np.ones(net.y.shape)
    elif view.dy.shape == net.y.shape:
        dy = view.dy
    else:
        dy = state.resized(view.dy, net.y.shape, 1.0)
        notices.append(
            f"The Explorer's dL/dy is {view.dy.shape[0]}×{view.dy.shape[1]}, but y here is "
            f"{net.y.shape[0]}×{net.y.shape[1]}: kept the values that fit and filled the rest with 1."
        )
    finite = bool(np.isfinite(x).all())
    check = network.kernel_finite_differences(dy, net) if finite else None
    return NetworkView(
        net=net,
        grads=network.network_backward(dy, net, view.tie_policy),
        dy=dy,
        tie_policy=view.tie_policy,
        window=window,
        win_counts=pooling.win_counts(net.pool, view.tie_policy),
        kinks=network.kinks(net),
        check=check,
        notices=notices,
    )


def figures(nv: NetworkView) -> dict:
    """Forward row (x, z, a, y) above the backward row (dL/dx, dL/dz, dL/da, dL/dy); drawn and returned."""
    net, grads = nv.net, nv.grads
    geom = net.pool.geometry
    winners = nv.win_counts > 0
    windows = [geom.window_cells(i, j) for i in range(geom.out_shape[0]) for j in range(geom.out_shape[1])]
    # One height per row, so the four grids of a row line up whatever their sizes.
    pad = geom.padding[0]
    forward_h = _row_height(net.x.shape[0], net.z.shape[0] + 2 * pad, net.y.shape[0])
    backward_h = _row_height(net.x.shape[0], net.z.shape[0] + 2 * pad, nv.dy.shape[0])
    scale = presentation.font_scale()
    forward_h, backward_h = presentation.grown(forward_h), presentation.grown(backward_h)
    figs = {
        "x": make_grid_figure(net.x, name="x", title="x: input", height=forward_h, font_scale=scale),
        "z": make_grid_figure(net.z, name="z", title="z = conv(x, K)", height=forward_h, font_scale=scale),
        "a": make_grid_figure(
            net.a,
            name="a",
            title="a = relu(z) · ◥ winner · ● tie",
            winner_mask=winners,
            win_counts=nv.win_counts,
            tie_mask=pooling.tied_cells(net.pool),
            window_cells=windows,
            padding=geom.padding,
            height=forward_h,
            font_scale=scale,
        ),
        "y": make_grid_figure(net.y, name="y", title="y = maxpool(a)", height=forward_h, font_scale=scale),
        "dx": make_grid_figure(
            grads.dx, name="dL/dx", kind="gradient", title="dL/dx", height=backward_h, font_scale=scale
        ),
        "dz": make_grid_figure(
            grads.dz,
            name="dL/dz",
            kind="gradient",
            title="dL/dz = dL/da · [z > 0]",
            winner_mask=winners,
            height=backward_h,
            font_scale=scale,
        ),
        "da": make_grid_figure(
            grads.da,
            name="dL/da",
            kind="gradient",
            title="dL/da: only winners",
            winner_mask=winners,
            tie_mask=pooling.tied_cells(net.pool),
            padding=geom.padding,
            height=backward_h,
            font_scale=scale,
        ),
        "dy": make_grid_figure(
            nv.dy, name="dL/dy", kind="gradient", title="dL/dy: upstream", height=backward_h, font_scale=scale
        ),
    }
    config = {"displayModeBar": False}
    st.markdown("**Forward**, left to right")
    for column, name in zip(st.columns(4), ("x", "z", "a", "y")):
        with column:
            st.plotly_chart(figs[name], key=f"net_{name}_chart", config=config)
    st.markdown("**Backward**, right to left: each layer multiplies by its local derivative")
    for column, name in zip(st.columns(4), ("dx", "dz", "da", "dy")):
        with column:
            st.plotly_chart(figs[name], key=f"net_{name}_chart", config=config)
    return figs


def _row_height(*rows: int) -> int:
    """Pixel height for a row of figures whose tallest grid has ``max(rows)`` rows."""
    return int(min(max(max(rows) * 34 + 96, 260), 560))


def _listed(items: list[str]) -> str:
    shown = items[:MAX_LISTED]
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more else "")


def kink_warning(nv: NetworkView) -> str | None:
    """Why the finite differences may disagree at this point, or None when it sits on no kink."""
    found = nv.kinks
    if not found:
        return None
    parts = []
    if found.ties:
        ties = [
            f"window ({i}, {j}) has its maximum {format_value(nv.net.y[i, j])} at "
            + ", ".join(f"a[{r}, {c}]" for r, c in cells)
            for (i, j), cells in found.ties
        ]
        parts.append("a tie: " + _listed(ties))
    if found.relu_kinks:
        cells = [f"z[{r}, {c}] = 0" for r, c in found.relu_kinks]
        parts.append("a ReLU kink, in a window whose maximum is 0: " + _listed(cells))
    return (
        "This point sits on " + ", and on ".join(parts) + ". There L has no derivative in the kernel, only "
        "one-sided slopes: the forward and backward differences can disagree, the central difference is their "
        f"average, and the backward pass reports one subgradient, the one the tie rule '{nv.tie_policy}' picks "
        "(and ReLU's slope 0 at z = 0, as in PyTorch). Change a kernel entry a little to step off the kink."
    )


def check_verdict(nv: NetworkView) -> tuple[str, str]:
    """("success" | "warning" | "error", sentence) about the finite-difference check."""
    if nv.check is None:
        return "warning", (
            "x holds NaN or ±inf, which the convolution spreads to every output that reads it: "
            "the finite-difference check needs finite x (edit it on the Explorer page)."
        )
    err = pooling.relative_error(nv.grads.dweight, nv.check.central)
    one_sided = max(
        pooling.relative_error(nv.grads.dweight, nv.check.forward),
        pooling.relative_error(nv.grads.dweight, nv.check.backward),
    )
    step = f"step h = {nv.check.step:.3g}"
    if err <= AGREEMENT and one_sided <= AGREEMENT:
        return "success", (
            f"The finite differences agree with the backward pass: largest relative error {err:.1e} ({step})."
        )
    if err <= AGREEMENT:
        return "warning", (
            f"The central difference agrees with the backward pass (relative error {err:.1e}), "
            f"but the one-sided differences do not ({one_sided:.1e}; {step})."
        )
    return ("warning" if nv.kinks else "error"), (
        f"The finite differences disagree with the backward pass: relative error {err:.1e} ({step})."
    )


def check_panel(nv: NetworkView) -> dict:
    """dL/dK as a grid, and the check against finite differences; returns the figures by name."""
    figs = {
        "dk": make_grid_figure(
            nv.grads.dweight,
            name="dL/dK",
            kind="gradient",
            title=f"dL/dK (backward pass, '{nv.tie_policy}')",
            height=presentation.grown(300),
            font_scale=presentation.font_scale(),
        )
    }
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.plotly_chart(figs["dk"], key="net_dk_chart", config={"displayModeBar": False})
    with right:
        level, sentence = check_verdict(nv)
        {"success": st.success, "warning": st.warning, "error": st.error}[level](sentence)
        warning = kink_warning(nv)
        if warning:
            st.warning(warning, icon=":material/warning:")
        if nv.check is not None:
            kinked = bool(nv.kinks) or not np.allclose(nv.check.forward, nv.check.backward)
            figs["check"] = make_kernel_check_figure(
                nv.grads.dweight,
                nv.check.central,
                tie_policy=nv.tie_policy,
                forward=nv.check.forward if kinked else None,
                backward=nv.check.backward if kinked else None,
                height=presentation.grown(320),
                font_scale=presentation.font_scale(),
            )
            st.plotly_chart(figs["check"], key="net_check_chart", config={"displayModeBar": False})
    if nv.check is not None:
        st.table(check_table(nv))  # full width: four columns of six-digit numbers overflow the narrow column
    return figs


def check_table(nv: NetworkView) -> pd.DataFrame:
    """One row per kernel entry: the backward pass and the three finite differences, as printed numbers."""
    columns = {
        f"backward pass ('{nv.tie_policy}')": nv.grads.dweight,
        "central": nv.check.central,
        "forward (+h)": nv.check.forward,
        "backward (−h)": nv.check.backward,
    }
    data = {name: [_exact(v) for v in values.ravel()] for name, values in columns.items()}
    index = [f"K[{a},{b}]" for a, b in np.ndindex(*nv.net.weight.shape)]
    return pd.DataFrame(data, index=index)


def _exact(v: float) -> str:
    """Six significant digits: finite-difference noise sits far below that, and a tie's half-way
    central difference (253.5 next to 253) must stay visible."""
    return f"{float(v) + 0.0:.6g}".replace("inf", "∞").replace("-", "−")


def _latex(v: float) -> str:
    return latex_number(v) if not np.isfinite(v) else f"{float(v) + 0.0:.6g}"


def _factor(v: float) -> str:
    """A term of a product: a negative number in parentheses."""
    s = _latex(v)
    return f"({s})" if s.startswith("-") else s


def kernel_math(nv: NetworkView) -> list[str]:
    """LaTeX: dL/dK[a, b] as the sum over the cells of z that pass gradient, with numbers."""
    dz, x = nv.grads.dz, nv.net.x
    active = list(zip(*np.nonzero(dz)))
    lines = [
        r"\frac{\partial L}{\partial K_{a,b}} = \sum_{i,j} \frac{\partial L}{\partial z_{i,j}}\, x_{i+a,\,j+b}"
        rf"\quad\text{{with {len(active)} non-zero term{'s' if len(active) != 1 else ''}}}"
    ]
    for a, b in np.ndindex(*nv.net.weight.shape):
        head = rf"\frac{{\partial L}}{{\partial K_{{{a},{b}}}}} = "
        total = _latex(nv.grads.dweight[a, b])
        if not active:
            lines.append(head + "0")
            continue
        shown = active[:MAX_TERMS]
        symbols = " + ".join(rf"{_factor(dz[i, j])} \cdot x_{{{i + a},{j + b}}}" for i, j in shown)
        numbers = " + ".join(rf"{_factor(dz[i, j])} \cdot {_factor(x[i + a, j + b])}" for i, j in shown)
        if len(active) > MAX_TERMS:
            more = rf" + \dots\ (\text{{{len(active) - MAX_TERMS} more}})"
            symbols += more
            numbers += more
        lines.append(head + symbols + " = " + numbers + " = " + total)
    return lines


def chain_caption(nv: NetworkView) -> str:
    """The shapes along the chain, in one line."""
    shapes = [nv.net.x.shape, nv.net.z.shape, nv.net.y.shape]
    x_s, z_s, y_s = (f"{h}×{w}" for h, w in shapes)
    return (
        f"x ({x_s}) → z = conv(x, K) ({z_s}) → a = relu(z) ({z_s}) → y = maxpool(a) ({y_s}; "
        f"{nv.window.describe()}) → L = Σ dL/dy · y. Tie rule: '{nv.tie_policy}'."
    )
