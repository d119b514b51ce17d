"""Boards shared by the processes of ``tandem serve --redis``: every process that has a board
loaded applies every update any of them keeps.

Each update this process keeps (a client's, a held one it completes, a mentor's clear, a pair's
starting board) is published on the session's channel once the store holds it, so a process
that loads the board later reads it from the store and one that has it loaded applies it from
the message: never neither. Messages from this process go out one after another, in the order
kept. A process applies another's updates to its document only: the process that kept an update
relayed it to the room, every process's sockets included (``gateway.emit`` crosses processes),
so no client gets it twice. Held updates of this process's clients that an arriving update
completes are kept and relayed here, as if a client's update had completed them.

Deleting boards tells the other processes to drop them from memory (they read the store again
on next use); a message that could not be sent (Redis out of reach a moment) is sent again until
it goes, since the deletion may have been made. Messages published while this process's channel
was down never reach it: once it is back (``resync``, after the session store caught up), every
board loaded here is brought in line with the store. One that lacks changes this process read
from the store or saw stored was deleted meanwhile (perhaps drawn on again since): it is dropped
as a deletion's message drops it, so nothing of it is written back (nor, before that, by a
compaction: ``RedisBoardStore.compact``). The others get what they lack, and keep what this
process's people drew that is not stored yet.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from rooms.errors import InvalidPayload, NotRecorded
from rooms.whiteboard import BoardKey
from server.cluster import Cluster
from server.tasks import TaskSet
from server.whiteboard.boards import Board, Boards, Landed
from server.whiteboard.relay import Relay

logger = logging.getLogger(__name__)

KIND = "w"  # on a session's channel: [KIND, node, UPDATES, [[room, update], ...]]
UPDATES, FORGET = "u", "f"  # [KIND, node, FORGET, rooms or None]
# Updates waiting to be published; past it an update is not published (the others' documents
# lack it until they load the board again; the store has it).
OUTBOX_MAX = 10_000
# A deletion whose message could not be sent is sent again this often, until it goes; at most
# this many sessions' wait (past it one is not told: the others keep their copies in memory
# until they let the session go or their channel drops, though no compaction writes them back).
TELL_AGAIN_SECONDS = 1.0
UNTOLD_MAX = 10_000
Forgotten = Callable[[str, list[str] | None], None]


@dataclass(slots=True)
class _Untold:
    """Boards of a session deleted here whose message could not be sent yet (None: all)."""

    rooms: frozenset[str] | None


@dataclass(slots=True)
class BoardSync:
    cluster: Cluster
    boards: Boards
    relay: Relay
    clock: Callable[[], float]
    # Set by the feature: drop a session's boards (of ``rooms``; all when None) from memory.
    on_forget: Forgotten | None = None
    outbox: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    queued: int = 0
    tasks: TaskSet = field(default_factory=TaskSet)
    sending: asyncio.Task[None] | None = None
    # Deletions not told yet, by session: its rooms (None: all of them).
    untold: dict[str, _Untold] = field(default_factory=dict)
    telling: asyncio.Task[None] | None = None

    def register(self) -> None:
        self.cluster.handlers[KIND] = self.received
        self.boards.on_kept = self.kept

    async def close(self) -> None:
        if self.sending is not None:
            await asyncio.gather(self.sending, return_exceptions=True)
        await self.tasks.close()

    # -- to the other processes -------------------------------------------------------------------

    def kept(self, key: BoardKey, update: bytes) -> None:
        if self.queued >= OUTBOX_MAX:
            logger.warning("board %s/%s: an update was not passed to the other processes (%d "
                           "wait already)", key.session_id, key.room, self.queued)
            return
        self.outbox.setdefault(key.session_id, []).append((key.room, update))
        self.queued += 1
        if self.sending is None or self.sending.done():
            self.sending = self.tasks.spawn(self._send())

    async def _send(self) -> None:
        while self.outbox:
            batch, self.outbox, self.queued = self.outbox, {}, 0
            for session_id, updates in batch.items():
                await self._publish(session_id, [[room, u] for room, u in updates])

    async def _publish(self, session_id: str, updates: list[list[Any]]) -> None:
        try:
            await self.cluster.publish(session_id, [KIND, self.cluster.node, UPDATES, updates])
        except (RedisError, OSError):
            logger.warning("session %s: %d board updates were not passed to the other "
                           "processes (Redis is out of reach)", session_id, len(updates))

    async def forget(self, session_id: str, rooms: list[str] | None = None) -> None:
        """Tell the other processes that these boards were deleted (or may have been: the
        deletion's answer was lost). Sent again until it goes when Redis is out of reach."""
        try:
            await self._tell(session_id, rooms)
        except (RedisError, OSError):
            logger.warning("session %s: deleted boards could not be dropped from the other "
                           "processes' memory yet (Redis is out of reach); told again in a "
                           "moment", session_id)
            self._untold(session_id, rooms)

    async def _tell(self, session_id: str, rooms: list[str] | frozenset[str] | None) -> None:
        body = None if rooms is None else sorted(rooms)
        await self.cluster.publish(session_id, [KIND, self.cluster.node, FORGET, body])

    def _untold(self, session_id: str, rooms: list[str] | None) -> None:
        if session_id not in self.untold and len(self.untold) >= UNTOLD_MAX:
            logger.error("session %s: deleted boards will not be dropped from the other "
                         "processes' memory (%d deletions wait to be told)", session_id,
                         len(self.untold))
            return
        known = self.untold.get(session_id, _Untold(frozenset())).rooms
        self.untold[session_id] = _Untold(None if rooms is None or known is None
                                          else known | frozenset(rooms))
        if self.telling is None or self.telling.done():
            self.telling = self.tasks.spawn(self._tell_again())

    async def _tell_again(self) -> None:
        while self.untold:
            await asyncio.sleep(TELL_AGAIN_SECONDS)
            for session_id, untold in list(self.untold.items()):
                try:
                    await self._tell(session_id, untold.rooms)
                except (RedisError, OSError):
                    break  # still out of reach
                if self.untold.get(session_id) is untold:  # none deleted here meanwhile
                    del self.untold[session_id]
                logger.info("session %s: deleted boards told to the other processes",
                            session_id)

    # -- after this process's channel was down ----------------------------------------------------

    async def resync(self) -> None:
        """Bring every board loaded here in line with the store, since the messages published
        while this process's channel was down never came. Raises ``RedisError`` when the store
        is out of reach (the channel is set up again, and this runs again)."""
        loading = list(self.boards.loading.values())
        if loading:  # their reads may have come before updates this process missed
            await asyncio.gather(*(asyncio.shield(f) for f in loading), return_exceptions=True)
        for key, board in list(self.boards.loaded.items()):
            try:
                # What it knew stored before the read (its writes stored while the read is
                # under way may be missing from what it reads, and are no sign of a deletion).
                known = dict(board.known)
                stored = await self.boards.store.load(key)
                if self.boards.loaded.get(key) is not board:
                    continue  # dropped, or read again, meanwhile
                landed = self.boards.catch_up(board, stored, self.clock(), known)
            except NotRecorded as exc:
                raise RedisError("the boards could not be read again") from exc
            except Exception:  # one board's trouble leaves the others (and the channel) be
                logger.exception("board %s/%s: could not be brought in line with the store; "
                                 "read again", key.session_id, key.room)
                self.boards.read_again(board)
                continue
            if landed is None:
                logger.info("board %s/%s was deleted while this process's channel was down; "
                            "dropped from memory", key.session_id, key.room)
                if self.on_forget is not None:
                    self.on_forget(key.session_id, [key.room])
                continue
            try:
                await self._relay(board, landed)
            except NotRecorded:
                logger.warning("board %s/%s: held updates completed on catching up were kept "
                               "but not relayed (the history is out of reach)", key.session_id,
                               key.room)

    # -- from the other processes -----------------------------------------------------------------

    async def received(self, session_id: str, message: list[Any]) -> None:
        try:
            op, body = message[2], message[3]
            if op == FORGET:
                rooms = None if body is None else [str(r) for r in body]
                if self.on_forget is not None:
                    self.on_forget(session_id, rooms)
                return
            if op != UPDATES:
                return
            updates = [(BoardKey(session_id, str(room)), bytes(u)) for room, u in body]
        except (IndexError, TypeError, ValueError, InvalidPayload):
            logger.error("session %s: an unreadable board message from another process was "
                         "dropped", session_id)
            return
        for key, update in updates:
            board = self.boards.loaded.get(key)
            if board is not None:
                await self._merge(board, update)
                continue
            loading = self.boards.loading.get(key)
            if loading is not None:  # the load may have read the store before this was kept
                self.tasks.spawn(self._merge_once_loaded(loading, update))
            # not loaded here: a later load reads it from the store

    async def _merge_once_loaded(self, loading: asyncio.Future[Board], update: bytes) -> None:
        try:
            board = await asyncio.shield(loading)
        except Exception:
            return  # the load failed; the next one reads the store
        await self._merge(board, update)

    async def _merge(self, board: Board, update: bytes) -> None:
        await self._relay(board, self.boards.merge(board, update, self.clock()))

    async def _relay(self, board: Board, landed: Landed) -> None:
        """Relay the held updates of this process's people that an update of another process
        completed (kept here now)."""
        if landed.held:
            return
        landed.written.add_done_callback(_log_failure(board.key))
        for change in landed.changes:
            await self.relay.update(board.key, change.update, change.pid, change.sid,
                                    board.generation)


def _log_failure(key: BoardKey) -> Callable[[asyncio.Future[None]], None]:
    def check(future: asyncio.Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            logger.warning("board %s/%s: held updates completed by another process's update "
                           "were not kept (%s)", key.session_id, key.room,
                           type(future.exception()).__name__)
    return check
