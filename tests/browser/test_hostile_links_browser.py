"""A hostile link in a real browser: no outside link or image is drawn, and no request leaves for it.

The AppTest suite (tests/test_hostile_links.py) checks every page and link key at the markdown
level; this is the end-to-end check in Chromium against the real server: links that put markdown
links and images into the quoted text of the explorer, tie lab, lessons, network and matrix pages,
and an uploaded file whose name is markdown. After each page has drawn its message, the DOM has
no ``<a href>`` or ``<img src>`` pointing away from the app's own address, and no request was
made to the attacker's host (``page.on("request")`` sees every one, images included).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from tests.browser.conftest import ROOT
from tests.browser.helpers import wait_for_app, wait_until
from tests.test_image_bombs import png_bomb

pytestmark = pytest.mark.browser

EVIL = "ev.il"
LINKS = {
    "explorer": "/?x=" + quote("[Click](//ev.il),1;1,1") + "&dy=" + quote("![](//ev.il/a.png),1;1,1"),
    "tie_lab": "/tie_lab?h=" + quote("[Free exam answers](//ev.il)"),
    "lessons": "/lessons?lesson=" + quote("![](//ev.il/b.png)"),
    "network": "/network?conv=" + quote("![](//ev.il/c.png),1;1,1"),
    "matrix": "/matrix?mview=1d&vec=" + quote("[x](https://ev.il),1") + "&vdy=" + quote("![](//ev.il/d.png)"),
}
# Elements inside the app that can point somewhere: links, images, and anything with a src.
OUTSIDE = """(base) => {
    const own = new URL(base).host;
    const found = [];
    for (const el of document.querySelectorAll('a[href], img[src], [src], image[href]')) {
        const target = el.getAttribute('href') || el.getAttribute('src') || '';
        let url;
        try { url = new URL(target, document.baseURI); } catch (e) { continue; }
        if ((url.protocol === 'http:' || url.protocol === 'https:') && url.host !== own) {
            found.push(el.tagName + ' ' + url.href);
        }
    }
    return found;
}"""


def outside_targets(page, base: str) -> list[str]:
    """Outside links and images drawn by the app (Streamlit's own menu links are in its toolbar, not here)."""
    return [t for t in page.evaluate(OUTSIDE, base) if "streamlit.io" not in t]


@pytest.fixture()
def requests_seen(page):
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


@pytest.mark.parametrize("name", list(LINKS))
def test_a_hostile_link_draws_no_outside_link_and_fetches_nothing_outside(app_url, page, requests_seen, name):
    page.goto(app_url + LINKS[name])
    wait_for_app(page)
    # The page quotes the link's text in a message (as text): wait until it is drawn. (A quote is cut
    # at 20 characters, so the tie lab's long link text shows without its address.)
    marker = "Free exam answers" if name == "tie_lab" else EVIL
    alerts = page.locator('[data-testid="stAlert"]')
    wait_until(lambda: any(marker in alerts.nth(i).inner_text() for i in range(alerts.count())), timeout=30)
    page.wait_for_timeout(500)  # an image, were one drawn, would be requested by now
    page.screenshot(path=str(ROOT / "artifacts" / f"hostile_{name}.png"))
    assert not outside_targets(page, app_url), outside_targets(page, app_url)
    evil = [url for url in requests_seen if (urlsplit(url).hostname or "").endswith(EVIL)]
    assert not evil, evil


def test_an_uploaded_files_name_draws_no_outside_link(app_url, page, requests_seen, tmp_path):
    # A file name cannot hold "/", but "https:ev.il" is an absolute address to a browser.
    path = tmp_path / "[Click](https:ev.il) ![](https:ev.il).png"
    path.write_bytes(png_bomb())
    page.goto(app_url + "/images?img=upload")
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]')
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    alerts = page.locator('[data-testid="stAlert"]')
    wait_until(lambda: any("[Click]" in alerts.nth(i).inner_text() for i in range(alerts.count())), timeout=60)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ROOT / "artifacts" / "hostile_upload_name.png"))
    assert not outside_targets(page, app_url), outside_targets(page, app_url)
    assert not [url for url in requests_seen if "ev.il" in (urlsplit(url).hostname or "")]
