"""One wiring from the core to what pages draw: the real-images page builds the same ``Pooled`` as the grid
pages (``ui.model.pooled_from``), and the lessons ask ``Pooled.receivers`` which cells a window pays."""

from __future__ import annotations

import numpy as np
import pytest

import pooling
import ui.images
import ui.lessons
from ui.model import Pooled, Window, pooled_from

WINDOW = Window(kernel=(2, 2), stride=(2, 2), padding=(1, 1), dilation=(1, 1), ceil_mode=False)


@pytest.mark.parametrize("policy", pooling.TIE_POLICIES)
def test_a_pooled_picture_is_the_grid_pages_pooled(policy):
    x = np.random.default_rng(5).integers(0, 3, (9, 8)).astype(np.float32)  # small integers: many ties
    p = ui.images.pool_image(x, WINDOW, policy, "ones")
    assert isinstance(p, Pooled)
    res = pooling.max_pool2d(x, 2, padding=1)
    same = pooled_from(res, WINDOW, np.ones(res.out.shape, np.float32), policy)
    for name in ("y", "dy", "dx", "win_counts"):
        assert np.array_equal(getattr(p, name), getattr(same, name)), name
    # Counted by hand from the definition: a window is tied when two or more inside cells equal its max.
    tied = 0
    for i, j in np.ndindex(res.out.shape):
        cells = [(r, c) for r, c in window_cells(i, j) if 0 <= r < 9 and 0 <= c < 8]
        tied += sum(x[r, c] == res.out[i, j] for r, c in cells) >= 2
    assert p.tied_window_count == tied


def window_cells(i, j):  # noqa: N802 - reads like the geometry it spells out
    # Stride 2, padding 1, kernel 2: rows 2i-1, 2i and columns 2j-1, 2j.
    return [(2 * i - 1 + a, 2 * j - 1 + b) for a in range(2) for b in range(2)]


def test_the_lessons_have_no_receivers_of_their_own():
    assert not hasattr(ui.lessons, "receivers")


def test_receivers_skip_the_padding_under_every_rule():
    # x = [[4, 4], [1, 4]], kernel 2, stride 1, padding 1: window (0, 0) is rows -1..0, columns -1..0, so it
    # holds only x[0, 0] = 4; window (1, 1) holds the whole grid with a three-way tie at 4.
    x = np.array([[4.0, 4.0], [1.0, 4.0]])
    res = pooling.max_pool2d(x, 2, stride=1, padding=1)
    window = Window((2, 2), (1, 1), (1, 1), (1, 1), False)
    expected = {
        "first": [(0, 0)],
        "last": [(1, 1)],
        "split": [(0, 0), (0, 1), (1, 1)],
        "all": [(0, 0), (0, 1), (1, 1)],
        "none": [],
    }
    for policy, cells in expected.items():
        p = pooled_from(res, window, np.ones(res.out.shape), policy)
        assert [tuple(c) for c in p.receivers(0, 0)] == [(0, 0)]  # a lone max: every rule pays it
        assert [tuple(c) for c in p.receivers(1, 1)] == cells, policy
