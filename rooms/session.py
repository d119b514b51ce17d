"""A mentoring session: who is in it and where, their chat, the breakout round, and what each
person did in it (hands, speaking, check-in, rating, whiteboard).

Rules of this module: every command takes ``now`` and returns the events it caused; nothing here
reads a clock, draws a random number or touches the network. Ids for new participants and random
orders are passed in by the caller, so that a command applied again to the same session gives the
same result (``rooms.snapshot`` relies on it). A command checks everything before it changes
anything: a refused command leaves the session as it was. A participant's connection id is opaque
here: it is only compared, so that a late notice about an old connection never affects the newer
one. Queries return frozen views.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rooms.breakout import GROUPS_MAX, BreakoutRound, Group
from rooms.chat import ChatLog, ChatMessage
from rooms.errors import (
    AlreadyJoined,
    IllegalTransition,
    InvalidPayload,
    MediaLocked,
    NoDirectConnection,
    NotJoined,
    NotSameRoom,
    SessionEnded,
    SessionFull,
    UnknownParticipant,
)
from rooms.events import (
    ChatPosted,
    ConnectionReplaced,
    Declined,
    Event,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantMoved,
    ParticipantRejoined,
    ParticipantUpdated,
    SessionScheduled,
    SpeakingChanged,
)
from rooms.events import SessionEnded as SessionEndedEvent
from rooms.lifecycles import (
    SESSION_TRANSITIONS,
    BreakoutState,
    Presence,
    SessionState,
    check_transition,
)
from rooms.participant import Participant, Waiter, clean_name
from rooms.roles import Action, Role, can, require
from rooms.room import MAIN_ROOM, MAIN_ROOM_NAME, MediaRoute, media_route
from rooms.roster import SessionPlan
from rooms.views import (
    BreakoutView,
    JoinView,
    MemberView,
    ParticipantView,
    RoomEntered,
    RoomRef,
    SessionView,
    SignalRoute,
)
from rooms.whiteboard import ALL_BOARDS, pair_key

TITLE_MAX = 200
GOAL_MAX = 2000
MIN_PARTICIPANTS = 2
# A participant who dropped keeps their seat this long, so that their reconnect is never refused
# because someone else took the last place meanwhile.
SEAT_HOLD_SECONDS = 60.0
# Everyone a session keeps (present or not: a participant who left may come back as themselves),
# or twice its seats if that is more. Each is in every join's acknowledgement and in the
# session's snapshots: a link's holder who joined and left over and over as someone new would
# grow them without end.
PARTICIPANTS_KEPT_MAX = 500


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
    groups: tuple[Group, ...] = ()
    breakouts: BreakoutRound | None = None
    plan: SessionPlan = field(default_factory=SessionPlan)
    board_shown: str | None = None  # a breakout board shown in the main room
    # Rooms whose media goes through the server because a direct connection failed there; it
    # holds until the room has had fewer than two people connected (``rooms.media``).
    media_fallback: set[str] = field(default_factory=set)
    # Rooms where a mentor lets several people share their screen at once.
    screens_many: set[str] = field(default_factory=set)
    # Moderation (``rooms.moderation``): nobody new comes in while locked; people waiting for a
    # mentor to let them in, by the id they get once admitted; who was removed (participant ids
    # and ``person:<id>`` of roster people), who wait if they come back; and each join link's
    # generation (``role:<role>`` or ``person:<id>``): a link of an older one was revoked.
    locked: bool = False
    waiting: dict[str, Waiter] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    link_generations: dict[str, int] = field(default_factory=dict)
    # How many times each room's board was deleted (``ALL_BOARDS``: every board of the session
    # at once): a page's copy of a board of an earlier generation is of a deleted board
    # (``board_generation``), and nothing of it may be sent back.
    board_deletions: dict[str, int] = field(default_factory=dict)

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

    def last_used(self) -> float:
        """When the session was last used, or is meant to be (the retention period counts from
        it): the latest of its creation, its scheduled end, its end, its people's last joins
        and leaves and its last chat message; ``inf`` while someone is connected or waiting."""
        if self.waiting or any(p.presence is Presence.CONNECTED
                               for p in self.participants.values()):
            return float("inf")
        times = [self.created_at, self.ended_at or 0.0]
        if self.plan.schedule is not None:
            times.append(self.plan.schedule.end)
        times.extend(max(p.joined_at, p.changed_at) for p in self.participants.values())
        times.extend(m.sent_at for m in self.chat)
        return max(times)

    def scheduled(self) -> SessionScheduled:
        """The event announcing this session and its plan (roster, schedule) to recorders."""
        return SessionScheduled(
            self.id, self.created_at, self.title, self.goal, self.max_participants, self.plan
        )

    # -- presence ---------------------------------------------------------------------------------

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
        link_name: str | None = None,
        transcript_notice: bool = False,
    ) -> tuple[JoinView, list[Event]]:
        """Admit a person over ``connection_id``: as the participant they were, or as a new one.

        ``resume_participant_id`` (from a resume credential the caller has verified) brings back
        the same participant if they exist with the same role. If the session no longer knows
        that id (it was restored from before a restart that lost it), the person comes back
        under it, so that their records stay one timeline. Otherwise a new participant with
        ``new_participant_id`` is created. ``link_name`` is the name signed into a personal
        link: it says which roster person a new participant is, and a personal link never
        brings back another roster person's participant. ``transcript_notice``: their
        page showed them that this session keeps a transcript (``rooms.captions``). Whether they
        see captions, and whether they are transcribed, stays as it was across reconnects.
        """
        if self.state is SessionState.ENDED:
            raise SessionEnded("This session has ended.")
        name = clean_name(name)
        if not can(role, Action.PUBLISH_MEDIA):
            audio = video = False
        for p in self.participants.values():
            if p.connection_id == connection_id and p.connected:
                raise AlreadyJoined("This connection has already joined the session.")

        returning = self.participants.get(resume_participant_id or "")
        if returning is not None and returning.role is not role:
            returning = None
        if returning is not None and link_name is not None:
            # A personal link is its own person's, whoever used the browser before: another
            # roster person's resume credential does not make its holder them.
            entry = self.plan.person_for_link(role, link_name)
            if entry is not None and returning.person_id != entry.person_id:
                returning = None
        if returning is None:
            return self._admit(connection_id, role, name, new_participant_id, audio, video, now,
                               resume_participant_id, link_name, transcript_notice)
        events: list[Event] = []
        if returning.connected and returning.connection_id is not None:
            events.append(ConnectionReplaced(self.id, now, returning.id, returning.connection_id))
        else:
            self._require_seat(now, exclude=returning.id)
        returning.move_to(Presence.CONNECTED, now)
        returning.connection_id = connection_id
        returning.name = name
        returning.audio = audio and not returning.audio_locked
        returning.video = video and not returning.video_locked
        returning.off_air()
        returning.told_transcript = returning.told_transcript or transcript_notice
        returning.reconnects += 1
        self._go_live()
        placed = self._place(returning, now)
        view = returning.view()
        events.append(ParticipantRejoined(self.id, now, view))
        return self.join_view(returning.id, rejoined=True), [*events, *placed]

    def _admit(self, connection_id: str, role: Role, name: str, new_id: str, audio: bool,
               video: bool, now: float, resume_id: str | None, link_name: str | None,
               transcript_notice: bool) -> tuple[JoinView, list[Event]]:
        self._require_seat(now, exclude=None)
        kept_max = max(PARTICIPANTS_KEPT_MAX, 2 * self.max_participants)
        if len(self.participants) >= kept_max:
            raise SessionFull(f"This session has had {kept_max} people in it, as many as it "
                              "keeps; only those who were in it can join again.")
        pid = new_id
        if resume_id is not None and resume_id not in self.participants:
            pid = resume_id
        if pid in self.participants:
            raise InvalidPayload("Participant id already in use.")
        entry = self.plan.person_for_link(role, link_name)
        # A roster person coming in on another device (or after clearing their browser) keeps
        # the locks a mentor put on them.
        kin = [p for p in self.participants.values()
               if entry is not None and p.person_id == entry.person_id]
        audio_locked = any(p.audio_locked for p in kin)
        video_locked = any(p.video_locked for p in kin)
        participant = Participant(
            id=pid,
            name=name,
            role=role,
            joined_at=now,
            connection_id=connection_id,
            person_id=entry.person_id if entry is not None else None,
            audio=audio and not audio_locked,
            video=video and not video_locked,
            changed_at=now,
            told_transcript=transcript_notice,
            audio_locked=audio_locked,
            video_locked=video_locked,
        )
        self.participants[participant.id] = participant
        self._go_live()
        placed = self._place(participant, now)
        joined = ParticipantJoined(self.id, now, participant.view())
        return self.join_view(participant.id, rejoined=resume_id == pid), [joined, *placed]

    def leave(self, participant_id: str, connection_id: str, now: float) -> list[Event]:
        """The participant leaves on purpose: a raised hand comes down with them."""
        p = self.connected(participant_id, connection_id)
        p.move_to(Presence.LEFT, now)
        p.connection_id = None
        p.hand_raised_at = None
        p.off_air()
        return [ParticipantLeft(self.id, now, p.view(), "left"), *self.breakouts_refreshed(now)]

    def disconnect(self, participant_id: str, connection_id: str, now: float) -> list[Event]:
        """The connection dropped. A notice about a connection that was already replaced or
        closed changes nothing. A raised hand stays up: the person is likely back in a moment."""
        p = self.participants.get(participant_id)
        if p is None or not p.connected or p.connection_id != connection_id:
            return []
        p.move_to(Presence.DISCONNECTED, now)
        p.connection_id = None
        p.off_air()
        return [
            ParticipantLeft(self.id, now, p.view(), "disconnected"),
            *self.breakouts_refreshed(now),
        ]

    def server_restarted(self, now: float) -> list[Event]:
        """The server stopped and started again: nobody is connected any more. Everything else
        (rooms, the round and its timer, chat, hands) stays as it was, for people coming back."""
        events: list[Event] = []
        for p in self.participants.values():
            if p.connected:
                p.move_to(Presence.DISCONNECTED, now)
                p.connection_id = None
                p.off_air()
                events.append(ParticipantLeft(self.id, now, p.view(), "server_restart"))
        self.waiting.clear()  # their connections are gone; they come back and wait again
        return events

    def end(self, reason: str, now: float) -> list[Event]:
        if self.state is SessionState.ENDED:
            raise SessionEnded("This session has already ended.")
        self.state = check_transition(
            SESSION_TRANSITIONS, f"Session {self.id}", self.state, SessionState.ENDED
        )
        self.ended_at = now
        if self.breakouts is not None:
            self.breakouts.terminate()
        self.board_shown = None
        connections = []
        for p in self.participants.values():
            if p.connection_id is not None:
                connections.append(p.connection_id)
            if p.presence is not Presence.LEFT:
                p.move_to(Presence.LEFT, now)
            p.connection_id = None
            p.hand_raised_at = None
            p.off_air()
        self.media_fallback.clear()
        declined: list[Event] = [Declined(self.id, now, w.id, w.connection_id, "session_ended")
                                 for w in self.waiting.values()]
        self.waiting.clear()
        return [*declined, SessionEndedEvent(self.id, now, reason, tuple(connections))]

    # -- chat, media and signalling ---------------------------------------------------------------

    def post_chat(
        self, participant_id: str, connection_id: str, text: str, now: float,
        client_id: str | None = None,
    ) -> tuple[ChatMessage | None, list[Event]]:
        """Post a message to the sender's room. ``client_id`` is their page's id for it: a page
        that lost its connection before hearing back sends it again with the same id, and is
        given the message posted the first time (None if the history no longer holds it),
        without posting it again."""
        p = self.connected(participant_id, connection_id, action=Action.CHAT)
        if (earlier := p.sent_before(client_id)) is not None:
            return self.chat.find(abs(earlier)), []  # (negative: ``UnsentChat``)
        message = self.chat.append(
            sender_id=p.id, sender_name=p.name, sender_role=p.role, room=p.room, text=text, now=now
        )
        p.remember_sent(client_id, message.id)
        return message, [ChatPosted(self.id, now, message, p.person_id, self.plan.keep_chat)]

    def set_media(
        self, participant_id: str, connection_id: str, *, audio: bool, video: bool, now: float
    ) -> tuple[ParticipantView, list[Event]]:
        """Microphone and camera on or off; muting ends speaking."""
        p = self.connected(participant_id, connection_id)
        if audio or video:
            require(p.role, Action.PUBLISH_MEDIA)
        if (audio and not p.audio and p.audio_locked) or (video and not p.video and p.video_locked):
            raise MediaLocked("A mentor turned this off for you. Raise your hand to ask them to "
                              "let you turn it back on.")
        if (p.audio, p.video) == (audio, video):
            return p.view(), []
        p.audio, p.video = audio, video
        p.changed_at = now
        view = p.view()
        events: list[Event] = [ParticipantUpdated(self.id, now, view)]
        if p.speaking and not audio:
            p.speaking = False
            events.append(SpeakingChanged(self.id, now, p.id, p.person_id, p.room, False,
                                          "server"))
        return view, events

    def route_signal(self, sender_id: str, sender_connection: str,
                     target_id: str) -> SignalRoute:
        """Check that ``sender_id`` may signal ``target_id``: where it goes, and whether only
        relayed candidates may pass.

        Signalling hands each side the other's network addresses, so it passes only between two
        people who need a direct connection: at least one of them sends media, and in a room
        whose media goes through the server, both do (the pages of two who publish connect
        directly while they swap routes, or when the server cannot carry their media); someone
        who sends none (an observer, a captioner) receives it from the server there."""
        sender = self.connected(sender_id, sender_connection, action=Action.SIGNAL)
        if target_id == sender_id:
            raise InvalidPayload("A participant cannot signal themselves.")
        target = self.participant(target_id)
        if not target.connected or target.connection_id is None or target.room != sender.room:
            raise NotSameRoom("That participant is not connected in your room.")
        publishing = [can(p.role, Action.PUBLISH_MEDIA) for p in (sender, target)]
        if not any(publishing):
            raise NoDirectConnection(
                "Neither of you sends media, so there is no direct connection to set up.")
        if not all(publishing) and self.media_route(sender.room) is MediaRoute.SERVER:
            raise NoDirectConnection(
                "This room's media goes through the server, and one of you sends no media: "
                "there is no direct connection to set up.")
        return SignalRoute(target.connection_id, self.plan.private_addresses)

    # -- breakout rooms ---------------------------------------------------------------------------

    def set_groups(self, groups: tuple[Group, ...]) -> list[Event]:
        """The session's pre-defined groups (for example its mentor-mentee pairs)."""
        if len(groups) > GROUPS_MAX:
            raise InvalidPayload(f"A session can have at most {GROUPS_MAX} groups.")
        self.groups = tuple(groups)
        return []

    def next_round(self) -> int:
        return 1 if self.breakouts is None else self.breakouts.number + 1

    def round(self) -> BreakoutRound:
        """The active round; ``IllegalTransition`` when there is none."""
        if self.breakouts is None or not self.breakouts.active:
            raise IllegalTransition("There are no breakout rooms now; create them first.")
        return self.breakouts

    def manager(self, participant_id: str, connection_id: str) -> Participant:
        return self.connected(participant_id, connection_id, action=Action.MANAGE_BREAKOUTS)

    def breakout_broadcast(self, actor_id: str, connection_id: str, text: str, now: float,
                           client_id: str | None = None) -> list[Event]:
        """A mentor's message to every room at once, kept in each room's chat. ``client_id`` is
        their page's id for it: sent again with the same id (its answer lost with the
        connection), it is not posted again, whatever the round has become since."""
        actor = self.manager(actor_id, connection_id)
        if actor.sent_before(client_id) is not None:
            return []
        round_ = self.round()
        if round_.state not in (BreakoutState.OPEN, BreakoutState.CLOSING):
            raise IllegalTransition("Broadcasts go to open breakout rooms; open them first.")
        posted = [self.chat.append(sender_id=actor.id, sender_name=actor.name,
                                   sender_role=actor.role, room=room, text=text, now=now,
                                   broadcast=True)
                  for room in [MAIN_ROOM, *round_.rooms]]
        actor.remember_sent(client_id, posted[0].id)
        return [ChatPosted(self.id, now, message, actor.person_id, self.plan.keep_chat)
                for message in posted]

    def tick(self, now: float) -> list[Event]:
        """Let the breakout timer act: warn, start closing, bring everyone back."""
        if self.breakouts is None:
            return []
        return self.breakouts.tick(self.participants, now)

    def next_deadline(self) -> float | None:
        return None if self.breakouts is None else self.breakouts.next_deadline()

    # -- queries ----------------------------------------------------------------------------------

    def participant_view(self, participant_id: str) -> ParticipantView:
        return self.participant(participant_id).view()

    def participant_views(self) -> tuple[ParticipantView, ...]:
        return tuple(p.view() for p in self.participants.values())

    def room_ref(self, room: str) -> RoomRef:
        """A room's id and the name people see (the main room for one no longer known)."""
        if room == MAIN_ROOM or self.breakouts is None:
            return RoomRef(MAIN_ROOM, MAIN_ROOM_NAME)
        return self.breakouts.room_ref(room)

    def room_entered(self, participant_id: str) -> RoomEntered:
        """The room a participant is in now, and its chat (what a mover is handed)."""
        p = self.participant(participant_id)
        return RoomEntered(self.room_ref(p.room), self.chat.in_room(p.room),
                           self.media_route(p.room).value, p.room in self.screens_many)

    def connected_in(self, room: str) -> int:
        return sum(1 for p in self.participants.values() if p.connected and p.room == room)

    def media_route(self, room: str) -> MediaRoute:
        return self.media_routes().get(room, MediaRoute.P2P)

    def media_routes(self) -> dict[str, MediaRoute]:
        """The route of every room somebody is connected in."""
        counts: dict[str, int] = {}
        captioned: set[str] = set()
        for p in self.participants.values():
            if p.connected:
                counts[p.room] = counts.get(p.room, 0) + 1
                if p.captions:
                    captioned.add(p.room)
        private = self.plan.private_addresses
        return {room: media_route(n, room in self.media_fallback, room in captioned, private)
                for room, n in counts.items()}

    def member(self, participant_id: str, connection_id: str, *, action: Action | None = None,
               room: str | None = None) -> MemberView:
        """A connected participant, with their room and session, checked as ``connected`` does
        (a feature's checks before it does anything)."""
        p = self.connected(participant_id, connection_id, action=action, room=room)
        return MemberView(p.view(), self.room_ref(p.room), self.title, pair_key(self.plan),
                          self.board_generation(p.room))

    def board_generation(self, room: str) -> int:
        """Which generation the board of ``room`` is of: it changes whenever it is deleted."""
        return self.board_deletions.get(ALL_BOARDS, 0) + self.board_deletions.get(room, 0)

    def breakout_view(self) -> BreakoutView | None:
        if self.breakouts is None:
            return None
        return self.breakouts.view(self.participants.values())

    def speaking_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.participants.values() if p.speaking)

    def join_view(self, participant_id: str, *, rejoined: bool) -> JoinView:
        p = self.participant(participant_id)
        return JoinView(
            participant=p.view(),
            rejoined=rejoined,
            session=self.view(),
            room=self.room_ref(p.room),
            chat=self.chat.in_room(p.room),
            breakouts=self.breakout_view(),
            speaking=self.speaking_ids() if can(p.role, Action.MANAGE_BREAKOUTS) else (),
            check_in=p.check_in,
            rated=p.rated,
            media_route=self.media_route(p.room).value,
            screens_many=p.room in self.screens_many,
            waiting=(tuple(w.view() for w in self.waiting.values())
                     if can(p.role, Action.MODERATE) else ()),
        )

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
            participants=self.participant_views(),
            chat_messages=len(self.chat),
            captions=self.plan.captions.value,
            locked=self.locked,
            waiting_room=self.plan.waiting_room.value,
            private_addresses=self.plan.private_addresses,
        )

    # -- internals --------------------------------------------------------------------------------

    def participant(self, participant_id: str) -> Participant:
        """The participant with this id, connected or not; ``UnknownParticipant`` if none. For
        commands of this package only (it hands out the entity)."""
        p = self.participants.get(participant_id)
        if p is None:
            raise UnknownParticipant("There is no such participant in this session.")
        return p

    def _place(self, p: Participant, now: float) -> list[Event]:
        """Put a (re)joining person in their breakout room if the round has one for them. Their
        join event carries the room, so no separate move is announced."""
        if self.breakouts is None or not self.breakouts.active:
            return []
        placed = self.breakouts.place_newcomer(self.participants, p, now)
        if not placed:
            return [self.breakouts.changed(self.participants, now)]
        return [e for e in placed if not isinstance(e, ParticipantMoved)]

    def breakouts_refreshed(self, now: float) -> list[Event]:
        if self.breakouts is None or not self.breakouts.active:
            return []
        return [self.breakouts.changed(self.participants, now)]

    def connected(self, participant_id: str, connection_id: str, *,
                  action: Action | None = None, room: str | None = None) -> Participant:
        """The participant behind this connection; ``NotJoined`` unless they are connected over
        it, ``NotAllowed`` unless their role permits ``action``, ``NotSameRoom`` unless they are
        in ``room``. For commands of this package only (it hands out the entity)."""
        p = self.participants.get(participant_id)
        if p is None or not p.connected or p.connection_id != connection_id:
            raise NotJoined("Join the session first.")
        if action is not None:
            require(p.role, action)
        if room is not None and p.room != room:
            raise NotSameRoom(
                f"Your board is the one of your room ({p.room!r}), not {room!r}; sync it again."
            )
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

