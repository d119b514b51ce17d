"""Sending board changes and pointers to a room, coalesced.

Updates are relayed to the room coalesced: the first after a quiet spell goes at once, later ones
within ``relay_interval`` are merged into one message, so a busy room costs at most one delivery
per member per interval whatever the number of people drawing. Cursors are never stored; the room
receives them in batches every ``cursor_interval``. Both are keyed by board, and a board is one
room of one round (room ids name their round), so nothing queued for a room reaches the next
round's room of the same name. A session that ends or leaves this process's memory is let go of
(``forget``): an update still waiting goes to the room first, then its board is let go of too.

One send of a board is under way at a time, so its messages reach the room (and its history) in
the order its updates came. A send that fails (the room's history out of reach a moment) keeps
its updates, ahead of those that came meanwhile, and is tried again every ``retry_interval``
until it goes: the updates are acknowledged already (the store holds them), and the next ones
build on them, so a room that lacked one would hold every later one pending. The caller is not
told (its acknowledgement says what the store holds). What waits of a board is bounded by
``max_bytes``; past it the board's whole document (``whole``), which holds it all, replaces it.
A board let go of while its send fails sends nothing again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import merge_updates

from rooms.errors import NotRecorded
from rooms.whiteboard import BoardKey
from server.gateway import SocketGateway, room_key
from server.history import History, send_replayable
from server.whiteboard.wire import BOARD_CURSORS, BOARD_UPDATE, BoardUpdateOut

logger = logging.getLogger(__name__)

RELAY_INTERVAL = 0.03
CURSOR_INTERVAL = 0.1
# A send that failed is tried again this often, until it goes.
RETRY_SECONDS = 1.0
# What may wait of one board (a board's default bound, ``BoardLimits.board_bytes``).
MAX_BYTES = 2 * 1024 * 1024
# The whole document of a board loaded here (None: it is not).
Whole = Callable[[BoardKey], bytes | None]


@dataclass(slots=True)
class _Outbox:
    """Updates of one board waiting to be relayed together."""

    updates: list[bytes] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)  # participant ids
    sids: set[str | None] = field(default_factory=set)
    size: int = 0  # of the updates waiting
    last_sent: float = float("-inf")
    # A send of it is under way or waiting (at once, after the interval, or again after a
    # failure): updates that come meanwhile wait for it.
    scheduled: bool = False
    failing: bool = False  # its last send failed: it is tried again every retry_interval
    forgotten: bool = False  # its session left: dropped once the send waiting has gone
    # The generation of the board its updates were made on (a deletion drops the box first).
    generation: int | None = None

    def take(self) -> tuple[list[bytes], list[str], set[str | None]]:
        taken = self.updates, self.senders, self.sids
        self.updates, self.senders, self.sids, self.size = [], [], set(), 0
        return taken

    def give_back(self, updates: list[bytes], senders: list[str], sids: set[str | None]) -> None:
        """Put back what a send took, ahead of what came meanwhile."""
        self.updates = updates + self.updates
        self.senders = senders + self.senders
        self.sids |= sids
        self.size = sum(len(u) for u in self.updates)


@dataclass(slots=True)
class _Cursors:
    """Cursor positions of one room since the last batch (the latest per participant)."""

    moved: dict[str, dict[str, Any]] = field(default_factory=dict)
    scheduled: bool = False


@dataclass(slots=True)
class Relay:
    gateway: SocketGateway
    history: History
    relay_interval: float = RELAY_INTERVAL
    cursor_interval: float = CURSOR_INTERVAL
    retry_interval: float = RETRY_SECONDS
    max_bytes: int = MAX_BYTES
    whole: Whole | None = None  # set by the feature
    outboxes: dict[BoardKey, _Outbox] = field(default_factory=dict)
    cursors: dict[BoardKey, _Cursors] = field(default_factory=dict)

    async def update(self, key: BoardKey, update: bytes, pid: str, sid: str | None,
                     generation: int | None = None) -> None:
        """Send ``update`` (by participant ``pid`` over connection ``sid``; None: by the server,
        for everyone), made on the board of ``generation``, to the board's room. A send that
        fails is not the caller's: it is tried again later."""
        box = self.outboxes.get(key)
        if box is None:
            box = self.outboxes[key] = _Outbox()
        box.forgotten = False
        if generation is not None:
            box.generation = generation
        box.updates.append(update)
        box.senders.append(pid)
        box.sids.add(sid)
        box.size += len(update)
        if box.size > self.max_bytes and len(box.updates) > 1:
            self._shrink(key, box)
        if box.scheduled:
            return
        box.scheduled = True
        later = box.last_sent + self.relay_interval - _now()
        wait = await self._flush(key, box) if later <= 0 else later
        if wait is not None:
            self.gateway.spawn(self._flush_later(key, box, wait))

    async def _flush_later(self, key: BoardKey, box: _Outbox, wait: float) -> None:
        next_wait: float | None = wait
        while next_wait is not None:
            await asyncio.sleep(next_wait)
            next_wait = await self._flush(key, box)

    async def _flush(self, key: BoardKey, box: _Outbox) -> float | None:
        """Send what waits in ``box`` as one message; in how long to send again (None: nothing
        waits, and the box is no longer scheduled)."""
        if self.outboxes.get(key) is not box or not box.updates:
            self._done(key, box)
            return None
        updates, senders, sids = box.take()
        box.last_sent = _now()
        # Skip the sender when it is the only one (it has the change); a merged batch from
        # several goes to all (a replica ignores what it already has).
        skip = next(iter(sids)) if len(sids) == 1 else None
        try:
            update = updates[0] if len(updates) == 1 else merge_updates(*updates)
            # Each message relayed is one entry of the room's history (replayable), appended
            # first.
            out: BoardUpdateOut = {"room": key.room, "update": update,
                                   "from": list(dict.fromkeys(senders))}
            if box.generation is not None:
                # A page whose copy is of a later generation drops it: made on a copy of a
                # board deleted since (this process not told yet), it may hold what was deleted.
                out["generation"] = box.generation
            await send_replayable(self.history, self.gateway, key.session_id, key.room,
                                  BOARD_UPDATE(out), skip_sid=skip)
        except Exception as exc:
            return self._failed(key, box, (updates, senders, sids), exc)
        except BaseException:  # cancelled: what it took waits for the next update's send
            box.give_back(updates, senders, sids)
            box.scheduled = False
            raise
        if box.failing:
            box.failing = False
            logger.info("board %s/%s: its updates are relayed again", key.session_id, key.room)
        if box.updates and self.outboxes.get(key) is box:
            return max(0.0, box.last_sent + self.relay_interval - _now())
        self._done(key, box)
        return None

    def _failed(self, key: BoardKey, box: _Outbox,
                taken: tuple[list[bytes], list[str], set[str | None]],
                exc: Exception) -> float | None:
        """A send failed: what it took is sent again later, ahead of what came meanwhile; or
        dropped, if the board was let go of meanwhile."""
        if self.outboxes.get(key) is not box or box.forgotten:
            # Nothing came meanwhile: it would have gone to a new box, or kept this one.
            logger.warning("board %s/%s: %d updates could not be relayed (%s) and are dropped: "
                           "the board was let go of", key.session_id, key.room, len(taken[0]),
                           type(exc).__name__)
            self._done(key, box)
            return None
        box.give_back(*taken)
        if box.size > self.max_bytes:
            self._shrink(key, box)
        if not box.failing:
            box.failing = True
            logger.warning("board %s/%s: its updates could not be relayed (%s); tried again "
                           "every %g s", key.session_id, key.room, type(exc).__name__,
                           self.retry_interval, exc_info=not isinstance(exc, NotRecorded))
        return self.retry_interval

    def _done(self, key: BoardKey, box: _Outbox) -> None:
        box.scheduled = False
        if box.forgotten and self.outboxes.get(key) is box:
            del self.outboxes[key]

    def _shrink(self, key: BoardKey, box: _Outbox) -> None:
        """What waits of the board passed ``max_bytes``: the board's whole document replaces it
        (it holds every update applied), or, when the board is not loaded here, their merge."""
        whole = self.whole(key) if self.whole is not None else None
        updates, senders, sids = box.take()
        box.updates = [whole if whole is not None else merge_updates(*updates)]
        box.senders, box.sids = list(dict.fromkeys(senders)), sids
        box.size = len(box.updates[0])

    def cursor(self, key: BoardKey, pid: str, cursor: dict[str, Any]) -> None:
        batch = self.cursors.get(key)
        if batch is None:
            batch = self.cursors[key] = _Cursors()
        batch.moved[pid] = cursor
        if not batch.scheduled:
            batch.scheduled = True
            self.gateway.spawn(self._send_cursors(key))

    def gone(self, key: BoardKey, pid: str, name: str) -> None:
        """A pointer's owner left the board's room: the room drops it."""
        self.cursor(key, pid, {"from": pid, "name": name, "x": None, "y": None})

    async def _send_cursors(self, key: BoardKey) -> None:
        await asyncio.sleep(self.cursor_interval)
        batch = self.cursors.pop(key, None)
        if batch is None or not batch.moved:
            return
        await self.gateway.emit(
            BOARD_CURSORS({"room": key.room, "cursors": list(batch.moved.values())}),
            room=room_key(key.session_id, key.room),
        )

    def forget(self, session_id: str, rooms: list[str] | None = None, *,
               deleted: bool = False) -> None:
        """Let go of a session's boards (of ``rooms``; all when None): an update waiting to be
        sent still goes to the room, and its board is let go of then; what waits to be sent
        again after a failure is dropped, and so is everything waiting of a board ``deleted``
        (a deletion request: nothing of it goes to the room or its history any more)."""
        for key in [k for k in self.outboxes if k.session_id == session_id
                    and (rooms is None or k.room in rooms)]:
            box = self.outboxes[key]
            if box.scheduled and not box.failing and not deleted:
                box.forgotten = True
                continue
            del self.outboxes[key]
            if box.updates:
                logger.warning("board %s/%s: %d updates not relayed yet are dropped: the board "
                               "was let go of", key.session_id, key.room, len(box.updates))
                box.take()


def _now() -> float:
    return asyncio.get_running_loop().time()
