"""Pure Plotly figure builders: numpy arrays in, ``go.Figure`` out (no streamlit, no pooling)."""

from figures.grid import (
    GRADIENT_COLORSCALE,
    HIGHLIGHT,
    MAX_ANNOTATED_SIDE,
    VALUES_COLORSCALE,
    WINNER_COLOR,
    format_value,
    make_grid_figure,
    selected_cell,
)

__all__ = [
    "GRADIENT_COLORSCALE",
    "HIGHLIGHT",
    "MAX_ANNOTATED_SIDE",
    "VALUES_COLORSCALE",
    "WINNER_COLOR",
    "format_value",
    "make_grid_figure",
    "selected_cell",
]
