"""Presentation mode: larger text and figures for a projector, secondary controls folded away.

The switch is a sidebar toggle (key ``present``) and lives in the link as ``present=1``,
so a teacher can open a prepared link straight into it.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from ui import state

PRESENT = "present"
"""Widget key of the toggle, and the link parameter (``present=1``)."""

FONT_SCALE = 1.6
"""How much figure fonts grow in presentation mode (pages pass it as ``font_scale=``)."""

# A constant: nothing a user typed ever reaches this string. Streamlit sizes its text in rem,
# so raising the root size enlarges text, widgets and KaTeX together; the sidebar is zoomed
# back to about its usual size so that the controls still fit beside the content.
PRESENTATION_CSS = """
<style>
html { font-size: 23px; }
[data-testid="stSidebarContent"] { zoom: 0.75; }
[data-testid="stMain"] .katex { font-size: 1.35em; }
[data-testid="stMainBlockContainer"] { padding-top: 2rem; }
</style>
"""

# Presenting a wide x: a row of charts wraps rather than squeeze its grids; each chart's column keeps 600 px,
# room for 8 columns of 60 px cells and the axes. A constant, like the stylesheets around it.
WRAP_CSS = """
<style>
[data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stPlotlyChart"]) { flex-wrap: wrap; }
[data-testid="stColumn"]:has([data-testid="stPlotlyChart"]) { min-width: min(100%, 600px); }
</style>
"""


# Always on, in both themes (constant, like the stylesheet above). Streamlit draws captions and
# Plotly draws axis labels in a faded grey of about 3.7-3.9:1 against the page; WCAG AA asks 4.5:1.
# Captions take the body text colour, slightly lightened (about 7:1 light, 12:1 dark); chart
# labels outside the plot area take the body text colour itself (currentColor follows the theme).
# A page's key sentence is set larger than body text.
BASE_CSS = """
<style>
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.82; }
[data-testid="stPlotlyChart"] :is(.xtick, .ytick, .g-xtitle, .g-ytitle, .cbaxis, .colorbar, .cbtitle) text,
[data-testid="stPlotlyChart"] text:is(.gtitle, .legendtext, .xtitle, .ytitle) { fill: currentColor !important; }
.st-key-key_sentence p { font-size: 1.2rem; line-height: 1.5; }
</style>
"""


def key_sentence(words: str) -> None:
    """A page's key sentence (constant text from the page file), larger than body text rather than a grey caption."""
    with st.container(key="key_sentence"):
        st.markdown(words)


def is_on() -> bool:
    """Whether presentation mode is on: the toggle's value, or the link's before the toggle exists."""
    if PRESENT in st.session_state:
        return bool(st.session_state[PRESENT])
    return state.get_extra(PRESENT) == "1"


def font_scale() -> float:
    """The ``font_scale`` pages pass to figure builders: `FONT_SCALE` when presenting, else 1."""
    return FONT_SCALE if is_on() else 1.0


def grown(height: int | None) -> int | None:
    """A figure height for this mode: ``height`` times the font scale when presenting (None stays None: the
    builder then sizes the figure from its cells, with the font scale). Fonts and margins grow with the scale,
    so a fixed height would leave less room for the plot, and figures would shrink exactly when presenting."""
    return None if height is None else int(height * font_scale())


def toggle() -> bool:
    """Draw the toggle (in the current container) and keep the link's ``present`` in step with it."""
    state.seed_widget(PRESENT, state.link_choice(PRESENT, ("0", "1"), "0") == "1")
    on = st.toggle(
        "Presentation mode",
        key=PRESENT,
        help="Larger text and figures for a projector; secondary controls fold away. The link keeps it.",
    )
    state.set_extra(**{PRESENT: "1" if on else None})
    return on


def secondary(label: str):
    """A container for secondary controls: a folded expander when presenting, a plain container otherwise.

    Widgets inside an expander are still drawn, so their values survive while folded.
    """
    if is_on():
        return st.expander(label, expanded=False)
    return contextlib.nullcontext()


WRAP_ABOVE = 5
"""Up to this many columns of x, three or four charts side by side still get cells of 60 px at 1920 px."""


def inject_css() -> None:
    """Readable captions and chart labels always; larger text when presentation mode is on (once per run, from
    ``app.py``)."""
    st.html(BASE_CSS)
    if is_on():
        st.html(PRESENTATION_CSS)
        if max(state.view().x.shape) > WRAP_ABOVE:
            st.html(WRAP_CSS)
