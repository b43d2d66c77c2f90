"""Presentation mode: the sidebar toggle, its place in the link, larger figure fonts, folded secondary controls,
and the CSS injected once per run."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_util import chart, linked, run_page, widget
from ui import presentation

LESSONS = "pages/lessons.py"


def json_spec(element) -> dict:
    return json.loads(element.proto.spec)


def linked_scale(element) -> float:
    data = json.loads(element.proto.json)
    return json.loads(data["json"])["font_scale"]


def test_toggle_writes_present_into_the_link_and_scales_the_figures():
    at = run_page(LESSONS, query={"lesson": "1"})
    assert widget(at, "present").value is False
    assert "present" not in at.query_params
    # The lesson's grids are the linked picture: its payload carries the text scale (the browser
    # sizes cells and numbers from it; tests/browser/test_linked_layout_browser.py measures them).
    assert linked(at, "lesson1_grids")["font_scale"] == 1.0

    widget(at, "present").set_value(True).run()
    assert not at.exception
    assert at.query_params["present"] == "1"
    assert linked(at, "lesson1_grids")["font_scale"] == presentation.FONT_SCALE

    widget(at, "present").set_value(False).run()
    assert "present" not in at.query_params
    assert linked(at, "lesson1_grids")["font_scale"] == 1.0


def test_a_link_with_present_opens_in_presentation_mode():
    at = run_page(LESSONS, query={"lesson": "5", "present": "1"})
    assert not at.exception
    assert widget(at, "present").value is True
    assert at.query_params["present"] == "1"
    curve = chart(at, "lesson5_curve")
    assert curve["layout"]["font"]["size"] == 13 * presentation.FONT_SCALE


def test_secondary_controls_fold_away_but_keep_their_values():
    at = run_page(query={"k": "2", "p": "1"})
    assert not at.sidebar.expander  # every control shown as usual
    assert any("PyTorch" in c.value for c in at.sidebar.caption)  # the tie rule's explanation
    widget(at, "present").set_value(True).run()
    folded = [e for e in at.sidebar.expander if e.label == "Padding, dilation, ceil mode"]
    assert len(folded) == 1
    keys = {w.key for w in folded[0].get("number_input")} | {w.key for w in folded[0].get("checkbox")}
    assert keys == {"p_h", "p_w", "d_h", "d_w", "ceil"}
    assert not any("PyTorch" in c.value for c in at.sidebar.caption)
    # Folded widgets keep their values, and so does the link.
    assert widget(at, "p_h").value == 1 and at.query_params["p"] == "1"
    widget(at, "p_w").set_value(0).run()
    assert at.query_params["p"] == "1x0"


def _css_script():
    import streamlit as st

    from ui import presentation

    st.session_state.setdefault("present", False)
    presentation.inject_css()
    st.markdown(f"font scale {presentation.font_scale()}")


def test_css_is_injected_only_when_presenting():
    # The contrast stylesheet is always there; the presentation one only when presenting.
    at = AppTest.from_function(_css_script).run()
    assert not at.exception
    assert [h.proto.body for h in at.html] == [presentation.BASE_CSS.strip()]
    assert at.markdown[0].value == "font scale 1.0"
    at.session_state["present"] = True
    at.run()
    assert len(at.html) == 2
    assert at.html[1].proto.body == presentation.PRESENTATION_CSS.strip()
    assert at.markdown[0].value == "font scale 1.6"


def test_the_css_is_a_constant_style_block():
    # Only a <style> element: st.html then adds no space to the page, and no user text can reach it.
    css = presentation.PRESENTATION_CSS.strip()
    assert css.startswith("<style>") and css.endswith("</style>") and css.count("<") == 2
    assert "html { font-size: 23px; }" in css


@pytest.mark.parametrize("n", range(1, 9))
def test_every_lesson_renders_in_presentation_mode(n):
    at = run_page(LESSONS, query={"lesson": str(n), "present": "1"})
    assert not at.exception
    sizes = {chart_spec["layout"]["font"]["size"] for chart_spec in map(json_spec, at.get("plotly_chart"))}
    # The lesson's grids are the linked picture, which carries the scale in its payload.
    scales = {linked_scale(e) for e in at.get("bidi_component")}
    assert sizes | scales
    assert sizes <= {13 * presentation.FONT_SCALE} and scales <= {presentation.FONT_SCALE}
