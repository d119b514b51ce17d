"""Group commit: one writer task that keeps every write of a database, whichever database it is
(SQLite in ``server.database``, PostgreSQL in ``server.postgres``).

Every write is an ``Op`` on one bounded queue. The writer takes everything waiting (up to
``batch_max``), hands it to the backend's ``_apply`` (one transaction, the sources' buffered rows
first), and only once that returned resolves each operation's future: a caller that awaited one
knows it is committed. Commits start at most every ``commit_interval`` seconds, so that single
writes arriving together share one commit; ``hurry()`` starts the next one as soon as it can
(a connection whose next event is already waiting behind one that waits for a commit); an idle
writer commits every ``heartbeat`` seconds anyway (the ledger marks itself alive then).
``_apply`` returns one result per operation (an exception for one that was refused alone); if
it raises, every operation of the batch fails with ``DatabaseUnavailable``. Bounds: the queue
holds ``queue_max`` operations; when it is full, writers wait. At shutdown the writer commits
what was submitted, for at most ``stop_timeout`` seconds; past that it is stopped, and every
write still waiting (the commit under way, its buffered rows, what is queued or buffered after
it) fails with ``DatabaseUnavailable``, as after a failed commit: no caller waits for ever.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from rooms.errors import NotRecorded

if TYPE_CHECKING:
    from server.metrics import Metrics

logger = logging.getLogger(__name__)


class DatabaseUnavailable(NotRecorded):
    """The database could not commit (disk full, I/O error, unreachable) or is closed: nothing
    was kept."""


@dataclass(slots=True)
class Op:
    """One write, applied inside the writer's transaction by its backend."""

    future: asyncio.Future[Any] = field(repr=False)
    # Plain inserts: the statement, shared by consecutive operations of the same kind.
    insert: ClassVar[str | None] = None

    def rows(self) -> list[tuple[Any, ...]] | None:
        """The rows to insert with ``insert``, or None to be run on its own instead."""
        return None


class Shared(asyncio.Future):  # type: ignore[type-arg]
    """A future that many callers await (the rows of one commit, told together): cancelling one
    caller does not cancel it, which would fail it for all the others (and leave the writer a
    future it cannot resolve). The caller cancelled is told once the future is done."""

    def cancel(self, msg: Any = None) -> bool:
        return False


@dataclass(slots=True)
class Rows:
    """Rows an owner of tables buffered for the next commit (``GroupCommit.add_source``):
    inserted first in the transaction, kept (or lost) together, told by one future."""

    insert: str
    rows: list[tuple[Any, ...]]
    future: asyncio.Future[None] = field(repr=False)
    on_lost: Callable[[], None] | None = None


@dataclass(slots=True)
class Alive(Op):
    """An empty commit: the commit hooks mark the database alive."""


@dataclass(slots=True)
class Stop(Op):
    """The last operation: the writer stops once it is committed."""


class GroupCommit:
    """The queue and the writer task; a backend implements ``_apply``."""

    name = "database"

    def __init__(self, *, batch_max: int = 1000, queue_max: int = 10_000,
                 heartbeat: float = 5.0, commit_interval: float = 0.01,
                 stop_timeout: float = 30.0) -> None:
        if (batch_max < 1 or queue_max < 1 or heartbeat <= 0 or commit_interval < 0
                or stop_timeout <= 0):
            raise ValueError("batch_max, queue_max, heartbeat and stop_timeout must be positive")
        self.batch_max = batch_max
        self.stop_timeout = stop_timeout
        self.queue_max = queue_max
        self.heartbeat = heartbeat
        self.commit_interval = commit_interval
        # Told of the operations that were not kept (a failed commit, or one refused write).
        self.on_failure: list[Callable[[list[Op]], None]] = []
        # Owners that buffer plain rows themselves, drained into every commit.
        self._sources: list[Callable[[], Rows | None]] = []
        self._queue: asyncio.Queue[Op] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        # Commit times and failures are counted here when set (``server.metrics``).
        self.metrics: Metrics | None = None
        # When the last commit succeeded (the loop's clock), and whether one failed since.
        self._committed_at: float | None = None
        self._failing = False
        # The writer's loop, once it runs (asyncio.get_running_loop() costs a system call).
        self._loop: asyncio.AbstractEventLoop | None = None
        # While the writer waits for the interval to pass: what ends the wait (``hurry``); and
        # whether the next commit is to start without waiting.
        self._gathering: asyncio.Future[None] | None = None
        self._hurried = False

    async def check(self, fresh_for: float = 1.0) -> None:
        """Readiness (``ctx.health``): return when the writer runs and its last commit, at most
        ``fresh_for`` seconds ago, succeeded; else commit now and return once that is kept.
        Raises ``DatabaseUnavailable`` when the writer is not running or the commit fails."""
        writer = self._writer
        if self._closed or writer is None or writer.done():
            raise DatabaseUnavailable("The database writer is not running.")
        committed = self._committed_at
        if (not self._failing and committed is not None
                and asyncio.get_running_loop().time() - committed < fresh_for):
            return
        await (await self.submit(Alive(self.new_future())))

    async def _apply(self, batch: list[Op], buffered: list[Rows]) -> list[Any]:
        """Apply ``batch`` in one transaction and commit it; one result per operation."""
        raise NotImplementedError

    def _failure_logged(self, exc: Exception, batch: list[Op]) -> None:
        logger.exception("%s commit of %d operations failed", self.name, len(batch))

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._writer is not None

    def _start_writer(self) -> None:
        if self._writer is None:
            self._loop = asyncio.get_running_loop()
            self._queue = asyncio.Queue(maxsize=self.queue_max)
            self._writer = asyncio.create_task(self._write_loop(), name=f"{self.name}-writer")

    async def _stop_writer(self) -> bool:
        """Commit everything already submitted, then stop the writer; later writes fail. Say
        whether this call closed it (False: it was closed before)."""
        if self._closed:
            return False
        self._closed = True
        if self._writer is not None and self._queue is not None:
            try:
                async with asyncio.timeout(self.stop_timeout):
                    # (A full queue behind a stuck commit makes even this wait.)
                    await self._queue.put(Stop(asyncio.get_running_loop().create_future()))
                    self.hurry()  # what is waiting goes now, not at the end of the interval
                    await asyncio.shield(self._writer)
            except TimeoutError:
                logger.error("%s writer did not finish in %g s; stopping it (the writes still "
                             "waiting fail)", self.name, self.stop_timeout)
                self._writer.cancel()
                # It fails what waits as it stops (``_write_loop``); a moment for that, bounded
                # in case the commit it was in swallows the cancellation.
                await asyncio.wait([self._writer], timeout=self.stop_timeout)
        return True

    # -- writes ---------------------------------------------------------------------------------

    def new_future(self) -> asyncio.Future[Any]:
        return (self._loop or asyncio.get_running_loop()).create_future()

    def new_shared_future(self) -> asyncio.Future[Any]:
        """A future for rows that many callers wait on together (``Shared``)."""
        return Shared(loop=self._loop or asyncio.get_running_loop())

    async def submit(self, op: Op) -> asyncio.Future[Any]:
        """Queue ``op`` (waiting while the queue is full); its future says when it is kept."""
        if not self.submit_nowait(op):
            assert self._queue is not None
            await self._queue.put(op)
        return op.future

    def submit_nowait(self, op: Op) -> bool:
        """Queue ``op`` if there is room now (and nobody is waiting for room, so that writes
        stay in order); say whether it was queued."""
        queue, writer = self._queue, self._writer
        if self._closed or queue is None or writer is None or writer.done():
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
            queue.put_nowait(Alive(self.new_future()))

    def hurry(self) -> None:
        """Start the next commit without waiting for the interval to pass (now, if the writer
        is waiting for it; else once the commit under way is done)."""
        gathering = self._gathering
        if gathering is not None:
            _end(gathering)
        else:
            self._hurried = True

    async def _write_loop(self) -> None:
        # The batch under way and its buffered rows, for ``_fail_waiting`` if the writer is
        # stopped in the middle of it.
        under_way: tuple[list[Op], list[Rows]] = ([], [])
        try:
            await self._commit_loop(under_way)
        except BaseException:  # stopped (cancelled), or a fault of the writer's own
            self._fail_waiting(*under_way)
            raise

    def _fail_waiting(self, batch: list[Op], buffered: list[Rows]) -> None:
        """The writer stopped before its work was done (``_stop_writer`` past its bound, a
        crash in tests): fail every write still waiting, told as a failed commit's are. Later
        writes are refused (``submit_nowait``)."""
        error = DatabaseUnavailable("The database was stopped before its commit returned; this "
                                    "write may not have been kept.")
        ops = list(batch)
        queue = self._queue
        while queue is not None and not queue.empty():
            ops.append(queue.get_nowait())
        rows = [*buffered, *(r for drain in self._sources if (r := drain()) is not None)]
        for op in ops:
            if not op.future.done():
                op.future.set_exception(error)
                op.future.exception()
        for lost in rows:
            if lost.future.done():
                continue  # kept by an earlier commit
            lost.future.set_exception(error)
            lost.future.exception()
            if lost.on_lost is not None:
                lost.on_lost()
        if ops:
            for hook in self.on_failure:
                hook(ops)

    async def _commit_loop(self, under_way: tuple[list[Op], list[Rows]]) -> None:
        assert self._queue is not None
        queue, loop = self._queue, asyncio.get_running_loop()
        last_commit = -self.commit_interval
        while True:
            under_way[0].clear()
            under_way[1].clear()
            try:
                first = queue.get_nowait()  # under load the next write is already waiting
            except asyncio.QueueEmpty:
                try:
                    async with asyncio.timeout(self.heartbeat):
                        first = await queue.get()
                except TimeoutError:
                    first = Alive(loop.create_future())
            under_way[0].append(first)
            gather = last_commit + self.commit_interval - loop.time()
            if gather > 0 and not self._hurried and not isinstance(first, Stop):
                # Let the writes of the next moment join this commit.
                gathering = self._gathering = loop.create_future()
                timer = loop.call_later(gather, _end, gathering)
                try:
                    await gathering
                finally:
                    timer.cancel()
                    self._gathering = None
            self._hurried = False
            last_commit = loop.time()
            batch = [first]
            while len(batch) < self.batch_max and not isinstance(batch[-1], Stop):
                try:
                    batch.append(queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            buffered = [rows for drain in self._sources if (rows := drain()) is not None]
            under_way[0][:] = batch
            under_way[1][:] = buffered
            started = time.perf_counter()
            try:
                results = await self._apply(batch, buffered)
            except Exception as exc:  # the commit itself failed: nothing in the batch is kept
                self._failing = True
                if self.metrics is not None:
                    self.metrics.ledger_commit_failures += 1
                self._failure_logged(exc, batch)
                error = DatabaseUnavailable(f"The database could not commit: {_reason(exc)}")
                results = [error] * len(batch)
                for rows in buffered:
                    if not rows.future.done():
                        rows.future.set_exception(error)
                        rows.future.exception()
                    if rows.on_lost is not None:
                        rows.on_lost()
            else:
                self._committed_at, self._failing = loop.time(), False
                if self.metrics is not None:
                    self.metrics.ledger_commit.observe(time.perf_counter() - started)
                for rows in buffered:
                    if not rows.future.done():
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
            if isinstance(batch[-1], Stop):
                break
        # Writes that raced with close: fail them rather than leave their callers waiting.
        while not queue.empty():
            op = queue.get_nowait()
            if not op.future.done():
                op.future.set_exception(DatabaseUnavailable("The database is closed."))
                op.future.exception()


def _end(gathering: asyncio.Future[None]) -> None:
    """End the writer's wait for the interval (its timer, or a hurry, whichever comes first)."""
    if not gathering.done():
        gathering.set_result(None)


def _reason(exc: Exception) -> str:
    """What went wrong, in words that hold no row's values (a driver's message, or the kind of
    error when it has none)."""
    text = str(exc).split("\n", 1)[0]
    return text or type(exc).__name__
