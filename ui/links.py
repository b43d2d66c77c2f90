"""Page-owned link parameters of the variant pages: read one, or say next to the page why it could not be used.

A bad value in a link gets a warning naming the parameter and what is allowed,
and the page falls back to the default; nothing else in the link is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ui import state

T = TypeVar("T")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: str) -> str:
    """Backslash-escape Markdown's special characters, so echoed text can never become a link or markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


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
        detail = md_escape(str(err)[:300])
        st.warning(f"The link's `{key}` could not be used: {detail}. Showing the default instead.", icon="🔗")
        state.set_extra(**{key: None})
        return default
