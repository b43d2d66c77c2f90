"""The frameworks page's pieces: the padding-mode control, each framework's pooling of x, what differs.

Every number comes from ``pooling.framework_pool2d`` (plain numpy, one rule per
framework, from the facts in the project's semantics notes); nothing here
imports a framework.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import pooling
from figures.export import Panel
from figures.linked import framework_payload
from ui import export, grids, links, state
from ui.linked import linked_picture
from ui.model import window_of

NAMES = {"pytorch": "PyTorch", "tensorflow": "TensorFlow", "jax": "JAX / Flax", "keras": "Keras (TF backend)"}

CALLS = {
    "pytorch": "F.max_pool2d(x, k, stride, padding, ceil_mode=…)",
    "tensorflow": "tf.nn.max_pool2d(x, k, strides, padding)",
    "jax": "flax.linen.max_pool(x, window_shape, strides, padding)",
    "keras": "keras.layers.MaxPooling2D(pool_size, strides, padding)",
}

DEFAULT_STRIDES = {
    "pytorch": "kernel_size",
    "tensorflow": "none: strides is required",
    "jax": "1 (every position)",
    "keras": "pool_size",
}

NAN_RULES = {
    "pytorch": "y is NaN; gradient to the last NaN",
    "tensorflow": "y skips NaN; gradient to the first cell unless a larger one follows (a leading NaN keeps it)",
    "jax": "y is NaN; gradient follows the ≥ selection, which drops a NaN for what follows",
    "keras": "as TensorFlow",
}

NAN_EXAMPLE = np.array(
    [
        [np.nan, 1, 3, 2],
        [0, 2, np.nan, np.nan],
        [4, np.nan, np.nan, np.nan],
        [2, 2, np.nan, np.nan],
    ]
)
"""With kernel 2, stride 2 each window shows a different NaN rule; the bottom-right one is all NaN."""

SOURCES = """
**Sources.**
PyTorch: [MaxPool2d](https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html) (symmetric padding,
stride defaults to the kernel), NaN propagation in [pytorch#7670](https://github.com/pytorch/pytorch/pull/7670).
TensorFlow: [tf.nn.max_pool2d](https://www.tensorflow.org/api_docs/python/tf/nn/max_pool2d) and
[the notes on SAME padding](https://www.tensorflow.org/api_docs/python/tf/nn#notes_on_padding_2) (the odd pad
goes after); its `pooling_ops_test.py` expects an all-NaN window's gradient at the first NaN.
JAX/Flax: [flax.linen.max_pool](https://flax.readthedocs.io/en/latest/api_reference/flax.linen/layers.html)
(strides default to 1, see [flax#2023](https://github.com/google/flax/discussions/2023)), built on
[lax.reduce_window](https://jax.readthedocs.io/en/latest/_autosummary/jax.lax.reduce_window.html).
Keras: [MaxPooling2D](https://keras.io/api/layers/pooling_layers/max_pooling2d/) (strides default to
`pool_size`, 'valid' or 'same' as TensorFlow). Ties of equal values: the first maximum everywhere, as run on CPU
(PyTorch 2.13, JAX 0.10, TensorFlow 2.21).
"""


def _parse_mode(text: str) -> str:
    if text not in pooling.PADDING_MODES:
        raise ValueError("fwpad must be valid or same")
    return text


def padding_control() -> str:
    """'valid' or 'same' (TF/JAX/Keras padding), kept in the link as ``fwpad``."""
    state.seed_widget("fw_pad", links.read("fwpad", _parse_mode, "valid"))
    mode = st.radio(
        "Padding (TensorFlow, JAX, Keras)",
        pooling.PADDING_MODES,
        key="fw_pad",
        horizontal=True,
        format_func={"valid": "VALID: no padding", "same": "SAME: output = ⌈size / stride⌉"}.get,
    )
    state.set_extra(fwpad=None if mode == "valid" else mode)
    return mode


def _load_nan_example() -> None:
    grids.set_grid("x", NAN_EXAMPLE)
    st.session_state.update(k_h=2, k_w=2, stride_same=True)


def _load_same_example() -> None:
    grids.set_grid("x", np.arange(25.0).reshape(5, 5) % 7)
    st.session_state.update(k_h=2, k_w=2, stride_same=True, fw_pad="same")


def example_buttons() -> None:
    left, right = st.columns(2)
    left.button("NaN in every window (kernel 2)", key="fw_nan_example", on_click=_load_nan_example)
    right.button("SAME on a 5×5 grid (kernel 2, stride 2)", key="fw_same_example", on_click=_load_same_example)


@dataclass(frozen=True)
class Comparison:
    mode: str
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    results: dict  # framework -> pooling.FrameworkPool
    torch_settings: tuple | None  # ((pH, pW), ceil_mode) or None when PyTorch cannot place these windows
    reference: str  # the framework others are compared with


def compare(x: np.ndarray, mode: str) -> Comparison | str:
    """Each framework's pooling of x with the sidebar's kernel and stride and ``mode``; or a message."""
    window = window_of(state.view())
    kernel, stride = window.kernel, window.stride
    pads = tuple(pooling.framework_padding(n, k, s, mode) for n, k, s in zip(x.shape, kernel, stride))
    try:
        results = {
            fw: pooling.framework_pool2d(x, kernel, stride, framework=fw, pads=pads)
            for fw in ("tensorflow", "jax", "keras")
        }
    except ValueError as err:
        return f"{err} (with {mode.upper()} padding)."
    settings = pooling.pytorch_settings(x.shape, kernel, stride, mode)
    if settings is not None:
        results = {"pytorch": pooling.framework_pool2d(x, kernel, stride, framework="pytorch", pads=pads), **results}
    return Comparison(mode, kernel, stride, pads, results, settings, next(iter(results)))


def differing(c: Comparison, framework: str) -> tuple[np.ndarray, np.ndarray]:
    """Cells (row, col) where this framework's y, and its dL/dx, differ from the reference framework's."""
    ref, mine = c.results[c.reference], c.results[framework]
    y_diff = ~((ref.out == mine.out) | (np.isnan(ref.out) & np.isnan(mine.out)))
    dx_diff = ref.dx != mine.dx
    return np.argwhere(y_diff), np.argwhere(dx_diff)


def summary_table(c: Comparison) -> pd.DataFrame:
    rows = []
    for fw in ("pytorch", "tensorflow", "jax", "keras"):
        row = {"framework": NAMES[fw], "call": CALLS[fw], "default stride": DEFAULT_STRIDES[fw], "NaN": NAN_RULES[fw]}
        if fw in c.results:
            (top, bottom), (left, right) = c.pads
            if fw == "pytorch":
                (pH, pW), ceil_mode = c.torch_settings
                row["padding here"] = f"padding=({pH}, {pW})" + (", ceil_mode=True" if ceil_mode else "")
            else:
                row["padding here"] = f"{c.mode.upper()}: top {top}, bottom {bottom}, left {left}, right {right}"
            y_diff, dx_diff = differing(c, fw)
            row[f"y cells ≠ {NAMES[c.reference]}"] = len(y_diff)
            row[f"dL/dx cells ≠ {NAMES[c.reference]}"] = len(dx_diff)
        else:
            row["padding here"] = "no equivalent: PyTorch pads both sides equally"
        rows.append(row)
    table = pd.DataFrame(rows).set_index("framework")
    st.container(key="fw_table").dataframe(table, width="stretch")
    return table


def story(c: Comparison) -> str:
    """What differs here, in words."""
    (top, bottom), (left, right) = c.pads
    parts = []
    if c.mode == "same" and (top != bottom or left != right):
        parts.append(
            f"SAME pads top {top}, bottom {bottom}, left {left}, right {right}: the odd extra row or column goes "
            "after (bottom/right)."
        )
    if c.torch_settings is None:
        parts.append(
            "PyTorch pads both sides by the same amount, so no PyTorch call places these windows; the "
            "comparison is between the other three."
        )
    elif c.mode == "same":
        (pH, pW), ceil_mode = c.torch_settings
        parts.append(
            f"PyTorch places the same windows with padding=({pH}, {pW})"
            + (" and ceil_mode=True." if ceil_mode else ".")
        )
    counts = {fw: sum(len(d) for d in differing(c, fw)) for fw in c.results}
    if not any(counts.values()):
        parts.append(
            "With these windows and no NaN, all of them give the same y and the same dL/dx: ties go to "
            "the first maximum everywhere."
        )
    else:
        names = ", ".join(NAMES[fw] for fw, n in counts.items() if n)
        parts.append(
            f"{names} differ from {NAMES[c.reference]} in the cells marked with a dashed outline and a corner tag."
        )
    return " ".join(parts)


def figures(c: Comparison, x: np.ndarray, *, font_scale: float = 1.0) -> dict:
    """Per framework one linked picture of x, y and dL/dx (hover a window: who gets its gradient under that
    framework's rule), two frameworks per row; the cells that differ from the reference are marked
    (a dashed outline and a corner tag)."""
    payloads = {}
    y_panels, dx_panels = [], []
    items = list(c.results.items())
    for start in range(0, len(items), 2):
        columns = st.columns(2, gap="medium")
        for col, (fw, r) in zip(columns, items[start : start + 2]):
            y_diff, dx_diff = differing(c, fw)
            wins = np.zeros(x.shape, bool)
            wins.reshape(-1)[r.winners[r.winners >= 0]] = True
            y_mask = np.zeros(r.out.shape, bool)
            y_mask[tuple(y_diff.T)] = True
            dx_mask = np.zeros(x.shape, bool)
            dx_mask[tuple(dx_diff.T)] = True
            payloads[fw] = framework_payload(
                r,
                x,
                c.kernel,
                c.stride,
                label=NAMES[fw],
                marks={"y": y_mask, "dx": dx_mask},
                font_scale=font_scale,
            )
            y_panels.append(Panel(f"{NAMES[fw]}: y", r.out, highlight=y_diff if len(y_diff) else None))
            dx_panels.append(
                Panel(
                    f"{NAMES[fw]}: dL/dx", r.dx, "gradient", winners=wins, highlight=dx_diff if len(dx_diff) else None
                )
            )
            with col:
                st.markdown(f"**{NAMES[fw]}**" + (" (the reference)" if fw == c.reference else ""))
                linked_picture(payloads[fw], key=f"fw_linked_{fw}")
    export.offer(y_panels + dx_panels, f"Max pooling by framework ({c.mode.upper()})", "frameworks", len(y_panels))
    return payloads
