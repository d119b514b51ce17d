"""Lifecycle checking shared by every state machine in the domain."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from rooms.errors import IllegalTransition

S = TypeVar("S", bound=Enum)


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
