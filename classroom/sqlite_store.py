"""The default room store: one SQLite file in WAL mode (standard library only).

WAL lets every session's poll read while a teacher writes, and lets several processes on one
machine share the file. Each thread gets its own connection (Streamlit runs each script run
on a thread); checks and writes that must agree happen in one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from classroom.store import (
    ANSWER_MIN_INTERVAL,
    CLOSED_MESSAGE,
    FULL_MESSAGE,
    MAX_QUESTION_CHARS,
    MAX_STUDENTS_PER_ROUND,
    MAX_VIEW_CHARS,
    AnswerRejected,
    NewRoom,
    NotTeacher,
    RoomNotFound,
    RoomState,
    RoomStore,
    Round,
    check_answer,
    check_code,
    check_shape,
    check_text,
    new_code,
    new_teacher_token,
    token_hash,
    token_matches,
    too_soon_message,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    teacher_hash TEXT NOT NULL,
    view TEXT NOT NULL,
    version INTEGER NOT NULL,
    round INTEGER NOT NULL DEFAULT 0,
    question TEXT,
    round_h INTEGER,
    round_w INTEGER,
    revealed INTEGER NOT NULL DEFAULT 0,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL,
    round INTEGER NOT NULL,
    student TEXT NOT NULL,
    marks TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (code, round, student)
);
CREATE INDEX IF NOT EXISTS rooms_expiry ON rooms (expires_at);
"""


class SQLiteRoomStore(RoomStore):
    """Rooms in a SQLite file at ``path`` (its folder is created)."""

    def __init__(self, path: str | Path, **kwargs):
        super().__init__(**kwargs)
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(SCHEMA)  # its own transaction

    # ----------------------------------------------------------------- connections

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE below).
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across an app crash
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    class _Tx:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, kind, value, traceback) -> None:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def _write(self) -> _Tx:
        return self._Tx(self._db())

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # ----------------------------------------------------------------- reads

    def _row(self, db: sqlite3.Connection, code: str, columns: str):
        code = check_code(code)
        row = db.execute(
            f"SELECT {columns} FROM rooms WHERE code = ? AND expires_at > ?", (code, self.clock())
        ).fetchone()
        if row is None:
            raise RoomNotFound(code)
        return code, row

    def version(self, code: str) -> int:
        return int(self._row(self._db(), code, "version")[1][0])

    def room(self, code: str) -> RoomState:
        code, (version, view, number, question, h, w, revealed, expires_at) = self._row(
            self._db(), code, "version, view, round, question, round_h, round_w, revealed, expires_at"
        )
        current = None if question is None else Round(int(number), question, (int(h), int(w)), bool(revealed))
        return RoomState(code, int(version), view, current, float(expires_at))

    def is_teacher(self, code: str, teacher_token: str) -> bool:
        try:
            _, (stored,) = self._row(self._db(), code, "teacher_hash")
        except RoomNotFound:
            return False
        return token_matches(teacher_token, stored)

    # ----------------------------------------------------------------- writes

    def create_room(self, view: str) -> NewRoom:
        check_text(view, MAX_VIEW_CHARS, "the view")
        token = new_teacher_token()
        now = self.clock()
        expires_at = now + self.ttl
        with self._write() as db:
            db.execute("DELETE FROM answers WHERE code IN (SELECT code FROM rooms WHERE expires_at <= ?)", (now,))
            db.execute("DELETE FROM rooms WHERE expires_at <= ?", (now,))
            while True:
                code = new_code()
                try:
                    db.execute(
                        "INSERT INTO rooms (code, teacher_hash, view, version, expires_at) VALUES (?, ?, ?, 1, ?)",
                        (code, token_hash(token), view, expires_at),
                    )
                    break
                except sqlite3.IntegrityError:  # 2**-65 per room open: astronomically rare, but never reuse
                    continue
        return NewRoom(code, token, expires_at)

    def _teacher_row(self, db: sqlite3.Connection, code: str, teacher_token: str, columns: str):
        code, row = self._row(db, code, "teacher_hash, " + columns)
        if not token_matches(teacher_token, row[0]):
            raise NotTeacher()
        return code, row[1:]

    def set_view(self, code: str, teacher_token: str, view: str) -> int:
        check_text(view, MAX_VIEW_CHARS, "the view")
        with self._write() as db:
            code, (old, version) = self._teacher_row(db, code, teacher_token, "view, version")
            if old == view:
                return int(version)
            db.execute("UPDATE rooms SET view = ?, version = version + 1 WHERE code = ?", (view, code))
            return int(version) + 1

    def start_round(self, code: str, teacher_token: str, question: str, shape: tuple[int, int]) -> int:
        check_text(question, MAX_QUESTION_CHARS, "the question")
        h, w = check_shape(shape)
        with self._write() as db:
            code, (number,) = self._teacher_row(db, code, teacher_token, "round")
            db.execute(
                "UPDATE rooms SET round = round + 1, question = ?, round_h = ?, round_w = ?, revealed = 0, "
                "version = version + 1 WHERE code = ?",
                (question, h, w, code),
            )
            db.execute("DELETE FROM answers WHERE code = ? AND round <= ?", (code, number))
            return int(number) + 1

    def reveal_round(self, code: str, teacher_token: str) -> int:
        with self._write() as db:
            code, (version, question) = self._teacher_row(db, code, teacher_token, "version, question")
            if question is None:
                return int(version)
            db.execute("UPDATE rooms SET revealed = 1, version = version + 1 WHERE code = ?", (code,))
            return int(version) + 1

    def end_round(self, code: str, teacher_token: str) -> int:
        with self._write() as db:
            code, (version, question) = self._teacher_row(db, code, teacher_token, "version, question")
            if question is None:
                return int(version)
            db.execute("UPDATE rooms SET question = NULL, revealed = 0, version = version + 1 WHERE code = ?", (code,))
            return int(version) + 1

    def submit_answer(self, code: str, round_number: int, student_id: str, marks: str) -> None:
        now = self.clock()
        with self._write() as db:
            code, (number, question, h, w, revealed) = self._row(
                db, code, "round, question, round_h, round_w, revealed"
            )
            if question is None or revealed or int(number) != int(round_number):
                raise AnswerRejected(CLOSED_MESSAGE)
            check_answer(student_id, marks, (int(h), int(w)))
            previous = db.execute(
                "SELECT at FROM answers WHERE code = ? AND round = ? AND student = ?", (code, number, student_id)
            ).fetchone()
            if previous is not None and now - previous[0] < ANSWER_MIN_INTERVAL:
                raise AnswerRejected(too_soon_message(ANSWER_MIN_INTERVAL - (now - previous[0])))
            if previous is None:
                (count,) = db.execute(
                    "SELECT COUNT(*) FROM answers WHERE code = ? AND round = ?", (code, number)
                ).fetchone()
                if count >= MAX_STUDENTS_PER_ROUND:
                    raise AnswerRejected(FULL_MESSAGE)
            db.execute(
                "INSERT INTO answers (code, round, student, marks, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (code, round, student) DO UPDATE SET marks = excluded.marks, at = excluded.at",
                (code, number, student_id, marks, now),
            )

    def answers(self, code: str, teacher_token: str, round_number: int) -> dict[str, str]:
        db = self._db()
        code, _ = self._teacher_row(db, code, teacher_token, "round")
        rows = db.execute(
            "SELECT student, marks FROM answers WHERE code = ? AND round = ?", (code, int(round_number))
        ).fetchall()
        return dict(rows)

    def purge_expired(self) -> int:
        now = self.clock()
        with self._write() as db:
            db.execute("DELETE FROM answers WHERE code IN (SELECT code FROM rooms WHERE expires_at <= ?)", (now,))
            return db.execute("DELETE FROM rooms WHERE expires_at <= ?", (now,)).rowcount
