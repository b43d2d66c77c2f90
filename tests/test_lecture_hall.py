"""Bugs a lecture shows up: a blank quiz answer scored as mostly right, sidebar controls live on a page
that ignores them, a whole picture drawn with moiré; the Explorer's presets.

Scrolling, page heights, overflow and contrast: tests/browser/test_lecture_hall_browser.py."""

from __future__ import annotations

import numpy as np

import pooling
from figures.images import area_average, make_image_figure
from tests.apptest_util import run_page
from ui import controls
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
