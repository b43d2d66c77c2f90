"""The room store for several replicas: Redis (the ``redis`` client), one hash per room.

Keys: ``maxpool:room:<code>`` (teacher hash, view, version, round, question, shape, revealed,
expiry) and ``maxpool:answers:<code>:<round>`` (student id -> ``"<time>|<marks>"``). Both expire
with the room (PEXPIREAT). Every check-then-write is one Lua script, so replicas never race.
"""

from __future__ import annotations

import redis

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
    valid_token,
)

PREFIX = "maxpool:"

# Every teacher script starts here: KEYS[1] the room, ARGV[1] the token hash, ARGV[2] now.
# -1: no such open room; -2: not the teacher.
_TEACHER = """
local room = redis.call('HMGET', KEYS[1], 'teacher', 'expires', 'version', 'question', 'view', 'round')
if not room[1] or tonumber(room[2]) <= tonumber(ARGV[2]) then return -1 end
if room[1] ~= ARGV[1] then return -2 end
"""

_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'teacher', ARGV[1], 'view', ARGV[2], 'version', 1, 'round', 0, 'revealed', 0,
           'expires', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
"""

_SET_VIEW = (
    _TEACHER
    + """
if room[5] == ARGV[3] then return tonumber(room[3]) end
redis.call('HSET', KEYS[1], 'view', ARGV[3])
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"""
)

# ARGV[3] question, ARGV[4] h, ARGV[5] w, ARGV[6] answers key prefix; returns the new round number.
_START = (
    _TEACHER
    + """
local old = tonumber(room[6])
redis.call('DEL', ARGV[6] .. old)
redis.call('HSET', KEYS[1], 'round', old + 1, 'question', ARGV[3], 'h', ARGV[4], 'w', ARGV[5], 'revealed', 0)
redis.call('HINCRBY', KEYS[1], 'version', 1)
return old + 1
"""
)

_REVEAL = (
    _TEACHER
    + """
if not room[4] then return tonumber(room[3]) end
redis.call('HSET', KEYS[1], 'revealed', 1)
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"""
)

_END = (
    _TEACHER
    + """
if not room[4] then return tonumber(room[3]) end
redis.call('HDEL', KEYS[1], 'question', 'h', 'w')
redis.call('HSET', KEYS[1], 'revealed', 0)
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"""
)

# KEYS[1] room, KEYS[2] that round's answers. ARGV: now, round, student, marks, min interval,
# max students. Returns {0} stored, {-1} no room, {-3} round closed, {-4, wait} too soon, {-5} full.
_SUBMIT = """
local now = tonumber(ARGV[1])
local room = redis.call('HMGET', KEYS[1], 'expires', 'round', 'question', 'revealed')
if not room[1] or tonumber(room[1]) <= now then return {-1} end
if not room[3] or room[4] == '1' or tonumber(room[2]) ~= tonumber(ARGV[2]) then return {-3} end
local previous = redis.call('HGET', KEYS[2], ARGV[3])
if previous then
  local at = tonumber(string.match(previous, '^([^|]+)|'))
  if now - at < tonumber(ARGV[5]) then return {-4, tostring(tonumber(ARGV[5]) - (now - at))} end
elseif redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[6]) then
  return {-5}
end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[1] .. '|' .. ARGV[4])
redis.call('PEXPIREAT', KEYS[2], math.floor(tonumber(room[1]) * 1000))
return {0}
"""


class RedisRoomStore(RoomStore):
    """Rooms in the Redis server at ``url`` (``redis://127.0.0.1:6379/0``)."""

    def __init__(self, url: str, *, client: redis.Redis | None = None, **kwargs):
        super().__init__(**kwargs)
        self.url = url
        self.client = client or redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=10, socket_connect_timeout=10, health_check_interval=30
        )
        self._create = self.client.register_script(_CREATE)
        self._set_view = self.client.register_script(_SET_VIEW)
        self._start = self.client.register_script(_START)
        self._reveal = self.client.register_script(_REVEAL)
        self._end = self.client.register_script(_END)
        self._submit = self.client.register_script(_SUBMIT)

    @staticmethod
    def _room_key(code: str) -> str:
        return f"{PREFIX}room:{code}"

    @staticmethod
    def _answers_prefix(code: str) -> str:
        return f"{PREFIX}answers:{code}:"

    def close(self) -> None:
        self.client.close()

    # ----------------------------------------------------------------- reads

    def _fields(self, code: str, *fields: str) -> tuple[str, list]:
        code = check_code(code)
        values = self.client.hmget(self._room_key(code), ["expires", *fields])
        if values[0] is None or float(values[0]) <= self.clock():
            raise RoomNotFound(code)
        return code, values

    def version(self, code: str) -> int:
        return int(self._fields(code, "version")[1][1])

    def room(self, code: str) -> RoomState:
        code, (expires, version, view, number, question, h, w, revealed) = self._fields(
            code, "version", "view", "round", "question", "h", "w", "revealed"
        )
        current = None if question is None else Round(int(number), question, (int(h), int(w)), revealed == "1")
        return RoomState(code, int(version), view, current, float(expires))

    def is_teacher(self, code: str, teacher_token: str) -> bool:
        try:
            _, (_, stored) = self._fields(code, "teacher")
        except RoomNotFound:
            return False
        return token_matches(teacher_token, stored)

    def answers(self, code: str, teacher_token: str, round_number: int) -> dict[str, str]:
        code = check_code(code)
        if not self.is_teacher(code, teacher_token):
            self._fields(code)  # RoomNotFound first, if that is the reason
            raise NotTeacher()
        raw = self.client.hgetall(self._answers_prefix(code) + str(int(round_number)))
        return {student: value.partition("|")[2] for student, value in raw.items()}

    # ----------------------------------------------------------------- writes

    def create_room(self, view: str) -> NewRoom:
        check_text(view, MAX_VIEW_CHARS, "the view")
        token = new_teacher_token()
        expires_at = self.clock() + self.ttl
        while True:
            code = new_code()
            if self._create(
                keys=[self._room_key(code)], args=[token_hash(token), view, repr(expires_at), int(expires_at * 1000)]
            ):
                return NewRoom(code, token, expires_at)

    def _teacher(self, script, code: str, teacher_token: str, *args) -> int:
        code = check_code(code)
        if not valid_token(teacher_token):
            self._fields(code)  # RoomNotFound first, if that is the reason
            raise NotTeacher()
        result = int(script(keys=[self._room_key(code)], args=[token_hash(teacher_token), repr(self.clock()), *args]))
        if result == -1:
            raise RoomNotFound(code)
        if result == -2:
            raise NotTeacher()
        return result

    def set_view(self, code: str, teacher_token: str, view: str) -> int:
        check_text(view, MAX_VIEW_CHARS, "the view")
        return self._teacher(self._set_view, code, teacher_token, view)

    def start_round(self, code: str, teacher_token: str, question: str, shape: tuple[int, int]) -> int:
        check_text(question, MAX_QUESTION_CHARS, "the question")
        h, w = check_shape(shape)
        return self._teacher(self._start, code, teacher_token, question, h, w, self._answers_prefix(check_code(code)))

    def reveal_round(self, code: str, teacher_token: str) -> int:
        return self._teacher(self._reveal, code, teacher_token)

    def end_round(self, code: str, teacher_token: str) -> int:
        return self._teacher(self._end, code, teacher_token)

    def submit_answer(self, code: str, round_number: int, student_id: str, marks: str) -> None:
        code, (_, number, question, h, w, revealed) = self._fields(code, "round", "question", "h", "w", "revealed")
        if question is None or revealed == "1" or int(number) != int(round_number):
            raise AnswerRejected(CLOSED_MESSAGE)
        check_answer(student_id, marks, (int(h), int(w)))
        result = self._submit(
            keys=[self._room_key(code), self._answers_prefix(code) + str(int(round_number))],
            args=[
                repr(self.clock()),
                int(round_number),
                student_id,
                marks,
                ANSWER_MIN_INTERVAL,
                MAX_STUDENTS_PER_ROUND,
            ],
        )
        status = int(result[0])
        if status == -1:
            raise RoomNotFound(code)
        if status == -3:
            raise AnswerRejected(CLOSED_MESSAGE)
        if status == -4:
            raise AnswerRejected(too_soon_message(float(result[1])))
        if status == -5:
            raise AnswerRejected(FULL_MESSAGE)

    def purge_expired(self) -> int:
        """Redis drops expired keys itself; this also drops rooms past their recorded expiry (a fake clock)."""
        now, gone = self.clock(), 0
        for key in self.client.scan_iter(match=f"{PREFIX}room:*", count=500):
            expires = self.client.hget(key, "expires")
            if expires is not None and float(expires) <= now:
                code = key.rsplit(":", 1)[1]
                answer_keys = list(self.client.scan_iter(match=f"{self._answers_prefix(code)}*"))
                self.client.delete(key, *answer_keys)
                gone += 1
        return gone
