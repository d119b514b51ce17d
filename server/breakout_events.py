"""Socket.IO adapter for breakout rooms: the mentor's commands, the participants' choices and
help requests, delivery of moves (switching a socket between rooms), and the timer that warns,
closes and brings everyone back on time.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rooms.breakout import BreakoutsChanged, BreakoutWarning
from rooms.errors import NotRecorded, SessionNotFound
from rooms.events import ParticipantMoved
from rooms.session import AnyEvent, Session
from server.protocol import (
    BreakoutAdjustPayload,
    BreakoutAssignPayload,
    BreakoutBroadcastPayload,
    BreakoutClosePayload,
    BreakoutCreatePayload,
    BreakoutOpenPayload,
    EmptyPayload,
    RoomPayload,
    breakout_wire,
    message_wire,
    parse,
    participant_wire,
    room_wire,
)
from server.socketio_events import Ack, Connection, SocketGateway, room_key, session_key

logger = logging.getLogger(__name__)

# The timer re-reads the clock at least this often, so a changed deadline (extend, shorten) or
# a clock moved in tests is noticed without a wake-up call.
TIMER_POLL_SECONDS = 1.0

Command = Callable[[Session, str, str, float], list[AnyEvent]]


@dataclass(slots=True)
class BreakoutTimers:
    """One task per session whose round has a deadline; it ends when no deadline is left."""

    gateway: SocketGateway
    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def ensure(self, session_id: str) -> None:
        task = self.running.get(session_id)
        if task is None or task.done():
            self.running[session_id] = self.gateway.spawn(self._run(session_id))

    async def _run(self, session_id: str) -> None:
        gw = self.gateway
        try:
            while True:
                deadline = await gw.store.read(session_id, lambda s: s.next_deadline())
                if deadline is None:
                    return
                wait = deadline - gw.clock()
                if wait > 0:
                    await asyncio.sleep(min(wait, TIMER_POLL_SECONDS))
                    continue
                events = await gw.store.update(session_id, lambda s: s.tick(gw.clock()))
                try:
                    await gw.deliver(events)
                except NotRecorded:
                    # the round moved on regardless; the recorder has logged what it missed
                    logger.error("breakout timer of session %s: events not recorded", session_id)
        except SessionNotFound:
            return
        except Exception:
            logger.exception("breakout timer of session %s failed", session_id)
        finally:
            if self.running.get(session_id) is asyncio.current_task():
                del self.running[session_id]


@dataclass(slots=True)
class BreakoutEvents:
    gateway: SocketGateway
    timers: BreakoutTimers

    def register(self) -> None:
        gw, lim = self.gateway, self.gateway.settings.limits
        for name, handler in {
            "breakout_create": self.on_create,
            "breakout_assign": self.on_assign,
            "breakout_auto_assign": self.on_auto_assign,
            "breakout_open": self.on_open,
            "breakout_adjust": self.on_adjust,
            "breakout_close": self.on_close,
            "breakout_discard": self.on_discard,
            "breakout_broadcast": self.on_broadcast,
            "breakout_visit": self.on_visit,
            "breakout_choose": self.on_choose,
            "help_request": self.on_help_request,
            "help_withdraw": self.on_help_withdraw,
        }.items():
            gw.handle(name, handler, lim.other_rate, lim.other_burst)
        gw.deliver_with(ParticipantMoved, self._moved)
        gw.deliver_with(BreakoutsChanged, self._changed)
        gw.deliver_with(BreakoutWarning, self._warning)

    async def _run(self, conn: Connection, command: Command) -> Ack:
        """Apply a breakout command for this connection's participant, deliver what it caused,
        and keep the round's timer running; acknowledge with the round as it now is."""
        gw = self.gateway
        pid = conn.joined_id()
        session_id, now = conn.claims.session_id, gw.clock()

        def apply(s: Session) -> tuple[list[AnyEvent], dict[str, Any] | None]:
            events = command(s, pid, conn.sid, now)
            view = s.breakout_view()
            return events, None if view is None else breakout_wire(view)

        events, view = await gw.store.update(session_id, apply)
        await gw.deliver(events, actor_sid=conn.sid)
        self.timers.ensure(session_id)
        return {"ok": True, "breakouts": view}

    # -- mentor's commands ----------------------------------------------------------------------

    async def on_create(self, conn: Connection, data: Any) -> Ack:
        p = parse(BreakoutCreatePayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_create(
            pid, sid, count=p.count, names=p.names, allow_choice=p.allow_choice,
            from_groups=p.from_groups, now=now))

    async def on_assign(self, conn: Connection, data: Any) -> Ack:
        p = parse(BreakoutAssignPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_assign(
            pid, sid, p.participant_id, p.room, now))

    async def on_auto_assign(self, conn: Connection, data: Any) -> Ack:
        parse(EmptyPayload, data)

        def command(s: Session, pid: str, sid: str, now: float) -> list[AnyEvent]:
            order = list(s.participants)
            secrets.SystemRandom().shuffle(order)
            return s.breakout_auto_assign(pid, sid, order, now)

        return await self._run(conn, command)

    async def on_open(self, conn: Connection, data: Any) -> Ack:
        p = parse(BreakoutOpenPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_open(
            pid, sid, p.duration_seconds, now))

    async def on_adjust(self, conn: Connection, data: Any) -> Ack:
        p = parse(BreakoutAdjustPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_adjust(
            pid, sid, p.add_seconds, now))

    async def on_close(self, conn: Connection, data: Any) -> Ack:
        p = parse(BreakoutClosePayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_close(
            pid, sid, p.countdown_seconds, now))

    async def on_discard(self, conn: Connection, data: Any) -> Ack:
        parse(EmptyPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_discard(pid, sid, now))

    async def on_broadcast(self, conn: Connection, data: Any) -> Ack:
        p = parse(BreakoutBroadcastPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_broadcast(
            pid, sid, p.text, now))

    async def on_visit(self, conn: Connection, data: Any) -> Ack:
        p = parse(RoomPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_visit(
            pid, sid, p.room, now))

    # -- participants' own ----------------------------------------------------------------------

    async def on_choose(self, conn: Connection, data: Any) -> Ack:
        p = parse(RoomPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.breakout_choose(
            pid, sid, p.room, now))

    async def on_help_request(self, conn: Connection, data: Any) -> Ack:
        parse(EmptyPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.help_request(pid, sid, now))

    async def on_help_withdraw(self, conn: Connection, data: Any) -> Ack:
        parse(EmptyPayload, data)
        return await self._run(conn, lambda s, pid, sid, now: s.help_withdraw(pid, sid, now))

    # -- delivery -------------------------------------------------------------------------------

    async def _moved(self, e: ParticipantMoved, actor_sid: str | None) -> None:
        """Switch the mover's socket to the new room (its chat; media follows on the client),
        tell the session, and hand the mover the new room's chat."""
        gw = self.gateway
        sid = e.connection_id
        to_room = e.participant.room
        if sid is not None and sid in gw.connections:
            await gw.sio.leave_room(sid, room_key(e.session_id, e.from_room))
            await gw.sio.enter_room(sid, room_key(e.session_id, to_room))
        logger.info("participant %s in session %s moved from %s to %s",
                    e.participant.id, e.session_id, e.from_room, to_room)
        await gw.sio.emit(
            "participant_moved",
            {"participant": participant_wire(e.participant), "from_room": e.from_room},
            room=session_key(e.session_id),
        )
        if sid is None or sid not in gw.connections:
            return

        def room_state(s: Session) -> dict[str, Any]:
            return {
                "room": room_wire(s, to_room),
                "chat": [message_wire(m) for m in s.chat.in_room(to_room)],
            }

        await gw.sio.emit("room_changed", await gw.store.read(e.session_id, room_state), to=sid)

    async def _changed(self, e: BreakoutsChanged, actor_sid: str | None) -> None:
        await self.gateway.sio.emit(
            "breakouts", {"breakouts": breakout_wire(e.view)}, room=session_key(e.session_id)
        )

    async def _warning(self, e: BreakoutWarning, actor_sid: str | None) -> None:
        await self.gateway.sio.emit(
            "breakout_warning",
            {"ends_at": e.ends_at, "seconds_left": max(0.0, e.ends_at - e.at)},
            room=session_key(e.session_id),
        )


def install(gateway: SocketGateway) -> BreakoutEvents:
    events = BreakoutEvents(gateway, BreakoutTimers(gateway))
    events.register()
    return events
