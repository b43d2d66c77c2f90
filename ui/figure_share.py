"""One set of figures for every session that shows the same thing (a class following its teacher).

When the teacher steps, every following student's screen draws the same four step figures. Building
them (plotly validates every property) and ``st.plotly_chart``'s ``figure.to_dict()`` (a deep copy
and a base64 pass over the arrays) were most of a student's run. `shared_figures` keeps the last
few built sets process-wide, keyed by everything they depend on, and hands every session the same
objects, each with its ``to_dict()`` result computed once (see `freeze`). A figure from here must not be changed
after it is built: st.plotly_chart only reads the dict (tests/test_class_push.py checks that).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import plotly.graph_objects as go
import plotly.io

MAX_SETS = 32
"""Figure sets kept: a class on one step, the steps either side, and a few other classes or tabs."""

MAX_BYTES = 32 * 2**20
"""And at most about this much figure JSON in all (four 64x64 step figures are several megabytes)."""

_SETS: OrderedDict[Hashable, tuple[dict[str, go.Figure], int]] = OrderedDict()  # key -> (figures, JSON bytes)
_BUILDING: dict[Hashable, threading.Event] = {}  # sets being built now, set when done
_LOCK = threading.Lock()
BUILD_WAIT = 5.0
stats = {"hits": 0, "builds": 0}


def freeze(figure: go.Figure) -> tuple[go.Figure, int]:
    """``figure`` with ``to_dict()`` answered from one copy made now (callers must not change the dict), and its size.

    The copy holds plain JSON values only (plotly's numpy text arrays become lists), so the
    ``plotly.io.to_json`` that st.plotly_chart runs on it serialises it in one pass instead of walking
    and cleaning it first: the same text, about forty times sooner.
    """
    text = plotly.io.to_json(figure.to_dict(), validate=False)
    as_dict = json.loads(text)
    object.__setattr__(figure, "to_dict", lambda: as_dict)  # plotly's own __setattr__ only takes properties
    return figure, len(text)


def shared_figures(key: Hashable, build: Callable[[], dict[str, go.Figure]]) -> dict[str, go.Figure]:
    """The figures ``build()`` makes for ``key``, built once per process while they stay among the last few.

    At most `MAX_SETS` sets and `MAX_BYTES` of figure JSON are kept (the oldest used go first; a set
    larger than that on its own is handed out but not kept). Sessions asking for a set that another
    session is building wait for it (200 students joining at once build it once), but never longer
    than `BUILD_WAIT` seconds.
    """
    with _LOCK:
        found = _SETS.get(key)
        if found is not None:
            _SETS.move_to_end(key)
            stats["hits"] += 1
            return found[0]
        building = _BUILDING.get(key)
        if building is None:
            _BUILDING[key] = threading.Event()
    if building is not None:  # another session builds it: wait, then take theirs (or build it if it failed)
        building.wait(BUILD_WAIT)
        with _LOCK:
            found = _SETS.get(key)
            if found is not None:
                stats["hits"] += 1
                return found[0]
    try:
        frozen = {name: freeze(figure) for name, figure in build().items()}
        built = {name: figure for name, (figure, _) in frozen.items()}
        size = sum(n for _, n in frozen.values())
        with _LOCK:
            stats["builds"] += 1
            _SETS[key] = (built, size)
            _SETS.move_to_end(key)
            while len(_SETS) > MAX_SETS or (_SETS and sum(n for _, n in _SETS.values()) > MAX_BYTES):
                _SETS.popitem(last=False)
    finally:
        if building is None:
            with _LOCK:
                _BUILDING.pop(key).set()
    return built
