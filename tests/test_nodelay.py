"""ui.nodelay: Nagle's algorithm goes off on the process's TCP sockets, listening and connected alike.

Streamlit binds its listening socket with protocol number 0 (``socket.socket(family)``), which is what
these tests create too: asyncio skips TCP_NODELAY on such sockets, so ui.nodelay has to set it.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from ui import nodelay

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ui.nodelay reads Linux's /proc")


def _nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.fixture()
def listener():
    sock = socket.socket(family=socket.AF_INET)  # as Streamlit 1.67's _bind_socket makes it: proto 0
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock
    sock.close()


def test_a_socket_made_like_streamlits_starts_with_nagle_on(listener):
    """The premise: proto 0, and TCP_NODELAY off (so the fix is not a no-op)."""
    assert listener.proto == 0
    assert _nodelay(listener) == 0


def test_it_is_set_on_open_sockets_and_new_connections_inherit_it(listener):
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert _nodelay(accepted) == 0
        assert nodelay.set_no_delay_everywhere() >= 3  # at least the listener, the client and the accepted end
        assert _nodelay(listener) == 1
        assert _nodelay(accepted) == 1  # the connection that was already open: the session that ran first
        later_client = socket.create_connection(listener.getsockname())
        later, _ = listener.accept()
        try:
            assert _nodelay(later) == 1  # accepted after: inherited from the listener
        finally:
            later.close()
            later_client.close()
    finally:
        accepted.close()
        client.close()


def test_app_py_imports_it():
    """Importing ui.nodelay does the work (once per process); app.py must import it."""
    app = (Path(__file__).resolve().parents[1] / "app.py").read_text(encoding="utf-8")
    assert "from ui import nodelay" in app


def test_non_tcp_sockets_are_left_alone():
    left, right = socket.socketpair()  # AF_UNIX
    try:
        assert nodelay.set_no_delay(left.fileno()) is False
        left.sendall(b"ok")  # the descriptor still works: only a duplicate was closed
        assert right.recv(2) == b"ok"
    finally:
        left.close()
        right.close()


def test_a_closed_descriptor_is_not_an_error():
    sock = socket.socket()
    fd = sock.fileno()
    sock.close()
    assert nodelay.set_no_delay(fd) is False
