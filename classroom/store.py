"""The room store's interface, the checks every back end shares, and ``open_store``.

A room holds no personal data: a random student code, a hash of the teacher's token, the
teacher's view (opaque text: the app stores its link parameters and page there), a version
number bumped on every change students must follow, the current prediction round, and per
round one answer per random per-session student id. Rooms expire ``ttl`` seconds after they
are opened (12 h by default).

Codes: the student code is 13 symbols of Crockford's base 32 (65 random bits), so it cannot
be guessed and needs no rate limit to stay private; the teacher token is 192 random bits and
only its SHA-256 is stored. Writes to a room's view or rounds need the teacher token; the
student code only reads, and submits the student's own answer.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import os
import re
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Crockford's base 32: digits and capitals without I, L, O and U (no look-alikes, no words).
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 13
CODE_BITS = CODE_LENGTH * 5  # 65 bits from secrets.choice
_CODE_GROUPS = (4, 4, 5)
#: What people type for a symbol that is not in the alphabet but looks like one that is.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
#: Longest text accepted where a code is typed (a code with separators and spaces fits easily).
MAX_CODE_INPUT_CHARS = 40

DEFAULT_TTL_SECONDS = 12 * 3600
#: The teacher's view and a round's question are link parameters: two 64x64 grids of long
#: numbers fit in about 280 000 characters.
MAX_VIEW_CHARS = 400_000
MAX_QUESTION_CHARS = MAX_VIEW_CHARS
#: A round's question is a grid x of at most 64x64 cells; an answer marks each cell 0 or 1.
MAX_ANSWER_CELLS = 64 * 64
#: One student may replace their answer at most once per this many seconds (flooding).
ANSWER_MIN_INTERVAL = 1.0
#: At most this many different students answer one round (each session is one student).
MAX_STUDENTS_PER_ROUND = 500

_STUDENT_ID = re.compile(r"[0-9a-f]{32}")
_MARKS = re.compile(r"[01]*")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")

ENV_STORE = "MAXPOOL_ROOM_STORE"
ENV_TTL = "MAXPOOL_ROOM_TTL_HOURS"
DEFAULT_SQLITE_PATH = Path(__file__).resolve().parents[1] / "data" / "rooms.sqlite3"


# --------------------------------------------------------------------------- errors


class RoomError(Exception):
    """Base of the store's refusals; the message is meant for the person who caused it."""


class RoomNotFound(RoomError):
    """No open room has this code: it never existed, or it expired."""

    def __init__(self, code: str = ""):
        super().__init__(
            "No class room is open with this code. Rooms close "
            f"{_hours(DEFAULT_TTL_SECONDS)} after they are opened; check the code or ask the teacher for a new one."
        )
        self.code = code


class NotTeacher(RoomError):
    """A write to the room without its teacher token."""

    def __init__(self):
        super().__init__("Only the teacher's link can change this room.")


class AnswerRejected(RoomError):
    """An answer that is malformed, too large, too fast, for a closed round, or one student too many."""


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:g} hours" if hours != 1 else "1 hour"


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class NewRoom:
    """What opening a room returns: the student code (shared) and the teacher token (private)."""

    code: str
    teacher_token: str
    expires_at: float


@dataclass(frozen=True)
class Round:
    """A predict-then-reveal round: its number (1, 2, ...), the question and x's shape, revealed or not."""

    number: int
    question: str
    shape: tuple[int, int]
    revealed: bool


@dataclass(frozen=True)
class RoomState:
    """A room as students see it: the view to follow, its version and the current round (or None)."""

    code: str
    version: int
    view: str
    round: Round | None
    expires_at: float


# --------------------------------------------------------------------------- checks shared by the back ends


def new_code() -> str:
    """A fresh student code: `CODE_LENGTH` symbols of `CODE_ALPHABET` from ``secrets``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_teacher_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def new_student_id() -> str:
    """A random id for one browser session: it only keeps that session's answer from being counted twice."""
    return secrets.token_hex(16)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def valid_token(token) -> bool:
    """Whether ``token`` has a teacher token's form (checked before it is hashed or sent anywhere)."""
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def token_matches(token: str | None, stored_hash: str | None) -> bool:
    if not stored_hash or not valid_token(token):
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


def normalise_code(text: str) -> str | None:
    """The code in ``text`` (any case; spaces, hyphens and look-alikes O/I/L allowed), or None.

    Cheap on any input: a text longer than `MAX_CODE_INPUT_CHARS` is refused before it is copied.
    """
    if not isinstance(text, str) or len(text) > MAX_CODE_INPUT_CHARS:
        return None
    code = re.sub(r"[\s\-_.]", "", text).upper().translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """``"ABCD2345EFGH6"`` -> ``"ABCD-2345-EFGH6"``: groups that are easy to read aloud and copy."""
    parts, start = [], 0
    for size in _CODE_GROUPS:
        parts.append(code[start : start + size])
        start += size
    return "-".join(parts)


def check_code(code: str) -> str:
    """The normalised code, or RoomNotFound (a malformed code names no room)."""
    normal = normalise_code(code)
    if normal is None:
        raise RoomNotFound(str(code)[:MAX_CODE_INPUT_CHARS])
    return normal


def check_text(text: str, limit: int, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be text")
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text):,} characters long; at most {limit:,} are stored")
    return text


def check_shape(shape) -> tuple[int, int]:
    h, w = (int(v) for v in shape)
    if not (h >= 1 and w >= 1 and h * w <= MAX_ANSWER_CELLS):
        raise ValueError(f"a round's grid must have 1 to {MAX_ANSWER_CELLS} cells; got {h}x{w}")
    return h, w


def check_answer(student_id: str, marks: str, shape: tuple[int, int]) -> None:
    """Refuse a malformed student id or answer before anything is stored (sizes checked first)."""
    if not isinstance(student_id, str) or len(student_id) != 32 or _STUDENT_ID.fullmatch(student_id) is None:
        raise AnswerRejected("This answer has no valid student id; reload the page and answer again.")
    if not isinstance(marks, str) or len(marks) > MAX_ANSWER_CELLS:
        raise AnswerRejected(f"An answer marks at most {MAX_ANSWER_CELLS} cells.")
    if len(marks) != shape[0] * shape[1] or _MARKS.fullmatch(marks) is None:
        raise AnswerRejected(
            f"An answer must mark each of the {shape[0]}×{shape[1]} cells of x with 0 or 1; this one does not."
        )


def too_soon_message(wait: float) -> str:
    return f"Answers are taken at most once a second; wait {max(wait, 0.1):.1f} s and send again."


FULL_MESSAGE = f"This round already has answers from {MAX_STUDENTS_PER_ROUND} students; no more are taken."
CLOSED_MESSAGE = "This round is over (the answer was revealed, or a new round started): your answer was not taken."


def marks_of(mask) -> str:
    """A boolean grid as an answer: one 0 or 1 per cell, row by row."""
    return "".join("1" if v else "0" for v in np.asarray(mask, dtype=bool).ravel())


def tally(answers: dict[str, str], shape: tuple[int, int]) -> tuple[int, np.ndarray]:
    """(number of answers, per cell of x how many marked it). Malformed answers are skipped, not counted."""
    h, w = shape
    counts = np.zeros(h * w, dtype=np.int64)
    n = 0
    for marks in answers.values():
        if len(marks) == h * w and _MARKS.fullmatch(marks):
            counts += np.frombuffer(marks.encode("ascii"), dtype=np.uint8) - ord("0")
            n += 1
    return n, counts.reshape(h, w)


# --------------------------------------------------------------------------- the interface


class RoomStore(ABC):
    """One small interface, two back ends (SQLite by default, Redis for replicas).

    Every method takes the student code as typed or as stored (it is normalised), raises
    `RoomNotFound` for an unknown or expired room, and `NotTeacher` for a write without the
    room's teacher token. ``clock`` returns seconds since the epoch (tests pass a fake one).
    """

    def __init__(self, *, ttl: float = DEFAULT_TTL_SECONDS, clock: Callable[[], float] = time.time):
        if not (ttl > 0 and math.isfinite(ttl)):
            raise ValueError(f"ttl must be a positive number of seconds; got {ttl!r}")
        self.ttl = float(ttl)
        self.clock = clock

    @abstractmethod
    def create_room(self, view: str) -> NewRoom:
        """Open a room showing ``view``; version 1, no round."""

    @abstractmethod
    def version(self, code: str) -> int:
        """The room's version: cheap, for polling. It changes whenever the view or the round changes."""

    @abstractmethod
    def room(self, code: str) -> RoomState:
        """The view, version and round students follow."""

    @abstractmethod
    def is_teacher(self, code: str, teacher_token: str) -> bool:
        """Whether ``teacher_token`` is this room's (False for an unknown room)."""

    @abstractmethod
    def set_view(self, code: str, teacher_token: str, view: str) -> int:
        """Replace the view (teacher only); return the new version (unchanged if the view is the same)."""

    @abstractmethod
    def start_round(self, code: str, teacher_token: str, question: str, shape: tuple[int, int]) -> int:
        """Start a new round on ``question`` (x of ``shape``); return its number. Earlier answers stop counting."""

    @abstractmethod
    def reveal_round(self, code: str, teacher_token: str) -> int:
        """Reveal the current round's answer to everyone and close it to answers; return the new version."""

    @abstractmethod
    def end_round(self, code: str, teacher_token: str) -> int:
        """Leave the round (students go back to following the view); return the new version."""

    @abstractmethod
    def submit_answer(self, code: str, round_number: int, student_id: str, marks: str) -> None:
        """Store (or replace) this student's answer to an open round; `AnswerRejected` says why not."""

    @abstractmethod
    def answers(self, code: str, teacher_token: str, round_number: int) -> dict[str, str]:
        """{student id: marks} of a round (teacher only)."""

    @abstractmethod
    def purge_expired(self) -> int:
        """Delete expired rooms and their answers; return how many rooms went."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (the rooms stay in the store)."""


# --------------------------------------------------------------------------- choosing a back end


def default_store_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def ttl_from_env() -> float:
    """``MAXPOOL_ROOM_TTL_HOURS`` (default 12) in seconds; a bad value is an error that names the variable."""
    raw = os.environ.get(ENV_TTL)
    if raw is None or not raw.strip():
        return DEFAULT_TTL_SECONDS
    try:
        hours = float(raw)
    except ValueError:
        hours = math.nan
    if not (0 < hours <= 24 * 30):
        raise ValueError(f"{ENV_TTL} must be a number of hours from more than 0 to 720; got {raw[:20]!r}")
    return hours * 3600


def open_store(
    url: str | None = None, *, ttl: float | None = None, clock: Callable[[], float] = time.time
) -> RoomStore:
    """The store at ``url``: ``redis://`` / ``rediss://`` / ``unix://`` for Redis, ``sqlite:///path`` or a
    plain path for SQLite; by default ``$MAXPOOL_ROOM_STORE`` or ``data/rooms.sqlite3`` in the checkout."""
    url = url or os.environ.get(ENV_STORE) or default_store_url()
    ttl = ttl_from_env() if ttl is None else ttl
    if url.startswith(("redis://", "rediss://", "unix://")):
        from classroom.redis_store import RedisRoomStore

        return RedisRoomStore(url, ttl=ttl, clock=clock)
    path = url.removeprefix("sqlite://") if url.startswith("sqlite://") else url
    from classroom.sqlite_store import SQLiteRoomStore

    return SQLiteRoomStore(path, ttl=ttl, clock=clock)


@functools.lru_cache(maxsize=4)
def shared_store(url: str | None = None) -> RoomStore:
    """One store client per process and URL, shared by every session of a server.

    It holds connections (a SQLite connection per thread, a Redis connection pool), never room
    data: every read goes to the store, so replicas and restarted servers see the same rooms.
    """
    return open_store(url)
