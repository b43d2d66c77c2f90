"""A one-component Streamlit app for tests/browser/test_follow_live_browser.py: a following student's step picture.

It mounts the linked picture (ui/linked.py's component) with ``data.follow`` as the class mode's server side gives it,
for the 4x4 example below at the step in the query's ``step=`` (1-based). The test pushes the next steps over a mocked
live channel; `screen` builds them here too, from the step player's own helpers (ui/steps.py), so both sides agree.
Query parameters: ``step``, ``version`` (the room version of that screen), ``katex=0`` (no KaTeX: TeX source shown),
``fs`` (the picture's font scale: above 1 is presenting).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # also from the copy the test runs (artifacts/follow_app/app.py)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import pooling  # noqa: E402
from figures.linked import linked_payload  # noqa: E402
from ui.model import Window, pooled_from  # noqa: E402

X = np.array([[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8], [9, 7, 9, 3]], dtype=float)
KERNEL = 2
ROOM = "ABCD1234"
SESSION = "s1"


def live_path(since: int) -> str:
    """The live channel's address as the server gives it (relative to the page)."""
    return f"_maxpool/class/live?room={ROOM}&session={SESSION}&since={since}"


def katex_src() -> str | None:
    """The KaTeX the app ships (ui/linked.py puts it into the static/ folder beside this app's copy)."""
    from ui import linked

    return linked.KATEX_SRC


def _plan():
    from ui import steps

    res = pooling.max_pool2d(X, KERNEL)
    window = Window((KERNEL, KERNEL), (KERNEL, KERNEL), (0, 0), (1, 1), False)
    pooled = pooled_from(res, window, np.ones(res.out.shape), "first")
    return pooled, steps.plan_steps(res, pooled.dy, "first")


def screen(step: int, font_scale: float = 1.0) -> dict:
    """Step ``step`` (1-based) as the live channel sends it: version left to the caller."""
    from ui import linked, steps

    pooled, plan = _plan()
    shown = plan.step(step - 1)
    picture = linked_payload(
        pooled.res,
        pooled.dy,
        pooled.tie_policy,
        sel=shown.cell,
        editable=(),
        pinnable=False,
        font_scale=font_scale,
        **steps.step_picture(pooled, plan, shown),
    )
    picture["plotly_src"] = f"app/static/{linked.PLOTLY_FILE}"
    picture = json.loads(json.dumps(picture, allow_nan=False))  # what the browser gets: plain JSON
    return {
        "step": step,
        "n_steps": plan.n_steps,
        "picture": picture,
        "words": [list(w) for w in steps.step_words(pooled, plan, shown)],
    }


def main() -> None:
    import streamlit as st

    from ui import linked

    st.set_page_config(page_title="follow", layout="wide")
    step = int(st.query_params.get("step", "3"))
    version = int(st.query_params.get("version", "7"))
    shown = screen(step, float(st.query_params.get("fs", "1")))
    follow = {
        "live": live_path(version),
        "version": version,
        "step": shown["step"],
        "n_steps": shown["n_steps"],
        "words": shown["words"],
        "katex": None if st.query_params.get("katex") == "0" else katex_src(),
    }
    following = st.toggle("Following", value=True, key="following")
    if st.button("Rerun", key="rerun"):
        # A rerun that brings this (by now older) screen again. Streamlit calls the component's code again only
        # when its data changed, so a key the picture ignores counts the reruns.
        st.session_state["reruns"] = st.session_state.get("reruns", 0) + 1
    data = {"json": json.dumps(shown["picture"], allow_nan=False)}
    if following:
        data["follow"] = {**follow, "test_reruns": st.session_state.get("reruns", 0)}
    if st.toggle("Picture", value=True, key="picture"):  # off: the component leaves the page (another page opened)
        linked._component(key="step_linked", data=data, height="content")


if __name__ == "__main__":
    main()
