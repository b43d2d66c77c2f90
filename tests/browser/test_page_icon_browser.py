"""What a real browser fetches for the tab's icon: a PNG from the app's own server, nothing off the machine."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.browser.helpers import wait_until

pytestmark = pytest.mark.browser


def test_favicon_comes_from_the_app_server(page, app_url):
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlparse(request.url).hostname or ""))
    page.goto(app_url)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    wait_until(lambda: "/media/" in (page.evaluate(
        "() => (document.querySelector('link[rel~=\"icon\"]') || {}).href || ''") or ""))
    href = page.evaluate("() => document.querySelector('link[rel~=\"icon\"]').href")
    assert urlparse(href).hostname == "127.0.0.1"
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"] == "image/png"
    assert response.body()[:8] == b"\x89PNG\r\n\x1a\n"
    # No request of the page, the favicon included, went anywhere but the app's loopback server.
    assert hosts and set(hosts) == {"127.0.0.1"}, sorted(set(hosts))
