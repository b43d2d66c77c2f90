"""Hypothesis properties of the core: gradient mass, the selection matrix, subgradient verdicts."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import pooling


@st.composite
def pooling_cases(draw, values=st.integers(0, 3)):
    """A small integer grid (ties likely) with a valid window geometry and an upstream gradient."""
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    c = draw(st.booleans())
    try:
        pooling.pool_geometry((H, W), k, stride=s, padding=p, dilation=d, ceil_mode=c)
    except ValueError:
        assume(False)
    x = np.array(draw(st.lists(values, min_size=H * W, max_size=H * W)), dtype=float).reshape(H, W)
    res = pooling.max_pool2d(x, k, stride=s, padding=p, dilation=d, ceil_mode=c)
    dout = np.array(
        draw(st.lists(st.integers(-4, 4), min_size=res.out.size, max_size=res.out.size)), dtype=float
    ).reshape(res.out.shape)
    return res, dout


@settings(max_examples=200, deadline=None)
@given(pooling_cases(), st.sampled_from(["first", "last", "split"]))
def test_each_window_sends_exactly_its_upstream_gradient(case, policy):
    res, dout = case
    w = pooling.window_weights(res, policy)
    mass = w.sum(axis=(-2, -1))
    has_winner = res.indices >= 0
    assert np.allclose(mass[has_winner], 1.0)
    assert np.all(mass[~has_winner] == 0)
    # So the total gradient reaching x is the total of dL/dy over windows with a winner.
    dx = pooling.max_pool2d_backward(dout, res, policy)
    assert np.isclose(dx.sum(), dout[has_winner].sum())


@settings(max_examples=200, deadline=None)
@given(pooling_cases())
def test_all_and_none_change_the_mass_exactly_at_ties(case):
    res, dout = case
    tied, _ = pooling.tied_mask(res)
    count = tied.sum(axis=(-2, -1))
    assert np.array_equal(pooling.window_weights(res, "all").sum(axis=(-2, -1)), count)
    none_mass = pooling.window_weights(res, "none").sum(axis=(-2, -1))
    assert np.array_equal(none_mass, (count == 1).astype(float))


@settings(max_examples=200, deadline=None)
@given(pooling_cases())
def test_selection_matrix_reproduces_forward_and_backward(case):
    res, dout = case
    S = pooling.selection_matrix(res, "first")
    has_winner = (res.indices >= 0).ravel()
    assert np.array_equal((S @ res.x.ravel())[has_winner], res.out.ravel()[has_winner])
    assert np.allclose(S.T @ dout.ravel(), pooling.max_pool2d_backward(dout, res).ravel())
    # Each row is a one-hot at the recorded winner.
    assert np.array_equal(S.sum(axis=1), has_winner.astype(float))


@settings(max_examples=100, deadline=None)
@given(pooling_cases())
def test_subgradient_verdicts(case):
    res, _ = case
    ties = pooling.tie_report(res)
    for policy in ("first", "last", "split"):
        assert pooling.check_subgradient(res, policy).valid
    for policy in ("all", "none"):
        verdict = pooling.check_subgradient(res, policy)
        assert verdict.valid == (not ties)
        if not verdict.valid:
            # The counterexample really breaks f(v + t d) >= f(v) + t g.d for that window.
            i, j = verdict.window
            v = pooling.window_values(res, i, j)
            widx = res.geometry.window_index()[i, j]
            d = np.where(widx >= 0, verdict.direction.ravel()[np.maximum(widx, 0)], 0.0)
            g = pooling.window_weights(res, policy)[i, j]
            assert np.max(v + verdict.t * d) < res.out[i, j] + verdict.t * np.sum(g * d)


@settings(max_examples=100, deadline=None)
@given(pooling_cases(values=st.integers(-800, 800).map(lambda v: v / 8)))
def test_without_ties_finite_differences_equal_the_backward(case):
    res, dout = case
    assume(not pooling.tie_report(res))
    fd = pooling.finite_differences(dout, res)
    dx = pooling.max_pool2d_backward(dout, res)
    for estimate in (fd.forward, fd.backward, fd.central):
        assert np.allclose(estimate, dx, atol=1e-6 * max(1.0, np.abs(dout).max()))


@settings(max_examples=100, deadline=None)
@given(pooling_cases())
def test_contributions_sum_to_the_gradient(case):
    res, dout = case
    for policy in pooling.TIE_POLICIES:
        dx = pooling.max_pool2d_backward(dout, res, policy)
        rebuilt = np.zeros_like(dx)
        for (h, w), parts in pooling.contributions(dout, res, policy).items():
            rebuilt[h, w] = sum(p.amount for p in parts)
        assert np.allclose(rebuilt, dx)
    counts = pooling.win_counts(res)
    assert counts.sum() == (res.indices >= 0).sum()
