"""Class mode's room store: a teacher's view shared with students, prediction rounds and their answers.

Pure Python (no streamlit): ``classroom.store`` has the interface and the checks every back end
shares, ``classroom.sqlite_store`` and ``classroom.redis_store`` the two back ends, and
``open_store`` picks one from a URL (``sqlite:///path`` or ``redis://host:port/db``).
"""

from classroom.store import (
    ANSWER_MIN_INTERVAL,
    CODE_BITS,
    CODE_LENGTH,
    DEFAULT_TTL_SECONDS,
    MAX_QUESTION_CHARS,
    MAX_STUDENTS_PER_ROUND,
    MAX_VIEW_CHARS,
    AnswerRejected,
    NewRoom,
    NotTeacher,
    RoomError,
    RoomNotFound,
    RoomState,
    RoomStore,
    Round,
    default_store_url,
    format_code,
    new_student_id,
    normalise_code,
    open_store,
    shared_store,
    tally,
)

__all__ = [
    "ANSWER_MIN_INTERVAL",
    "CODE_BITS",
    "CODE_LENGTH",
    "DEFAULT_TTL_SECONDS",
    "MAX_QUESTION_CHARS",
    "MAX_STUDENTS_PER_ROUND",
    "MAX_VIEW_CHARS",
    "AnswerRejected",
    "NewRoom",
    "NotTeacher",
    "RoomError",
    "RoomNotFound",
    "RoomState",
    "RoomStore",
    "Round",
    "default_store_url",
    "format_code",
    "new_student_id",
    "normalise_code",
    "open_store",
    "shared_store",
    "tally",
]
