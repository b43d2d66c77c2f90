"""The tie lab's wiring and panels: tie presets, the five tie rules run on one view, their
subgradient verdicts, finite differences, and a probe of the loss along one input cell.

Every number comes from ``pooling``; this module runs it on the current view, collects the results
and draws them. The probe computes ``L(x + h e_i)`` by pooling perturbed copies of ``x``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import pooling
from figures import format_value, make_grid_figure
from figures.compare import make_mass_figure
from figures.tie_lab import make_probe_figure, make_window_mass_figure
from ui import grids, linked, presentation, state
from ui.codec import DEFAULT_X, GridError, format_number, parse_number
from ui.explorer import figure_size
from ui.model import Pooled
from ui.text import md

PRESETS = {
    "two": "Two-way tie",
    "four": "Four-way tie",
    "equal": "All equal",
    "relu": "ReLU output (mostly zeros)",
}
PRESET_SEED = 7
MATCH_TOLERANCE = 1e-6
"""A finite difference matches a rule's dL/dx when ``pooling.relative_error`` is below this."""
DIFFERENCES = ("forward", "backward", "central")
MAX_MASS_BARS = 12
"""The per-window mass chart shows at most this many windows (the table lists them all)."""
PROBE = "probe"  # link parameter: the probed input cell, "r,c"
STEP = "h"  # link parameter: a finite-difference step chosen by hand
MIN_STEP, MAX_STEP = 1e-9, 1e6  # the hand-typed step's range (below 1e-9 the probe drowns in rounding)
PRESET_NOTE = "_tie_lab_preset_note"


# --------------------------------------------------------------------------- presets


def _tie_window(geometry: pooling.PoolGeometry) -> np.ndarray:
    """Flat input indices, in scan order, of the first window holding the most real (unpadded) cells."""
    widx = geometry.window_index().reshape(geometry.out_shape[0] * geometry.out_shape[1], -1)
    best = int(np.argmax((widx >= 0).sum(axis=1)))
    cells = widx[best]
    return cells[cells >= 0]


def preset_grid(kind: str, shape: tuple[int, int], geometry: pooling.PoolGeometry | None) -> tuple[np.ndarray, str]:
    """A grid of ``shape`` for a preset, and a sentence saying where its ties are.

    ``two`` and ``four``: distinct values with 2 (or 4) cells of one window raised to a shared
    maximum, spread across the window. ``equal``: every cell 1. ``relu``: zeros with a sparse
    lattice of distinct positive values, as a ReLU layer's output often looks; windows that hold
    only zeros tie at 0.
    """
    H, W = shape
    n = H * W
    if kind == "equal":
        return np.ones(shape), "Every window is one big tie."
    if kind == "relu":
        flat = np.zeros(n)
        lattice = np.arange(n) % 5 == 2
        # Distinct positive values, so a window holding several has one winner.
        flat[lattice] = np.random.default_rng(PRESET_SEED).permutation(int(lattice.sum())) + 1.0
        return flat.reshape(shape), "Windows holding only zeros tie at 0; the others have one positive winner."
    wanted = {"two": 2, "four": 4}[kind]
    flat = np.random.default_rng(PRESET_SEED).permutation(n) + 1.0
    cells = _tie_window(geometry) if geometry is not None else np.arange(min(n, 4))
    k = min(wanted, len(cells))
    picks = cells[np.unique(np.linspace(0, len(cells) - 1, k).round().astype(int))]
    flat[picks] = n + 1.0  # larger than every other value, so these cells share the window's maximum
    where = ", ".join(f"x[{r}, {c}]" for r, c in (divmod(int(i), W) for i in picks))
    note = f"{where} share the maximum {format_value(n + 1)}."
    if k < wanted:
        note += f" (The window holds only {len(cells)} cell{'s' if len(cells) != 1 else ''} of x.)"
    return flat.reshape(shape), note


def _apply_preset(kind: str, shape: tuple[int, int], geometry: pooling.PoolGeometry | None) -> None:
    grid, note = preset_grid(kind, shape, geometry)
    grids.set_grid("x", grid)
    state.set_extra(**{PROBE: None})  # probe the new grid's first tied cell
    st.session_state[PRESET_NOTE] = (grid, f"{PRESETS[kind]}: {note}")


OPENED = "_tie_lab_opened"


def open_on_a_tie(p: Pooled | None) -> bool:
    """On the session's first visit, swap the untouched default x (it has no tie) for the two-way preset.

    A lab about ties that opens on "no window ties" teaches nothing. A grid the user typed or
    linked is never replaced. Returns whether x was replaced (the caller pools again).
    """
    if st.session_state.get(OPENED):
        return False
    st.session_state[OPENED] = True
    if p is None or p.ties or not np.array_equal(state.view().x, DEFAULT_X) or state.opened_with_link():
        return False
    _apply_preset("two", p.x.shape, p.geometry)
    grid, note = st.session_state[PRESET_NOTE]
    st.session_state[PRESET_NOTE] = (grid, f"{note} (The default grid has no tie, so the lab starts on this one.)")
    return True


def preset_buttons(p: Pooled | None, shape: tuple[int, int]) -> None:
    """One button per preset; each replaces x (same size) with a grid whose ties suit the current window."""
    geometry = p.geometry if p is not None else None
    columns = st.columns(len(PRESETS))
    for col, (kind, label) in zip(columns, PRESETS.items()):
        col.button(
            label, key=f"tie_lab_preset_{kind}", on_click=_apply_preset, args=(kind, shape, geometry), width="stretch"
        )
    grid, note = st.session_state.get(PRESET_NOTE, (None, None))
    # The note describes the preset's grid; once x is edited it no longer applies.
    if grid is not None and np.array_equal(grid, state.view().x, equal_nan=True):
        st.caption(note)


# --------------------------------------------------------------------------- analysis


@dataclass(frozen=True)
class PolicyResult:
    """One tie rule on the current view.

    ``window_mass`` (H_out, W_out) is what each window sends to x: its dL/dy times the sum of its
    shares. ``errors`` maps "forward", "backward", "central" to ``pooling.relative_error`` between
    dL/dx and that finite difference (NaN where a difference could not be taken).
    """

    tie_policy: str
    dx: np.ndarray
    verdict: pooling.SubgradientVerdict
    window_mass: np.ndarray
    total_mass: float
    errors: dict

    def matches(self, difference: str) -> bool:
        error = self.errors[difference]
        return bool(np.isfinite(error) and error < MATCH_TOLERANCE)


@dataclass(frozen=True)
class TieLab:
    """The five rules on one view, the finite differences they are compared with, and the ties."""

    policies: dict
    fd: pooling.FiniteDifferences
    dy_total: float
    tied: np.ndarray
    ties: list
    step_chosen: bool


@st.cache_data(max_entries=32, show_spinner=False)
def _analyse(x: np.ndarray, dy: np.ndarray, kernel: tuple, kwargs: tuple, step: float | None) -> TieLab:
    # Cached on the view's numbers: the finite differences pool x once per cell and side.
    res = pooling.max_pool2d(x, kernel, **dict(kwargs))
    fd = pooling.finite_differences(dy, res, step)
    live = res.indices >= 0
    tied, widx = pooling.tied_mask(res)
    counts = tied.reshape(*res.out.shape, -1).sum(axis=-1)
    tied_cells = np.zeros(x.size, dtype=bool)
    in_tie = tied & (counts >= 2)[..., None, None] & (widx >= 0)
    tied_cells[widx[in_tie]] = True
    policies = {}
    for policy in pooling.TIE_POLICIES:
        dx = pooling.max_pool2d_backward(dy, res, policy)
        shares = pooling.window_weights(res, policy).sum(axis=(-2, -1))
        mass = np.where(live, shares * dy, 0.0)
        errors = {name: pooling.relative_error(dx, getattr(fd, name)) for name in DIFFERENCES}
        policies[policy] = PolicyResult(
            policy, dx, pooling.check_subgradient(res, policy), mass, float(dx.sum()), errors
        )
    return TieLab(
        policies, fd, float(dy[live].sum()), tied_cells.reshape(x.shape), pooling.tie_report(res), step is not None
    )


def analyse(p: Pooled, step: float | None = None) -> TieLab:
    """Run all five tie rules, the subgradient check and the finite differences on the view ``p``."""
    kwargs = tuple(sorted(p.window.kwargs().items()))
    return _analyse(
        np.asarray(p.x, dtype=np.float64), np.asarray(p.dy, dtype=np.float64), p.window.kernel, kwargs, step
    )


@dataclass(frozen=True)
class Probe:
    """``loss[k] = L(x + h[k] e_cell)`` (or its change from ``L(x)`` when ``L(x)`` is not finite)."""

    cell: tuple[int, int]
    h: np.ndarray
    loss: np.ndarray
    relative: bool
    step: float
    forward_slope: float
    backward_slope: float


def probe(p: Pooled, cell: tuple[int, int], fd: pooling.FiniteDifferences, n: int = 121) -> Probe:
    """Pool copies of x with ``h`` added to one cell, for ``h`` within four steps of 0, and sum ``dL/dy * y``.

    Windows lying wholly in padding are left out of L, as in ``pooling.finite_differences``.
    The one-sided slopes are that function's forward and backward differences at the cell.
    """
    r, c = cell
    span = 4 * fd.step
    h = np.unique(np.concatenate([np.linspace(-span, span, n), [-fd.step, 0.0, fd.step]]))
    x = np.asarray(p.x, dtype=np.float64)
    copies = np.repeat(x[None], h.size, axis=0)
    copies[:, r, c] += h
    out = pooling.max_pool2d(copies, p.window.kernel, **p.window.kwargs()).out
    live = p.res.indices >= 0
    dy = np.where(live, p.dy, 0.0)
    with np.errstate(invalid="ignore"):
        # Per-window change first: a window stuck at ±inf contributes 0, not inf - inf.
        change = np.where(out == p.y, 0.0, out - p.y)
        delta = (np.where(live, change, 0.0) * dy).sum(axis=(-2, -1))
        base = float((np.where(live, p.y, 0.0) * dy).sum())
    relative = not math.isfinite(base)
    return Probe(
        cell,
        h,
        delta if relative else base + delta,
        relative,
        fd.step,
        float(fd.forward[r, c]),
        float(fd.backward[r, c]),
    )


# --------------------------------------------------------------------------- controls


def step_from_link(raw: str | None) -> tuple[float | None, str | None]:
    """The link's ``h=``: (step, None), (clamped step, why) or (None, why) for the automatic step.

    Read by the grids' number parser, so what it refuses (full-width digits, ``_`` separators,
    hexadecimal, over-long text) is refused here too, with the same words.
    """
    if raw is None:
        return None, None
    try:
        value = parse_number(raw)
    except GridError as err:
        return None, f"The link's step h: {err}. Using the automatic step."
    if not (math.isfinite(value) and value > 0):
        return None, (f"The link's step h={format_number(value)} is not a positive number: using the automatic step.")
    clamped = min(max(value, MIN_STEP), MAX_STEP)
    if clamped != value:
        return clamped, (
            f"The link's step h={format_number(value)} is outside {format_number(MIN_STEP)} to "
            f"{format_number(MAX_STEP)}: using h={format_number(clamped)}."
        )
    return value, None


def step_control(p: Pooled) -> float | None:
    """Automatic step (below the runner-up gap) or one typed by hand; returns the hand-typed step or None."""
    typed, problem = step_from_link(state.get_extra(STEP))
    if problem:
        st.warning(md(problem), icon="🔗")
    if typed is None:
        state.set_extra(**{STEP: None})
    state.seed_widget("tie_lab_custom_step", typed is not None)
    custom = st.toggle(
        "Choose the step h myself",
        key="tie_lab_custom_step",
        help="By default h is half the smallest gap between a window's maximum and its runner-up, "
        "so no step crosses a kink other than the ties themselves.",
    )
    if not custom:
        state.set_extra(**{STEP: None})
        return None
    state.seed_widget("tie_lab_step", typed if typed is not None else 0.5)
    value = st.number_input("step h", min_value=MIN_STEP, max_value=MAX_STEP, format="%g", key="tie_lab_step")
    state.set_extra(**{STEP: repr(float(value))})
    return float(value)


def probe_cell(p: Pooled, lab: TieLab) -> tuple[int, int]:
    """The probed input cell from the link, clamped to x; by default the first tied cell (or [0, 0])."""
    H, W = p.x.shape
    default = lab.ties[0].cells[0] if lab.ties else (0, 0)
    raw = state.get_extra(PROBE)
    try:
        r, c = (int(v) for v in (raw or "").split(",")) if len(raw or "") <= 19 else ()
        asked = (r, c)
    except ValueError:
        (r, c), asked = default, None
    cell = (min(max(r, 0), H - 1), min(max(c, 0), W - 1))
    state.link_cell_notice(PROBE, raw, asked, cell, "x", (H, W))
    state.set_extra(**{PROBE: f"{cell[0]},{cell[1]}"})
    return cell


def _on_probe_box() -> None:
    r, c = st.session_state["tie_lab_probe_box"]
    state.set_extra(**{PROBE: f"{r},{c}"})


# --------------------------------------------------------------------------- panels


def ties_summary(p: Pooled, lab: TieLab) -> None:
    """One line per tied window (the first few), or a note that nothing ties."""
    if not lab.ties:
        st.info(
            "No window ties right now: all five rules give the same dL/dx. Pick a preset above, or type "
            "equal values into one window.",
            icon="⚖️",
        )
        return
    lines = []
    for tie in lab.ties[:4]:
        cells = ", ".join(f"x[{r}, {c}]" for r, c in tie.cells)
        lines.append(
            f"window ({tie.window[0]}, {tie.window[1]}): a {len(tie.cells)}-way tie at "
            f"{format_value(tie.value)} ({cells})"
        )
    more = f" … and {len(lab.ties) - 4} more windows." if len(lab.ties) > 4 else ""
    st.info(
        f"{len(lab.ties)} window{'s tie' if len(lab.ties) != 1 else ' ties'}: " + "; ".join(lines) + "." + more,
        icon="⚖️",
    )


LINKED_KEY = "tie_lab_linked"  # the linked picture of x, y, dL/dy and dL/dx (ui/linked.py)


def _on_picture_cell(grid: str, cell: tuple[int, int]) -> None:
    """A click on a cell of x in the linked picture probes that cell."""
    if grid == "x":
        state.set_extra(**{PROBE: f"{cell[0]},{cell[1]}"})


def _probe_mask(shape: tuple[int, int], cell: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[cell] = True
    return mask


def x_notes(p: Pooled, lab: TieLab, cell: tuple[int, int]) -> np.ndarray:
    """One tooltip line per cell of x: whether it is a tied maximum, and which cell is probed."""
    notes = np.full(p.x.shape, "", dtype=object)
    notes[lab.tied] = "a tied maximum"
    notes[cell] = "probed below (◢)" + (": a tied maximum" if lab.tied[cell] else "")
    return notes


def x_figure(p: Pooled, lab: TieLab, cell: tuple[int, int]) -> dict:
    """x, y, dL/dy and dL/dx (the sidebar's tie rule) as the linked picture; click a cell of x to probe it."""
    return linked.linked_grids(
        p,
        None,
        key=LINKED_KEY,
        editable=(),
        pinnable=False,
        font_scale=presentation.font_scale(),
        titles={"x": "x · click a cell to probe it", "dx": f"dL/dx · rule '{p.tie_policy}'"},
        marks={"x": _probe_mask(p.x.shape, cell)},
        notes={"x": x_notes(p, lab, cell)},
        clickable=("x",),
        on_cell=_on_picture_cell,
        help_text=(
            "Hover y or dL/dy to follow a window (the tooltip names its tied cells); hover x or dL/dx to see "
            "which windows hold the cell. Click a cell of x to probe it (◢ marks the probed cell)."
        ),
    )


def _per_row(width: int) -> int:
    """Pictures per row for a dL/dx drawn ``width`` cells wide (padding included): cells stay big enough to read.

    Never five across: a picture needs about 200 px, more than a fifth of the page.
    """
    return 3 if width <= 12 else 2


def policy_figures(p: Pooled, lab: TieLab, cell: tuple[int, int]) -> None:
    """dL/dx under each rule, side by side as linked pictures of dL/dx alone, verdict and gradient mass underneath.

    Each picture is keyed ``tie_lab_dx_<rule>``: its grid's accessible name is dL/dx like every other,
    and the key tells them apart. Hovering a cell shows which windows send it what under that rule.
    """
    policies = list(lab.policies.values())
    per_row = _per_row(p.x.shape[1] + 2 * p.geometry.padding[1])
    for start in range(0, len(policies), per_row):
        columns = st.columns(per_row)
        for col, result in zip(columns, policies[start : start + per_row]):
            mark = "✓" if result.verdict.valid else "✗"
            with col:
                linked.linked_grids(
                    p,
                    None,
                    key=f"tie_lab_dx_{result.tie_policy}",
                    editable=(),
                    pinnable=False,
                    show=("dx",),
                    tie_policy=result.tie_policy,
                    titles={"dx": f"{mark} {result.tie_policy}"},
                    font_scale=presentation.font_scale(),
                    marks={"dx": _probe_mask(p.x.shape, cell)},
                    help_text="",
                )
                st.caption(f"Σ dL/dx = {format_value(result.total_mass)}; Σ dL/dy = {format_value(lab.dy_total)}")
                _verdict_text(result)


def _number(v: float) -> str:
    # Enough digits that f(v + t·d) and f(v) + t·g·d never print equal when they differ.
    return f"{v:.6g}"


def _direction(direction: np.ndarray) -> str:
    moved = np.argwhere(direction != 0)
    values = direction[direction != 0]
    cells = [f"x[{r}, {c}]" for r, c in moved[:6]]
    more = f" and {len(moved) - 6} more" if len(moved) > 6 else ""
    if np.all(np.abs(values) == 1) and len(set(values.tolist())) == 1:
        return f"{'+' if values[0] > 0 else '−'}1 on {', '.join(cells)}{more}"
    parts = [f"{_number(direction[r, c])} at x[{r}, {c}]" for r, c in moved[:6]]
    return ", ".join(parts) + more


def _verdict_text(result: PolicyResult) -> None:
    v = result.verdict
    if v.valid:
        st.success(
            f"Subgradient: f(v + t·d) ≥ f(v) + t·g·d held in all {v.windows_checked} windows "
            f"({v.directions_per_window} directions each).",
            icon=":material/check_circle:",
        )
        return
    st.error(
        f"Not a subgradient. Window {v.window}, d = {_direction(v.direction)}, t = {_number(v.t)}: "
        f"f(v + t·d) = {_number(v.lhs)} < f(v) + t·g·d = {_number(v.rhs)}.",
        icon=":material/cancel:",
    )


def summary_table(lab: TieLab) -> pd.DataFrame:
    """One row per rule: verdict, gradient mass, and agreement with each finite difference."""
    rows = []
    for result in lab.policies.values():
        rows.append(
            {
                "rule": result.tie_policy,
                "valid subgradient": result.verdict.valid,
                "Σ dL/dx": result.total_mass,
                "Σ dL/dy": lab.dy_total,
                "= forward diff.": result.matches("forward"),
                "= backward diff.": result.matches("backward"),
                "= central diff.": result.matches("central"),
                "rel. error vs central": result.errors["central"],
            }
        )
    table = pd.DataFrame(rows).set_index("rule")
    # A keyed container, so tests and the browser find the table (st.dataframe takes a key only for selections).
    st.container(key="tie_lab_summary").dataframe(table, width="stretch")
    return table


def window_mass_table(p: Pooled, lab: TieLab) -> pd.DataFrame:
    """Each window's dL/dy against the mass each rule sends from it (tied windows, or every window)."""
    tied_windows = {t.window: len(t.cells) for t in lab.ties}
    show_all = st.toggle("Show every window, not only the tied ones", key="tie_lab_all_windows")
    H_out, W_out = p.y.shape
    windows = [(i, j) for i in range(H_out) for j in range(W_out) if show_all or (i, j) in tied_windows]
    rows = []
    for i, j in windows:
        row = {"window": f"({i}, {j})", "tied cells": tied_windows.get((i, j), 1), "dL/dy": float(p.dy[i, j])}
        row.update({policy: float(result.window_mass[i, j]) for policy, result in lab.policies.items()})
        rows.append(row)
    table = pd.DataFrame(rows, columns=["window", "tied cells", "dL/dy", *lab.policies]).set_index("window")
    if rows:
        st.container(key="tie_lab_window_mass").dataframe(
            table, width="stretch", height=min(36 * (len(rows) + 1) + 4, 400)
        )
    else:
        st.caption("No window ties, so every rule sends exactly dL/dy from every window.")
    shown = [w for w in windows if w in tied_windows][:MAX_MASS_BARS] or windows[:MAX_MASS_BARS]
    if shown:
        fig = make_window_mass_figure(
            shown,
            [p.dy[w] for w in shown],
            {policy: [r.window_mass[w] for w in shown] for policy, r in lab.policies.items()},
            height=presentation.grown(340),
            font_scale=presentation.font_scale(),
        )
        st.plotly_chart(fig, key="tie_lab_window_mass_chart", config={"displayModeBar": False})
        hidden = len([w for w in windows if w in tied_windows]) - len(shown)
        if hidden > 0:
            st.caption(f"The chart shows the first {len(shown)} tied windows; the table lists all of them.")
    return table


def mass_chart(lab: TieLab) -> None:
    fig = make_mass_figure(
        {policy: r.total_mass for policy, r in lab.policies.items()},
        reference=lab.dy_total,
        title="Σ dL/dx under each rule",
        height=presentation.grown(300),
        font_scale=presentation.font_scale(),
    )
    st.plotly_chart(fig, key="tie_lab_mass_chart", config={"displayModeBar": False})


def step_caption(lab: TieLab) -> None:
    fd = lab.fd
    if not np.isfinite(fd.gap):
        st.caption(
            f"Step h = {format_value(fd.step)}. No window has a runner-up (each is constant), so the "
            "ties themselves are the only kinks."
        )
    elif not lab.step_chosen:
        st.caption(
            f"Step h = {format_value(fd.step)}: half the smallest gap ({format_value(fd.gap)}) between a "
            "window's maximum and the next smaller value in it, so no step crosses any kink but the ties."
        )
    elif fd.step_below_gap:
        st.caption(f"Step h = {format_value(fd.step)}, below the runner-up gap {format_value(fd.gap)}.")
    else:
        st.warning(
            f"Step h = {format_value(fd.step)} reaches the smallest runner-up gap ({format_value(fd.gap)}): "
            "a nudge that big can change which cell wins, so the differences stop describing the slope "
            "at x. Choose a step below the gap.",
            icon="⚠️",
        )


def difference_figures(p: Pooled, lab: TieLab, cell: tuple[int, int]) -> None:
    """The three finite-difference estimates of dL/dx, side by side, probed cell outlined."""
    titles = {
        "forward": "forward: (L(x+h·e) − L(x)) / h",
        "backward": "backward: (L(x) − L(x−h·e)) / h",
        "central": "central: (L(x+h·e) − L(x−h·e)) / 2h",
    }
    columns = st.columns(3)
    for col, name in zip(columns, DIFFERENCES):
        matching = [r.tie_policy for r in lab.policies.values() if r.matches(name)]
        fig = make_grid_figure(
            getattr(lab.fd, name),
            name=f"{name} difference",
            kind="gradient",
            title=titles[name],
            highlight_cells=np.array([cell]),
            padding=p.geometry.padding,
            height=presentation.grown(figure_size(p.x.shape)["height"]),
            font_scale=presentation.font_scale(),
        )
        with col:
            st.plotly_chart(fig, key=f"tie_lab_fd_{name}", config={"displayModeBar": False})
            st.caption(f"Matches: {', '.join(matching)}." if matching else "Matches none of the five rules.")


def probe_panel(p: Pooled, lab: TieLab, cell: tuple[int, int]) -> Probe:
    """A cell picker and L(x + h e_i) against h, with both one-sided slopes."""
    H, W = p.x.shape
    st.session_state["tie_lab_probe_box"] = cell
    st.selectbox(
        "Probed cell (or click a cell of x above)",
        [(r, c) for r in range(H) for c in range(W)],
        key="tie_lab_probe_box",
        on_change=_on_probe_box,
        format_func=lambda rc: f"x[{rc[0]}, {rc[1]}] = {format_value(p.x[rc])}",
    )
    result = probe(p, cell, lab.fd)
    r, c = cell
    label = f"L(x + h·e[{r},{c}])" + (" − L(x)" if result.relative else "")
    fig = make_probe_figure(
        result.h,
        result.loss,
        step=result.step,
        forward_slope=result.forward_slope,
        backward_slope=result.backward_slope,
        cell=cell,
        loss_label=label,
    )
    st.plotly_chart(fig, key="tie_lab_probe_chart", config={"displayModeBar": False})
    fwd, bwd = result.forward_slope, result.backward_slope
    if not (np.isfinite(fwd) and np.isfinite(bwd)):
        st.caption("A one-sided slope could not be measured here (x is NaN or too large for the step to register).")
    elif fwd == bwd:
        st.caption(
            f"Both one-sided slopes are {format_value(fwd)}: L is smooth in x[{r}, {c}] at this point, "
            "and every rule agrees on dL/dx here."
        )
    else:
        central = lab.fd.central[r, c]
        st.caption(
            f"A kink: the slope is {format_value(bwd)} to the left and {format_value(fwd)} to the right, so "
            f"L has no single derivative in x[{r}, {c}] here. The central difference reports the average of "
            f"the two, {format_value(central)}."
        )
    return result


def frameworks_note() -> None:
    """What the real libraries do at a tie, in the app's words (facts from the project's semantics notes)."""
    st.markdown(
        "**Window pooling picks one winner.** PyTorch's `max_pool2d`, TensorFlow's `max_pool` and JAX's "
        "`reduce_window` with `max` each keep the *first* maximum they meet, reading the window row by row "
        "from the left, and hand it the whole gradient: the **first** rule. Not every library has: old Theano's "
        "CPU pooling gradient gave every tied maximum the full gradient, the **all** rule.\n\n"
        "**A max over a whole tensor shares.** `torch.max(x)`, `torch.amax`, `tf.reduce_max` and `jnp.max` "
        "divide the gradient equally among the tied elements: the **split** rule. Four equal values each get a "
        "quarter.\n\n"
        "**Both are right.** At a tie, max has no derivative, only a set of subgradients: any shares that are "
        "non-negative, sit on the tied maxima and add up to 1. **first**, **last** and **split** are such "
        "shares; **all** (shares adding up to k) and **none** (adding up to 0) are not.\n\n"
        "**Why numerical checks complain.** Nudging a tied cell up raises the max (slope 1); nudging it down "
        "leaves another tied cell holding the max (slope 0). A central difference averages the two and reports "
        "1/2 for every tied cell, whatever the number k of tied cells, so it agrees with split's 1/k only when "
        "k = 2. That is why PyTorch's `gradcheck` fails on inputs with ties."
    )
