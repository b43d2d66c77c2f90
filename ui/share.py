"""The copyable link box pages show under a view: one bounded box, however long the link."""

from __future__ import annotations

import streamlit as st

from ui import state

LINK_BOX_HEIGHT = 84
"""Pixels: about two wrapped lines of the link show; a longer link (a 40×40 grid's is thousands of
characters) scrolls inside the box instead of stretching the page, and the copy button copies all of it."""


def link_box() -> None:
    """The link to this view in a code box of bounded height, with Streamlit's copy button."""
    st.code(state.share_link(), language=None, wrap_lines=True, height=LINK_BOX_HEIGHT)
