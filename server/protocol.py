"""The wire: pydantic models for every inbound payload, and encoders for what goes out.

Every socket event and REST body is parsed here before the domain sees it; a payload that does
not fit becomes ``InvalidPayload`` (or ``PayloadTooLarge`` for an over-long field) with a message
that names the field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rooms.breakout import GROUP_SIZE_MAX, GROUPS_MAX, MAX_ROOMS, BreakoutView
from rooms.chat import TEXT_MAX, ChatMessage
from rooms.errors import InvalidPayload, PayloadTooLarge, TandemError
from rooms.participant import MAIN_ROOM, ParticipantView, Presence
from rooms.roles import Role
from rooms.roster import PERSON_ID_MAX, PROGRAMME_MAX, RosterEntry, Schedule, SessionPlan
from rooms.session import GOAL_MAX, TITLE_MAX, Session, SessionState, SessionView

SDP_MAX = 64 * 1024
CANDIDATE_MAX = 1024
PERSONAL_LINKS_MAX = 50


class _Inbound(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# -- socket events ------------------------------------------------------------------------------


class JoinPayload(_Inbound):
    name: str | None = Field(default=None, max_length=200)
    resume: str | None = Field(default=None, max_length=2048)
    audio: bool = False
    video: bool = False


class ChatPayload(_Inbound):
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class MediaStatePayload(_Inbound):
    audio: bool
    video: bool


class EmptyPayload(_Inbound):
    """Events that carry nothing (``leave``, ``help_request``...): anything else is refused."""


class SessionDescription(_Inbound):
    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: str = Field(default="", max_length=SDP_MAX)


class IceCandidate(_Inbound):
    candidate: str = Field(max_length=CANDIDATE_MAX)
    sdpMid: str | None = Field(default=None, max_length=64)  # noqa: N815 (WebRTC's own names)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=1024)  # noqa: N815
    usernameFragment: str | None = Field(default=None, max_length=256)  # noqa: N815


class SignalPayload(_Inbound):
    to: str = Field(min_length=1, max_length=64)
    description: SessionDescription | None = None
    candidate: IceCandidate | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SignalPayload:
        given = {"description", "candidate"} & self.model_fields_set
        if len(given) != 1:
            raise ValueError("give exactly one of 'description' and 'candidate'")
        if "description" in given and self.description is None:
            raise ValueError("'description' cannot be null")
        return self

    def relayed(self, sender_id: str) -> dict[str, Any]:
        """What the target receives: only the validated fields, and who sent them."""
        out: dict[str, Any] = {"from": sender_id}
        if self.description is not None:
            out["description"] = self.description.model_dump()
        else:
            out["candidate"] = (
                None if self.candidate is None else self.candidate.model_dump(exclude_none=True)
            )
        return out


class BreakoutCreatePayload(_Inbound):
    count: int | None = Field(default=None, ge=1, le=MAX_ROOMS)
    names: list[str] = Field(default_factory=list, max_length=MAX_ROOMS)
    allow_choice: bool = False
    from_groups: bool = False


class BreakoutAssignPayload(_Inbound):
    participant_id: str = Field(min_length=1, max_length=64)
    room: str | None = Field(max_length=16)


class BreakoutOpenPayload(_Inbound):
    duration_seconds: int | None = None


class BreakoutAdjustPayload(_Inbound):
    add_seconds: int = Field(ge=-4 * 3600, le=4 * 3600)


class BreakoutClosePayload(_Inbound):
    countdown_seconds: int = 10


class BreakoutBroadcastPayload(_Inbound):
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class RoomPayload(_Inbound):
    room: str = Field(min_length=1, max_length=16)


# Attendance events (server/attendance_events.py); the domain's bounds are in rooms/attendance.py.
Reaction = Literal["thumbs_up", "clap", "heart", "laugh", "surprised", "thinking"]


class CheckInPayload(_Inbound):
    goal: str = Field(min_length=1, max_length=500)


class CheckOutPayload(_Inbound):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=1000)
    anonymous: bool = False


class CheckOutRequest(CheckOutPayload):
    """The rating after leaving, over REST: the participant's own resume credential says who."""

    session_id: str = Field(min_length=1, max_length=64)
    resume: str = Field(min_length=1, max_length=2048)


class SpeakingPayload(_Inbound):
    speaking: bool


class ReactionPayload(_Inbound):
    reaction: Reaction


class HandPayload(_Inbound):
    raised: bool


# -- REST bodies ---------------------------------------------------------------------------------


class PersonalLinkRequest(_Inbound):
    name: str = Field(min_length=1, max_length=60)
    role: Role
    # A stable id for this person across sessions (the programme's own), and their email.
    id: str | None = Field(default=None, min_length=1, max_length=PERSON_ID_MAX)
    email: str | None = Field(default=None, max_length=254)


class GroupRequest(_Inbound):
    name: str = Field(min_length=1, max_length=60)
    members: list[str] = Field(min_length=1, max_length=GROUP_SIZE_MAX)


class GroupsRequest(_Inbound):
    groups: list[GroupRequest] = Field(max_length=GROUPS_MAX)


class CreateSessionRequest(_Inbound):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    goal: str = Field(default="", max_length=GOAL_MAX)
    max_participants: int | None = Field(default=None, ge=2)
    link_ttl_seconds: int | None = Field(default=None, ge=60)
    participants: list[PersonalLinkRequest] = Field(default_factory=list, max_length=50)
    groups: list[GroupRequest] = Field(default_factory=list, max_length=GROUPS_MAX)
    programme: str = Field(default="", max_length=PROGRAMME_MAX)
    scheduled_start: float | None = None
    scheduled_end: float | None = None
    keep_chat: bool = False

    @model_validator(mode="after")
    def _both_ends(self) -> CreateSessionRequest:
        if (self.scheduled_start is None) != (self.scheduled_end is None):
            raise ValueError("give both scheduled_start and scheduled_end, or neither")
        return self

    def plan(self, new_person_id: Callable[[], str]) -> SessionPlan:
        """The session's plan: everyone asked a personal link for is on its roster."""
        schedule = None
        if self.scheduled_start is not None and self.scheduled_end is not None:
            schedule = Schedule(self.scheduled_start, self.scheduled_end)
        roster = tuple(
            RosterEntry(p.id or new_person_id(), " ".join(p.name.split()), p.role, p.email)
            for p in self.participants
        )
        return SessionPlan(programme=self.programme.strip(), schedule=schedule, roster=roster,
                           keep_chat=self.keep_chat)


class CreateLinkRequest(_Inbound):
    role: Role
    name: str | None = Field(default=None, min_length=1, max_length=60)
    link_ttl_seconds: int | None = Field(default=None, ge=60)


class PreviewRequest(_Inbound):
    token: str = Field(min_length=1, max_length=2048)


# -- REST responses (documented in the OpenAPI document) ---------------------------------------


class _Outbound(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorDetail(_Outbound):
    code: str
    message: str


class ErrorBody(_Outbound):
    error: ErrorDetail


class ParticipantOut(_Outbound):
    id: str
    name: str
    role: Role
    state: Presence
    audio: bool
    video: bool
    joined_at: float
    room: str


class PersonalLinkOut(_Outbound):
    name: str
    role: Role
    url: str
    person_id: str | None = None


class SessionOut(_Outbound):
    session_id: str
    title: str
    goal: str
    state: SessionState
    created_at: float
    ended_at: float | None
    max_participants: int
    participants: list[ParticipantOut]
    chat_messages: int


class SessionCreatedOut(_Outbound):
    session_id: str
    title: str
    goal: str
    state: SessionState
    created_at: float
    max_participants: int
    links_expire_at: float
    join_urls: dict[Role, str]
    personal_links: list[PersonalLinkOut]


class LinkOut(_Outbound):
    role: Role
    name: str | None
    url: str
    expires_at: float


class PreviewOut(_Outbound):
    session_id: str
    title: str
    goal: str
    role: Role
    name: str | None
    expires_at: float
    state: SessionState


# -- attendance queries (REST query strings) ---------------------------------------------------


def parse_when(value: object) -> float | None:
    """A time in a query: seconds since the epoch, or an ISO 8601 date or date-time (UTC if no
    zone is given)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("give a date (2026-11-01), a date-time or seconds since the epoch")
    try:
        return float(value)
    except ValueError:
        pass
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date (2026-11-01), a date-time or seconds since the epoch"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


class AttendanceQuery(BaseModel):
    """``?format=csv&view=people&since=2026-11-01&until=2026-12-01&programme=…&limit=…``"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["csv", "json", "xlsx"] = "json"
    view: Literal["people", "rooms", "records"] = "people"
    since: float | None = None
    until: float | None = None
    programme: str | None = Field(default=None, min_length=1, max_length=PROGRAMME_MAX)
    limit: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("since", "until", mode="before")
    @classmethod
    def _time(cls, value: object) -> float | None:
        return parse_when(value)

    @model_validator(mode="after")
    def _ordered(self) -> AttendanceQuery:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("'since' must come before 'until'")
        return self


# -- parsing ------------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def _error_from(exc: ValidationError) -> TandemError:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    message = f"{where}: {first['msg']}"
    if first["type"] in {"string_too_long", "too_long", "bytes_too_long"}:
        return PayloadTooLarge(message)
    return InvalidPayload(message)


def parse(model: type[M], data: object) -> M:
    """Parse ``data`` into ``model`` or raise a ``TandemError`` that names the bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidPayload("The payload must be a map of named fields.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _error_from(exc) from None


def parse_json(model: type[M], body: bytes) -> M:
    """Parse a JSON request body into ``model``; JSON mode lets enums take their string values."""
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise _error_from(exc) from None


# -- outbound encoders --------------------------------------------------------------------------


def participant_wire(p: ParticipantView) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "role": p.role.value,
        "state": p.presence.value,
        "audio": p.audio,
        "video": p.video,
        "joined_at": p.joined_at,
        "room": p.room,
    }


def message_wire(m: ChatMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "from": m.sender_id,
        "name": m.sender_name,
        "role": m.sender_role.value,
        "text": m.text,
        "sent_at": m.sent_at,
        "room": m.room,
        "broadcast": m.broadcast,
    }


def breakout_wire(v: BreakoutView) -> dict[str, Any]:
    return {
        "round": v.round,
        "state": v.state.value,
        "rooms": [
            {"id": r.id, "name": r.name, "members": list(r.members), "assigned": list(r.assigned)}
            for r in v.rooms
        ],
        "allow_choice": v.allow_choice,
        "duration": v.duration,
        "opened_at": v.opened_at,
        "ends_at": v.ends_at,
        "closing_ends_at": v.closing_ends_at,
        "help": [
            {"participant_id": h.participant_id, "room": h.room, "asked_at": h.asked_at}
            for h in v.help
        ],
    }


def room_wire(s: Session, room: str) -> dict[str, str]:
    """A room's id and the name people see."""
    if room == MAIN_ROOM or s.breakouts is None or room not in s.breakouts.rooms:
        return {"id": MAIN_ROOM, "name": "Main room"}
    return {"id": room, "name": s.breakouts.rooms[room].name}


def session_out(view: SessionView) -> SessionOut:
    return SessionOut(
        session_id=view.id,
        title=view.title,
        goal=view.goal,
        state=view.state,
        created_at=view.created_at,
        ended_at=view.ended_at,
        max_participants=view.max_participants,
        participants=[ParticipantOut(**participant_wire(p)) for p in view.participants],
        chat_messages=view.chat_messages,
    )


def error_ack(error: TandemError) -> dict[str, Any]:
    return {"ok": False, "error": error.to_wire()}


# -- whiteboard (server/whiteboard_events.py; bounds in rooms/whiteboard.py) -------------------

BOARD_STATE_MAX = 64 * 1024  # a state vector: a few bytes per client that ever edited
CURSOR_RANGE = 1_000_000.0


class BoardRoomPayload(_Inbound):
    """``board_clear``: the room's board (it must be the sender's own room)."""

    room: str = Field(min_length=1, max_length=16)


class BoardSyncPayload(_Inbound):
    room: str = Field(min_length=1, max_length=16)
    state: bytes = Field(default=b"", max_length=BOARD_STATE_MAX)


class BoardUpdatePayload(_Inbound):
    room: str = Field(min_length=1, max_length=16)
    update: bytes  # its size limit is a setting, checked by the board (payload_too_large)


class BoardCursorPayload(_Inbound):
    room: str = Field(min_length=1, max_length=16)
    x: float | None = Field(ge=-CURSOR_RANGE, le=CURSOR_RANGE, allow_inf_nan=False)
    y: float | None = Field(ge=-CURSOR_RANGE, le=CURSOR_RANGE, allow_inf_nan=False)

    @model_validator(mode="after")
    def _both_or_neither(self) -> BoardCursorPayload:
        if (self.x is None) != (self.y is None):
            raise ValueError("give both 'x' and 'y', or both null (the pointer left the board)")
        return self


class BoardShowPayload(_Inbound):
    room: str | None = Field(min_length=1, max_length=16)
