"""The shared whiteboard's rules: who may draw, clear and show boards, how big a board may grow,
which board a session's room has, and when a change starts a new edit.

Rules of this module: a board is the CRDT document of one room of one session (the main room and
every breakout room each have their own). The document itself lives in the server (pycrdt); here
are only the decisions about it, so they can be tested without a document, a clock or a socket.
Whoever may draw may change any item of the board through the CRDT: "only one's own items" is a
rule of the reference client, while clearing the whole board is a server command for mentors.

A board is shared work that people build on together (move, annotate, erase each other's items),
so it is deleted whole: a deletion request for a person deletes every board they changed, and
every board that started as a copy of one of those (a pair's next session); the retention rule
deletes the boards of sessions created before the retention period.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from rooms.errors import BoardFull, BoardOutOfOrder, InvalidPayload, PayloadTooLarge
from rooms.roles import Role
from rooms.roster import SessionPlan

# The top-level shared types a board document may have; an update that creates any other is
# refused (it would be invisible to every client, yet stored and sent to every joiner).
BOARD_ROOTS = frozenset({"items"})
ITEM_KINDS = frozenset({"pen", "highlighter", "rect", "ellipse", "arrow", "line", "text"})
_SESSION_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A breakout room id names its round ("2:b1"); ":" is safe in a file name on the server.
_ROOM_PART = re.compile(r"[A-Za-z0-9_:-]{1,64}")
# Board changes by one person less than this far apart (seconds) are one edit in the records.
BOARD_EDIT_GAP = 2.0
# An update that builds on changes the board lacks (a page's change sent while an earlier one was
# refused, before its sync sends what the board lacks) waits this long for them at most, and a
# board holds this many such updates at most (and no more than one update's bytes in all).
HELD_SECONDS = 5.0
HELD_UPDATES = 8
# Where a session counts the deletions of all its boards at once (no room id has this form).
ALL_BOARDS = "*"


@dataclass(frozen=True, slots=True)
class BoardKey:
    """Which board: one per room of one session. Both parts are safe as file names."""

    session_id: str
    room: str

    def __post_init__(self) -> None:
        if not _SESSION_PART.fullmatch(self.session_id):
            raise InvalidPayload(f"{self.session_id[:80]!r} is not a session id.")
        if not _ROOM_PART.fullmatch(self.room) or self.room.startswith("."):
            raise InvalidPayload(f"{self.room[:80]!r} is not a room id.")


@dataclass(frozen=True, slots=True)
class BoardLimits:
    """Bounds of one board. ``update_bytes``: one update from a client, else
    ``payload_too_large``. ``board_bytes``: the board's encoded size; an update that would take
    the board past it is refused with ``board_full`` (clearing always works and frees space)."""

    update_bytes: int = 64 * 1024
    board_bytes: int = 2 * 1024 * 1024

    def __post_init__(self) -> None:
        if not 1024 <= self.update_bytes <= self.board_bytes:
            raise ValueError("a board update limit must be at least 1 KiB and at most the board")

    def check_update(self, size: int) -> None:
        if size == 0:
            raise InvalidPayload("update: an empty board update.")
        if size > self.update_bytes:
            raise PayloadTooLarge(
                f"update: one board change can be at most {self.update_bytes} bytes "
                f"({size} sent); draw it in smaller pieces."
            )

    def fits(self, board_size: int, update_size: int) -> bool:
        return board_size + update_size <= self.board_bytes

    def full(self, board_size: int) -> BoardFull:
        return BoardFull(
            f"This board is full ({board_size} of {self.board_bytes} bytes): delete some items "
            "or ask the mentor to clear it."
        )

    def may_hold(self, held_count: int, held_bytes: int, update_size: int) -> bool:
        """Whether a board holding ``held_count`` updates of ``held_bytes`` that wait for their
        dependencies may hold one more of ``update_size``."""
        return held_count < HELD_UPDATES and held_bytes + update_size <= self.update_bytes

    def out_of_order(self) -> BoardOutOfOrder:
        return BoardOutOfOrder(
            "update: it builds on changes this board does not have, and enough changes are "
            "already waiting for theirs; sync the board and send what it lacks."
        )


def drawer_marks(session_id: str, participant_id: str, person_id: str | None) -> tuple[str, ...]:
    """How a board remembers who changed it, so that a deletion request finds it: the roster
    person (a deletion of the person, in every session) and the participant of this session (a
    deletion of one participant not on a roster)."""
    marks = [participant_mark(session_id, participant_id)]
    if person_id is not None:
        marks.append(person_mark(person_id))
    return tuple(marks)


def person_mark(person_id: str) -> str:
    return f"person:{person_id}"


def participant_mark(session_id: str, participant_id: str) -> str:
    return f"participant:{session_id}/{participant_id}"


def pair_key(plan: SessionPlan) -> str | None:
    """A key shared by the sessions of the same mentors and mentees (by their roster person
    ids, which stay the same across a programme), so the next session of a pair can reopen its
    board. None when the roster names fewer than two such people."""
    ids = sorted(
        e.person_id for e in plan.roster if e.role in (Role.MENTOR, Role.MENTEE)
    )
    if len(ids) < 2:
        return None
    digest = hashlib.sha256("\n".join([plan.programme, *ids]).encode()).hexdigest()
    return "pair-" + digest[:32]
