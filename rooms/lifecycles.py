"""Every lifecycle of the domain in one place: its states and the transitions it allows.

Rules of this module: a state changes only through ``check_transition`` with its table, so an
illegal change raises an error that says what was expected and what arrived.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import TypeVar

from rooms.errors import IllegalTransition

S = TypeVar("S", bound=Enum)


class SessionState(StrEnum):
    SCHEDULED = "scheduled"  # created, nobody has joined yet
    LIVE = "live"
    ENDED = "ended"


SESSION_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.SCHEDULED: frozenset({SessionState.LIVE, SessionState.ENDED}),
    SessionState.LIVE: frozenset({SessionState.ENDED}),
    SessionState.ENDED: frozenset(),
}


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


class BreakoutState(StrEnum):
    DRAFT = "draft"  # rooms exist, people are being assigned; nobody has moved yet
    OPEN = "open"  # people are in their rooms; a timer may run
    CLOSING = "closing"  # a short countdown before everyone returns to the main room
    CLOSED = "closed"


BREAKOUT_TRANSITIONS: dict[BreakoutState, frozenset[BreakoutState]] = {
    BreakoutState.DRAFT: frozenset({BreakoutState.OPEN, BreakoutState.CLOSED}),
    BreakoutState.OPEN: frozenset({BreakoutState.CLOSING}),
    BreakoutState.CLOSING: frozenset({BreakoutState.CLOSED}),
    BreakoutState.CLOSED: frozenset(),
}


def check_transition(
    table: Mapping[S, frozenset[S]], what: str, current: S, new: S
) -> S:
    """Return ``new`` if ``table`` allows ``current -> new``; raise a readable error otherwise."""
    allowed = table[current]
    if new not in allowed:
        expected = ", ".join(sorted(s.value for s in allowed)) or "nothing (final state)"
        raise IllegalTransition(
            f"{what} cannot go from {current.value!r} to {new.value!r}; "
            f"from {current.value!r} it can go to: {expected}"
        )
    return new
