"""The session journal in SQLite: one file in the data directory (``sessions.sqlite3``), WAL mode,
one writer.

Every write (a command entry, a snapshot, a deletion) joins the pending batch. The writer takes the
whole batch, applies it in one transaction on a thread of its own, commits with a full flush
(``synchronous=FULL``) and only then resolves the batch's future, which every write of the batch
shares: a caller that awaited it knows its write is on disk. Commits start at most every
``commit_interval`` seconds, so that writes arriving together share one flush. When a commit
fails, every write of the batch fails with ``JournalUnavailable`` and ``on_lost`` is told which
sessions lost writes (their store then writes a whole snapshot at their next change).

A snapshot of a session at entry ``seq`` replaces its row in ``sessions`` and deletes its entries
up to ``seq`` in the same transaction. The batch needs no bound of its own: each connection has at
most one command in flight (its events are handled one after another), so a batch holds at most
one write per connection, besides the server's own (timers, snapshots).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rooms.errors import NotRecorded
from server.store.memory import StoredSession

logger = logging.getLogger(__name__)

JOURNAL_FILE = "sessions.sqlite3"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    seq INTEGER NOT NULL,
    snapshot BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    command BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""
INSERT_COMMAND = "INSERT OR REPLACE INTO commands (session_id, seq, command) VALUES (?, ?, ?)"
Change = Callable[[sqlite3.Connection], None]


class JournalUnavailable(NotRecorded):
    """The journal could not commit (disk full, I/O error) or is closed."""


@dataclass(slots=True)
class _Batch:
    """Writes waiting for the next commit: command entries as rows, anything else as changes, in
    the order they came."""

    future: asyncio.Future[None]
    writes: list[tuple[str, int, bytes] | Change] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)


class SqliteJournal:
    def __init__(self, path: Path, *, commit_interval: float = 0.01) -> None:
        self.path = path
        self.commit_interval = commit_interval
        self.on_lost: Callable[[set[str]], None] | None = None
        self._db: sqlite3.Connection | None = None
        self._batch: _Batch | None = None
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-writer")
        self._closing = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> list[StoredSession]:
        loop = asyncio.get_running_loop()
        stored = await loop.run_in_executor(self._thread, self._open)
        self._wake = asyncio.Event()
        self._writer = asyncio.create_task(self._write_loop(), name="journal-writer")
        return stored

    def _open(self) -> list[StoredSession]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer Tandem (schema {version})")
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db = db
        out = []
        for sid, seq, snapshot in db.execute(
                "SELECT id, seq, snapshot FROM sessions ORDER BY created_at, id"):
            commands = tuple(db.execute(
                "SELECT seq, command FROM commands WHERE session_id = ? AND seq > ? ORDER BY seq",
                (sid, seq)))
            out.append(StoredSession(sid, seq, snapshot, commands))
        return out

    async def close(self) -> None:
        """Commit everything already submitted, then stop. Later writes fail."""
        if self._closing:
            return
        self._closing = True
        if self._writer is not None and self._wake is not None:
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), timeout=30)
            except TimeoutError:
                logger.error("journal writer did not finish in 30 s; stopping it")
                self._writer.cancel()
        if self._batch is not None:
            self._fail(self._batch, JournalUnavailable("The session journal is closed."))
            self._batch = None
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.get_running_loop().run_in_executor(self._thread, db.close)
        self._thread.shutdown(wait=True)

    # -- writes ---------------------------------------------------------------------------------

    def append(self, session_id: str, seq: int, command: bytes) -> asyncio.Future[None]:
        return self._submit(session_id, (session_id, seq, command))

    def snapshot(self, session_id: str, seq: int, created_at: float,
                 data: bytes) -> asyncio.Future[None]:
        def change(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO sessions (id, created_at, seq, snapshot) "
                       "VALUES (?, ?, ?, ?)", (session_id, created_at, seq, data))
            db.execute("DELETE FROM commands WHERE session_id = ? AND seq <= ?",
                       (session_id, seq))
        return self._submit(session_id, change)

    def delete(self, session_ids: list[str]) -> asyncio.Future[None]:
        ids = [(sid,) for sid in session_ids]

        def change(db: sqlite3.Connection) -> None:
            db.executemany("DELETE FROM commands WHERE session_id = ?", ids)
            db.executemany("DELETE FROM sessions WHERE id = ?", ids)
        return self._submit(None, change)

    def _submit(self, session_id: str | None,
                write: tuple[str, int, bytes] | Change) -> asyncio.Future[None]:
        if self._closing or self._wake is None:
            failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            failed.set_exception(JournalUnavailable(
                "The session journal is not running; the change was not kept."))
            return failed
        batch = self._batch
        if batch is None:
            batch = self._batch = _Batch(asyncio.get_running_loop().create_future())
            self._wake.set()
        batch.writes.append(write)
        if session_id is not None:
            batch.sessions.add(session_id)
        return batch.future

    async def _write_loop(self) -> None:
        assert self._wake is not None
        wake, loop = self._wake, asyncio.get_running_loop()
        last_commit = -self.commit_interval
        while True:
            await wake.wait()
            wake.clear()
            gather = last_commit + self.commit_interval - loop.time()
            if gather > 0 and not self._closing:
                await asyncio.sleep(gather)  # let the writes of the next moment join this commit
            batch, self._batch = self._batch, None
            if batch is not None:
                last_commit = loop.time()
                try:
                    await loop.run_in_executor(self._thread, self._commit, batch.writes)
                except Exception as exc:  # nothing in the batch is kept
                    logger.exception("journal commit of %d writes failed", len(batch.writes))
                    self._fail(batch, JournalUnavailable(
                        f"The session journal could not commit: {exc}"))
                else:
                    if not batch.future.done():
                        batch.future.set_result(None)
            if self._closing and self._batch is None:
                return

    def _fail(self, batch: _Batch, error: JournalUnavailable) -> None:
        if not batch.future.done():
            batch.future.set_exception(error)
            batch.future.exception()  # retrieved here: the writers see it when they await
        if self.on_lost is not None and batch.sessions:
            self.on_lost(batch.sessions)

    def _commit(self, writes: list[tuple[str, int, bytes] | Change]) -> None:
        db = self._db
        if db is None:
            raise JournalUnavailable("The session journal is closed.")
        db.execute("BEGIN IMMEDIATE")
        try:
            rows: list[tuple[str, int, bytes]] = []
            for write in writes:
                if isinstance(write, tuple):
                    rows.append(write)
                    continue
                if rows:
                    db.executemany(INSERT_COMMAND, rows)
                    rows.clear()
                write(db)
            if rows:
                db.executemany(INSERT_COMMAND, rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def counts(path: Path) -> dict[str, int]:
    """How many sessions and command entries a journal file holds (for tests and support)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "sessions": db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0],
            "commands": db.execute("SELECT COUNT(*) FROM commands").fetchone()[0],
        }
    finally:
        db.close()
