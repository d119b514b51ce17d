"""Socket.IO adapter for attendance: the recorder that turns domain events into ledger records,
and the participants' own attendance events (check-in, check-out, speaking, reactions, hands,
the live overview).

Every record names the participant and room the server knows for the connection: a client
never says who or where it is, so it cannot write records for someone else or for a room it is
not in. Each acknowledgement is sent only after its record is committed. Breakout rooms are
recorded as ``<round>:<room id>``, because room ids repeat from one round to the next.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from rooms.attendance import (
    MEDIA_AUDIO,
    MEDIA_VIDEO,
    Record,
    RecordKind,
    SessionInfo,
    summarize,
)
from rooms.breakout import BreakoutsChanged
from rooms.errors import IllegalTransition, InvalidPayload, NotAllowed, NotJoined
from rooms.events import (
    ChatPosted,
    DomainEvent,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantMoved,
    ParticipantRejoined,
    ParticipantUpdated,
    SessionEnded,
)
from rooms.participant import MAIN_ROOM, ParticipantView, Presence
from rooms.roles import Role
from rooms.roster import SessionPlan, SessionScheduled
from rooms.session import Session
from rooms.whiteboard import BoardCleared, BoardEdited
from server.attendance_wire import report_wire
from server.ledger import Ledger
from server.protocol import (
    CheckInPayload,
    CheckOutPayload,
    EmptyPayload,
    HandPayload,
    ReactionPayload,
    SpeakingPayload,
    parse,
)
from server.socketio_events import Ack, Connection, SocketGateway, managers_key, room_key

logger = logging.getLogger(__name__)

# Roles that see everyone's attendance in their session while it runs; others see their own.
OVERVIEW_ROLES = frozenset({Role.MENTOR, Role.ADMIN})
# A drawing client sends a board update every few tens of milliseconds: updates by one person
# less than this far apart are one whiteboard edit (one record).
BOARD_EDIT_GAP = 2.0


@dataclass(slots=True)
class _Known:
    """What the recorder last recorded about one participant."""

    room: str = MAIN_ROOM
    media: int = 0
    person_id: str | None = None
    speaking: bool = False
    hand: bool = False
    board_at: float = float("-inf")  # the last board update seen


@dataclass(slots=True)
class _Tracked:
    """A session the recorder has seen, while it runs. Dropped when the session ends."""

    plan: SessionPlan
    round: int = 0
    named_rooms: set[str] = field(default_factory=set)
    help_seen: set[tuple[str, float]] = field(default_factory=set)
    people: dict[str, _Known] = field(default_factory=dict)

    def room(self, raw: str) -> str:
        return MAIN_ROOM if raw == MAIN_ROOM else f"{self.round}:{raw}"

    def known(self, participant_id: str) -> _Known:
        k = self.people.get(participant_id)
        if k is None:
            k = self.people[participant_id] = _Known()
        return k


@dataclass(frozen=True, slots=True)
class _Me:
    participant_id: str
    role: Role
    room: str
    audio: bool


def _media_bits(p: ParticipantView) -> int:
    return (MEDIA_AUDIO if p.audio else 0) | (MEDIA_VIDEO if p.video else 0)


async def _nothing_to_send(event: Any, actor_sid: str | None) -> None:
    return None


@dataclass(slots=True)
class AttendanceEvents:
    gateway: SocketGateway
    ledger: Ledger
    tracked: dict[str, _Tracked] = field(default_factory=dict)
    finished: set[str] = field(default_factory=set)
    # Who has rated, per session: kept past the session's end (ratings come after leaving).
    # Sessions themselves stay in the in-memory store for the life of the process, so this
    # grows no faster than the store does.
    rated: dict[str, set[str]] = field(default_factory=dict)

    def register(self) -> None:
        gw, lim = self.gateway, self.gateway.settings.limits
        gw.handle("check_in", self.on_check_in, lim.checkin_rate, lim.checkin_burst)
        gw.handle("check_out", self.on_check_out, lim.checkin_rate, lim.checkin_burst)
        gw.handle("speaking", self.on_speaking, lim.speaking_rate, lim.speaking_burst)
        gw.handle("reaction", self.on_reaction, lim.reaction_rate, lim.reaction_burst)
        gw.handle("hand", self.on_hand, lim.reaction_rate, lim.reaction_burst)
        gw.handle("attendance", self.on_overview, lim.report_rate, lim.report_burst)
        gw.deliver_with(SessionScheduled, _nothing_to_send)
        gw.add_listener(self.record, required=True)

    # -- the recorder -----------------------------------------------------------------------------

    async def record(self, event: DomainEvent) -> None:
        """Keep what ``event`` tells about attendance; return once it is committed."""
        if isinstance(event, SessionScheduled):
            await self.ledger.put_session(SessionInfo(
                event.session_id, event.title, event.at, goal=event.goal,
                max_participants=event.max_participants, plan=event.plan))
            self.tracked[event.session_id] = _Tracked(event.plan)
            return
        if event.session_id in self.finished:
            return
        state = await self._track(event.session_id)
        if state is None:
            return
        records = self._records(state, event)
        if records:
            await self.ledger.append(records)
        if isinstance(event, SessionEnded):
            del self.tracked[event.session_id]
            self.finished.add(event.session_id)

    async def _track(self, session_id: str) -> _Tracked | None:
        """The session's tracking state; a session created without ``SessionScheduled`` (a test,
        a future store) is put in the ledger on its first event."""
        state = self.tracked.get(session_id)
        if state is not None or session_id in self.finished:
            return state

        def snapshot(s: Session) -> tuple[SessionInfo, int]:
            info = SessionInfo(s.id, s.title, s.created_at, goal=s.goal,
                               max_participants=s.max_participants, plan=s.plan)
            return info, s.breakouts.number if s.breakouts is not None else 0

        info, round_ = await self.gateway.store.read(session_id, snapshot)
        await self.ledger.put_session(info)
        state = self.tracked.setdefault(session_id, _Tracked(info.plan, round=round_))
        return state

    def _records(self, state: _Tracked, event: DomainEvent) -> list[Record]:
        sid, at = event.session_id, event.at
        if isinstance(event, ParticipantJoined | ParticipantRejoined):
            p = event.participant
            k = state.known(p.id)
            k.person_id = self._person(state, sid, p.id) or k.person_id
            k.room, k.media, k.speaking, k.hand = state.room(p.room), _media_bits(p), False, False
            kind = RecordKind.JOINED if isinstance(event, ParticipantJoined) else (
                RecordKind.REJOINED)
            return [Record(sid, at, kind, p.id, k.person_id, k.room, p.role, k.media, p.name)]
        if isinstance(event, ParticipantLeft):
            p = event.participant
            k = state.known(p.id)
            k.speaking = k.hand = False
            kind = RecordKind.LEFT if event.reason == "left" else RecordKind.DROPPED
            return [Record(sid, at, kind, p.id, k.person_id, state.room(p.room))]
        if isinstance(event, ParticipantMoved):
            p = event.participant
            k = state.known(p.id)
            k.room = state.room(p.room)
            return [Record(sid, at, RecordKind.MOVED, p.id, k.person_id, k.room,
                           text=state.room(event.from_room))]
        if isinstance(event, ParticipantUpdated):
            return self._updated(state, event)
        if isinstance(event, ChatPosted):
            m = event.message
            if m.broadcast and m.room != MAIN_ROOM:
                return []  # a broadcast is one message, posted once in every room
            k = state.known(m.sender_id)
            return [Record(sid, at, RecordKind.CHAT, m.sender_id, k.person_id,
                           state.room(m.room), value=len(m.text),
                           text=m.text if state.plan.keep_chat else None)]
        if isinstance(event, BreakoutsChanged):
            return self._breakouts(state, event)
        if isinstance(event, BoardEdited | BoardCleared):
            k = state.known(event.participant_id)
            burst_goes_on = at - k.board_at < BOARD_EDIT_GAP
            k.board_at = at
            if burst_goes_on:
                return []
            return [Record(sid, at, RecordKind.WHITEBOARD, event.participant_id, k.person_id,
                           state.room(event.room))]
        if isinstance(event, SessionEnded):
            return [Record(sid, at, RecordKind.SESSION_ENDED, text=event.reason[:200])]
        return []

    def _updated(self, state: _Tracked, event: ParticipantUpdated) -> list[Record]:
        p, sid, at = event.participant, event.session_id, event.at
        k = state.known(p.id)
        out = []
        room = state.room(p.room)
        if room != k.room:
            out.append(Record(sid, at, RecordKind.MOVED, p.id, k.person_id, room, text=k.room))
            k.room = room
        bits = _media_bits(p)
        if bits != k.media:
            out.append(Record(sid, at, RecordKind.MEDIA, p.id, k.person_id, room, value=bits))
            k.media = bits
        if k.speaking and not p.audio:  # muting ends speaking, whatever the client says next
            out.append(Record(sid, at, RecordKind.SPEAKING, p.id, k.person_id, room, value=0,
                              text="server"))
            k.speaking = False
        return out

    def _breakouts(self, state: _Tracked, event: BreakoutsChanged) -> list[Record]:
        sid, at, view = event.session_id, event.at, event.view
        state.round = view.round
        out = []
        for room in view.rooms:
            key = state.room(room.id)
            if key not in state.named_rooms:
                state.named_rooms.add(key)
                out.append(Record(sid, at, RecordKind.ROOM_NAMED, room=key, text=room.name,
                                  value=view.round))
        for h in view.help:
            if (h.participant_id, h.asked_at) not in state.help_seen:
                state.help_seen.add((h.participant_id, h.asked_at))
                k = state.known(h.participant_id)
                out.append(Record(sid, h.asked_at, RecordKind.HELP, h.participant_id,
                                  k.person_id, state.room(h.room)))
        return out

    def _person(self, state: _Tracked, session_id: str, participant_id: str) -> str | None:
        """The roster person a participant's join link was issued for, if it was personal."""
        for conn in self.gateway.connections.values():
            if conn.participant_id == participant_id and conn.claims.session_id == session_id:
                entry = state.plan.person_for_link(conn.claims.role, conn.claims.name)
                return entry.person_id if entry is not None else None
        return None

    # -- the participants' events ----------------------------------------------------------------

    async def _me(self, conn: Connection) -> tuple[_Me, _Tracked]:
        pid, sid = conn.participant_id, conn.claims.session_id

        def query(s: Session) -> _Me:
            p = s.participants.get(pid or "")
            if p is None or p.presence is not Presence.CONNECTED or p.connection_id != conn.sid:
                raise NotJoined("Join the session first.")
            return _Me(p.id, p.role, p.room, p.audio)

        me = await self.gateway.store.read(sid, query)
        state = await self._track(sid)
        if state is None:
            raise NotJoined("This session is over.")
        return me, state

    def _record(self, conn: Connection, me: _Me, state: _Tracked, kind: RecordKind,
                **values: Any) -> Record:
        k = state.known(me.participant_id)
        return Record(conn.claims.session_id, self.gateway.clock(), kind, me.participant_id,
                      k.person_id, state.room(me.room), **values)

    async def on_check_in(self, conn: Connection, data: Any) -> Ack:
        payload = parse(CheckInPayload, data)
        goal = payload.goal.strip()
        if not goal:
            raise InvalidPayload("goal: write what you want from this session, or skip it.")
        me, state = await self._me(conn)
        record = self._record(conn, me, state, RecordKind.CHECK_IN, text=goal)
        await self.ledger.append([record])
        return {"ok": True, "check_in": {"goal": goal, "at": record.at}}

    async def on_check_out(self, conn: Connection, data: Any) -> Ack:
        payload = parse(CheckOutPayload, data)
        me, _ = await self._me(conn)
        await self.check_out(conn.claims.session_id, me.participant_id, payload)
        return {"ok": True, "anonymous": payload.anonymous}

    async def check_out(self, session_id: str, participant_id: str,
                        payload: CheckOutPayload) -> None:
        """Record a participant's rating once, during the session or after leaving it (the
        REST path, with their resume credential). Returns once it is committed."""
        room = await self.gateway.store.read(
            session_id, lambda s: s.participant(participant_id).room)
        state = await self._track(session_id) or _Tracked(SessionPlan())
        rated = self.rated.setdefault(session_id, set())
        if participant_id in rated:
            raise IllegalTransition("You have already rated this session.")
        comment = (payload.comment or "").strip() or None
        now = self.gateway.clock()
        if payload.anonymous:
            # Nothing in the record says who gave it: not the participant, role or room.
            record = Record(session_id, now, RecordKind.CHECK_OUT, value=payload.rating,
                            text=comment)
        else:
            k = state.known(participant_id)
            record = Record(session_id, now, RecordKind.CHECK_OUT, participant_id, k.person_id,
                            state.room(room), value=payload.rating, text=comment)
        rated.add(participant_id)
        try:
            await self.ledger.append([record])
        except BaseException:
            rated.discard(participant_id)
            raise

    async def on_speaking(self, conn: Connection, data: Any) -> Ack:
        payload = parse(SpeakingPayload, data)
        me, state = await self._me(conn)
        if payload.speaking and not me.audio:
            raise NotAllowed("Your microphone is off, so you cannot be speaking.")
        k = state.known(me.participant_id)
        if k.speaking == payload.speaking:
            return {"ok": True, "recorded": False}
        k.speaking = payload.speaking
        await self.ledger.append([self._record(conn, me, state, RecordKind.SPEAKING,
                                               value=int(payload.speaking), text="client")])
        # mentors see who is speaking in every room (their overview), without anyone's audio
        await self.gateway.sio.emit(
            "participant_speaking",
            {"participant_id": me.participant_id, "speaking": payload.speaking},
            room=managers_key(conn.claims.session_id),
        )
        return {"ok": True, "recorded": True}

    async def on_reaction(self, conn: Connection, data: Any) -> Ack:
        payload = parse(ReactionPayload, data)
        me, state = await self._me(conn)
        record = self._record(conn, me, state, RecordKind.REACTION, text=payload.reaction)
        await self.ledger.append([record])
        await self.gateway.sio.emit(
            "reaction",
            {"participant_id": me.participant_id, "reaction": payload.reaction, "at": record.at},
            room=room_key(conn.claims.session_id, me.room))
        return {"ok": True}

    async def on_hand(self, conn: Connection, data: Any) -> Ack:
        payload = parse(HandPayload, data)
        me, state = await self._me(conn)
        k = state.known(me.participant_id)
        if k.hand == payload.raised:
            return {"ok": True, "recorded": False}
        k.hand = payload.raised
        record = self._record(conn, me, state, RecordKind.HAND, value=int(payload.raised))
        await self.ledger.append([record])
        await self.gateway.sio.emit(
            "hand",
            {"participant_id": me.participant_id, "raised": payload.raised, "at": record.at},
            room=room_key(conn.claims.session_id, me.room))
        return {"ok": True, "recorded": True}

    async def on_overview(self, conn: Connection, data: Any) -> Ack:
        """The live attendance of this session: everyone's for mentors (and admins in the
        call), one's own for everyone else."""
        parse(EmptyPayload, data)
        me, state = await self._me(conn)
        sid = conn.claims.session_id
        info = await self.ledger.session(sid)
        records = await self.ledger.session_records(sid)
        report = summarize(info, records, now=self.gateway.clock(),
                           grace=self.gateway.settings.attendance_grace)
        if me.role in OVERVIEW_ROLES:
            return {"ok": True, "report": report_wire(report)}
        own = state.known(me.participant_id).person_id or me.participant_id
        return {"ok": True, "report": report_wire(report, only=own)}


def install(gateway: SocketGateway, ledger: Ledger) -> AttendanceEvents:
    events = AttendanceEvents(gateway, ledger)
    events.register()
    return events
