"""The share box (ui/share.py): a small component that shows the current link, not ``st.code``.

AppTest cannot run the box's JavaScript (tests/browser/test_share_browser.py does); here: what it is sent.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.apptest_util import link_box, run_page, widget

SEED = {"x": "1,1,2,4;5,6,7,8;3,2,1,0;1,2,3,4", "k": "2"}


def link_query(at) -> dict[str, str]:
    """The query of the link in the share box, one value per parameter."""
    query = parse_qs(urlsplit(link_box(at)["link"]).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in query.values()), query
    return {key: values[0] for key, values in query.items()}


def url_query(at) -> dict[str, str]:
    return {key: at.query_params[key] for key in at.query_params}


def test_the_box_holds_the_link_the_url_holds():
    at = run_page(query=SEED)
    assert not at.exception
    assert link_query(at) == url_query(at)
    assert link_query(at)["x"] == SEED["x"]
    assert link_box(at)["label"].startswith("Share this view")


def test_the_box_follows_a_rerun_of_the_pictures_fragment():
    """The select box lives in the picture's fragment: picking a cell reruns the fragment only, and the box
    (in the same fragment) shows the link with the new ``sel``."""
    at = run_page(query=SEED)
    widget(at, "sel_box").set_value((1, 0)).run()
    assert not at.exception
    assert link_query(at)["sel"] == "1,0"
    assert link_query(at) == url_query(at)


def test_the_box_follows_a_change_of_the_window():
    at = run_page(query=SEED)
    widget(at, "k_h").set_value(1).run()
    assert not at.exception
    assert link_query(at)["k"] == "1x2"  # kernel height 1, width 2
    assert link_query(at) == url_query(at)


@pytest.mark.parametrize("page", ["pages/explorer.py", "pages/quiz.py", "pages/step_through.py"])
def test_no_page_with_a_share_box_draws_st_code(page):
    """st.code made the browser load Streamlit's syntax-highlighter bundle for one line of text."""
    at = run_page(page, query=SEED)
    assert not at.exception
    assert link_query(at) == url_query(at)
    assert not at.code
