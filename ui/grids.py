"""Grid editors for x and dL/dy: a cell editor, size controls, fill actions and a paste box.

``st.data_editor`` keeps a user's edits as a delta against the data it was first
given, and a keyed editor keeps that delta when new data of the same shape
arrives. So each editor is keyed by a revision number: a change from outside
(a fill, a paste, a resize, a lesson) bumps the revision and starts a fresh
editor, while the user's own edits keep the revision and its base data.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import state
from ui.codec import (
    DEFAULT_X,
    MAX_GRID_SIDE,
    MAX_NUMBER_CHARS,
    MAX_PASTE_CHARS,
    GridError,
    format_number,
    parse_number,
    parse_pasted_grid,
)
from ui.text import md

#: Longest text a cell of the editor takes. The parser accepts values of up to MAX_NUMBER_CHARS
#: characters with some padding around them (4x, see ui.codec); cutting a cell there cannot turn
#: a valid value into a different one, and a longer one still gets the parser's "too long" message.
CELL_CHARS = 4 * MAX_NUMBER_CHARS
#: Longest text the paste box takes: one character more than a paste may hold, so an over-long
#: paste is cut by the browser (and by Streamlit on the server) yet still gets the parser's
#: "too long" message, instead of being cut silently into a different grid.
PASTE_BOX_CHARS = MAX_PASTE_CHARS + 1


def _base_key(name: str) -> str:
    return f"_{name}_editor_base"


def _revision_key(name: str) -> str:
    return f"_{name}_editor_revision"


def reset_editor(name: str, grid: np.ndarray) -> None:
    """Start editor ``name`` afresh on ``grid`` (new base, new revision), dropping the user's pending edits."""
    st.session_state[_base_key(name)] = np.array(grid, dtype=np.float64)
    st.session_state[_revision_key(name)] = editor_revision(name) + 1


def editor_revision(name: str) -> int:
    """How many times editor ``name`` was started afresh (part of its widget key)."""
    return st.session_state.get(_revision_key(name), 0)


def set_grid(name: str, grid: np.ndarray) -> None:
    """Replace grid ``name`` ("x" or "dy") of the view from outside the editor."""
    grid = np.asarray(grid, dtype=np.float64)
    reset_editor(name, grid)
    state.update(**{name: grid})


def _ensure_base(name: str, grid: np.ndarray) -> np.ndarray:
    base = st.session_state.get(_base_key(name))
    if base is None or base.shape != grid.shape:
        reset_editor(name, grid)
    return st.session_state[_base_key(name)]


def cell_editor(name: str, grid: np.ndarray, *, label: str) -> tuple[np.ndarray | None, list[str]]:
    """An editable table of ``grid``; returns the edited grid, or None and messages if a cell is bad.

    Cells are text so that ``nan``, ``inf`` and ``-inf`` can be typed, and a typo
    gets a message naming the cell instead of being silently dropped.
    """
    import pandas as pd  # here: pandas takes ~1 s to import, and a page whose table editors stay closed needs none

    base = _ensure_base(name, grid)
    columns = [str(j) for j in range(base.shape[1])]
    frame = pd.DataFrame([[format_number(v) for v in row] for row in base], columns=columns)
    edited = st.data_editor(
        frame,
        key=f"{name}_editor_{editor_revision(name)}",
        num_rows="fixed",
        hide_index=False,
        column_config={c: st.column_config.TextColumn(c, width=44 if base.shape[1] > 8 else 60, max_chars=CELL_CHARS)
                       for c in columns},
        width="content",
        height="auto" if base.shape[0] <= 16 else 420,
    )
    values = np.empty(base.shape)
    problems = []
    for r in range(base.shape[0]):
        for c in range(base.shape[1]):
            text = edited.iat[r, c]
            text = "" if text is None else str(text)
            try:
                values[r, c] = parse_number(text)
            except ValueError as err:
                # The parser's own message: it quotes the cell and gives its specific hint
                # (a decimal comma, _ separators, full-width digits, too long, too large).
                problems.append(f"{label}[{r}, {c}]: {err}.")
    if problems:
        return None, problems
    return values, []


def _resize(name: str, fill: float) -> None:
    grid = getattr(state.view(), name)
    shape = (int(st.session_state[f"{name}_rows"]), int(st.session_state[f"{name}_cols"]))
    set_grid(name, state.resized(grid, shape, fill))


def size_inputs(name: str, grid: np.ndarray, fill: float = 0.0) -> None:
    """Number inputs for the grid's rows and columns (1 to MAX_GRID_SIDE)."""
    st.session_state[f"{name}_rows"] = grid.shape[0]
    st.session_state[f"{name}_cols"] = grid.shape[1]
    left, right = st.columns(2)
    left.number_input("rows", 1, MAX_GRID_SIDE, step=1, key=f"{name}_rows", on_change=_resize, args=(name, fill))
    right.number_input("columns", 1, MAX_GRID_SIDE, step=1, key=f"{name}_cols", on_change=_resize,
                       args=(name, fill))


FILLS = {
    "integers": ("Integers 0–9", "Random whole numbers from 0 to 9: ties are likely."),
    "reals": ("Reals", "Random real numbers between −5 and 5: ties are unlikely."),
    "equal": ("All equal", "Every cell 1: every window ties."),
    "seed": ("4×4 example", "The classic 4×4 example with 2×2 windows."),
}


def filled(kind: str, shape: tuple[int, int], rng: np.random.Generator | None = None) -> np.ndarray:
    """A new grid for a fill action: random integers (ties likely), random reals, all equal, or the example."""
    rng = rng or np.random.default_rng()
    if kind == "integers":
        return rng.integers(0, 10, size=shape).astype(np.float64)
    if kind == "reals":
        return np.round(rng.uniform(-5, 5, size=shape), 2)
    if kind == "equal":
        return np.ones(shape)
    return DEFAULT_X.copy()


def fill_buttons(name: str, grid: np.ndarray) -> None:
    """One button per fill action."""
    columns = st.columns(2) + st.columns(2)
    for col, (kind, (label, help_text)) in zip(columns, FILLS.items()):
        col.button(label, key=f"{name}_fill_{kind}", help=help_text, width="stretch",
                   on_click=lambda k=kind: set_grid(name, filled(k, grid.shape)))


def _apply_paste(name: str) -> None:
    text = st.session_state.get(f"{name}_paste", "")
    try:
        grid = parse_pasted_grid(text, name=name)
    except GridError as err:
        st.session_state[f"_{name}_paste_error"] = str(err)
        return
    st.session_state.pop(f"_{name}_paste_error", None)
    set_grid(name, grid)


def paste_box(name: str) -> None:
    """A text box for pasting a whole grid; a bad paste gets a message and changes nothing."""
    st.text_area(
        "Paste rows of numbers (separated by commas, spaces or tabs; nan, inf, -inf allowed)",
        key=f"{name}_paste",
        height=100,
        max_chars=PASTE_BOX_CHARS,
        placeholder="1 1 2 4\n5 6 7 8\n3 2 1 0\n1 2 3 4",
    )
    st.button("Use pasted grid", key=f"{name}_paste_apply", on_click=_apply_paste, args=(name,))
    error = st.session_state.get(f"_{name}_paste_error")
    if error:
        st.error(md(error), icon="⚠️")
