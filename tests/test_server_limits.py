"""Limits on what a client can send, checked against a real server the way an attacker would try them.

A fresh ``streamlit run app.py`` (tests/browser/conftest.py's start_server, loopback only) is
attacked with what a script can send that a browser would not: upload PUTs far over the page's
5 MB (declared honestly, and streamed with no Content-Length), and a widget value far over the
paste box's ``max_chars`` straight on the websocket. Each is refused, and the server's resident
memory (``VmRSS`` from /proc) stays within a generous bound of where it started: a memory
bound, not a timing. The configured caps are also checked against numbers computed here from
the app's own constants (the grid cap, the image cap), so changing a cap without the config
fails a test.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import tomllib
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

from tests.apptest_util import plain
from tests.browser.conftest import IN_CI, start_server, stop_server
from tests.load.client import proc_rss_bytes, run_in_own_loop

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
MiB = 1024 * 1024
RSS_SLACK = 100 * MiB  # generous: one rerun of a page costs a few MiB; one accepted 199 MB upload costs 200+


# --------------------------------------------------------------------------- the numbers in the config


def largest_valid_client_message() -> int:
    """Bytes of the biggest BackMsg a page with both grid editors sends with valid content: both paste
    boxes full to their max_chars, both cell editors with every cell edited to a longest valid value."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from ui.codec import MAX_GRID_SIDE, MAX_NUMBER_CHARS
    from ui.grids import PASTE_BOX_CHARS

    msg = BackMsg()
    widget_id = "$$ID-" + "f" * 32 + "-"
    longest = "-" + "1" * (MAX_NUMBER_CHARS - 6) + "e-300"  # MAX_NUMBER_CHARS characters, a valid number
    assert len(longest) == MAX_NUMBER_CHARS
    for name in ("x", "dy"):
        paste = WidgetState(id=widget_id + f"{name}_paste", string_value="9" * PASTE_BOX_CHARS)
        edits = {str(r): {str(c): longest for c in range(MAX_GRID_SIDE)} for r in range(MAX_GRID_SIDE)}
        editor = WidgetState(
            id=widget_id + f"{name}_editor_99",
            string_value=json.dumps({"edited_rows": edits, "added_rows": [], "deleted_rows": []}),
        )
        msg.rerun_script.widget_states.widgets.extend([paste, editor])
    return len(msg.SerializeToString())


def test_upload_cap_is_what_the_page_states():
    from ui.images import MAX_IMAGE_BYTES

    assert CONFIG["maxUploadSize"] * MiB == MAX_IMAGE_BYTES  # Streamlit's MB here are MiB


def test_client_message_cap_fits_the_largest_valid_grids_with_room():
    largest = largest_valid_client_message()
    cap = CONFIG["maxWidgetStateSize"] * 10**6  # Streamlit's MB here are 10^6 bytes
    assert largest * 2 <= cap, (largest, cap)
    assert cap < 25 * 10**6, "no tighter than Streamlit's default would be no limit at all"


def test_server_message_cap_fits_the_largest_image_figure():
    from figures.images import make_image_figure
    from ui.images import MAX_IMAGE_SIDE

    noise = np.random.default_rng(0).random((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE)).astype(np.float32)
    biggest = max(
        len(make_image_figure(noise, name="x", kind=kind, title="x").to_json()) for kind in ("image", "gradient")
    )
    assert biggest * 1.25 <= CONFIG["maxMessageSize"] * 10**6, biggest


# --------------------------------------------------------------------------- a real server under attack


@pytest.fixture(scope="module")
def server():
    if not Path("/proc/self/status").exists():
        if IN_CI:
            pytest.fail("the server-limit test reads /proc and must run in CI")
        pytest.skip("no /proc on this system")
    env_before = os.environ.get("STREAMLIT_SERVER_MAX_UPLOAD_SIZE")
    assert env_before is None, "the environment would override the config under test"
    process, base_url = start_server()
    yield process, base_url
    stop_server(process)


async def open_session(base_url: str) -> tuple[object, str, dict[str, str]]:
    """A websocket session on the tie lab (its table editors, paste box included, are always built; the
    explorer's only while open), run once; returns (websocket, session id, widget ids by key)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    ws = await connect(
        base_url.replace("http://", "ws://") + "/_stcore/stream",
        subprotocols=["streamlit"],
        max_size=None,
        open_timeout=60,
        ping_interval=None,
    )
    msg = BackMsg()
    msg.rerun_script.query_string = "x=1,2;3,4&k=2"
    msg.rerun_script.page_name = "tie_lab"
    await ws.send(msg.SerializeToString())
    session_id, ids = "", {}
    while True:
        fm = ForwardMsg()
        fm.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            session_id = fm.new_session.initialize.session_id
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            element = fm.delta.new_element
            wid = getattr(getattr(element, element.WhichOneof("type")), "id", "")
            if isinstance(wid, str) and wid.startswith("$$ID"):
                ids[wid.rsplit("-", 1)[1]] = wid
        elif kind == "script_finished" and fm.script_finished != ForwardMsg.ScriptFinishedStatus.Value(
            "FINISHED_EARLY_FOR_RERUN"
        ):
            return ws, session_id, ids


def put_upload(base_url: str, session_id: str, body_bytes: int, *, declare_length: bool) -> int | str:
    """PUT a multipart upload of ``body_bytes`` zero bytes; the HTTP status, or how the server cut it off."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    token = generate_xsrf_token_string()
    boundary = "hostileboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    url = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Xsrftoken": token,
        "Cookie": f"_streamlit_xsrf={token}",
    }
    chunk = bytes(MiB)
    try:
        if declare_length:
            headers["Content-Length"] = str(len(head) + body_bytes + len(tail))
        else:
            headers["Transfer-Encoding"] = "chunked"
        conn.putrequest("PUT", f"/_stcore/upload_file/{session_id}/hostile-file")
        for key, value in headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        parts = [head] + [chunk] * (body_bytes // MiB) + [tail]
        for part in parts:
            conn.send(part if declare_length else b"%x\r\n%s\r\n" % (len(part), part))
        if not declare_length:
            conn.send(b"0\r\n\r\n")
        return conn.getresponse().status
    except (ConnectionError, OSError) as err:  # the server may close mid-body once it has refused
        try:
            return conn.getresponse().status
        except Exception:  # noqa: BLE001 - what matters is that the body was not taken
            return f"cut off ({type(err).__name__})"
    finally:
        conn.close()


def test_oversize_uploads_and_widget_values_are_refused_and_memory_stays_flat(server):
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from websockets.exceptions import ConnectionClosed

    process, base_url = server

    async def attack():
        ws, session_id, ids = await open_session(base_url)
        assert session_id and "x_paste" in ids, (session_id, sorted(ids))
        rss_before = proc_rss_bytes(process.pid)

        # A file the page accepts goes through: the limit is not "refuse everything".
        assert put_upload(base_url, session_id, 1 * MiB, declare_length=True) in (200, 204)
        # Over the cap: refused by the declared length, and by counting when there is none.
        outcomes = [put_upload(base_url, session_id, 40 * MiB, declare_length=True) for _ in range(5)]
        outcomes += [put_upload(base_url, session_id, 40 * MiB, declare_length=False) for _ in range(2)]
        assert all(o == 413 or str(o).startswith("cut off") for o in outcomes), outcomes

        # Paste values far over the box's max_chars, sent straight on the websocket: 3 MB passes the
        # transport's frame cap (maxMessageSize) and is refused by Streamlit's client-message cap
        # (maxWidgetStateSize); 20 MB is refused by the transport. Either way the server closes the
        # connection with 1009 (message too big). Then four more sessions try the same (the attack in
        # the issue: four tabs sending 23 MB pastes).
        async def refused(ws, paste_id: str, size: int) -> int | None:
            msg = BackMsg()
            msg.rerun_script.query_string = "x=1,2;3,4&k=2"
            msg.rerun_script.widget_states.widgets.append(WidgetState(id=paste_id, string_value="1" * size))
            try:
                await ws.send(msg.SerializeToString())
                while True:
                    await asyncio.wait_for(ws.recv(), 60)
            except ConnectionClosed as err:
                return err.rcvd.code if err.rcvd is not None else None

        assert await refused(ws, ids["x_paste"], 3 * 10**6) == 1009
        for size in (20 * 10**6, 20 * 10**6, 3 * 10**6, 3 * 10**6):
            other, _, other_ids = await open_session(base_url)
            assert await refused(other, other_ids["x_paste"], size) == 1009
        return rss_before

    rss_before = run_in_own_loop(attack())
    assert process.poll() is None, "the server died"
    rss_after = proc_rss_bytes(process.pid)
    print(f"server RSS before {rss_before / MiB:.0f} MiB, after the attack {rss_after / MiB:.0f} MiB")
    assert rss_after - rss_before < RSS_SLACK, (rss_before / MiB, rss_after / MiB)


def test_a_paste_over_the_box_limit_is_cut_and_reported_not_silently_used(server):
    """Streamlit truncates a text value to max_chars on the server too; one character over the paste limit
    still reaches the parser, which refuses it by length, so a cut paste never becomes a different grid."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from ui.codec import MAX_PASTE_CHARS

    _, base_url = server

    async def paste() -> list[str]:
        ws, _, ids = await open_session(base_url)
        rows = "1 2\n" * (MAX_PASTE_CHARS // 4 + 10)  # 64+ rows of valid text, longer than the box holds
        msg = BackMsg()
        msg.rerun_script.query_string = "x=1,2;3,4&k=2"
        msg.rerun_script.page_name = "tie_lab"
        msg.rerun_script.widget_states.widgets.extend(
            [
                WidgetState(id=ids["x_paste"], string_value=rows),
                WidgetState(id=ids["x_paste_apply"], trigger_value=True),
            ]
        )
        await ws.send(msg.SerializeToString())
        bodies = []
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
            if fm.WhichOneof("type") == "delta" and fm.delta.WhichOneof("type") == "new_element":
                element = fm.delta.new_element
                if element.WhichOneof("type") == "alert":
                    bodies.append(element.alert.body)
            if fm.WhichOneof(
                "type"
            ) == "script_finished" and fm.script_finished != ForwardMsg.ScriptFinishedStatus.Value(
                "FINISHED_EARLY_FOR_RERUN"
            ):
                await ws.close()
                return bodies

    bodies = [plain(b) for b in run_in_own_loop(paste())]
    # Cut to max_chars = MAX_PASTE_CHARS + 1 on the server, then refused by its length.
    assert any(f"the text is {MAX_PASTE_CHARS + 1:,} characters long" in b for b in bodies), bodies


def test_every_text_box_has_max_chars():
    """Every st.text_input / st.text_area in the app passes max_chars (Streamlit enforces it on the server)."""
    import ast

    calls, missing = 0, []
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("text_input", "text_area"):
                calls += 1
                if not any(k.arg == "max_chars" for k in node.keywords):
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls >= 3, calls  # the paste box and the matrix page's two vector boxes, at least
    assert not missing, missing
