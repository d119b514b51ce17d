"""Events the domain returns; adapters deliver them. Each names the room it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rooms.chat import ChatMessage
from rooms.participant import ParticipantView

LeaveReason = Literal["left", "disconnected"]


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    session_id: str
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantRejoined:
    session_id: str
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantLeft:
    session_id: str
    participant: ParticipantView
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class ParticipantUpdated:
    session_id: str
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ChatPosted:
    session_id: str
    message: ChatMessage


@dataclass(frozen=True, slots=True)
class ConnectionReplaced:
    """A participant connected again; their older connection must be closed."""

    session_id: str
    participant_id: str
    connection_id: str


@dataclass(frozen=True, slots=True)
class SessionEnded:
    session_id: str
    reason: str
    connection_ids: tuple[str, ...]


Event = (
    ParticipantJoined
    | ParticipantRejoined
    | ParticipantLeft
    | ParticipantUpdated
    | ChatPosted
    | ConnectionReplaced
    | SessionEnded
)
