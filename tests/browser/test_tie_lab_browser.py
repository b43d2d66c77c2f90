"""The tie lab's linked pictures in headless Chromium: hovering y follows the window pooling gives under the
sidebar's tie rule, and each rule's own dL/dx picture adds up what that rule sends."""

from __future__ import annotations

import re

import numpy as np
import pytest

import pooling
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import wait_for_app, wait_until
from tests.browser.linked_helpers import hover_in, outlined_in, tooltip_in, wait_for_picture
from tests.reference import window_positions

pytestmark = pytest.mark.browser

# 6x6 with ties, kernel 3, stride 2, padding 1: overlapping windows, several tied maxima.
TIES6 = "2,0,2,1,3,3;1,2,0,2,1,0;3,1,3,0,2,1;0,3,1,3,3,0;2,0,2,1,0,2;1,3,0,2,3,1"
KEY = "tie_lab_linked"


def test_hover_outlines_are_the_cells_pooling_gives_under_each_rule(page, app_url):
    x = np.array([[float(v) for v in row.split(",")] for row in TIES6.split(";")])
    res = pooling.max_pool2d(x, 3, stride=2, padding=1)
    g = res.geometry
    H_out, W_out = res.out.shape
    page.goto(f"{app_url}/")
    wait_for_app(page)
    page.goto(f"{app_url}/tie_lab?x={TIES6}&k=3&s=2&p=1&tie=split")
    wait_for_app(page)
    wait_for_picture(page, KEY)
    tied_windows = 0
    for i in range(H_out):
        for j in range(W_out):
            hover_in(page, KEY, "y", i, j)
            window = {
                (h, w) for h, w, _ in window_positions(i, j, *g.in_shape, g.kernel, g.stride, g.padding, g.dilation)
            }
            wait_until(lambda w=window: outlined_in(page, KEY, "x", "lp-hl") == w)
            assert outlined_in(page, KEY, "y", "lp-hl") == {(i, j)}
            one_hot = np.zeros((H_out, W_out))
            one_hot[i, j] = 1.0
            shares = pooling.max_pool2d_backward(one_hot, res, "split")
            assert outlined_in(page, KEY, "dL/dx", "lp-recv") == {tuple(c) for c in np.argwhere(shares).tolist()}
            if np.count_nonzero(shares) > 1:  # a tie: the tooltip names the tied cells and the rule
                tied_windows += 1
                assert "rule: split" in tooltip_in(page, KEY)
    assert tied_windows >= 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tie_lab_hover_1280x800.png"))

    # Each rule's own picture: hovering a dL/dx cell lists what that rule sends it, summing to the cell.
    for rule in pooling.TIE_POLICIES:
        key = f"tie_lab_dx_{rule}"
        wait_for_picture(page, key, names=("dL/dx",))
        dx = pooling.max_pool2d_backward(np.ones(res.out.shape), res, rule)
        r, c = np.unravel_index(int(np.argmax(dx)), dx.shape)
        hover_in(page, key, "dL/dx", int(r), int(c))
        wait_until(lambda k=key, r=r, c=c: f"dL/dx[{r}, {c}]" in tooltip_in(page, k))
        tip = tooltip_in(page, key)
        parts = pooling.contributions(np.ones(res.out.shape), res, rule).get((int(r), int(c)), [])
        if not parts:  # 'none' here: every window ties, so no cell gets anything
            assert not dx.any() and rule == "none" and "wins no window" in tip
        else:
            # The windows named as senders are the ones pooling says send this cell a share under this rule.
            line = tip.split("receives from")[1].split("\n")[0]
            named = {(int(a), int(b)) for a, b in re.findall(r"y\[(\d+), (\d+)\]", line)}
            assert named == {q.output_cell for q in parts}
        assert outlined_in(page, key, "dL/dx", "lp-hl") == {(int(r), int(c))}
    page.screenshot(path=str(SCREENSHOTS / "tie_lab_rules_hover_1280x800.png"))
