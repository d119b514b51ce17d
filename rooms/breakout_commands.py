"""The breakout commands of a session: groups, a round's creation, assignment, opening, timing,
closing, broadcasts, visits and help (the rules of ``rooms.commands`` hold here too; they are
part of its ``COMMAND_TYPES``)."""

from __future__ import annotations

from dataclasses import dataclass

from rooms import media
from rooms.breakout import BreakoutRound, Group
from rooms.command import Command, Outcome, done
from rooms.errors import IllegalTransition, InvalidPayload
from rooms.events import Event, RoomsCreated
from rooms.roles import Action
from rooms.session import Session
from rooms.views import BreakoutView


@dataclass(frozen=True, slots=True)
class SetGroups(Command[None]):
    groups: tuple[Group, ...]

    def outcome(self, s: Session) -> Outcome[None]:
        return done(s.set_groups(self.groups))


class _Breakouts(Command["BreakoutView | None"]):
    """A breakout command: its value is the round as it now is."""

    __slots__ = ()

    def outcome(self, s: Session) -> Outcome[BreakoutView | None]:
        events = self.run(s)
        return Outcome(s.breakout_view(), tuple(events))

    def run(self, s: Session) -> list[Event]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class BreakoutCreate(_Breakouts):
    participant_id: str
    connection_id: str
    count: int | None
    names: tuple[str, ...]
    allow_choice: bool
    from_groups: bool
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        if s.breakouts is not None and s.breakouts.active:
            raise IllegalTransition(
                "Breakout rooms already exist; close or discard them before creating new ones."
            )
        names = list(self.names)
        if self.from_groups:
            if not s.groups:
                raise InvalidPayload("This session has no pre-defined groups to make rooms from.")
            if self.count is not None or names:
                raise InvalidPayload("Rooms made from groups take the groups' names.")
            names = [g.name for g in s.groups]
        round_ = BreakoutRound.create(session_id=s.id, number=s.next_round(), count=self.count,
                                      names=names, allow_choice=self.allow_choice)
        created = RoomsCreated(s.id, self.at, round_.number,
                               tuple((r.id, r.name) for r in round_.rooms.values()))
        if self.from_groups and len(s.groups) > len(round_.rooms):
            raise InvalidPayload(
                f"There are {len(s.groups)} groups but only {len(round_.rooms)} rooms.")
        s.breakouts = round_
        media.rooms_replaced(s)
        if self.from_groups:
            return [created, *round_.assign_groups(s.participants, s.groups, self.at,
                                                   s.plan.roster)]
        return [created, round_.changed(s.participants, self.at)]


@dataclass(frozen=True, slots=True)
class BreakoutAssign(_Breakouts):
    participant_id: str
    connection_id: str
    target_id: str
    room: str | None
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().assign(s.participants, self.target_id, self.room, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutAutoAssign(_Breakouts):
    """Everyone who can join breakouts, except the mentor doing it, spread evenly in ``order``
    (participant ids, shuffled by the caller)."""

    participant_id: str
    connection_id: str
    order: tuple[str, ...]
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        order = [pid for pid in self.order if pid != self.participant_id]
        return s.round().auto_assign(s.participants, order, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutOpen(_Breakouts):
    participant_id: str
    connection_id: str
    duration: float | None
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().open(s.participants, self.duration, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutAdjust(_Breakouts):
    participant_id: str
    connection_id: str
    add_seconds: float
    at: float
    # Their page's id for this change: sent again with it (its answer lost with the
    # connection), it is not applied again.
    client_id: str | None = None

    def run(self, s: Session) -> list[Event]:
        actor = s.manager(self.participant_id, self.connection_id)
        if actor.sent_before(self.client_id) is not None:
            return []
        events = s.round().adjust(s.participants, self.add_seconds, self.at)
        actor.remember_sent(self.client_id)
        return events


@dataclass(frozen=True, slots=True)
class BreakoutClose(_Breakouts):
    participant_id: str
    connection_id: str
    countdown: float
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().close(s.participants, self.countdown, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutDiscard(_Breakouts):
    participant_id: str
    connection_id: str
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().discard(s.participants, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutBroadcast(_Breakouts):
    participant_id: str
    connection_id: str
    text: str
    at: float
    client_id: str | None = None  # as ``BreakoutAdjust``'s

    def run(self, s: Session) -> list[Event]:
        return s.breakout_broadcast(self.participant_id, self.connection_id, self.text, self.at,
                                    self.client_id)


@dataclass(frozen=True, slots=True)
class BreakoutVisit(_Breakouts):
    participant_id: str
    connection_id: str
    room: str
    at: float

    def run(self, s: Session) -> list[Event]:
        actor = s.manager(self.participant_id, self.connection_id)
        return s.round().visit(s.participants, actor, self.room, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutChoose(_Breakouts):
    participant_id: str
    connection_id: str
    room: str
    at: float

    def run(self, s: Session) -> list[Event]:
        p = s.connected(self.participant_id, self.connection_id, action=Action.JOIN_BREAKOUTS)
        return s.round().choose(s.participants, p.id, self.room, self.at)


@dataclass(frozen=True, slots=True)
class HelpRequest(_Breakouts):
    participant_id: str
    connection_id: str
    at: float

    def run(self, s: Session) -> list[Event]:
        p = s.connected(self.participant_id, self.connection_id, action=Action.JOIN_BREAKOUTS)
        return s.round().ask_help(s.participants, p, self.at)


@dataclass(frozen=True, slots=True)
class HelpWithdraw(_Breakouts):
    participant_id: str
    connection_id: str
    at: float

    def run(self, s: Session) -> list[Event]:
        p = s.connected(self.participant_id, self.connection_id)
        return s.round().withdraw_help(s.participants, p, self.at)


@dataclass(frozen=True, slots=True)
class Tick(Command[None]):
    """The breakout timer's turn: warn, start closing, bring everyone back."""

    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(s.tick(self.at))
