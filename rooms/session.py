"""A mentoring session: who is in it, their presence, their chat, and who may signal whom.

Rules of this module: every command takes ``now`` and returns the events it caused; nothing here
reads a clock, draws a random number or touches the network. Ids for new participants are passed
in by the caller. A participant's connection id is opaque here: it is only compared, so that a late
notice about an old connection never affects the newer one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rooms.breakout import (
    GROUPS_MAX,
    BreakoutEvent,
    BreakoutRound,
    BreakoutState,
    BreakoutView,
    Group,
)
from rooms.chat import ChatLog, ChatMessage
from rooms.errors import (
    AlreadyJoined,
    IllegalTransition,
    InvalidPayload,
    NotJoined,
    NotSameRoom,
    SessionEnded,
    SessionFull,
    UnknownParticipant,
)
from rooms.events import (
    ChatPosted,
    ConnectionReplaced,
    Event,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantMoved,
    ParticipantRejoined,
    ParticipantUpdated,
)
from rooms.events import SessionEnded as SessionEndedEvent
from rooms.participant import MAIN_ROOM, Participant, ParticipantView, Presence, clean_name
from rooms.roles import Action, Role, can, require
from rooms.roster import SessionPlan, SessionScheduled
from rooms.transitions import check_transition

TITLE_MAX = 200
GOAL_MAX = 2000
MIN_PARTICIPANTS = 2
# A participant who dropped keeps their seat this long, so that their reconnect is never refused
# because someone else took the last place meanwhile.
SEAT_HOLD_SECONDS = 60.0

AnyEvent = Event | BreakoutEvent


class SessionState(StrEnum):
    SCHEDULED = "scheduled"  # created, nobody has joined yet
    LIVE = "live"
    ENDED = "ended"


SESSION_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.SCHEDULED: frozenset({SessionState.LIVE, SessionState.ENDED}),
    SessionState.LIVE: frozenset({SessionState.ENDED}),
    SessionState.ENDED: frozenset(),
}


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


@dataclass(slots=True)
class Session:
    """One mentoring session. Create it with ``Session.create`` so that its fields are checked."""

    id: str
    title: str
    goal: str
    created_at: float
    max_participants: int
    state: SessionState = SessionState.SCHEDULED
    ended_at: float | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    chat: ChatLog = field(default_factory=ChatLog)
    groups: list[Group] = field(default_factory=list)
    breakouts: BreakoutRound | None = None
    plan: SessionPlan = field(default_factory=SessionPlan)

    @classmethod
    def create(
        cls,
        *,
        session_id: str,
        title: str,
        goal: str = "",
        max_participants: int,
        now: float,
        plan: SessionPlan | None = None,
    ) -> Session:
        title = " ".join(title.split())
        if not title:
            raise InvalidPayload("A session needs a title.")
        if len(title) > TITLE_MAX:
            raise InvalidPayload(f"A session title can be at most {TITLE_MAX} characters long.")
        if len(goal) > GOAL_MAX:
            raise InvalidPayload(f"A session goal can be at most {GOAL_MAX} characters long.")
        if max_participants < MIN_PARTICIPANTS:
            raise InvalidPayload(f"A session needs room for at least {MIN_PARTICIPANTS} people.")
        return cls(
            id=session_id,
            title=title,
            goal=goal.strip(),
            created_at=now,
            max_participants=max_participants,
            plan=plan or SessionPlan(),
        )

    def scheduled(self) -> SessionScheduled:
        """The event announcing this session and its plan (roster, schedule) to recorders."""
        return SessionScheduled(
            self.id, self.created_at, self.title, self.goal, self.max_participants, self.plan
        )

    # -- commands -------------------------------------------------------------------------------

    def join(
        self,
        *,
        connection_id: str,
        role: Role,
        name: str,
        new_participant_id: str,
        audio: bool,
        video: bool,
        now: float,
        resume_participant_id: str | None = None,
    ) -> tuple[ParticipantView, list[AnyEvent]]:
        """Admit a person over ``connection_id``: as the participant they were, or as a new one.

        ``resume_participant_id`` (from a resume credential the caller has verified) brings back
        the same participant if they exist with the same role. If the session no longer knows
        that id (it was restored after a restart), the person comes back under it, so that their
        records stay one timeline. Otherwise a new participant with ``new_participant_id`` is
        created.
        """
        if self.state is SessionState.ENDED:
            raise SessionEnded("This session has ended.")
        name = clean_name(name)
        if not can(role, Action.PUBLISH_MEDIA):
            audio = video = False
        for p in self.participants.values():
            if p.connection_id == connection_id and p.presence is Presence.CONNECTED:
                raise AlreadyJoined("This connection has already joined the session.")

        returning = self.participants.get(resume_participant_id or "")
        if returning is not None and returning.role is not role:
            returning = None
        events: list[AnyEvent] = []
        if returning is None:
            self._require_seat(now, exclude=None)
            pid = new_participant_id
            if resume_participant_id is not None and resume_participant_id not in self.participants:
                pid = resume_participant_id
            participant = Participant(
                id=pid,
                name=name,
                role=role,
                joined_at=now,
                connection_id=connection_id,
                audio=audio,
                video=video,
                changed_at=now,
            )
            if participant.id in self.participants:
                raise InvalidPayload("Participant id already in use.")
            self.participants[participant.id] = participant
            self._go_live()
            placed = self._place(participant, now)
            view = participant.view()
            events.append(ParticipantJoined(self.id, now, view))
            return view, [*events, *placed]

        if returning.presence is Presence.CONNECTED and returning.connection_id is not None:
            events.append(ConnectionReplaced(self.id, now, returning.id, returning.connection_id))
        else:
            self._require_seat(now, exclude=returning.id)
        returning.move_to(Presence.CONNECTED, now)
        returning.connection_id = connection_id
        returning.name = name
        returning.audio = audio
        returning.video = video
        returning.reconnects += 1
        self._go_live()
        placed = self._place(returning, now)
        view = returning.view()
        events.append(ParticipantRejoined(self.id, now, view))
        return view, [*events, *placed]

    def leave(self, participant_id: str, connection_id: str, now: float) -> list[AnyEvent]:
        """The participant leaves on purpose."""
        p = self._connected(participant_id, connection_id)
        p.move_to(Presence.LEFT, now)
        p.connection_id = None
        return [ParticipantLeft(self.id, now, p.view(), "left"), *self._breakouts_refreshed(now)]

    def disconnect(self, participant_id: str, connection_id: str, now: float) -> list[AnyEvent]:
        """The connection dropped. A notice about a connection that was already replaced or
        closed changes nothing."""
        p = self.participants.get(participant_id)
        if p is None or p.presence is not Presence.CONNECTED or p.connection_id != connection_id:
            return []
        p.move_to(Presence.DISCONNECTED, now)
        p.connection_id = None
        return [
            ParticipantLeft(self.id, now, p.view(), "disconnected"),
            *self._breakouts_refreshed(now),
        ]

    def post_chat(
        self, participant_id: str, connection_id: str, text: str, now: float
    ) -> tuple[ChatMessage, list[Event]]:
        p = self._connected(participant_id, connection_id)
        require(p.role, Action.CHAT)
        message = self.chat.append(
            sender_id=p.id, sender_name=p.name, sender_role=p.role, room=p.room, text=text, now=now
        )
        return message, [ChatPosted(self.id, now, message)]

    def set_media(
        self, participant_id: str, connection_id: str, *, audio: bool, video: bool, now: float
    ) -> tuple[ParticipantView, list[Event]]:
        p = self._connected(participant_id, connection_id)
        if audio or video:
            require(p.role, Action.PUBLISH_MEDIA)
        if (p.audio, p.video) == (audio, video):
            return p.view(), []
        p.audio, p.video = audio, video
        p.changed_at = now
        view = p.view()
        return view, [ParticipantUpdated(self.id, now, view)]

    def route_signal(self, sender_id: str, sender_connection: str, target_id: str) -> str:
        """Check that ``sender_id`` may signal ``target_id``; return the target's connection id."""
        sender = self._connected(sender_id, sender_connection)
        require(sender.role, Action.SIGNAL)
        if target_id == sender_id:
            raise InvalidPayload("A participant cannot signal themselves.")
        target = self.participants.get(target_id)
        if target is None:
            raise UnknownParticipant("There is no such participant in this session.")
        if (
            target.presence is not Presence.CONNECTED
            or target.connection_id is None
            or target.room != sender.room
        ):
            raise NotSameRoom("That participant is not connected in your room.")
        return target.connection_id

    def end(self, reason: str, now: float) -> list[Event]:
        self.state = check_transition(
            SESSION_TRANSITIONS, f"Session {self.id}", self.state, SessionState.ENDED
        )
        self.ended_at = now
        if self.breakouts is not None:
            self.breakouts.terminate()
        connections = []
        for p in self.participants.values():
            if p.connection_id is not None:
                connections.append(p.connection_id)
            if p.presence is not Presence.LEFT:
                p.move_to(Presence.LEFT, now)
            p.connection_id = None
        return [SessionEndedEvent(self.id, now, reason, tuple(connections))]

    # -- breakout rooms -------------------------------------------------------------------------

    def set_groups(self, groups: list[Group]) -> None:
        """The session's pre-defined groups (for example its mentor-mentee pairs)."""
        if len(groups) > GROUPS_MAX:
            raise InvalidPayload(f"A session can have at most {GROUPS_MAX} groups.")
        self.groups = list(groups)

    def breakout_create(
        self,
        actor_id: str,
        connection_id: str,
        *,
        count: int | None,
        names: list[str],
        allow_choice: bool,
        from_groups: bool,
        now: float,
    ) -> list[AnyEvent]:
        self._manager(actor_id, connection_id)
        if self.breakouts is not None and self.breakouts.active:
            raise IllegalTransition(
                "Breakout rooms already exist; close or discard them before creating new ones."
            )
        if from_groups:
            if not self.groups:
                raise InvalidPayload("This session has no pre-defined groups to make rooms from.")
            if count is not None or names:
                raise InvalidPayload("Rooms made from groups take the groups' names.")
            names = [g.name for g in self.groups]
        number = 1 if self.breakouts is None else self.breakouts.number + 1
        self.breakouts = BreakoutRound.create(
            session_id=self.id, number=number, count=count, names=names,
            allow_choice=allow_choice,
        )
        if from_groups:
            return list(self.breakouts.assign_groups(self.participants, self.groups, now))
        return [self.breakouts.changed(self.participants, now)]

    def breakout_assign(self, actor_id: str, connection_id: str, participant_id: str,
                        room: str | None, now: float) -> list[AnyEvent]:
        self._manager(actor_id, connection_id)
        return list(self._round().assign(self.participants, participant_id, room, now))

    def breakout_auto_assign(self, actor_id: str, connection_id: str, order: list[str],
                             now: float) -> list[AnyEvent]:
        """Assign everyone who can join breakouts, except the mentor doing it, in ``order``
        (shuffled by the caller) evenly over the rooms."""
        self._manager(actor_id, connection_id)
        order = [pid for pid in order if pid != actor_id]
        return list(self._round().auto_assign(self.participants, order, now))

    def breakout_open(self, actor_id: str, connection_id: str, duration: float | None,
                      now: float) -> list[AnyEvent]:
        self._manager(actor_id, connection_id)
        return list(self._round().open(self.participants, duration, now))

    def breakout_adjust(self, actor_id: str, connection_id: str, add_seconds: float,
                        now: float) -> list[AnyEvent]:
        self._manager(actor_id, connection_id)
        return list(self._round().adjust(self.participants, add_seconds, now))

    def breakout_close(self, actor_id: str, connection_id: str, countdown: float,
                       now: float) -> list[AnyEvent]:
        self._manager(actor_id, connection_id)
        return list(self._round().close(self.participants, countdown, now))

    def breakout_discard(self, actor_id: str, connection_id: str, now: float) -> list[AnyEvent]:
        self._manager(actor_id, connection_id)
        return list(self._round().discard(self.participants, now))

    def breakout_broadcast(self, actor_id: str, connection_id: str, text: str,
                           now: float) -> list[AnyEvent]:
        """A mentor's message to every room at once, kept in each room's chat."""
        actor = self._manager(actor_id, connection_id)
        round_ = self._round()
        if round_.state not in (BreakoutState.OPEN, BreakoutState.CLOSING):
            raise IllegalTransition("Broadcasts go to open breakout rooms; open them first.")
        events: list[AnyEvent] = []
        for room in [MAIN_ROOM, *round_.rooms]:
            message = self.chat.append(
                sender_id=actor.id, sender_name=actor.name, sender_role=actor.role, room=room,
                text=text, now=now, broadcast=True,
            )
            events.append(ChatPosted(self.id, now, message))
        return events

    def breakout_visit(self, actor_id: str, connection_id: str, room: str,
                       now: float) -> list[AnyEvent]:
        actor = self._manager(actor_id, connection_id)
        return list(self._round().visit(self.participants, actor, room, now))

    def breakout_choose(self, participant_id: str, connection_id: str, room: str,
                        now: float) -> list[AnyEvent]:
        p = self._connected(participant_id, connection_id)
        require(p.role, Action.JOIN_BREAKOUTS)
        return list(self._round().choose(self.participants, p.id, room, now))

    def help_request(self, participant_id: str, connection_id: str, now: float) -> list[AnyEvent]:
        p = self._connected(participant_id, connection_id)
        require(p.role, Action.JOIN_BREAKOUTS)
        return list(self._round().ask_help(self.participants, p, now))

    def help_withdraw(self, participant_id: str, connection_id: str,
                      now: float) -> list[AnyEvent]:
        p = self._connected(participant_id, connection_id)
        return list(self._round().withdraw_help(self.participants, p, now))

    def tick(self, now: float) -> list[AnyEvent]:
        """Let the breakout timer act: warn, start closing, bring everyone back."""
        if self.breakouts is None:
            return []
        return list(self.breakouts.tick(self.participants, now))

    def next_deadline(self) -> float | None:
        return None if self.breakouts is None else self.breakouts.next_deadline()

    def breakout_view(self) -> BreakoutView | None:
        if self.breakouts is None:
            return None
        return self.breakouts.view(self.participants.values())

    # -- queries --------------------------------------------------------------------------------

    def participant(self, participant_id: str) -> Participant:
        p = self.participants.get(participant_id)
        if p is None:
            raise UnknownParticipant("There is no such participant in this session.")
        return p

    def participant_views(self) -> list[ParticipantView]:
        return [p.view() for p in self.participants.values()]

    def chat_history(self, participant_id: str) -> list[ChatMessage]:
        """The chat a participant may read: the messages of the room they are in."""
        return self.chat.in_room(self.participant(participant_id).room)

    def present_count(self, now: float) -> int:
        return sum(1 for p in self.participants.values() if self._holds_seat(p, now))

    def view(self) -> SessionView:
        return SessionView(
            id=self.id,
            title=self.title,
            goal=self.goal,
            state=self.state,
            created_at=self.created_at,
            ended_at=self.ended_at,
            max_participants=self.max_participants,
            participants=tuple(self.participant_views()),
            chat_messages=len(self.chat),
        )

    # -- internals ------------------------------------------------------------------------------

    def _manager(self, participant_id: str, connection_id: str) -> Participant:
        p = self._connected(participant_id, connection_id)
        require(p.role, Action.MANAGE_BREAKOUTS)
        return p

    def _round(self) -> BreakoutRound:
        if self.breakouts is None or not self.breakouts.active:
            raise IllegalTransition("There are no breakout rooms now; create them first.")
        return self.breakouts

    def _place(self, p: Participant, now: float) -> list[AnyEvent]:
        """Put a (re)joining person in their breakout room if the round has one for them. Their
        join event carries the room, so no separate move is announced."""
        if self.breakouts is None or not self.breakouts.active:
            return []
        placed = self.breakouts.place_newcomer(self.participants, p, now)
        if not placed:
            return [self.breakouts.changed(self.participants, now)]
        return [e for e in placed if not isinstance(e, ParticipantMoved)]

    def _breakouts_refreshed(self, now: float) -> list[AnyEvent]:
        if self.breakouts is None or not self.breakouts.active:
            return []
        return [self.breakouts.changed(self.participants, now)]

    def _connected(self, participant_id: str, connection_id: str) -> Participant:
        p = self.participants.get(participant_id)
        if p is None or p.presence is not Presence.CONNECTED or p.connection_id != connection_id:
            raise NotJoined("Join the session first.")
        return p

    @staticmethod
    def _holds_seat(p: Participant, now: float) -> bool:
        if p.presence is Presence.CONNECTED:
            return True
        return p.presence is Presence.DISCONNECTED and now - p.changed_at < SEAT_HOLD_SECONDS

    def _require_seat(self, now: float, exclude: str | None) -> None:
        present = sum(
            1 for p in self.participants.values() if p.id != exclude and self._holds_seat(p, now)
        )
        if present >= self.max_participants:
            raise SessionFull(
                f"This session is full ({self.max_participants} people). "
                "Try again when someone leaves."
            )

    def _go_live(self) -> None:
        if self.state is SessionState.SCHEDULED:
            self.state = check_transition(
                SESSION_TRANSITIONS, f"Session {self.id}", self.state, SessionState.LIVE
            )
