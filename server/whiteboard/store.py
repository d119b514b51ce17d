"""Durable whiteboards under the data directory: per board a compacted snapshot and an append-only
log of the updates since, fsynced before a change is acknowledged.

Layout, under ``<data dir>/whiteboards/``::

    <session id>/meta.json    the session's title, pair key, creation time, room names (for
                              listings) and who changed each board (for deletion requests)
    <session id>/<room>.snap  the board's full state (a CRDT update), replaced atomically
    <session id>/<room>.log   updates since the snapshot: [length u32][crc32 u32][update]...
    pairs/<pair key>          session ids of a pair's sessions, one a line, oldest first

Every file operation runs in one worker task, in the order it was asked for, in a thread; a batch
of appends costs one fsync per board. A torn or corrupt record at the end of a log (a crash in the
middle of a write) is cut off when the board is next loaded; the records before it are kept.
Compaction writes the new snapshot to a temporary file, fsyncs it, renames it over the old one and
only then empties the log: a crash in between replays updates the snapshot already holds, which
CRDT updates tolerate.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rooms.errors import BoardDeleted
from rooms.whiteboard import BoardKey

logger = logging.getLogger(__name__)

T = TypeVar("T")
_HEADER = struct.Struct(">II")
# Appends waiting for the disk; past this, writers wait (back-pressure, not unbounded memory).
QUEUE_MAX = 10_000
PAIRS = "pairs"


@dataclass(slots=True)
class Fence:
    """What a copy of a board was read at, carried by each of its writes, so that a store shared
    by several processes refuses them once the board was deleted since (``RedisBoardStore``:
    ``born``, the board's birth, never drawn twice, drawn as the copy is read when nothing of
    the board is stored; 0: not checked, and the copy's first write that the store takes gives
    it the board's birth). The files, of one process, keep none."""

    born: int = 0


@dataclass(frozen=True, slots=True)
class StoredBoard:
    """What the disk holds for one board: its snapshot (or None) and the updates since, and the
    fence its copies write with."""

    snapshot: bytes | None
    updates: tuple[bytes, ...]
    fence: Fence = field(default_factory=Fence, compare=False)

    @property
    def size(self) -> int:
        return len(self.snapshot or b"") + sum(len(u) for u in self.updates)


@dataclass(frozen=True, slots=True)
class BoardMeta:
    session_id: str
    title: str
    pair_key: str | None
    created_at: float  # the session's creation (the retention rule goes by it)
    rooms: dict[str, str] = field(default_factory=dict)  # room id -> name
    # room id -> marks of who changed its board (``rooms.whiteboard.drawer_marks``), the marks
    # of the board it was copied from included
    drawn_by: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "title": self.title, "pair_key": self.pair_key,
                "created_at": self.created_at, "rooms": dict(self.rooms),
                "drawn_by": {room: list(marks) for room, marks in self.drawn_by.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoardMeta:
        return cls(str(data["session_id"]), str(data.get("title", "")),
                   data.get("pair_key"), float(data.get("created_at", 0.0)),
                   {str(k): str(v) for k, v in dict(data.get("rooms", {})).items()},
                   {str(k): tuple(str(m) for m in v)
                    for k, v in dict(data.get("drawn_by", {})).items()})

    def with_room(self, room: str, name: str) -> BoardMeta:
        return replace(self, rooms={**self.rooms, room: name})

    def with_marks(self, room: str, marks: tuple[str, ...]) -> BoardMeta:
        kept = self.drawn_by.get(room, ())
        return replace(self, drawn_by={**self.drawn_by,
                                       room: kept + tuple(m for m in marks if m not in kept)})

    def rooms_marked(self, mark: str) -> list[str]:
        return sorted(room for room, marks in self.drawn_by.items() if mark in marks)


def board_deleted() -> BoardDeleted:
    """The refusal of a change made on a copy of a board that was deleted since."""
    return BoardDeleted("This board was deleted since the change was made on it; sync the "
                        "board again, without the copy it was made on.")


class BoardStorage(Protocol):
    """What keeps boards: ``BoardStore`` (files, one process) or ``RedisBoardStore`` (shared by
    the processes of ``tandem serve --redis``). A write's future resolves once it is durable;
    one given the ``fence`` of a copy read before its board was deleted fails with
    ``BoardDeleted`` and writes nothing (None: the write is not checked)."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def load(self, key: BoardKey) -> StoredBoard: ...
    def append(self, key: BoardKey, update: bytes,
               fence: Fence | None = None) -> asyncio.Future[None]: ...
    def compact(self, key: BoardKey, snapshot: bytes,
                fence: Fence | None = None) -> asyncio.Future[None]: ...
    async def rooms(self, session_id: str) -> list[str]: ...
    async def delete_session(self, session_id: str) -> bool: ...
    async def delete_boards(self, session_id: str, rooms: list[str]) -> int: ...
    async def marked(self, mark: str) -> dict[str, list[str]]: ...
    async def created_before(self, before: float) -> list[str]: ...
    async def read_meta(self, session_id: str) -> BoardMeta | None: ...
    async def write_meta(self, meta: BoardMeta) -> None: ...
    async def pair_sessions(self, pair_key: str) -> list[str]: ...


class _Batch:
    """Files a batch of operations touched, to fsync once each before the batch resolves."""

    def __init__(self, fsync: bool) -> None:
        self.fsync = fsync
        self.files: set[Path] = set()
        self.dirs: set[Path] = set()

    def sync(self) -> None:
        if not self.fsync:
            return
        for path in self.files:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue  # deleted later in the same batch (a deletion request)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for d in self.dirs:
            if d.is_dir():
                _fsync_dir(d)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_Op = tuple[Callable[[_Batch], Any], "asyncio.Future[Any]"]


class BoardStore:
    """Boards on disk. ``start`` before use and ``close`` at shutdown (pending writes finish)."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root
        self.fsync = fsync
        self._queue: asyncio.Queue[_Op] | None = None
        self._worker: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
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
        assert self._queue is not None
        queue = self._queue
        while True:
            ops = [await queue.get()]
            while not queue.empty():
                ops.append(queue.get_nowait())
            results = await asyncio.to_thread(self._run_batch, [fn for fn, _ in ops])
            for (_, future), (ok, value) in zip(ops, results, strict=True):
                if not future.done():
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
                queue.task_done()

    def _run_batch(self, fns: list[Callable[[_Batch], Any]]) -> list[tuple[bool, Any]]:
        batch = _Batch(self.fsync)
        results: list[tuple[bool, Any]] = []
        for fn in fns:
            try:
                results.append((True, fn(batch)))
            except Exception as exc:  # handed to the one who asked, not lost in the worker
                results.append((False, exc))
        try:
            batch.sync()
        except OSError as exc:
            logger.exception("whiteboard store: fsync failed")
            results = [(False, exc) for _ in results]
        return results

    def _submit(self, fn: Callable[[_Batch], T]) -> asyncio.Future[T]:
        """Queue ``fn`` now (so operations keep the order they were asked in)."""
        if self._queue is None:
            raise RuntimeError("the whiteboard store is not started")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((fn, future))
        return future

    async def _do(self, fn: Callable[[_Batch], T]) -> T:
        return await self._submit(fn)

    # -- paths ------------------------------------------------------------------------------------

    def _dir(self, session_id: str) -> Path:
        BoardKey(session_id, "main")  # checks the id is a safe file name
        return self.root / session_id

    def _paths(self, key: BoardKey) -> tuple[Path, Path]:
        d = self.root / key.session_id
        return d / f"{key.room}.snap", d / f"{key.room}.log"

    # -- boards -----------------------------------------------------------------------------------

    async def load(self, key: BoardKey) -> StoredBoard:
        snap_path, log_path = self._paths(key)

        def load(batch: _Batch) -> StoredBoard:
            snapshot = snap_path.read_bytes() if snap_path.exists() else None
            updates: list[bytes] = []
            if log_path.exists():
                data = log_path.read_bytes()
                good = 0
                while good + _HEADER.size <= len(data):
                    length, crc = _HEADER.unpack_from(data, good)
                    start, end = good + _HEADER.size, good + _HEADER.size + length
                    if end > len(data) or zlib.crc32(data[start:end]) != crc:
                        break
                    updates.append(data[start:end])
                    good = end
                if good != len(data):
                    logger.warning("board %s/%s: cut a torn log tail of %d bytes",
                                   key.session_id, key.room, len(data) - good)
                    with open(log_path, "r+b") as fh:
                        fh.truncate(good)
                    batch.files.add(log_path)
            return StoredBoard(snapshot, tuple(updates))

        return await self._do(load)

    def append(self, key: BoardKey, update: bytes,
               fence: Fence | None = None) -> asyncio.Future[None]:
        """Queue ``update`` at the end of the board's log; the future resolves once it is on
        disk (fsynced). Queued at once, so appends keep the order of the calls. ``fence`` is
        not needed here: one process queues every write and deletion of a board in order, and
        writes nothing of a copy it dropped as deleted (``Board.deleted``)."""
        _, log_path = self._paths(key)
        record = _HEADER.pack(len(update), zlib.crc32(update)) + update

        def append(batch: _Batch) -> None:
            if not log_path.parent.exists():
                log_path.parent.mkdir(parents=True)
                batch.dirs.add(self.root)
            if not log_path.exists():
                batch.dirs.add(log_path.parent)
            with open(log_path, "ab") as fh:
                fh.write(record)
            batch.files.add(log_path)

        return self._submit(append)

    def compact(self, key: BoardKey, snapshot: bytes,
                fence: Fence | None = None) -> asyncio.Future[None]:
        """Queue replacing the board's snapshot with ``snapshot`` (which holds every update
        queued before this call) and emptying its log (``fence``: as for ``append``)."""
        snap_path, log_path = self._paths(key)

        def compact(batch: _Batch) -> None:
            snap_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = snap_path.with_suffix(".snap.tmp")
            with open(tmp, "wb") as fh:
                fh.write(snapshot)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.replace(tmp, snap_path)
            if self.fsync:
                _fsync_dir(snap_path.parent)
            if log_path.exists():
                with open(log_path, "r+b") as fh:
                    fh.truncate(0)
                batch.files.add(log_path)

        return self._submit(compact)

    async def rooms(self, session_id: str) -> list[str]:
        """Rooms of a session that have a board on disk."""
        d = self._dir(session_id)

        def rooms(batch: _Batch) -> list[str]:
            if not d.is_dir():
                return []
            found = {p.name.rsplit(".", 1)[0] for p in d.iterdir()
                     if p.suffix in (".snap", ".log")}
            return sorted(found)

        return await self._do(rooms)

    async def delete_session(self, session_id: str) -> bool:
        """Delete every board of a session (a deletion request); True if there were any."""
        d = self._dir(session_id)

        def delete(batch: _Batch) -> bool:
            if not d.is_dir():
                return False
            shutil.rmtree(d)
            batch.dirs.add(self.root)
            self._prune_pairs(batch)
            return True

        return await self._do(delete)

    async def delete_boards(self, session_id: str, rooms: list[str]) -> int:
        """Delete the boards of ``rooms`` of a session, and the session's folder once it has no
        board left; return how many boards there were."""
        d = self._dir(session_id)
        for room in rooms:
            BoardKey(session_id, room)

        def delete(batch: _Batch) -> int:
            meta_path = d / "meta.json"
            found = 0
            for room in rooms:
                paths = [d / f"{room}{suffix}" for suffix in (".snap", ".log", ".snap.tmp")]
                found += any(p.exists() for p in paths[:2])
                for p in paths:
                    p.unlink(missing_ok=True)
            batch.dirs.add(d)
            if not any(p.suffix in (".snap", ".log") for p in d.iterdir()):
                shutil.rmtree(d)
                batch.dirs.discard(d)
                batch.dirs.add(self.root)
                self._prune_pairs(batch)
            elif meta_path.exists():
                meta = BoardMeta.from_json(json.loads(meta_path.read_text()))
                meta = replace(meta, drawn_by={r: m for r, m in meta.drawn_by.items()
                                               if r not in rooms})
                self._write_json(batch, meta_path, meta.to_json())
            return found

        return await self._do(delete)

    async def marked(self, mark: str) -> dict[str, list[str]]:
        """Session id -> rooms whose board carries ``mark`` (someone who changed it)."""

        def find(batch: _Batch) -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for d, meta in self._metas():
                rooms = meta.rooms_marked(mark) if meta is not None else []
                if rooms:
                    found[d.name] = rooms
            return found

        return await self._do(find)

    async def created_before(self, before: float) -> list[str]:
        """Sessions created before ``before`` (by their meta; a folder without one, by the
        time its files last changed)."""

        def find(batch: _Batch) -> list[str]:
            old = []
            for d, meta in self._metas():
                if meta is not None:
                    created = meta.created_at
                else:
                    created = max([p.stat().st_mtime for p in d.iterdir()] or
                                  [d.stat().st_mtime])
                if created < before:
                    old.append(d.name)
            return sorted(old)

        return await self._do(find)

    def _metas(self) -> list[tuple[Path, BoardMeta | None]]:
        if not self.root.is_dir():
            return []
        out: list[tuple[Path, BoardMeta | None]] = []
        for d in sorted(self.root.iterdir()):
            if not d.is_dir() or d.name == PAIRS:
                continue
            path = d / "meta.json"
            try:
                meta = BoardMeta.from_json(json.loads(path.read_text()))
            except FileNotFoundError:
                meta = None
            except (ValueError, KeyError, TypeError):
                logger.warning("whiteboard store: the meta of session %s does not parse", d.name)
                meta = None
            out.append((d, meta))
        return out

    def _prune_pairs(self, batch: _Batch) -> None:
        """Drop deleted sessions from the pairs' lists, and a list left empty."""
        pairs = self.root / PAIRS
        if not pairs.is_dir():
            return
        for path in pairs.iterdir():
            lines = [line for line in path.read_text().split("\n") if line]
            kept = [line for line in lines if (self.root / line).is_dir()]
            if kept == lines:
                continue
            if kept:
                self._write_text(batch, path, "".join(f"{line}\n" for line in kept))
            else:
                path.unlink()
            batch.dirs.add(pairs)

    def _write_json(self, batch: _Batch, path: Path, data: dict[str, Any]) -> None:
        self._write_text(batch, path, json.dumps(data))

    @staticmethod
    def _write_text(batch: _Batch, path: Path, text: str) -> None:
        """Replace a small file atomically (the new one is fsynced with the batch)."""
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        batch.files.add(path)
        batch.dirs.add(path.parent)

    # -- sessions and pairs -----------------------------------------------------------------------

    async def read_meta(self, session_id: str) -> BoardMeta | None:
        path = self._dir(session_id) / "meta.json"

        def read(batch: _Batch) -> BoardMeta | None:
            if not path.exists():
                return None
            return BoardMeta.from_json(json.loads(path.read_text()))

        return await self._do(read)

    async def write_meta(self, meta: BoardMeta) -> None:
        """Keep the session's meta, and on its first write add the session to its pair's
        list."""
        path = self._dir(meta.session_id) / "meta.json"

        def write(batch: _Batch) -> None:
            first = not path.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._write_json(batch, path, meta.to_json())
            if first and meta.pair_key is not None:
                pairs = self.root / PAIRS
                pairs.mkdir(exist_ok=True)
                with open(pairs / meta.pair_key, "a") as fh:
                    fh.write(meta.session_id + "\n")
                batch.files.add(pairs / meta.pair_key)

        await self._do(write)

    async def pair_sessions(self, pair_key: str) -> list[str]:
        """Session ids of a pair's sessions with boards, oldest first."""
        BoardKey(pair_key, "main")
        path = self.root / PAIRS / pair_key

        def read(batch: _Batch) -> list[str]:
            if not path.exists():
                return []
            return [line for line in path.read_text().split("\n")
                    if line and (self.root / line).is_dir()]

        return await self._do(read)
