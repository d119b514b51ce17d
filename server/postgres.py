"""One PostgreSQL database with one writer: the ledger and the session journal of a server
started with ``--database postgresql://...`` commit together, as they do in SQLite
(``server.database``), so that a command's journal entry and its records share one transaction.

The driver is asyncpg (pinned in pyproject.toml): it speaks PostgreSQL's protocol on the event
loop itself (no thread per query, where psycopg's synchronous core would need one or its own
async layer), its ``executemany`` sends a batch's rows in one pipelined round trip, and its pool
reconnects by itself: a connection that broke is replaced at the next ``acquire``.

Writes go through the group-commit writer of ``server.writer``. For each batch the writer holds
one pooled connection (kept from batch to batch while it works), opens one transaction, inserts
the sources' buffered rows and the plain inserts (``PgOp.rows``) with one ``executemany`` per
run of the same statement, runs the other operations, then the ``on_commit`` hooks, and
commits. Every connection asks for ``synchronous_commit = on`` whatever the server's default, so
a commit has returned only once PostgreSQL flushed it: acknowledged means committed. If a
statement is refused, the batch is redone with a savepoint per operation, so that one bad
operation fails alone. If the database cannot be reached (refused, reset, shut down, a statement
past ``command_timeout``), the connection is dropped and every operation of the batch fails with
``DatabaseUnavailable``; the next batch (a write, or the heartbeat) connects again. A commit whose
connection broke while it was being committed may have been kept: it is reported as not kept
(the safe side: the client is told it was not recorded).

Reads use the same pool (``read``, ``stream``). Bounds: waiting for a free connection of the
pool (``pool_size``) lasts at most ``acquire_timeout`` seconds, past which the read, the ping or
the writer's connecting fails with ``DatabaseUnavailable`` (as an unreachable database does),
never waits for ever. A stream (an export) holds a connection and a transaction for as long as
its client takes to read it, so at most ``streams_max`` run at once (half the pool by default,
and always at least two connections fewer than the pool: one for the writer, one for reads and
readiness); one more is refused at once with ``DatabaseBusy``. Messages of PostgreSQL errors can
quote a row (``DETAIL: Failing row contains ...``): only their first line is ever logged or
passed on.

``exclusive``: the writer's connection holds an advisory lock for as long as it lives, so that
a second Tandem process on the same database (whose session journal would overwrite this one's)
cannot write; it refuses to start, as a second process on one data directory does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from server import writer
from server.settings import DATABASE_SCHEMES, redact_url
from server.writer import Alive, DatabaseUnavailable, GroupCommit, Rows, Stop

logger = logging.getLogger(__name__)

# The advisory lock an ``exclusive`` writer holds (any number of Tandem's own: "tandem" in ASCII).
WRITER_LOCK = 0x74616E64656D
# Held while a server creates or checks its tables, so that two starting at once do not race.
SCHEMA_LOCK = 0x74616E64656E
# Each part's schema version (``ledger``, ``journal``); a newer one than this code's is refused.
VERSIONS = """
CREATE TABLE IF NOT EXISTS tandem_schema (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
)
"""
# Errors that say the connection (or the server) is gone, not that a statement was refused.
LOST = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError,
        asyncpg.exceptions.OperatorInterventionError)
Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"


class DatabaseLocked(DatabaseUnavailable):
    """Another Tandem process writes to this database."""


class DatabaseBusy(DatabaseUnavailable):
    """As many streams (exports) as may run at once are running: try again once one is done."""


def reason(exc: BaseException) -> str:
    """An error in words that hold no row's values: the first line of its message."""
    return (str(exc).split("\n", 1)[0] or type(exc).__name__)[:300]


def lost(exc: BaseException) -> bool:
    return isinstance(exc, LOST)


def usable(conn: Connection) -> bool:
    """Whether a pooled connection is still open. asyncpg hands one whose connection closed
    (the server restarted, or ended it) back to its pool at once, after which even asking
    raises; such a one is not usable either."""
    try:
        return not conn.is_closed()
    except asyncpg.InterfaceError:
        return False


@dataclass(slots=True)
class PgOp(writer.Op):
    """One write: ``run`` applies it inside the writer's transaction and returns its result."""

    async def run(self, conn: Connection) -> Any:
        rows = self.rows()
        if rows is None or self.insert is None:
            raise NotImplementedError
        await conn.executemany(self.insert, rows)
        return None


class PgDatabase(GroupCommit):
    name = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        batch_max: int = 1000,
        queue_max: int = 10_000,
        heartbeat: float = 5.0,
        commit_interval: float = 0.01,
        pool_size: int = 8,
        command_timeout: float = 30.0,
        connect_timeout: float = 10.0,
        acquire_timeout: float = 10.0,
        streams_max: int | None = None,
        exclusive: bool = False,
    ) -> None:
        super().__init__(batch_max=batch_max, queue_max=queue_max, heartbeat=heartbeat,
                         commit_interval=commit_interval)
        if urlsplit(url).scheme not in DATABASE_SCHEMES:
            raise ValueError("a PostgreSQL URL starts with postgresql://")
        streams_max = pool_size // 2 if streams_max is None else streams_max
        if not 1 <= streams_max <= pool_size - 2:
            raise ValueError("streams_max must be at least 1 and leave two connections of the "
                             "pool (the writer's, and one for reads)")
        if acquire_timeout <= 0:
            raise ValueError("acquire_timeout must be positive")
        self.url = url
        self.where = redact_url(url)
        self.pool_size = pool_size
        self.acquire_timeout = acquire_timeout
        self.streams_max = streams_max
        self._streams = 0  # streams running now
        self.command_timeout = command_timeout
        self.connect_timeout = connect_timeout
        self.exclusive = exclusive
        self.on_commit: list[Callable[[Connection], Awaitable[None]]] = []
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None
        self._conn: Connection | None = None  # the writer's, while it works
        self._opening: asyncio.Lock | None = None
        self._down = False  # the last commit found the database unreachable (logged once)

    # -- lifecycle --------------------------------------------------------------------------------

    async def open(self) -> None:
        """Connect (the owners of tables then create them and load what they hold); raises
        ``DatabaseUnavailable`` (or ``DatabaseLocked``) when the database cannot be used."""
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is not None:
                return
            if self._closed:
                raise DatabaseUnavailable("The database is closed.")
            try:
                self._pool = await asyncpg.create_pool(
                    self.url, min_size=1, max_size=self.pool_size, timeout=self.connect_timeout,
                    command_timeout=self.command_timeout,
                    server_settings={"synchronous_commit": "on",
                                     "application_name": "tandem"})
            except Exception as exc:
                raise DatabaseUnavailable(f"Cannot reach the database at {self.where}: "
                                          f"{reason(exc)}") from None
        if self.exclusive:
            await self._writer_connection()  # takes the lock, or says who holds it

    async def start(self) -> None:
        await self.open()
        self._start_writer()

    async def close(self) -> None:
        """Commit everything already submitted, then stop and disconnect. Later writes fail."""
        if not await self._stop_writer():
            return
        await self._drop_writer_connection(graceful=True)
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), 10)
            except Exception:  # unreachable or stuck: nothing is left to keep
                pool.terminate()

    def abandon(self) -> None:
        """Stop at once without committing what waits, as a crash would (for tests)."""
        self._closed = True
        if self._writer is not None:
            self._writer.cancel()
        if self._pool is not None:
            self._pool.terminate()
            self._pool = None

    async def ensure_schema(self, conn: Connection, component: str, version: int,
                            schema: str) -> None:
        """Create ``component``'s tables (``schema``) unless they exist; refuse tables of a
        newer version than ``version``. One transaction, under ``SCHEMA_LOCK``."""
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
            await conn.execute(VERSIONS)
            found = await conn.fetchval(
                "SELECT version FROM tandem_schema WHERE component = $1", component)
            if found is not None and found > version:
                raise RuntimeError(f"{self.where}: the {component} was written by a newer "
                                   f"Tandem (schema {found}; this one knows {version})")
            if found is None:
                await conn.execute(schema)
                await conn.execute("INSERT INTO tandem_schema (component, version) "
                                   "VALUES ($1, $2)", component, version)

    async def ping(self) -> None:
        """Raise ``DatabaseUnavailable`` unless the database answers a query now."""
        await self.read(lambda conn: conn.fetchval("SELECT 1"))

    # -- the writer -------------------------------------------------------------------------------

    async def _writer_connection(self) -> Connection:
        if self._conn is not None and usable(self._conn):
            return self._conn
        await self._drop_writer_connection()
        if self._pool is None:
            raise DatabaseUnavailable("The database is closed.")
        conn = await self._acquire(self._pool)
        if self.exclusive:
            try:
                locked = await conn.fetchval("SELECT pg_try_advisory_lock($1)", WRITER_LOCK)
            except BaseException:
                await self._pool.release(conn)
                raise
            if not locked:
                await self._pool.release(conn)
                raise DatabaseLocked(f"Another Tandem server is writing to {self.where} (two "
                                     "would lose each other's writes).")
        self._conn = conn
        return conn

    async def _drop_writer_connection(self, graceful: bool = False) -> None:
        """Give the writer's connection back: at close, to be closed politely (the pool's reset
        releases the advisory lock); after a failure, ended at once (the lock with it), so that
        the next batch connects afresh."""
        conn, self._conn = self._conn, None
        if conn is None or self._pool is None:
            return
        if not graceful and usable(conn):
            conn.terminate()
        await self._pool.release(conn)

    async def _apply(self, batch: list[writer.Op], buffered: list[Rows]) -> list[Any]:
        try:
            conn = await self._writer_connection()
            try:
                results = await self._transaction(conn, batch, buffered, careful=False)
            except asyncpg.PostgresError as exc:
                if lost(exc) or not usable(conn):
                    raise
                results = await self._transaction(conn, batch, buffered, careful=True)
        except BaseException as exc:
            if not isinstance(exc, asyncpg.PostgresError) or lost(exc):
                await self._drop_writer_connection()
            raise
        if self._down:
            self._down = False
            logger.warning("%s: reachable again; writes are committed", self.where)
        return results

    def _failure_logged(self, exc: Exception, batch: list[writer.Op]) -> None:
        # No traceback: a driver's message may quote a row (someone's words) past its first line.
        if isinstance(exc, DatabaseLocked):
            logger.error("%s", exc.message)
            return
        if lost(exc) or isinstance(exc, DatabaseUnavailable):
            if not self._down:
                logger.error("%s cannot be reached (%s: %s); writes fail until it can",
                             self.where, type(exc).__name__, reason(exc))
            self._down = True
            return
        logger.error("%s: a commit of %d operations failed (%s: %s)", self.where, len(batch),
                     type(exc).__name__, reason(exc))

    async def _transaction(self, conn: Connection, batch: list[writer.Op], buffered: list[Rows],
                           careful: bool) -> list[Any]:
        results: list[Any] = []
        pending: list[tuple[Any, ...]] = []  # rows of consecutive plain inserts of one statement
        pending_sql = ""

        async def flush() -> None:
            if pending:
                await conn.executemany(pending_sql, pending)
                pending.clear()

        async with conn.transaction():
            for rows_of_source in buffered:
                await conn.executemany(rows_of_source.insert, rows_of_source.rows)
            for op in batch:
                if isinstance(op, Alive | Stop):
                    results.append(None)
                    continue
                assert isinstance(op, PgOp)
                rows = None if careful else op.rows()
                if rows is not None and op.insert is not None:
                    if op.insert != pending_sql:
                        await flush()
                        pending_sql = op.insert
                    pending.extend(rows)
                    results.append(None)
                    continue
                await flush()
                if not careful:
                    results.append(await op.run(conn))
                    continue
                try:
                    async with conn.transaction():  # a savepoint
                        results.append(await op.run(conn))
                except asyncpg.PostgresError as exc:
                    if lost(exc):
                        raise
                    results.append(DatabaseUnavailable(
                        f"The database refused this write: {reason(exc)}"))
            await flush()
            for hook in self.on_commit:
                await hook(conn)
        return results

    # -- reads ------------------------------------------------------------------------------------

    async def _acquire(self, pool: asyncpg.Pool[asyncpg.Record]) -> Connection:
        """A connection of the pool, waited for at most ``acquire_timeout`` seconds."""
        try:
            conn: Connection = await pool.acquire(timeout=self.acquire_timeout)
        except TimeoutError:
            raise DatabaseUnavailable(
                f"No connection to the database came free within {self.acquire_timeout:g} s "
                f"(all {self.pool_size} of the pool busy, or connecting too slow).") from None
        return conn

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        pool = self._pool
        if pool is None:
            raise DatabaseUnavailable("The database is not running.")
        try:
            conn = await self._acquire(pool)
        except LOST as exc:
            raise DatabaseUnavailable(f"Cannot reach the database: {reason(exc)}") from None
        try:
            yield conn
        finally:
            await pool.release(conn)

    async def read(self, fn: Callable[[Connection], Awaitable[Any]]) -> Any:
        """``await fn(conn)`` on a pooled connection; ``DatabaseUnavailable`` when the database
        cannot be reached or no connection comes free in time."""
        try:
            async with self._connection() as conn:
                return await fn(conn)
        except LOST as exc:
            raise DatabaseUnavailable(f"Cannot reach the database: {reason(exc)}") from None

    async def stream(self, sql: str, args: list[Any],
                     chunk: int) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The rows of ``sql``, ``chunk`` at a time, from a cursor (never all in memory), in one
        read-only transaction. ``DatabaseBusy`` when ``streams_max`` already run."""
        if self._streams >= self.streams_max:
            raise DatabaseBusy(f"The database already streams {self._streams} exports, at most "
                               f"{self.streams_max} at once; try again when one has finished.")
        self._streams += 1
        try:
            async with self._connection() as conn, conn.transaction(readonly=True):
                cursor = await conn.cursor(sql, *args)
                while True:
                    rows = await cursor.fetch(chunk)
                    if not rows:
                        return
                    yield [tuple(row) for row in rows]
        except LOST as exc:
            raise DatabaseUnavailable(f"Cannot reach the database: {reason(exc)}") from None
        finally:
            self._streams -= 1
