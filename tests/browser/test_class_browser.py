"""Class mode in headless Chromium: one teacher and two students, each in their own browser context.

The students follow the teacher's tie rule, page and step; one leaves to explore and rejoins; then
a predict-then-reveal round: both send marks, the teacher's screen counts them per cell, and the
reveal reaches both students. The server runs with its own SQLite room store in a temporary folder.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.conftest import SCREENSHOTS, start_server, stop_server
from tests.browser.helpers import full_screenshot, heatmap_z, query, wait_for_app, wait_until
from tests.browser.test_quiz_browser import idle, mark, marked

pytestmark = pytest.mark.browser

X = "1,1,2;3,3,0;0,5,5"  # 3x3 with ties in two windows (kernel 2, stride 1)


@pytest.fixture(scope="module")
def class_url(tmp_path_factory):
    """A server of its own, whose room store is a fresh SQLite file."""
    path = tmp_path_factory.mktemp("rooms") / "rooms.sqlite3"
    before = os.environ.get("MAXPOOL_ROOM_STORE")
    os.environ["MAXPOOL_ROOM_STORE"] = f"sqlite://{path}"
    try:
        process, base_url = start_server()
    finally:
        if before is None:
            os.environ.pop("MAXPOOL_ROOM_STORE")
        else:
            os.environ["MAXPOOL_ROOM_STORE"] = before
    yield base_url
    stop_server(process)


@pytest.fixture()
def tabs(browser):
    """Three browser contexts (no shared cookies or storage): the teacher and two students."""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(3)]
    pages = [c.new_page() for c in contexts]
    for p in pages:
        p.set_default_timeout(60_000)
    yield pages
    for c in contexts:
        c.close()


def open_room(teacher, class_url: str, path_and_query: str) -> tuple[str, str]:
    """The teacher opens the page and a room; returns (student link, code as shown)."""
    teacher.goto(f"{class_url}/")
    wait_for_app(teacher)
    teacher.goto(f"{class_url}/{path_and_query}")
    wait_for_app(teacher)
    teacher.get_by_role("button", name="Open a class room").click()
    teacher.wait_for_selector("text=Teaching room")
    wait_for_app(teacher)
    link = teacher.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first.inner_text().strip()
    code = teacher.locator('[data-testid="stSidebar"] strong code').first.inner_text().strip()
    # The QR code was drawn and shown.
    assert teacher.locator('[data-testid="stSidebar"] [data-testid="stImage"] img').count() == 1
    return link, code


def join_by_link(student, link: str) -> None:
    student.goto(link)
    wait_for_app(student)
    student.wait_for_selector("text=Following the teacher")


def join_by_code(student, class_url: str, code: str) -> None:
    student.goto(f"{class_url}/")
    wait_for_app(student)
    student.locator(".st-key-class_code_input input").fill(code.lower())  # typed loosely
    student.get_by_role("button", name="Join the class").click()
    student.wait_for_selector("text=Following the teacher")
    wait_for_app(student)


def view_params(page) -> dict[str, str]:
    """The link parameters that make up the view (without the class's own and the screen's own)."""
    return {k: v for k, v in query(page).items() if k not in ("room", "teach", "present")}


def page_path(page) -> str:
    return page.evaluate("document.location.pathname")


def test_students_follow_leave_and_rejoin(tabs, class_url):
    teacher, alice, bob = tabs
    bob_frames: list = []  # what Bob's tab gets on Streamlit's own socket (a run of his page sends there)

    def watch(ws) -> None:
        if "_stcore/stream" in ws.url:
            ws.on("framereceived", lambda payload: bob_frames.append(payload))

    bob.on("websocket", watch)
    link, code = open_room(teacher, class_url, f"?x={X}&k=2&s=1")
    assert "teach" not in query(teacher)  # the teacher's token never sits in the address bar
    join_by_link(alice, link)
    join_by_code(bob, class_url, code)
    for student in (alice, bob):
        assert view_params(student) == view_params(teacher)
        assert query(student)["room"] == code.replace("-", "")

    # A tie rule chosen on the projector reaches both laptops.
    teacher.locator('[data-testid="stSidebar"] label:has-text("split")').first.click()
    wait_for_app(teacher)
    assert query(teacher)["tie"] == "split"
    for student in (alice, bob):
        wait_until(lambda s=student: query(s).get("tie") == "split", timeout=30)

    # The page and the step follow too.
    teacher.get_by_role("link", name="Step through").click()
    wait_for_app(teacher)
    teacher.wait_for_selector("text=Step 1 of")
    for step in ("2", "3"):
        # One click at a time, each seen through to the link before the next.
        teacher.get_by_role("button", name="Next").first.click()
        wait_until(lambda step=step: query(teacher).get("step") == step, timeout=30)
        wait_for_app(teacher)
    for student in (alice, bob):
        wait_until(lambda s=student: page_path(s).endswith("/step_through") and query(s).get("step") == "3", timeout=30)
        wait_for_app(student)
        student.wait_for_selector("text=Step 3 of")  # the screen, not only the link (the server reruns its player)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(bob, SCREENSHOTS / "class_student_following.png", height=1400)

    # Alice leaves to explore: the teacher's next steps reach Bob only.
    alice.get_by_role("button", name="Leave to explore").click()
    alice.wait_for_selector("text=Exploring on your own")
    bob.wait_for_timeout(1000)  # anything still on its way to Bob from the steps before has arrived
    frames = len(bob_frames)
    assert frames > 0  # the runs that loaded his page came this way
    teacher.get_by_role("button", name="Next").first.click()
    wait_for_app(teacher)
    wait_until(lambda: query(teacher).get("step") == "4", timeout=30)
    wait_until(lambda: query(bob).get("step") == "4", timeout=30)
    bob.wait_for_selector("text=Step 4 of")
    # The step reached Bob's screen through his picture's live channel: his page did not run for it.
    bob.wait_for_timeout(1000)
    assert len(bob_frames) == frames
    alice.wait_for_timeout(2500)  # Bob moved already; a follower's tab would have moved by now
    assert query(alice).get("step") == "3"

    # One click brings her back to the teacher's view.
    alice.get_by_role("button", name="Rejoin").click()
    alice.wait_for_selector("text=Following the teacher")
    wait_until(lambda: query(alice).get("step") == "4", timeout=30)
    assert view_params(alice) == view_params(teacher)


def test_a_prediction_round_counts_each_student_once_and_reveals_to_all(tabs, class_url):
    teacher, alice, bob = tabs
    link, code = open_room(teacher, class_url, f"quiz?x={X}&k=2&s=1")
    join_by_link(alice, link)
    join_by_link(bob, link)
    for student in (alice, bob):
        wait_until(lambda s=student: page_path(s).endswith("/quiz"))
        wait_for_app(student)

    teacher.get_by_role("button", name="Start a class round on this question").click()
    wait_for_app(teacher)
    for student in (alice, bob):
        student.wait_for_selector("text=Send my prediction", timeout=30_000)
        idle(student)

    # Alice marks (1, 0); Bob marks (1, 0) and (2, 1), sends, changes his mind about (2, 1) and sends again.
    mark(alice, 1, 0)
    alice.get_by_role("button", name="Send my prediction").click()
    alice.wait_for_selector("text=was sent.")
    mark(bob, 1, 0)
    mark(bob, 2, 1)
    bob.get_by_role("button", name="Send my prediction").click()
    bob.wait_for_selector("text=was sent.")
    mark(bob, 2, 1)
    mark(bob, 2, 2)
    bob.wait_for_timeout(1100)  # answers are taken at most once a second per student
    bob.get_by_role("button", name="Send my prediction").click()
    bob.wait_for_selector("text=(2 cells marked) was sent.")

    # Counted by hand: (1, 0) by both, (2, 2) by Bob's second answer; his first answer is replaced.
    expected = [[0, 0, 0], [2, 0, 0], [0, 0, 1]]
    wait_until(lambda: heatmap_z(teacher, "class_tally_chart") == expected, timeout=30)
    teacher.wait_for_selector("text=2 answers")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    full_screenshot(teacher, SCREENSHOTS / "class_teacher_round.png", height=2000)

    teacher.get_by_role("button", name="Reveal to everyone").click()
    wait_for_app(teacher)
    for student in (alice, bob):
        student.wait_for_selector("text=The teacher revealed the answer", timeout=30_000)
        student.wait_for_selector('.st-key-quiz_linked [aria-label="dL/dx"]', timeout=30_000)
    # Each student's own marks survive the reveal and are scored.
    assert marked(alice) == {(1, 0)}
    assert marked(bob) == {(1, 0), (2, 2)}
    full_screenshot(bob, SCREENSHOTS / "class_student_reveal.png", height=2200)


def test_a_class_across_two_replicas_shares_its_room_through_redis(browser, tmp_path):
    """deploy/run_replicas.sh --redis: the teacher on one replica, a student on the other, one room."""
    from tests.browser.conftest import IN_CI
    from tests.load.deployment import Deployment, find_nginx
    from tests.redis_server import redis_server_path

    if find_nginx() is None or redis_server_path() is None:
        reason = "nginx and redis-server are needed (apt-get install nginx redis-server)"
        if IN_CI:
            pytest.fail(f"the two-replica class test must run in CI: {reason}")
        pytest.skip(reason)
    deployment = Deployment(tmp_path, redis=True)
    contexts = []
    try:
        assert deployment.store_url.startswith("redis://127.0.0.1:")
        routes = deployment.routes()  # {replica: cookie value}: one cookie per replica
        assert len(routes) == 2  # so the teacher and the student are served by different replicas
        pages = []
        for route in sorted(routes.values()):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_cookies([{"name": "st_route", "value": route, "url": deployment.url}])
            contexts.append(context)
            pages.append(context.new_page())
        teacher, student = pages
        link, code = open_room(teacher, deployment.url, f"?x={X}&k=2&s=1")
        join_by_link(student, link)
        teacher.locator('[data-testid="stSidebar"] label:has-text("last")').first.click()
        wait_for_app(teacher)
        wait_until(lambda: query(student).get("tie") == "last", timeout=30)
        assert view_params(student) == view_params(teacher)
    finally:
        for context in contexts:
            context.close()
        deployment.stop()
