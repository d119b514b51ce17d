"""Socket events of moderation: a mentor mutes, stops a camera or screen, allows, removes, admits
or declines someone waiting, locks the session or ends it for everyone; and the delivery of what
that tells people (the person acted on, the mentors' waiting list, everyone's lock notice)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rooms.events import Moderated, SessionLockChanged, WaitingChanged
from rooms.moderation import Admit, Decline, EndForEveryone, Moderate, SetLocked
from server.context import Context
from server.gateway import Connection, managers_key, session_key
from server.moderation.wire import (
    ADMIT,
    DECLINE,
    END_SESSION,
    MODERATE,
    MODERATED,
    SESSION_LOCK,
    SESSION_LOCKED,
    WAITING,
    LockPayload,
    ModeratePayload,
    WaiterPayload,
)
from server.protocol import OK, EmptyPayload, OkAck, waiter_wire

logger = logging.getLogger(__name__)

# What the person acted on is told of; the rest they learn otherwise (removal closes their
# connection with its own notice) or it does not concern them.
_TOLD = frozenset({"mute", "stop_camera", "stop_screen", "allow"})


@dataclass(slots=True)
class ModerationEvents:
    ctx: Context

    def register(self) -> None:
        gw, d, lim = self.ctx.gateway, self.ctx.delivery, self.ctx.settings.limits
        gw.on(MODERATE, self.on_moderate, lim.other_rate, lim.other_burst)
        gw.on(ADMIT, self.on_admit, lim.other_rate, lim.other_burst)
        gw.on(DECLINE, self.on_decline, lim.other_rate, lim.other_burst)
        gw.on(SESSION_LOCK, self.on_lock, lim.other_rate, lim.other_burst)
        gw.on(END_SESSION, self.on_end, lim.other_rate, lim.other_burst)
        d.deliver_with(Moderated, self._moderated)
        d.deliver_with(WaitingChanged, self._waiting)
        d.deliver_with(SessionLockChanged, self._locked)

    async def on_moderate(self, conn: Connection, payload: ModeratePayload) -> OkAck:
        await self.ctx.execute(conn.session_id, Moderate(
            conn.joined_id(), conn.sid, payload.participant_id, payload.action, payload.lock,
            self.ctx.clock()), conn.sid)
        return OK

    async def on_admit(self, conn: Connection, payload: WaiterPayload) -> OkAck:
        await self.ctx.execute(conn.session_id, Admit(
            conn.joined_id(), conn.sid, payload.waiting_id, self.ctx.clock()), conn.sid)
        return OK

    async def on_decline(self, conn: Connection, payload: WaiterPayload) -> OkAck:
        await self.ctx.execute(conn.session_id, Decline(
            conn.joined_id(), conn.sid, payload.waiting_id, self.ctx.clock()), conn.sid)
        return OK

    async def on_lock(self, conn: Connection, payload: LockPayload) -> OkAck:
        await self.ctx.execute(conn.session_id, SetLocked(
            conn.joined_id(), conn.sid, payload.locked, self.ctx.clock()), conn.sid)
        return OK

    async def on_end(self, conn: Connection, payload: EmptyPayload) -> OkAck:
        await self.ctx.execute(conn.session_id, EndForEveryone(
            conn.joined_id(), conn.sid, self.ctx.clock()), conn.sid)
        logger.info("session %s ended by a mentor", conn.session_id)
        return OK

    # -- delivery ---------------------------------------------------------------------------------

    async def _moderated(self, e: Moderated, actor_sid: str | None) -> None:
        logger.info("moderation in session %s: %s", e.session_id, e.action)
        if e.action not in _TOLD or e.target_connection_id is None:
            return
        conn = self.ctx.gateway.connections.get(e.target_connection_id)
        if conn is not None:
            await self.ctx.gateway.emit(
                MODERATED({"action": e.action, "locked": e.locked, "by": e.actor_role.value}),
                to=conn.sid)

    async def _waiting(self, e: WaitingChanged, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            WAITING({"waiting": [waiter_wire(w) for w in e.waiting]}),
            room=managers_key(e.session_id))

    async def _locked(self, e: SessionLockChanged, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(SESSION_LOCKED({"locked": e.locked}),
                                    room=session_key(e.session_id))
