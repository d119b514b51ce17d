"""Sending board changes and pointers to a room, coalesced.

Updates are relayed to the room coalesced: the first after a quiet spell goes at once, later ones
within ``relay_interval`` are merged into one message, so a busy room costs at most one delivery
per member per interval whatever the number of people drawing. Cursors are never stored; the room
receives them in batches every ``cursor_interval``. Both are keyed by board, and a board is one
room of one round (room ids name their round), so nothing queued for a room reaches the next
round's room of the same name. A session that ends or leaves this process's memory is let go of
(``forget``): an update still waiting goes to the room first, then its board is let go of too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from pycrdt import merge_updates

from rooms.whiteboard import BoardKey
from server.gateway import SocketGateway, room_key
from server.history import History, send_replayable
from server.whiteboard.wire import BOARD_CURSORS, BOARD_UPDATE

RELAY_INTERVAL = 0.03
CURSOR_INTERVAL = 0.1


@dataclass(slots=True)
class _Outbox:
    """Updates of one board waiting to be relayed together."""

    updates: list[bytes] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)  # participant ids
    sids: set[str | None] = field(default_factory=set)
    last_sent: float = float("-inf")
    scheduled: bool = False
    forgotten: bool = False  # its session left: dropped once the send waiting has gone


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
    outboxes: dict[BoardKey, _Outbox] = field(default_factory=dict)
    cursors: dict[BoardKey, _Cursors] = field(default_factory=dict)

    async def update(self, key: BoardKey, update: bytes, pid: str, sid: str | None) -> None:
        """Send ``update`` (by participant ``pid`` over connection ``sid``; None: by the server,
        for everyone) to the board's room."""
        box = self.outboxes.get(key)
        if box is None:
            box = self.outboxes[key] = _Outbox()
        box.forgotten = False
        box.updates.append(update)
        box.senders.append(pid)
        box.sids.add(sid)
        if box.scheduled:
            return
        wait = box.last_sent + self.relay_interval - _now()
        if wait <= 0:
            await self._flush(key)
        else:
            box.scheduled = True
            self.gateway.spawn(self._flush_later(key, wait))

    async def _flush_later(self, key: BoardKey, wait: float) -> None:
        await asyncio.sleep(wait)
        try:
            await self._flush(key)
        finally:
            box = self.outboxes.get(key)
            if box is not None and box.forgotten and not box.scheduled and not box.updates:
                del self.outboxes[key]

    async def _flush(self, key: BoardKey) -> None:
        box = self.outboxes.get(key)
        if box is None or not box.updates:
            return
        updates, senders, sids = box.updates, box.senders, box.sids
        box.updates, box.senders, box.sids = [], [], set()
        box.scheduled = False
        box.last_sent = _now()
        update = updates[0] if len(updates) == 1 else merge_updates(*updates)
        # Skip the sender when it is the only one (it has the change); a merged batch from
        # several goes to all (a replica ignores what it already has).
        skip = next(iter(sids)) if len(sids) == 1 else None
        # Each message relayed is one entry of the room's history (replayable), appended first.
        await send_replayable(self.history, self.gateway, key.session_id, key.room, BOARD_UPDATE(
            {"room": key.room, "update": update, "from": list(dict.fromkeys(senders))}),
            skip_sid=skip)

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

    def forget(self, session_id: str, rooms: list[str] | None = None) -> None:
        """Let go of a session's boards (of ``rooms``; all when None): an update waiting to be
        sent still goes to the room, and its board is let go of then."""
        for key in [k for k in self.outboxes if k.session_id == session_id
                    and (rooms is None or k.room in rooms)]:
            box = self.outboxes[key]
            if box.scheduled:
                box.forgotten = True
            else:
                del self.outboxes[key]


def _now() -> float:
    return asyncio.get_running_loop().time()
