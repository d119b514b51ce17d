"""Attendance: the ledger's records of a session, and the reports made of them.

Rules of this module: records are facts in ledger order, never changed. What is derived from
them (one timeline per person, a session's report) is ``rooms.timeline``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rooms.errors import InvalidPayload
from rooms.roles import Role
from rooms.room import MAIN_ROOM
from rooms.roster import SessionPlan

RATING_MIN, RATING_MAX = 1, 5
RECORD_TEXT_MAX = 4000
MEDIA_AUDIO = 1
MEDIA_VIDEO = 2
DEFAULT_GRACE_SECONDS = 60.0
DAY = 86_400.0

Interval = tuple[float, float]


class RecordKind(StrEnum):
    JOINED = "joined"  # a participant's first join; value: media bits, text: name
    REJOINED = "rejoined"  # came back (reload, drop, second tab); value, text as joined
    LEFT = "left"  # left on purpose
    DROPPED = "dropped"  # connection lost; text "server_restart" when closed at a restart
    MOVED = "moved"  # now in ``room`` (breakouts, visits, everyone back); text: the old room
    MEDIA = "media"  # microphone and camera: value is MEDIA_AUDIO | MEDIA_VIDEO bits
    CHAT = "chat"  # value: characters; text: the message only if the session keeps chat
    REACTION = "reaction"  # text: one of rooms.events.REACTIONS
    HAND = "hand"  # value 1 raised, 0 lowered
    HELP = "help"  # asked for help (breakouts)
    WHITEBOARD = "whiteboard"  # one whiteboard edit
    # value 1 started, 0 stopped; text: who measured it: "client" (the page), "measured" (the
    # server, from the audio levels in the packets of media it forwards) or "server" (muting)
    SPEAKING = "speaking"
    # value: words spoken; text: the line, only if the session keeps a transcript and the speaker
    # was told; at and ends_at: when the line was said
    CAPTION = "caption"
    # text: what the person wants from the session; shared: they showed it to their mentor
    CHECK_IN = "check_in"
    # value: rating 1..5; text: comment; shared: they showed both to their mentor. Named only:
    # an anonymous rating is an ``AnonymousRating``, kept apart from the records
    CHECK_OUT = "check_out"
    SESSION_ENDED = "session_ended"  # session-wide; text: reason
    ROOM_NAMED = "room_named"  # session-wide: ``room`` is called ``text`` (value: breakout round)
    # A mentor's (or admin's) action: the participant (or person waiting) acted on, none for the
    # session as a whole; text: "<action> by <actor's participant id>" (``rooms.events``'s
    # ``ModerationAction``); value 1 when a mute or stopped camera is locked
    MODERATION = "moderation"


PRESENCE_KINDS = frozenset({RecordKind.JOINED, RecordKind.REJOINED, RecordKind.LEFT,
                            RecordKind.DROPPED})
# Records that may have no participant: the session-wide ones (an anonymous rating is not a
# record: ``AnonymousRating``).
UNATTRIBUTED_KINDS = frozenset({RecordKind.SESSION_ENDED, RecordKind.ROOM_NAMED,
                                RecordKind.MODERATION})
_BINARY_KINDS = frozenset({RecordKind.HAND, RecordKind.SPEAKING})


@dataclass(frozen=True, slots=True)
class Record:
    """One line of the ledger: something that happened in a session, to or by a participant.

    ``seq`` is the record's place in the ledger, given by the store when it is written.
    """

    session_id: str
    at: float
    kind: RecordKind
    participant_id: str = ""
    person_id: str | None = None
    room: str = MAIN_ROOM
    role: Role | None = None
    value: int | None = None
    text: str | None = None
    ends_at: float | None = None  # a caption line's end (``at`` is its start)
    seq: int = 0
    shared: bool = False  # a check-in or rating its author chose to show their mentor

    def __post_init__(self) -> None:
        if not self.session_id:
            raise InvalidPayload("A record needs a session id.")
        if not self.participant_id and self.kind not in UNATTRIBUTED_KINDS:
            raise InvalidPayload(f"A {self.kind.value!r} record needs a participant.")
        if self.text is not None and len(self.text) > RECORD_TEXT_MAX:
            raise InvalidPayload(f"A record's text is at most {RECORD_TEXT_MAX} characters.")
        if self.kind is RecordKind.CHECK_OUT and not (
            self.value is not None and RATING_MIN <= self.value <= RATING_MAX
        ):
            raise InvalidPayload(f"A rating is a whole number from {RATING_MIN} to {RATING_MAX}.")
        if self.kind in _BINARY_KINDS and self.value not in (0, 1):
            raise InvalidPayload(f"A {self.kind.value!r} record's value is 0 or 1.")


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What the ledger keeps about a session itself, so reports outlive the process."""

    session_id: str
    title: str
    created_at: float
    goal: str = ""
    max_participants: int = 0
    plan: SessionPlan = field(default_factory=SessionPlan)
    ended_at: float | None = None


class AttendanceStatus(StrEnum):
    PRESENT = "present"  # in the session now
    ATTENDED = "attended"  # came, and is not in it now
    NO_SHOW = "no_show"  # on the roster, never came, and the session is over
    EXPECTED = "expected"  # on the roster, has not come yet, the session is not over


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of time a person spent in one room."""

    start: float
    end: float
    room: str


@dataclass(frozen=True, slots=True)
class Feedback:
    rating: int
    comment: str | None


def day_of(at: float) -> float:
    """The start (UTC) of the day of ``at``: all the time an anonymous rating keeps."""
    return at - at % DAY


@dataclass(frozen=True, slots=True)
class AnonymousRating:
    """A rating given without a name. It is kept apart from the records, with nothing that
    says who gave it (no participant, person, room or role) and only the day it was given, so
    that neither its time nor its place next to a ``left`` record tells its author."""

    session_id: str
    day: float
    rating: int
    comment: str | None

    def __post_init__(self) -> None:
        if not self.session_id:
            raise InvalidPayload("A rating needs a session id.")
        if not RATING_MIN <= self.rating <= RATING_MAX:
            raise InvalidPayload(f"A rating is a whole number from {RATING_MIN} to {RATING_MAX}.")
        if self.day % DAY:
            raise InvalidPayload("An anonymous rating keeps the day only.")
        if self.comment is not None and len(self.comment) > RECORD_TEXT_MAX:
            raise InvalidPayload(f"A comment is at most {RECORD_TEXT_MAX} characters.")


@dataclass(frozen=True, slots=True)
class PersonAttendance:
    """One person's attendance and participation in one session. Times in seconds."""

    key: str  # the person id, or the participant id of someone not on the roster
    person_id: str | None
    participant_ids: tuple[str, ...]
    name: str
    role: Role | None
    email: str | None
    on_roster: bool
    status: AttendanceStatus
    first_join: float | None
    last_leave: float | None  # None while present, or if they never came
    present_seconds: float
    room_seconds: tuple[tuple[str, float], ...]
    timeline: tuple[Segment, ...]
    lateness_seconds: float | None
    left_early_seconds: float | None
    reconnects: int
    speaking_seconds: float
    speaking_room_seconds: tuple[tuple[str, float], ...]
    talk_share: float | None
    microphone_seconds: float
    camera_seconds: float
    chat_messages: int
    chat_characters: int
    reactions: int
    hands_raised: int
    help_requests: int
    whiteboard_edits: int
    caption_words: int
    check_in: str | None
    rating: int | None
    rating_comment: str | None
    check_in_shared: bool = False  # the person showed their check-in to their mentor
    rating_shared: bool = False  # the person showed their rating and comment to their mentor

    def seconds_in(self, room: str) -> float:
        return dict(self.room_seconds).get(room, 0.0)


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    info: SessionInfo
    as_of: float
    started_at: float | None
    ended_at: float | None
    rooms: tuple[str, ...]
    room_names: tuple[tuple[str, str], ...]  # (room, the name people saw), for every room
    people: tuple[PersonAttendance, ...]
    anonymous_feedback: tuple[Feedback, ...]
    ratings: int
    average_rating: float | None

    def room_name(self, room: str) -> str:
        return dict(self.room_names).get(room, room)

    def person(self, key: str) -> PersonAttendance:
        for p in self.people:
            if p.key == key:
                return p
        raise KeyError(key)
