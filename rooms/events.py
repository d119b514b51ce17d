"""Events the domain returns; adapters deliver them (and may record them). Each carries its
session and the time it happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from rooms.chat import ChatMessage
from rooms.participant import ParticipantView

LeaveReason = Literal["left", "disconnected"]


class DomainEvent(Protocol):
    """What every event has, whichever module of the domain returns it."""

    @property
    def session_id(self) -> str: ...

    @property
    def at(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    session_id: str
    at: float
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantRejoined:
    session_id: str
    at: float
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantLeft:
    session_id: str
    at: float
    participant: ParticipantView
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class ParticipantUpdated:
    session_id: str
    at: float
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantMoved:
    """A participant changed room (breakouts, a mentor's visit, everyone coming back)."""

    session_id: str
    at: float
    participant: ParticipantView
    from_room: str
    connection_id: str | None


@dataclass(frozen=True, slots=True)
class ChatPosted:
    session_id: str
    at: float
    message: ChatMessage


@dataclass(frozen=True, slots=True)
class ConnectionReplaced:
    """A participant connected again; their older connection must be closed."""

    session_id: str
    at: float
    participant_id: str
    connection_id: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    session_id: str
    at: float
    reason: str
    connection_ids: tuple[str, ...]


Event = (
    ParticipantJoined
    | ParticipantRejoined
    | ParticipantLeft
    | ParticipantUpdated
    | ParticipantMoved
    | ChatPosted
    | ConnectionReplaced
    | SessionEnded
)
