"""Numbers that could mean two things get a message, never a silently different grid.

- A paste with decimal commas (``1,5<tab>2,5``) or thousands separators (``1,000 2,000``) used to
  become four columns (``1,5,2,5``, ``1,0,2,0``) with no word said.
- The data editor now repeats the parser's specific hint (a decimal comma, ``_`` separators,
  full-width digits) instead of a generic one.
- The tie lab's step ``h`` from a link is read by the same number parser as the grids (so a
  full-width ``１`` is refused as the grids refuse it) and says so when it is clamped to its range.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.apptest_util import plain, run_page, widget
from ui import tie_lab
from ui.codec import GridError, parse_number, parse_pasted_grid


@pytest.mark.parametrize(
    "text,quoted",
    [
        ("1,5\t2,5", "1,5"),  # decimal commas, tab separated (a European spreadsheet)
        ("1,5 2,5\n3,5 4,5", "1,5"),
        ("1,000 2,000", "1,000"),  # thousands separators, space separated
        ("1,000", "1,000"),  # one value with a thousands separator
        ("3,05;1,25", "3,05"),  # a decimal comma with a leading zero after it
        ("10, 05", "10,05"),
    ],
)
def test_a_comma_inside_a_number_is_refused_with_both_meanings(text, quoted):
    with pytest.raises(GridError) as info:
        parse_pasted_grid(text)
    message = str(info.value)
    assert f'"{quoted}"' in message and "decimal comma" in message and "thousands separator" in message, message


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1, 2, 3\n4, 5, 6", [[1, 2, 3], [4, 5, 6]]),  # commas with spaces: separators, as everywhere
        ("1,2,3;4,5,6", [[1, 2, 3], [4, 5, 6]]),  # link form
        ("1 2\t3", [[1, 2, 3]]),
        ("1.5\t2.5", [[1.5, 2.5]]),
        ("1,0", [[1, 0]]),  # commas alone between one-digit values: link form, unambiguous by the stated rule
        ("0.05,0.5 1e-3", [[0.05, 0.5, 0.001]]),
    ],
)
def test_unambiguous_pastes_still_work(text, expected):
    np.testing.assert_array_equal(parse_pasted_grid(text), expected)


def test_the_paste_box_shows_the_message_and_keeps_the_grid():
    at = run_page("pages/explorer.py", {"x": "1,2;3,4", "k": "2"})
    at.session_state["editors"] = True  # the explorer builds its table editors only while they are open
    at.run()
    widget(at, "x_paste").set_value("1,5\t2,5\n3,5\t4,5")
    widget(at, "x_paste_apply").click().run()
    assert not at.exception
    errors = [plain(e.value) for e in at.error]
    assert any("decimal comma" in e for e in errors), errors
    np.testing.assert_array_equal(at.session_state["view"].x, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    "cell,hint",
    [("1,5", "decimal point"), ("1_000", "_ separators"), ("１", "plain ASCII"), ("", "is empty")],
)
def test_the_data_editor_repeats_the_parsers_hint(cell, hint):
    at = run_page("pages/explorer.py", {"x": "1,2;3,4", "k": "2"})
    at.session_state["editors"] = True  # the explorer builds its table editors only while they are open
    at.run()
    key = f"x_editor_{at.session_state['_x_editor_revision']}"
    at.session_state[key] = {"edited_rows": {0: {"1": cell}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    errors = [plain(e.value) for e in at.error]
    assert any(e.startswith("x[0, 1]:") and hint in e for e in errors), errors
    np.testing.assert_array_equal(at.session_state["view"].x, [[1, 2], [3, 4]])


# ------------------------------------------------------------------------------ the tie lab's step h


@pytest.mark.parametrize(
    "raw,used,words",
    [
        ("1e9", tie_lab.MAX_STEP, "outside"),
        ("1e-320", tie_lab.MIN_STEP, "outside"),
        ("0.25", 0.25, None),
    ],
)
def test_a_clamped_step_says_so(raw, used, words):
    step, problem = tie_lab.step_from_link(raw)
    assert step == used
    assert (problem is None) == (words is None)
    if words:
        assert words in problem and raw in problem


@pytest.mark.parametrize("raw", ["１", "1_0", "0x10", "١٢", "1,5", "x" * 40])
def test_the_step_is_refused_exactly_where_the_grids_refuse_a_number(raw):
    with pytest.raises(GridError) as info:
        parse_number(raw)
    step, problem = tie_lab.step_from_link(raw)
    assert step is None
    assert str(info.value) in problem  # the same words as a grid cell would get


def test_the_tie_lab_page_shows_the_clamp():
    at = run_page("pages/tie_lab.py", {"h": "1e9"})
    assert not at.exception
    warnings = [plain(w.value) for w in at.warning]
    assert any("h=1e9 is outside" in w and "h=1e6" in w for w in warnings), warnings
    assert widget(at, "tie_lab_step").value == tie_lab.MAX_STEP
    assert at.query_params["h"] == repr(tie_lab.MAX_STEP)
