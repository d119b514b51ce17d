"""One SQLite database with one writer: everything the embedded default keeps (the attendance
ledger and the session journal) commits together, so that a command, its journal entry and its
records share one transaction and one flush to disk.

The file (``tandem.sqlite3`` in the data directory) is in WAL mode with ``synchronous=FULL``.
Every write is an ``Op`` on one bounded queue. The writer task takes everything waiting (up to
``batch_max``), applies it in one transaction on a thread of its own, runs the ``on_commit``
hooks inside that transaction, commits, and only then resolves each operation's future: a caller
that awaited one knows it is on disk. Consecutive operations that are plain inserts (``Op.rows``)
are inserted with one statement each. Commits start at most every ``commit_interval`` seconds, so
that single writes arriving together share one commit; an idle writer commits every
``heartbeat`` seconds anyway (the ledger marks itself alive then). If a batch fails, it is redone
operation by operation, so that one bad operation fails alone; if the commit itself fails,
every operation of the batch fails with ``DatabaseUnavailable``.

Reads open their own read-only connections on worker threads; WAL lets them run while the
writer commits. Bound: the queue holds ``queue_max`` operations; when it is full, writers wait.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rooms.errors import NotRecorded
from server.metrics import Metrics

logger = logging.getLogger(__name__)

DATABASE_FILE = "tandem.sqlite3"
# The attendance ledger's file before the session journal joined it in one database.
LEGACY_FILE = "ledger.sqlite3"


class DatabaseUnavailable(NotRecorded):
    """The database could not commit (disk full, I/O error) or is closed: nothing was kept."""


@dataclass(slots=True)
class Op:
    """One write: ``run`` applies it inside the writer's transaction and returns its result."""

    future: asyncio.Future[Any] = field(repr=False)
    # Plain inserts: the statement, shared by consecutive operations of the same kind.
    insert: ClassVar[str | None] = None

    def rows(self) -> list[tuple[Any, ...]] | None:
        """The rows to insert with ``insert``, or None to be ``run`` instead."""
        return None

    def run(self, db: sqlite3.Connection) -> Any:
        rows = self.rows()
        if rows is None or self.insert is None:
            raise NotImplementedError
        db.executemany(self.insert, rows)
        return None


@dataclass(slots=True)
class Rows:
    """Rows an owner of tables buffered for the next commit (``Database.add_source``): inserted
    first in the transaction, kept (or lost) together, told by one future."""

    insert: str
    rows: list[tuple[Any, ...]]
    future: asyncio.Future[None] = field(repr=False)
    on_lost: Callable[[], None] | None = None


@dataclass(slots=True)
class _Alive(Op):
    def run(self, db: sqlite3.Connection) -> None:
        return None  # an empty commit: the hooks mark the database alive


@dataclass(slots=True)
class _Stop(Op):
    def run(self, db: sqlite3.Connection) -> None:
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


class Database:
    def __init__(
        self,
        path: Path,
        *,
        batch_max: int = 1000,
        queue_max: int = 10_000,
        heartbeat: float = 5.0,
        commit_interval: float = 0.01,
        metrics: Metrics | None = None,
    ) -> None:
        if batch_max < 1 or queue_max < 1 or heartbeat <= 0 or commit_interval < 0:
            raise ValueError("batch_max, queue_max and heartbeat must be positive")
        self.path = path
        self.batch_max = batch_max
        self.queue_max = queue_max
        self.heartbeat = heartbeat
        self.commit_interval = commit_interval
        self.on_commit: list[Callable[[sqlite3.Connection], None]] = []
        # Told of the operations that were not kept (a failed commit, or one refused write).
        self.on_failure: list[Callable[[list[Op]], None]] = []
        # Owners that buffer plain rows themselves, drained into every commit.
        self._sources: list[Callable[[], Rows | None]] = []
        self._db: sqlite3.Connection | None = None
        self._queue: asyncio.Queue[Op] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database-writer")
        self._closed = False
        self.metrics = metrics
        # When the last commit succeeded (the loop's clock), and whether one failed since.
        self._committed_at: float | None = None
        self._failing = False

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

    @property
    def started(self) -> bool:
        return self._writer is not None

    async def start(self) -> None:
        if self._writer is not None:
            return
        self.open()
        self._queue = asyncio.Queue(maxsize=self.queue_max)
        self._writer = asyncio.create_task(self._write_loop(), name="database-writer")

    async def check(self, fresh_for: float = 1.0) -> None:
        """Readiness (``ctx.health``): return when the writer runs and its last commit, at most
        ``fresh_for`` seconds ago, succeeded; else commit now and return once that is on disk.
        Raises ``DatabaseUnavailable`` when the writer is not running or the commit fails."""
        writer = self._writer
        if self._closed or writer is None or writer.done():
            raise DatabaseUnavailable("The database writer is not running.")
        committed = self._committed_at
        if (not self._failing and committed is not None
                and asyncio.get_running_loop().time() - committed < fresh_for):
            return
        await (await self.submit(_Alive(self.new_future())))

    async def close(self) -> None:
        """Commit everything already submitted, then stop. Later writes fail."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None and self._queue is not None:
            await self._queue.put(_Stop(asyncio.get_running_loop().create_future()))
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), timeout=30)
            except TimeoutError:
                logger.error("database writer did not finish in 30 s; stopping it")
                self._writer.cancel()
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.get_running_loop().run_in_executor(self._thread, db.close)
        self._thread.shutdown(wait=True)

    # -- writes ---------------------------------------------------------------------------------

    def new_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def submit(self, op: Op) -> asyncio.Future[Any]:
        """Queue ``op`` (waiting while the queue is full); its future says when it is kept."""
        if not self.submit_nowait(op):
            assert self._queue is not None
            await self._queue.put(op)
        return op.future

    def submit_nowait(self, op: Op) -> bool:
        """Queue ``op`` if there is room now (and nobody is waiting for room, so that writes
        stay in order); say whether it was queued."""
        queue = self._queue
        if self._closed or queue is None:
            raise DatabaseUnavailable("The database is not running; nothing was kept.")
        if queue.full() or getattr(queue, "_putters", None):
            return False
        queue.put_nowait(op)
        return True

    def add_source(self, drain: Callable[[], Rows | None]) -> None:
        """``drain()`` hands over the rows buffered since the last commit (or None); the
        writer calls it, on the event loop, for every batch it commits."""
        self._sources.append(drain)

    def wake(self) -> None:
        """Make the writer come round even if nothing is queued (a source has rows)."""
        queue = self._queue
        if queue is not None and not self._closed and not queue.full():
            queue.put_nowait(_Alive(asyncio.get_running_loop().create_future()))

    async def in_thread(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run ``fn`` with the writer's connection on the writer's thread (before the writer
        starts: loading what the tables hold)."""
        db = self.open()
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, db)

    async def _write_loop(self) -> None:
        assert self._queue is not None
        queue, loop = self._queue, asyncio.get_running_loop()
        last_commit = -self.commit_interval
        while True:
            try:
                first = await asyncio.wait_for(queue.get(), self.heartbeat)
            except TimeoutError:
                first = _Alive(loop.create_future())
            gather = last_commit + self.commit_interval - loop.time()
            if gather > 0 and not isinstance(first, _Stop):
                await asyncio.sleep(gather)  # let the writes of the next moment join this commit
            last_commit = loop.time()
            batch = [first]
            while len(batch) < self.batch_max and not isinstance(batch[-1], _Stop):
                try:
                    batch.append(queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            buffered = [rows for drain in self._sources if (rows := drain()) is not None]
            started = time.perf_counter()
            try:
                results = await loop.run_in_executor(self._thread, self._commit, batch,
                                                     buffered)
            except Exception as exc:  # the commit itself failed: nothing in the batch is kept
                self._failing = True
                if self.metrics is not None:
                    self.metrics.ledger_commit_failures += 1
                logger.exception("database commit of %d operations failed", len(batch))
                error = DatabaseUnavailable(f"The database could not commit: {exc}")
                results = [error] * len(batch)
                for rows in buffered:
                    rows.future.set_exception(error)
                    rows.future.exception()
                    if rows.on_lost is not None:
                        rows.on_lost()
            else:
                self._committed_at, self._failing = loop.time(), False
                if self.metrics is not None:
                    self.metrics.ledger_commit.observe(time.perf_counter() - started)
                for rows in buffered:
                    rows.future.set_result(None)
            failed = []
            for op, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    failed.append(op)
                if op.future.done():
                    continue  # the caller went away; the write stands
                if isinstance(result, BaseException):
                    op.future.set_exception(result)
                    op.future.exception()  # retrieved: its caller sees it when it awaits
                else:
                    op.future.set_result(result)
            if failed:
                for hook in self.on_failure:
                    hook(failed)
            if isinstance(batch[-1], _Stop):
                break
        # Writes that raced with close: fail them rather than leave their callers waiting.
        while not queue.empty():
            op = queue.get_nowait()
            if not op.future.done():
                op.future.set_exception(DatabaseUnavailable("The database is closed."))
                op.future.exception()

    def _commit(self, batch: list[Op], buffered: list[Rows] | None = None) -> list[Any]:
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

    def _transaction(self, db: sqlite3.Connection, batch: list[Op], buffered: list[Rows],
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
