"""Tests for ui.codec: the URL codec, grid parsers and their error messages."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ui.codec import (
    DEFAULT_STRIDE,
    DEFAULT_X,
    MAX_GRID_SIDE,
    MAX_NUMBER_CHARS,
    MAX_PADDING,
    MAX_PARAM_CHARS,
    MAX_PASTE_CHARS,
    MAX_WINDOW_PARAM,
    TIE_POLICIES,
    VIEW_KEYS,
    GridError,
    ParamError,
    ViewState,
    decode_view,
    encode_view,
    format_grid,
    format_number,
    format_pair,
    parse_grid,
    parse_number,
    parse_pair,
    parse_pasted_grid,
)

# --------------------------------------------------------------------------- helpers


def assert_same_bits(a: np.ndarray, b: np.ndarray) -> None:
    """Equal shape and identical bits, except that any NaN matches any NaN.

    NaN payloads and signs cannot survive text, so they are compared as "is NaN".
    """
    assert a.shape == b.shape
    assert a.dtype == b.dtype == np.float64
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    assert np.array_equal(nan_a, nan_b)
    assert np.array_equal(a[~nan_a].view(np.int64), b[~nan_b].view(np.int64))


any_float = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
grids = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
    elements=any_float,
)
window = st.tuples(st.integers(1, MAX_WINDOW_PARAM), st.integers(1, MAX_WINDOW_PARAM))
padding = st.tuples(st.integers(0, MAX_PADDING), st.integers(0, MAX_PADDING))
extras = st.dictionaries(
    st.text(max_size=8).filter(lambda k: k not in VIEW_KEYS),
    st.text(max_size=12),
    max_size=3,
)
states = st.builds(
    ViewState,
    x=grids,
    dy=st.none() | grids,
    kernel=window,
    stride=st.none() | window,
    padding=padding,
    dilation=window,
    ceil_mode=st.booleans(),
    tie_policy=st.sampled_from(TIE_POLICIES),
    extra=extras,
)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (-0.0, "-0"),
        (0.0, "0"),
        (1e16, "1e16"),
        (1e-5, "1e-5"),
        (1234567.0, "1234567"),
        (5e-324, "5e-324"),
    ],
)
def test_format_number_examples(value, text):
    assert format_number(value) == text


@given(any_float)
def test_format_number_round_trips_bit_for_bit(v):
    text = format_number(v)
    assert len(text) <= MAX_NUMBER_CHARS
    assert_same_bits(np.array([parse_number(text)]), np.array([v]))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3.0),
        (" -0.5 ", -0.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("+1E3", 1000.0),
        ("INF", math.inf),
        ("+inf", math.inf),
        ("-Infinity", -math.inf),
        ("infinity", math.inf),
        ("1e-400", 0.0),  # below the smallest subnormal: rounds to zero as usual
    ],
)
def test_parse_number_accepts(text, expected):
    assert parse_number(text) == expected


def test_parse_number_nan_any_case():
    assert math.isnan(parse_number(" NaN "))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1.2.3", "is not a number (use digits, nan, inf or -inf)"),
        ("1_000", "without _ separators"),
        ("0x10", "only decimal numbers"),
        ("1+2j", "complex numbers are not accepted"),
        # Arabic-Indic digits: Python's float() would accept them.
        ("\u0661\u0662", "is not a number"),
        ("-nan", "is not a number"),
        ("__import__('os')", "is not a number"),
        ("1e400", "too large"),
        ("-1e400", "too large"),
        ("", "is empty"),
        ("1" * (MAX_NUMBER_CHARS + 1), f"at most {MAX_NUMBER_CHARS}"),
    ],
)
def test_parse_number_rejects(text, fragment):
    with pytest.raises(GridError) as info:
        parse_number(text)
    assert fragment in str(info.value)


def test_parse_number_huge_text_is_refused_by_length():
    with pytest.raises(GridError, match="too long"):
        parse_number("7" * 1_000_000)


# --------------------------------------------------------------------------- grids


@given(grids)
def test_format_grid_parse_grid_round_trip_bit_for_bit(a):
    assert_same_bits(parse_grid(format_grid(a)), a)


def test_format_grid_layout():
    assert format_grid(np.array([[1.0, 2.0], [3.0, 4.5]])) == "1,2;3,4.5"


def test_format_grid_writes_each_number_as_format_number_does():
    """format_grid looks small whole numbers up in a table: the table agrees with format_number, and the
    values it leaves out (0, -0.0, NaN, 1000 and up) still come out as format_number writes them."""
    values = [float(k) for k in range(-1200, 1201)] + [-0.0, 0.0, np.nan, 0.5, -999.5, 1e3, 1e6]
    row = np.array([values])
    assert format_grid(row).split(",") == [format_number(v) for v in values]


def test_format_grid_special_values_round_trip():
    a = np.array([[np.nan, np.inf, -np.inf], [-0.0, 5e-324, np.finfo(np.float64).max]])
    text = format_grid(a)
    assert text.startswith("nan,inf,-inf;-0,5e-324,")
    assert_same_bits(parse_grid(text), a)


def test_format_grid_rejects_non_2d():
    with pytest.raises(ValueError, match="2-D"):
        format_grid(np.zeros(3))


def test_parse_grid_whitespace_and_ints():
    a = parse_grid(" 1 , 2 ; 3,4 ")
    assert a.dtype == np.float64
    np.testing.assert_array_equal(a, [[1, 2], [3, 4]])


def test_parse_grid_custom_row_separator():
    np.testing.assert_array_equal(parse_grid("1,2|3,4", row_sep="|"), [[1, 2], [3, 4]])


def test_full_size_grid_of_longest_values_fits_the_limit():
    longest = -np.finfo(np.float64).tiny  # "-2.2250738585072014e-308", 24 characters
    a = np.full((MAX_GRID_SIDE, MAX_GRID_SIDE), longest)
    text = format_grid(a)
    assert len(text) <= MAX_PARAM_CHARS
    assert_same_bits(parse_grid(text), a)


def test_ragged_grid_message():
    with pytest.raises(GridError) as info:
        parse_grid("1,2,3,4;5,6,7,8;1,2,3,4,5")
    assert str(info.value) == (
        "x: row 3 has 5 values but row 1 has 4; every row needs the same number of values"
    )


def test_not_a_number_message_names_row_and_column():
    with pytest.raises(GridError) as info:
        parse_grid("1,2;1.2.3,4")
    assert str(info.value) == (
        'x: "1.2.3" in row 2, column 1 is not a number (use digits, nan, inf or -inf)'
    )


def test_message_uses_the_given_name():
    with pytest.raises(GridError, match=r'^dy: "abc" in row 1, column 2 '):
        parse_grid("1,abc", name="dy")


def test_too_many_rows_message():
    with pytest.raises(GridError) as info:
        parse_grid(";".join(["1"] * 70))
    assert str(info.value) == "x: 70 rows is too many; at most 64 rows and 64 columns"


def test_too_many_columns_message():
    with pytest.raises(GridError) as info:
        parse_grid("1,2;" + ",".join(["1"] * 65))
    message = str(info.value)
    assert message.startswith("x: row 2 has 65 values, which is too many")
    assert "at most 64 rows and 64 columns" in message


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_grid_message(text):
    with pytest.raises(GridError, match="x: the grid is empty; write rows of numbers"):
        parse_grid(text)


def test_empty_row_message():
    with pytest.raises(GridError, match="x: row 2 is empty"):
        parse_grid("1,2;;3,4")


def test_empty_value_message():
    with pytest.raises(GridError, match=r'x: "" in row 1, column 2 is empty'):
        parse_grid("1,,3")


def test_overflow_value_message():
    with pytest.raises(GridError) as info:
        parse_grid("1,2;3,1e400")
    message = str(info.value)
    assert '"1e400" in row 2, column 2 is too large' in message
    assert "write inf or -inf" in message


def test_long_value_is_shortened_in_the_message():
    with pytest.raises(GridError) as info:
        parse_grid("1," + "9" * 100)
    message = str(info.value)
    assert "is too long (100 characters; one value holds at most 32)" in message
    assert "9" * 40 not in message


def test_control_characters_are_not_echoed():
    with pytest.raises(GridError) as info:
        parse_grid("1,a\x1bb")
    assert "\x1b" not in str(info.value)


def test_ten_megabyte_grid_is_refused_by_length():
    huge = "1," * 5_000_000
    with pytest.raises(GridError) as info:
        parse_grid(huge)
    assert str(info.value) == (
        f"x: the text is 10,000,000 characters long; a grid link holds at most "
        f"{MAX_PARAM_CHARS:,} characters"
    )


# --------------------------------------------------------------------------- paste box


def test_paste_mixed_separators():
    text = "1, 2\t3\n\n4 ,5,\t 6\r\n  7\t\t8   9  \n\n"
    np.testing.assert_array_equal(
        parse_pasted_grid(text), [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    )


def test_paste_accepts_link_form_and_old_mac_newlines():
    np.testing.assert_array_equal(parse_pasted_grid("1,2;3,4"), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(parse_pasted_grid("1 2\r3 4"), [[1, 2], [3, 4]])


def test_paste_single_column_and_specials():
    a = parse_pasted_grid("nan\n-inf\n+Infinity\n")
    assert a.shape == (3, 1)
    assert math.isnan(a[0, 0]) and a[1, 0] == -math.inf and a[2, 0] == math.inf


def test_paste_ragged_message_counts_non_blank_rows():
    with pytest.raises(GridError) as info:
        parse_pasted_grid("1 2\n\n3 4 5", name="dy")
    assert str(info.value) == (
        "dy: row 2 has 3 values but row 1 has 2; every row needs the same number of values"
    )


def test_paste_bad_value_message():
    with pytest.raises(GridError, match=r'x: "x" in row 1, column 2 is not a number'):
        parse_pasted_grid("1 x")


def test_paste_blank_only_is_empty():
    with pytest.raises(GridError, match="the grid is empty"):
        parse_pasted_grid(" \n\t\n , \n")


def test_paste_too_many_rows_and_columns():
    with pytest.raises(GridError, match="65 rows is too many"):
        parse_pasted_grid("\n\n".join(["1"] * 65))
    with pytest.raises(GridError, match="row 1 has 65 values, which is too many"):
        parse_pasted_grid(" ".join(["1"] * 65))


def test_paste_ten_megabytes_is_refused_by_length():
    with pytest.raises(GridError) as info:
        parse_pasted_grid("1 " * 5_000_000)
    assert str(info.value) == (
        f"x: the text is 10,000,000 characters long; a pasted grid holds at most "
        f"{MAX_PASTE_CHARS:,} characters"
    )


# --------------------------------------------------------------------------- pairs


@pytest.mark.parametrize(
    ("text", "pair"),
    [("2", (2, 2)), ("2x3", (2, 3)), (" 4 X 1 ", (4, 1)), ("64x64", (64, 64))],
)
def test_parse_pair_accepts(text, pair):
    assert parse_pair(text, name="k", minimum=1, maximum=64) == pair


@pytest.mark.parametrize(("pair", "text"), [((2, 2), "2"), ((2, 3), "2x3"), (5, "5")])
def test_format_pair(pair, text):
    assert format_pair(pair) == text


@given(window)
def test_pair_round_trip(pair):
    assert parse_pair(format_pair(pair), name="k", minimum=1, maximum=64) == pair


def test_pair_out_of_range_message():
    with pytest.raises(ParamError) as info:
        parse_pair("0", name="k", minimum=1, maximum=64)
    assert str(info.value) == (
        'k: "0" is out of range; kernel size must be a whole number from 1 to 64, '
        "written like 2 or 2x3"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2x65", "out of range"),
        ("-1", "out of range"),
        ("2.5", "is not understood"),
        ("2x3x4", "is not understood"),
        ("two", "is not understood"),
        ("", "the value is empty"),
        ("2" * 1000, "1,000 characters long"),
    ],
)
def test_pair_errors(text, fragment):
    with pytest.raises(ParamError) as info:
        parse_pair(text, name="d", minimum=1, maximum=64)
    message = str(info.value)
    assert message.startswith("d: ")
    assert fragment in message
    assert "dilation must be a whole number from 1 to 64" in message


def test_padding_range_in_message():
    _, errors = decode_view({"p": "33"})
    assert errors["p"] == (
        'p: "33" is out of range; padding must be a whole number from 0 to 32, '
        "written like 2 or 2x3"
    )


# --------------------------------------------------------------------------- ViewState


def test_viewstate_equality_handles_nan():
    a = ViewState(x=[[np.nan, 1.0]], dy=None)
    b = ViewState(x=np.array([[np.nan, 1.0]]), dy=None)
    assert a == b
    assert a != ViewState(x=[[np.nan, 2.0]], dy=None)
    assert a != ViewState(x=[[np.nan, 1.0]], dy=[[1.0]])
    assert a != dataclasses.replace(a, tie_policy="split")
    assert a != dataclasses.replace(a, extra={"step": "1"})


def test_viewstate_normalises_and_protects_inputs():
    source = np.array([[1, 2], [3, 4]])
    state = ViewState(x=source, dy=None, kernel=3, dilation=[1, 2])
    assert state.x.dtype == np.float64
    assert state.kernel == (3, 3) and state.dilation == (1, 2)
    source[0, 0] = 99  # the state holds its own copy
    assert state.x[0, 0] == 1
    with pytest.raises(ValueError, match="read-only"):
        state.x[0, 0] = 5
    with pytest.raises(TypeError):
        hash(state)


@pytest.mark.parametrize(
    "changes",
    [
        {"x": np.zeros((65, 1))},
        {"x": np.zeros(3)},
        {"kernel": 0},
        {"stride": (1, 65)},
        {"padding": 33},
        {"tie_policy": "random"},
        {"extra": {"x": "1"}},
    ],
)
def test_viewstate_rejects_values_a_link_cannot_hold(changes):
    with pytest.raises(ValueError):
        dataclasses.replace(ViewState(x=DEFAULT_X, dy=None), **changes)


def test_default_x_is_the_example_and_read_only():
    np.testing.assert_array_equal(DEFAULT_X, [[1, 9, 2, 7], [3, 0, 7, 1], [4, 2, 1, 5], [0, 6, 3, 2]])
    assert DEFAULT_X.dtype == np.float64
    assert not DEFAULT_X.flags.writeable


def test_default_view_shows_a_winner_a_tie_and_overlap():
    # By hand, 2x2 windows at stride 1 (window (i, j) covers rows i..i+1, columns j..j+1):
    #   (0, 2) = [[2, 7], [7, 1]]: 7 twice, the only tie;
    #   (0, 0) = [[1, 9], [3, 0]] and (0, 1) = [[9, 2], [0, 7]] both have their max 9 at x[0, 1] (overlap);
    #   every other window has a single max.
    state, _ = decode_view({})
    assert state.kernel == (2, 2) and state.stride == DEFAULT_STRIDE == (1, 1)
    x = state.x
    maxima = {}
    for i in range(3):
        for j in range(3):
            window = {(r, c): x[r, c] for r in (i, i + 1) for c in (j, j + 1)}
            top = max(window.values())
            maxima[(i, j)] = sorted(cell for cell, v in window.items() if v == top)
    assert [w for w, cells in maxima.items() if len(cells) > 1] == [(0, 2)]
    assert maxima[(0, 2)] == [(0, 3), (1, 2)]
    assert maxima[(0, 0)] == maxima[(0, 1)] == [(0, 1)]


# --------------------------------------------------------------------------- links


def test_defaults_when_params_missing():
    state, errors = decode_view({})
    assert errors == {}
    assert state == ViewState(x=DEFAULT_X, dy=None, stride=DEFAULT_STRIDE)
    assert state.dy is None and state.stride == (1, 1)  # a fresh start: overlapping windows
    assert state.kernel == (2, 2) and state.padding == (0, 0)
    assert state.dilation == (1, 1) and state.ceil_mode is False
    assert state.tie_policy == "first" and dict(state.extra) == {}


def test_encode_is_minimal_for_defaults():
    assert encode_view(ViewState(x=DEFAULT_X, dy=None)) == {
        "x": "1,9,2,7;3,0,7,1;4,2,1,5;0,6,3,2",
        "k": "2",
    }


def test_a_link_with_a_kernel_but_no_stride_keeps_stride_equal_to_the_kernel():
    # Every link the app writes names its kernel; such old links open as before (PyTorch's default stride).
    assert decode_view({"k": "2"})[0].stride is None
    assert decode_view({"x": "1,2;3,4", "k": "1"})[0].stride is None
    assert decode_view({"x": "1,2;3,4"})[0].stride == DEFAULT_STRIDE  # no kernel named: the default window
    default = decode_view({})[0]
    assert decode_view(encode_view(default))[0] == default  # the fresh view's link round-trips


def test_decode_full_link():
    params = {
        "x": "1,2,3;4,5,6",
        "dy": "1;2",
        "k": "2x3",
        "s": "1",
        "p": "1x0",
        "d": "2",
        "ceil": "TRUE",
        "tie": "split",
    }
    state, errors = decode_view(params)
    assert errors == {}
    np.testing.assert_array_equal(state.x, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(state.dy, [[1], [2]])
    assert state.kernel == (2, 3) and state.stride == (1, 1)
    assert state.padding == (1, 0) and state.dilation == (2, 2)
    assert state.ceil_mode is True and state.tie_policy == "split"


GOOD = {
    "x": "1,2;3,4",
    "dy": "5",
    "k": "1x2",
    "s": "2",
    "p": "1",
    "d": "3",
    "ceil": "1",
    "tie": "last",
    "step": "4",
}
BAD = {
    "x": "1,2;3",
    "dy": "oops",
    "k": "0",
    "s": "99",
    "p": "-1",
    "d": "a",
    "ceil": "maybe",
    "tie": "random",
}
FALLBACK = {
    "x": DEFAULT_X,
    "dy": None,
    "kernel": (2, 2),
    "stride": None,
    "padding": (0, 0),
    "dilation": (1, 1),
    "ceil_mode": False,
    "tie_policy": "first",
}
FIELD_OF = {
    "x": "x",
    "dy": "dy",
    "k": "kernel",
    "s": "stride",
    "p": "padding",
    "d": "dilation",
    "ceil": "ceil_mode",
    "tie": "tie_policy",
}


@pytest.mark.parametrize("bad_key", list(BAD))
def test_one_bad_param_leaves_the_others_honoured(bad_key):
    good_state, good_errors = decode_view(GOOD)
    assert good_errors == {}
    state, errors = decode_view({**GOOD, bad_key: BAD[bad_key]})
    assert list(errors) == [bad_key]
    assert errors[bad_key].startswith(f"{bad_key}: ")
    # The bad parameter falls back to its default; everything else is as in GOOD.
    expected = dataclasses.replace(
        good_state, **{FIELD_OF[bad_key]: FALLBACK[FIELD_OF[bad_key]]}
    )
    assert state == expected
    assert state.extra == {"step": "4"}


def test_all_bad_params_give_defaults_and_one_message_each():
    state, errors = decode_view(BAD)
    assert set(errors) == set(BAD)
    assert state == ViewState(x=DEFAULT_X, dy=None)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "tie",
            "random",
            'tie: "random" is not a tie rule; choose first, last, split, all or none',
        ),
        (
            "k",
            "0",
            (
                'k: "0" is out of range; kernel size must be a whole number '
                "from 1 to 64, written like 2 or 2x3"
            ),
        ),
        (
            "x",
            "1,2,3;4",
            (
                "x: row 2 has 1 value but row 1 has 3; every row needs the same "
                "number of values"
            ),
        ),
    ],
)
def test_decode_error_messages(key, value, message):
    _, errors = decode_view({key: value})
    assert errors == {key: message}


def test_decode_ceil_message_says_what_is_allowed():
    _, errors = decode_view({"ceil": "maybe"})
    assert errors["ceil"].startswith('ceil: "maybe" is not understood; use 0')
    assert "1 to round it up" in errors["ceil"]


def test_decode_ten_megabyte_x_is_refused_and_others_kept():
    state, errors = decode_view({"x": "1," * 5_000_000, "k": "3"})
    assert "10,000,000 characters long" in errors["x"]
    assert state.kernel == (3, 3)
    assert state == ViewState(x=DEFAULT_X, dy=None, kernel=3)


def test_unknown_keys_are_preserved_and_written_back():
    params = {"x": "1", "k": "1", "step": "3", "page": "backward", "present": "1"}
    state, errors = decode_view(params)
    assert errors == {}
    assert state.extra == {"step": "3", "page": "backward", "present": "1"}
    assert encode_view(state) == params


def test_repeated_key_uses_the_last_item():
    state, errors = decode_view({"k": ["2", "3x4"], "step": ["1", "2"], "tie": []})
    assert errors == {}
    assert state.kernel == (3, 4)
    assert state.extra == {"step": "2"}
    assert state.tie_policy == "first"  # an empty list counts as missing


def test_non_text_value_is_an_error_not_a_crash():
    state, errors = decode_view({"k": 3})
    assert "k" in errors
    assert state.kernel == (2, 2)


def test_explicit_stride_equal_to_kernel_is_kept_distinct_from_none():
    explicit = ViewState(x=DEFAULT_X, dy=None, kernel=2, stride=2)
    assert encode_view(explicit)["s"] == "2"
    assert decode_view(encode_view(explicit))[0].stride == (2, 2)
    assert "s" not in encode_view(ViewState(x=DEFAULT_X, dy=None))


@settings(max_examples=200)
@given(states)
def test_encode_decode_round_trip(state):
    params = encode_view(state)
    assert all(isinstance(v, str) for v in params.values())
    assert {"x", "k"} <= set(params)
    decoded, errors = decode_view(params)
    assert errors == {}
    assert decoded == state
    # == treats -0.0 and 0.0 as equal, so check the bits as well.
    assert_same_bits(decoded.x, state.x)
    if state.dy is not None:
        assert_same_bits(decoded.dy, state.dy)


@given(states)
def test_round_trip_through_a_real_query_string(state):
    query = urllib.parse.urlencode(encode_view(state))
    parsed = urllib.parse.parse_qs(query, keep_blank_values=True)
    decoded, errors = decode_view(parsed)
    assert errors == {}
    assert decoded == state


def test_largest_state_round_trips():
    rng = np.random.default_rng(0)
    big = rng.standard_normal((MAX_GRID_SIDE, MAX_GRID_SIDE))
    state = ViewState(
        x=big,
        dy=-big,
        kernel=(64, 1),
        stride=64,
        padding=32,
        dilation=64,
        ceil_mode=True,
        tie_policy="none",
    )
    params = encode_view(state)
    assert len(params["x"]) <= MAX_PARAM_CHARS
    decoded, errors = decode_view(params)
    assert errors == {}
    assert decoded == state


# --------------------------------------------------------------------------- imports


def test_codec_imports_neither_streamlit_nor_plotly():
    code = (
        "import sys, ui, ui.codec; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')]; "
        "print(bad); raise SystemExit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stdout + result.stderr
