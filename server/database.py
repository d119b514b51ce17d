"""One SQLite database with one writer: everything the embedded default keeps (the attendance
ledger and the session journal) commits together, so that a command, its journal entry and its
records share one transaction and one flush to disk.

The file (``tandem.sqlite3`` in the data directory) is in WAL mode with ``synchronous=FULL``.
Writes go through one writer with group commit (``server.writer``): it applies each batch in
one transaction on a thread of its own, runs the ``on_commit`` hooks inside that transaction,
commits, and only then resolves each operation's future: a caller that awaited one knows it is on
disk. Consecutive operations that are plain inserts (``Op.rows``) are inserted with one statement
each. If a batch fails, it is redone operation by operation, so that one bad operation fails
alone; if the commit itself fails, every operation of the batch fails with
``DatabaseUnavailable``.

Reads open their own read-only connections on worker threads; WAL lets them run while the
writer commits.

What a deletion removes is overwritten in the database file (the owners of tables turn on
``secure_delete``), but the write-ahead log still holds the pages as they were before, until a
checkpoint has copied the log back and the log is reset: ``scrub`` does that at once, after a
deletion request, rather than leave it to the next automatic checkpoint (which does not
truncate the log, so old pages can stay in the file past it).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server import writer
from server.writer import Alive, DatabaseUnavailable, GroupCommit, Rows, Stop

logger = logging.getLogger(__name__)

DATABASE_FILE = "tandem.sqlite3"
# The attendance ledger's file before the session journal joined it in one database.
LEGACY_FILE = "ledger.sqlite3"

__all__ = ["DATABASE_FILE", "LEGACY_FILE", "Database", "DatabaseUnavailable", "Op", "Rows",
           "adopt_legacy_file"]


@dataclass(slots=True)
class Op(writer.Op):
    """One write: ``run`` applies it inside the writer's transaction and returns its result."""

    def run(self, db: sqlite3.Connection) -> Any:
        rows = self.rows()
        if rows is None or self.insert is None:
            raise NotImplementedError
        db.executemany(self.insert, rows)
        return None


def adopt_legacy_file(data_dir: Path) -> None:
    """Move a ledger kept in its own file (with its write-ahead log, which may hold committed
    transactions) to the shared database's name, once."""
    old, new = data_dir / LEGACY_FILE, data_dir / DATABASE_FILE
    if new.exists() or not old.exists():
        return
    for suffix in ("-wal", ""):  # the log first: the database never exists without its log
        source = old.with_name(old.name + suffix)
        if source.exists():
            source.rename(new.with_name(new.name + suffix))
    old.with_name(old.name + "-shm").unlink(missing_ok=True)
    logger.info("the attendance ledger %s is now part of %s", LEGACY_FILE, DATABASE_FILE)


class Database(GroupCommit):
    name = "database"

    def __init__(
        self,
        path: Path,
        *,
        batch_max: int = 1000,
        queue_max: int = 10_000,
        heartbeat: float = 5.0,
        commit_interval: float = 0.01,
    ) -> None:
        super().__init__(batch_max=batch_max, queue_max=queue_max, heartbeat=heartbeat,
                         commit_interval=commit_interval)
        self.path = path
        self.on_commit: list[Callable[[sqlite3.Connection], None]] = []
        self._db: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database-writer")

    # -- lifecycle --------------------------------------------------------------------------------

    def open(self) -> sqlite3.Connection:
        """Create or open the file and return the writer's connection, for the owners of its
        tables to create them and recover (synchronously: once, before serving)."""
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            self._db = db
        return self._db

    async def start(self) -> None:
        if self.started:
            return
        self.open()
        self._start_writer()

    async def close(self) -> None:
        """Commit everything already submitted, then stop. Later writes fail."""
        if not await self._stop_writer():
            return
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.get_running_loop().run_in_executor(self._thread, db.close)
        self._thread.shutdown(wait=True)

    async def in_thread(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn`` with the writer's connection on the writer's thread (before the writer
        starts: loading what the tables hold)."""
        db = self.open()
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, db)

    # -- writes ---------------------------------------------------------------------------------

    async def _apply(self, batch: list[writer.Op], buffered: list[Rows]) -> list[Any]:
        # The writer's thread answers through the loop directly: run_in_executor's chaining of
        # a concurrent future to an asyncio one costs more than the commit's own Python.
        loop = asyncio.get_running_loop()
        done: asyncio.Future[list[Any]] = loop.create_future()

        def settle(results: list[Any] | None, error: BaseException | None) -> None:
            if done.cancelled():
                return
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(results or [])

        def commit() -> None:
            results: list[Any] | None = None
            error: BaseException | None = None
            try:
                results = self._commit(batch, buffered)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting writer
                error = exc
            try:
                loop.call_soon_threadsafe(settle, results, error)
            except RuntimeError:  # the loop closed meanwhile: nobody waits any more
                pass

        self._thread.submit(commit)
        return await done

    def _commit(self, batch: list[writer.Op], buffered: list[Rows] | None = None) -> list[Any]:
        """Apply a batch (the sources' buffered rows first) in one transaction and commit it.
        The fast path inserts the rows of consecutive plain inserts with one statement; if
        anything fails, the batch is redone operation by operation, so that one bad operation
        fails alone."""
        db = self._db
        if db is None:
            raise DatabaseUnavailable("The database is closed.")
        try:
            return self._transaction(db, batch, buffered or [], careful=False)
        except sqlite3.Error:
            return self._transaction(db, batch, buffered or [], careful=True)

    def _transaction(self, db: sqlite3.Connection, batch: list[writer.Op], buffered: list[Rows],
                     careful: bool) -> list[Any]:
        results: list[Any] = []
        pending: list[tuple[Any, ...]] = []  # rows of consecutive plain inserts of one statement
        pending_sql = ""

        def flush() -> None:
            if pending:
                db.executemany(pending_sql, pending)
                pending.clear()

        db.execute("BEGIN IMMEDIATE")
        try:
            for rows_of_source in buffered:
                db.executemany(rows_of_source.insert, rows_of_source.rows)
            for op in batch:
                if isinstance(op, Alive | Stop):
                    results.append(None)
                    continue
                assert isinstance(op, Op)
                rows = None if careful else op.rows()
                if rows is not None and op.insert is not None:
                    if op.insert != pending_sql:
                        flush()
                        pending_sql = op.insert
                    pending.extend(rows)
                    results.append(None)
                    continue
                flush()
                if not careful:
                    results.append(op.run(db))
                    continue
                db.execute("SAVEPOINT op")
                try:
                    results.append(op.run(db))
                except sqlite3.Error as exc:
                    db.execute("ROLLBACK TO op")
                    results.append(DatabaseUnavailable(f"The database refused this write: {exc}"))
                db.execute("RELEASE op")
            flush()
            for hook in self.on_commit:
                hook(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return results

    async def scrub(self, attempts: int = 5, pause: float = 0.05) -> bool:
        """Checkpoint the write-ahead log into the database and truncate it, so that no page
        image of a deleted row is left in it; return whether that was done. It runs on the
        writer's thread, between two commits. A reader still using the log keeps it from
        completing: it is not waited for there (that would hold up every commit), but tried
        again ``attempts`` times in all, ``pause`` seconds apart."""
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(pause)
            db = self._db
            if db is None:  # closed (or never opened): nothing to scrub here
                return False
            if await asyncio.get_running_loop().run_in_executor(self._thread, _checkpoint, db):
                return True
        logger.warning("%s: the write-ahead log could not be truncated (readers kept it busy); "
                       "it may hold deleted rows until a later checkpoint", self.path)
        return False

    # -- reads ----------------------------------------------------------------------------------

    def reader(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA query_only = 1")
        return db

    def read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn`` on a read-only connection of its own (call it in a worker thread)."""
        db = self.reader()
        try:
            return fn(db)
        finally:
            db.close()


def _checkpoint(db: sqlite3.Connection) -> bool:
    """Copy the whole log back and truncate it, without waiting for readers (on the writer's
    thread); say whether it completed."""
    waits = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute("PRAGMA busy_timeout = 0")
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:  # locked by another connection that writes
        return False
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(waits)}")
    return bool(busy == 0)
