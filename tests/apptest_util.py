"""Helpers for AppTest-based tests: run the app, find charts by key, decode Plotly's arrays."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
HARNESS = str(Path(__file__).resolve().parent / "page_harness.py")


def run_app(query: dict[str, str] | None = None, page: str | None = None, timeout: float = 30) -> AppTest:
    """Run the real ``app.py`` once (optionally opened with a link's query, then switched to ``page``).

    Good for a first render and navigation. For several interactions in a row use
    ``run_page``: AppTest reruns of an ``st.navigation`` app skip ``app.py``.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def run_page(page: str = "pages/explorer.py", query: dict[str, str] | None = None, timeout: float = 30) -> AppTest:
    """Run one page inside the same frame as ``app.py`` (sidebar controls, URL sync) via the page harness.

    Every rerun runs the whole frame, so sidebar widgets stay findable and the URL is
    updated as in the real app.
    """
    at = AppTest.from_file(HARNESS, default_timeout=timeout)
    at.session_state["_harness_page"] = page
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def chart(at: AppTest, key: str) -> dict:
    """The Plotly spec (``{"data": [...], "layout": {...}}``) of the chart drawn with ``key=``."""
    for element in at.get("plotly_chart"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.spec)
    raise KeyError(f"no chart with key {key!r}; have {[e.proto.id for e in at.get('plotly_chart')]}")


def decode(value) -> np.ndarray:
    """A Plotly array, either a plain (nested) list or a base64 typed array ``{dtype, bdata, shape}``."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            data = data.reshape([int(s) for s in str(shape).split(",")])
        return data
    return np.array(value, dtype=object if value and isinstance(np.ravel(value)[0], str) else float)


def trace(spec: dict, name: str) -> dict:
    return next(t for t in spec["data"] if t.get("name") == name)


def heatmap(spec: dict) -> np.ndarray:
    """The grid's values as drawn (heatmap z, None as NaN), without padding ghost cells.

    With padding the heatmap also covers ghost rows and columns; the "grid-border"
    shape marks the real grid, so the values are cut to it.
    """
    t = trace(spec, "grid")
    z = t["z"]
    if isinstance(z, dict):
        z = decode(z).astype(float)
    else:
        z = np.array([[np.nan if v is None else v for v in row] for row in z], dtype=float)
    border = shapes(spec, "grid-border")
    if not border:
        return z
    rows, cols = decode(t["y"]).astype(float), decode(t["x"]).astype(float)
    b = border[0]
    keep_r = (rows > min(b["y0"], b["y1"])) & (rows < max(b["y0"], b["y1"]))
    keep_c = (cols > min(b["x0"], b["x1"])) & (cols < max(b["x0"], b["x1"]))
    return z[np.ix_(keep_r, keep_c)]


def cell_text(spec: dict) -> np.ndarray:
    """The text printed in each cell of the grid."""
    return np.array(trace(spec, "grid").get("text"), dtype=object)


def shapes(spec: dict, name: str) -> list[dict]:
    return [s for s in spec["layout"].get("shapes", []) if s.get("name") == name]


def widget(at: AppTest, key: str):
    """The widget drawn with ``key=`` (number input, checkbox, radio, button, selectbox, text area)."""
    for kind in ("number_input", "checkbox", "radio", "button", "selectbox", "text_area", "toggle", "slider",
                 "select_slider", "text_input"):
        for element in at.get(kind):
            if getattr(element, "key", None) == key:
                return element
    raise KeyError(key)


def plain(markdown: str) -> str:
    """A message body as the reader sees it: ``ui.text.md``'s backslash escapes and zero-width spaces removed."""
    import re

    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u200b", "")


def linked(at: AppTest, key: str = "linked") -> dict:
    """The payload (figures.linked.linked_payload) sent to the linked-picture component drawn with ``key=``.

    AppTest cannot run the component's JavaScript, but the payload is exactly what it draws.
    """
    for element in at.get("bidi_component"):
        if element.proto.id.endswith(f"-{key}"):
            data = json.loads(element.proto.json)
            return json.loads(data["json"]) if isinstance(data.get("json"), str) else data
    raise KeyError(f"no linked picture with key {key!r}")


def grid(at: AppTest, name: str, key: str = "linked") -> np.ndarray:
    """Grid ``name`` ("x", "y", "dy", "dx") of the linked picture, NaN and ±inf decoded."""
    from figures.linked import decode_values

    g = linked(at, key)["grids"][name]
    return decode_values(g["v"], tuple(g["shape"]))


def formulas(at: AppTest) -> list[str]:
    """Every LaTeX formula the run printed, in order: ``st.latex`` elements and ``$$…$$`` blocks in markdown
    (the explorer prints its window's math as one markdown element)."""
    import re

    found = [e.value for e in at.get("latex")]
    for m in at.markdown:
        found += [block.strip() for block in re.findall(r"\$\$(.*?)\$\$", m.value, flags=re.S)]
    return found


def link_box(at: AppTest, key: str = "link_box") -> dict:
    """What the share box (ui/share.py) drawn with ``key=`` was sent: ``{"link": …, "label": …}``."""
    for element in at.get("bidi_component"):
        if element.proto.id.endswith(f"-{key}"):
            return json.loads(element.proto.json)
    raise KeyError(f"no link box with key {key!r}")
