"""The linked picture: one Streamlit component draws x, y, dL/dy and dL/dx and follows a window on hover.

The browser side (``ui/linked.js``) draws the payload of ``figures.linked.linked_payload``
with plotly.js and highlights cells on hover without asking the server; only a committed
edit or a click that pins a cell comes back here, as the component's ``event`` trigger.
plotly.js is the file shipped inside the installed ``plotly`` package, served by
Streamlit's static file route (``server.enableStaticServing``), never from a CDN.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np
import plotly
import streamlit as st

from figures.linked import linked_payload
from ui import grids, payload_share, state
from ui.codec import parse_number
from ui.model import Pooled

_LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC = Path(os.environ.get("MAXPOOL_STATIC_DIR") or HERE.parent / "static")
"""Streamlit serves the app folder's ``static/``: a checkout's, or (set by ``maxpool-explainer``) an install's."""
PLOTLY_FILE = f"plotly-{plotly.__version__}.min.js"
"""Name under ``static/``: the version in the name lets browsers cache it across upgrades safely."""

MAX_EDIT_CELLS = 64 * 64
"""At most this many cells in one edit event (a pasted block), whatever the browser sends."""

EDITED = "_linked_edited"
"""Session key: set when an in-place edit changed a grid (a page may then rerun more than its fragment)."""

ERRORS = "_linked_errors"
"""Session key: text typed into cells that is not a number, by component key, shown in place."""


def _install_static(name: str, source: Path | None = None, text: str | None = None) -> bool:
    """Put a file into ``static/`` once (it is git-ignored): a copy of ``source``, or ``text``. True if it is there.

    Written to a temporary file and renamed, so replicas starting together never serve half a file.
    """
    target = STATIC / name
    if target.exists():
        return True
    try:
        STATIC.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=STATIC, suffix=".tmp")
        os.close(fd)
        if source is not None:
            shutil.copyfile(source, tmp)
        else:
            Path(tmp).write_text(text or "", encoding="utf-8")
        os.replace(tmp, target)
        return True
    except OSError as err:
        # A read-only install (deploy/Dockerfile puts the files there at build time instead): the app still
        # runs; without plotly.js the picture says so in place, without linked.js it is sent inline.
        _LOGGER.warning("could not write %s into %s: %s", name, STATIC, err)
        return False


_install_static(PLOTLY_FILE, source=Path(plotly.__file__).parent / "package_data" / "plotly.min.js")

KATEX_VERSION = "0.16.47"
"""KaTeX for a following student's formulas, drawn by the picture (ui/linked.js) rather than by Streamlit.

The version whose stylesheet and fonts Streamlit 1.67 already serves for its own math, so the picture's
formulas look exactly like ``st.latex``; the file (npm's ``katex`` dist, MIT) ships in ``ui/``. Streamlit's
bundle holds no KaTeX of that version that a component could import.
"""
KATEX_FILE = f"katex-{KATEX_VERSION}.min.js"
KATEX_SRC = f"app/static/{KATEX_FILE}" if _install_static(KATEX_FILE, source=HERE / KATEX_FILE) else None

LINKED_JS = (HERE / "linked.js").read_text(encoding="utf-8")
LINKED_JS_FILE = f"linked-{hashlib.sha256(LINKED_JS.encode()).hexdigest()[:12]}.js"
"""Name under ``static/``: the content's hash in the name, so a browser never runs a stale copy."""

LOADER_JS = """
// Imports the picture's code (ui/linked.js, served from static/ and cached by the browser) once per page,
// so that each rerun's message carries the payload only, not 45 KB of script. plotly.js, which that code
// loads next, is fetched meanwhile (a preload only fills the cache: the code's own script tag runs it).
const SRC = "app/static/%s";
const PLOTLY = "app/static/%s";
let loading = null;
export default function (component) {
  if (!loading && !window.Plotly) {
    const hint = document.createElement("link");
    hint.rel = "preload";
    hint.as = "script";
    hint.href = new URL(PLOTLY, document.baseURI).href;
    document.head.appendChild(hint);
  }
  loading = loading || import(new URL(SRC, document.baseURI).href);
  loading.then((m) => m.default(component)).catch((err) => {
    loading = null;
    const root = component.parentElement.querySelector(".lp-root") || component.parentElement;
    root.textContent = `The picture's code did not load (${err.message}): reload the page to try again.`;
  });
}
"""


def component_js() -> str:
    """The component's JS: the small loader when ``static/`` holds linked.js, else linked.js itself."""
    return LOADER_JS % (LINKED_JS_FILE, PLOTLY_FILE) if _install_static(LINKED_JS_FILE, text=LINKED_JS) else LINKED_JS


_component = st.components.v2.component(
    "maxpool_linked_grids",
    html='<div class="lp-root"></div>',
    css=(HERE / "linked.css").read_text(encoding="utf-8"),
    js=component_js(),
    isolate_styles=False,  # plotly.js styles its plots from the document's head, so no shadow root
)


def _parse_cells(grid: np.ndarray, cells) -> tuple[np.ndarray, list[dict], set]:
    """Apply ``[[row, col, text], ...]`` to a copy of ``grid``; return it, the bad cells, and every cell touched."""
    new = grid.copy()
    bad: list[dict] = []
    touched: set = set()
    if not isinstance(cells, list):
        return new, bad, touched
    H, W = grid.shape
    for item in cells[:MAX_EDIT_CELLS]:
        if not (isinstance(item, list) and len(item) == 3):
            continue
        r, c, text = item
        if not (type(r) is int and type(c) is int and isinstance(text, str)) or not (0 <= r < H and 0 <= c < W):
            continue
        touched.add((r, c))
        try:
            new[r, c] = parse_number(text)
        except ValueError as err:
            bad.append({"r": r, "c": c, "text": text[:40], "reason": str(err)})
    return new, bad, touched


def _on_event(key: str, pooled_grids: dict, on_cell: Callable[[str, tuple[int, int]], None] | None = None) -> None:
    """Apply the browser's event: an edit of x or dL/dy, a pinned (or cleared) selection, or a clicked cell."""
    result = st.session_state.get(key)
    event = getattr(result, "event", None) if result is not None else None
    if not isinstance(event, dict):
        return
    kind = event.get("type")
    if kind == "cell":
        cell, name = event.get("cell"), event.get("grid")
        valid = isinstance(cell, list) and len(cell) == 2 and all(type(v) is int and v >= 0 for v in cell)
        if on_cell is not None and valid and isinstance(name, str):
            on_cell(name, (cell[0], cell[1]))
        return
    if kind == "sel":
        cell = event.get("cell")
        if isinstance(cell, list) and len(cell) == 2 and all(isinstance(v, int) and v >= 0 for v in cell):
            state.set_extra(sel=f"{cell[0]},{cell[1]}")
            st.session_state["sel_box"] = (cell[0], cell[1])
        elif cell is None:
            state.set_extra(sel=None)
        return
    name = event.get("grid")
    if kind != "edit" or name not in pooled_grids:
        return
    new, bad, touched = _parse_cells(pooled_grids[name], event.get("cells"))
    errors = st.session_state.setdefault(ERRORS, {}).setdefault(key, [])
    # A cell edited again drops its old complaint; new bad text replaces it.
    errors[:] = [e for e in errors if not (e["grid"] == name and (e["r"], e["c"]) in touched)]
    errors.extend({"grid": name, **b} for b in bad)
    if not np.array_equal(new, pooled_grids[name], equal_nan=True):
        grids.set_grid(name, new)
        st.session_state[EDITED] = True
        if name == "dy":
            st.session_state["dy_mode"] = "custom"


def _checked(on_cell, payload: dict):
    """``on_cell`` called only for a clicked grid listed in ``clickable`` and a cell inside it."""
    if on_cell is None:
        return None

    def call(name: str, cell: tuple[int, int]) -> None:
        shape = payload["grids"].get(name, {}).get("shape") if name in payload.get("clickable", ()) else None
        if shape and cell[0] < shape[0] and cell[1] < shape[1]:
            on_cell(name, cell)

    return call


def linked_grids(
    p: Pooled,
    cell: tuple[int, int] | None,
    *,
    key: str = "linked",
    editable: tuple[str, ...] = ("x", "dy"),
    font_scale: float = 1.0,
    titles: dict[str, str] | None = None,
    show: tuple[str, ...] = ("x", "y", "dy", "dx"),
    pinnable: bool = True,
    tie_policy: str | None = None,
    on_cell: Callable[[str, tuple[int, int]], None] | None = None,
    share_key: Hashable | None = None,
    follow: dict | None = None,
    **extras,
) -> dict | None:
    """Draw the four linked grids of ``p`` with ``cell`` pinned; returns the payload sent to the browser.

    Edits of x and dL/dy typed into the picture go through ``grids.set_grid`` (so the
    secondary data editors start afresh on the new grid); a click on y or dL/dy pins
    its cell as ``sel`` in the link. ``tie_policy`` overrides the view's rule (the tie lab
    draws one picture per rule). A click on a grid listed in ``clickable`` calls
    ``on_cell(grid, (row, col))`` (row and column are checked against that grid's shape here).
    ``extras`` go to ``linked_payload`` as they are: ``values``, ``pending``, ``color_ranges``,
    ``pooled_windows``, ``sent_windows``, ``marks``, ``notes``, ``clickable``, ``help_text``.

    ``share_key``, when given, must stand for everything ``p`` and ``extras`` hold: the payload's JSON is
    then built once per process for every session drawing the same thing (`ui.payload_share`: a class
    following its teacher), and None is returned when another session built it.

    ``follow``, for a student following the teacher, tells the browser where the live channel is and
    what the screen around the picture says (``ui.steps``; the browser side is ui/linked.js).
    """
    errors = st.session_state.get(ERRORS, {}).get(key, [])
    # Complaints about cells that no longer exist (the grid shrank) are dropped.
    shapes = {"x": p.x.shape, "dy": p.dy.shape}
    errors = [e for e in errors if e["r"] < shapes[e["grid"]][0] and e["c"] < shapes[e["grid"]][1]]
    kwargs = dict(
        editable=editable,
        errors=errors,
        font_scale=font_scale,
        titles=titles,
        show=show,
        pinnable=pinnable,
        tie_policy=tie_policy,
        **extras,
    )
    payload = None
    if share_key is None:
        payload = _build_payload(p, cell, **kwargs)
        text = json.dumps(payload, allow_nan=False)
    else:
        text = payload_text(p, cell, share_key, **kwargs)
    current = {name: grid for name, grid in (("x", p.x), ("dy", p.dy)) if name in editable}
    clickable = extras.get("clickable", ())
    # One JSON string: Streamlit then has a single value to look through for data frames.
    data = {"json": text} if follow is None else {"json": text, "follow": follow}
    _component(
        key=key,
        data=data,
        on_event_change=lambda: _on_event(
            key, current, _checked(on_cell, {"clickable": clickable, "grids": _shapes(p)})
        ),
        height="content",
    )
    return payload


SHARED_DEFAULTS = {
    "editable": ("x", "dy"),
    "errors": None,
    "font_scale": 1.0,
    "show": ("x", "y", "dy", "dx"),
    "pinnable": True,
    "tie_policy": None,
}
"""`linked_grids`' defaults for the options a shared payload's key is made of (`payload_text`)."""
SHARED_OPTIONS = ("editable", "font_scale", "show", "pinnable", "tie_policy")


def _build_payload(p: Pooled, cell, *, tie_policy: str | None = None, **kwargs) -> dict:
    payload = linked_payload(p.res, p.dy, tie_policy or p.tie_policy, sel=cell, **kwargs)
    payload["plotly_src"] = f"app/static/{PLOTLY_FILE}"
    return payload


def payload_text(p: Pooled, cell: tuple[int, int] | None, share_key: Hashable, **options) -> str:
    """The payload's JSON, built once per process for everything ``share_key`` (with the options) stands for.

    ``options`` are `linked_grids`' drawing options (``editable``, ``errors``, ``font_scale``, ``show``,
    ``pinnable``, ``tie_policy``, ``titles`` and the extras), with its defaults. Used by `linked_grids` and,
    outside any session, by a class's live channel (``ui.steps.live_screen``): the same key and options
    give both the same text.
    """
    options = {**SHARED_DEFAULTS, **options}
    options["errors"] = options["errors"] or []
    shared = (share_key, cell, *(options[name] for name in SHARED_OPTIONS), json.dumps(options["errors"]))
    return payload_share.shared_text(shared, lambda: json.dumps(_build_payload(p, cell, **options), allow_nan=False))


def _shapes(p: Pooled) -> dict:
    """The grids' shapes as the payload lists them (what `_checked` needs of a payload)."""
    return {
        "x": {"shape": list(p.x.shape)},
        "dx": {"shape": list(p.x.shape)},
        "y": {"shape": list(p.y.shape)},
        "dy": {"shape": list(p.dy.shape)},
    }


def _on_pin(key: str, on_pin) -> None:
    """Hand a pinned cell ``(i, j)`` (or None when cleared) to the page's own ``on_pin``."""
    result = st.session_state.get(key)
    event = getattr(result, "event", None) if result is not None else None
    if not isinstance(event, dict) or event.get("type") != "sel":
        return
    cell = event.get("cell")
    if isinstance(cell, list) and len(cell) == 2 and all(type(v) is int and v >= 0 for v in cell):
        on_pin((cell[0], cell[1]))
    elif cell is None:
        on_pin(None)


def linked_picture(payload: dict, *, key: str, on_pin=None) -> dict:
    """Draw a payload built elsewhere (``figures.linked.smooth_payload``, ``unpool_payload``, ...); no edits.

    A click on y or dL/dy pins its cell as ``sel`` in the link when the payload is pinnable, or,
    given ``on_pin``, calls ``on_pin((i, j))`` (``on_pin(None)`` when cleared) instead: for a page
    that keeps its selection under another name (the 1-D page's ``sel1``).
    """
    payload = {**payload, "plotly_src": f"app/static/{PLOTLY_FILE}"}
    _component(
        key=key,
        data={"json": json.dumps(payload, allow_nan=False)},
        on_event_change=(lambda: _on_event(key, {})) if on_pin is None else (lambda: _on_pin(key, on_pin)),
        height="content",
    )
    return payload
