"""Wiring between a view and the core: run the pooling and collect what the pages show.

No maths lives here: every number comes from ``pooling``; this module only
decides which settings to use (the last valid ones when the current ones do
not fit) and gathers the results into one object.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

import pooling
from ui import state
from ui.codec import ViewState

LAST_GOOD = "_last_good_window"


@dataclass(frozen=True)
class Window:
    """Pooling settings as the core takes them."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ceil_mode: bool

    def kwargs(self) -> dict:
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, ceil_mode=self.ceil_mode)

    def describe(self) -> str:
        def pair(p):
            return str(p[0]) if p[0] == p[1] else f"{p[0]}×{p[1]}"

        return (f"kernel {pair(self.kernel)}, stride {pair(self.stride)}, padding {pair(self.padding)}, "
                f"dilation {pair(self.dilation)}{', ceil mode' if self.ceil_mode else ''}")


def window_of(view: ViewState) -> Window:
    return Window(view.kernel, view.stride or view.kernel, view.padding, view.dilation, view.ceil_mode)


@dataclass(frozen=True)
class Pooled:
    """Everything the explorer draws for one view.

    ``window`` is what was computed; ``problem`` says why it differs from the
    view's own settings (they did not fit), or is None.
    """

    x: np.ndarray
    dy: np.ndarray
    tie_policy: str
    window: Window
    res: pooling.MaxPoolResult
    dx: np.ndarray
    win_counts: np.ndarray
    problem: str | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def geometry(self) -> pooling.PoolGeometry:
        return self.res.geometry

    # Computed on first use: a full-resolution picture (the real-images page) never needs these.
    @functools.cached_property
    def ties(self) -> list:
        """``pooling.tie_report``: the windows whose maximum is tied, with their cells."""
        return pooling.tie_report(self.res)

    @functools.cached_property
    def tied_cells(self) -> np.ndarray:
        """``pooling.tied_cells``: (H, W) bool, the cells holding a window's maximum with another cell."""
        return pooling.tied_cells(self.res)

    @functools.cached_property
    def contributions(self) -> dict:
        """``pooling.contributions``: for each input cell, which windows sent it how much."""
        return pooling.contributions(self.dy, self.res, self.tie_policy)

    @functools.cached_property
    def tied_window_count(self) -> int:
        """How many windows have a tied maximum (two or more cells at the max)."""
        return int((pooling.tie_counts(self.res) >= 2).sum())

    @functools.cached_property
    def weights(self) -> np.ndarray:
        """``pooling.window_weights`` under the view's tie rule, (H_out, W_out, kH, kW), read-only.

        Kept here because one rerun asks for it several times (the window's math, its sentence, its sums).
        """
        return read_only(pooling.window_weights(self.res, self.tie_policy))

    @functools.cached_property
    def tied(self) -> tuple[np.ndarray, np.ndarray]:
        """``pooling.tied_mask``: (tied positions, flat input index of each window position), read-only."""
        return read_only(pooling.tied_mask(self.res))

    @property
    def window_index(self) -> np.ndarray:
        """``geometry.window_index()`` (flat input index of each window position, -1 in padding), read-only:
        the array `tied` came with, so it is not worked out again."""
        return self.tied[1]

    @property
    def y(self) -> np.ndarray:
        return self.res.out

    def receivers(self, i: int, j: int) -> np.ndarray:
        """(n, 2) int: the (row, col) of the cells window (i, j) sends gradient to under the tie rule."""
        weights = self.weights[i, j]
        flat = self.window_index[i, j][weights != 0]
        return np.stack(np.divmod(flat.astype(int), self.geometry.in_shape[1]), axis=-1).reshape(-1, 2)


def read_only(value, depth: int = 0):
    """``value`` with every numpy array reachable from it made read-only (itself, or through dataclass fields,
    tuples, lists and dicts): for what is computed once and then only read, by one rerun or by many sessions."""
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif depth < 8 and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            read_only(getattr(value, f.name), depth + 1)
    elif depth < 8 and isinstance(value, (tuple, list)):
        for item in value:
            read_only(item, depth + 1)
    elif depth < 8 and isinstance(value, dict):
        for item in value.values():
            read_only(item, depth + 1)
    return value


def pool_view(view: ViewState) -> Pooled | str:
    """Pool the view's x with its settings; fall back to the last settings that fit, or return a message."""
    found = pool_exact(view)
    if not isinstance(found, str):
        st.session_state[LAST_GOOD] = found.window
        return found
    fallback = st.session_state.get(LAST_GOOD)
    if fallback is None:
        return found
    return _pooled_with(view, fallback, problem=found)


def pool_exact(view: ViewState) -> Pooled | str:
    """Pool the view's x with its own settings, or return why they do not fit (no session: no fallback)."""
    return _pooled_with(view, window_of(view))


def _pooled_with(view: ViewState, window: Window, problem: str | None = None) -> Pooled | str:
    try:
        res = pooling.max_pool2d(view.x, window.kernel, **window.kwargs())
    except ValueError as err:
        return problem or str(err)
    dy, notice = fit_dy(view.dy, res.out.shape)
    return pooled_from(res, window, dy, view.tie_policy, problem=problem, notices=[notice] if notice else [])


def fit_dy(dy: np.ndarray | None, out_shape: tuple[int, int]) -> tuple[np.ndarray, str | None]:
    """The dL/dy the figures use for a y of ``out_shape``, and a notice naming both shapes when ``dy`` does not fit.

    ``dy`` itself is left as it is (in the view and so in the link): a link or an earlier edit
    is never rewritten behind the user's back; the notice says what is used instead.
    """
    if dy is None:
        return np.ones(out_shape), None
    if dy.shape == tuple(out_shape):
        return dy, None
    used = state.resized(dy, out_shape, 1.0)
    return used, dy_shape_notice(dy.shape, out_shape)


def dy_shape_notice(dy_shape: tuple[int, int], out_shape: tuple[int, int]) -> str:
    """The message for a dL/dy whose shape is not y's; it names both shapes."""
    return (
        f"dL/dy is {dy_shape[0]}×{dy_shape[1]}, but y = maxpool(x) is {out_shape[0]}×{out_shape[1]}, so they do "
        "not fit. The figures use dL/dy's values where the two overlap and 1 elsewhere; your dL/dy is kept as "
        "it is (the link too) until you edit it here or choose all ones."
    )


def pooled_from(res: pooling.MaxPoolResult, window: Window, dy: np.ndarray, tie_policy: str, *,
                problem: str | None = None, notices: list[str] | None = None) -> Pooled:
    """Everything the pages draw for one pooled plane, its upstream gradient and a tie rule."""
    return Pooled(
        x=res.x,
        dy=dy,
        tie_policy=tie_policy,
        window=window,
        res=res,
        dx=pooling.max_pool2d_backward(dy, res, tie_policy),
        win_counts=pooling.win_counts(res, tie_policy),
        problem=problem,
        notices=notices or [],
    )
