"""A participant of a session and the lifecycle of their presence.

Rules of this module: presence changes only through ``Participant.move_to``, which checks the
transition table; a participant's id never changes, so reconnects stay one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.errors import InvalidPayload
from rooms.roles import Action, Role, can
from rooms.transitions import check_transition

NAME_MAX = 60
MAIN_ROOM = "main"


class Presence(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # dropped without saying goodbye; may come back
    LEFT = "left"  # left on purpose; may come back through their link


PRESENCE_TRANSITIONS: dict[Presence, frozenset[Presence]] = {
    # connected -> connected: the same person connects again (new tab, or a network change the
    # server has not noticed yet); the newer connection replaces the older one.
    Presence.CONNECTED: frozenset({Presence.CONNECTED, Presence.DISCONNECTED, Presence.LEFT}),
    Presence.DISCONNECTED: frozenset({Presence.CONNECTED, Presence.LEFT}),
    Presence.LEFT: frozenset({Presence.CONNECTED}),
}


def clean_name(raw: str) -> str:
    """A display name trimmed and checked: 1 to 60 characters, no control characters."""
    name = " ".join(raw.split())
    if not name:
        raise InvalidPayload("A display name is needed (1 to 60 characters).")
    if len(name) > NAME_MAX:
        raise InvalidPayload(f"A display name can be at most {NAME_MAX} characters long.")
    if any(not ch.isprintable() for ch in name):
        raise InvalidPayload("A display name cannot contain control characters.")
    return name


@dataclass(frozen=True, slots=True)
class ParticipantView:
    """What others may know of a participant at one moment."""

    id: str
    name: str
    role: Role
    presence: Presence
    audio: bool
    video: bool
    joined_at: float
    room: str

    def __post_init__(self) -> None:
        if not self.id:
            raise InvalidPayload("A participant needs an id.")
        if not can(self.role, Action.PUBLISH_MEDIA) and (self.audio or self.video):
            raise InvalidPayload(f"A participant with the role {self.role.value!r} sends no media.")


@dataclass(slots=True)
class Participant:
    id: str
    name: str
    role: Role
    joined_at: float
    connection_id: str | None
    presence: Presence = Presence.CONNECTED
    audio: bool = False
    video: bool = False
    room: str = MAIN_ROOM
    changed_at: float = 0.0
    reconnects: int = 0

    def move_to(self, presence: Presence, now: float) -> None:
        self.presence = check_transition(
            PRESENCE_TRANSITIONS, f"Participant {self.id}", self.presence, presence
        )
        self.changed_at = now

    def view(self) -> ParticipantView:
        return ParticipantView(
            id=self.id,
            name=self.name,
            role=self.role,
            presence=self.presence,
            audio=self.audio,
            video=self.video,
            joined_at=self.joined_at,
            room=self.room,
        )
