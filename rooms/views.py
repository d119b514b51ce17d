"""What queries of the domain return: frozen views, never the entities the session mutates.

Rules of this module: a view is a copy taken at one moment; holding one never lets anybody change
the session, and a view taken before a command still says what it said.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms.chat import ChatMessage
from rooms.errors import InvalidPayload
from rooms.lifecycles import BreakoutState, Presence, SessionState
from rooms.roles import Action, Role, can


@dataclass(frozen=True, slots=True)
class ParticipantView:
    """What others may know of a participant at one moment (``person_id`` stays on the server:
    it names the roster person for records, and is not sent to other participants)."""

    id: str
    name: str
    role: Role
    presence: Presence
    audio: bool
    video: bool
    joined_at: float
    room: str
    person_id: str | None = None
    hand_raised_at: float | None = None
    screen: bool = False
    captions: bool = False
    transcribed: bool = True
    caption_source: str = "server"
    # A mentor muted them (or stopped their camera) and keeps it so until they allow it again.
    audio_locked: bool = False
    video_locked: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidPayload("A participant needs an id.")
        if not can(self.role, Action.PUBLISH_MEDIA) and (self.audio or self.video):
            raise InvalidPayload(f"A participant with the role {self.role.value!r} sends no media.")


@dataclass(frozen=True, slots=True)
class WaiterView:
    """Someone in the waiting room, as mentors see them."""

    id: str
    name: str
    role: Role
    since: float
    returning: bool  # they were in the session before
    removed_before: bool  # a mentor removed them earlier


@dataclass(frozen=True, slots=True)
class WaitingView:
    """What a person sent to the waiting room is told: that they wait, and for which session."""

    waiter: WaiterView
    session: SessionView


@dataclass(frozen=True, slots=True)
class CheckInView:
    """What a person said they want from the session, and when; ``shared``: they chose to show
    it to their mentor (admins read it either way)."""

    goal: str
    at: float
    shared: bool = False


@dataclass(frozen=True, slots=True)
class RoomRef:
    """A room's id and the name people see."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class RoomView:
    id: str
    name: str
    members: tuple[str, ...]  # connected participants in the room now
    assigned: tuple[str, ...]  # participants assigned to it (present or not)


@dataclass(frozen=True, slots=True)
class HelpView:
    participant_id: str
    room: str
    asked_at: float


@dataclass(frozen=True, slots=True)
class BreakoutView:
    round: int
    state: BreakoutState
    rooms: tuple[RoomView, ...]
    allow_choice: bool
    duration: float | None
    opened_at: float | None
    ends_at: float | None
    closing_ends_at: float | None
    help: tuple[HelpView, ...]


@dataclass(frozen=True, slots=True)
class SessionView:
    id: str
    title: str
    goal: str
    state: SessionState
    created_at: float
    ended_at: float | None
    max_participants: int
    participants: tuple[ParticipantView, ...]
    chat_messages: int
    captions: str = "live"  # the session's ``CaptionConsent``
    locked: bool = False  # nobody new comes in
    waiting_room: str = "off"  # the session's ``WaitingRoom``
    private_addresses: bool = False  # its people must not see each other's network addresses


@dataclass(frozen=True, slots=True)
class MemberView:
    """One connected participant as a feature needs them: who, in which room, in which session."""

    participant: ParticipantView
    room: RoomRef
    session_title: str
    pair_key: str | None
    board_generation: int = 0  # of the board of their room (``Session.board_generation``)


@dataclass(frozen=True, slots=True)
class JoinView:
    """Everything a person needs on joining (or coming back): themselves, the session, their
    room and its chat, the breakout round, and what they have already done in the session."""

    participant: ParticipantView
    rejoined: bool
    session: SessionView
    room: RoomRef
    chat: tuple[ChatMessage, ...]
    breakouts: BreakoutView | None
    speaking: tuple[str, ...]  # who is speaking now, for those who oversee every room
    check_in: CheckInView | None
    rated: bool
    media_route: str = "p2p"  # a ``MediaRoute`` of their room
    screens_many: bool = False  # whether several may share screens at once in their room
    waiting: tuple[WaiterView, ...] = ()  # who waits to be let in, for those who admit people


@dataclass(frozen=True, slots=True)
class RoomEntered:
    """What a person moved to another room needs: the room, its chat, its media route and
    whether several may share their screens there."""

    room: RoomRef
    chat: tuple[ChatMessage, ...]
    media_route: str = "p2p"
    screens_many: bool = False


@dataclass(frozen=True, slots=True)
class SignalRoute:
    """Where a participant's signalling goes (the target's connection), and whether only
    candidates relayed by a TURN server may be passed on (a session whose people must not see
    each other's addresses)."""

    connection_id: str
    relay_only: bool
