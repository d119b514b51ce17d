"""Running commands of the domain in tests, as a store would."""

from __future__ import annotations

from rooms.commands import Command
from rooms.events import Event
from rooms.session import Session


def run(s: Session, command: Command[object]) -> list[Event]:
    """Apply ``command`` to ``s``; the events it caused."""
    return list(command.apply(s).events)
