"""AppTest for the tie lab: presets, the five rules' verdicts and masses, finite differences and the probe,
checked against numbers computed here by plain loops (tests/reference.py), not by the page's own code."""

from __future__ import annotations

import numpy as np
import pytest

from tests.apptest_util import chart, decode, grid, heatmap, linked, plain, run_app, run_page, trace, widget
from tests.reference import ref_forward

PAGE = "pages/tie_lab.py"
POLICIES = ("first", "last", "split", "all", "none")


def loss(x, dy, k=(2, 2), s=(2, 2), p=(0, 0)):
    """L(x) = sum of dL/dy * maxpool(x), by the plain-loop reference."""
    out, _, _ = ref_forward(np.asarray(x, float), k, s, p, (1, 1), False)
    return float((np.asarray(dy, float) * out).sum())


def finite_difference(x, dy, h, kind, **geometry):
    """Forward, backward or central difference of L at every cell, one cell at a time."""
    x = np.asarray(x, float)
    out = np.zeros_like(x)
    for r in range(x.shape[0]):
        for c in range(x.shape[1]):
            up, down = x.copy(), x.copy()
            up[r, c] += h
            down[r, c] -= h
            if kind == "forward":
                out[r, c] = (loss(up, dy, **geometry) - loss(x, dy, **geometry)) / h
            elif kind == "backward":
                out[r, c] = (loss(x, dy, **geometry) - loss(down, dy, **geometry)) / h
            else:
                out[r, c] = (loss(up, dy, **geometry) - loss(down, dy, **geometry)) / (2 * h)
    return out


def rule_gradient(x, dy, policy):
    """dL/dx under each tie rule, written out per window (2x2 windows, stride 2)."""
    x = np.asarray(x, float)
    _, _, tied = ref_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    dx = np.zeros_like(x)
    W = x.shape[1]
    for i, row in enumerate(tied):
        for j, cells in enumerate(row):
            g = dy[i][j]
            shares = {
                "first": {cells[0]: 1.0},
                "last": {cells[-1]: 1.0},
                "split": {c: 1 / len(cells) for c in cells},
                "all": {c: 1.0 for c in cells},
                "none": {cells[0]: 1.0} if len(cells) == 1 else {},
            }[policy]
            for flat, share in shares.items():
                dx[divmod(flat, W)] += share * g
    return dx


def table(at, key: str):
    """The table drawn inside the container keyed ``key``, as a DataFrame."""
    return at.get_by_key(key).dataframe[0].value


def summary(at):
    return table(at, "tie_lab_summary")


# The presets fit the window; these tests are written for 2x2 windows at stride 2 (a link naming kernel 2
# keeps PyTorch's stride = kernel), not for whatever window a fresh view has.
K2 = {"k": "2"}


def four_way_tie():
    at = run_page(PAGE, K2)
    widget(at, "tie_lab_preset_four").click().run()
    assert not at.exception
    return at


def test_four_way_tie_verdicts_masses_and_differences():
    at = four_way_tie()
    x = grid(at, "x", "tie_lab_linked")
    dy = np.ones((2, 2))
    _, _, tied = ref_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    counts = [len(cells) for row in tied for cells in row]
    assert sorted(counts) == [1, 1, 1, 4], "the preset makes exactly one four-way tie"

    rules = summary(at)
    assert rules["valid subgradient"].to_dict() == {
        "first": True,
        "last": True,
        "split": True,
        "all": False,
        "none": False,
    }
    # Gradient mass: each window sends dL/dy, except 'all' (4 for the tied window) and 'none' (0 for it).
    expected_mass = {p: rule_gradient(x, dy, p).sum() for p in POLICIES}
    assert expected_mass == {"first": 4, "last": 4, "split": 4, "all": 7, "none": 3}
    assert rules["Σ dL/dx"].to_dict() == pytest.approx(expected_mass)
    assert set(rules["Σ dL/dy"]) == {4}

    # Finite differences by hand, with the step the page states: half the smallest gap between a
    # window's maximum and the next distinct value in it.
    gaps = []
    for i in range(2):
        for j in range(2):
            block = sorted(set(x[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].ravel()))
            if len(block) > 1:  # the tied window holds one value only: it has no runner-up
                gaps.append(block[-1] - block[-2])
    step = min(gaps) / 2
    assert any(c.value.startswith(f"Step h = {step:g}: half the smallest gap ({min(gaps):g})") for c in at.caption)
    tied_cells = [divmod(c, 4) for row in tied for cells in row if len(cells) == 4 for c in cells]
    for kind in ("forward", "backward", "central"):
        shown = heatmap(chart(at, f"tie_lab_fd_{kind}"))
        by_hand = finite_difference(x, dy, step, kind)
        assert np.allclose(shown, by_hand)
        at_ties = {by_hand[c] for c in tied_cells}
        assert at_ties == {"forward": {1.0}, "backward": {0.0}, "central": {0.5}}[kind]
    # ... so forward matches 'all', backward matches 'none', and central (1/2 each) matches no rule for k = 4.
    assert rules["= forward diff."].to_dict() == {
        "first": False,
        "last": False,
        "split": False,
        "all": True,
        "none": False,
    }
    assert rules["= backward diff."].to_dict() == {
        "first": False,
        "last": False,
        "split": False,
        "all": False,
        "none": True,
    }
    assert not rules["= central diff."].any()
    assert any(c.value == "Matches none of the five rules." for c in at.caption)

    # Each rule's dL/dx as drawn: one linked picture of dL/dx alone per rule, told apart by its key.
    for policy in POLICIES:
        assert np.allclose(grid(at, "dx", f"tie_lab_dx_{policy}"), rule_gradient(x, dy, policy))
        picture = linked(at, f"tie_lab_dx_{policy}")
        assert picture["show"] == ["dx"] and picture["tie_policy"] == policy
        # Its receivers (what the tooltips add up) are that rule's backward pass, cell by cell.
        sums = np.zeros(16)
        for window in picture["receivers"]:
            for flat, _, amount in window:
                sums[flat] += amount
        assert np.allclose(sums.reshape(4, 4), rule_gradient(x, dy, policy))
    # The picture at the top: the four grids under the sidebar's rule, x clickable, the probed cell badged.
    top = linked(at, "tie_lab_linked")
    assert top["show"] == ["x", "y", "dy", "dx"] and top["clickable"] == ["x"]
    probed = tuple(int(v) for v in at.query_params["probe"].split(","))
    assert top["grids"]["x"]["marks"] == [probed[0] * 4 + probed[1]]
    notes = np.array(top["grids"]["x"]["notes"]).reshape(4, 4)
    assert {divmod(c, 4) for c in np.flatnonzero(np.char.find(notes.astype(str), "a tied maximum") >= 0)} == set(
        tied_cells
    )

    # The two invalid rules come with their counterexample: d = +1 (all) and -1 (none) on the tied set.
    errors = [e.value for e in at.error]
    cells = ", ".join(f"x[{r}, {c}]" for r, c in tied_cells)
    assert any(f"d = +1 on {cells}" in e and "f(v + t·d) = 17.25 < f(v) + t·g·d = 18" in e for e in errors)
    assert any(f"d = −1 on {cells}" in e and "f(v + t·d) = 16.75 < f(v) + t·g·d = 17" in e for e in errors)


def test_window_mass_table_and_chart_follow_dL_dy():
    at = run_page(PAGE, {**K2, "dy": "2,-1;3,0.5"})
    widget(at, "tie_lab_preset_four").click().run()
    masses = table(at, "tie_lab_window_mass")
    # Only the tied window is listed: dL/dy 2, so first/last/split send 2, all sends 4 x 2, none sends 0.
    assert list(masses.index) == ["(0, 0)"]
    row = masses.loc["(0, 0)"]
    assert row["tied cells"] == 4 and row["dL/dy"] == 2
    assert [row[p] for p in POLICIES] == [2, 2, 2, 8, 0]
    spec = chart(at, "tie_lab_window_mass_chart")
    assert [decode(trace(spec, p)["y"]).tolist() for p in POLICIES] == [[2], [2], [2], [8], [0]]
    assert decode(trace(spec, "dL/dy")["y"]).tolist() == [2]
    # Every window, when asked for.
    widget(at, "tie_lab_all_windows").set_value(True).run()
    masses = table(at, "tie_lab_window_mass")
    assert list(masses.index) == ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"]
    assert masses["dL/dy"].tolist() == [2, -1, 3, 0.5]
    assert masses["none"].tolist() == [0, -1, 3, 0.5]
    # The total-mass chart: 'all' adds three extra copies of the tied window's dL/dy.
    totals = dict(
        zip(
            trace(chart(at, "tie_lab_mass_chart"), "mass")["x"],
            decode(trace(chart(at, "tie_lab_mass_chart"), "mass")["y"]),
        )
    )
    assert totals == pytest.approx({"first": 4.5, "last": 4.5, "split": 4.5, "all": 10.5, "none": 2.5})


def test_two_way_tie_central_difference_matches_split():
    at = run_page(PAGE, K2)
    widget(at, "tie_lab_preset_two").click().run()
    x = grid(at, "x", "tie_lab_linked")
    _, _, tied = ref_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert sorted(len(c) for row in tied for c in row) == [1, 1, 1, 2]
    rules = summary(at)
    # With k = 2 the split share 1/k equals the central difference's 1/2.
    assert rules["= central diff."].to_dict() == {
        "first": False,
        "last": False,
        "split": True,
        "all": False,
        "none": False,
    }
    assert rules["valid subgradient"].tolist() == [True, True, True, False, False]


def test_all_equal_and_relu_presets():
    at = run_page(PAGE, K2)
    widget(at, "tie_lab_preset_equal").click().run()
    assert np.array_equal(grid(at, "x", "tie_lab_linked"), np.ones((4, 4)))
    # No window has a runner-up, so the page says the ties are the only kinks.
    assert any("No window has a runner-up" in c.value for c in at.caption)
    rules = summary(at)
    assert rules["Σ dL/dx"].tolist() == [4, 4, 4, 16, 0]
    assert rules["= forward diff."].tolist() == [False, False, False, True, False]
    assert rules["= backward diff."].tolist() == [False, False, False, False, True]

    widget(at, "tie_lab_preset_relu").click().run()
    x = grid(at, "x", "tie_lab_linked")
    assert (x >= 0).all() and (x == 0).mean() >= 0.7
    _, _, tied = ref_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), False)
    zero_windows = sum(1 for row in tied for cells in row if len(cells) == 4)
    assert zero_windows >= 1 and any(len(c) == 1 for row in tied for c in row)
    # 'none' loses exactly the zero windows' gradient; the tied value is 0, so 'all' keeps y = 0 there too.
    assert summary(at)["Σ dL/dx"]["none"] == 4 - zero_windows
    assert summary(at)["valid subgradient"].tolist() == [True, True, True, False, False]


def test_probe_shows_the_kink_with_both_slopes():
    at = four_way_tie()
    x = grid(at, "x", "tie_lab_linked")
    # The probe starts on the first tied cell.
    assert widget(at, "tie_lab_probe_box").value == (0, 0)
    assert at.query_params["probe"] == "0,0"
    spec = chart(at, "tie_lab_probe_chart")
    h = decode(trace(spec, "loss")["x"])
    shown = decode(trace(spec, "loss")["y"])
    dy = np.ones((2, 2))
    for k in range(0, h.size, 10):
        bumped = x.copy()
        bumped[0, 0] += h[k]
        assert shown[k] == pytest.approx(loss(bumped, dy))
    # Flat to the left of 0, slope 1 to the right: the kink of a tie.
    left = h < 0
    assert np.allclose(shown[left], loss(x, dy))
    assert np.allclose(np.diff(shown[~left]) / np.diff(h[~left]), 1)
    notes = spec["layout"]["annotations"][0]["text"]
    assert "left slope (backward) = 0" in notes and "right slope (forward) = 1" in notes
    assert any(c.value.startswith("A kink: the slope is 0 to the left and 1 to the right") for c in at.caption)

    # A unique maximum elsewhere: both slopes equal dL/dy.
    widget(at, "tie_lab_probe_box").set_value((2, 2)).run()
    assert at.query_params["probe"] == "2,2"
    assert any(c.value.startswith("Both one-sided slopes are 1") for c in at.caption)


def test_a_step_chosen_by_hand_and_bad_links():
    at = four_way_tie()
    widget(at, "tie_lab_custom_step").set_value(True).run()
    widget(at, "tie_lab_step").set_value(2.0).run()
    assert at.query_params["h"] == "2.0"
    # 2 reaches the runner-up gap (1): the page warns next to the step, and the forward difference moves.
    assert any("reaches the smallest runner-up gap" in w.value for w in at.warning)
    x = grid(at, "x", "tie_lab_linked")
    assert np.allclose(heatmap(chart(at, "tie_lab_fd_forward")), finite_difference(x, np.ones((2, 2)), 2.0, "forward"))

    # A grid without a tie (2x2 windows, stride 2), so the probe falls back to cell (0, 0).
    bad = run_page(PAGE, {"x": "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "k": "2", "h": "abc", "probe": "x,y"})
    assert not bad.exception
    # Read by the grids' number parser, so it gets the grids' words (tests/test_ambiguous_numbers.py).
    assert any('step h: "abc" is not a number' in plain(w.value) for w in bad.warning)
    assert "h" not in bad.query_params
    assert bad.query_params["probe"] == "0,0"


def test_presets_follow_the_window():
    # Overlapping 3x3 windows at stride 1: the four tied cells sit in one 3x3 window.
    at = run_page(PAGE, {"k": "3", "s": "1"})
    widget(at, "tie_lab_preset_four").click().run()
    assert not at.exception
    x = grid(at, "x", "tie_lab_linked")
    out, _, tied = ref_forward(x, (3, 3), (1, 1), (0, 0), (1, 1), False)
    assert max(len(c) for row in tied for c in row) == 4
    assert summary(at)["valid subgradient"].tolist() == [True, True, True, False, False]
    # Overlapping windows add up: dL/dx under 'first' sums to the number of windows.
    assert np.asarray(grid(at, "dx", "tie_lab_dx_first")).sum() == out.size


def test_the_page_is_listed_and_runs_in_the_app():
    at = run_app(page=PAGE)
    assert not at.exception
    assert at.title[0].value == "Tie lab"
    # The default example (2x2 windows, stride 1) holds a two-way tie, so the lab opens on it as it is: with
    # k = 2 the central difference (1/2 each) matches 'split' only, and 'all' / 'none' are no subgradients.
    x = grid(at, "x", "tie_lab_linked")
    _, _, tied = ref_forward(x, (2, 2), (1, 1), (0, 0), (1, 1), False)
    assert sorted(len(c) for row in tied for c in row) == [1] * 8 + [2]
    assert summary(at)["= central diff."].tolist() == [False, False, True, False, False]
    assert not any("starts on this one" in c.value for c in at.caption)
