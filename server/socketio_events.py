"""Socket.IO adapter: checks the join token at connect, parses each event, calls the domain and
delivers the events it returns. Every event is acknowledged, with an error when it fails.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import socketio

from media.ice import ice_servers_for
from rooms.chat import TEXT_MAX
from rooms.errors import (
    AlreadyJoined,
    InvalidPayload,
    NotJoined,
    NotRecorded,
    RateLimited,
    SessionNotFound,
    TandemError,
    UnknownEvent,
)
from rooms.errors import SessionEnded as SessionEndedError
from rooms.events import (
    ChatPosted,
    ConnectionReplaced,
    DomainEvent,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantRejoined,
    ParticipantUpdated,
    SessionEnded,
)
from rooms.participant import ParticipantView
from rooms.ratelimit import TokenBucket
from rooms.roles import Action, can
from rooms.session import AnyEvent, Session, SessionState
from server.protocol import (
    ChatPayload,
    EmptyPayload,
    JoinPayload,
    MediaStatePayload,
    SignalPayload,
    breakout_wire,
    error_ack,
    message_wire,
    parse,
    participant_wire,
    room_wire,
)
from server.settings import Settings
from server.store import SessionStore
from server.tokens import JoinClaims, issue_resume_token, verify_join_token, verify_resume_token

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
EventHandler = Callable[["Connection", Any], Awaitable[Ack]]
Listener = Callable[[DomainEvent], Awaitable[None]]
Deliverer = Callable[[Any, "str | None"], Awaitable[None]]
# After acknowledging `leave`, the server closes the connection if the client has not already.
LEAVE_CLOSE_DELAY = 1.0


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An inbound event: its handler and its own rate limit per connection."""

    handler: EventHandler
    rate: float
    burst: float
    needs_join: bool = True


@dataclass(slots=True)
class Connection:
    """One socket: what its join token allows, and who it became after `join`."""

    sid: str
    claims: JoinClaims
    participant_id: str | None = None
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def joined_id(self) -> str:
        """The participant this connection joined as; ``NotJoined`` before ``join``."""
        if self.participant_id is None:
            raise NotJoined("Join the session first.")
        return self.participant_id

    def allow(self, event: str, rate: float, burst: float, now: float) -> bool:
        """Spend one of this connection's tokens for ``event`` (each event has its own bucket)."""
        bucket = self.buckets.get(event)
        if bucket is None:
            bucket = self.buckets[event] = TokenBucket(rate, burst)
        return bucket.take(now)


@dataclass(frozen=True, slots=True)
class JoinResult:
    participant: ParticipantView
    events: list[AnyEvent]
    snapshot: dict[str, Any]


def room_key(session_id: str, room: str) -> str:
    """The socket.io room of one room of a session (chat goes there)."""
    return f"{session_id}/{room}"


def session_key(session_id: str) -> str:
    """The socket.io room of everyone joined to a session (presence and breakouts go there)."""
    return session_id


def managers_key(session_id: str) -> str:
    """The socket.io room of a session's mentors and admins (the breakout overview's feed)."""
    return f"{session_id}#managers"


@dataclass(slots=True)
class SocketGateway:
    """Feature modules extend it: ``handle`` adds an inbound event, ``deliver_with`` teaches it
    to deliver a new kind of domain event, ``add_listener`` lets a recorder see every event."""

    sio: socketio.AsyncServer
    store: SessionStore
    settings: Settings
    clock: Callable[[], float]
    connections: dict[str, Connection] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    specs: dict[str, EventSpec] = field(default_factory=dict)
    deliverers: dict[type, Deliverer] = field(default_factory=dict)
    listeners: list[tuple[Listener, bool]] = field(default_factory=list)

    def register(self) -> None:
        lim = self.settings.limits
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)
        self.sio.on("*", self.on_unknown)
        self.handle("join", self.on_join, lim.other_rate, lim.other_burst, needs_join=False)
        self.handle("chat", self.on_chat, lim.chat_rate, lim.chat_burst)
        self.handle("media_state", self.on_media_state, lim.other_rate, lim.other_burst)
        self.handle("signal", self.on_signal, lim.signal_rate, lim.signal_burst)
        self.handle("leave", self.on_leave, lim.other_rate, lim.other_burst)
        self.deliver_with(ParticipantJoined, self._participant_joined)
        self.deliver_with(ParticipantRejoined, self._participant_rejoined)
        self.deliver_with(ParticipantLeft, self._participant_left)
        self.deliver_with(ParticipantUpdated, self._participant_updated)
        self.deliver_with(ChatPosted, self._chat_posted)
        self.deliver_with(ConnectionReplaced, self._connection_replaced)
        self.deliver_with(SessionEnded, self._session_ended)

    def handle(
        self, name: str, handler: EventHandler, rate: float, burst: float, needs_join: bool = True
    ) -> None:
        if name in self.specs:
            raise ValueError(f"event {name!r} already has a handler")
        self.specs[name] = EventSpec(handler, rate, burst, needs_join)
        self.sio.on(name, self._acked(name))

    def deliver_with(self, event_type: type, deliverer: Deliverer) -> None:
        self.deliverers[event_type] = deliverer

    def add_listener(self, listener: Listener, *, required: bool = False) -> None:
        """Show every delivered event to ``listener``. A required listener is a durable recorder:
        when it fails, the command that caused the event is acknowledged with ``not_recorded``
        instead of ``ok``, so that an acknowledged event is always a recorded one."""
        self.listeners.append((listener, required))

    # -- plumbing -------------------------------------------------------------------------------

    def _acked(self, name: str) -> Callable[..., Awaitable[Ack]]:
        spec = self.specs[name]

        async def run(sid: str, data: Any = None) -> Ack:
            conn = self.connections.get(sid)
            if conn is None:
                return error_ack(NotJoined("This connection is closing."))
            try:
                if not conn.allow(name, spec.rate, spec.burst, self.clock()):
                    raise RateLimited(f"Too many {name!r} events; slow down and try again.")
                if spec.needs_join and conn.participant_id is None:
                    raise NotJoined("Join the session first.")
                return await spec.handler(conn, data)
            except TandemError as exc:
                logger.info(
                    "event %s refused for %s in session %s: %s",
                    name, conn.participant_id or sid, conn.claims.session_id, exc.code,
                )
                return error_ack(exc)
            except Exception:
                logger.exception(
                    "event %s failed for %s in session %s",
                    name, conn.participant_id or sid, conn.claims.session_id,
                )
                return {
                    "ok": False,
                    "error": {"code": "internal_error", "message": "Something went wrong on "
                              "the server. Please try again."},
                }

        return run

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        """Run ``coro`` as a task the gateway owns (cancelled and awaited at shutdown)."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def on_unknown(self, event: str, sid: str, data: Any = None) -> Ack:
        """Events with no handler still get an answer (limited like the others), so no client
        waits for one in vain."""
        lim = self.settings.limits
        conn = self.connections.get(sid)
        if conn is not None and not conn.allow("*", lim.other_rate, lim.other_burst, self.clock()):
            return error_ack(RateLimited("Too many events; slow down and try again."))
        name = event if len(event) <= 40 else event[:40] + "…"
        return error_ack(UnknownEvent(f"There is no event called {name!r}; see docs/PROTOCOL.md."))

    # -- connection lifecycle -------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = verify_join_token(self.settings.secret, token, self.clock())
            await self.store.read(claims.session_id, _require_open)
        except TandemError as exc:
            logger.info("connection %s refused: %s", sid, exc.code)
            raise socketio.exceptions.ConnectionRefusedError(exc.message, exc.to_wire()) from None
        self.connections[sid] = Connection(sid=sid, claims=claims)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        conn = self.connections.pop(sid, None)
        if conn is None or conn.participant_id is None:
            return
        pid, session_id = conn.participant_id, conn.claims.session_id
        now = self.clock()
        try:
            events = await self.store.update(session_id, lambda s: s.disconnect(pid, sid, now))
        except SessionNotFound:
            return
        logger.info("participant %s disconnected from session %s (%s)", pid, session_id, reason)
        try:
            await self.deliver(events, actor_sid=sid)
        except NotRecorded:
            logger.error("the disconnect of %s from session %s was not recorded", pid, session_id)

    # -- events ---------------------------------------------------------------------------------

    async def on_join(self, conn: Connection, data: Any) -> Ack:
        if conn.participant_id is not None:
            raise AlreadyJoined("This connection has already joined the session.")
        payload = parse(JoinPayload, data)
        name = payload.name if payload.name is not None else conn.claims.name
        if name is None:
            raise InvalidPayload("name: a display name is needed (1 to 60 characters).")
        session_id = conn.claims.session_id
        resume_id = (
            verify_resume_token(self.settings.secret, payload.resume, session_id)
            if payload.resume
            else None
        )
        now = self.clock()
        new_id = secrets.token_hex(8)

        def command(s: Session) -> JoinResult:
            view, events = s.join(
                connection_id=conn.sid,
                role=conn.claims.role,
                name=name,
                new_participant_id=new_id,
                audio=payload.audio,
                video=payload.video,
                now=now,
                resume_participant_id=resume_id,
            )
            return JoinResult(view, events, _snapshot(s, view))

        result = await self.store.update(session_id, command)
        me = result.participant
        conn.participant_id = me.id
        await self.sio.enter_room(conn.sid, session_key(session_id))
        await self.sio.enter_room(conn.sid, room_key(session_id, me.room))
        if can(me.role, Action.MANAGE_BREAKOUTS):
            await self.sio.enter_room(conn.sid, managers_key(session_id))
        logger.info(
            "participant %s (%s) %s session %s",
            me.id, me.role.value, "rejoined" if me.id == resume_id else "joined", session_id,
        )
        await self.deliver(result.events, actor_sid=conn.sid)
        return {
            "ok": True,
            "participant": participant_wire(me),
            "resume": issue_resume_token(self.settings.secret, session_id, me.id),
            "rejoined": me.id == resume_id,
            **result.snapshot,
            "server_time": now,
            "ice_servers": [
                s.to_wire() for s in ice_servers_for(self.settings.ice, me.id, now)
            ],
            "limits": {"chat_text": TEXT_MAX, "max_participants": result.snapshot["session"][
                "max_participants"]},
        }

    async def on_chat(self, conn: Connection, data: Any) -> Ack:
        payload = parse(ChatPayload, data)
        pid, now = conn.joined_id(), self.clock()
        message, events = await self.store.update(
            conn.claims.session_id, lambda s: s.post_chat(pid, conn.sid, payload.text, now)
        )
        await self.deliver(events, actor_sid=conn.sid)
        return {"ok": True, "message": message_wire(message)}

    async def on_media_state(self, conn: Connection, data: Any) -> Ack:
        payload = parse(MediaStatePayload, data)
        pid, now = conn.joined_id(), self.clock()
        view, events = await self.store.update(
            conn.claims.session_id,
            lambda s: s.set_media(pid, conn.sid, audio=payload.audio, video=payload.video, now=now),
        )
        await self.deliver(events, actor_sid=conn.sid)
        return {"ok": True, "participant": participant_wire(view)}

    async def on_signal(self, conn: Connection, data: Any) -> Ack:
        payload = parse(SignalPayload, data)
        pid = conn.joined_id()
        target_sid = await self.store.read(
            conn.claims.session_id, lambda s: s.route_signal(pid, conn.sid, payload.to)
        )
        await self.sio.emit("signal", payload.relayed(pid), to=target_sid)
        return {"ok": True}

    async def on_leave(self, conn: Connection, data: Any) -> Ack:
        parse(EmptyPayload, data)
        pid, now = conn.joined_id(), self.clock()
        events = await self.store.update(
            conn.claims.session_id, lambda s: s.leave(pid, conn.sid, now)
        )
        conn.participant_id = None
        logger.info("participant %s left session %s", pid, conn.claims.session_id)
        await self.deliver(events, actor_sid=conn.sid)
        self.spawn(self._close_later(conn.sid, LEAVE_CLOSE_DELAY))
        return {"ok": True}

    async def _close_later(self, sid: str, delay: float) -> None:
        await asyncio.sleep(delay)
        if sid in self.connections:
            await self.sio.disconnect(sid)

    # -- delivery -------------------------------------------------------------------------------

    async def deliver(self, events: Iterable[DomainEvent], actor_sid: str | None = None) -> None:
        """Send each domain event to those it concerns, then show it to every listener. A
        listener that fails is logged and stops neither delivery nor the other listeners; if a
        required one failed, ``NotRecorded`` is raised once everything has been delivered."""
        unrecorded: TandemError | None = None
        for event in events:
            deliverer = self.deliverers.get(type(event))
            if deliverer is None:
                raise TypeError(f"no delivery for {type(event).__name__}")
            await deliverer(event, actor_sid)
            for listener, required in self.listeners:
                try:
                    await listener(event)
                except Exception as exc:
                    logger.exception("listener %r failed on %s in session %s",
                                     listener, type(event).__name__, event.session_id)
                    if required and unrecorded is None:
                        unrecorded = exc if isinstance(exc, NotRecorded) else NotRecorded(
                            "This was done but could not be recorded; please tell the organiser."
                        )
        if unrecorded is not None:
            raise unrecorded

    # Presence goes to the whole session, so that everyone knows who is where (a mentor's
    # overview spans every room); each client connects media only to those in its own room. The
    # actor learns of its own join, leave or rejoin from its acknowledgement, so notices skip it.

    async def _participant_joined(self, e: ParticipantJoined, actor_sid: str | None) -> None:
        await self.sio.emit("participant_joined", {"participant": participant_wire(e.participant)},
                            room=session_key(e.session_id), skip_sid=actor_sid)

    async def _participant_rejoined(self, e: ParticipantRejoined, actor_sid: str | None) -> None:
        await self.sio.emit("participant_rejoined",
                            {"participant": participant_wire(e.participant)},
                            room=session_key(e.session_id), skip_sid=actor_sid)

    async def _participant_left(self, e: ParticipantLeft, actor_sid: str | None) -> None:
        await self.sio.emit("participant_left",
                            {"participant_id": e.participant.id, "reason": e.reason},
                            room=session_key(e.session_id), skip_sid=actor_sid)

    async def _participant_updated(self, e: ParticipantUpdated, actor_sid: str | None) -> None:
        await self.sio.emit("participant_updated",
                            {"participant": participant_wire(e.participant)},
                            room=session_key(e.session_id))

    async def _chat_posted(self, e: ChatPosted, actor_sid: str | None) -> None:
        await self.sio.emit("chat", {"message": message_wire(e.message)},
                            room=room_key(e.session_id, e.message.room))

    async def _connection_replaced(self, e: ConnectionReplaced, actor_sid: str | None) -> None:
        old = self.connections.get(e.connection_id)
        if old is not None:
            old.participant_id = None
        logger.info("participant %s in session %s replaced connection %s",
                    e.participant_id, e.session_id, e.connection_id)
        await self.sio.emit("replaced", {
            "code": "replaced",
            "message": "You joined this session from another window or device.",
        }, to=e.connection_id)
        self.spawn(self._close_later(e.connection_id, 0.0))

    async def _session_ended(self, e: SessionEnded, actor_sid: str | None) -> None:
        for sid in e.connection_ids:
            conn = self.connections.get(sid)
            if conn is not None:
                conn.participant_id = None
            await self.sio.emit("session_ended", {"reason": e.reason}, to=sid)
            self.spawn(self._close_later(sid, 0.0))


def _require_open(session: Session) -> None:
    if session.state is SessionState.ENDED:
        raise SessionEndedError("This session has ended.")


def _snapshot(s: Session, me: ParticipantView) -> dict[str, Any]:
    view = s.view()
    breakouts = s.breakout_view()
    return {
        "session": {
            "id": view.id,
            "title": view.title,
            "goal": view.goal,
            "state": view.state.value,
            "max_participants": view.max_participants,
        },
        "participants": [participant_wire(p) for p in view.participants],
        "chat": [message_wire(m) for m in s.chat_history(me.id)],
        "room": room_wire(s, me.room),
        "breakouts": None if breakouts is None else breakout_wire(breakouts),
    }
