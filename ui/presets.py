"""One-click starting points for the Explorer, one per point the page teaches: the winner takes the gradient
(Basic), a tie needs a rule (Tie), overlapping windows add up (Overlap).

Each preset is a lessons ``Example`` (x, window, dL/dy, tie rule, the window to select), loaded through the
same callback as a lesson's "Open in the explorer" button, so the sidebar and the link follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui import lessons, state
from ui.lessons import Example


@dataclass(frozen=True)
class Preset:
    label: str
    example: Example
    point: str
    """The one sentence the preset is there to show."""


PRESETS: dict[str, Preset] = {
    "basic": Preset(
        "Basic",
        # Every window has one clear maximum (4, 5, 6, 3); dL/dy differs per window so each amount is traceable.
        Example([[1, 3, 2, 1], [4, 0, 1, 5], [2, 1, 0, 3], [0, 6, 2, 1]], (2, 2), dy=[[1, -2], [3, 0.5]]),
        "Each window's largest value wins; only the winner receives that window's dL/dy.",
    ),
    "tie": Preset(
        "Tie",
        # Window (0, 0) is [[1, 3], [3, 0]]: 3 twice. The other three windows have one maximum each.
        Example([[1, 3, 2, 4], [3, 0, 1, 0], [4, 1, 0, 2], [0, 2, 5, 1]], (2, 2), dy=[[2, 1], [1, 1]]),
        "Window (0, 0) holds its maximum 3 twice: the tie rule in the sidebar decides who gets its dL/dy = 2.",
    ),
    "overlap": Preset(
        "Overlap",
        # Kernel 3, stride 1: the four windows overlap, and the 9 at x[1, 1] lies in all of them.
        Example(
            [[1, 2, 0, 1], [3, 9, 2, 0], [1, 2, 4, 1], [0, 1, 2, 10]],
            (3, 3),
            stride=(1, 1),
            dy=[[1, 2], [-1, 0.5]],
            focus=(0, 1),
        ),
        "With stride 1 the 3×3 windows overlap: x[1, 1] wins three of them and receives the sum of their dL/dy.",
    ),
}


def _load(name: str) -> None:
    lessons.load_example(PRESETS[name].example)
    st.session_state["_preset"] = name


def preset_buttons() -> None:
    """A row of preset buttons; after a click, the preset's sentence under them."""
    columns = st.columns([1, 1, 1, 4], vertical_alignment="center")
    for column, (name, preset) in zip(columns, PRESETS.items()):
        column.button(preset.label, key=f"preset_{name}", on_click=_load, args=(name,), width="stretch")
    chosen = st.session_state.get("_preset")
    # The sentence stays while x is the preset's; after an edit it would describe another grid.
    if chosen and np.array_equal(state.view().x, PRESETS[chosen].example.x):
        columns[3].markdown(PRESETS[chosen].point)
    else:
        columns[3].caption("Start from an example that shows one point: a winner, a tie, or overlapping windows.")
