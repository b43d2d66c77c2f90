"""Numerical checks of the backward pass: finite differences and subgradients.

Both treat the scalar ``L(x) = sum(dL/dy * maxpool(x))`` (windows lying wholly
in padding are left out: they have no winner). Finite differences perturb
every input cell at once in batches, so no Python loop runs over cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .adaptive import AdaptiveGeometry, adaptive_max_pool2d
from .maxpool import MaxPoolResult, check_tie_policy, max_pool2d, tied_mask, window_weights

BATCH_ELEMENTS = 1 << 22
"""How many input elements one batch of perturbed copies may hold (32 MiB of float64)."""


def _require_plane(x: np.ndarray) -> None:
    if x.ndim != 2:
        raise ValueError(f"expected one (H, W) plane, got x of shape {x.shape}")


def runner_up_gap(res: MaxPoolResult) -> float:
    """Smallest gap between a window's maximum and the largest value strictly below it.

    Over every window with a finite maximum and at least one smaller value;
    ``inf`` when there is no such window (every window constant). Tied maxima
    do not make the gap zero: the runner-up is the next *distinct* value.
    """
    geom = res.geometry
    widx = geom.window_index()
    planes = res.x.reshape(-1, geom.in_shape[0] * geom.in_shape[1]).astype(np.float64)
    padded = np.concatenate([planes, np.full((planes.shape[0], 1), -np.inf)], axis=1)
    values = padded[:, widx].reshape(planes.shape[0], *geom.out_shape, -1)
    top = values.max(axis=-1, keepdims=True)
    below = np.where(values < top, values, -np.inf).max(axis=-1)
    with np.errstate(invalid="ignore"):  # inf - inf in windows of infinities
        gap = top[..., 0] - below
    gap = gap[np.isfinite(gap) & (gap > 0)]
    return float(gap.min()) if gap.size else float("inf")


def default_step(res: MaxPoolResult) -> float:
    """A finite-difference step strictly below the runner-up gap, so no step crosses a kink
    other than the ties themselves: half the gap, or 1e-3 of the data's scale when no window
    has a runner-up."""
    gap = runner_up_gap(res)
    if np.isfinite(gap):
        return gap / 2
    finite = res.x[np.isfinite(res.x)]
    scale = float(np.abs(finite).max()) if finite.size else 1.0
    return 1e-3 * max(1.0, scale)


@dataclass(frozen=True)
class FiniteDifferences:
    """Finite-difference estimates of ``dL/dx`` for one plane, each of shape (H, W).

    ``forward[i] = (L(x + h e_i) - L(x)) / h``,
    ``backward[i] = (L(x) - L(x - h e_i)) / h``,
    ``central[i] = (L(x + h e_i) - L(x - h e_i)) / (2h)``, with ``h = step``
    (divided by the step actually taken after rounding; NaN where ``x_i + h``
    rounds back to ``x_i``).
    ``step_below_gap`` is False when the step reaches the runner-up gap, where
    the estimates stop describing the local slope.
    """

    forward: np.ndarray
    backward: np.ndarray
    central: np.ndarray
    step: float
    gap: float

    @property
    def step_below_gap(self) -> bool:
        return self.step < self.gap


def _window_outputs(xs: np.ndarray, res: MaxPoolResult) -> np.ndarray:
    """Pool a batch of perturbed planes (B, H, W) with ``res``'s geometry: (B, H_out, W_out)."""
    g = res.geometry
    if isinstance(g, AdaptiveGeometry):  # its windows come from the output size, not a kernel and stride
        return adaptive_max_pool2d(xs, g.out_shape).out
    return max_pool2d(xs, g.kernel, stride=g.stride, padding=g.padding, dilation=g.dilation, ceil_mode=g.ceil_mode).out


def _loss_change(new_out: np.ndarray, old_out: np.ndarray, dout: np.ndarray) -> np.ndarray:
    # Per-window differences first: a window whose max is +-inf and unchanged
    # then contributes 0 instead of inf - inf = NaN.
    with np.errstate(invalid="ignore"):
        diff = np.where(new_out == old_out, 0.0, new_out - old_out)
    return (diff * dout).sum(axis=(-2, -1))


def finite_differences(dout, res: MaxPoolResult, step: float | None = None) -> FiniteDifferences:
    """Forward, backward and central differences of ``L`` with respect to every input cell.

    Parameters
    ----------
    dout : array_like, shape (H_out, W_out)
        The upstream gradient ``dL/dy`` that defines ``L``.
    res : MaxPoolResult of one (H, W) plane
    step : float, optional
        Defaults to ``default_step(res)``, below the runner-up gap.

    Computed in float64 on batches of perturbed copies of ``x``; windows lying
    wholly in padding are left out of ``L``.
    """
    x = res.x.astype(np.float64)
    _require_plane(x)
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != res.out.shape:
        raise ValueError(f"dout has shape {dout.shape}; expected {res.out.shape}")
    dout = np.where(res.indices >= 0, dout, 0.0)
    h = default_step(res) if step is None else float(step)
    if not (h > 0 and np.isfinite(h)):
        raise ValueError(f"step={step!r} is invalid: the step must be a positive finite number")
    H, W = x.shape
    n = H * W
    flat = x.reshape(-1)
    # The steps actually taken: x + h rounds, and for large |x| or tiny h it can
    # round back to x (then the estimate is NaN rather than a silent 0).
    with np.errstate(invalid="ignore"):  # inf + h - inf is NaN: no step there
        up = (flat + h) - flat
        down = flat - (flat - h)
    base_out = _window_outputs(x, res)
    plus = np.empty(n)
    minus = np.empty(n)
    batch = max(1, BATCH_ELEMENTS // n)
    for start in range(0, n, batch):
        cells = np.arange(start, min(n, start + batch))
        copies = np.broadcast_to(flat, (cells.size, n)).copy()
        rows = np.arange(cells.size)
        copies[rows, cells] = flat[cells] + h
        plus[cells] = _loss_change(_window_outputs(copies.reshape(-1, H, W), res), base_out, dout)
        copies[rows, cells] = flat[cells] - h
        minus[cells] = _loss_change(_window_outputs(copies.reshape(-1, H, W), res), base_out, dout)
    with np.errstate(divide="ignore", invalid="ignore"):
        forward = np.where(up > 0, plus / up, np.nan)
        backward = np.where(down > 0, -minus / down, np.nan)
        central = np.where((up > 0) & (down > 0), (plus - minus) / (up + down), np.nan)
    return FiniteDifferences(
        forward=forward.reshape(H, W),
        backward=backward.reshape(H, W),
        central=central.reshape(H, W),
        step=h,
        gap=runner_up_gap(res),
    )


def relative_error(a, b) -> float:
    """max |a - b| / max(1e-8, |a| + |b|), the usual gradient-check measure (CS231n); never warns.

    For finite values the result lies in [0, 1]. Equal entries count 0, infinities and
    NaN included (NaN against NaN agrees, as ``np.array_equal(..., equal_nan=True)``);
    an infinity or NaN against anything else counts 1, the largest possible error.
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    error = np.ones(a.shape)
    finite = np.isfinite(a) & np.isfinite(b)
    fa, fb = a[finite], b[finite]
    # Divide everything by max(1, |a|, |b|): the ratio is the same, but a - b can no longer
    # overflow (1e308 - -1e308), and for values up to 1 nothing changes at all.
    scale = np.maximum(1.0, np.maximum(np.abs(fa), np.abs(fb)))
    with np.errstate(under="ignore"):
        sa, sb = fa / scale, fb / scale
        error[finite] = np.abs(sa - sb) / np.maximum(1e-8 / scale, np.abs(sa) + np.abs(sb))
    error[(a == b) | (np.isnan(a) & np.isnan(b))] = 0.0
    return float(np.max(error, initial=0.0))


@dataclass(frozen=True)
class SubgradientVerdict:
    """Whether a tie policy's gradient is a subgradient of every window's max.

    A vector ``g`` is a subgradient of the convex ``f = max`` at ``v`` when
    ``f(v + t d) >= f(v) + t g.d`` for every direction ``d`` and ``t > 0``.
    When ``valid`` is False, ``window``, ``direction`` (an (H, W) plane, zero
    outside the window), ``t``, ``lhs = f(v + t d)`` and ``rhs = f(v) + t g.d``
    give a counterexample.
    """

    tie_policy: str
    valid: bool
    windows_checked: int
    directions_per_window: int
    window: tuple[int, int] | None = None
    direction: np.ndarray | None = None
    t: float | None = None
    lhs: float | None = None
    rhs: float | None = None

    @property
    def message(self) -> str:
        if self.valid:
            return (
                f"'{self.tie_policy}' passes: f(v + t·d) ≥ f(v) + t·g·d held for "
                f"{self.directions_per_window} directions in each of {self.windows_checked} windows."
            )
        return (
            f"'{self.tie_policy}' is not a subgradient: in window {self.window}, "
            f"f(v + t·d) = {self.lhs:g} < f(v) + t·g·d = {self.rhs:g} with t = {self.t:g}."
        )


def check_subgradient(
    res: MaxPoolResult,
    tie_policy: str = "first",
    *,
    n_random: int = 32,
    t: float | None = None,
    seed: int = 0,
) -> SubgradientVerdict:
    """Test the subgradient inequality for each window of one plane under ``tie_policy``.

    Directions per window: +1 on the tied set (breaks ``all``), -1 on the tied
    set (breaks ``none``), and ``n_random`` Gaussian directions. Windows whose
    maximum is not finite (NaN, ``-inf``, ``inf``) are skipped.
    """
    check_tie_policy(tie_policy)
    _require_plane(res.x)
    geom = res.geometry
    tied, widx = tied_mask(res)
    weights = window_weights(res, tie_policy).astype(np.float64)
    K = geom.kernel[0] * geom.kernel[1]
    widx = widx.reshape(-1, K)
    tied = tied.reshape(-1, K).astype(np.float64)
    weights = weights.reshape(-1, K)
    flat_x = res.x.reshape(-1).astype(np.float64)
    values = np.where(widx >= 0, flat_x[np.maximum(widx, 0)], -np.inf)
    top = res.out.reshape(-1).astype(np.float64)
    checked = np.isfinite(top)
    values, tied, weights, widx, top = values[checked], tied[checked], weights[checked], widx[checked], top[checked]
    window_ids = np.nonzero(checked)[0]
    rng = np.random.default_rng(seed)
    random_dirs = rng.standard_normal((values.shape[0], n_random, K))
    directions = np.concatenate([tied[:, None, :], -tied[:, None, :], random_dirs], axis=1)
    directions *= widx[:, None, :] >= 0  # padding cannot move
    if t is None:
        gap = runner_up_gap(res)
        t = gap / 4 if np.isfinite(gap) else 1.0
    lhs = np.max(np.where(widx[:, None, :] >= 0, values[:, None, :] + t * directions, -np.inf), axis=-1)
    rhs = top[:, None] + t * np.einsum("wk,wdk->wd", weights, directions)
    scale = np.maximum(1.0, np.abs(top))[:, None]
    violated = lhs < rhs - 1e-9 * scale
    n_dirs = directions.shape[1]
    if not violated.any():
        return SubgradientVerdict(tie_policy, True, int(values.shape[0]), n_dirs)
    w, d = np.argwhere(violated)[0]
    plane = np.zeros(geom.in_shape[0] * geom.in_shape[1])
    inside = widx[w] >= 0
    plane[widx[w][inside]] = directions[w, d][inside]
    window = divmod(int(window_ids[w]), geom.out_shape[1])
    return SubgradientVerdict(
        tie_policy,
        False,
        int(values.shape[0]),
        n_dirs,
        window=window,
        direction=plane.reshape(geom.in_shape),
        t=float(t),
        lhs=float(lhs[w, d]),
        rhs=float(rhs[w, d]),
    )
