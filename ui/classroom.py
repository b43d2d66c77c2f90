"""Class mode: a teacher opens a room, students follow the teacher's view, and a round collects predictions.

The room lives in the store (``classroom``: SQLite by default, Redis for replicas), never in this
process. A teacher's session writes its view (the link parameters and the page) into the room at
the end of every run. A following student's session is rerun by the server when the room's
version moves (``ui.class_push``: one watcher per process reads each room's version, so 200
students cost one store read per interval, not 200 script runs), or, for a step on Step
through, sends the new screen to the tab's picture without a run (``ui.class_live``); where that
push is not available it polls the version with a fragment on a timer instead. The run then loads the
teacher's view as if it had opened the teacher's link. Only the teacher token (in the private teacher link) writes; the
student code only reads and sends the student's own anonymous answer.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import numpy as np
import streamlit as st

import classroom
from classroom.store import ENV_STORE, MAX_CODE_INPUT_CHARS, RoomState, marks_of
from figures import make_grid_figure
from ui import class_live, class_push, presentation, state
from ui.codec import decode_view

POLL_SECONDS = 1.0
"""How often a following student's page asks the store for the room's version (a few bytes)."""

ROOM_PARAM = "room"  # the student link: ?room=<code>
TEACH_PARAM = "teach"  # the teacher link adds &teach=<token>; it is taken out of the URL at once
NOT_FOLLOWED = (presentation.PRESENT, ROOM_PARAM, TEACH_PARAM)
"""Link parameters each screen keeps for itself: the projector's presentation mode is not the laptops'."""

JOIN_TRIES = 10
JOIN_WINDOW = 60.0  # at most JOIN_TRIES join attempts per session in this many seconds

ROOT = Path(__file__).resolve().parents[1]
_PAGE_FILE = re.compile(r"pages/[a-z_]+\.py")

# Session keys. Everything class mode keeps starts with "_class_" (or "class_" for its widgets), so
# loading the teacher's view can drop the rest of a student's page state and keep these.
ROLE = "_class_role"  # "teacher" or "student"; absent outside class mode
CODE = "_class_code"
TOKEN = "_class_token"
FOLLOWING = "_class_following"
APPLIED = "_class_applied"  # the room version this student's page shows
APPLIED_VIEW = "_class_applied_view"  # the view text it loaded last
PUBLISHED = "_class_published"  # the teacher's view text written last
ROUND = "_class_round"  # the room's current round as last read (a classroom.Round or None)
STUDENT_ID = "_class_student_id"
SENT = "_class_sent"  # (round number, marks) of this student's last answer that the store took
MESSAGE = "_class_message"  # (kind, text) to show in the class panel once; text is ours, never typed
ROUND_MESSAGE = "_class_round_message"  # the same for the round panel on the quiz page
JOIN_TIMES = "_class_join_times"
PAGE = "_class_page"
STORE_URL = "_class_store_url"
PUSHED = "_class_pushed"  # True while the server reruns this following page when the room moves (no polling)
FRAGMENT = "_class_fragment"  # (fragment id, params, reset keys) of this page's fragment that can follow alone
KEEP_PREFIXES = ("_class_", "class_", presentation.PRESENT)


# --------------------------------------------------------------------------- the store


def store_url() -> str | None:
    """``$MAXPOOL_ROOM_STORE``, else the Streamlit secret of that name, else None (the SQLite default)."""
    url = os.environ.get(ENV_STORE)
    if url:
        return url
    try:
        return st.secrets.get(ENV_STORE)
    except Exception:  # noqa: BLE001 - no secrets file is the usual case, and not an error
        return None


def store() -> classroom.RoomStore:
    # Looked up once per session: a poll runs every second and should not re-read the secrets.
    if STORE_URL not in st.session_state:
        st.session_state[STORE_URL] = store_url()
    return classroom.shared_store(st.session_state[STORE_URL])


# --------------------------------------------------------------------------- who this session is


def role() -> str | None:
    return st.session_state.get(ROLE)


def code() -> str | None:
    return st.session_state.get(CODE)


def following() -> bool:
    return role() == "student" and bool(st.session_state.get(FOLLOWING))


def _say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text)


def _leave_class(message: str | None = None) -> None:
    for key in (ROLE, CODE, TOKEN, FOLLOWING, APPLIED, APPLIED_VIEW, PUBLISHED, ROUND, SENT):
        st.session_state.pop(key, None)
    _stop_push()
    extra = {k: v for k, v in state.view().extra.items() if k not in (ROOM_PARAM, TEACH_PARAM)}
    state.update(extra=extra)
    if message:
        _say("error", message)


def view_text(page_file: str, params: dict[str, str]) -> str:
    """The room's view: the page and its link parameters, minus those each screen keeps for itself."""
    followed = {k: v for k, v in params.items() if k not in NOT_FOLLOWED}
    return json.dumps({"page": page_file, "params": followed}, sort_keys=True, separators=(",", ":"))


def current_view_text() -> str:
    return view_text(st.session_state.get(PAGE, "pages/explorer.py"), state.link_params())


# --------------------------------------------------------------------------- joining and opening


def open_room() -> None:
    """Button callback: open a room showing this session's view, and teach it."""
    try:
        room = store().create_room(current_view_text())
    except Exception:  # noqa: BLE001 - the store is down: say so, keep the page working
        _say("error", "The class room could not be opened: the room store is not reachable.")
        return
    _leave_class()
    st.session_state.update({ROLE: "teacher", CODE: room.code, TOKEN: room.teacher_token})
    st.session_state[PUBLISHED] = current_view_text()


def join(text: str) -> bool:
    """Join the room whose code is in ``text`` as a following student; a message says why not."""
    now = time.monotonic()
    tries = [t for t in st.session_state.get(JOIN_TIMES, []) if now - t < JOIN_WINDOW]
    if len(tries) >= JOIN_TRIES:
        _say("error", f"Too many tries: wait a minute, then type the code again (at most {JOIN_TRIES} a minute).")
        st.session_state[JOIN_TIMES] = tries
        return False
    st.session_state[JOIN_TIMES] = [*tries, now]
    normal = classroom.normalise_code(text)
    if normal is None:
        _say("error", f"A class code has {classroom.CODE_LENGTH} letters and digits, like ABCD-2345-EFGH6.")
        return False
    try:
        room = store().room(normal)
    except classroom.RoomNotFound as err:
        _say("error", str(err))
        return False
    _leave_class()
    st.session_state.update({ROLE: "student", CODE: room.code, FOLLOWING: True})
    st.session_state.setdefault(STUDENT_ID, classroom.new_student_id())
    return True


def _join_from_box() -> None:
    join(str(st.session_state.get("class_code_input") or "")[: MAX_CODE_INPUT_CHARS + 1])


def _take_link_params() -> None:
    """A student link (``room=``) joins; a teacher link (``room=`` and ``teach=``) teaches. The token leaves the URL."""
    extra = state.view().extra
    if ROOM_PARAM not in extra and TEACH_PARAM not in extra:
        return
    linked_code, token = extra.get(ROOM_PARAM, ""), extra.get(TEACH_PARAM)
    if token is not None:
        # Never kept in the URL: a projected address bar or a shared link would give the room away.
        state.update(extra={k: v for k, v in extra.items() if k not in (ROOM_PARAM, TEACH_PARAM)})
        normal = classroom.normalise_code(linked_code)
        if normal and store().is_teacher(normal, token):
            _leave_class()
            st.session_state.update({ROLE: "teacher", CODE: normal, TOKEN: token})
        else:
            _say("error", "This teacher link is not valid: the room has closed, or the link was cut short.")
        return
    normal = classroom.normalise_code(linked_code)
    if role() is not None and normal == code():
        return  # the student's own room, kept in the URL so that a reload stays in it
    if not join(linked_code):
        extra = {k: v for k, v in state.view().extra.items() if k != ROOM_PARAM}
        state.update(extra=extra)


# --------------------------------------------------------------------------- following


def _apply(room: RoomState) -> None:
    """Load the teacher's view the way a fresh session loads a link; a changed round alone keeps the page."""
    st.session_state[ROUND] = room.round
    if room.view == st.session_state.get(APPLIED_VIEW):
        st.session_state[APPLIED] = room.version
        return
    try:
        data = json.loads(room.view)
        page, params = data["page"], data["params"]
        if not (isinstance(params, dict) and all(isinstance(v, str) for v in params.values())):
            raise ValueError("params")
    except (ValueError, KeyError, TypeError):
        st.session_state[APPLIED] = room.version  # nothing to follow in it; wait for the next one
        return
    view, _ = decode_view(params)
    extra = {k: v for k, v in view.extra.items() if k not in NOT_FOLLOWED}
    extra[ROOM_PARAM] = room.code
    if presentation.is_on():
        extra[presentation.PRESENT] = "1"
    for key in list(st.session_state.keys()):
        if key.startswith(KEEP_PREFIXES):
            continue
        if key.endswith("_editor_revision"):
            st.session_state[key] += 1  # a fresh editor widget, never the old one's pending edits
            continue
        _forget_widget_callback(key)
        del st.session_state[key]
    st.session_state[state.VIEW] = dataclasses.replace(view, extra=extra)
    st.session_state[state.URL_ERRORS] = {}
    st.session_state[APPLIED] = room.version
    st.session_state[APPLIED_VIEW] = room.view
    st.session_state.pop(SENT, None)
    here = st.session_state.get(PAGE)
    if isinstance(page, str) and _PAGE_FILE.fullmatch(page) and (ROOT / page).exists() and page != here:
        st.session_state[PAGE] = page
        st.switch_page(page)


def _forget_widget_callback(key: str) -> None:
    """Keep a dropped widget's callback from running on the student's next run.

    The browser still holds the widget's old value and sends it with the next run; with the key
    gone, Streamlit would take that for a change and run the widget's callback with it (a stale
    grid size would resize the teacher's grid). Without its metadata the stale value is ignored.
    This reaches into Streamlit's session state (1.67); if that ever moves, nothing breaks here.
    """
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        inner = get_session_state()._state
        inner._new_widget_state.widget_metadata.pop(inner._get_widget_id(key), None)
    except (AttributeError, ImportError, KeyError, TypeError):
        pass


def _follow() -> None:
    try:
        if store().version(code()) != st.session_state.get(APPLIED):
            _apply(store().room(code()))
    except classroom.RoomNotFound:
        _leave_class("The class room has closed (rooms close after a while, or the code was wrong).")


def follow_in_fragment(params: tuple[str, ...], reset: tuple[str, ...] = ()) -> None:
    """First thing in a page's fragment that shows the link parameters ``params`` (and nothing else that could change).

    Then a teacher's change of only those parameters (Next on the step page) reruns this fragment
    alone on a following student's screen, a fraction of a whole page run: the server asks for it
    (``ui.class_push``), and here the fragment loads the change, dropping the session keys in
    ``reset`` that it derived from the parameters. A change to anything else (the grid, the page)
    reruns the whole page, which loads the teacher's view as usual. Outside class mode: nothing.
    """
    if not following():
        return
    fragment_id = _current_fragment_id()
    if fragment_id is None:
        return
    st.session_state[FRAGMENT] = (fragment_id, tuple(params), tuple(reset))
    if not _fragment_only_run():
        return  # a whole run: before_page has loaded the room's view already
    room = class_push.watcher_for(store()).room(code()) if st.session_state.get(PUSHED) else None
    try:
        if room is None or room.version == st.session_state.get(APPLIED):
            if store().version(code()) == st.session_state.get(APPLIED):
                return
            room = store().room(code())
    except classroom.RoomNotFound:
        st.rerun(scope="app")  # the whole run says that the room closed
    if not _apply_in_fragment(room, tuple(params), tuple(reset)):
        st.rerun(scope="app")


def _current_fragment_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

        return ThreadState.get().fragment_id or None
    except (AttributeError, ImportError):  # another Streamlit: whole-page following only
        return None


def _fragment_only_run() -> bool:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def changed_params(old_view: str | None, new_view: str) -> tuple[str | None, frozenset[str]] | None:
    """(the new page if it changed, else None; the link parameters that differ) between two view texts.

    None if either text is not a view (then nothing short of a whole run can load it).
    """
    try:
        old, new = json.loads(old_view or ""), json.loads(new_view)
        old_params, new_params = old["params"], new["params"]
        keys = set(old_params) | set(new_params)
        changed = frozenset(k for k in keys if old_params.get(k) != new_params.get(k))
        return (new["page"] if new["page"] != old["page"] else None), changed
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _apply_in_fragment(room: RoomState, params: tuple[str, ...], reset: tuple[str, ...]) -> bool:
    """Load ``room``'s view into this fragment if it differs from what the page shows only in ``params``."""
    try:
        new_params = json.loads(room.view)["params"]
        extra_params = {k: new_params[k] for k in params if k in new_params}
    except (ValueError, KeyError, TypeError):
        return False
    view = state.view()
    extra = {k: v for k, v in view.extra.items() if k not in params}
    extra.update(extra_params)
    st.session_state[state.VIEW] = dataclasses.replace(view, extra=extra)
    # The page now shows the room's view exactly, or the change was more than ``params``: then load it whole.
    if current_view_text() != room.view:
        st.session_state[state.VIEW] = view
        return False
    for key in reset:
        _forget_widget_callback(key)
        st.session_state.pop(key, None)
    st.session_state[ROUND] = room.round
    st.session_state[APPLIED] = room.version
    if room.view != st.session_state.get(APPLIED_VIEW):
        st.session_state[APPLIED_VIEW] = room.view
        st.session_state.pop(SENT, None)
    return True


def live_channel() -> tuple[str, int] | None:
    """Where a following page's picture listens for the teacher's steps (``ui.class_live``), and the version it shows.

    None where the server cannot push (no runtime, no route): the page is then rerun per step as before.
    """
    if not (following() and st.session_state.get(PUSHED)):
        return None
    applied = st.session_state.get(APPLIED)
    found = class_push.current_session()
    if found is None or not isinstance(applied, int) or not class_live.ensure_route():
        return None
    return f"{class_live.PATH}?{urlencode({'room': code(), 'session': found[0], 'since': applied})}", applied


def leave_to_explore() -> None:
    """Stop following, from where the teacher is now.

    Steps that reached this tab through the live channel never ran its page, so the session still
    holds the step it last ran; the room's view is loaded first (a change of page waits for the run).
    """
    try:
        room = store().room(code())
        old_page = json.loads(st.session_state.get(APPLIED_VIEW) or "{}").get("page")
        if room.version != st.session_state.get(APPLIED) and json.loads(room.view).get("page") == old_page:
            _apply(room)
    except (classroom.RoomError, ValueError, AttributeError):
        pass  # the room closed or holds no view: leave from what the tab shows
    st.session_state[FOLLOWING] = False


def rejoin() -> None:
    st.session_state[FOLLOWING] = True
    st.session_state.pop(APPLIED, None)  # reload the teacher's view even if the version did not change
    st.session_state.pop(APPLIED_VIEW, None)


def before_page(page_file: str) -> None:
    """Start of every run: remember the page, take a class link, and load the teacher's view if following."""
    st.session_state[PAGE] = page_file
    st.session_state.pop(FRAGMENT, None)  # the page registers its fragment again if it has one
    _take_link_params()
    if following():
        _follow()
    if following():
        _start_push()
    elif st.session_state.get(PUSHED):
        _stop_push()


def _start_push() -> None:
    """Have the server rerun this page when the room moves; without a runtime to push through, poll instead."""
    found = class_push.current_session()
    if found is None:
        st.session_state[PUSHED] = False
        return
    session_id, session = found
    class_push.watcher_for(store()).watch(session_id, session, code(), st.session_state.get(APPLIED))
    st.session_state[PUSHED] = True


def _stop_push() -> None:
    if st.session_state.pop(PUSHED, None):
        found = class_push.current_session()
        if found is not None:
            class_push.watcher_for(store()).forget(found[0])


def publish(params: dict[str, str]) -> None:
    """End of every run and fragment run (from ``state.sync_url``): a teacher's view goes to the room.

    For a student whose page the server pushes, the end of the run frees its place for the next one.
    """
    if st.session_state.get(PUSHED) and following():
        found = class_push.current_session()
        if found is not None:
            class_push.watcher_for(store()).done(
                found[0],
                st.session_state.get(APPLIED),
                st.session_state.get(APPLIED_VIEW),
                st.session_state.get(FRAGMENT),
            )
    if role() != "teacher":
        return
    text = view_text(st.session_state.get(PAGE, "pages/explorer.py"), params)
    if text == st.session_state.get(PUBLISHED):
        return
    try:
        store().set_view(code(), st.session_state[TOKEN], text)
    except classroom.RoomNotFound:
        _leave_class("Your class room has closed: open a new one to teach again.")
        return
    except (classroom.RoomError, ValueError) as err:
        _say("error", f"The class did not get this view: {err}")
        return
    st.session_state[PUBLISHED] = text


# --------------------------------------------------------------------------- the sidebar panel


def _base_url() -> str:
    parts = urlsplit(st.context.url or "")
    return f"{parts.scheme}://{parts.netloc}{parts.path or '/'}" if parts.netloc else ""


def student_link() -> str:
    return f"{_base_url()}?{urlencode({ROOM_PARAM: code()})}"


def teacher_link() -> str:
    return f"{_base_url()}?{urlencode({ROOM_PARAM: code(), TEACH_PARAM: st.session_state[TOKEN]})}"


def qr_png(text: str) -> bytes:
    """A QR code for ``text`` as PNG bytes, drawn here (segno, pure Python): no network needed."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=5, border=2)
    return buffer.getvalue()


@st.fragment(run_every=POLL_SECONDS)
def _poll() -> None:
    """A following student's timer where the server cannot push: read the room's version, rerun the page if it moved."""
    if not following():
        return
    try:
        changed = store().version(code()) != st.session_state.get(APPLIED)
    except classroom.RoomNotFound:
        changed = True  # the full run says that the room closed
    if changed:
        st.rerun(scope="app")


def _show_message() -> None:
    message = st.session_state.pop(MESSAGE, None)
    if message:
        kind, text = message
        (st.error if kind == "error" else st.info)(text, icon="🏫")


def sidebar_panel() -> None:
    """The class section of the sidebar: open or join a room, or the room's code, links and follow buttons."""
    with st.sidebar:
        st.header("Class")
        _show_message()
        if role() == "teacher":
            _teacher_panel()
        elif role() == "student":
            _student_panel()
        else:
            _lobby()


def _lobby() -> None:
    st.button(
        "Open a class room",
        key="class_open",
        on_click=open_room,
        icon=":material/co_present:",
        help="Students follow your view live on their own screens; you get a code, a link and a QR code.",
    )
    with st.form("class_join_form", border=False):
        st.text_input(
            "Class code",
            key="class_code_input",
            max_chars=MAX_CODE_INPUT_CHARS,
            placeholder="ABCD-2345-EFGH6",
            help="The code your teacher shows (or open their link).",
        )
        st.form_submit_button("Join the class", on_click=_join_from_box, icon=":material/group_add:")


def _teacher_panel() -> None:
    shown = classroom.format_code(code())
    st.markdown(f"Teaching room **`{shown}`**. Students type this code, or open the link or QR code:")
    link = student_link()
    st.code(link, language=None, wrap_lines=True)
    st.image(qr_png(link), caption="Student link", width=180)
    with st.expander("Your private teacher link"):
        st.caption("Only this link changes what the class sees: keep it off the projector.")
        st.code(teacher_link(), language=None, wrap_lines=True)
    st.button(
        "Stop teaching here",
        key="class_stop",
        on_click=_leave_class,
        icon=":material/logout:",
        help="This tab stops steering the room; the room stays open until it expires.",
    )


def _student_panel() -> None:
    st.markdown(f"In class room **`{classroom.format_code(code())}`**.")
    st.button("Leave the class", key="class_quit", on_click=_leave_class, icon=":material/logout:")


def status_bar() -> None:
    """Above a student's page: following or exploring, with the one-click switch (and the follow timer)."""
    if role() == "teacher":
        st.caption(
            f":material/co_present: Teaching room `{classroom.format_code(code())}`: students who follow "
            "see what this tab shows."
        )
        return
    if role() != "student":
        return
    with st.container(border=True, key="class_status"):
        # A row that wraps: the button keeps its whole label beside the text, or goes below it when narrow
        # (in a fixed column it was cut to "Le…" on a laptop with the sidebar open).
        row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
        text_column, button_column = row.container(width="stretch"), row.container(width="content")
        if following():
            text_column.markdown(":material/sync: **Following the teacher.** Your screen shows the teacher's steps.")
            button_column.button(
                "Leave to explore",
                key="class_leave",
                on_click=leave_to_explore,
                icon=":material/explore:",
                width="content",
                help="Change things on your own; the teacher's steps stop reaching this tab.",
            )
            if not st.session_state.get(PUSHED):
                _poll()  # no push from the server here (see ui.class_push): the page asks the room itself
        else:
            text_column.markdown(":material/explore: **Exploring on your own.** The teacher's steps wait for you.")
            button_column.button(
                "Rejoin",
                key="class_rejoin",
                on_click=rejoin,
                type="primary",
                icon=":material/sync:",
                width="content",
                help="Back to the teacher's view.",
            )


# --------------------------------------------------------------------------- a predict-then-reveal round


def current_round() -> classroom.Round | None:
    """The room's round as last read (students) or read now (the teacher)."""
    if role() == "teacher":
        try:
            return store().room(code()).round
        except classroom.RoomNotFound:
            _leave_class("Your class room has closed: open a new one to teach again.")
            return None
    return st.session_state.get(ROUND) if role() == "student" else None


def _start_round(shape: tuple[int, int]) -> None:
    try:
        store().start_round(code(), st.session_state[TOKEN], current_view_text(), shape)
    except classroom.RoomError as err:
        st.session_state[ROUND_MESSAGE] = str(err)


def _reveal_round() -> None:
    try:
        store().reveal_round(code(), st.session_state[TOKEN])
    except classroom.RoomError as err:
        st.session_state[ROUND_MESSAGE] = str(err)


def _end_round() -> None:
    try:
        store().end_round(code(), st.session_state[TOKEN])
    except classroom.RoomError as err:
        st.session_state[ROUND_MESSAGE] = str(err)


def _send(round_number: int, marks: str) -> None:
    try:
        store().submit_answer(code(), round_number, st.session_state[STUDENT_ID], marks)
    except classroom.RoomError as err:
        st.session_state[ROUND_MESSAGE] = str(err)
        return
    st.session_state[SENT] = (round_number, marks)


def round_on(shape: tuple[int, int]) -> classroom.Round | None:
    """The room's round if it is on this page's question (the current view, x of ``shape``), else None."""
    if role() is None:
        return None
    current = current_round()
    if current is None or current.question != current_view_text() or tuple(current.shape) != tuple(shape):
        return None
    return current


def class_revealed(shape: tuple[int, int]) -> bool:
    """Whether the teacher revealed the answer of a round on this question (then every screen shows it)."""
    current = round_on(shape)
    return bool(current is not None and current.revealed)


def quiz_round(shape: tuple[int, int], answer: np.ndarray) -> None:
    """The class's part of the quiz page: the teacher's round controls and live counts, a student's Send."""
    if role() is None:
        return
    current = current_round()
    on_this = round_on(shape) is not None
    with st.container(border=True, key="class_round_panel"):
        message = st.session_state.pop(ROUND_MESSAGE, None)
        if message:
            st.error(message, icon="🏫")
        if role() == "teacher":
            _teacher_round(current, on_this, shape)
        else:
            _student_round(current, on_this, answer)


def _teacher_round(current, on_this: bool, shape) -> None:
    if not on_this:
        st.markdown(
            "**Ask the class.** Students mark the cells they think get gradient; you see the count per "
            "cell as they send, then reveal the answer on every screen."
        )
        st.button(
            "Start a class round on this question",
            key="class_round_start",
            type="primary",
            on_click=_start_round,
            args=(tuple(shape),),
            icon=":material/how_to_vote:",
        )
        return
    if current.revealed:
        _tally(current, shape)
        st.button(
            "End the round",
            key="class_round_end",
            on_click=_end_round,
            icon=":material/done_all:",
            help="Students go back to following your view; a new question can get a new round.",
        )
    else:
        _live_tally(current, shape)
        st.button(
            "Reveal to everyone",
            key="class_round_reveal",
            type="primary",
            on_click=_reveal_round,
            icon=":material/visibility:",
        )


@st.fragment(run_every=POLL_SECONDS)
def _live_tally(current, shape) -> None:
    _tally(current, shape)


def _tally(current, shape) -> None:
    """Per cell of dL/dx, how many students predicted a non-zero gradient there."""
    try:
        answers = store().answers(code(), st.session_state[TOKEN], current.number)
    except classroom.RoomError as err:
        st.error(str(err), icon="🏫")
        return
    n, counts = classroom.tally(answers, tuple(shape))
    st.markdown(
        f"**Round {current.number}: {n} {'answer' if n == 1 else 'answers'}**"
        + (" (revealed)" if current.revealed else " so far")
    )
    figure = make_grid_figure(
        counts.astype(np.float64),
        name="students",
        title="Students who predicted a non-zero dL/dx in each cell",
        font_scale=presentation.font_scale(),
        height=320,
    )
    st.plotly_chart(figure, key="class_tally_chart", config={"displayModeBar": False})


def _student_round(current, on_this: bool, answer: np.ndarray) -> None:
    if current is None:
        st.caption("Class mode: when the teacher starts a round, send your prediction from here.")
        return
    if not on_this:
        st.info("The teacher has a round open on another question: rejoin to answer it.", icon="🏫")
        return
    if current.revealed:
        st.success("The teacher revealed the answer: compare it with yours below.", icon="🏫")
        return
    marks = marks_of(answer != 0)
    sent = st.session_state.get(SENT)
    st.markdown(
        f"**Class round {current.number}:** mark the cells you think get gradient, then send. "
        "Your answer is anonymous; sending again replaces it."
    )
    st.button(
        "Send my prediction",
        key="class_send",
        type="primary",
        on_click=_send,
        args=(current.number, marks),
        icon=":material/send:",
    )
    if sent and sent[0] == current.number:
        cells = sent[1].count("1")
        note = "sent" if sent[1] == marks else "sent, but you changed your marks since: send again"
        st.caption(f"Your prediction ({cells} {'cell' if cells == 1 else 'cells'} marked) was {note}.")
