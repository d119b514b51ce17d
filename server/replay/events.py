"""The ``replay`` event: a client that reconnected asks for the events of its room it missed,
after the last position it saw; the answer is those events in order, or ``history_gone``.

Who may read: only a member of the room, connected now (breakout rooms are private), and only
what the room said since they entered it: replay is for what a page missed while its connection
was down, not for reading a room's past (someone moved into a breakout room, back into it, or who
left and joined again, a mentor visiting). What a newcomer is handed of the room's past is its
state (its chat, its board), as on joining. Where they entered is the position their page was
handed with the room (the ``join`` acknowledgement's, the ``room_changed`` event's), kept in the
session (``rooms.commands.EnterRoom``, applied by the features that hand it), so that whichever
process a page reconnects to knows it; a page back after a dropped connection keeps the first one
of its stay. The
history itself (``ctx.history``) is appended to by the deliverers of replayable events; this
feature only reads it, and drops a session's history when the session ends, on deletion
requests and when the retention rule has deleted the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rooms.errors import HistoryGone
from rooms.events import Event, ParticipantErased, ParticipantJoined, SessionEnded
from rooms.session import Session
from server.context import Context, Erased, Erasure
from server.delivery import origin_here
from server.gateway import Connection
from server.history import Gone, Position, Taken, position_wire
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
        self.ctx.delivery.add_recorder(self._follow)
        self._erasure(self.ctx.erasure)

    async def on_replay(self, conn: Connection, p: w.ReplayPayload) -> w.ReplayAck:
        pid, session_id = conn.joined_id(), conn.session_id

        def member(s: Session) -> tuple[str, str, int] | None:
            s.member(pid, conn.sid, room=p.room)
            return s.participant(pid).entered

        # Only a member of the room reads its history (not_same_room otherwise): asked first of
        # this process's copy of the session (a cheap refusal), then again once the history is
        # read, of the session with every change kept so far. With several processes this
        # process's copy may lag behind the history, which is shared: someone moved out of the
        # room elsewhere must not be handed what the room said after. Nor is anyone handed what
        # the room said before they entered it (``replay_from``): asked from earlier,
        # the answer starts there; with their entry not known (or changed meanwhile: out of
        # the room and back), it is ``history_gone`` (the page loads the room again).
        entry = await self.ctx.store.read(session_id, member)
        start = replay_from(p.room, p.epoch, p.offset, entry)
        if start < 0:
            raise HistoryGone("Where you entered this room is not known here: load the room's "
                              "state again.")
        found = await self.ctx.history.since(session_id, p.room, p.epoch, start, REPLAY_BYTES)
        if await self.ctx.store.read_latest(session_id, member) != entry:
            raise HistoryGone("You entered this room again meanwhile: load the room's state "
                              "again.")
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

    async def _follow(self, events: Sequence[Event]) -> None:
        """An ended session's rooms have nobody to replay to: their history goes at once, and
        nothing more of it is kept (it no longer keeps its chat either). So does the history of
        a session someone was erased from (a deletion request), as soon as the erasure is
        applied where it was given: a request for a person erases every session of theirs
        before the features' deletions run, and meanwhile a ``replay`` of a session already
        erased would hand out what it no longer holds. What the erasure took, their words, is
        not kept after it either; everyone else's still on its way is (the session keeps it).
        Someone who joins may have been erased under the same id (their page came back): their
        caption lines are kept again."""
        ended = False
        erased: dict[str, int] = {}
        joined: list[str] = []
        here = origin_here.get()
        for event in events:
            if isinstance(event, SessionEnded):
                ended = True
            elif isinstance(event, ParticipantErased) and here:
                erased[event.participant_id] = max(event.message_ids, default=0)
            elif isinstance(event, ParticipantJoined) and here:
                joined.append(event.participant.id)
        history, session_id = self.ctx.history, events[0].session_id if events else ""
        if ended or erased:
            await history.drop(session_id, taken=Taken(whole=ended, erased=erased))
        for participant_id in joined:
            await history.returned(session_id, participant_id)

    # -- deletion and retention -------------------------------------------------------------------

    def _erasure(self, erasure: Erasure) -> None:
        history = self.ctx.history

        async def person(person_id: str) -> Erased:
            # The history does not know who a person is in each session: a deletion request
            # drops every room's (at most ``HistoryBounds.seconds`` of events; pages that
            # reconnect then resynchronise).
            return _count(await history.drop())

        async def participant(session_id: str, participant_id: str) -> Erased:
            # (What the erasure took was left when it was applied, ``_follow``; not again here:
            # their page may have joined again meanwhile, under the same id.)
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
                    dropped += await history.drop(session_id, taken=Taken(whole=True))
            return _count(dropped)

        erasure.person.append(person)
        erasure.participant.append(participant)
        erasure.expired.append(expired)


def _count(dropped: int) -> Erased:
    return {"replay history entries": dropped} if dropped else {}


def replay_from(room: str, epoch: str, offset: int, entry: tuple[str, str, int] | None) -> int:
    """The offset to answer a ``replay`` from: the one asked, not earlier than the asker's entry
    into the room. None known for the room (not kept yet, or they entered again): ``-1``."""
    if entry is None or entry[0] != room:
        return -1
    if entry[1] != epoch:
        # Another epoch: the room's history started afresh since they entered (all of it is
        # after their entry), or the one asked for is gone (``since`` says so).
        return offset
    return max(offset, entry[2])
