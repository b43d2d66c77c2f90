"""More than one server: two replicas behind nginx (deploy/run_replicas.sh), on loopback.

The recipe under test is the one docs/deploy.md describes: sticky sessions by cookie,
websocket proxying, long URLs allowed. A browser loads the app through nginx, edits,
and sees the figure change; each browser sticks to one replica for the page, its
assets and its websocket; a 64x64 link gets through; and when a replica dies, a reload
lands on the other one and shows the same view, because the URL holds it.

In CI (``CI=true``) a missing nginx is a failure, never a skip.
"""

from __future__ import annotations

import os
import signal
import urllib.request

import numpy as np
import pytest

import pooling
from tests.browser.conftest import IN_CI
from tests.browser.helpers import edit_cell, heatmap_z, query, wait_for_app, wait_until
from tests.load.deployment import Deployment, find_nginx

pytestmark = pytest.mark.browser

X = [[1, 3, 0, 0], [3, 2, 0, 0], [4, 4, 1, 2], [4, 4, 2, 1]]
LINK = "/?x=1,3,0,0;3,2,0,0;4,4,1,2;4,4,2,1&k=2"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    if find_nginx() is None:
        reason = "nginx is not installed (apt-get install nginx)"
        if IN_CI:
            pytest.fail(f"the replica tests must run in CI: {reason}")
        pytest.skip(reason)
    d = Deployment(tmp_path_factory.mktemp("replicas"))
    yield d
    d.stop()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def expected_dx(x, policy="first"):
    res = pooling.max_pool2d(np.array(x, float), 2)
    return pooling.max_pool2d_backward(np.ones(res.out.shape), res, policy).tolist()


def open_on(browser, deployment, route: str, path: str = LINK):
    """A fresh browser carrying the route cookie, on ``path`` through nginx; returns (context, page, response)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    context.add_cookies([{"name": "st_route", "value": route, "url": deployment.url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    response = page.goto(deployment.url + path)
    wait_for_app(page)
    # The app's websocket goes to nginx, not around it.
    port = deployment.url.rsplit(":", 1)[1]
    assert any(url.startswith(f"ws://127.0.0.1:{port}/_stcore/stream") for url in sockets), sockets
    return context, page, response


def test_each_browser_edits_through_nginx_and_sticks_to_its_replica(browser, deployment):
    routes = deployment.routes()
    assert len(routes) == 2
    contexts = []
    try:
        for n, (replica, route) in enumerate(sorted(routes.items())):
            context, page, response = open_on(browser, deployment, route)
            contexts.append(context)
            assert response.headers["x-replica"] == replica
            assert heatmap_z(page, "dx_chart") == expected_dx(X)
            # Each browser types a different value; the figure changes as the core says.
            value = 9 - n
            x = [row[:] for row in X]
            x[1][0] = value
            edit_cell(page, 0, 1, 0, str(value), n_cols=4)
            wait_until(lambda x=x, page=page: heatmap_z(page, "dx_chart") == expected_dx(x))
            wait_until(lambda v=value, page=page: query(page).get("x") == f"1,3,0,0;{v},2,0,0;4,4,1,2;4,4,2,1")
    finally:
        for context in contexts:
            context.close()
    # nginx logs a websocket when it closes: every request of each browser - page, assets,
    # websocket - went to its own replica.
    def websockets_logged():
        log = deployment.access_log()
        return all(any(e["route"] == r and e["path"].startswith("/_stcore/stream") and e["status"] == "101"
                       for e in log) for r in routes.values())

    wait_until(websockets_logged, timeout=15)
    log = deployment.access_log()
    for replica, route in routes.items():
        mine = [e for e in log if e["route"] == route]
        assert {e["upstream"] for e in mine} == {replica}, mine


def test_a_64x64_link_gets_through_nginx(browser, deployment):
    rng = np.random.default_rng(5)
    x = np.round(rng.uniform(-5, 5, size=(64, 64)), 2)
    link = "/?x=" + ";".join(",".join(f"{v:g}" for v in row) for row in x) + "&k=2"
    route = next(iter(deployment.routes().values()))
    context, page, response = open_on(browser, deployment, route, link)
    try:
        assert response.status == 200
        wait_until(lambda: np.allclose(heatmap_z(page, "x_chart"), x))
    finally:
        context.close()


def test_when_a_replica_dies_a_reload_rebuilds_the_view_on_the_other(browser, deployment):
    """Runs last: it stops one replica (by the pid the script announced)."""
    routes = deployment.routes()
    victim, route = sorted(routes.items())[0]
    survivor = next(r for r in routes if r != victim)
    context, page, _ = open_on(browser, deployment, route)
    try:
        x = [row[:] for row in X]
        x[1][0] = 7
        edit_cell(page, 0, 1, 0, "7", n_cols=4)
        wait_until(lambda: heatmap_z(page, "dx_chart") == expected_dx(x))
        wait_until(lambda: query(page).get("x") == "1,3,0,0;7,2,0,0;4,4,1,2;4,4,2,1")
        before = query(page)

        os.kill(deployment.replicas[victim], signal.SIGTERM)
        wait_until(lambda: not answers(f"http://{victim}/_stcore/health"), timeout=30)

        response = page.reload()
        wait_for_app(page)
        # $upstream_addr lists every replica tried: the dead one (refused), then the survivor.
        assert response.headers["x-replica"].split(", ")[-1] == survivor
        wait_until(lambda: heatmap_z(page, "dx_chart") == expected_dx(x))
        assert query(page) == before
    finally:
        context.close()
