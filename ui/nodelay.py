"""Turn off Nagle's algorithm on the server's TCP sockets, once per process.

Streamlit 1.67 binds its listening socket as ``socket.socket(family)``, whose protocol number is 0,
and asyncio only sets ``TCP_NODELAY`` on transports whose socket says ``IPPROTO_TCP``. So every
websocket to the browser runs with Nagle's algorithm on: the last small messages of a rerun (the
URL update, "script finished") wait in the kernel until the browser acknowledges the earlier ones,
and browsers delay that acknowledgement by up to 40 ms on Linux. Measured on an in-picture edit
(16x16): the script finished after ~22 ms and the browser got the end of the run ~40 ms later.

Setting the option on the listening socket covers every connection accepted after it (Linux copies
it to accepted sockets); setting it on the connections already open covers the session that ran first.
So it is done once per process: when app.py first imports this module, during the first session's run.
"""

from __future__ import annotations

import os
import socket


def _tcp_fds() -> list[int]:
    """The process's open socket descriptors (Linux's /proc; elsewhere none: the fix is Linux-only)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    fds = []
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                fds.append(int(name))
        except (OSError, ValueError):
            continue  # closed between the listing and the look
    return fds


def set_no_delay(fd: int) -> bool:
    """Set TCP_NODELAY on the TCP socket behind ``fd`` (through a duplicate, so ``fd`` stays as it is)."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return False
    try:
        if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return False
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return True
    except OSError:
        return False
    finally:
        sock.close()  # closes the duplicate only; the option lives on the shared socket


def set_no_delay_everywhere() -> int:
    """Set TCP_NODELAY on every TCP socket this process has open; returns how many (a few µs each)."""
    return sum(set_no_delay(fd) for fd in _tcp_fds())


set_no_delay_everywhere()  # a module's body runs once per process: here, at app.py's first import of it
