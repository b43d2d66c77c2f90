"""Bugs a lecture shows up: a blank quiz answer scored as mostly right, sidebar controls live on a page
that ignores them, a whole picture drawn with moiré; the Explorer's presets.

Scrolling, page heights, overflow and contrast: tests/browser/test_lecture_hall_browser.py."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
from figures.images import area_average, make_image_figure
from tests.apptest_util import chart, linked, run_page, trace
from ui import controls, presets
from ui.codec import format_grid
from ui.quiz import score


def test_a_blank_answer_is_not_scored_as_mostly_right():
    # Kernel 2 on a 4x4 grid with no ties: 4 cells get gradient, 12 get nothing. A blank answer (all 0)
    # matched cell by cell would be "12 of 16 cells right".
    x = np.arange(16.0).reshape(4, 4)
    right = pooling.max_pool2d_backward(np.ones((2, 2)), pooling.max_pool2d(x, 2))
    verdict = score(np.zeros((4, 4)), right)
    assert verdict.blank
    assert "12 of 16" not in verdict.summary() and "No answer yet" in verdict.summary()
    answered = np.zeros((4, 4))
    answered[1, 1] = 1.0  # one mark is an answer, scored as usual
    assert not score(answered, right).blank and score(answered, right).summary() == "13 of 16 cells right"
    # Where nothing gets gradient (every dL/dy is 0), all zeros is the right answer, not a blank one.
    assert not score(np.zeros((4, 4)), np.zeros((4, 4))).blank


def test_the_quiz_page_says_a_blank_answer_is_not_scored():
    at = run_page("pages/quiz.py")
    at.button(key="quiz_reveal").click().run()
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert "No answer yet" in said and "cells right" not in said


def test_lessons_hide_the_sidebar_window_and_tie_rule():
    at = run_page("pages/lessons.py")
    assert not at.exception
    assert not [r for r in at.sidebar.radio if r.key == "tie"]
    assert not [n for n in at.sidebar.number_input if n.key == "k_h"]
    assert any(controls.NOT_USED_HERE in c.value for c in at.sidebar.caption)
    # The settings survive the visit: back on the explorer, the tie rule chosen before is still there.
    explorer = run_page("pages/explorer.py", {"tie": "split"})
    assert explorer.radio(key="tie").value == "split"
    assert not any(controls.NOT_USED_HERE in c.value for c in explorer.sidebar.caption)


def test_area_average_by_hand():
    a = np.array([[1.0, 3.0, 5.0], [3.0, 5.0, 7.0], [0.0, 4.0, np.inf]])
    # 2x2 blocks: [[1,3],[3,5]] -> 3; [[5],[7]] -> 6; [[0, 4]] -> 2; [[inf]] -> no finite value -> NaN.
    out = area_average(a, 2)
    assert out.shape == (2, 2)
    assert out[0, 0] == 3.0 and out[0, 1] == 6.0 and out[1, 0] == 2.0 and np.isnan(out[1, 1])


def test_a_whole_picture_is_drawn_as_block_means_and_a_detail_pixel_by_pixel():
    rng = np.random.default_rng(0)
    picture = rng.random((512, 512))
    fig = make_image_figure(picture, name="x", kind="image", zrange=(0, 1), overview_side=256)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (256, 256)
    assert np.allclose(z, picture.reshape(256, 2, 256, 2).mean(axis=(1, 3)), atol=1e-6)
    assert fig.data[0].x0 == 0.5 and fig.data[0].dx == 2  # blocks sit on the pixels they average
    detail = make_image_figure(picture, name="x", kind="image", view_box=(0, 31, 0, 31), overview_side=256)
    assert np.asarray(detail.data[0].z).shape == (512, 512)


# --------------------------------------------------------------------------- the Explorer's presets


def _pooled(preset):
    e = preset.example
    res = pooling.max_pool2d(e.x, e.kernel, stride=e.stride, padding=e.padding, dilation=e.dilation)
    return res, pooling.win_counts(res, e.tie_policy)


def test_each_preset_shows_its_point():
    basic, tie, overlap = (presets.PRESETS[n] for n in ("basic", "tie", "overlap"))
    res, counts = _pooled(basic)
    assert not pooling.tie_report(res) and counts.max() == 1  # one clear winner per window, no overlap
    res, counts = _pooled(tie)
    assert [t.window for t in pooling.tie_report(res)] == [(0, 0)]  # exactly the tie its sentence names
    assert counts.max() == 1
    res, counts = _pooled(overlap)
    assert overlap.example.stride[0] < overlap.example.kernel[0]  # windows overlap
    assert not pooling.tie_report(res)
    assert counts[1, 1] == 3 and counts.max() == 3  # "x[1, 1] wins three of them"


def test_a_preset_button_loads_x_window_and_dy_and_the_overlap_sum_is_on_screen():
    at = run_page("pages/explorer.py")
    at.button(key="preset_overlap").click().run()
    assert not at.exception
    e = presets.PRESETS["overlap"].example
    assert at.number_input(key="k_h").value == 3 and at.checkbox(key="stride_same").value is False
    assert at.number_input(key="s_h").value == 1
    assert presets.PRESETS["overlap"].point in " ".join(m.value for m in at.markdown)
    # Window (0, 1) is selected; its winner x[1, 1] also wins (0, 0) and (1, 0): 1 + 2 + (-1) by hand.
    assert any("dL/dx[1, 1] = 1 + 2 + (-1) = 2" in m.value for m in at.markdown)
    assert at.query_params["x"] in (format_grid(e.x), [format_grid(e.x)])
    at.button(key="preset_tie").click().run()
    assert at.number_input(key="k_h").value == 2 and at.checkbox(key="stride_same").value is True
    assert presets.PRESETS["tie"].point in " ".join(m.value for m in at.markdown)


def test_the_tie_lab_opens_on_a_tie_but_never_replaces_a_linked_grid():
    at = run_page("pages/tie_lab.py")
    assert not at.exception
    x = np.asarray(at.session_state["view"].x)
    res = pooling.max_pool2d(x, 2)
    assert [len(t.cells) for t in pooling.tie_report(res)] == [2]  # one two-way tie
    linked = run_page("pages/tie_lab.py", {"x": "1,2;3,4"})
    assert np.array_equal(linked.session_state["view"].x, [[1, 2], [3, 4]])


def test_inside_a_network_opens_with_several_windows_but_keeps_a_linked_grid():
    at = run_page("pages/network.py")
    assert not at.exception
    view = at.session_state["view"]
    x = np.asarray(view.x)
    z_side = x.shape[0] - 2 + 1  # the default 2x2 kernel
    out = pooling.pool_geometry((z_side, z_side), view.kernel, stride=view.stride).out_shape
    assert out[0] * out[1] >= 4  # several pooling windows
    linked = run_page("pages/network.py", {"x": "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4"})  # the default grid, linked
    assert linked.session_state["view"].x.shape == (4, 4)


def test_the_quiz_opens_on_question_one_and_steps_through_tie_and_overlap():
    at = run_page("pages/quiz.py")
    assert not at.exception
    view = at.session_state["view"]
    assert np.array_equal(view.x, presets.PRESETS["basic"].example.x)
    assert at.button(key="quiz_question_basic").proto.type == "primary"
    at.button(key="quiz_question_tie").click().run()
    view = at.session_state["view"]
    assert np.array_equal(view.x, presets.PRESETS["tie"].example.x)
    assert pooling.tie_report(pooling.max_pool2d(view.x, view.kernel))  # question 2 has a tie
    at.button(key="quiz_question_overlap").click().run()
    assert not at.exception
    view = at.session_state["view"]
    assert view.stride == (1, 1) and view.kernel == (3, 3)
    assert at.button(key="quiz_question_overlap").proto.type == "primary"
    # A linked question is the student's own: it is not replaced.
    linked = run_page("pages/quiz.py", {"x": "1,2;3,4"})
    assert np.array_equal(linked.session_state["view"].x, [[1, 2], [3, 4]])


def _partial_ties_in(x: np.ndarray, top: int, left: int, size: int = 32) -> int:
    """2x2 windows (stride 2) inside the box with two or three equal maxima (a tie, but not a flat block)."""
    block = x[top : top + size, left : left + size].reshape(size // 2, 2, size // 2, 2).transpose(0, 2, 1, 3)
    block = block.reshape(size // 2, size // 2, 4)
    n_max = (block == block.max(axis=-1, keepdims=True)).sum(axis=-1)
    return int(((n_max >= 2) & (n_max < 4)).sum())


def test_a_real_images_detail_opens_where_windows_tie():
    from tests.test_app_images import images_page, sample_gray

    at = images_page({"k": "2"})  # 2x2 windows at stride 2, as _partial_ties_in counts them
    at.selectbox(key="img_detail").set_value(32).run()
    assert not at.exception
    top, left = at.slider(key="img_row").value, at.slider(key="img_col").value
    x = sample_gray().astype(np.float32)
    chosen = _partial_ties_in(x, top, left)
    # Brute force over the same candidate corners (every 8 pixels): none has more partial ties.
    best = max(_partial_ties_in(x, r, c) for r in range(0, 481, 8) for c in range(0, 481, 8))
    assert chosen == best and chosen > _partial_ties_in(x, 0, 0)


# --------------------------------------------------------------------------- presentation mode on every figure

FIGURES = {
    "pages/network.py": ["net_x_chart", "net_dz_chart", "net_dk_chart", "net_check_chart"],
    "pages/matrix.py": ["matrix_chart", "matrix_x_chart", "matrix_dx_chart"],
    "pages/max_vs_avg.py": ["mva_x_chart", "mva_dx_max_chart", "mva_dx_avg_chart", "mva_mass_chart"],
    "pages/tie_lab.py": [
        "tie_lab_mass_chart",
        "tie_lab_window_mass_chart",
        "tie_lab_fd_central",
    ],
}


LINKED = {"pages/tie_lab.py": ["tie_lab_linked", "tie_lab_dx_first", "tie_lab_dx_none"]}
"""Linked pictures (ui/linked.py) on those pages, by key."""


def _font_and_plot_height(at, key):
    """The figure's base font size, and the height left for the plot inside its margins (None: sized by Streamlit)."""
    layout = chart(at, key)["layout"]
    height = layout.get("height")
    margin = layout.get("margin", {})
    return layout["font"]["size"], None if height is None else height - margin.get("t", 0) - margin.get("b", 0)


def test_presentation_mode_enlarges_every_figure_on_the_other_pages():
    from ui.presentation import FONT_SCALE

    for page, keys in FIGURES.items():
        # Both opened by a link, so both show the same grids (a fresh session may swap in a teaching default).
        link = {"x": "1,3,2,4;3,0,1,0;4,1,0,2;0,2,5,1"} if page == "pages/tie_lab.py" else {"tie": "first"}  # a tie
        normal, present = run_page(page, link), run_page(page, {**link, "present": "1"})
        assert not normal.exception and not present.exception, page
        for key in keys:
            (f0, h0), (f1, h1) = _font_and_plot_height(normal, key), _font_and_plot_height(present, key)
            assert f1 == pytest.approx(f0 * FONT_SCALE), (page, key)
            # Fonts and margins grow: the figure must grow with them, or its plot area would shrink (it did:
            # Inside a network's grids went from 155 to 107 px when presenting).
            assert h0 is None or h1 >= h0, (page, key, h0, h1)
        for key in LINKED.get(page, []):
            # The linked pictures carry the scale in their payload; the browser sizes cells and text from it.
            assert linked(normal, key)["font_scale"] == 1.0, (page, key)
            assert linked(present, key)["font_scale"] == FONT_SCALE, (page, key)


def test_both_gradients_on_max_vs_average_share_one_colour_scale():
    at = run_page("pages/max_vs_avg.py")
    max_dx, avg_dx = (trace(chart(at, k), "grid") for k in ("mva_dx_max_chart", "mva_dx_avg_chart"))
    # Default x, 2x2 windows at stride 1, dL/dy = 1: x[0, 1] = 9 wins windows (0, 0) and (0, 1), so max's dL/dx
    # reaches 2; average sends 1/4 per window to every cell (at most 1). One scale for both: ±2.
    assert (max_dx["zmin"], max_dx["zmax"]) == (avg_dx["zmin"], avg_dx["zmax"]) == (-2.0, 2.0)


def test_whole_win_counts_get_one_flat_colour_and_one_tick_each():
    counts = np.array([[0, 1, 2], [3, 1, 0]])
    fig = make_image_figure(counts, name="windows won", kind="counts")
    heat = fig.data[0]
    assert list(heat.colorbar.tickvals) == [0, 1, 2, 3] and (heat.zmin, heat.zmax) == (-0.5, 3.5)
    # Four levels, each a flat band of the scale: [0, 1/4) one colour, [1/4, 1/2) the next, ...
    stops = [(round(float(p), 6), c) for p, c in heat.colorscale]
    assert [p for p, _ in stops] == [0.0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0]
    assert stops[0][1] == stops[1][1] and stops[1][1] != stops[2][1]
