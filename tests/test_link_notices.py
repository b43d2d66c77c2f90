"""A link whose dL/dy does not fit y: a message naming both shapes next to the editors, and the link's dL/dy
kept as given (never silently resized in the view or the URL)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.apptest_util import grid, run_page
from ui.shell import OWN_INPUT_PAGES

# The link: x is 4×4 and kernel 2 gives a 2×2 y, but dy is one row of three.
LINK = {"x": "1,3,3,0;3,2,1,1;0,0,5,5;0,0,5,5", "k": "2", "dy": "1,2,3"}
# Pages that pool the grid x with dL/dy (the others pool an image or a convolution's output).
GRID_PAGES = [
    "pages/explorer.py",
    "pages/step_through.py",
    "pages/quiz.py",
    "pages/tie_lab.py",
    "pages/matrix.py",
    "pages/max_vs_avg.py",
    "pages/code.py",
]


def shape_messages(at) -> list[str]:
    return [m.value for m in [*at.warning, *at.info, *at.error] if "dL/dy is" in m.value]


@pytest.mark.parametrize("page", [p for p in GRID_PAGES if p not in OWN_INPUT_PAGES])
def test_a_dy_of_the_wrong_shape_is_named_with_both_shapes_and_kept(page):
    at = run_page(page, LINK)
    assert not at.exception, [e.value for e in at.exception]
    found = shape_messages(at)
    assert len(found) == 1, found
    # dy as typed is 1×3; y = maxpool(x) with a 2×2 window on a 4×4 x is 2×2.
    assert "1×3" in found[0] and "2×2" in found[0]
    assert np.array_equal(at.session_state["view"].dy, [[1.0, 2.0, 3.0]])
    assert at.query_params["dy"] in ("1,2,3", ["1,2,3"])


def test_the_explorer_draws_the_fitted_dy_and_an_edit_replaces_the_link():
    at = run_page("pages/explorer.py", LINK)
    # Where the two overlap (row 0, columns 0 and 1) the link's values; elsewhere 1, as the message says.
    assert np.array_equal(grid(at, "dy"), [[1.0, 2.0], [1.0, 1.0]])
    def in_order(block) -> list:
        children = [block.children[i] for i in sorted(getattr(block, "children", {}) or {})]
        return [e for child in children for e in ([child] + in_order(child))]

    # With the table editors closed, the message sits right above the picture that draws dL/dy.
    elements = in_order(at.main)
    picture_at = next(n for n, e in enumerate(elements) if getattr(e, "type", None) == "bidi_component")
    assert "dL/dy is 1×3" in str(getattr(elements[picture_at - 1], "value", ""))
    # Choosing "all ones" is an edit of dL/dy: the notice goes, and so does the link's dy.
    at.session_state["editors"] = True  # open the table editors (built only while open)
    at.run()
    at.radio(key="dy_mode").set_value("ones").run()
    assert not shape_messages(at)
    assert "dy" not in at.query_params


def test_a_dy_that_fits_gets_no_message():
    at = run_page("pages/explorer.py", {**LINK, "dy": "1,2;3,4"})
    assert not shape_messages(at)
    assert np.array_equal(grid(at, "dy"), [[1.0, 2.0], [3.0, 4.0]])


# Page-owned link keys that were once ignored or changed without a word. Each case: the page, the link,
# the key that must be named in a warning. x is 4×4 and kernel 2, so y is 2×2.
SILENT_BEFORE = [
    ("pages/images.py", {"img": "webcam"}, "img"),
    ("pages/images.py", {"imgdy": "zeros"}, "imgdy"),
    ("pages/max_vs_avg.py", {"cip": "maybe"}, "cip"),
    ("pages/explorer.py", {"present": "yes"}, "present"),
    ("pages/matrix.py", {"mview": "3d"}, "mview"),
    ("pages/matrix.py", {"sel": "9,9"}, "sel"),
    ("pages/matrix.py", {"sel": "a,b"}, "sel"),
    ("pages/matrix.py", {"mview": "1d", "vsel": "x"}, "vsel"),
    ("pages/tie_lab.py", {"probe": "9,9"}, "probe"),
    ("pages/tie_lab.py", {"probe": "<b>hi</b>"}, "probe"),
]


@pytest.mark.parametrize(("page", "link", "key"), SILENT_BEFORE)
def test_a_page_owned_link_value_that_is_not_used_gets_a_message(page, link, key):
    at = run_page(page, {"x": LINK["x"], "k": "2", **link})
    assert not at.exception, [e.value for e in at.exception]
    named = [w.value for w in at.warning if f"`{key}`" in w.value]
    assert named, [w.value for w in at.warning]
    # Whatever the link held is quoted only as plain characters: every markup character in it is
    # backslash-escaped (ui.escape.md), so nothing can become markup.
    assert not re.search(r"(?<!\\)[<>*]", named[0].replace(f"`{key}`", "")), named[0]
