"""Sending board changes and pointers to a room, coalesced.

Updates are relayed to the room coalesced: the first after a quiet spell goes at once, later ones
within ``relay_interval`` are merged into one message, so a busy room costs at most one delivery
per member per interval whatever the number of people drawing. Cursors are never stored; the room
receives them in batches every ``cursor_interval``. Both are keyed by board, and a board is one
room of one round (room ids name their round), so nothing queued for a room reaches the next
round's room of the same name. A session that ends or leaves this process's memory is let go of
(``forget``): an update still waiting goes to the room first, then its board is let go of too.

One send of a board is under way at a time, so its messages reach the room (and its history) in
the order its updates came. A send that fails for a while (``transient``: Redis out of reach,
too slow, loading its data, busy running a script, out of memory, failing over) keeps its
updates, ahead of those that came meanwhile, and is tried again after ``retry_interval``, then
after longer and longer waits (``RETRY_GROWTH``, up to ``retry_max``) until it goes: the
updates are acknowledged already (the store holds them), and the next ones build on them, so a
room that lacked one would hold every later one pending. The caller is not told (its
acknowledgement says what the store holds). What waits of a board is bounded by ``max_bytes``;
past it the board's whole document (``whole``), which holds it all, replaces it. A send that
fails for good (any other error: the room's history was deleted, Redis refuses the message or
the script's arguments, the updates do not merge) would fail the same way every time: what
waits of the board is dropped, logged once (ids and the error's type, nothing of the content),
and the board's next update is sent as its whole document (``whole``, when it is loaded here),
to everyone, so that the room gets what was dropped, without which it would hold the next
updates pending. A board let go of while its send fails sends nothing again.

Each message carries an id (``Once``: this relay's, and a number). A send that failed for a
while is sent again alone, the same message under the same id, before what came meanwhile
(which goes next, at once): when Redis had run it and only its answer was lost, the room's
history recognises the id and neither keeps nor sends it a second time. Merged with what came
meanwhile it would be another message, kept besides the first. So what waits of a board is
``max_bytes`` and the message sent again; when the board's whole document replaces what waits,
it replaces that message too (it holds it; sent under a new id, it may then be kept besides it,
once, past the bound).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import merge_updates
from redis.exceptions import (
    ClusterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.whiteboard import BoardKey
from server.gateway import SocketGateway, room_key
from server.history import History, Once, send_replayable
from server.whiteboard.wire import BOARD_CURSORS, BOARD_UPDATE, BoardUpdateOut

logger = logging.getLogger(__name__)

RELAY_INTERVAL = 0.03
CURSOR_INTERVAL = 0.1
# A send that failed for a while is tried again after this long, then after each wait times
# RETRY_GROWTH, at most RETRY_MAX_SECONDS, until it goes.
RETRY_SECONDS = 1.0
RETRY_GROWTH = 1.5
RETRY_MAX_SECONDS = 10.0
# Errors Redis answers while it cannot serve for a moment (the rest are answered every time).
_PASSING_REPLIES = ("BUSY", "LOADING", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "READONLY", "OOM")
# What may wait of one board (a board's default bound, ``BoardLimits.board_bytes``).
MAX_BYTES = 2 * 1024 * 1024
# The whole document of a board loaded here (None: it is not).
Whole = Callable[[BoardKey], bytes | None]


@dataclass(frozen=True, slots=True)
class _Batch:
    """The updates one message carries, and its id: after a failure it is sent again as it
    was, alone and under the same id."""

    updates: list[bytes]
    senders: list[str]  # participant ids
    sids: set[str | None]
    generation: int | None
    once: Once


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
    failing: bool = False  # its last send failed for a while: it is tried again
    retries: int = 0  # sends that failed in a row (the next wait grows with them)
    lost: bool = False  # a send failed for good: the next one carries the whole board
    forgotten: bool = False  # its session left: dropped once the send waiting has gone
    # The generation of the board its updates were made on (a deletion drops the box first).
    generation: int | None = None
    again: _Batch | None = None  # a message whose send failed for a while: sent again first

    def take(self) -> tuple[list[bytes], list[str], set[str | None]]:
        taken = self.updates, self.senders, self.sids
        self.updates, self.senders, self.sids, self.size = [], [], set(), 0
        return taken

    def waiting(self) -> int:
        """The updates waiting, the message to send again's included."""
        return len(self.updates) + (len(self.again.updates) if self.again is not None else 0)


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
    retry_max: float = RETRY_MAX_SECONDS
    max_bytes: int = MAX_BYTES
    # How a send waits for its time (the interval, or a retry): tests put their own clock here.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    whole: Whole | None = None  # set by the feature
    outboxes: dict[BoardKey, _Outbox] = field(default_factory=dict)
    cursors: dict[BoardKey, _Cursors] = field(default_factory=dict)
    # The ids of its messages (``Once``): this relay's token, and a number.
    sender: str = field(default_factory=lambda: "relay-" + secrets.token_hex(8))
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

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
        if box.lost:
            # A send failed for good before: the room lacks what it dropped, which the whole
            # board holds, and so may the sender (the dropped changes may be others').
            box.lost = False
            self._shrink(key, box)
            box.sids.add(None)
        elif box.size > self.max_bytes and len(box.updates) > 1:
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
            await self.sleep(next_wait)
            next_wait = await self._flush(key, box)

    async def _flush(self, key: BoardKey, box: _Outbox) -> float | None:
        """Send what waits in ``box`` as one message (the message to send again alone, first);
        in how long to send again (None: nothing waits, and the box is no longer scheduled)."""
        if self.outboxes.get(key) is not box or not (box.updates or box.again):
            self._done(key, box)
            return None
        batch, box.again = box.again, None
        again = batch is not None
        if batch is None:
            updates, senders, sids = box.take()
            batch = _Batch(updates, senders, sids, box.generation,
                           Once(self.sender, str(next(self.numbers))))
        box.last_sent = _now()
        # Skip the sender when it is the only one (it has the change); a merged batch from
        # several goes to all (a replica ignores what it already has).
        skip = next(iter(batch.sids)) if len(batch.sids) == 1 else None
        try:
            updates = batch.updates
            update = updates[0] if len(updates) == 1 else merge_updates(*updates)
            # Each message relayed is one entry of the room's history (replayable), appended
            # first.
            out: BoardUpdateOut = {"room": key.room, "update": update,
                                   "from": list(dict.fromkeys(batch.senders))}
            if batch.generation is not None:
                # A page whose copy is of a later generation drops it: made on a copy of a
                # board deleted since (this process not told yet), it may hold what was deleted.
                out["generation"] = batch.generation
            await send_replayable(self.history, self.gateway, key.session_id, key.room,
                                  BOARD_UPDATE(out), skip_sid=skip, once=batch.once)
        except Exception as exc:
            return self._failed(key, box, batch, exc)
        except BaseException:  # cancelled: sent again, as it was, with the next update's send
            box.again = batch
            box.scheduled = False
            raise
        box.retries = 0
        if box.failing:
            box.failing = False
            logger.info("board %s/%s: its updates are relayed again", key.session_id, key.room)
        if box.updates and self.outboxes.get(key) is box:
            if again:  # what came meanwhile has waited long enough
                return await self._flush(key, box)
            return max(0.0, box.last_sent + self.relay_interval - _now())
        self._done(key, box)
        return None

    def _failed(self, key: BoardKey, box: _Outbox, batch: _Batch,
                exc: Exception) -> float | None:
        """A send failed: its message is sent again later, as it was and under the same id,
        ahead of what came meanwhile, if the error passes (``transient``); otherwise it is
        dropped with what came meanwhile, as it is if the board was let go of meanwhile."""
        if self.outboxes.get(key) is not box or box.forgotten:
            # Nothing came meanwhile: it would have gone to a new box, or kept this one.
            logger.warning("board %s/%s: %d updates could not be relayed (%s) and are dropped: "
                           "the board was let go of", key.session_id, key.room, len(batch.updates),
                           type(exc).__name__)
            self._done(key, box)
            return None
        if not transient(exc):
            dropped = len(batch.updates) + box.waiting()
            box.take()
            box.again = None
            box.failing, box.retries, box.lost = False, 0, True
            # The error's type and where it came from; its text and the updates stay out.
            logger.warning("board %s/%s: %d updates could not be relayed (%s%s) and are "
                           "dropped: sending them again would fail the same way",
                           key.session_id, key.room, dropped, type(exc).__name__,
                           _cause(exc))
            self._done(key, box)
            return None
        box.again = batch
        wait = min(self.retry_max, self.retry_interval * RETRY_GROWTH ** box.retries)
        box.retries += 1
        if not box.failing:
            box.failing = True
            logger.warning("board %s/%s: its updates could not be relayed (%s%s); tried again "
                           "in %g s, then less and less often until they go", key.session_id,
                           key.room, type(exc).__name__, _cause(exc), wait)
        return wait

    def _done(self, key: BoardKey, box: _Outbox) -> None:
        box.scheduled = False
        if box.forgotten and self.outboxes.get(key) is box:
            del self.outboxes[key]

    def _shrink(self, key: BoardKey, box: _Outbox) -> None:
        """What waits of the board passed ``max_bytes``: the board's whole document replaces it
        (it holds every update applied), the message to send again included; or, when the board
        is not loaded here, their merge (the message to send again stays apart: merged, it
        would be another message)."""
        whole = self.whole(key) if self.whole is not None else None
        updates, senders, sids = box.take()
        if whole is not None and box.again is not None:
            senders, sids = box.again.senders + senders, box.again.sids | sids
            box.again = None
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
            if box.waiting():
                logger.warning("board %s/%s: %d updates not relayed yet are dropped: the board "
                               "was let go of", key.session_id, key.room, box.waiting())
                box.take()
                box.again = None


def transient(exc: BaseException) -> bool:
    """Whether a send that failed with ``exc`` may go if tried again later: Redis out of reach
    or too slow, or answering that it cannot serve for a moment; judged by the error or what
    caused it (the history's ``NotRecorded`` wraps Redis's error)."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if isinstance(seen, (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError,
                             OutOfMemoryError, ReadOnlyError, TryAgainError, ClusterDownError)):
            return True
        if isinstance(seen, ResponseError):
            return str(seen).startswith(_PASSING_REPLIES)
        seen = seen.__cause__
    return False


def _cause(exc: BaseException) -> str:
    return "" if exc.__cause__ is None else f" from {type(exc.__cause__).__name__}"


def _now() -> float:
    return asyncio.get_running_loop().time()
