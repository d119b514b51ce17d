"""Whiteboards in Redis, shared by every process of ``tandem serve --redis``: the same contract
as ``BoardStore`` (a write's future resolves once Redis holds it), over the session store's
Redis connection and key prefix.

Keys (``P`` is the prefix, ``s`` a session id, ``r`` a room id)::

    P wb:s/r        hash: ``snap`` (the board's state as of its last compaction), ``base`` (how
                    many updates compactions have folded into it), ``v`` (the compaction's
                    version; it moves on every compaction and is gone with the board), ``b``
                    (its birth: drawn as it is made, or as a copy of it is read while nothing
                    of it is stored, then the hash holds ``b`` alone; kept until it is deleted)
    P wversions     counter: every board's versions and births are drawn from it, so that a
                    board deleted and made again never has a version a compaction read before,
                    nor the birth of a copy read before
    P wb:s/r/log    list: the updates appended since, oldest first
    P wb:s/r/gone   counter: the board's deletions, kept ``GONE_MS`` after the last one: a
                    compaction carrying no fence does not bring a board deleted a moment ago
                    back (it is no copy's fence: a fence must not expire)
    P wr:s          set: the session's rooms that have a board
    P wc:s          set: the session's rooms whose birth was drawn by a read (a copy read while
                    nothing of the board was stored), so that deleting the session finds it
    P wm:s          hash: the session's ``title``, ``pair_key``, ``created_at``
    P wm:s/names    hash: room id -> name
    P wm:s/drawn    hash: room id -> the marks of who changed its board, one a line
    P wsessions     sorted set: session ids by creation (the retention rule)
    P wk:<mark>     set: sessions with a board carrying ``mark`` (deletion requests)
    P wp:<pair>     list: a pair's sessions, oldest first

Several processes append to one board at once, so a compaction never rewrites the log: it reads
the snapshot, the log and the version in one transaction, folds into one state the snapshot it
was given (the asking process's document), the stored snapshot and the log's entries, then, in
one script and only if the version did not move, replaces the snapshot and drops exactly the
entries it folded in. Entries appended meanwhile stay; an entry that builds on a change not yet
stored (it cannot be folded in) stays too, with every one after it. A version that moved means
another compaction came first: read again. A board deleted meanwhile stays deleted; so does one
deleted a while before (``gone``), until someone appends to it again.

A process writes from its copy of a board, and its write can reach Redis after another process
deleted the board (the write was queued just before, or the process was not told yet). So every
write of a copy carries its ``Fence``, read with the board: its birth (``b``). A script refuses
the write (nothing of it is stored, the write fails with ``BoardDeleted``) when the board's birth
is another: deleted, perhaps made again since (with a new birth: births are never drawn twice).
A copy read while nothing of the board was stored gets a birth too, drawn by the read, which the
board's first write keeps. A copy lives in a process's memory for as long as the process uses
its session (there is no bound in time), so its fence must last as long: a birth lasts until its
board is deleted, and its absence (or another birth) refuses the copy for ever after, with
nothing left behind to expire. A tombstone counting deletions could not do this: once it
expired, a copy read before the deletion with nothing stored would append to a fresh board,
bringing a change of the deleted drawing back.

The keys' lifetimes: everything of a board (``wb:s/r``, its log, its place in ``wr:s`` and
``wc:s``) goes with the board's deletion, whole or by room. A birth drawn by a read costs a hash
of one field and a set member per room read, bounded by the session's rooms. It keeps the
session in ``wsessions`` after its last board is deleted (its meta goes then), so that the
retention rule, which deletes the session whole once its session store no longer holds it (no
process holds a copy then), finds and deletes it. Deleting a session deletes every birth of
its rooms; ``wversions`` is one counter for all (never deleted), and ``gone`` expires.

A compaction of a board Redis holds adds nothing to it: a snapshot holding changes the stored
board lacks is not written. Those are this process's updates that Redis did not take (they are
written again as updates), or the content of a board deleted since this process read it, which
a process not yet told of the deletion (its channel was down) must not bring back, even when
someone has drawn on the board again since (a new board, whose log the process appended to).

The meta is written by merging (room names and marks are added, never removed but by a
deletion), since several processes write it from what they each hold. The keys are computed
inside the deletion scripts, so this needs one Redis, not a Redis Cluster.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pycrdt import Doc, get_state
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rooms.errors import InvalidPayload, NotRecorded
from rooms.whiteboard import BoardKey
from server.whiteboard.redis_scripts import APPEND, COMPACT, DELETE, LOAD, WRITE_META
from server.whiteboard.store import QUEUE_MAX, BoardMeta, Fence, StoredBoard, board_deleted
from server.whiteboard.yjs import Needs, read_needs, read_state

logger = logging.getLogger(__name__)

T = TypeVar("T")
# A compaction that keeps meeting another one gives up after this many reads (nothing is lost:
# the log is simply longer until the next one).
COMPACT_TRIES = 3
# How long a deleted board's tombstone lasts: far longer than the deletion takes to reach the
# other processes (they drop the board from memory when told). It is no copy's fence (a copy
# carries its board's birth, which does not expire).
GONE_MS = 600_000

@dataclass(slots=True)
class _Op:
    """One write, in the order asked: an append (batched with its neighbours) or anything
    else (``run``)."""

    future: asyncio.Future[Any]
    append: tuple[BoardKey, bytes, Fence | None] | None = None
    run: Callable[[], Awaitable[Any]] | None = None


def fold(snapshots: list[bytes], entries: list[bytes]) -> tuple[bytes, int]:
    """One state holding ``snapshots`` and the log's ``entries``, and how many leading entries
    it holds all of: an entry that builds on a change found nowhere here stays in the log, with
    every one after it."""
    doc: Doc[Any] = Doc()
    for snap in snapshots:
        if snap:
            doc.apply_update(snap)
    waiting: list[tuple[int, Needs]] = []
    stuck: list[int] = []

    def known(needs: Needs) -> bool:
        return needs.builds_on_known(read_state(doc.get_state()))

    for i, update in enumerate(entries):
        try:
            needs = read_needs(update)
        except InvalidPayload:  # never kept by a board (it reads every update first)
            stuck.append(i)
            continue
        if not known(needs):
            waiting.append((i, needs))
            continue
        doc.apply_update(update)
        while (ready := next((w for w in waiting if known(w[1])), None)) is not None:
            waiting.remove(ready)
            doc.apply_update(entries[ready[0]])
    covered = min([i for i, _ in waiting] + stuck + [len(entries)])
    return doc.get_update(), covered


def beyond(snapshot: bytes, stored: bytes, entries: list[bytes]) -> bool:
    """Whether ``snapshot`` holds changes (items; deletions aside) that the stored board, its
    snapshot ``stored`` and the log's ``entries``, lacks."""
    if not snapshot:
        return False
    state, _ = fold([stored], entries)
    holds = read_state(get_state(state))
    return any(clock > holds.get(client, 0)
               for client, clock in read_state(get_state(snapshot)).items())


class RedisBoardStore:
    """Boards in Redis. ``start`` before use and ``close`` at shutdown (queued writes finish)."""

    def __init__(self, redis: Redis, *, prefix: str = "tandem:",
                 clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
        self._append = redis.register_script(APPEND)
        self._compact = redis.register_script(COMPACT)
        self._write_meta = redis.register_script(WRITE_META)
        self._delete = redis.register_script(DELETE)
        self._load = redis.register_script(LOAD)
        self._queue: asyncio.Queue[_Op] | None = None
        self._worker: asyncio.Task[None] | None = None

    # -- keys -------------------------------------------------------------------------------------

    def _board(self, key: BoardKey) -> tuple[str, str, str]:
        board = f"{self.prefix}wb:{key.session_id}/{key.room}"
        return board, board + "/log", board + "/gone"

    def _meta(self, session_id: str) -> tuple[str, str, str]:
        BoardKey(session_id, "main")  # a safe id
        meta = f"{self.prefix}wm:{session_id}"
        return meta, meta + "/names", meta + "/drawn"

    def _rooms(self, session_id: str) -> str:
        return f"{self.prefix}wr:{session_id}"

    def _copies(self, session_id: str) -> str:
        return f"{self.prefix}wc:{session_id}"

    @property
    def _index(self) -> str:
        return f"{self.prefix}wsessions"

    @property
    def _versions(self) -> str:
        return f"{self.prefix}wversions"

    # -- lifecycle and the writer -----------------------------------------------------------------

    async def start(self) -> None:
        self._queue = asyncio.Queue(QUEUE_MAX)
        self._worker = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._worker is None or self._queue is None:
            return
        await self._queue.join()
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)
        self._worker = None

    async def _run(self) -> None:
        """One writer, so that a process's writes reach Redis in the order they were asked
        (an update after the one it builds on; a compaction after the appends before it)."""
        assert self._queue is not None
        queue = self._queue
        while True:
            ops = [await queue.get()]
            while not queue.empty():
                ops.append(queue.get_nowait())
            i = 0
            while i < len(ops):
                j = i
                while j < len(ops) and ops[j].append is not None:
                    j += 1
                if j > i:
                    await self._append_batch(ops[i:j])
                    i = j
                else:
                    await self._run_one(ops[i])
                    i += 1
            for _ in ops:
                queue.task_done()

    async def _append_batch(self, ops: list[_Op]) -> None:
        now = repr(self.clock())
        try:
            # Left with ``async with``: a pipeline whose scripts could not be checked (Redis out
            # of reach) would otherwise keep its connection.
            async with self.redis.pipeline(transaction=False) as pipe:
                for op in ops:
                    assert op.append is not None
                    key, update, fence = op.append
                    board, log, gone = self._board(key)
                    await self._append(
                        keys=[board, log, self._rooms(key.session_id), self._index, gone,
                              self._versions],
                        args=[update, key.room, now, key.session_id, *_fence_args(fence)],
                        client=pipe)
                births = await pipe.execute()
        except (RedisError, OSError) as exc:
            error = NotRecorded("This may not have been kept: the board store is out of reach. "
                                "Try again in a moment.")
            error.__cause__ = exc
            for op in ops:
                _settle(op.future, error=error)
            return
        for op, born in zip(ops, births, strict=True):
            assert op.append is not None
            key, _, fence = op.append
            if not born:
                logger.info("board %s/%s: a write of a copy read before the board was deleted "
                            "was refused", key.session_id, key.room)
                _settle(op.future, error=board_deleted())
                continue
            if fence is not None and not fence.born:
                fence.born = int(born)  # the board this copy writes to from now on
            _settle(op.future, None)

    async def _run_one(self, op: _Op) -> None:
        assert op.run is not None
        try:
            value = await op.run()
        except (RedisError, OSError) as exc:
            error = NotRecorded("The board store is out of reach; try again in a moment.")
            error.__cause__ = exc
            _settle(op.future, error=error)
        except Exception as exc:  # handed to the one who asked, not lost in the worker
            _settle(op.future, error=exc)
        else:
            _settle(op.future, value)

    def _submit(self, op: _Op) -> None:
        if self._queue is None:
            raise RuntimeError("the whiteboard store is not started")
        self._queue.put_nowait(op)

    def _later(self, run: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._submit(_Op(future, run=run))
        return future

    async def _read(self, run: Callable[[], Awaitable[T]]) -> T:
        try:
            return await run()
        except (RedisError, OSError) as exc:
            raise NotRecorded("The board store is out of reach; try again in a "
                              "moment.") from exc

    # -- boards -----------------------------------------------------------------------------------

    async def load(self, key: BoardKey) -> StoredBoard:
        """The board, with the fence its copy writes with (read together; a board with none
        stored is given its birth now)."""
        board, log, _ = self._board(key)

        async def read() -> StoredBoard:
            snap, born, entries = await self._load(
                keys=[board, log, self._copies(key.session_id), self._index, self._versions],
                args=[key.room, repr(self.clock()), key.session_id])
            return StoredBoard(snap or None, tuple(entries), Fence(int(born)))

        return await self._read(read)

    async def _snapshot_and_log(self, key: BoardKey) -> tuple[int, bytes, list[bytes]]:
        """The compaction's version (-1: no board), the snapshot (b"": none) and the log, read
        together."""
        board, log, _ = self._board(key)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hmget(board, "v", "snap")
        pipe.lrange(log, 0, -1)
        (v, snap), entries = await pipe.execute()
        return (-1 if v is None else int(v)), snap or b"", list(entries)

    def append(self, key: BoardKey, update: bytes,
               fence: Fence | None = None) -> asyncio.Future[None]:
        """Queue ``update`` at the end of the board's log; the future resolves once Redis
        holds it, or fails with ``BoardDeleted`` (nothing stored) when the board was deleted
        since its copy (``fence``; None: not checked) was read."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._submit(_Op(future, append=(key, update, fence)))
        return future

    def compact(self, key: BoardKey, snapshot: bytes,
                fence: Fence | None = None) -> asyncio.Future[None]:
        """Queue folding ``snapshot`` (which holds every update this process queued before)
        into the board's stored state, and dropping the log entries the new state holds; or
        nothing, failing with ``BoardDeleted``, as ``append`` does."""

        async def compact() -> None:
            board, log, gone = self._board(key)
            for _ in range(COMPACT_TRIES):
                version, stored, entries = await self._snapshot_and_log(key)
                if version >= 0 and beyond(snapshot, stored, entries):
                    if fence is not None and await self._fenced(key, fence):
                        raise board_deleted()
                    logger.info("board %s/%s: not compacted: this process's copy holds changes "
                                "Redis does not (its writes not taken yet, or the board was "
                                "deleted)", key.session_id, key.room)
                    return
                state, covered = fold([stored, snapshot], entries)
                done = await self._compact(
                    keys=[board, log, self._rooms(key.session_id), self._index, gone,
                          self._versions],
                    args=[version, covered, state, key.room, repr(self.clock()),
                          key.session_id, *_fence_args(fence)])
                if done == -2:
                    raise board_deleted()
                if done != 0:  # kept, or the board was deleted meanwhile (it stays deleted)
                    return
            logger.info("board %s/%s: compaction gave way to others %d times; the log stays",
                        key.session_id, key.room, COMPACT_TRIES)

        return self._later(compact)

    async def _fenced(self, key: BoardKey, fence: Fence) -> bool:
        """Whether the board was deleted since its copy with ``fence`` was read (as the
        scripts' ``fenced``)."""
        board, _, _ = self._board(key)
        return bool(fence.born) and int(await self.redis.hget(board, "b") or 0) != fence.born

    async def rooms(self, session_id: str) -> list[str]:
        """Rooms of a session that have a board."""
        self._meta(session_id)
        found = await self._read(lambda: self.redis.smembers(self._rooms(session_id)))
        return sorted(_text(r) for r in found)

    async def delete_session(self, session_id: str) -> bool:
        """Delete every board of a session and its meta; True if there was any."""
        self._meta(session_id)
        return bool(await self._later(lambda: self._delete(
            keys=[self._index], args=[self.prefix, session_id, "1", GONE_MS])))

    async def delete_boards(self, session_id: str, rooms: list[str]) -> int:
        """Delete the boards of ``rooms`` of a session, and the session's meta once it has no
        board left; return how many boards there were."""
        for room in rooms:
            BoardKey(session_id, room)
        return int(await self._later(lambda: self._delete(
            keys=[self._index], args=[self.prefix, session_id, "0", GONE_MS, *rooms])))

    async def marked(self, mark: str) -> dict[str, list[str]]:
        """Session id -> rooms whose board carries ``mark`` (someone who changed it)."""

        async def find() -> dict[str, list[str]]:
            sessions = sorted(_text(s) for s in
                              await self.redis.smembers(f"{self.prefix}wk:{mark}"))
            pipe = self.redis.pipeline(transaction=False)
            for sid in sessions:
                pipe.hgetall(self._meta(sid)[2])
            found: dict[str, list[str]] = {}
            for sid, drawn in zip(sessions, await pipe.execute(), strict=True):
                rooms = sorted(_text(room) for room, marks in drawn.items()
                               if mark in _text(marks).split("\n"))
                if rooms:
                    found[sid] = rooms
            return found

        return await self._read(find)

    async def created_before(self, before: float) -> list[str]:
        """Sessions created before ``before`` (by their meta; without one, by their first
        board write)."""
        found = await self._read(
            lambda: self.redis.zrangebyscore(self._index, "-inf", f"({before!r}"))
        return sorted(_text(s) for s in found)

    # -- sessions and pairs -----------------------------------------------------------------------

    async def read_meta(self, session_id: str) -> BoardMeta | None:
        keys = self._meta(session_id)

        async def read() -> BoardMeta | None:
            pipe = self.redis.pipeline(transaction=True)
            for k in keys:
                pipe.hgetall(k)
            meta, names, drawn = await pipe.execute()
            if not meta:
                return None
            fields = {_text(k): _text(v) for k, v in meta.items()}
            return BoardMeta(
                session_id, fields.get("title", ""), fields.get("pair_key"),
                float(fields.get("created_at", "0")),
                {_text(k): _text(v) for k, v in names.items()},
                {_text(k): tuple(m for m in _text(v).split("\n") if m)
                 for k, v in drawn.items()})

        return await self._read(read)

    async def write_meta(self, meta: BoardMeta) -> None:
        """Keep the session's meta, merged with what is there (room names and marks are
        added); on its first write the session joins its pair's list."""
        keys = self._meta(meta.session_id)
        if meta.pair_key is not None:
            BoardKey(meta.pair_key, "main")
        args: list[str] = [self.prefix, meta.session_id, meta.title, repr(meta.created_at),
                           meta.pair_key or "", str(len(meta.rooms))]
        for room, name in meta.rooms.items():
            args += [room, name]
        for room, marks in meta.drawn_by.items():
            args += [room, "\n".join(marks)]
        await self._later(lambda: self._write_meta(keys=[*keys, self._index], args=args))

    async def pair_sessions(self, pair_key: str) -> list[str]:
        """Session ids of a pair's sessions with boards, oldest first."""
        BoardKey(pair_key, "main")

        async def read() -> list[str]:
            sessions = [_text(s) for s in
                        await self.redis.lrange(f"{self.prefix}wp:{pair_key}", 0, -1)]
            pipe = self.redis.pipeline(transaction=False)
            for sid in sessions:
                pipe.exists(self._meta(sid)[0], self._rooms(sid))
            there = await pipe.execute()
            return [sid for sid, n in zip(sessions, there, strict=True) if n]

        return await self._read(read)


def _settle(future: asyncio.Future[Any], value: object = None, *,
            error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def _fence_args(fence: Fence | None) -> list[str]:
    """A write's fence for the scripts, as it is when the write is made."""
    return [""] if fence is None else [str(fence.born)]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
