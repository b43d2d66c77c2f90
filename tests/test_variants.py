"""The 1-D, adaptive, unpooling, smooth-max and framework-convention parts of the core, without torch.

Expected values are worked out by hand in the comments, derived from a plain loop,
or taken from the facts in /work/shared/semantics.md (which cites the frameworks'
sources and runs); the torch cross-checks are in test_torch_live_variants.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import pooling

# --- 1-D -----------------------------------------------------------------------------------------


def test_the_original_question_vector():
    # x = [x1, x2, x3, x4] = [1, 5, 2, 4], kernel 2: y = [5, 4]; the gradient goes to x2 and x4.
    res = pooling.max_pool1d([1, 5, 2, 4], 2)
    assert res.out.tolist() == [5, 4] and res.indices.tolist() == [1, 3]
    assert pooling.max_pool2d_backward([10.0, 20.0], res).tolist() == [0, 10, 0, 20]
    assert pooling.max_pool1d_backward([10.0, 20.0], res).tolist() == [0, 10, 0, 20]


def test_1d_ties_follow_every_policy():
    res = pooling.max_pool1d([3, 3, 0, 1], 2)  # first window ties
    by_policy = {p: pooling.max_pool2d_backward([1.0, 1.0], res, p).tolist() for p in pooling.TIE_POLICIES}
    assert by_policy["first"] == [1, 0, 0, 1]
    assert by_policy["last"] == [0, 1, 0, 1]
    assert by_policy["split"] == [0.5, 0.5, 0, 1]
    assert by_policy["all"] == [1, 1, 0, 1]
    assert by_policy["none"] == [0, 0, 0, 1]


def test_1d_is_the_2d_core_on_a_row():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (2, 3, 9)).astype(float)
    res = pooling.max_pool1d(x, 3, stride=2, padding=1, dilation=1, ceil_mode=True)
    twod = pooling.max_pool2d(x[:, :, None, :], (1, 3), stride=(1, 2), padding=(0, 1), ceil_mode=True)
    assert np.array_equal(res.out, twod.out[:, :, 0]) and np.array_equal(res.indices, twod.indices[:, :, 0])
    assert res.plane.x.shape == (2, 3, 1, 9)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(kernel_size=0), "kernel_size"),
        (dict(kernel_size=2, stride=0), "stride"),
        (dict(kernel_size=2, padding=2), "padding"),
        (dict(kernel_size=9), "too small"),
        (dict(kernel_size=(2, 2)), "kernel_size"),
    ],
)
def test_1d_rejects_in_1d_words(kwargs, word):
    with pytest.raises(ValueError, match=word):
        pooling.max_pool1d(np.arange(4.0), **kwargs)


# --- adaptive -------------------------------------------------------------------------------------


def test_adaptive_bounds_follow_pytorchs_rule():
    # 5 rows into 3: starts floor(0, 5/3, 10/3) = 0, 1, 3; ends ceil(5/3, 10/3, 5) = 2, 4, 5.
    assert pooling.adaptive_bounds(5, 3) == ((0, 2), (1, 4), (3, 5))
    assert pooling.adaptive_bounds(4, 2) == ((0, 2), (2, 4))
    assert pooling.adaptive_bounds(2, 3) == ((0, 1), (0, 2), (1, 2))  # more outputs than inputs


def _adaptive_reference(x, Ho, Wo):
    """Plain loops over PyTorch's windows: first max in row-major order, last NaN."""
    H, W = x.shape
    out, idx = np.empty((Ho, Wo)), np.empty((Ho, Wo), int)
    for i in range(Ho):
        for j in range(Wo):
            best, where = -math.inf, (i * H // Ho) * W + j * W // Wo
            for h in range(i * H // Ho, math.ceil((i + 1) * H / Ho)):
                for w in range(j * W // Wo, math.ceil((j + 1) * W / Wo)):
                    if x[h, w] > best or math.isnan(x[h, w]):
                        best, where = x[h, w], h * W + w
            out[i, j], idx[i, j] = best, where
    return out, idx


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 6), st.integers(1, 6), st.data())
def test_adaptive_matches_plain_loops(H, W, Ho, Wo, data):
    x = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, np.nan]), min_size=H * W, max_size=H * W)))
    x = x.reshape(H, W)
    res = pooling.adaptive_max_pool2d(x, (Ho, Wo))
    out, idx = _adaptive_reference(x, Ho, Wo)
    assert np.array_equal(res.out, out, equal_nan=True) and np.array_equal(res.indices, idx)
    dout = np.ones((Ho, Wo))
    for policy in ("first", "last", "split"):
        dx = pooling.max_pool2d_backward(dout, res, policy)
        assert math.isclose(dx.sum(), Ho * Wo)  # every window hands on its whole gradient


def test_global_pooling_is_output_1x1_and_split_divides_a_tie():
    x = np.array([[1.0, 4.0], [4.0, 0.0]])
    res = pooling.adaptive_max_pool2d(x, 1)
    assert res.out.tolist() == [[4.0]] and res.indices.tolist() == [[1]]
    assert pooling.max_pool2d_backward([[1.0]], res, "split").tolist() == [[0, 0.5], [0.5, 0]]
    assert pooling.window_weights(res, "first").shape == (1, 1, 2, 2)


def test_adaptive_geometry_reports_overlap_and_window_cells():
    geom = pooling.adaptive_geometry((5, 4), (3, 2))
    assert geom.overlapping  # rows (0,2) and (1,4) share row 1
    assert geom.window_cells(1, 1).tolist() == [[1, 2], [1, 3], [2, 2], [2, 3], [3, 2], [3, 3]]
    assert not pooling.adaptive_geometry((4, 4), 2).overlapping
    with pytest.raises(ValueError, match="output_size"):
        pooling.adaptive_max_pool2d(np.zeros((3, 3)), (0, 2))


# --- unpooling ------------------------------------------------------------------------------------


def test_unpool_equals_the_gradient_without_overlap():
    x = np.array([[1.0, 2, 5, 0], [3, 4, 1, 1], [0, 0, 2, 2], [9, 1, 2, 0]])
    res = pooling.max_pool2d(x, 2)
    dout = np.array([[1.0, -2], [3, 4]])
    assert np.array_equal(pooling.max_unpool2d(dout, res), pooling.max_pool2d_backward(dout, res))
    assert pooling.switch_collisions(res) == []


def test_unpool_overwrites_where_the_gradient_adds():
    # [0, 5, 1, 0], kernel 3, stride 1: both windows pick the 5 (index 1). The gradient
    # adds 10 + 20 = 30 there; unpooling keeps the last window's 20 (semantics.md overlap fact).
    res = pooling.max_pool2d(np.array([[0.0, 5, 1, 0]]), (1, 3), stride=1)
    dout = np.array([[10.0, 20.0]])
    assert pooling.max_pool2d_backward(dout, res).tolist() == [[0, 30, 0, 0]]
    assert pooling.max_unpool2d(dout, res).tolist() == [[0, 20, 0, 0]]
    assert pooling.switch_collisions(res) == [pooling.SwitchCollision((0, 1), ((0, 0), (0, 1)))]


def test_unpool_checks_shapes():
    res = pooling.max_pool2d(np.arange(16.0).reshape(4, 4), 2)
    with pytest.raises(ValueError, match="shape"):
        pooling.max_unpool2d(np.ones((3, 3)), res)
    with pytest.raises(ValueError, match="too small"):
        pooling.max_unpool2d(np.ones((2, 2)), res, output_size=(2, 2))
    assert pooling.max_unpool2d(np.ones((2, 2)), res, output_size=(5, 5)).shape == (5, 5)


# --- smooth max -----------------------------------------------------------------------------------


def test_smooth_max_by_hand():
    # One window [0, ln 3] at T = 1: y = log(1 + 3) = ln 4; weights 1/4 and 3/4.
    res = pooling.smooth_max_pool2d(np.array([[0.0, math.log(3)]]), (1, 2), temperature=1.0)
    assert math.isclose(res.out[0, 0], math.log(4))
    assert np.allclose(res.weights.reshape(-1), [0.25, 0.75])


def test_smooth_max_leaves_padding_out_and_survives_extremes():
    res = pooling.smooth_max_pool2d(np.array([[2.0]]), 3, temperature=5.0, stride=1, padding=1)
    assert res.out.tolist() == [[2.0]]  # only the real cell counts: 5*log(exp(2/5)) = 2
    assert res.weights.sum() == 1.0
    big = pooling.smooth_max_pool2d(np.array([[1e300, -1e300]]), (1, 2), temperature=1e-6)
    assert big.out.tolist() == [[1e300]] and big.weights.reshape(-1).tolist() == [1.0, 0.0]
    inf = pooling.smooth_max_pool2d(np.array([[np.inf, np.inf, 1.0]]), (1, 3), temperature=1.0)
    assert inf.out.tolist() == [[np.inf]] and inf.weights.reshape(-1).tolist() == [0.5, 0.5, 0.0]
    with pytest.raises(ValueError, match="temperature"):
        pooling.smooth_max_pool2d(np.ones((2, 2)), 2, temperature=0)


@st.composite
def _smooth_cases(draw):
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    k = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    try:
        pooling.pool_geometry((H, W), k, stride=s, padding=p)
    except ValueError:
        assume(False)
    # Integers: a tie is exact and every gap to a runner-up is at least 1.
    x = np.array(draw(st.lists(st.integers(-3, 3), min_size=H * W, max_size=H * W)), float).reshape(H, W)
    return x, k, s, p


@settings(max_examples=200, deadline=None)
@given(_smooth_cases())
def test_smooth_rule_tends_to_split_at_ties_and_to_the_argmax_elsewhere(case):
    x, k, s, p = case
    hard = pooling.max_pool2d(x, k, stride=s, padding=p)
    split = pooling.window_weights(hard, "split")
    # At T = 1e-3 a gap of 1 weighs exp(-1000) = 0 in float64: the limit is reached exactly
    # up to rounding of the equal shares.
    smooth = pooling.smooth_max_pool2d(x, k, temperature=1e-3, stride=s, padding=p)
    assert np.allclose(smooth.weights, split, atol=1e-12)
    assert np.allclose(smooth.out, hard.out + 1e-3 * np.log(pooling.tie_counts(hard)), atol=1e-12)
    untied = pooling.tie_counts(hard) == 1
    assert np.array_equal(smooth.weights[untied], pooling.window_weights(hard, "first")[untied])


@settings(max_examples=50, deadline=None)
@given(_smooth_cases(), st.floats(0.01, 100))
def test_smooth_weights_are_a_distribution_over_real_cells(case, T):
    x, k, s, p = case
    res = pooling.smooth_max_pool2d(x, k, temperature=T, stride=s, padding=p)
    assert np.allclose(res.weights.sum(axis=(-2, -1)), 1.0)
    assert (res.weights[..., :, :][res.geometry.window_index() < 0] == 0).all()
    assert np.all(res.out >= pooling.max_pool2d(x, k, stride=s, padding=p).out - 1e-12)  # smooth max >= max


# --- frameworks -----------------------------------------------------------------------------------


def test_same_padding_puts_the_odd_extra_after():
    # semantics.md: TF's SAME puts the odd extra pad after (bottom/right).
    assert pooling.same_padding(5, 2, 2) == (0, 1)  # out 3, total (3-1)*2+2-5 = 1
    assert pooling.same_padding(4, 3, 1) == (1, 1)
    assert pooling.same_padding(4, 2, 2) == (0, 0)
    assert pooling.framework_padding(5, 2, 2, "valid") == (0, 0)
    assert pooling.torch_equivalent(4, 3, 1, "same") == (1, False)
    assert pooling.torch_equivalent(4, 2, 1, "same") is None  # one pad after only: PyTorch pads both sides


def _pool(x, fw, k=None, s=None):
    k = k or (1, x.shape[1])
    return pooling.framework_pool2d(x, k, s or k, framework=fw, pads=((0, 0), (0, 0)))


def test_nan_conventions_from_semantics():
    # TF CPU: [NaN, 1, 3, 2] returns 3 but sends the gradient to the NaN at position 0.
    x = np.array([[np.nan, 1, 3, 2]])
    tf = _pool(x, "tensorflow")
    assert tf.out.tolist() == [[3.0]] and tf.winners.tolist() == [[0]]
    assert _pool(x, "keras").winners.tolist() == [[0]]
    # PyTorch: NaN propagates; its gradient goes to the last NaN.
    torch_like = _pool(np.array([[1.0, np.nan, 2, np.nan]]), "pytorch")
    assert np.isnan(torch_like.out[0, 0]) and torch_like.winners.tolist() == [[3]]
    # All-NaN window: TF's first NaN, PyTorch's last; TF's value is the most negative float.
    all_nan = np.array([[np.nan, np.nan]])
    assert _pool(all_nan, "tensorflow").winners.tolist() == [[0]]
    assert _pool(all_nan, "tensorflow").out.tolist() == [[np.finfo(float).min]]
    assert _pool(all_nan, "pytorch").winners.tolist() == [[1]]
    # JAX: value NaN.
    assert np.isnan(_pool(x, "jax").out[0, 0])


def test_ties_and_overlap_agree_everywhere():
    # semantics.md: PyTorch and JAX send [[1,3],[3,2]]'s gradient to (0, 1); overlap [0,5,1,0] k3 s1 -> [0,2,0,0].
    for fw in pooling.FRAMEWORKS:
        assert _pool(np.array([[1.0, 3], [3, 2]]), fw, k=(2, 2)).winners.tolist() == [[1]]
        overlap = pooling.framework_pool2d(np.array([[0.0, 5, 1, 0]]), (1, 3), (1, 1), framework=fw, pads=((0, 0),) * 2)
        assert overlap.dx.tolist() == [[0, 2, 0, 0]]


def test_pytorch_convention_is_the_core():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 3, (5, 6)).astype(float)
        x[rng.integers(5), rng.integers(6)] = np.nan
        mine = pooling.framework_pool2d(x, 3, 2, framework="pytorch", pads=((1, 1), (1, 1)))
        core = pooling.max_pool2d(x, 3, stride=2, padding=1)
        assert np.array_equal(mine.out, core.out, equal_nan=True) and np.array_equal(mine.winners, core.indices)


def test_pytorch_settings_place_the_same_windows_as_same_padding():
    # Whenever PyTorch settings are returned, its windows must be exactly SAME's windows.
    for H in range(1, 8):
        for k in range(1, 5):
            for s in range(1, 4):
                for mode in pooling.PADDING_MODES:
                    settings = pooling.pytorch_settings((H, H), (k, k), (s, s), mode)
                    pads = pooling.framework_padding(H, k, s, mode)
                    if H + sum(pads) < k:
                        continue
                    ours = pooling.framework_pool2d(np.zeros((H, H)), k, s, framework="pytorch", pads=(pads, pads))
                    if settings is None:
                        # Only SAME with more padding after than PyTorch can add, or more than k // 2 before.
                        assert mode == "same"
                        continue
                    (p, _), ceil_mode = settings
                    geom = pooling.pool_geometry((H, H), k, stride=s, padding=p, ceil_mode=ceil_mode)
                    assert np.array_equal(geom.window_index().reshape(ours.window_index.shape), ours.window_index)


def test_window_cells_show_same_padding_after_the_grid():
    # 5 columns, kernel 2, stride 2, SAME: windows start at 0, 2, 4; the last reaches column 5 (padding).
    cells = pooling.window_cells((1, 5), (1, 2), (1, 2), ((0, 0), (0, 1)))
    assert cells[:, :, 1].tolist() == [[0, 1], [2, 3], [4, 5]]
    assert (cells[:, :, 0] == 0).all()


def test_explanations_work_on_adaptive_results():
    # 1x5 into 1x3: windows [0,2), [1,4), [3,5) over [2, 2, 1, 2, 2].
    res = pooling.adaptive_max_pool2d(np.array([[2.0, 2, 1, 2, 2]]), (1, 3))
    # Windows: [2, 2] (cells 0-1), [2, 1, 2] (cells 1-3), [2, 2] (cells 3-4): each a two-way tie.
    assert pooling.tie_counts(res).tolist() == [[2, 2, 2]]
    fd = pooling.finite_differences(np.ones((1, 3)), res, step=0.25)
    # Forward difference: +h on a tied max raises every window it is tied in: cells 1 and 3 are in two.
    assert fd.forward.tolist() == [[1, 2, 0, 2, 1]]
    assert pooling.check_subgradient(res, "split").valid and not pooling.check_subgradient(res, "all").valid
