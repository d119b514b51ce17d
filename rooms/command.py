"""The base of every command of a session: what applying one returns, and the media routes it
changed (``rooms.commands`` has the rules of the format and the catalogue of every command)."""

from __future__ import annotations

from typing import ClassVar, Generic, NamedTuple, TypeVar

from rooms import media
from rooms.events import Event
from rooms.session import Session

V = TypeVar("V", covariant=True)


class Outcome(NamedTuple, Generic[V]):
    """What a command returns: its value (for the acknowledgement) and the events it caused."""

    value: V
    events: tuple[Event, ...]


class Command(Generic[V]):
    """A command of a session; ``apply`` runs it."""

    __slots__ = ()
    # False for a command that only causes events and leaves the session as it was (a caption
    # line): a store need not keep it, as applying it again would change nothing.
    changes_session: ClassVar[bool] = True
    # False for a command that changes nobody's presence, room or captions and no fallback (chat,
    # hands, boards...): it cannot change a room's media route, so ``apply`` does not compare
    # the routes before and after it (which costs a pass over the session's people).
    # tests/rooms/test_media_routes_kept.py checks every such command against the comparison.
    can_move_media: ClassVar[bool] = True
    # False for a command a store must not keep as an entry of its journal (an erasure: the
    # entry would name whom it erased): it is kept as a snapshot of the session instead, which
    # deletes the session's earlier entries (they name them too).
    journaled: ClassVar[bool] = True

    def apply(self, s: Session) -> Outcome[V]:
        """Run the command; a room whose media route it changed is announced after its own
        events (``rooms.media``: a third person arriving moves the room to the server)."""
        at: float | None = getattr(self, "at", None)
        if at is None or not self.can_move_media:  # (the groups have no time: they move nobody)
            return self.outcome(s)
        before = s.media_routes()
        value, events = self.outcome(s)
        changed = media.route_changes(s, before, at)
        return Outcome(value, events + tuple(changed)) if changed else Outcome(value, events)

    def outcome(self, s: Session) -> Outcome[V]:
        raise NotImplementedError

    def for_journal(self) -> Command[V]:
        """The command as a store keeps it to replay: itself, unless it carries something the
        session's state does not need."""
        return self


def done(events: list[Event]) -> Outcome[None]:
    return Outcome(None, tuple(events))
