"""Records and session metadata as the rows every ledger's tables hold, and back: the SQLite and
PostgreSQL ledgers keep the same columns with the same values, so their raw rows (the exports)
are alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rooms.attendance import Record, RecordKind, SessionInfo
from rooms.erasure import holds_name
from rooms.roles import Role
from rooms.room import breakout_parts
from rooms.roster import CaptionConsent, RosterEntry, Schedule, SessionPlan
from server.ledger import RECORD_FIELDS, SessionQuery

RECORD_COLUMNS = ", ".join(RECORD_FIELDS)
# Every column of a record row but ``seq``, which the database numbers.
INSERTED_FIELDS = RECORD_FIELDS[1:]
SESSION_COLUMNS = (
    "id, title, goal, programme, created_at, max_participants, scheduled_start, scheduled_end, "
    "keep_chat, ended_at, captions"
)
ROSTER_COLUMNS = "person_id, name, role, email"

# The room names recorded as a session's breakout rooms were made (``RoomsCreated``).
ROOM_NAMED = RecordKind.ROOM_NAMED.value


def unnamed(rows: Iterable[tuple[int, str, str | None]], name: str) -> list[tuple[str, int]]:
    """Of a session's room names recorded (seq, room, name), those that hold the name of a
    person being deleted, each with the name it takes instead: "Room n", n the room's number in
    its round, as the session renames its rooms (``rooms.erasure``)."""
    named = holds_name(name)
    out = []
    for seq, room, text in rows:
        if text and named(text):
            parts = breakout_parts(room)
            out.append((f"Room {parts[1]}" if parts else "Room", seq))
    return out


def renamed_copy(text: str, seq: str) -> str:
    """SQL that copies the record numbered by parameter ``seq`` with the text of parameter
    ``text``: records are append-only, so a record renamed is copied, then deleted."""
    picked = ", ".join(text if f == "text" else f for f in INSERTED_FIELDS)
    return (f"INSERT INTO records ({', '.join(INSERTED_FIELDS)}) SELECT {picked} FROM records "
            f"WHERE seq = {seq}")


# A busy ledger rewrites its last sign of life (``last_alive``, where a restart closes the
# presence a crash left open) at most this often, not with every commit: one row less per commit.
# An idle ledger's heartbeat writes it every few seconds anyway.
ALIVE_EVERY = 0.25


class AliveMarks:
    """When a commit should write ``last_alive`` (on the writer's side: one caller at a time)."""

    def __init__(self, every: float = ALIVE_EVERY) -> None:
        self.every = every
        self.marked: float | None = None

    def due(self, now: float) -> bool:
        if self.marked is not None and 0 <= now - self.marked < self.every:
            return False
        self.marked = now
        return True


_KINDS = {k.value: k for k in RecordKind}
_ROLES = {r.value: r for r in Role}


def record_row(r: Record) -> tuple[Any, ...]:
    """The values of ``INSERTED_FIELDS``."""
    return (r.session_id, r.at, r.kind.value, r.participant_id, r.person_id, r.room,
            r.role.value if r.role is not None else None, r.value, r.text, r.ends_at,
            int(r.shared))


def record_from_row(row: Iterable[Any]) -> Record:
    (seq, session_id, at, kind, participant_id, person_id, room, role, value, text, ends_at,
     shared) = row
    return Record(session_id, at, _KINDS[kind], participant_id, person_id, room,
                  _ROLES[role] if role is not None else None, value, text, ends_at, seq,
                  bool(shared))


def session_row(info: SessionInfo) -> tuple[Any, ...]:
    """The values of ``SESSION_COLUMNS``."""
    plan, schedule = info.plan, info.plan.schedule
    return (info.session_id, info.title, info.goal, plan.programme, info.created_at,
            info.max_participants, schedule.start if schedule else None,
            schedule.end if schedule else None, int(plan.keep_chat), info.ended_at,
            plan.captions.value)


def roster_rows(info: SessionInfo) -> list[tuple[Any, ...]]:
    """(session, position, person, name, role, email) for each roster entry."""
    return [(info.session_id, i, e.person_id, e.name, e.role.value, e.email)
            for i, e in enumerate(info.plan.roster)]


def info_from_row(row: Iterable[Any], roster: Iterable[Iterable[Any]]) -> SessionInfo:
    (session_id, title, goal, programme, created_at, max_participants, start, end, keep_chat,
     ended_at, captions) = row
    entries = tuple(RosterEntry(person_id, name, Role(role), email)
                    for person_id, name, role, email in roster)
    schedule = Schedule(start, end) if start is not None and end is not None else None
    plan = SessionPlan(programme=programme, schedule=schedule, roster=entries,
                       keep_chat=bool(keep_chat), captions=CaptionConsent(captions))
    return SessionInfo(session_id=session_id, title=title, created_at=created_at, goal=goal,
                       max_participants=max_participants, plan=plan, ended_at=ended_at)


def where(query: SessionQuery, alias: str = "", *, first: int = 1,
          mark: Callable[[int], str] = lambda n: "?") -> tuple[str, list[Any]]:
    """The ``WHERE`` clause choosing the query's sessions, and its arguments; ``mark(n)`` writes
    the n-th placeholder (``?`` in SQLite, ``$n`` in PostgreSQL), counting from ``first``."""
    p = f"{alias}." if alias else ""
    clauses: list[str] = []
    args: list[Any] = []
    when = f"COALESCE({p}scheduled_start, {p}created_at)"
    if query.since is not None:
        args.append(query.since)
        clauses.append(f"{when} >= {mark(first + len(args) - 1)}")
    if query.until is not None:
        args.append(query.until)
        clauses.append(f"{when} < {mark(first + len(args) - 1)}")
    if query.programme is not None:
        args.append(query.programme)
        clauses.append(f"{p}programme = {mark(first + len(args) - 1)}")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args
