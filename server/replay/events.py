"""The ``replay`` event: a client that reconnected asks for the events of its room it missed,
after the last position it saw; the answer is those events in order, or ``history_gone``.

Who may read: only a member of the room, connected now (breakout rooms are private). The
history itself (``ctx.history``) is appended to by the deliverers of replayable events; this
feature only reads it, and drops a session's history when the session ends, on deletion
requests and when the retention rule has deleted the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rooms.errors import HistoryGone
from rooms.events import Event, ParticipantErased, SessionEnded
from rooms.session import Session
from server.context import Context, Erased, Erasure
from server.delivery import origin_here
from server.gateway import Connection
from server.history import Gone, Position, position_wire
from server.replay import wire as w

# The payload bytes of one answer at most (one event more when the first alone is larger): far
# under what the server lets wait for one client (send_buffer_bytes).
REPLAY_BYTES = 512 * 1024


@dataclass(slots=True)
class ReplayEvents:
    ctx: Context

    def register(self) -> None:
        lim = self.ctx.settings.limits
        self.ctx.gateway.on(w.REPLAY, self.on_replay, lim.other_rate, lim.other_burst)
        self.ctx.delivery.add_recorder(self._ended)
        self._erasure(self.ctx.erasure)

    async def on_replay(self, conn: Connection, p: w.ReplayPayload) -> w.ReplayAck:
        pid, session_id = conn.joined_id(), conn.session_id

        def member(s: Session) -> None:
            s.member(pid, conn.sid, room=p.room)

        # Only a member of the room reads its history (not_same_room otherwise): asked first of
        # this process's copy of the session (a cheap refusal), then again once the history is
        # read, of the session with every change kept so far. With several processes this
        # process's copy may lag behind the history, which is shared: someone moved out of the
        # room elsewhere must not be handed what the room said after.
        await self.ctx.store.read(session_id, member)
        found = await self.ctx.history.since(session_id, p.room, p.epoch, p.offset, REPLAY_BYTES)
        await self.ctx.store.read_latest(session_id, member)
        if isinstance(found, Gone):
            raise HistoryGone(
                "The events you missed in this room are no longer kept "
                f"({'the history started afresh' if found.reason == 'epoch' else 'too old'}): "
                "load the room's state again.")
        epoch = found.latest.epoch
        return {
            "ok": True,
            "position": position_wire(p.room, found.latest),
            "events": [{"event": e.event,
                        "payload": {**e.payload,
                                    "position": position_wire(p.room, Position(epoch, e.offset))}}
                       for e in found.entries],
            "more": found.more,
        }

    async def _ended(self, events: Sequence[Event]) -> None:
        """An ended session's rooms have nobody to replay to: their history goes at once. So
        does the history of a session someone was erased from (a deletion request), as soon
        as the erasure is applied where it was given: a request for a person erases every
        session of theirs before the features' deletions run, and meanwhile a ``replay`` of
        a session already erased would hand out what it no longer holds."""
        for event in events:
            if isinstance(event, SessionEnded) or (isinstance(event, ParticipantErased)
                                                   and origin_here.get()):
                await self.ctx.history.drop(event.session_id)
                return

    # -- deletion and retention -------------------------------------------------------------------

    def _erasure(self, erasure: Erasure) -> None:
        history = self.ctx.history

        async def person(person_id: str) -> Erased:
            # The history does not know who a person is in each session: a deletion request
            # drops every room's (at most ``HistoryBounds.seconds`` of events; pages that
            # reconnect then resynchronise).
            return _count(await history.drop())

        async def participant(session_id: str, participant_id: str) -> Erased:
            return _count(await history.drop(session_id))

        async def expired(before: float) -> Erased:
            # After the store forgot the sessions past the period: their history goes too. (The
            # history's sessions are listed first: one made meanwhile, which the store's list
            # may lack, has no history in it.)
            kept = await history.sessions()
            live = set(await self.ctx.store.session_ids())
            dropped = 0
            for session_id in kept:
                if session_id not in live:
                    dropped += await history.drop(session_id)
            return _count(dropped)

        erasure.person.append(person)
        erasure.participant.append(participant)
        erasure.expired.append(expired)


def _count(dropped: int) -> Erased:
    return {"replay history entries": dropped} if dropped else {}
