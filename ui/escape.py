"""Text made literal before it is shown: user or link text quoted in markdown or in a LaTeX formula.

Plain Python (no Streamlit), so every layer that quotes what a user typed can use the one helper.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be escaped with a backslash in CommonMark, and escaped it
# stands for itself. Escaping all of them (not a guessed subset) also covers GitHub's bare autolinks
# (``www.``, ``http://``, ``a@b.c``), Streamlit's ``:red[...]`` / ``:material/x:`` directives, ``$``
# math and HTML entities, none of which can start once their punctuation is literal.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
# GitHub's bare autolinks ("https://...", "www....", "a@b.c", "mailto:...") are found by the renderer
# even with their punctuation escaped (seen in Chromium: "https\:\/\/ev\.il" still became a link).
# A zero-width space after the scheme, the "www" or the "@" breaks the pattern and reads the same.
_AUTOLINK_START = re.compile(r"(?i)\b(https?|ftp|mailto|xmpp)(?=:)|\b(www)(?=\.)|@")
_BREAK = "\u200b"
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def md(text: object) -> str:
    """``text`` made literal for anything Streamlit renders as markdown (st.markdown, st.caption,
    st.warning, st.error, st.info, st.success, labels).

    Use it on every piece of user or link text (a quoted value, a parser's message that quotes
    one, a file name) before it goes into a message: ``[x](//ev.il)`` must show as those
    characters, never as a link, an image or emphasis. Line breaks become spaces, so a quoted
    value cannot start a heading, list or new paragraph, and a bare address (``https://…``,
    ``www.…``, ``a@b.c``) gets an invisible zero-width space that keeps it from becoming a link.
    """
    flat = _LINE_BREAKS.sub(" ", str(text))
    flat = _AUTOLINK_START.sub(lambda m: m.group(0) + _BREAK, flat)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def latex_text(text: object) -> str:
    """``text`` made literal inside ``\\text{...}`` of an ``st.latex`` formula (KaTeX).

    No user text reaches ``st.latex`` today (every formula is built from numbers by
    ``latex_number``); this is the helper to use if one ever does.
    """
    flat = _LINE_BREAKS.sub(" ", str(text))
    return r"\text{" + "".join(_LATEX_SPECIAL.get(c, c) for c in flat) + "}"
