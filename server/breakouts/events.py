"""Socket events of breakout rooms: the mentor's commands, the participants' choices and help
requests, and the delivery of moves (switching a socket between rooms) and of the round."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from rooms import breakout_commands as c
from rooms.commands import Command, EnterRoom
from rooms.errors import NotRecorded
from rooms.events import (
    BreakoutsChanged,
    BreakoutWarning,
    HelpRequested,
    ParticipantMoved,
    RoomsCreated,
)
from rooms.views import BreakoutView
from server.breakouts import wire as w
from server.breakouts.timers import BreakoutTimers
from server.context import Context
from server.delivery import nothing_to_send
from server.gateway import Connection, room_key, session_key
from server.history import position_wire
from server.protocol import EmptyPayload, breakout_wire, message_wire, participant_wire, room_wire

logger = logging.getLogger(__name__)

# (participant id, connection id, now) -> the command
Make = Callable[[str, str, float], Command[BreakoutView | None]]


@dataclass(slots=True)
class BreakoutEvents:
    ctx: Context
    timers: BreakoutTimers

    def register(self) -> None:
        gw, d, lim = self.ctx.gateway, self.ctx.delivery, self.ctx.settings.limits
        rate, burst = lim.other_rate, lim.other_burst
        gw.on(w.CREATE, self.on_create, rate, burst)
        gw.on(w.ASSIGN, self.on_assign, rate, burst)
        gw.on(w.AUTO_ASSIGN, self.on_auto_assign, rate, burst)
        gw.on(w.OPEN, self.on_open, rate, burst)
        gw.on(w.ADJUST, self.on_adjust, rate, burst)
        gw.on(w.CLOSE, self.on_close, rate, burst)
        gw.on(w.DISCARD, self.on_discard, rate, burst)
        gw.on(w.BROADCAST, self.on_broadcast, rate, burst)
        gw.on(w.VISIT, self.on_visit, rate, burst)
        gw.on(w.CHOOSE, self.on_choose, rate, burst)
        gw.on(w.HELP_REQUEST, self.on_help_request, rate, burst)
        gw.on(w.HELP_WITHDRAW, self.on_help_withdraw, rate, burst)
        d.deliver_with(ParticipantMoved, self._moved)
        d.on_applied(ParticipantMoved, self._leaving)
        d.deliver_with(BreakoutsChanged, self._changed)
        d.deliver_with(BreakoutWarning, self._warning)
        d.deliver_with(RoomsCreated, nothing_to_send)
        d.deliver_with(HelpRequested, nothing_to_send)

    async def _run(self, conn: Connection, make: Make) -> w.BreakoutsAck:
        """Apply a breakout command for this connection's participant, deliver what it caused,
        and keep the round's timer running; acknowledge with the round as it now is."""
        command = make(conn.joined_id(), conn.sid, self.ctx.clock())
        view = await self.ctx.execute(conn.session_id, command, conn.sid)
        self.timers.ensure(conn.session_id)
        return {"ok": True, "breakouts": None if view is None else breakout_wire(view)}

    # -- mentor's commands ------------------------------------------------------------------------

    async def on_create(self, conn: Connection, p: w.BreakoutCreatePayload) -> w.BreakoutsAck:
        return await self._run(
            conn,
            lambda pid, sid, now: c.BreakoutCreate(
                pid, sid, p.count, tuple(p.names), p.allow_choice, p.from_groups, now
            ),
        )

    async def on_assign(self, conn: Connection, p: w.BreakoutAssignPayload) -> w.BreakoutsAck:
        return await self._run(
            conn, lambda pid, sid, now: c.BreakoutAssign(pid, sid, p.participant_id, p.room, now)
        )

    async def on_auto_assign(self, conn: Connection, p: EmptyPayload) -> w.BreakoutsAck:
        order = list(await self.ctx.store.read(conn.session_id, lambda s: list(s.participants)))
        secrets.SystemRandom().shuffle(order)
        return await self._run(
            conn, lambda pid, sid, now: c.BreakoutAutoAssign(pid, sid, tuple(order), now)
        )

    async def on_open(self, conn: Connection, p: w.BreakoutOpenPayload) -> w.BreakoutsAck:
        duration = None if p.duration_seconds is None else float(p.duration_seconds)
        return await self._run(conn, lambda pid, sid, now: c.BreakoutOpen(pid, sid, duration, now))

    async def on_adjust(self, conn: Connection, p: w.BreakoutAdjustPayload) -> w.BreakoutsAck:
        return await self._run(
            conn, lambda pid, sid, now: c.BreakoutAdjust(pid, sid, float(p.add_seconds), now,
                                                         p.client_id)
        )

    async def on_close(self, conn: Connection, p: w.BreakoutClosePayload) -> w.BreakoutsAck:
        return await self._run(
            conn, lambda pid, sid, now: c.BreakoutClose(pid, sid, float(p.countdown_seconds), now)
        )

    async def on_discard(self, conn: Connection, p: EmptyPayload) -> w.BreakoutsAck:
        return await self._run(conn, lambda pid, sid, now: c.BreakoutDiscard(pid, sid, now))

    async def on_broadcast(self, conn: Connection, p: w.BreakoutBroadcastPayload) -> w.BreakoutsAck:
        return await self._run(
            conn, lambda pid, sid, now: c.BreakoutBroadcast(pid, sid, p.text, now, p.client_id)
        )

    async def on_visit(self, conn: Connection, p: w.RoomPayload) -> w.BreakoutsAck:
        return await self._run(conn, lambda pid, sid, now: c.BreakoutVisit(pid, sid, p.room, now))

    # -- participants' own ------------------------------------------------------------------------

    async def on_choose(self, conn: Connection, p: w.RoomPayload) -> w.BreakoutsAck:
        return await self._run(conn, lambda pid, sid, now: c.BreakoutChoose(pid, sid, p.room, now))

    async def on_help_request(self, conn: Connection, p: EmptyPayload) -> w.BreakoutsAck:
        return await self._run(conn, lambda pid, sid, now: c.HelpRequest(pid, sid, now))

    async def on_help_withdraw(self, conn: Connection, p: EmptyPayload) -> w.BreakoutsAck:
        return await self._run(conn, lambda pid, sid, now: c.HelpWithdraw(pid, sid, now))

    # -- delivery ---------------------------------------------------------------------------------

    async def _moved(self, e: ParticipantMoved, actor_sid: str | None) -> None:
        """Switch the mover's socket to the new room (its chat; media follows on the client),
        tell the session, and hand the mover the new room and its chat."""
        gw = self.ctx.gateway
        sid = e.connection_id
        to_room = e.participant.room
        present = sid is not None and sid in gw.connections
        self._leaving(e)  # before anything is awaited (done already when shared, ``_leaving``)
        # Where the new room's history is, read before the mover enters it (as on joining).
        position = await self.ctx.history.position(e.session_id, to_room) if present else None
        if sid is not None and present:
            await gw.enter_room(sid, room_key(e.session_id, to_room))
        logger.info(
            "participant %s in session %s moved from %s to %s",
            e.participant.id,
            e.session_id,
            e.from_room,
            to_room,
        )
        await gw.emit(
            w.PARTICIPANT_MOVED(
                {"participant": participant_wire(e.participant), "from_room": e.from_room}
            ),
            room=session_key(e.session_id),
        )
        if sid is None or position is None:
            return
        pid = e.participant.id
        # Where they entered the room, for ``replay`` (before their page can ask it). The
        # store out of reach just then, they are moved all the same: their entry is not known,
        # and ``replay`` answers ``history_gone`` (the page loads the room again).
        entry = EnterRoom(pid, to_room, position.epoch, position.offset)
        try:
            if await self.ctx.store.read(e.session_id, entry.changes):
                await self.ctx.store.update(e.session_id, entry)
        except NotRecorded:
            logger.warning("entry of participant %s in session %s not kept", pid, e.session_id)
        entered = await self.ctx.store.read(e.session_id, lambda s: s.room_entered(pid))
        await gw.emit(
            w.ROOM_CHANGED(
                {"room": room_wire(entered.room), "chat": [message_wire(m) for m in entered.chat],
                 "media_route": entered.media_route, "screens_many": entered.screens_many,
                 "position": position_wire(to_room, position)}
            ),
            to=sid,
        )

    def _leaving(self, e: ParticipantMoved) -> None:
        """The mover's connection here leaves the room they were moved out of at once, so that
        nothing more of it reaches them; with several processes, as soon as the move is applied
        here (``Delivery.applied``), not when its delivery comes round: what other processes
        send to that room meanwhile does not wait for it."""
        sid = e.connection_id
        if sid is not None and sid in self.ctx.gateway.connections:
            self.ctx.gateway.leave_room(sid, room_key(e.session_id, e.from_room))

    async def _changed(self, e: BreakoutsChanged, actor_sid: str | None) -> None:
        # Every process holding the session keeps a timer of the round: whichever is first
        # acts, and the domain makes the others' turns change nothing.
        self.timers.ensure(e.session_id)
        await self.ctx.gateway.emit(
            w.BREAKOUTS({"breakouts": breakout_wire(e.view)}), room=session_key(e.session_id)
        )

    async def _warning(self, e: BreakoutWarning, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            w.BREAKOUT_WARNING({"ends_at": e.ends_at, "seconds_left": max(0.0, e.ends_at - e.at)}),
            room=session_key(e.session_id),
        )
