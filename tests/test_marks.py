"""Marks never cover a digit: winners get a corner badge, tied maxima a corner disc (under every tie rule,
`none` included), windows a solid line on a halo that shows on every cell colour; read back from the figure
objects, the linked picture's payload and the pages' charts."""

from __future__ import annotations

import numpy as np
import plotly.colors
import pytest

import pooling
from figures import make_grid_figure
from figures.grid import GRADIENT_COLORSCALE, TIE_COLOR, VALUES_COLORSCALE, WINDOW_HALO_COLOR, WINDOW_LINE_COLOR
from figures.linked import linked_payload
from tests.apptest_util import chart, heatmap, linked, run_page, shapes

POLICIES = ("first", "last", "split", "all", "none")

# 2x2 windows, stride 2. Window (0, 0) = [[1, 3], [3, 0]]: 3 twice (x[0, 1], x[1, 0]); window (1, 1) =
# [[0, 2], [5, 5]]: 5 twice (x[3, 2], x[3, 3]). The other two windows have one maximum each (4 and 4).
TIE_X = np.array([[1, 3, 2, 4], [3, 0, 1, 0], [4, 1, 0, 2], [0, 2, 5, 5]], dtype=float)
TIE_CELLS = {(0, 1), (1, 0), (3, 2), (3, 3)}  # by hand, from the comment above
TIE_LINK = "1,3,2,4;3,0,1,0;4,1,0,2;0,2,5,5"


def tied_by_loops(x: np.ndarray, k: int, s: int) -> set[tuple[int, int]]:
    """Cells holding a window's maximum together with another cell: plain loops over k x k windows, stride s."""
    H, W = x.shape
    out = set()
    for top in range(0, H - k + 1, s):
        for left in range(0, W - k + 1, s):
            cells = [(r, c) for r in range(top, top + k) for c in range(left, left + k)]
            best = max(x[r, c] for r, c in cells)
            at_max = [cell for cell in cells if x[cell] == best]
            if len(at_max) > 1:
                out.update(at_max)
    return out


def fig_shapes(fig, name: str) -> list:
    return [s for s in fig.layout.shapes if s.name == name]


def fig_trace(fig, name: str):
    (match,) = [t for t in fig.data if t.name == name]
    return match


def cells_of(mask: np.ndarray) -> set[tuple[int, int]]:
    return {(int(r), int(c)) for r, c in zip(*np.nonzero(mask))}


# ----------------------------------------------------------------------------- the tie set itself


def test_tied_cells_of_the_hand_example():
    assert cells_of(pooling.tied_cells(pooling.max_pool2d(TIE_X, 2))) == TIE_CELLS


@pytest.mark.parametrize("k, s", [(2, 2), (2, 1), (3, 1), (3, 2)])
def test_tied_cells_match_plain_loops_on_random_small_integers(k, s):
    rng = np.random.default_rng(k * 10 + s)
    for _ in range(20):
        x = rng.integers(0, 4, size=(6, 7)).astype(float)  # few distinct values: many ties
        assert cells_of(pooling.tied_cells(pooling.max_pool2d(x, k, stride=s))) == tied_by_loops(x, k, s)


def test_tied_cells_work_per_plane_of_a_batch():
    x = np.stack([TIE_X, np.arange(16.0).reshape(4, 4)])
    tied = pooling.tied_cells(pooling.max_pool2d(x, 2))
    assert tied.shape == (2, 4, 4)
    assert cells_of(tied[0]) == TIE_CELLS and not tied[1].any()


# ----------------------------------------------------------------------------- plotly figures


def _path_points(path: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in p.split(",")) for p in path.replace("M", "").replace("Z", "").split("L")]


def _text_band(fig) -> float:
    """Half the height of a printed value, in cells: the layout font size over the cell's height in pixels."""
    layout = fig.layout
    rows = len(fig.data[0].y)
    cell_px = (layout.height - layout.margin.t - layout.margin.b) / rows
    return layout.font.size / cell_px / 2


@pytest.mark.parametrize("side", [2, 4, 8, 12, 16])
@pytest.mark.parametrize("font_scale", [1.0, 1.6])
def test_badges_counts_and_tie_marks_stay_out_of_the_printed_value(side, font_scale):
    rng = np.random.default_rng(side)
    x = rng.integers(0, 3, size=(side, side)).astype(float)
    res = pooling.max_pool2d(x, 2, stride=1)  # overlapping windows: counts above 1, and ties
    counts = pooling.win_counts(res, "first")
    tied = pooling.tied_cells(res)
    fig = make_grid_figure(x, name="x", win_counts=counts, tie_mask=tied, font_scale=font_scale)
    band = _text_band(fig)
    assert band < 0.2  # the printed value's half-height leaves room for the corners
    for t in fig.data:
        assert getattr(getattr(t, "marker", None), "symbol", None) != "star"
    badges = fig_shapes(fig, "winner-badge")
    assert len(badges) == int((counts > 0).sum())
    for badge in badges:
        points = _path_points(badge.path)
        col, row = round(max(p[0] for p in points) - 0.5), round(min(p[1] for p in points) + 0.5)
        assert all(p[1] - row <= -band for p in points), "the badge reaches the printed value"
        assert all(col - 0.5 <= p[0] <= col + 0.5 for p in points)
    discs = fig_shapes(fig, "tie-mark")
    assert {(round((d.y0 + d.y1) / 2), round((d.x0 + d.x1) / 2)) for d in discs} == cells_of(tied)
    for d in discs:
        row = round((d.y0 + d.y1) / 2)
        assert min(d.y0, d.y1) - row >= band, "the tie mark reaches the printed value"
    winners = fig_trace(fig, "winners")
    cell_px = fig.layout.font.size / (2 * band)
    for (row, _), y, label in zip(winners.customdata, winners.y, winners.text):
        if label:
            bottom = y + winners.textfont.size / cell_px  # the label hangs down from its anchor
            assert bottom - row <= -band, "the win count reaches the printed value"


def test_a_tie_is_marked_under_every_rule_and_apart_from_the_winner_badge():
    res = pooling.max_pool2d(TIE_X, 2)
    tied = pooling.tied_cells(res)
    for policy in POLICIES:
        counts = pooling.win_counts(res, policy)
        fig = make_grid_figure(TIE_X, name="x", win_counts=counts, tie_mask=tied)
        discs = fig_shapes(fig, "tie-mark")
        assert {(round((d.y0 + d.y1) / 2), round((d.x0 + d.x1) / 2)) for d in discs} == TIE_CELLS, policy
        assert all(d.type == "circle" and d.fillcolor == TIE_COLOR for d in discs)
        badges = fig_shapes(fig, "winner-badge")
        assert all(b.type == "path" for b in badges)
        if policy == "none":
            # Nobody in a tied window receives anything, yet the tie still shows.
            assert not any(cells & TIE_CELLS for cells in [cells_of(counts > 0)])
            assert len(discs) == 4


def test_big_grids_mark_ties_with_their_own_trace():
    x = np.zeros((20, 20))
    x[0, :2] = 5  # one window of 2x2 stride 2 ties on 5
    res = pooling.max_pool2d(x, 2)
    fig = make_grid_figure(x, name="x", winner_mask=pooling.winner_mask(res), tie_mask=pooling.tied_cells(res))
    ties = fig_trace(fig, "ties")
    assert {(int(r), int(c)) for r, c in ties.customdata} == cells_of(pooling.tied_cells(res))
    assert ties.marker.symbol == "circle" and fig_trace(fig, "winners").marker.symbol == "triangle-ne"


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(color: str) -> tuple[float, float, float]:
    if color.startswith("#"):
        return plotly.colors.hex_to_rgb(color)
    return plotly.colors.unlabel_rgb(color)


def test_window_lines_stand_out_on_every_cell_colour_and_page_background():
    # A colour of the scale or either theme's page: the dark line or its white halo differs from it by 3:1
    # (WCAG's figure for graphics), so every window's outline is seen wherever it runs.
    line, halo = _rgb(WINDOW_LINE_COLOR), _rgb(WINDOW_HALO_COLOR)
    backgrounds = ["#ffffff", "#0e1117", "#a0a0a0", "#d9d9d9"]  # light page, dark page, NaN cell, padding
    for scale in (VALUES_COLORSCALE, GRADIENT_COLORSCALE):
        colors = plotly.colors.sample_colorscale(plotly.colors.get_colorscale(scale), list(np.linspace(0, 1, 41)))
        for color in [*colors, *backgrounds]:
            rgb = _rgb(color)
            assert max(_contrast(line, rgb), _contrast(halo, rgb)) >= 3, color
    assert _contrast(line, halo) >= 7
    assert "rgba" not in WINDOW_LINE_COLOR  # opaque


# ----------------------------------------------------------------------------- the linked picture's payload


@pytest.mark.parametrize("policy", POLICIES)
def test_linked_payload_lists_the_ties_under_every_rule(policy):
    res = pooling.max_pool2d(TIE_X, 2)
    payload = linked_payload(res, np.ones((2, 2)), policy)
    W = TIE_X.shape[1]
    tied = {divmod(flat, W) for tie in payload["ties"] for flat in tie}
    assert tied == TIE_CELLS
    assert "★" not in payload["titles"]["x"] and "tie" in payload["titles"]["x"]


# ----------------------------------------------------------------------------- every page's charts under `none`


def _disc_cells(spec: dict) -> set[tuple[int, int]]:
    return {(round((d["y0"] + d["y1"]) / 2), round((d["x0"] + d["x1"]) / 2)) for d in shapes(spec, "tie-mark")}


PAGE_CHARTS = [
    ("pages/matrix.py", ["matrix_x_chart", "matrix_dx_chart"]),
    ("pages/max_vs_avg.py", ["mva_x_chart", "mva_dx_max_chart"]),
]


@pytest.mark.parametrize("page, keys", PAGE_CHARTS, ids=[p for p, _ in PAGE_CHARTS])
def test_pages_mark_the_tied_maxima_under_the_none_rule(page, keys):
    at = run_page(page, {"x": TIE_LINK, "k": "2", "tie": "none"})
    assert not at.exception
    for key in keys:
        assert _disc_cells(chart(at, key)) == TIE_CELLS, key


# Pages drawn with the linked picture: the browser draws a disc on every cell its payload lists in
# ``ties`` (tests/browser/test_marks_browser.py checks the drawing), so the payload is what to check here.
PAGE_PICTURES = [
    ("pages/explorer.py", ["linked"]),
    ("pages/tie_lab.py", ["tie_lab_linked", "tie_lab_dx_none", "tie_lab_dx_first"]),
    ("pages/smooth_max.py", ["smooth_linked", "smooth_hard_linked"]),
    ("pages/unpool.py", ["unpool_switches"]),
]


@pytest.mark.parametrize("page, keys", PAGE_PICTURES, ids=[p for p, _ in PAGE_PICTURES])
def test_linked_pictures_list_the_tied_maxima_under_the_none_rule(page, keys):
    at = run_page(page, {"x": TIE_LINK, "k": "2", "tie": "none"})
    assert not at.exception
    W = TIE_X.shape[1]
    for key in keys:
        payload = linked(at, key)
        assert payload.get("mark_ties", payload["mark_winners"]), key
        assert {divmod(flat, W) for tie in payload["ties"] for flat in tie} == TIE_CELLS, key


def test_step_through_lists_a_tie_once_its_window_is_pooled():
    # Step 1 pools window (0, 0) = [[1, 3], [3, 0]]: its two 3s tie; windows not pooled yet list no tie.
    at = run_page("pages/step_through.py", {"x": TIE_LINK, "k": "2", "tie": "none", "step": "1"})
    assert not at.exception
    payload = linked(at, "step_linked")
    W = TIE_X.shape[1]
    assert [sorted(divmod(f, W) for f in tie) for tie in payload["ties"] if tie] == [[(0, 1), (1, 0)]]


def test_the_network_page_marks_ties_in_a():
    # Kernel [[1, 0], [0, 0]] copies one x cell into each z cell; x > 0 keeps a = relu(z) = z. The ties are
    # found by plain loops in the a the page draws, so the check does not lean on the page's own tie code.
    x = "1,3,2,4,1;3,0.5,1,0.5,1;4,1,0.5,2,1;0.5,2,5,5,1;1,1,1,1,1"
    at = run_page("pages/network.py", {"x": x, "k": "2", "tie": "none", "conv": "1,0;0,0"})
    assert not at.exception
    a = heatmap(chart(at, "net_a_chart"))
    expected = tied_by_loops(a, 2, 2)
    assert len(expected) >= 2  # the example does hold a tie
    assert _disc_cells(chart(at, "net_a_chart")) == expected
    assert _disc_cells(chart(at, "net_da_chart")) == expected


def test_the_one_d_page_marks_ties():
    at = run_page("pages/one_d.py", {"sig": "1,5,5,2,0,0", "k1": "3", "s1": "3"})
    assert not at.exception
    # Windows [1, 5, 5] and [2, 0, 0]: only the first ties (5 twice); 0 twice is not the maximum 2.
    payload = linked(at, "od_linked")
    assert payload["mark_winners"] and payload["ties"] == [[1, 2], []]


@pytest.mark.parametrize("policy", ["first", "none"])
def test_page_figures_never_use_stars(policy):
    at = run_page("pages/matrix.py", {"x": TIE_LINK, "k": "2", "tie": policy})
    for key in ("matrix_x_chart", "matrix_dx_chart"):
        spec = chart(at, key)
        symbols = [t.get("marker", {}).get("symbol") for t in spec["data"]]
        assert "star" not in symbols
        assert not any("★" in str(t.get("text", "")) for t in spec["data"])
    assert shapes(chart(at, "matrix_x_chart"), "winner-badge")
