"""Breakout rooms: one round at a time, from draft to open to closing to closed.

Rules of this module: the round's lifecycle changes only through ``_move_to``, which checks
``BREAKOUT_TRANSITIONS``; a participant is in exactly one room at any moment (their ``room``
field), and every change of it returns a ``ParticipantMoved`` event (and lowers a raised hand:
a hand belongs to the room it was raised in). Room ids carry the round (``"2:b1"``), so nothing
of one round's rooms is found under the next round's. Time is passed in; the caller asks
``next_deadline()`` when to call ``tick(now)`` so that warnings and closings happen on time.
Permission checks are the session's job; this module trusts its caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rooms.errors import IllegalTransition, InvalidPayload, NotAllowed, UnknownParticipant
from rooms.events import (
    BreakoutsChanged,
    BreakoutWarning,
    Event,
    HandChanged,
    HelpRequested,
    ParticipantMoved,
)
from rooms.lifecycles import BREAKOUT_TRANSITIONS, BreakoutState, Presence, check_transition
from rooms.participant import Participant
from rooms.roles import Action, Role, can
from rooms.room import MAIN_ROOM, MAIN_ROOM_NAME, ROOM_NAME_MAX, breakout_room_id
from rooms.roster import RosterEntry
from rooms.views import BreakoutView, HelpView, RoomRef, RoomView

MAX_ROOMS = 50
DURATION_MIN = 60.0
DURATION_MAX = 4 * 3600.0
WARNING_SECONDS = 60.0
RETURN_COUNTDOWN_DEFAULT = 10.0
RETURN_COUNTDOWN_MAX = 60.0
GROUPS_MAX = 50
GROUP_SIZE_MAX = 25
AUTO_ASSIGNED_ROLES = frozenset({Role.MENTOR, Role.MENTEE})


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def member_key(p: Participant) -> str:
    """How a group recognises a participant: a roster person by their person id (from their
    personal link), anyone else by their display name."""
    return f"person:{p.person_id}" if p.person_id is not None else name_key(p.name)


@dataclass(frozen=True, slots=True)
class Group:
    """A pre-defined group (for example a programme's mentor-mentee pair): participant ids or
    display names, matched when the group is used."""

    name: str
    members: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > ROOM_NAME_MAX:
            raise InvalidPayload(f"A group needs a name of 1 to {ROOM_NAME_MAX} characters.")
        if not self.members or len(self.members) > GROUP_SIZE_MAX:
            raise InvalidPayload(f"A group needs 1 to {GROUP_SIZE_MAX} members.")


@dataclass(frozen=True, slots=True)
class BreakoutRoom:
    id: str
    name: str


@dataclass(slots=True)
class BreakoutRound:
    session_id: str
    number: int
    rooms: dict[str, BreakoutRoom]
    allow_choice: bool = False
    state: BreakoutState = BreakoutState.DRAFT
    assignments: dict[str, str] = field(default_factory=dict)  # participant id -> room id
    pending_names: dict[str, str] = field(default_factory=dict)  # group member name -> room id
    help: dict[str, HelpView] = field(default_factory=dict)
    duration: float | None = None
    opened_at: float | None = None
    ends_at: float | None = None
    warned: bool = False
    closing_ends_at: float | None = None

    @classmethod
    def create(
        cls,
        *,
        session_id: str,
        number: int,
        count: int | None = None,
        names: Sequence[str] = (),
        allow_choice: bool = False,
    ) -> BreakoutRound:
        """Rooms named ``names``, or ``count`` numbered rooms ("Room 1", ...)."""
        if names:
            if count is not None and count != len(names):
                raise InvalidPayload("Give either a number of rooms or their names, not both.")
            labels = [" ".join(n.split()) for n in names]
        elif count is not None:
            labels = [f"Room {i}" for i in range(1, count + 1)]
        else:
            raise InvalidPayload("Say how many breakout rooms to create, or name them.")
        if not 1 <= len(labels) <= MAX_ROOMS:
            raise InvalidPayload(f"Create between 1 and {MAX_ROOMS} breakout rooms.")
        for label in labels:
            if not label or len(label) > ROOM_NAME_MAX:
                raise InvalidPayload(f"A room name has 1 to {ROOM_NAME_MAX} characters.")
        if len({name_key(label) for label in labels}) != len(labels):
            raise InvalidPayload("Two breakout rooms cannot have the same name.")
        rooms = {}
        for i, label in enumerate(labels, 1):
            room_id = breakout_room_id(number, i)
            rooms[room_id] = BreakoutRoom(room_id, label)
        return cls(session_id=session_id, number=number, rooms=rooms, allow_choice=allow_choice)

    # -- lifecycle --------------------------------------------------------------------------------

    def _move_to(self, state: BreakoutState) -> None:
        self.state = check_transition(BREAKOUT_TRANSITIONS, "The breakout round", self.state, state)

    @property
    def active(self) -> bool:
        return self.state is not BreakoutState.CLOSED

    def open(
        self, participants: Mapping[str, Participant], duration: float | None, now: float
    ) -> list[Event]:
        if duration is not None and not DURATION_MIN <= duration <= DURATION_MAX:
            raise InvalidPayload(
                f"A breakout lasts between {int(DURATION_MIN)} and {int(DURATION_MAX)} seconds, "
                "or has no time limit."
            )
        self._move_to(BreakoutState.OPEN)
        self.duration = duration
        self.opened_at = now
        self.ends_at = None if duration is None else now + duration
        events: list[Event] = []
        for pid, room in self.assignments.items():
            p = participants.get(pid)
            if p is not None and p.presence is not Presence.LEFT:
                events.extend(relocate(self.session_id, p, room, now))
        return [*events, self.changed(participants, now)]

    def adjust(self, participants: Mapping[str, Participant], add_seconds: float,
               now: float) -> list[Event]:
        """Extend (positive) or shorten (negative) an open round's time."""
        if self.state is not BreakoutState.OPEN:
            raise IllegalTransition("Only open breakout rooms have time to extend or shorten.")
        base = self.ends_at if self.ends_at is not None else now
        new_end = max(now, base + add_seconds)
        if new_end - now > DURATION_MAX:
            raise InvalidPayload(f"Breakouts can run at most {int(DURATION_MAX)} seconds more.")
        self.ends_at = new_end
        self.warned = new_end - now <= WARNING_SECONDS and self.warned
        return [self.changed(participants, now), *self.tick(participants, now)]

    def close(self, participants: Mapping[str, Participant], countdown: float,
              now: float) -> list[Event]:
        if not 0 <= countdown <= RETURN_COUNTDOWN_MAX:
            raise InvalidPayload(
                f"The return countdown is 0 to {int(RETURN_COUNTDOWN_MAX)} seconds."
            )
        if self.state is BreakoutState.DRAFT:
            raise IllegalTransition("These breakout rooms are not open; discard the draft instead.")
        self._move_to(BreakoutState.CLOSING)
        self.closing_ends_at = now + countdown
        return [self.changed(participants, now), *self.tick(participants, now)]

    def terminate(self) -> None:
        """The session ended: the round ends with it, by its legal steps."""
        if self.state is BreakoutState.OPEN:
            self._move_to(BreakoutState.CLOSING)
        if self.state is not BreakoutState.CLOSED:
            self._move_to(BreakoutState.CLOSED)
        self.help.clear()

    def discard(self, participants: Mapping[str, Participant], now: float) -> list[Event]:
        if self.state is not BreakoutState.DRAFT:
            raise IllegalTransition("Only a draft can be discarded; close open rooms instead.")
        self._move_to(BreakoutState.CLOSED)
        return [self.changed(participants, now)]

    def next_deadline(self) -> float | None:
        """When ``tick`` must next be called, or None when no timer runs."""
        if self.state is BreakoutState.OPEN and self.ends_at is not None:
            return self.ends_at if self.warned else self.ends_at - WARNING_SECONDS
        if self.state is BreakoutState.CLOSING:
            return self.closing_ends_at
        return None

    def tick(self, participants: Mapping[str, Participant], now: float) -> list[Event]:
        """Warn, start closing or bring everyone back, as the time ``now`` requires."""
        events: list[Event] = []
        if self.state is BreakoutState.OPEN and self.ends_at is not None:
            if not self.warned and now >= self.ends_at - WARNING_SECONDS:
                self.warned = True
                events.append(BreakoutWarning(self.session_id, now, self.ends_at))
            if now >= self.ends_at:
                self._move_to(BreakoutState.CLOSING)
                self.closing_ends_at = self.ends_at + RETURN_COUNTDOWN_DEFAULT
                events.append(self.changed(participants, now))
        if (
            self.state is BreakoutState.CLOSING
            and self.closing_ends_at is not None
            and now >= self.closing_ends_at
        ):
            self._move_to(BreakoutState.CLOSED)
            self.help.clear()
            for p in participants.values():
                if p.room != MAIN_ROOM:
                    events.extend(relocate(self.session_id, p, MAIN_ROOM, now))
            events.append(self.changed(participants, now))
        return events

    # -- assignment -------------------------------------------------------------------------------

    def room_id(self, room: str) -> str:
        if room not in self.rooms:
            raise InvalidPayload(f"There is no breakout room {room!r} in this round.")
        return room

    def room_ref(self, room: str) -> RoomRef:
        found = self.rooms.get(room)
        if found is None:
            return RoomRef(MAIN_ROOM, MAIN_ROOM_NAME)
        return RoomRef(found.id, found.name)

    def _require_assignable(self) -> None:
        if self.state not in (BreakoutState.DRAFT, BreakoutState.OPEN):
            raise IllegalTransition(
                f"People can be assigned while the rooms are draft or open, not {self.state.value}."
            )

    def assign(self, participants: Mapping[str, Participant], participant_id: str,
               room: str | None, now: float) -> list[Event]:
        """Put a person in a room (``None``: back to no room). Open rounds move them at once."""
        self._require_assignable()
        moves = self._assign(participants, participant_id, room, now)
        return [*moves, self.changed(participants, now)]

    def _assign(self, participants: Mapping[str, Participant], participant_id: str,
                room: str | None, now: float) -> list[Event]:
        p = participants.get(participant_id)
        if p is None:
            raise UnknownParticipant("There is no such participant in this session.")
        if room is None:
            self.assignments.pop(participant_id, None)
            target = MAIN_ROOM
        else:
            self.assignments[participant_id] = target = self.room_id(room)
        if self.state is not BreakoutState.OPEN or p.presence is Presence.LEFT:
            return []
        self.help.pop(participant_id, None)
        return relocate(self.session_id, p, target, now)

    def auto_assign(self, participants: Mapping[str, Participant], order: Sequence[str],
                    now: float) -> list[Event]:
        """Spread ``order`` (ids, already shuffled by the caller) evenly over the rooms: room
        sizes differ by at most one. Only connected mentors and mentees are taken: observers and
        admins stay where they are unless moved by hand."""
        self._require_assignable()
        room_ids = list(self.rooms)
        chosen = [
            pid for pid in order
            if (p := participants.get(pid)) is not None
            and p.presence is Presence.CONNECTED
            and p.role in AUTO_ASSIGNED_ROLES
        ]
        events: list[Event] = []
        for i, pid in enumerate(chosen):
            events.extend(self._assign(participants, pid, room_ids[i % len(room_ids)], now))
        return [*events, self.changed(participants, now)]

    def assign_groups(self, participants: Mapping[str, Participant], groups: Sequence[Group],
                      now: float, roster: Sequence[RosterEntry] = ()) -> list[Event]:
        """Assign each group's members to the room of the same position; members not present yet
        are remembered and placed when they join. A member who is a roster person (named by
        their person id or their roster name) is recognised only by their personal link, never
        by a name someone types; anyone else by their display name."""
        self._require_assignable()
        if len(groups) > len(self.rooms):
            raise InvalidPayload(
                f"There are {len(groups)} groups but only {len(self.rooms)} rooms."
            )
        people = {key: f"person:{e.person_id}" for e in roster
                  for key in (e.person_id, name_key(e.name))}
        present = {member_key(p): p.id for p in participants.values()}
        events: list[Event] = []
        for group, room in zip(groups, self.rooms, strict=False):
            for member in group.members:
                key = people.get(member) or people.get(name_key(member)) or name_key(member)
                pid = member if member in participants else present.get(key)
                if pid is None:
                    self.pending_names[key] = room
                else:
                    events.extend(self._assign(participants, pid, room, now))
        return [*events, self.changed(participants, now)]

    def choose(self, participants: Mapping[str, Participant], participant_id: str, room: str,
               now: float) -> list[Event]:
        if not self.allow_choice:
            raise NotAllowed("The mentor assigns the rooms in this round; you cannot choose one.")
        return self.assign(participants, participant_id, room, now)

    def place_newcomer(self, participants: Mapping[str, Participant], p: Participant,
                       now: float) -> list[Event]:
        """A person joining during the round goes to their pre-assigned room, if any."""
        room = self.assignments.get(p.id) or self.pending_names.pop(member_key(p), None)
        if room is None or not self.active:
            return []
        self.assignments[p.id] = room
        if self.state is not BreakoutState.OPEN:
            return [self.changed(participants, now)]
        return [*relocate(self.session_id, p, room, now), self.changed(participants, now)]

    # -- during the round -------------------------------------------------------------------------

    def visit(self, participants: Mapping[str, Participant], p: Participant, room: str,
              now: float) -> list[Event]:
        """A mentor goes into a room (or back to the main room); it answers help asked there."""
        if self.state is not BreakoutState.OPEN:
            raise IllegalTransition("Rooms can be visited only while they are open.")
        target = MAIN_ROOM if room == MAIN_ROOM else self.room_id(room)
        events: list[Event] = list(relocate(self.session_id, p, target, now))
        for pid, request in list(self.help.items()):
            if request.room == target:
                del self.help[pid]
        return [*events, self.changed(participants, now)]

    def ask_help(self, participants: Mapping[str, Participant], p: Participant,
                 now: float) -> list[Event]:
        if self.state is not BreakoutState.OPEN or p.room == MAIN_ROOM:
            raise IllegalTransition("Help can be asked from inside an open breakout room.")
        if p.id in self.help:
            return []
        self.help[p.id] = HelpView(p.id, p.room, now)
        return [HelpRequested(self.session_id, now, p.id, p.person_id, p.room),
                self.changed(participants, now)]

    def withdraw_help(self, participants: Mapping[str, Participant], p: Participant,
                      now: float) -> list[Event]:
        if self.help.pop(p.id, None) is None:
            return []
        return [self.changed(participants, now)]

    # -- views ------------------------------------------------------------------------------------

    def view(self, participants: Iterable[Participant]) -> BreakoutView:
        people = list(participants)
        return BreakoutView(
            round=self.number,
            state=self.state,
            rooms=tuple(
                RoomView(
                    id=room.id,
                    name=room.name,
                    members=tuple(p.id for p in people
                                  if p.room == room.id and p.presence is Presence.CONNECTED),
                    assigned=tuple(pid for pid, r in self.assignments.items() if r == room.id),
                )
                for room in self.rooms.values()
            ),
            allow_choice=self.allow_choice,
            duration=self.duration,
            opened_at=self.opened_at,
            ends_at=self.ends_at,
            closing_ends_at=self.closing_ends_at,
            help=tuple(self.help.values()),
        )

    def changed(self, participants: Mapping[str, Participant], now: float) -> BreakoutsChanged:
        return BreakoutsChanged(self.session_id, now, self.view(participants.values()))


def relocate(session_id: str, p: Participant, room: str, now: float) -> list[Event]:
    """Put ``p`` in ``room``; events if that is a change (a raised hand comes down first: it was
    raised to the people of the room being left)."""
    if p.room == room:
        return []
    before = p.room
    events: list[Event] = []
    if p.hand_raised_at is not None:
        p.hand_raised_at = None
        events.append(HandChanged(session_id, now, p.id, p.person_id, before, False))
    p.screen = False  # a share was for the room being left
    p.room = room
    p.entered = None  # (a stay in the new room: its history position follows, ``entered_at``)
    p.changed_at = now
    events.append(ParticipantMoved(session_id, now, p.view(), before, p.connection_id))
    return events


def manages(role: Role) -> bool:
    return can(role, Action.MANAGE_BREAKOUTS)
