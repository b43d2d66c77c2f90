"""Pieces of the explorer that other pages reuse: the two grid panels, the linked picture of the
four grids (ui/linked.py), the selected window, and the share box."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import grids, linked, share, state, text
from ui.model import Pooled, fit_dy, pool_view
from ui.text import md

SELECTION = "sel"


MAX_MARKED_SIDE = 24
"""Winners get their corner badge and outline while both sides of x are at most this; beyond, the marks
would cover the cells (a 64×64 grid in a third of the page leaves 3 px per cell)."""


def figure_size(shape: tuple[int, int]) -> dict:
    """Height for a grid figure sharing a row with others, and whether winner marks still fit."""
    side = max(shape)
    return {"height": 420 if side > 10 else None, "marks": side <= MAX_MARKED_SIDE}


def link_warnings() -> None:
    """One warning per link parameter that could not be used (the rest of the link still applies)."""
    for param, message in state.url_errors().items():
        st.warning(f"The link's `{param}` could not be used: {md(message)}", icon="🔗")


def editors_and_pool(
    key: str, *, expanded: bool = False, lazy: bool = False, label: str = "Edit x and dL/dy"
) -> Pooled:
    """The x and dL/dy editors in an expander, then the view pooled with the edits applied.

    x is edited first (it may change y's shape), then dL/dy follows y's shape. If no
    window settings fit the grid, the page stops with the reason; if the current ones
    do not fit, a warning says which last valid ones are shown. With ``lazy`` the
    editors are only built while the expander is open (they are the slow part of a
    rerun, and pages that edit cells in the picture rarely need them).
    """
    expander = st.expander(label, expanded=expanded, key=key, on_change="rerun" if lazy else "ignore")
    if lazy and not expander.open:
        with expander:
            st.caption("Open to edit x and dL/dy as tables, resize them, fill them or paste whole grids.")
        # The picture above says what was fitted, where dL/dy is drawn (a closed expander would hide it).
        return _pooled_or_stop(notices=False)
    with expander:
        x_column, dy_column = st.columns(2, gap="large")
        with x_column:
            st.subheader("Input x")
            input_panel()
        pooled = pool_view(state.view())
        if not isinstance(pooled, str):
            with dy_column:
                st.subheader("Upstream gradient dL/dy")
                gradient_panel(pooled.y.shape)
    return _pooled_or_stop()


def _pooled_or_stop(*, notices: bool = True) -> Pooled:
    """The view pooled, or the page stops with the reason; ``notices`` says what was fitted (once a page)."""
    pooled = pool_view(state.view())
    if isinstance(pooled, str):
        st.error(f"Nothing to show yet: {pooled}", icon="⚠️")
        st.stop()
    if not notices:
        return pooled
    dy_notices(pooled)
    if pooled.problem:
        st.warning(f"Showing the last settings that fit ({pooled.window.describe()}): {pooled.problem}", icon="⚠️")
    return pooled


def dy_notices(p: Pooled) -> None:
    """Say, right below the dL/dy editor, when the dL/dy in the view does not fit y (``Pooled.notices``)."""
    for notice in p.notices:
        st.warning(notice, icon="↔️")


def input_panel() -> None:
    """Editors for x: size, fill actions, the cell editor and the paste box."""
    x = state.view().x
    grids.size_inputs("x", x, fill=0.0)
    grids.fill_buttons("x", x)
    edited, problems = grids.cell_editor("x", x, label="x")
    if problems:
        for problem in problems[:5]:
            st.error(md(problem), icon="⚠️")
        st.caption("The figures keep showing the last grid that was valid.")
    elif not np.array_equal(edited, x, equal_nan=True):
        state.update(x=edited)
    with st.expander("Paste a whole grid"):
        grids.paste_box("x")


def _random_dy(shape) -> None:
    grids.set_grid("dy", np.random.default_rng().integers(-3, 4, size=shape).astype(float))
    st.session_state["dy_mode"] = "custom"


def _dy_mode_changed(shape) -> None:
    if st.session_state["dy_mode"] == "ones":
        state.update(dy=None)
    else:
        grids.set_grid("dy", np.ones(shape))


def gradient_panel(out_shape: tuple[int, int]) -> None:
    """dL/dy: all ones, or a custom grid that follows y's shape."""
    view = state.view()
    st.session_state["dy_mode"] = "ones" if view.dy is None else "custom"
    st.radio(
        "dL/dy values",
        ["ones", "custom"],
        key="dy_mode",
        horizontal=True,
        on_change=_dy_mode_changed,
        args=(out_shape,),
        format_func={"ones": "all ones", "custom": "custom grid"}.get,
        help="The gradient of the loss with respect to each output y[i, j], arriving from the layers above.",
    )
    st.button("Random integers −3…3", key="dy_random", on_click=_random_dy, args=(out_shape,))
    if view.dy is None:
        st.caption(f"Every output sends back 1: L = sum of y. (y is {out_shape[0]}×{out_shape[1]}.)")
        return
    # A dL/dy that does not fit y is shown fitted but not written back: ``dy_notices`` says so.
    dy, _ = fit_dy(view.dy, out_shape)
    edited, problems = grids.cell_editor("dy", dy, label="dL/dy")
    if problems:
        for problem in problems[:5]:
            st.error(md(problem), icon="⚠️")
    elif not np.array_equal(edited, dy, equal_nan=True):
        state.update(dy=edited)


def selection(p: Pooled, *, default: str | None = "0,0") -> tuple[int, int] | None:
    """The selected output cell, from the link (``sel=i,j``), clamped to y's shape.

    With ``default=None`` and no ``sel`` in the link, nothing is pinned: returns None.
    """
    H_out, W_out = p.y.shape
    text_value = state.get_extra(SELECTION) or default
    if text_value is None:
        return None
    try:
        i, j = (int(v) for v in text_value.split(",", 1)) if len(text_value) <= 12 else (None, None)
    except ValueError:
        i = j = None
    if i is None:
        st.warning(
            f"The link's `sel` must be an output cell written row,column (like 1,2); "
            f"y is {H_out}×{W_out}. Showing y[0, 0].",
            icon="🔗",
        )
        i = j = 0
    cell = (min(max(i, 0), H_out - 1), min(max(j, 0), W_out - 1))
    if cell != (i, j):
        st.caption(f"The link's cell y[{i}, {j}] is outside y ({H_out}×{W_out}); showing y[{cell[0]}, {cell[1]}].")
    state.set_extra(sel=f"{cell[0]},{cell[1]}")
    return cell


def _on_select_box() -> None:
    value = st.session_state["sel_box"]
    if not (isinstance(value, tuple) and len(value) == 2):
        return  # a stale value the browser sent again after the page was reloaded from a class room's view
    i, j = value
    state.set_extra(sel=f"{i},{j}")


def selection_box(p: Pooled, cell: tuple[int, int]) -> None:
    """A select box over output cells, for keyboards (clicking y does the same)."""
    H_out, W_out = p.y.shape
    options = [(i, j) for i in range(H_out) for j in range(W_out)]
    st.session_state["sel_box"] = cell
    # The options name cells only (the math beside it gives the value): they stay the same when an edit
    # changes y, so the browser has nothing new to draw in the box.
    st.selectbox(
        "Selected output cell",
        options,
        key="sel_box",
        on_change=_on_select_box,
        format_func=lambda c: f"y[{c[0]}, {c[1]}]",
    )


def window_panel(p: Pooled, cell: tuple[int, int], *, math_first: bool = False) -> None:
    """The selected window's math with its numbers, and a sentence about it (``math_first``: the math on top).

    The formulas are ``$$`` blocks of one markdown element, the sums and the sentence another: an edit in
    the picture reruns this with the picture, and every element costs the server and the browser a little
    on each rerun. The note under the formulas stays a caption (themes and presentation mode style those).
    """
    i, j = cell
    story = text.window_story(p, i, j)
    if not math_first:
        st.markdown(story)
    if p.res.indices[i, j] >= 0:
        st.markdown("\n\n".join(f"$$\n{line}\n$$" for line in text.window_math(p, i, j)))
        st.caption("Boxed values receive gradient from this window; the window's other cells receive nothing from it.")
    after = text.overlap_sums(p, i, j) + ([story] if math_first else [])
    if after:
        st.markdown("\n\n".join(after))


@st.fragment
def linked_picture(*, font_scale: float = 1.0) -> None:
    """The linked picture, the pinned window's math, the tie notice and the share box, as one fragment.

    An edit typed into the picture or a click that pins a cell reruns only this fragment
    (not the sidebar and the editors), so it ends with the URL update that ``app.py`` does
    after a full run. With the table editors open, an edit reruns the whole page so that
    they show it too.
    """
    # With the table editors open they said it already, next to the dL/dy editor; closed, it is said
    # here, right above the picture that draws dL/dy.
    pooled = _pooled_or_stop(notices=not st.session_state.get("editors"))
    cell = selection(pooled, default=None)
    linked.linked_grids(pooled, cell, key="linked", font_scale=font_scale)
    math_column, share_column = st.columns([3, 2], gap="large")
    with math_column:
        # With nothing pinned (no sel in the link, or after Esc) the math shows window (0, 0).
        shown = cell or (0, 0)
        window_panel(pooled, shown, math_first=True)
    with share_column:
        notice = text.tie_notice(pooled)
        if notice:
            st.info(notice, icon="⚖️")
        selection_box(pooled, shown)
        share_box()
    if st.session_state.pop(linked.EDITED, False) and st.session_state.get("editors"):
        st.rerun(scope="app")
    state.sync_url()


def share_box() -> None:
    """The link that reproduces this view, with a copy button."""
    share.link_box("Share this view: the link holds the grids and every setting.")
