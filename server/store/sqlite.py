"""The session journal in SQLite: one file in the data directory (``sessions.sqlite3``), WAL mode,
one writer.

Every write (a command entry, a snapshot, a deletion) joins one queue. The writer takes everything
waiting, applies it in one transaction on a thread of its own, commits with a full flush
(``synchronous=FULL``) and only then resolves each write's future: a caller that awaited one knows
it is on disk. Under load many writes share one commit; commits start at most every
``commit_interval`` seconds, so that single writes arriving together share one flush too.

A snapshot of a session at entry ``seq`` replaces its row in ``sessions`` and deletes its entries
up to ``seq`` in the same transaction. The queue needs no bound of its own: each connection has at
most one command in flight (its events are handled one after another), so it holds at most one
write per connection.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class JournalUnavailable(NotRecorded):
    """The journal could not commit (disk full, I/O error) or is closed."""


INSERT_COMMAND = "INSERT OR REPLACE INTO commands (session_id, seq, command) VALUES (?, ?, ?)"


@dataclass(slots=True)
class _Write:
    """A command entry (``row``), or any other change (``run``)."""

    future: asyncio.Future[None] = field(repr=False)
    row: tuple[str, int, bytes] | None = None
    run: Callable[[sqlite3.Connection], None] | None = None


class SqliteJournal:
    def __init__(self, path: Path, *, commit_interval: float = 0.01,
                 batch_max: int = 2000) -> None:
        self.path = path
        self.commit_interval = commit_interval
        self.batch_max = batch_max
        self._db: sqlite3.Connection | None = None
        self._pending: list[_Write] = []
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal-writer")
        self._closing = False

    # -- lifecycle --------------------------------------------------------------------------------

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
        for write in self._pending:
            if not write.future.done():
                write.future.set_exception(JournalUnavailable("The session journal is closed."))
        self._pending.clear()
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.get_running_loop().run_in_executor(self._thread, db.close)
        self._thread.shutdown(wait=True)

    # -- writes -----------------------------------------------------------------------------------

    def append(self, session_id: str, seq: int, command: bytes) -> asyncio.Future[None]:
        return self._submit(row=(session_id, seq, command))

    def snapshot(self, session_id: str, seq: int, created_at: float,
                 data: bytes) -> asyncio.Future[None]:
        def run(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO sessions (id, created_at, seq, snapshot) "
                       "VALUES (?, ?, ?, ?)", (session_id, created_at, seq, data))
            db.execute("DELETE FROM commands WHERE session_id = ? AND seq <= ?",
                       (session_id, seq))
        return self._submit(run=run)

    def delete(self, session_ids: list[str]) -> asyncio.Future[None]:
        ids = [(sid,) for sid in session_ids]

        def run(db: sqlite3.Connection) -> None:
            db.executemany("DELETE FROM commands WHERE session_id = ?", ids)
            db.executemany("DELETE FROM sessions WHERE id = ?", ids)
        return self._submit(run=run)

    def _submit(self, *, row: tuple[str, int, bytes] | None = None,
                run: Callable[[sqlite3.Connection], None] | None = None) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._closing or self._wake is None:
            future.set_exception(JournalUnavailable(
                "The session journal is not running; the change was not kept."))
            return future
        self._pending.append(_Write(future, row, run))
        self._wake.set()
        return future

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
            while self._pending:
                batch = self._pending[:self.batch_max]
                del self._pending[:self.batch_max]
                last_commit = loop.time()
                try:
                    await loop.run_in_executor(self._thread, self._commit, batch)
                    error: BaseException | None = None
                except Exception as exc:  # nothing in the batch is kept
                    logger.exception("journal commit of %d writes failed", len(batch))
                    error = JournalUnavailable(f"The session journal could not commit: {exc}")
                for write in batch:
                    if write.future.done():
                        continue
                    if error is None:
                        write.future.set_result(None)
                    else:
                        write.future.set_exception(error)
            if self._closing:
                return

    def _commit(self, batch: list[_Write]) -> None:
        db = self._db
        if db is None:
            raise JournalUnavailable("The session journal is closed.")
        db.execute("BEGIN IMMEDIATE")
        try:
            rows: list[tuple[str, int, bytes]] = []
            for write in batch:
                if write.row is not None:
                    rows.append(write.row)
                    continue
                if rows:
                    db.executemany(INSERT_COMMAND, rows)
                    rows.clear()
                assert write.run is not None
                write.run(db)
            if rows:
                db.executemany(INSERT_COMMAND, rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


def stats(path: Path) -> dict[str, Any]:
    """Row counts of a journal file (for tests and support)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "sessions": db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0],
            "commands": db.execute("SELECT COUNT(*) FROM commands").fetchone()[0],
        }
    finally:
        db.close()
