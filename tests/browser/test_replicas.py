"""More than one server: two replicas behind nginx (deploy/run_replicas.sh), on loopback.

The recipe under test is the one docs/deploy.md describes: sticky sessions by cookie,
websocket proxying, long URLs allowed. A browser loads the app through nginx, edits,
and sees the figure change; each browser sticks to one replica for the page, its
assets and its websocket; a 64x64 link gets through; a picture over 1 MB uploads through
nginx; when a replica dies, a reload lands on the other one and shows the same view,
because the URL holds it; and when the dead replica is restarted mid-session, the tab that
moved away keeps its uploads on the replica that now holds its session (failback).

In CI (``CI=true``) a missing nginx is a failure, never a skip.
"""

from __future__ import annotations

import io
import os
import signal
import urllib.request

import numpy as np
import pytest
from PIL import Image

import pooling
from tests.browser.conftest import IN_CI, ROOT, start_server, stop_server
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


# --------------------------------------------------------------------------- uploads, failover and failback

UPLOAD_SIDE = 700  # random RGB noise does not compress: the PNG is about 1.5 MB, over nginx's default 1 MB


def noise_png(tmp_path) -> tuple[str, int]:
    rgb = np.random.default_rng(3).integers(0, 256, size=(UPLOAD_SIDE, UPLOAD_SIDE, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    path = tmp_path / "noise.png"
    path.write_bytes(buffer.getvalue())
    return str(path), len(buffer.getvalue())


def wait_connected(page) -> None:
    """Connected and idle (the upload page draws no chart before a picture arrives)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=90_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=90_000)


def upload_and_see_it(page, path: str, uploads) -> None:
    """Upload the picture through the page's uploader and wait until the page has decoded it."""
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(path)
    # The page's summary of the decoded picture (its figures hold a typed array, awkward to read here).
    try:
        wait_until(lambda: f"x is {UPLOAD_SIDE}×{UPLOAD_SIDE} = " in page.inner_text("body"), timeout=90)
    except TimeoutError:
        page.screenshot(path=str(ROOT / "artifacts" / "replicas_upload.png"))
        raise AssertionError(f"the upload did not arrive; uploads seen by nginx: {uploads()}") from None
    errors = page.locator('[data-testid="stFileUploader"]').inner_text()
    assert "error" not in errors.lower() and "413" not in errors, errors


def route_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "st_route"), None)


def test_a_picture_over_1mb_uploads_through_nginx(browser, deployment, tmp_path):
    path, size = noise_png(tmp_path)
    assert 1024 * 1024 < size < 5 * 1024 * 1024
    replica, route = sorted(deployment.routes().items())[-1]
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    context.add_cookies([{"name": "st_route", "value": route, "url": deployment.url}])
    page = context.new_page()
    try:
        page.goto(deployment.url + "/images?img=upload")
        wait_connected(page)
        upload_and_see_it(page, path, lambda: [e for e in deployment.access_log() if e['method'] == 'PUT'])
        puts = [e for e in deployment.access_log() if e["method"] == "PUT" and "/_stcore/upload_file/" in e["path"]]
        assert puts and all(e["status"] in ("200", "204") and e["upstream"] == replica for e in puts), puts
    finally:
        context.close()


@pytest.fixture()
def restarted():
    """Replicas this test starts again (on their old port); stopped at the end."""
    processes = []
    yield processes
    for process in processes:
        stop_server(process)


def test_failback_keeps_uploads_with_the_websocket(browser, deployment, restarted, tmp_path):
    """A replica is killed and restarted mid-session: the tab that moved keeps everything on one replica.

    Runs after the failover test (which may have left the first replica stopped): it starts the victim
    again if needed, so it works in any order.
    """
    path, _ = noise_png(tmp_path)
    routes = deployment.routes()
    victim, route = sorted(routes.items())[0]
    survivor = next(r for r in routes if r != victim)
    port = int(victim.rsplit(":", 1)[1])
    if not answers(f"http://{victim}/_stcore/health"):
        process, _ = start_server(port=port, cwd=ROOT)
        restarted.append(process)
    # nginx skips a replica for fail_timeout (5 s) after failed connections: wait until it is back.
    wait_until(lambda: deployment.replica_for(route) == victim, timeout=60, interval=1)

    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    context.add_cookies([{"name": "st_route", "value": route, "url": deployment.url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        response = page.goto(deployment.url + "/images?img=upload")
        wait_connected(page)
        assert response.headers["x-replica"] == victim

        # The victim dies mid-session; the tab reconnects by itself, through nginx, to the survivor,
        # and the route cookie now names the survivor (the replica that answered).
        pid = deployment.replicas[victim] if not restarted else restarted[-1].pid
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not answers(f"http://{victim}/_stcore/health"), timeout=30)
        wait_until(lambda: route_cookie(context) == routes[survivor], timeout=90)
        wait_connected(page)

        # The victim comes back on its old port (a restarted pod, a supervisor's restart).
        process, _ = start_server(port=port, cwd=ROOT)
        restarted.append(process)
        assert answers(f"http://{victim}/_stcore/health")

        # An upload now: it must reach the survivor, where this tab's session lives. (With the cookie
        # hashed to a fixed key it went back to the victim: "Invalid session_id".)
        upload_and_see_it(page, path, lambda: [e for e in deployment.access_log() if e['method'] == 'PUT'])
        assert route_cookie(context) == routes[survivor]
        puts = [e for e in deployment.access_log() if e["method"] == "PUT" and e["route"] == routes[survivor]]
        assert puts and all(e["status"] in ("200", "204") and e["upstream"] == survivor for e in puts), puts
    finally:
        context.close()
