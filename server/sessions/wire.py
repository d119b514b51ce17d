"""The sessions feature on the wire: joining, chat, media state, signalling and leaving over the
socket; creating sessions and links, previews and ending over REST."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, NotRequired

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from rooms.breakout import GROUP_SIZE_MAX, GROUPS_MAX
from rooms.chat import TEXT_MAX
from rooms.lifecycles import SessionState
from rooms.participant import NAME_MAX
from rooms.roles import Role
from rooms.room import ROOM_NAME_MAX
from rooms.roster import (
    EMAIL_MAX,
    PERSON_ID_MAX,
    PROGRAMME_MAX,
    ROSTER_MAX,
    CaptionConsent,
    RosterEntry,
    Schedule,
    SessionPlan,
    WaitingRoom,
)
from rooms.session import GOAL_MAX, TITLE_MAX
from rooms.views import JoinView, SessionView, WaitingView
from server.protocol import (
    EMAIL_PATTERN,
    NOT_BLANK,
    PERSON_ID_PATTERN,
    SDP_MAX,
    TEXT_NOT_BLANK,
    WHOLE_NUMBER,
    BreakoutWire,
    ChatMessageWire,
    CheckInWire,
    ClientId,
    EmptyPayload,
    Inbound,
    InboundModel,
    OkAck,
    Outbound,
    ParticipantWire,
    PositionWire,
    RoomWire,
    Text,
    WaiterWire,
    breakout_wire,
    message_wire,
    participant_wire,
    room_wire,
    waiter_wire,
)
from server.tokens import TOKEN_MAX

CANDIDATE_MAX = 1024
# How long a join link lives: a minute to 90 days.
LINK_TTL_MAX = 90 * 86400
LinkTtl = Annotated[int, Field(ge=60, le=LINK_TTL_MAX), WHOLE_NUMBER]


# -- socket: inbound ------------------------------------------------------------------------------


# A join's display name as sent, before its spaces are trimmed (``clean_name``: 1 to 60
# characters after): one longer is refused as a name too long (``invalid_payload``, as the
# domain refuses one of 61 characters), not as an over-long payload, before any other check.
JOIN_NAME_SENT_MAX = 200


def _join_name(value: object) -> object:
    if isinstance(value, str) and len(value) > JOIN_NAME_SENT_MAX:
        raise PydanticCustomError(
            "display_name", "A display name can be at most {max} characters long.",
            {"max": NAME_MAX})
    return value


class JoinPayload(InboundModel):
    name: Annotated[Text, BeforeValidator(_join_name)] | None = None
    resume: Text | None = Field(default=None, max_length=TOKEN_MAX)
    audio: bool = False
    video: bool = False
    # The page showed that this session keeps a transcript of captions (docs/PROTOCOL.md).
    transcript_notice: bool = False


class ChatPayload(InboundModel):
    text: Text = Field(min_length=1, max_length=TEXT_MAX)
    # The page's id for this message: sent again with the same id after a lost connection, it
    # is posted once (``Session.post_chat``).
    client_id: ClientId | None = None


class MediaStatePayload(InboundModel):
    audio: bool
    video: bool


class SessionDescription(InboundModel):
    type: Literal["offer", "answer", "pranswer", "rollback"]
    sdp: Text = Field(default="", max_length=SDP_MAX)


class IceCandidate(InboundModel):
    candidate: Text = Field(max_length=CANDIDATE_MAX)
    sdpMid: Text | None = Field(default=None, max_length=64)  # noqa: N815 (WebRTC's own names)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=1024)  # noqa: N815
    usernameFragment: Text | None = Field(default=None, max_length=256)  # noqa: N815


class SignalPayload(InboundModel):
    to: Text = Field(min_length=1, max_length=64)
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

    def relayed(self, sender_id: str) -> SignalOut:
        """What the target receives: only the validated fields, and who sent them."""
        out: SignalOut = {"from": sender_id}
        if self.description is not None:
            out["description"] = self.description.model_dump()
        else:
            out["candidate"] = (
                None if self.candidate is None else self.candidate.model_dump(exclude_none=True)
            )
        return out


# -- socket: acknowledgements ---------------------------------------------------------------------


class SessionBrief(TypedDict):
    id: str
    title: str
    goal: str
    state: str
    max_participants: int
    captions: str
    locked: bool
    private_addresses: bool


class JoinLimits(TypedDict):
    chat_text: int
    max_participants: int


class JoinAck(TypedDict):
    ok: Literal[True]
    participant: ParticipantWire
    resume: str
    rejoined: bool
    session: SessionBrief
    participants: list[ParticipantWire]
    chat: list[ChatMessageWire]
    room: RoomWire
    breakouts: BreakoutWire | None
    speaking: list[str]
    check_in: CheckInWire | None
    rated: bool
    media_route: str
    screens_many: bool  # whether several may share their screens at once in the person's room
    server_time: float
    ice_servers: list[dict[str, Any]]
    limits: JoinLimits
    waiters: list[WaiterWire]  # who waits to be let in (for mentors and admins; else empty)
    position: PositionWire  # where the room's history was as the person joined


class ChatAck(TypedDict):
    ok: Literal[True]
    # Absent only for a message sent again whose first posting the history no longer holds.
    message: NotRequired[ChatMessageWire]


class MediaStateAck(TypedDict):
    ok: Literal[True]
    participant: ParticipantWire


class WaitingAck(TypedDict):
    """The answer to ``join`` for someone sent to the waiting room."""

    ok: Literal[True]
    waiting: Literal[True]
    waiter: WaiterWire
    session: SessionBrief


def waiting_ack(view: WaitingView) -> WaitingAck:
    s = view.session
    return {"ok": True, "waiting": True, "waiter": waiter_wire(view.waiter),
            "session": _brief(s)}


def _brief(s: SessionView) -> SessionBrief:
    return {"id": s.id, "title": s.title, "goal": s.goal, "state": s.state.value,
            "max_participants": s.max_participants, "captions": s.captions,
            "locked": s.locked, "private_addresses": s.private_addresses}


def join_ack(view: JoinView, *, resume: str, now: float, ice_servers: list[dict[str, Any]],
             position: PositionWire) -> JoinAck:
    s = view.session
    return {
        "ok": True,
        "participant": participant_wire(view.participant),
        "resume": resume,
        "rejoined": view.rejoined,
        "session": _brief(s),
        "participants": [participant_wire(p) for p in s.participants],
        "chat": [message_wire(m) for m in view.chat],
        "room": room_wire(view.room),
        "breakouts": None if view.breakouts is None else breakout_wire(view.breakouts),
        "speaking": list(view.speaking),
        "check_in": None if view.check_in is None else {"goal": view.check_in.goal,
                                                        "at": view.check_in.at,
                                                        "shared": view.check_in.shared},
        "rated": view.rated,
        "media_route": view.media_route,
        "screens_many": view.screens_many,
        "server_time": now,
        "ice_servers": ice_servers,
        "limits": {"chat_text": TEXT_MAX, "max_participants": s.max_participants},
        "waiters": [waiter_wire(w) for w in view.waiting],
        "position": position,
    }


# -- socket: outbound -----------------------------------------------------------------------------


class ParticipantOut(TypedDict):
    participant: ParticipantWire


class ParticipantLeftOut(TypedDict):
    participant_id: str
    reason: str


class ChatOut(TypedDict):
    message: ChatMessageWire
    position: NotRequired[PositionWire]  # added as the message is appended to the history


SignalOut = TypedDict("SignalOut", {
    "from": str, "description": dict[str, Any], "candidate": dict[str, Any] | None,
}, total=False)


class ReplacedOut(TypedDict):
    code: str
    message: str


class SessionEndedOut(TypedDict):
    reason: str


class ParticipantErasedOut(TypedDict):
    participant_id: str
    message_ids: list[int]  # their chat messages, gone from the chat history


class DeclinedOut(TypedDict):
    reason: str  # "declined" or "session_ended"


REMOVED_MESSAGE = ("A mentor has removed you from this session. If you think this was a "
                   "mistake, contact your mentor or programme coordinator.")


JOIN: Inbound[JoinPayload, JoinAck | WaitingAck] = Inbound("join", JoinPayload)
CHAT: Inbound[ChatPayload, ChatAck] = Inbound("chat", ChatPayload)
MEDIA_STATE: Inbound[MediaStatePayload, MediaStateAck] = Inbound("media_state", MediaStatePayload)
SIGNAL: Inbound[SignalPayload, OkAck] = Inbound("signal", SignalPayload)
LEAVE: Inbound[EmptyPayload, OkAck] = Inbound("leave", EmptyPayload)

PARTICIPANT_JOINED: Outbound[ParticipantOut] = Outbound("participant_joined")
PARTICIPANT_REJOINED: Outbound[ParticipantOut] = Outbound("participant_rejoined")
PARTICIPANT_LEFT: Outbound[ParticipantLeftOut] = Outbound("participant_left")
PARTICIPANT_UPDATED: Outbound[ParticipantOut] = Outbound("participant_updated")
CHAT_MESSAGE: Outbound[ChatOut] = Outbound("chat")
SIGNAL_RELAYED: Outbound[SignalOut] = Outbound("signal")
REPLACED: Outbound[ReplacedOut] = Outbound("replaced")
SESSION_ENDED: Outbound[SessionEndedOut] = Outbound("session_ended")
ADMITTED: Outbound[JoinAck] = Outbound("admitted")
DECLINED: Outbound[DeclinedOut] = Outbound("declined")
REMOVED: Outbound[ReplacedOut] = Outbound("removed")
PARTICIPANT_ERASED: Outbound[ParticipantErasedOut] = Outbound("participant_erased")


# -- REST bodies ----------------------------------------------------------------------------------

# The domain's own rules of text, for the OpenAPI document (the domain checks them).
# Times are seconds since the epoch, before the year 3000.
EPOCH_MAX = 32_503_680_000


class PersonalLinkRequest(InboundModel):
    name: Text = Field(min_length=1, max_length=NAME_MAX, json_schema_extra=NOT_BLANK)
    role: Role
    # A stable id for this person across sessions (the programme's own), and their email.
    id: Text | None = Field(default=None, min_length=1, max_length=PERSON_ID_MAX,
                            json_schema_extra={"pattern": PERSON_ID_PATTERN})
    email: Text | None = Field(default=None, max_length=EMAIL_MAX,
                               json_schema_extra={"pattern": EMAIL_PATTERN})


class GroupRequest(InboundModel):
    name: Text = Field(min_length=1, max_length=ROOM_NAME_MAX,
                       json_schema_extra=TEXT_NOT_BLANK)
    # A participant id, a roster person id or a display name: none is longer than a person id.
    members: list[Annotated[Text, Field(min_length=1, max_length=PERSON_ID_MAX)]] = Field(
        min_length=1, max_length=GROUP_SIZE_MAX)


class GroupsRequest(InboundModel):
    groups: list[GroupRequest] = Field(max_length=GROUPS_MAX)


def _schedule_pairs(schema: dict[str, Any]) -> None:
    """The schedule's two times come together (a null is as good as leaving one out)."""
    def given(name: str) -> dict[str, Any]:
        return {"required": [name], "properties": {name: {"type": "number"}}}

    schema["allOf"] = [{"if": given("scheduled_start"), "then": given("scheduled_end")},
                       {"if": given("scheduled_end"), "then": given("scheduled_start")}]


class CreateSessionRequest(InboundModel):
    model_config = ConfigDict(json_schema_extra=_schedule_pairs)

    title: Text = Field(min_length=1, max_length=TITLE_MAX, json_schema_extra=TEXT_NOT_BLANK)
    goal: Text = Field(default="", max_length=GOAL_MAX)
    # At most the server's max session size: the OpenAPI document gives this server's bound.
    max_participants: Annotated[int, Field(ge=2), WHOLE_NUMBER] | None = None
    link_ttl_seconds: LinkTtl | None = None
    participants: list[PersonalLinkRequest] = Field(default_factory=list, max_length=ROSTER_MAX)
    groups: list[GroupRequest] = Field(default_factory=list, max_length=GROUPS_MAX)
    programme: Text = Field(default="", max_length=PROGRAMME_MAX)
    scheduled_start: Annotated[float, Field(ge=0, le=EPOCH_MAX)] | None = None
    scheduled_end: Annotated[float, Field(ge=0, le=EPOCH_MAX)] | None = None
    keep_chat: bool = False
    # Captions: off, live only (nothing kept) or keep a transcript (docs/PROTOCOL.md).
    captions: CaptionConsent = CaptionConsent.LIVE
    # Who waits for a mentor to let them in (absent: the server's setting).
    waiting_room: WaitingRoom | None = None
    # Its people must not see each other's network addresses: media only through the server,
    # signalling relay-only (docs/PROTOCOL.md, "Private addresses").
    private_addresses: bool = False

    @model_validator(mode="after")
    def _both_ends(self) -> CreateSessionRequest:
        if (self.scheduled_start is None) != (self.scheduled_end is None):
            raise ValueError("give both scheduled_start and scheduled_end, or neither")
        return self

    def plan(self, new_person_id: Callable[[], str], waiting_room: WaitingRoom) -> SessionPlan:
        """The session's plan: everyone asked a personal link for is on its roster."""
        schedule = None
        if self.scheduled_start is not None and self.scheduled_end is not None:
            schedule = Schedule(self.scheduled_start, self.scheduled_end)
        roster = tuple(
            RosterEntry(p.id or new_person_id(), " ".join(p.name.split()), p.role, p.email)
            for p in self.participants
        )
        return SessionPlan(programme=self.programme.strip(), schedule=schedule, roster=roster,
                           keep_chat=self.keep_chat, captions=self.captions,
                           waiting_room=self.waiting_room or waiting_room,
                           private_addresses=self.private_addresses)


class CreateLinkRequest(InboundModel):
    role: Role
    name: Text | None = Field(default=None, min_length=1, max_length=NAME_MAX,
                              json_schema_extra=NOT_BLANK)
    link_ttl_seconds: LinkTtl | None = None


def _one_link(schema: dict[str, Any]) -> None:
    """Exactly one of a role and a person id (a null is as good as leaving one out)."""
    def given(name: str) -> dict[str, Any]:
        return {"required": [name], "properties": {name: {"type": "string"}}}

    schema["oneOf"] = [given("role"), given("person_id")]


class RevokeLinkRequest(InboundModel):
    """Revoke a role's link or a roster person's personal link (exactly one of the two)."""

    model_config = ConfigDict(json_schema_extra=_one_link)

    role: Role | None = None
    person_id: Text | None = Field(default=None, min_length=1, max_length=PERSON_ID_MAX,
                                   json_schema_extra={"pattern": PERSON_ID_PATTERN})
    # Issue a new link in its place (it works; the old one does not).
    reissue: bool = True

    @model_validator(mode="after")
    def _one(self) -> RevokeLinkRequest:
        if (self.role is None) == (self.person_id is None):
            raise ValueError("give exactly one of 'role' and 'person_id'")
        return self

    def key(self) -> str:
        return f"role:{self.role.value}" if self.role is not None else f"person:{self.person_id}"


class PreviewRequest(InboundModel):
    token: Text = Field(min_length=1, max_length=TOKEN_MAX)


# -- REST responses (documented in the OpenAPI document) ------------------------------------------


class _Outbound(BaseModel):
    model_config = ConfigDict(frozen=True)


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
    participants: list[ParticipantWire]
    chat_messages: int
    captions: CaptionConsent
    locked: bool
    waiting_room: WaitingRoom
    private_addresses: bool = False


class SessionCreatedOut(_Outbound):
    session_id: str
    title: str
    goal: str
    state: SessionState
    created_at: float
    max_participants: int
    links_expire_at: float  # personal links
    role_links_expire_at: float  # default: a day after the scheduled end, if there is one
    join_urls: dict[Role, str]
    personal_links: list[PersonalLinkOut]
    private_addresses: bool = False


class LinkOut(_Outbound):
    role: Role
    name: str | None
    url: str
    expires_at: float


class RevokedLinkOut(_Outbound):
    revoked: str  # "role:<role>" or "person:<id>"
    url: str | None  # the link issued in its place, if asked for
    expires_at: float | None


class PreviewOut(_Outbound):
    session_id: str
    title: str
    goal: str
    role: Role
    name: str | None
    expires_at: float
    state: SessionState
    captions: CaptionConsent


def session_out(view: SessionView) -> SessionOut:
    return SessionOut(
        session_id=view.id,
        title=view.title,
        goal=view.goal,
        state=view.state,
        created_at=view.created_at,
        ended_at=view.ended_at,
        max_participants=view.max_participants,
        participants=[participant_wire(p) for p in view.participants],
        chat_messages=view.chat_messages,
        captions=CaptionConsent(view.captions),
        locked=view.locked,
        waiting_room=WaitingRoom(view.waiting_room),
        private_addresses=view.private_addresses,
    )

