"""URL codec for the whole view (grids and pooling settings) and parser for pasted grids.

Pure Python plus numpy: nothing is ever evaluated as code, and every size is checked
before anything is split or allocated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from pooling import TIE_POLICIES

__all__ = [
    "DEFAULT_STRIDE",
    "DEFAULT_X",
    "MAX_GRID_SIDE",
    "MAX_NUMBER_CHARS",
    "MAX_PADDING",
    "MAX_PAIR_CHARS",
    "MAX_PARAM_CHARS",
    "MAX_PASTE_CHARS",
    "MAX_WINDOW_PARAM",
    "TIE_POLICIES",
    "VIEW_KEYS",
    "GridError",
    "ParamError",
    "ViewState",
    "decode_view",
    "encode_view",
    "format_grid",
    "format_number",
    "format_pair",
    "parse_grid",
    "parse_number",
    "parse_pair",
    "parse_pasted_grid",
]

# --------------------------------------------------------------------------- limits

#: Grids have 1 to this many rows and 1 to this many columns.
MAX_GRID_SIDE = 64
#: Largest kernel size, stride or dilation accepted from a link.
MAX_WINDOW_PARAM = 64
#: Largest padding accepted from a link.
MAX_PADDING = 32
#: Longest text of one value (whitespace around it excluded). The longest float64
#: written by ``format_number`` is 24 characters ("-2.2250738585072014e-308").
MAX_NUMBER_CHARS = 32
#: Longest grid parameter: a full grid of longest values, one separator per value.
MAX_PARAM_CHARS = MAX_GRID_SIDE * MAX_GRID_SIDE * (MAX_NUMBER_CHARS + 1)
#: Longest paste-box text; twice the link limit because pasted tables are often
#: padded with spaces to line up their columns.
MAX_PASTE_CHARS = 2 * MAX_PARAM_CHARS
#: Longest window-pair text; "64x64" needs 5, the slack allows spaces and zeros.
MAX_PAIR_CHARS = 16


#: Query keys the codec owns; every other key is passed through in ``ViewState.extra``.
VIEW_KEYS = ("x", "dy", "k", "s", "p", "d", "ceil", "tie")

DEFAULT_X = np.array(
    [[1, 9, 2, 7], [3, 0, 7, 1], [4, 2, 1, 5], [0, 6, 3, 2]], dtype=np.float64
)
"""The grid a fresh Explorer opens on. With the default window (2x2, stride 1: nine overlapping windows) it
shows the three points at once: every window has a winner; window (0, 2) holds its maximum 7 twice, at
x[0, 3] and x[1, 2] (a tie, and the only one); x[0, 1] = 9 wins windows (0, 0) and (0, 1), x[3, 1] = 6 wins
(2, 0) and (2, 1), so their dL/dx adds two windows' dL/dy (overlap)."""
# Shared module-level array: make it read-only so no caller can change the default.
DEFAULT_X.flags.writeable = False

_DEFAULT_KERNEL = (2, 2)
DEFAULT_STRIDE = (1, 1)
"""The stride of the view when a link names neither kernel nor stride (a fresh start): overlapping windows.
A link that names a kernel but no stride keeps PyTorch's default, stride = kernel (every link the app
writes names its kernel, so old links open as they did)."""
_DEFAULT_PADDING = (0, 0)
_DEFAULT_DILATION = (1, 1)
_DEFAULT_TIE = "first"

# What each pair parameter is called in messages, and its allowed range.
_PAIR_LABELS = {"k": "kernel size", "s": "stride", "p": "padding", "d": "dilation"}
_PAIR_RANGES = {
    "k": (1, MAX_WINDOW_PARAM),
    "s": (1, MAX_WINDOW_PARAM),
    "p": (0, MAX_PADDING),
    "d": (1, MAX_WINDOW_PARAM),
}


class GridError(ValueError):
    """A grid (or one of its values) could not be read; the message says why and where."""


class ParamError(ValueError):
    """A scalar link parameter (window pair, ceil, tie rule) could not be read."""


# --------------------------------------------------------------------------- numbers

# Plain decimal only, ASCII digits only: Python's float() would also accept
# "1_000", Unicode digits such as "١٢", and surrounding whitespace, none of
# which a link or a classroom paste should silently turn into a number.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL = {
    "nan": math.nan,
    "inf": math.inf,
    "+inf": math.inf,
    "-inf": -math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-infinity": -math.inf,
}
_NUMBER_HELP = "use digits, nan, inf or -inf"


def _show(text: str, limit: int = 20) -> str:
    """Quote user text for a message: shortened, control characters replaced.

    Messages are shown next to controls, so a pasted megabyte or a control
    character must not end up in them verbatim.
    """
    # Only a bounded prefix is looked at, so quoting a huge text stays cheap.
    text = text[: 4 * limit].strip()
    short = text if len(text) <= limit else text[:limit] + "…"
    return '"' + "".join(c if c.isprintable() else "\ufffd" for c in short) + '"'


def _number_problem(text: str) -> tuple[float, str | None]:
    """Read one value; return ``(value, None)`` or ``(nan, problem)``.

    The problem is a phrase that follows the quoted value, for example
    ``is not a number (use digits, nan, inf or -inf)``, so callers can prefix
    the value and its location.
    """
    # Reject absurd lengths before strip() copies the text; a little padding is fine.
    stripped = text if len(text) > 4 * MAX_NUMBER_CHARS else text.strip()
    if not stripped:
        return math.nan, f"is empty ({_NUMBER_HELP})"
    if len(stripped) > MAX_NUMBER_CHARS:
        return math.nan, (
            f"is too long ({len(stripped):,} characters; "
            f"one value holds at most {MAX_NUMBER_CHARS})"
        )
    special = _SPECIAL.get(stripped.lower())
    if special is not None:
        return special, None
    if _DECIMAL.fullmatch(stripped) is None:
        lowered = stripped.lower()
        if "_" in stripped:
            hint = "; write digits without _ separators"
        elif "," in stripped and _DECIMAL.fullmatch(stripped.replace(",", ".", 1)) is not None:
            hint = "; write a decimal point (1.5), not a comma, and no thousands separators"
        elif not stripped.isascii() and any(c.isdigit() for c in stripped):
            hint = "; type the digits 0-9 as plain ASCII (not full-width or other scripts)"
        elif lowered.lstrip("+-").startswith(("0x", "0o", "0b")):
            hint = "; only decimal numbers are accepted"
        elif lowered.endswith("j"):
            hint = "; complex numbers are not accepted"
        else:
            hint = ""
        return math.nan, f"is not a number ({_NUMBER_HELP}{hint})"
    value = float(stripped)  # safe: the text already matched a plain decimal
    if math.isinf(value):
        # A finite literal overflowed; turning it into inf would hide a typo.
        return math.nan, (
            "is too large for a 64-bit float (the largest is about 1.8e308; "
            "write inf or -inf for infinity)"
        )
    return value, None


def parse_number(text: str) -> float:
    """Parse one grid value.

    Parameters
    ----------
    text : str
        A decimal number (``3``, ``-0.5``, ``.5``, ``1e-3``) or ``nan``, ``inf``,
        ``+inf``, ``-inf``, ``infinity`` (case-insensitive). Whitespace around it is
        ignored. Hexadecimal, ``_`` separators, complex numbers and non-ASCII digits
        are rejected. A value too small for float64 (``1e-400``) becomes 0, as in
        any float parser; one too large (``1e400``) is an error.

    Returns
    -------
    float

    Raises
    ------
    GridError
        With a message that quotes the text and says what is allowed.
    """
    value, problem = _number_problem(text)
    if problem is not None:
        raise GridError(f"{_show(text)} {problem}")
    return value


def format_number(v: float) -> str:
    """Shortest text that parses back to exactly ``v``.

    Parameters
    ----------
    v : float

    Returns
    -------
    str
        ``3.0 -> "3"``, ``0.1 -> "0.1"``, ``1e-5 -> "1e-5"``, ``-0.0 -> "-0"``,
        ``nan -> "nan"``, ``inf -> "inf"``, ``-inf -> "-inf"``. Of the positional
        and scientific spellings the shorter wins (positional on a tie). Every NaN
        is written ``nan``, so a NaN's sign and payload bits are not kept.
    """
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    sign = "-" if math.copysign(1.0, v) < 0 else ""
    if v == 0:
        return sign + "0"
    # repr() gives the shortest round-trip digits; only their layout is changed here.
    mantissa, _, exponent = repr(abs(v)).partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    all_digits = int_part + frac_part
    # Value = 0.<digits> * 10**point once leading zeros are dropped.
    point = len(int_part) + (int(exponent) if exponent else 0)
    digits = all_digits.lstrip("0")
    point -= len(all_digits) - len(digits)
    digits = digits.rstrip("0")

    if point <= 0:
        positional = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        positional = digits + "0" * (point - len(digits))
    else:
        positional = digits[:point] + "." + digits[point:]
    scientific = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    scientific += f"e{point - 1}"
    best = positional if len(positional) <= len(scientific) else scientific
    return sign + best


# --------------------------------------------------------------------------- grids


def _too_long(name: str, n_chars: int, limit: int, what: str) -> GridError:
    return GridError(
        f"{name}: the text is {n_chars:,} characters long; {what} holds at most "
        f"{limit:,} characters"
    )


def _too_many_rows(name: str, n_rows: int) -> GridError:
    return GridError(
        f"{name}: {n_rows:,} rows is too many; at most {MAX_GRID_SIDE} rows and "
        f"{MAX_GRID_SIDE} columns"
    )


def _too_many_columns(name: str, row: int, n_values: int) -> GridError:
    return GridError(
        f"{name}: row {row} has {n_values:,} values, which is too many; at most "
        f"{MAX_GRID_SIDE} rows and {MAX_GRID_SIDE} columns"
    )


def _values(n: int) -> str:
    return f"{n} value" if n == 1 else f"{n} values"


def _build_grid(rows: list[list[str]], name: str) -> np.ndarray:
    """Turn already size-checked rows of cell texts into a float64 array.

    Rows and columns in messages are counted from 1, as a person reads them.
    """
    width = len(rows[0])
    for r, cells in enumerate(rows, start=1):
        if len(cells) != width:
            raise GridError(
                f"{name}: row {r} has {_values(len(cells))} but row 1 has "
                f"{width}; every row needs the same number of values"
            )
    out = np.empty((len(rows), width), dtype=np.float64)
    for r, cells in enumerate(rows, start=1):
        for c, cell in enumerate(cells, start=1):
            value, problem = _number_problem(cell)
            if problem is not None:
                raise GridError(
                    f"{name}: {_show(cell)} in row {r}, column {c} {problem}"
                )
            out[r - 1, c - 1] = value
    return out


def parse_grid(text: str, *, name: str = "x", row_sep: str = ";") -> np.ndarray:
    """Parse a grid written as in a link: ``"1,2;3,4"``.

    Parameters
    ----------
    text : str
        Rows separated by `row_sep`, values by ``,``; values as in `parse_number`.
        At most `MAX_PARAM_CHARS` characters; 1 to `MAX_GRID_SIDE` rows and columns;
        every row the same length.
    name : str
        Prefix of error messages, normally the query key (``"x"`` or ``"dy"``).
    row_sep : str
        Row separator; must not be empty or ``","``.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(rows, columns)``.

    Raises
    ------
    GridError
        Message names the problem, where it is, and what is allowed.
    """
    if not row_sep or row_sep == ",":
        raise ValueError(
            f"row_sep must be a non-empty separator other than ','; got {row_sep!r}"
        )
    # Length first: everything below (strip, count, split) is then bounded.
    if len(text) > MAX_PARAM_CHARS:
        raise _too_long(name, len(text), MAX_PARAM_CHARS, "a grid link")
    text = text.strip()
    if not text:
        raise GridError(
            f"{name}: the grid is empty; write rows of numbers like 1,2;3,4"
        )
    n_rows = text.count(row_sep) + 1
    if n_rows > MAX_GRID_SIDE:
        raise _too_many_rows(name, n_rows)
    rows: list[list[str]] = []
    for r, row_text in enumerate(text.split(row_sep), start=1):
        if not row_text.strip():
            raise GridError(
                f"{name}: row {r} is empty; every row needs at least one value "
                f"(rows are separated by {row_sep} and values by ,)"
            )
        n_values = row_text.count(",") + 1
        if n_values > MAX_GRID_SIDE:
            raise _too_many_columns(name, r, n_values)
        rows.append(row_text.split(","))
    return _build_grid(rows, name)


_PASTE_ROW_SEP = re.compile(r"\r\n|[\r\n;]")
_PASTE_VALUE_SEP = re.compile(r"[,\s]+")
# Spellings where a comma belongs to a number: a decimal comma ("1,5", "-0,25e3") or thousands
# separators ("1,000", "12,345,678.5").
_THOUSANDS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
# A value after a comma that starts with 0 and has more digits ("1,000", "3,05"): as a separate value
# nobody writes it so; as part of a thousands-separated or decimal-comma number everybody does.
_LEADING_ZERO_AFTER_COMMA = re.compile(r"[+-]?[0-9]+,0[0-9]+")


def _comma_number(token: str) -> bool:
    """Whether ``token`` reads as one number with a decimal comma or thousands separators."""
    decimal_comma = token.count(",") == 1 and _DECIMAL.fullmatch(token.replace(",", ".")) is not None
    return decimal_comma or _THOUSANDS.fullmatch(token) is not None


def _comma_problem(name: str, row: int, line: str) -> GridError | None:
    """A message when a comma in this pasted row may be part of a number rather than separate values.

    Reading ``1,5<tab>2,5`` as four values would silently give a different grid, so such a paste
    is refused with both usual meanings spelt out, and the user rewrites it unambiguously. Two
    cases: in a row that spaces or tabs separate, a value that reads as one number with a comma
    in it (``1,5``, ``1,000``); in any row, a comma followed by a value starting with 0 (``1,000``,
    ``3,05``), which nobody writes as a value of its own.
    """
    tokens = [t.strip(",") for t in line.split()]
    suspicious = None
    if len(tokens) > 1:
        suspicious = next((t for t in tokens if "," in t and _comma_number(t)), None)
    if suspicious is None:
        match = next((m for m in _LEADING_ZERO_AFTER_COMMA.finditer(line.replace(", ", ",")) if _comma_number(m[0])),
                     None)
        if match is None:
            return None
        suspicious = match[0]
    return GridError(
        f"{name}: row {row} has {_show(suspicious)}, where a comma could be a decimal comma (1,5 for 1.5) or "
        "a thousands separator (1,000 for 1000), so it is not clear which values are meant. Write decimals "
        "with a point and no thousands separators (1.5 1000), or separate the values by commas alone (1,5,2)"
    )


def parse_pasted_grid(text: str, *, name: str = "x") -> np.ndarray:
    """Parse a grid pasted into a text box (from a spreadsheet, numpy, or a link).

    Parameters
    ----------
    text : str
        Rows separated by newlines (``\\n``, ``\\r\\n``, ``\\r``) or ``;``; values by
        commas, spaces or tabs in any mix, a run of them counting as one separator
        (so ``"1, 2\\t3"`` is three values and an empty cell cannot be written).
        Blank rows are ignored. At most `MAX_PASTE_CHARS` characters. A row where a
        comma may belong to a number is refused rather than guessed: a comma between
        digits in a row that spaces or tabs separate (``1,5<tab>2,5``, ``1,000 2,000``),
        or a value after a comma that starts with 0 (``1,000``, ``3,05``).
    name : str
        Prefix of error messages.

    Returns
    -------
    numpy.ndarray
        float64, shape ``(rows, columns)``.

    Raises
    ------
    GridError
        As for `parse_grid`; rows are counted from 1 skipping blank ones.
    """
    if len(text) > MAX_PASTE_CHARS:
        raise _too_long(name, len(text), MAX_PASTE_CHARS, "a pasted grid")
    # The text is now bounded, so splitting it cannot allocate much.
    lines = [line for line in _PASTE_ROW_SEP.split(text) if line.strip(", \t\f\v")]
    if not lines:
        raise GridError(
            f"{name}: the grid is empty; paste rows of numbers, one row per line"
        )
    if len(lines) > MAX_GRID_SIDE:
        raise _too_many_rows(name, len(lines))
    rows: list[list[str]] = []
    for r, line in enumerate(lines, start=1):
        problem = _comma_problem(name, r, line.strip(", \t\f\v"))
        if problem is not None:
            raise problem
        cells = _PASTE_VALUE_SEP.split(line.strip(", \t\f\v"))
        if len(cells) > MAX_GRID_SIDE:
            raise _too_many_columns(name, r, len(cells))
        rows.append(cells)
    return _build_grid(rows, name)


def format_grid(a: np.ndarray) -> str:
    """Write a 2-D array in link form, ``"1,2;3,4"``.

    Parameters
    ----------
    a : array_like
        2-D; values are converted to float64.

    Returns
    -------
    str
        ``parse_grid(format_grid(a))`` equals ``a`` bit for bit, -0.0, infinities
        and subnormals included (every NaN comes back as the standard NaN).
    """
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"format_grid needs a 2-D array; got shape {arr.shape}")
    return ";".join(",".join(_SMALL_INTS.get(v) or format_number(v) for v in row) for row in arr.tolist())


_SMALL_INTS = {float(k): str(k) for k in range(-999, 1000) if k}
"""``format_number`` of the whole numbers a class types, looked up instead of worked out: a link is written after
every edit. 0 is left out (a dict would take -0.0 for it) and NaN is never found, so both go to format_number."""


# --------------------------------------------------------------------------- pairs

_PAIR = re.compile(r"\s*([+-]?[0-9]+)\s*(?:[xX×]\s*([+-]?[0-9]+)\s*)?")


def parse_pair(
    text: str, *, name: str, minimum: int, maximum: int, label: str | None = None
) -> tuple[int, int]:
    """Parse a window pair: ``"2" -> (2, 2)``, ``"2x3" -> (2, 3)`` (height x width).

    Parameters
    ----------
    text : str
        One whole number for both dimensions, or two joined by ``x``.
    name : str
        Query key, used as the message prefix (``"k"``, ``"s"``, ``"p"``, ``"d"``).
    minimum, maximum : int
        Allowed range, inclusive, for each number.
    label : str, optional
        What the value is called in messages; by default derived from `name`
        (``"k"`` -> ``"kernel size"``).

    Returns
    -------
    tuple of int
        ``(height, width)``.

    Raises
    ------
    ParamError
        Message quotes the text and states the allowed range and form.
    """
    what = label or _PAIR_LABELS.get(name, "each value")
    allowed = (
        f"{what} must be a whole number from {minimum} to {maximum}, "
        f"written like 2 or 2x3"
    )
    if len(text) > MAX_PAIR_CHARS:
        raise ParamError(
            f"{name}: the text is {len(text):,} characters long; {allowed}"
        )
    if not text.strip():
        raise ParamError(f"{name}: the value is empty; {allowed}")
    match = _PAIR.fullmatch(text)
    if match is None:
        raise ParamError(f"{name}: {_show(text)} is not understood; {allowed}")
    height = int(match.group(1))  # at most MAX_PAIR_CHARS digits: cheap
    width = int(match.group(2)) if match.group(2) is not None else height
    if not (minimum <= height <= maximum and minimum <= width <= maximum):
        raise ParamError(f"{name}: {_show(text)} is out of range; {allowed}")
    return (height, width)


def format_pair(pair: int | tuple[int, int]) -> str:
    """Write a window pair: ``(2, 2) -> "2"``, ``(2, 3) -> "2x3"``, ``2 -> "2"``."""
    height, width = _as_pair(pair, "pair")
    return str(height) if height == width else f"{height}x{width}"


def _as_pair(value: object, what: str) -> tuple[int, int]:
    """Accept an int or a 2-sequence of ints (numpy ints too); reject bools and floats."""
    items = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(items) != 2:
        raise ValueError(f"{what} must be an int or a pair of ints; got {value!r}")
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise TypeError(f"{what} must be an int or a pair of ints; got {value!r}")
        out.append(int(item))
    return (out[0], out[1])


# --------------------------------------------------------------------------- state


def _as_grid(value: object, what: str) -> np.ndarray:
    """Read-only float64 copy of a 2-D grid within the size cap."""
    arr = np.array(value, dtype=np.float64)  # copy: the state must not alias callers
    if arr.ndim != 2 or not (
        1 <= arr.shape[0] <= MAX_GRID_SIDE and 1 <= arr.shape[1] <= MAX_GRID_SIDE
    ):
        raise GridError(
            f"{what} must be a 2-D grid with 1 to {MAX_GRID_SIDE} rows and columns; "
            f"got shape {arr.shape}"
        )
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class ViewState:
    """Everything a link stores: both grids and the pooling settings.

    The constructor copies and checks its inputs, so every ViewState can be
    encoded into a link that decodes back to an equal state. Arrays are stored
    read-only; take a copy to edit. Geometry that needs the pooling code (for
    example a kernel larger than the padded input, or `dy` not matching the
    output shape) is not checked here.

    Parameters
    ----------
    x : array_like
        Input grid, stored as float64 ``(H, W)``, 1 to `MAX_GRID_SIDE` per side.
    dy : array_like or None
        Upstream gradient dL/dy, float64 2-D; ``None`` means all ones.
    kernel, stride, padding, dilation : int or (int, int)
        ``(height, width)``; stored as a tuple. ``stride=None`` means equal to the
        kernel. Ranges: kernel, stride, dilation 1..`MAX_WINDOW_PARAM`;
        padding 0..`MAX_PADDING`.
    ceil_mode : bool
    tie_policy : str
        One of `TIE_POLICIES`.
    extra : Mapping[str, str]
        Query parameters owned by pages (``step``, ``page`` ...), kept verbatim.
        Keys may not be any of `VIEW_KEYS`.
    """

    x: np.ndarray
    dy: np.ndarray | None
    kernel: tuple[int, int] = _DEFAULT_KERNEL
    stride: tuple[int, int] | None = None
    padding: tuple[int, int] = _DEFAULT_PADDING
    dilation: tuple[int, int] = _DEFAULT_DILATION
    ceil_mode: bool = False
    tie_policy: str = _DEFAULT_TIE
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Frozen dataclass: normalised values must be set through object.__setattr__.
        def put(attr: str, value: object) -> None:
            object.__setattr__(self, attr, value)

        put("x", _as_grid(self.x, "x"))
        put("dy", None if self.dy is None else _as_grid(self.dy, "dy"))
        for attr, key in (("kernel", "k"), ("padding", "p"), ("dilation", "d")):
            pair = _as_pair(getattr(self, attr), attr)
            _check_range(pair, attr, key)
            put(attr, pair)
        if self.stride is not None:
            stride = _as_pair(self.stride, "stride")
            _check_range(stride, "stride", "s")
            put("stride", stride)
        put("ceil_mode", bool(self.ceil_mode))
        if self.tie_policy not in TIE_POLICIES:
            raise ParamError(
                f"tie_policy must be one of {', '.join(TIE_POLICIES)}; got {self.tie_policy!r}"
            )
        extra = dict(self.extra)
        for key, value in extra.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"extra must map str to str; got {key!r}: {value!r}")
            if key in VIEW_KEYS:
                raise ValueError(f"extra may not use the codec's own key {key!r}")
        put("extra", extra)

    def __eq__(self, other: object) -> bool:
        # Written by hand: the generated __eq__ would compare arrays elementwise
        # and fail on NaN; here NaN equals NaN (-0.0 still equals 0.0).
        if not isinstance(other, ViewState):
            return NotImplemented
        if (self.dy is None) != (other.dy is None):
            return False
        return (
            np.array_equal(self.x, other.x, equal_nan=True)
            and (self.dy is None or np.array_equal(self.dy, other.dy, equal_nan=True))
            and self.kernel == other.kernel
            and self.stride == other.stride
            and self.padding == other.padding
            and self.dilation == other.dilation
            and self.ceil_mode == other.ceil_mode
            and self.tie_policy == other.tie_policy
            and dict(self.extra) == dict(other.extra)
        )

    # Holds mutable-type arrays, so it is deliberately unhashable.
    __hash__ = None  # type: ignore[assignment]


def _check_range(pair: tuple[int, int], attr: str, key: str) -> None:
    low, high = _PAIR_RANGES[key]
    if not all(low <= v <= high for v in pair):
        raise ParamError(
            f"{attr} must be whole numbers from {low} to {high}; got {pair}"
        )


# --------------------------------------------------------------------------- links

_TRUE_WORDS = ("1", "true")
_FALSE_WORDS = ("0", "false")


def _last(value: object) -> object:
    """A repeated query key arrives as a list; the last occurrence wins."""
    if isinstance(value, (list, tuple)):
        return value[-1] if value else None
    return value


def _check_short(key: str, text: str, allowed: str) -> None:
    """Refuse a long value before strip()/lower() copy it."""
    if len(text) > MAX_PAIR_CHARS:
        raise ParamError(f"{key}: the text is {len(text):,} characters long; {allowed}")


def _parse_ceil(text: str) -> bool:
    allowed = "use 0 to round the output size down or 1 to round it up"
    _check_short("ceil", text, allowed)
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ParamError(
        f"ceil: {_show(text)} is not understood; {allowed} (true and false also work)"
    )


def _parse_tie(text: str) -> str:
    choices = "choose " + ", ".join(TIE_POLICIES[:-1]) + " or " + TIE_POLICIES[-1]
    _check_short("tie", text, choices)
    word = text.strip().lower()
    if word in TIE_POLICIES:
        return word
    raise ParamError(f"tie: {_show(text)} is not a tie rule; {choices}")


def decode_view(
    params: Mapping[str, str | list[str]],
) -> tuple[ViewState, dict[str, str]]:
    """Rebuild the view from query parameters, never failing.

    Parameters
    ----------
    params : Mapping[str, str or list of str]
        For example ``st.query_params`` or ``{k: v[...]}`` from
        ``urllib.parse.parse_qs``. A list value (repeated key) uses its last item.

    Returns
    -------
    state : ViewState
        Missing parameters take their defaults (`DEFAULT_X`, ``dy=None``, kernel 2,
        stride `DEFAULT_STRIDE` when the link names no kernel either, else ``None``,
        padding 0, dilation 1, ceil 0, tie ``"first"``). A bad
        parameter also takes its default, and every other parameter is still used.
        Keys outside `VIEW_KEYS` are kept verbatim in ``state.extra``.
    errors : dict of str to str
        ``{query key: message}`` for each bad parameter; empty when all is well.
    """
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    extra: dict[str, str] = {}
    for key, raw in params.items():
        value = _last(raw)
        if value is None:  # an empty list: the key is effectively missing
            continue
        if not isinstance(value, str):
            if key in VIEW_KEYS:
                errors[key] = f"{key}: expected text, got {type(value).__name__}"
            continue
        if key in VIEW_KEYS:
            values[key] = value
        else:
            extra[key] = value

    def attempt(key, parse, default):
        """Parse one parameter; on failure record the message and use the default."""
        if key not in values:
            return default
        try:
            return parse(values[key])
        except ValueError as exc:  # GridError and ParamError are ValueErrors
            errors[key] = str(exc)
            return default

    def pair(key):
        low, high = _PAIR_RANGES[key]
        return lambda text: parse_pair(text, name=key, minimum=low, maximum=high)

    state = ViewState(
        x=attempt("x", lambda t: parse_grid(t, name="x"), DEFAULT_X),
        dy=attempt("dy", lambda t: parse_grid(t, name="dy"), None),
        kernel=attempt("k", pair("k"), _DEFAULT_KERNEL),
        stride=attempt("s", pair("s"), None if "k" in values else DEFAULT_STRIDE),
        padding=attempt("p", pair("p"), _DEFAULT_PADDING),
        dilation=attempt("d", pair("d"), _DEFAULT_DILATION),
        ceil_mode=attempt("ceil", _parse_ceil, False),
        tie_policy=attempt("tie", _parse_tie, _DEFAULT_TIE),
        extra=extra,
    )
    return state, errors


def encode_view(state: ViewState) -> dict[str, str]:
    """Write the view as query parameters, leaving out those at their defaults.

    Parameters
    ----------
    state : ViewState

    Returns
    -------
    dict of str to str
        Always ``x`` and ``k``; ``dy``, ``s``, ``p``, ``d``, ``ceil`` (``"1"``) and
        ``tie`` only when they differ from the defaults; then ``state.extra``.
        ``decode_view(encode_view(state))`` returns a state equal to `state`
        (``s`` is written whenever the stride is set, even if equal to the kernel,
        so ``None`` and an explicit stride stay distinct).
    """
    out = {"x": format_grid(state.x)}
    if state.dy is not None:
        out["dy"] = format_grid(state.dy)
    out["k"] = format_pair(state.kernel)
    if state.stride is not None:
        out["s"] = format_pair(state.stride)
    if state.padding != _DEFAULT_PADDING:
        out["p"] = format_pair(state.padding)
    if state.dilation != _DEFAULT_DILATION:
        out["d"] = format_pair(state.dilation)
    if state.ceil_mode:
        out["ceil"] = "1"
    if state.tie_policy != _DEFAULT_TIE:
        out["tie"] = state.tie_policy
    out.update(state.extra)
    return out
