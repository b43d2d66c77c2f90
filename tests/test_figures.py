"""The figure layer: screen conventions read back from fig.data and fig.layout."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from figures import HIGHLIGHT, MAX_ANNOTATED_SIDE, format_value, make_grid_figure, selected_cell

SEED_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)
SEED_WINNERS = np.zeros((4, 4), dtype=bool)
SEED_WINNERS[[1, 1, 2, 3], [1, 3, 0, 3]] = True  # 2x2 stride-2 maxima: 6, 8, 3, 4


def windows(h: int, w: int, k: int, s: int, p: int) -> list[np.ndarray]:
    """Cells of every k x k window at stride s over an (h, w) grid padded by p, as (n, 2) arrays."""
    cells = []
    for top in range(-p, h + p - k + 1, s):
        for left in range(-p, w + p - k + 1, s):
            rows, cols = np.meshgrid(np.arange(top, top + k), np.arange(left, left + k), indexing="ij")
            cells.append(np.column_stack([rows.ravel(), cols.ravel()]))
    return cells


def trace(fig: go.Figure, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}, got {len(matches)}"
    return matches[0]


def shapes(fig: go.Figure, name: str) -> list:
    return [s for s in fig.layout.shapes if s.name == name]


def centre(shape) -> tuple[float, float]:
    """(row, col) at the centre of a rectangle shape."""
    return ((shape.y0 + shape.y1) / 2, (shape.x0 + shape.x1) / 2)


def test_figure_is_valid_plotly():
    # The builder skips validation for speed; a validating round trip must accept it.
    fig = make_grid_figure(
        SEED_X,
        name="x",
        winner_mask=SEED_WINNERS,
        win_counts=SEED_WINNERS.astype(int),
        window_cells=windows(4, 4, 2, 2, 1),
        highlight_cells=windows(4, 4, 2, 2, 1)[0],
        padding=(1, 1),
        selectable=True,
    )
    assert go.Figure(fig.to_dict()).to_plotly_json()["layout"]["shapes"]


def test_row_zero_on_top_and_square_cells():
    fig = make_grid_figure(SEED_X, name="x")
    y_top, y_bottom = fig.layout.yaxis.range
    assert (y_top, y_bottom) == (3.5, -0.5)  # reversed: row 0 at the top
    assert tuple(fig.layout.xaxis.range) == (-0.5, 3.5)  # column 0 at the left
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert fig.layout.xaxis.constrain == fig.layout.yaxis.constrain == "domain"
    assert fig.layout.xaxis.title.text == "column" and fig.layout.yaxis.title.text == "row"
    assert list(fig.layout.xaxis.tickvals) == [0, 1, 2, 3] == list(fig.layout.yaxis.tickvals)


def test_heatmap_cell_r_c_sits_at_x_c_y_r():
    heatmap = make_grid_figure(SEED_X, name="x").data[0]
    assert list(heatmap.x) == [0, 1, 2, 3] and list(heatmap.y) == [0, 1, 2, 3]
    assert heatmap.z[1][3] == 8  # z[row][col]


def test_values_use_viridis_and_gradients_a_symmetric_diverging_scale():
    values = make_grid_figure(SEED_X, name="x").data[0]
    assert values.colorscale == go.Heatmap(colorscale="Viridis").colorscale
    assert (values.zmin, values.zmax) == (0, 8)
    gradient = make_grid_figure(np.array([[1.0, -3.0], [0.5, 2.0]]), name="dL/dx", kind="gradient").data[0]
    assert gradient.colorscale == go.Heatmap(colorscale="RdBu_r").colorscale
    assert (gradient.zmin, gradient.zmax, gradient.zmid) == (-3, 3, 0)


@pytest.mark.parametrize(
    "grid",
    [np.zeros((3, 3)), np.array([[np.inf, 1.0], [-2.0, 0.0]]), np.array([[-np.inf, np.nan], [0.5, 0.0]])],
    ids=["all-zero", "inf", "minus-inf-and-nan"],
)
def test_gradient_range_is_symmetric_and_finite(grid):
    heatmap = make_grid_figure(grid, name="dL/dx", kind="gradient").data[0]
    assert heatmap.zmid == 0
    assert heatmap.zmin == -heatmap.zmax
    assert 0 < heatmap.zmax < math.inf
    z = np.asarray(heatmap.z, dtype=float)
    finite_or_nan = np.isfinite(z) | np.isnan(grid)
    assert finite_or_nan.all(), "±inf must be clipped into the colour range"


def test_inf_is_clipped_for_colour_but_printed():
    grid = np.array([[np.inf, 1.0], [-np.inf, 0.0]])
    heatmap = make_grid_figure(grid, name="x").data[0]
    assert (heatmap.zmin, heatmap.zmax) == (0, 1)
    assert heatmap.z[0][0] == 1 and heatmap.z[1][0] == 0
    assert heatmap.text[0][0] == "∞" and heatmap.text[1][0] == "−∞"


def test_values_printed_up_to_max_annotated_side_only():
    assert MAX_ANNOTATED_SIDE == 16
    small = make_grid_figure(np.arange(16 * 16, dtype=float).reshape(16, 16), name="x").data[0]
    assert small.texttemplate == "%{text}"
    assert small.text[15][15] == "255" and small.text[0][1] == "1"
    big = make_grid_figure(np.arange(17 * 17, dtype=float).reshape(17, 17), name="x").data[0]
    assert big.texttemplate is None and big.text is None
    wide = make_grid_figure(np.zeros((2, 17)), name="x").data[0]
    assert wide.texttemplate is None


def test_cell_text_colour_is_left_to_plotly_contrast():
    # Plotly.js picks a colour contrasting each cell when textfont.color is unset;
    # a fixed colour would vanish on either the dark or the light end of the scale.
    heatmap = make_grid_figure(SEED_X, name="x").data[0]
    assert heatmap.textfont.color is None


def test_nan_cell_prints_nan_on_the_grey_background():
    fig = make_grid_figure(np.array([[1.0, np.nan], [2.0, 3.0]]), name="x")
    heatmap = fig.data[0]
    assert heatmap.text[0][1] == "nan"
    assert np.isnan(heatmap.z[0][1])  # no colour: the neutral plot background shows
    assert fig.layout.plot_bgcolor.lower() not in ("white", "#ffffff", "rgba(0,0,0,0)")
    assert "x[0, 1] = nan" in heatmap.hovertext[0][1]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.0, "3"),
        (-2.0, "-2"),
        (-0.0, "0"),
        (0.25, "0.25"),
        (1 / 3, "0.333"),
        (12.3456, "12.3"),
        (1234.5, "1234.5"),
        (0.1 + 0.2, "0.3"),
        (1.5e-5, "1.5e-5"),
        (123456.0, "123456"),
        (2.5e7, "2.5e7"),
        (float("nan"), "nan"),
        (float("inf"), "∞"),
        (float("-inf"), "−∞"),
        (np.float32(0.5), "0.5"),
    ],
)
def test_format_value_is_compact(value, text):
    assert format_value(value) == text


def test_winners_get_a_corner_badge_and_an_outline_at_exactly_their_cells():
    fig = make_grid_figure(SEED_X, name="x", winner_mask=SEED_WINNERS)
    expected = {(1, 1), (1, 3), (2, 0), (3, 3)}
    winners = trace(fig, "winners")
    assert {tuple(int(v) for v in cell) for cell in winners.customdata} == expected
    # The count labels hang from the winner's own top-left corner (off the printed value).
    for (row, col), x, y in zip(winners.customdata, winners.x, winners.y):
        assert abs(x - col) < 0.5 and abs(y - row) < 0.5
    badges = shapes(fig, "winner-badge")
    assert len(badges) == len(expected)
    corners = set()
    for badge in badges:
        points = [
            tuple(float(v) for v in p.split(",")) for p in badge.path.replace("M", "").replace("Z", "").split("L")
        ]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        col, row = round(max(xs) - 0.5), round(min(ys) + 0.5)  # the badge's top-right corner is its cell's
        assert max(xs) <= col + 0.5 and min(ys) >= row - 0.5 and min(xs) > col and max(ys) < row
        corners.add((row, col))
    assert corners == expected
    outlines = shapes(fig, "winner")
    assert {centre(s) for s in outlines} == expected
    for s in outlines:
        assert s.type == "rect" and s.line.width >= 1 and s.x1 - s.x0 <= 1
    plain = make_grid_figure(SEED_X, name="x")
    assert not shapes(plain, "winner") and not shapes(plain, "winner-badge")


def test_win_counts_label_cells_that_win_more_than_one_window():
    counts = np.zeros((3, 3), dtype=int)
    counts[1, 1], counts[0, 2] = 4, 1
    fig = make_grid_figure(np.eye(3), name="x", win_counts=counts)
    winners = trace(fig, "winners")
    labels = {tuple(int(v) for v in cell): text for cell, text in zip(winners.customdata, winners.text)}
    assert labels == {(1, 1): "×4", (0, 2): ""}
    assert "wins 4 windows" in fig.data[0].hovertext[1][1]


def test_highlight_outlines_every_cell_and_the_window_in_one_colour():
    window = np.array([[2, 2], [2, 3], [3, 2], [3, 3]])
    fig = make_grid_figure(SEED_X, name="x", highlight_cells=window)
    cells = shapes(fig, "highlight-cell")
    assert {centre(s) for s in cells} == {(2, 2), (2, 3), (3, 2), (3, 3)}
    (box,) = shapes(fig, "highlight-box")
    assert (box.x0, box.x1, box.y0, box.y1) == (1.5, 3.5, 1.5, 3.5)
    assert box.line.dash is None  # a solid line: the window reads at a glance
    assert {s.line.color for s in [*cells, box]} == {HIGHLIGHT}
    # One output cell is a one-cell highlight in the same colour.
    (one,) = shapes(make_grid_figure(np.ones((2, 2)), name="y", highlight_cells=np.array([[0, 1]])), "highlight-box")
    assert (one.x0, one.x1, one.y0, one.y1, one.line.color) == (0.5, 1.5, -0.5, 0.5, HIGHLIGHT)


def test_padding_ghost_cells_extend_the_axes():
    fig = make_grid_figure(SEED_X, name="x", padding=(1, 2))
    assert tuple(fig.layout.yaxis.range) == (4.5, -1.5)
    assert tuple(fig.layout.xaxis.range) == (-2.5, 5.5)
    assert -1 in fig.layout.yaxis.tickvals and -2 in fig.layout.xaxis.tickvals
    heatmap = fig.data[0]
    assert list(heatmap.y) == [-1, 0, 1, 2, 3, 4] and list(heatmap.x) == [-2, -1, 0, 1, 2, 3, 4, 5]
    assert heatmap.text[0][0] == "−∞" and np.isnan(heatmap.z[0][0])
    assert heatmap.text[1][2] == "1"  # grid cell (0, 0) sits one row and two columns in
    assert shapes(fig, "padding") and shapes(fig, "grid-border")


def test_a_highlighted_padding_window_is_drawn_in_padding_coordinates():
    window = windows(4, 4, 2, 2, 1)[0]  # top-left window: rows -1..0, cols -1..0
    fig = make_grid_figure(SEED_X, name="x", padding=(1, 1), highlight_cells=window)
    (box,) = shapes(fig, "highlight-box")
    assert (box.x0, box.x1, box.y0, box.y1) == (-1.5, 0.5, -1.5, 0.5)


def test_windows_reaching_past_the_padding_grow_the_drawn_area():
    # ceil_mode-style last window: rows 3..4 of a 4-row grid without padding.
    fig = make_grid_figure(SEED_X, name="x", window_cells=[np.array([[3, 3], [3, 4], [4, 3], [4, 4]])])
    assert tuple(fig.layout.yaxis.range) == (4.5, -0.5)
    assert tuple(fig.layout.xaxis.range) == (-0.5, 4.5)


def test_windows_are_one_solid_line_trace_on_a_halo():
    cells = windows(4, 4, 2, 2, 0)
    fig = make_grid_figure(SEED_X, name="x", window_cells=cells)
    lines, halo = trace(fig, "windows"), trace(fig, "windows-halo")
    assert lines.mode == "lines" and halo.mode == "lines"
    x = np.asarray(lines.x, dtype=float)
    assert np.isnan(x).sum() == len(cells)  # one closed box per window, NaN-separated
    assert np.array_equal(np.asarray(halo.x, dtype=float), x, equal_nan=True)
    assert lines.line.dash is None and halo.line.width > lines.line.width >= 1.5
    assert [t.name for t in fig.data].index("windows-halo") < [t.name for t in fig.data].index("windows")
    assert not shapes(fig, "windows")


def test_hover_names_the_cell_and_appends_extra_lines():
    extra = np.empty((2, 2), dtype=object)
    extra[0, 1] = ["from y[0, 0]: +1", "from y[0, 1]: +2"]
    extra[1, 0] = "no window picks it"
    fig = make_grid_figure(np.array([[1.0, 2.5], [3.0, 4.0]]), name="dL/dx", kind="gradient", extra_hover=extra)
    hover = fig.data[0].hovertext
    assert fig.data[0].hoverinfo == "text"
    assert hover[0][0] == "dL/dx[0, 0] = 1"
    assert hover[0][1] == "dL/dx[0, 1] = 2.5<br>from y[0, 0]: +1<br>from y[0, 1]: +2"
    assert hover[1][0] == "dL/dx[1, 0] = 3<br>no window picks it"


def test_selectable_layer_is_last_and_covers_every_cell():
    fig = make_grid_figure(np.zeros((3, 5)), name="x", winner_mask=np.eye(3, 5, dtype=bool), selectable=True)
    cells = fig.data[-1]
    assert cells.name == "cells" and cells.type == "scatter"
    assert sorted(tuple(int(v) for v in cd) for cd in cells.customdata) == [(r, c) for r in range(3) for c in range(5)]
    assert list(cells.x) == [int(cd[1]) for cd in cells.customdata]
    assert list(cells.y) == [int(cd[0]) for cd in cells.customdata]
    assert cells.hovertext[7] == "x[1, 2] = 0"  # the layer on top carries the hover
    assert [t.name for t in fig.data] == ["grid", "winners", "cells"]


def test_highlight_colour_and_layout_are_theme_friendly():
    fig = make_grid_figure(SEED_X, name="x", title="input x", font_scale=2.0)
    assert fig.layout.title.text == "input x"
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.font.size == 26
    assert 260 <= fig.layout.height <= 640
    assert HIGHLIGHT.startswith("#") and len(HIGHLIGHT) == 7


def test_selected_cell_reads_streamlit_events():
    event = {
        "selection": {
            "points": [
                {"curve_number": 2, "point_index": 3, "customdata": [0, 3]},
                {"curve_number": 0, "x": 1, "y": 1, "z": 5},  # a heatmap point: no customdata
                {"curve_number": 2, "point_index": 6, "customdata": [1, 2]},
            ]
        }
    }
    assert selected_cell(event) == (1, 2)
    attributes = SimpleNamespace(selection=SimpleNamespace(points=[{"customdata": [2.0, 0.0]}]))
    assert selected_cell(attributes) == (2, 0)
    assert selected_cell({"selection": {"points": [{"customdata": [0, 3]}, {"x": 1}]}}) == (0, 3)
    assert selected_cell({"selection": {"points": []}}) is None
    assert selected_cell({"selection": {}}) is None
    assert selected_cell({}) is None
    assert selected_cell(None) is None


def test_64x64_with_every_window_builds():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 64))
    cells = windows(64, 64, 3, 1, 1)
    winners = np.zeros((64, 64), dtype=bool)
    winners[::2, ::2] = True
    fig = make_grid_figure(
        x,
        name="x",
        winner_mask=winners,
        win_counts=winners.astype(int) * 2,
        window_cells=cells,
        highlight_cells=cells[70],
        padding=(1, 1),
        selectable=True,
    )
    assert fig.data[0].text is None
    # Big grids outline winners with one trace of open squares instead of a shape each.
    assert not shapes(fig, "winner")
    outlines = next(t for t in fig.data if t.name == "winner-outlines")
    assert sorted(zip(outlines.y, outlines.x)) == sorted(zip(*np.nonzero(winners)))
    assert outlines.marker.symbol == "square-open"
    assert len(fig.data[-1].customdata) == 64 * 64
    assert len(fig.layout.yaxis.tickvals) <= 17


def test_figures_import_neither_streamlit_nor_pooling():
    code = "import sys, figures; print(sorted(m for m in ('streamlit', 'pooling') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]
    ).stdout
    assert out.strip() == "[]"


def test_selected_cell_reads_streamlit_typed_array_customdata():
    # What Streamlit 1.67 actually hands back for a click on cell (1, 2) (seen in the browser).
    event = {
        "selection": {
            "points": [{"curve_number": 1, "point_index": 5, "x": 2, "y": 1, "customdata": {"0": 1, "1": 2}}],
            "point_indices": [5],
        }
    }
    assert selected_cell(event) == (1, 2)
