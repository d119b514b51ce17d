"""Socket events of attendance: the participants' own events (check-in, rating, speaking,
reactions, hands, the live overview), their delivery, and the recorder that keeps every domain
event's records in the ledger.

Every record names the participant and room the session knows for the connection: a client never
says who or where it is, so it cannot write records for someone else or for a room it is not in.
Each acknowledgement is sent only after its records are committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rooms.attendance import AnonymousRating, Record
from rooms.commands import CheckIn, RaiseHand, Rate, React, SetSpeaking
from rooms.events import (
    CheckedIn,
    Event,
    HandChanged,
    Rated,
    Reacted,
    SessionScheduled,
    SpeakingChanged,
)
from rooms.recorder import writes_for
from rooms.roles import Role
from rooms.timeline import summarize
from server.attendance import wire as w
from server.attendance.reports import report_wire
from server.context import Context
from server.delivery import nothing_to_send
from server.gateway import Connection, managers_key, room_key
from server.protocol import OK, EmptyPayload, OkAck

# Roles that see everyone's attendance in their session while it runs; others see their own.
OVERVIEW_ROLES = frozenset({Role.MENTOR, Role.ADMIN})


@dataclass(slots=True)
class AttendanceEvents:
    ctx: Context

    def register(self) -> None:
        gw, d, lim = self.ctx.gateway, self.ctx.delivery, self.ctx.settings.limits
        gw.on(w.CHECK_IN, self.on_check_in, lim.checkin_rate, lim.checkin_burst)
        gw.on(w.CHECK_OUT, self.on_check_out, lim.checkin_rate, lim.checkin_burst)
        gw.on(w.SPEAKING, self.on_speaking, lim.speaking_rate, lim.speaking_burst)
        gw.on(w.REACTION, self.on_reaction, lim.reaction_rate, lim.reaction_burst)
        gw.on(w.HAND, self.on_hand, lim.reaction_rate, lim.reaction_burst)
        gw.on(w.OVERVIEW, self.on_overview, lim.report_rate, lim.report_burst)
        d.deliver_with(SessionScheduled, nothing_to_send)
        d.deliver_with(CheckedIn, nothing_to_send)
        d.deliver_with(Rated, nothing_to_send)
        d.deliver_with(HandChanged, self._hand)
        d.deliver_with(Reacted, self._reacted)
        d.deliver_with(SpeakingChanged, self._speaking)
        d.add_recorder(self.record, required=True)

    # -- the recorder -----------------------------------------------------------------------------

    async def record(self, events: Sequence[Event]) -> None:
        """Keep what the events tell about attendance; return once it is committed."""
        records: list[Record] = []
        anonymous: list[AnonymousRating] = []
        for event in events:
            writes = writes_for(event)
            if writes.session is not None:
                await self.ctx.ledger.put_session(writes.session)
            records.extend(writes.records)
            anonymous.extend(writes.anonymous)
        if records:
            await self.ctx.ledger.append(records)
        if anonymous:  # apart from the records: nothing there says whose it is
            await self.ctx.ledger.add_anonymous(anonymous)

    # -- the participants' events -----------------------------------------------------------------

    async def on_check_in(self, conn: Connection, p: w.CheckInPayload) -> w.CheckInAck:
        view = await self.ctx.execute(
            conn.session_id,
            CheckIn(conn.joined_id(), conn.sid, p.goal, self.ctx.clock(), p.share),
            conn.sid,
        )
        return {"ok": True, "check_in": {"goal": view.goal, "at": view.at, "shared": view.shared}}

    async def on_check_out(self, conn: Connection, p: w.CheckOutPayload) -> w.CheckOutAck:
        await self.ctx.execute(
            conn.session_id,
            Rate(conn.joined_id(), conn.sid, p.rating, p.comment, p.anonymous, self.ctx.clock(),
                 p.share),
            conn.sid,
        )
        return {"ok": True, "anonymous": p.anonymous, "shared": p.share}

    async def on_speaking(self, conn: Connection, p: w.SpeakingPayload) -> w.RecordedAck:
        changed = await self.ctx.execute(
            conn.session_id,
            SetSpeaking(conn.joined_id(), conn.sid, p.speaking, self.ctx.clock()),
            conn.sid,
        )
        return {"ok": True, "recorded": changed}

    async def on_reaction(self, conn: Connection, p: w.ReactionPayload) -> OkAck:
        await self.ctx.execute(
            conn.session_id,
            React(conn.joined_id(), conn.sid, p.reaction, self.ctx.clock()),
            conn.sid,
        )
        return OK

    async def on_hand(self, conn: Connection, p: w.HandPayload) -> w.RecordedAck:
        changed = await self.ctx.execute(
            conn.session_id,
            RaiseHand(conn.joined_id(), conn.sid, p.raised, self.ctx.clock()),
            conn.sid,
        )
        return {"ok": True, "recorded": changed}

    async def on_overview(self, conn: Connection, p: EmptyPayload) -> w.ReportAck:
        """The live attendance of this session: everyone's for mentors (and admins in the
        call), one's own for everyone else. A mentor sees that people checked in and rated,
        and the average rating; what they wrote only where they chose to share it."""
        pid, sid = conn.joined_id(), conn.session_id
        me = (await self.ctx.store.read(sid, lambda s: s.member(pid, conn.sid))).participant
        ledger = self.ctx.ledger
        report = summarize(
            await ledger.session(sid),
            await ledger.session_records(sid),
            now=self.ctx.clock(),
            grace=self.ctx.settings.attendance_grace,
            anonymous=await ledger.anonymous_ratings(sid),
        )
        key = me.person_id or me.id
        if me.role is Role.ADMIN:
            return {"ok": True, "report": report_wire(report)}
        if me.role in OVERVIEW_ROLES:
            return {"ok": True, "report": report_wire(report, mentor=key)}
        return {"ok": True, "report": report_wire(report, only=key)}

    # -- delivery ---------------------------------------------------------------------------------

    async def _hand(self, e: HandChanged, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            w.HAND_CHANGED({"participant_id": e.participant_id, "raised": e.raised, "at": e.at}),
            room=room_key(e.session_id, e.room),
        )

    async def _reacted(self, e: Reacted, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            w.REACTED({"participant_id": e.participant_id, "reaction": e.reaction, "at": e.at}),
            room=room_key(e.session_id, e.room),
        )

    async def _speaking(self, e: SpeakingChanged, actor_sid: str | None) -> None:
        # mentors see who is speaking in every room (their overview), without anyone's audio
        await self.ctx.gateway.emit(
            w.PARTICIPANT_SPEAKING({"participant_id": e.participant_id, "speaking": e.speaking}),
            room=managers_key(e.session_id),
        )
