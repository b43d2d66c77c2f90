"""Page-owned link parameters of the variant pages: read one, or say next to the page why it could not be used.

A bad value in a link gets a warning naming the parameter and what is allowed,
and the page falls back to the default; nothing else in the link is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ui import state
from ui.text import md

T = TypeVar("T")


def read(key: str, parse: Callable[[str], T], default: T) -> T:
    """The link's ``key`` parsed by ``parse``; on a ValueError, a warning with its message, and ``default``.

    ``parse`` raises ValueError with a message that says what is wrong and what is allowed.
    """
    raw = state.get_extra(key)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError as err:
        detail = md(str(err)[:300])
        st.warning(f"The link's `{key}` could not be used: {detail}. Showing the default instead.", icon="🔗")
        state.set_extra(**{key: None})
        return default
