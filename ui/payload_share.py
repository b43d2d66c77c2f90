"""What every session showing the same thing can share (a class following its teacher): the linked picture's
payload, and the values a step is drawn from.

When the teacher steps, every following student's screen draws the same step picture. Building its
payload (``figures.linked.linked_payload``: the receivers, ties and printed text of every window) and
serialising it to JSON were the part of a student's run that the students could share. `shared_text`
keeps the last few built payloads process-wide as JSON text, keyed by everything they depend on, and
hands every session the same string (immutable, so no session can change another's). `shared_value` does
the same for the step player's pooled view, plan and step screen, with their arrays made read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from ui.model import read_only

MAX_SETS = 32
"""Payloads kept: a class on one step, the steps either side, and a few other classes or tabs."""

MAX_BYTES = 32 * 2**20
"""And at most about this much JSON in all (a 64x64 step picture is a few megabytes)."""

_SETS: OrderedDict[Hashable, str] = OrderedDict()  # key -> payload JSON
_BUILDING: dict[Hashable, threading.Event] = {}  # payloads being built now, set when done
_LOCK = threading.Lock()
BUILD_WAIT = 5.0
stats = {"hits": 0, "builds": 0}


def shared_text(key: Hashable, build: Callable[[], str]) -> str:
    """The text ``build()`` makes for ``key``, built once per process while it stays among the last few.

    At most `MAX_SETS` texts and `MAX_BYTES` characters are kept (the oldest used go first; a text
    longer than that on its own is handed out but not kept). Sessions asking for a text another
    session is building wait for it (200 students joining at once build it once), but never longer
    than `BUILD_WAIT` seconds.
    """
    with _LOCK:
        found = _SETS.get(key)
        if found is not None:
            _SETS.move_to_end(key)
            stats["hits"] += 1
            return found
        building = _BUILDING.get(key)
        if building is None:
            _BUILDING[key] = threading.Event()
    if building is not None:  # another session builds it: wait, then take theirs (or build it if it failed)
        building.wait(BUILD_WAIT)
        with _LOCK:
            found = _SETS.get(key)
            if found is not None:
                stats["hits"] += 1
                return found
    try:
        built = build()
        with _LOCK:
            stats["builds"] += 1
            _SETS[key] = built
            _SETS.move_to_end(key)
            while len(_SETS) > MAX_SETS or (_SETS and sum(len(t) for t in _SETS.values()) > MAX_BYTES):
                _SETS.popitem(last=False)
    finally:
        if building is None:
            with _LOCK:
                _BUILDING.pop(key).set()
    return built


MAX_VALUES = 64
"""Values kept by `shared_value`: a class on one step, the steps around it, a few other tabs."""

_VALUES: OrderedDict[Hashable, object] = OrderedDict()  # key -> value, arrays read-only


def peek_value(key: Hashable):
    """The value `shared_value` keeps for ``key``, or None (nothing is built)."""
    with _LOCK:
        found = _VALUES.get(key)
        if found is not None:
            _VALUES.move_to_end(key)
        return found


def shared_value(key: Hashable, build: Callable[[], object]):
    """``build()`` for ``key``, built once per process while it stays among the last `MAX_VALUES`.

    The value's arrays are made read-only (`ui.model.read_only`), so no session can change what the
    others show. Two sessions may build the same value at once: equal values, the later one is kept.
    """
    found = peek_value(key)
    if found is not None:
        return found
    built = read_only(build())
    with _LOCK:
        _VALUES[key] = built
        while len(_VALUES) > MAX_VALUES:
            _VALUES.popitem(last=False)
    return built
