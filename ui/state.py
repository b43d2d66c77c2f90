"""The session's view (grids and settings), loaded from the URL once and written back every run.

The URL is the source of truth across reloads and server restarts: a session
starts by decoding it, and every run ends by writing the current view into it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from ui.codec import ViewState, decode_view, encode_view
from ui.escape import md

VIEW = "view"
URL_ERRORS = "url_errors"
OPENED_WITH = "_opened_with"


def view() -> ViewState:
    """The current view; on a session's first run it is decoded from the URL."""
    if VIEW not in st.session_state:
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        state, errors = decode_view(params)
        st.session_state[VIEW] = state
        st.session_state[URL_ERRORS] = errors
        st.session_state[OPENED_WITH] = frozenset(params)
    return st.session_state[VIEW]


def opened_with_link() -> bool:
    """Whether this session was opened with a link that set anything: a page then never swaps in its own
    teaching default, since the link is to reproduce its view exactly."""
    view()
    return bool(st.session_state.get(OPENED_WITH))


def update(**changes) -> ViewState:
    """Replace fields of the view (``x=``, ``kernel=``, ...) and return the new view."""
    st.session_state[VIEW] = dataclasses.replace(view(), **changes)
    return st.session_state[VIEW]


def get_extra(key: str, default: str | None = None) -> str | None:
    """A page-owned link parameter such as ``sel`` or ``step``."""
    return view().extra.get(key, default)


def set_extra(**values: str | None) -> None:
    """Set (or, with None, remove) page-owned link parameters."""
    extra = dict(view().extra)
    for key, value in values.items():
        if value is None:
            extra.pop(key, None)
        else:
            extra[key] = value
    if extra != view().extra:  # unchanged: keep the same view object (the link is cached per view)
        update(extra=extra)


def shown_link_text(raw: str, limit: int = 20) -> str:
    """Link text fit to quote in a message (which renders markdown): short, and escaped so that it shows
    as the characters it is, never as a link, image or markup."""
    return md(raw[:limit] + ("…" if len(raw) > limit else ""))


def link_choice(key: str, choices: Sequence[str], default: str) -> str:
    """A page-owned link value that must be one of ``choices``: a missing one is ``default``; any other
    one gets a warning where it is used (next to its control) and ``default``, never silence."""
    raw = get_extra(key)
    if raw is None or raw in choices:
        return default if raw is None else raw
    st.warning(
        f"The link's `{key}` ({shown_link_text(raw)}) is not one of {', '.join(choices)}: using {default}.",
        icon="🔗",
    )
    return default


def link_cell_notice(
    key: str, raw: str | None, asked: tuple[int, int] | None, shown: tuple[int, int], grid: str, shape: tuple[int, int]
) -> None:
    """Say so when the link's cell ``raw`` (``asked`` once parsed, None if unreadable) is not the one shown."""
    if raw is None or asked == shown:
        return
    where = f"{grid} is {shape[0]}×{shape[1]}"
    if asked is None:
        message = f"The link's `{key}` ({shown_link_text(raw)}) is not a cell written row,column; {where}."
    else:
        message = f"The link's `{key}` points at {grid}[{asked[0]}, {asked[1]}], outside {grid}; {where}."
    st.warning(f"{message} Showing {grid}[{shown[0]}, {shown[1]}].", icon="🔗")


def url_errors() -> dict[str, str]:
    """Problems found in the link this session was opened with, by parameter."""
    view()
    return st.session_state.get(URL_ERRORS, {})


_LINK_CACHE = "_link_params"


def link_params() -> dict[str, str]:
    """The query parameters that reproduce the current view (encoded once per view object)."""
    current = view()
    cached = st.session_state.get(_LINK_CACHE)
    if cached is not None and cached[0] is current:
        return dict(cached[1])
    params = encode_view(current)
    st.session_state[_LINK_CACHE] = (current, params)
    return dict(params)


def sync_url() -> None:
    """Write the current view into the browser's URL (only when it changed), and to a class room if teaching."""
    params = link_params()
    current = {key: st.query_params.get(key) for key in st.query_params}
    if current != params:
        st.query_params.from_dict(params)
    from ui import classroom  # here: classroom builds on this module

    classroom.publish(params)


def share_link() -> str:
    """The full link to this page and view, for the copy box."""
    base = st.context.url or ""
    return f"{base}?{urlencode(link_params(), safe=',;')}"


def seed_widget(key: str, value) -> None:
    """Give a widget its value from the view if it has none yet (first run, or after its page was away)."""
    if key not in st.session_state:
        st.session_state[key] = value


def resized(grid: np.ndarray, shape: tuple[int, int], fill: float) -> np.ndarray:
    """``grid`` cut or extended to ``shape``, keeping the overlap and filling new cells with ``fill``."""
    out = np.full(shape, fill, dtype=np.float64)
    h, w = min(shape[0], grid.shape[0]), min(shape[1], grid.shape[1])
    out[:h, :w] = grid[:h, :w]
    return out
