"""The ledger in SQLite: one file in the data directory, WAL mode, one writer task.

Every write (records, session metadata, deletions) becomes an operation on one bounded queue.
The single writer task takes everything waiting (up to ``batch_max`` operations), applies it in
one transaction on a dedicated thread, commits with a full flush (``synchronous=FULL``) and only
then resolves each operation's future: callers that await a write know it is on disk. Under load
many writes share one commit (group commit), and commits start at most every
``commit_interval`` seconds, so that a steady stream of single writes shares commits too instead
of paying one full flush each; an idle writer marks the ledger alive every ``heartbeat`` seconds
so that, after a crash, presence left open can be closed at a known time.

Reads open their own read-only connections on worker threads; WAL lets them run while the
writer commits.

Bounds: the queue holds ``queue_max`` operations; when it is full, writers wait (the events they
acknowledge wait with them; per-connection rate limits keep one client from filling it).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rooms.attendance import Record, RecordKind, SessionInfo, still_inside
from rooms.errors import SessionNotFound
from rooms.roles import Role
from rooms.roster import RosterEntry, Schedule, SessionPlan
from server.ledger import (
    RECORD_FIELDS,
    DeletionReport,
    LedgerUnavailable,
    SessionListing,
    SessionQuery,
)

logger = logging.getLogger(__name__)

LEDGER_FILE = "ledger.sqlite3"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    goal TEXT NOT NULL DEFAULT '',
    programme TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    max_participants INTEGER NOT NULL DEFAULT 0,
    scheduled_start REAL,
    scheduled_end REAL,
    keep_chat INTEGER NOT NULL DEFAULT 0,
    ended_at REAL
);
CREATE INDEX IF NOT EXISTS sessions_created ON sessions (created_at);
CREATE TABLE IF NOT EXISTS roster (
    session_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    person_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    email TEXT,
    PRIMARY KEY (session_id, person_id)
);
CREATE INDEX IF NOT EXISTS roster_person ON roster (person_id);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    person_id TEXT,
    room TEXT NOT NULL,
    role TEXT,
    value INTEGER,
    text TEXT
);
CREATE INDEX IF NOT EXISTS records_session ON records (session_id, seq);
CREATE INDEX IF NOT EXISTS records_person ON records (person_id) WHERE person_id IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS records_append_only BEFORE UPDATE ON records
BEGIN
    SELECT RAISE(ABORT, 'ledger records are append-only');
END;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
RECORD_COLUMNS = ", ".join(RECORD_FIELDS)
INSERT_RECORD = (
    "INSERT INTO records (session_id, at, kind, participant_id, person_id, room, role, value, "
    "text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SESSION_COLUMNS = (
    "id, title, goal, programme, created_at, max_participants, scheduled_start, scheduled_end, "
    "keep_chat, ended_at"
)


# -- operations the writer applies ----------------------------------------------------------------


@dataclass(slots=True)
class _Op:
    future: asyncio.Future[Any] = field(repr=False)

    def run(self, db: sqlite3.Connection) -> Any:
        raise NotImplementedError


@dataclass(slots=True)
class _Append(_Op):
    records: Sequence[Record] = ()

    def run(self, db: sqlite3.Connection) -> None:
        db.executemany(INSERT_RECORD, [_record_row(r) for r in self.records])
        for r in self.records:
            if r.kind is RecordKind.SESSION_ENDED:
                db.execute("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                           (r.at, r.session_id))


@dataclass(slots=True)
class _PutSession(_Op):
    info: SessionInfo | None = None

    def run(self, db: sqlite3.Connection) -> None:
        info = self.info
        assert info is not None
        plan, schedule = info.plan, info.plan.schedule
        db.execute(
            f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET title = excluded.title, goal = excluded.goal, "
            "programme = excluded.programme, max_participants = excluded.max_participants, "
            "scheduled_start = excluded.scheduled_start, scheduled_end = excluded.scheduled_end, "
            "keep_chat = excluded.keep_chat",
            (info.session_id, info.title, info.goal, plan.programme, info.created_at,
             info.max_participants, schedule.start if schedule else None,
             schedule.end if schedule else None, int(plan.keep_chat), info.ended_at),
        )
        db.execute("DELETE FROM roster WHERE session_id = ?", (info.session_id,))
        db.executemany(
            "INSERT INTO roster (session_id, position, person_id, name, role, email) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(info.session_id, i, e.person_id, e.name, e.role.value, e.email)
             for i, e in enumerate(plan.roster)],
        )


@dataclass(slots=True)
class _DeletePerson(_Op):
    person_id: str = ""

    def run(self, db: sqlite3.Connection) -> DeletionReport:
        records = db.execute(
            "DELETE FROM records WHERE (session_id, participant_id) IN "
            "(SELECT DISTINCT session_id, participant_id FROM records WHERE person_id = ?)",
            (self.person_id,),
        ).rowcount
        roster = db.execute("DELETE FROM roster WHERE person_id = ?", (self.person_id,)).rowcount
        return DeletionReport(records, roster)


@dataclass(slots=True)
class _DeleteParticipant(_Op):
    session_id: str = ""
    participant_id: str = ""

    def run(self, db: sqlite3.Connection) -> DeletionReport:
        records = db.execute(
            "DELETE FROM records WHERE session_id = ? AND participant_id = ?",
            (self.session_id, self.participant_id),
        ).rowcount
        return DeletionReport(records, 0)


@dataclass(slots=True)
class _Purge(_Op):
    before: float = 0.0

    def run(self, db: sqlite3.Connection) -> int:
        old = [row[0] for row in db.execute(
            "SELECT id FROM sessions WHERE created_at < ?", (self.before,))]
        for session_id in old:
            db.execute("DELETE FROM records WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM roster WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        return len(old)


@dataclass(slots=True)
class _Alive(_Op):
    def run(self, db: sqlite3.Connection) -> None:
        return None  # every commit marks the ledger alive


@dataclass(slots=True)
class _Stop(_Op):
    def run(self, db: sqlite3.Connection) -> None:
        return None


# -- rows <-> values ------------------------------------------------------------------------------


def _record_row(r: Record) -> tuple[Any, ...]:
    return (r.session_id, r.at, r.kind.value, r.participant_id, r.person_id, r.room,
            r.role.value if r.role is not None else None, r.value, r.text)


_KINDS = {k.value: k for k in RecordKind}
_ROLES = {r.value: r for r in Role}


def record_from_row(row: Sequence[Any]) -> Record:
    seq, session_id, at, kind, participant_id, person_id, room, role, value, text = row
    return Record(session_id, at, _KINDS[kind], participant_id, person_id, room,
                  _ROLES[role] if role is not None else None, value, text, seq)


def _info_from_row(row: Sequence[Any], roster: Iterable[Sequence[Any]]) -> SessionInfo:
    (session_id, title, goal, programme, created_at, max_participants, start, end, keep_chat,
     ended_at) = row
    entries = tuple(RosterEntry(person_id, name, Role(role), email)
                    for person_id, name, role, email in roster)
    schedule = Schedule(start, end) if start is not None and end is not None else None
    plan = SessionPlan(programme=programme, schedule=schedule, roster=entries,
                       keep_chat=bool(keep_chat))
    return SessionInfo(session_id=session_id, title=title, created_at=created_at, goal=goal,
                       max_participants=max_participants, plan=plan, ended_at=ended_at)


def _where(query: SessionQuery, alias: str = "") -> tuple[str, list[Any]]:
    p = f"{alias}." if alias else ""
    clauses: list[str] = []
    args: list[Any] = []
    when = f"COALESCE({p}scheduled_start, {p}created_at)"
    if query.since is not None:
        clauses.append(f"{when} >= ?")
        args.append(query.since)
    if query.until is not None:
        clauses.append(f"{when} < ?")
        args.append(query.until)
    if query.programme is not None:
        clauses.append(f"{p}programme = ?")
        args.append(query.programme)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


# -- the ledger -----------------------------------------------------------------------------------


class SqliteLedger:
    """The embedded default ledger. ``open`` it (creates the file, closes presence a crash left
    open), ``start`` its writer on the running loop, ``close`` it at shutdown."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        batch_max: int = 1000,
        queue_max: int = 10_000,
        heartbeat: float = 5.0,
        commit_interval: float = 0.01,
    ) -> None:
        if batch_max < 1 or queue_max < 1 or heartbeat <= 0 or commit_interval < 0:
            raise ValueError("batch_max, queue_max and heartbeat must be positive")
        self.path = path
        self.clock = clock
        self.batch_max = batch_max
        self.queue_max = queue_max
        self.heartbeat = heartbeat
        self.commit_interval = commit_interval
        self._db: sqlite3.Connection | None = None
        self._queue: asyncio.Queue[_Op] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-writer")
        self._closed = False
        self.recovered: list[Record] = []  # presence closed by ``open`` after a crash

    # -- lifecycle --------------------------------------------------------------------------------

    def open(self) -> None:
        """Create or open the file (synchronously: called once at start, before serving)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer Tandem (schema {version})")
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db = db
        self.recovered = self._recover(db)

    async def start(self) -> None:
        if self._db is None:
            self.open()
        self._queue = asyncio.Queue(maxsize=self.queue_max)
        self._writer = asyncio.create_task(self._write_loop(), name="ledger-writer")

    async def close(self) -> None:
        """Commit everything already submitted, then stop. Later writes fail."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None and self._queue is not None:
            stop = _Stop(asyncio.get_running_loop().create_future())
            await self._queue.put(stop)
            try:
                await asyncio.wait_for(asyncio.shield(self._writer), timeout=30)
            except TimeoutError:
                logger.error("ledger writer did not finish in 30 s; stopping it")
                self._writer.cancel()
        if self._db is not None:
            db, self._db = self._db, None
            await asyncio.get_running_loop().run_in_executor(self._thread, db.close)
        self._thread.shutdown(wait=True)

    # -- writes -----------------------------------------------------------------------------------

    async def append(self, records: Sequence[Record]) -> None:
        if records:
            await self._submit(_Append(self._future(), tuple(records)))

    async def put_session(self, info: SessionInfo) -> None:
        await self._submit(_PutSession(self._future(), info))

    async def delete_person(self, person_id: str) -> DeletionReport:
        result: DeletionReport = await self._submit(_DeletePerson(self._future(), person_id))
        return result

    async def delete_participant(self, session_id: str, participant_id: str) -> DeletionReport:
        result: DeletionReport = await self._submit(
            _DeleteParticipant(self._future(), session_id, participant_id))
        return result

    async def purge(self, before: float) -> int:
        result: int = await self._submit(_Purge(self._future(), before))
        return result

    def _future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _submit(self, op: _Op) -> Any:
        if self._closed or self._queue is None:
            raise LedgerUnavailable("The attendance ledger is not running; nothing was recorded.")
        await self._queue.put(op)
        return await op.future

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
            try:
                results = await loop.run_in_executor(self._thread, self._commit, batch)
            except Exception as exc:  # the commit itself failed: nothing in the batch is kept
                logger.exception("ledger commit of %d operations failed", len(batch))
                error = LedgerUnavailable(f"The attendance ledger could not commit: {exc}")
                results = [error] * len(batch)
            for op, result in zip(batch, results, strict=True):
                if op.future.done():
                    continue  # the caller went away; the write stands
                if isinstance(result, BaseException):
                    op.future.set_exception(result)
                else:
                    op.future.set_result(result)
            if isinstance(batch[-1], _Stop):
                break
        # Writes that raced with close: fail them rather than leave their callers waiting.
        while not queue.empty():
            op = queue.get_nowait()
            if not op.future.done():
                op.future.set_exception(LedgerUnavailable("The attendance ledger is closed."))

    def _commit(self, batch: list[_Op]) -> list[Any]:
        """Apply a batch in one transaction and commit it. The fast path inserts all consecutive
        appends with one statement; if anything fails, the batch is redone operation by
        operation, so that one bad operation fails alone."""
        db = self._db
        if db is None:
            raise LedgerUnavailable("The attendance ledger is closed.")
        try:
            return self._transaction(db, batch, careful=False)
        except sqlite3.Error:
            return self._transaction(db, batch, careful=True)

    def _transaction(self, db: sqlite3.Connection, batch: list[_Op], careful: bool) -> list[Any]:
        results: list[Any] = []
        pending: list[tuple[Any, ...]] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for op in batch:
                if not careful and isinstance(op, _Append) and not any(
                    r.kind is RecordKind.SESSION_ENDED for r in op.records
                ):
                    pending.extend(_record_row(r) for r in op.records)
                    results.append(None)
                    continue
                if pending:
                    db.executemany(INSERT_RECORD, pending)
                    pending.clear()
                if not careful:
                    results.append(op.run(db))
                    continue
                db.execute("SAVEPOINT op")
                try:
                    results.append(op.run(db))
                except sqlite3.Error as exc:
                    db.execute("ROLLBACK TO op")
                    results.append(LedgerUnavailable(f"The ledger refused this write: {exc}"))
                db.execute("RELEASE op")
            if pending:
                db.executemany(INSERT_RECORD, pending)
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_alive', ?)",
                       (repr(self.clock()),))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return results

    # -- recovery ---------------------------------------------------------------------------------

    def _recover(self, db: sqlite3.Connection) -> list[Record]:
        """Close presence that a crash (or a stop without goodbyes) left open, at the last time
        the ledger was known to be alive. Nobody is connected after a restart: sessions come back
        with everyone disconnected, and people rejoin (a new presence) when they return."""
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        alive = float(meta["last_alive"]) if "last_alive" in meta else None
        checked = int(meta.get("checked_seq", "0"))
        top = db.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]
        sessions = [row[0] for row in db.execute(
            "SELECT DISTINCT r.session_id FROM records r LEFT JOIN sessions s "
            "ON s.id = r.session_id WHERE r.seq > ? AND s.ended_at IS NULL", (checked,))]
        closed: list[Record] = []
        for session_id in sessions:
            records = [record_from_row(row) for row in db.execute(
                f"SELECT {RECORD_COLUMNS} FROM records WHERE session_id = ? ORDER BY seq",
                (session_id,))]
            for last in still_inside(records):
                at = max(alive, last.at) if alive is not None else last.at
                closed.append(Record(session_id, at, RecordKind.DROPPED, last.participant_id,
                                     person_id=last.person_id, room=last.room,
                                     text="server_restart"))
        db.execute("BEGIN IMMEDIATE")
        db.executemany(INSERT_RECORD, [_record_row(r) for r in closed])
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('checked_seq', ?)",
                   (str(top + len(closed)),))
        db.execute("COMMIT")
        if closed:
            logger.warning("ledger: closed the presence of %d participants in %d sessions left "
                           "open by the last run", len(closed), len(sessions))
        return closed

    # -- reads ------------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        db.execute("PRAGMA query_only = 1")
        return db

    def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        db = self._reader()
        try:
            return fn(db)
        finally:
            db.close()

    async def session(self, session_id: str) -> SessionInfo:
        def query(db: sqlite3.Connection) -> SessionInfo:
            row = db.execute(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?",
                             (session_id,)).fetchone()
            if row is None:
                raise SessionNotFound("There is no session with this id in the ledger.")
            return _info_from_row(row, db.execute(
                "SELECT person_id, name, role, email FROM roster WHERE session_id = ? "
                "ORDER BY position", (session_id,)))

        info: SessionInfo = await asyncio.to_thread(self._read, query)
        return info

    async def sessions(self, query: SessionQuery) -> list[SessionListing]:
        where, args = _where(query)

        def run(db: sqlite3.Connection) -> list[SessionListing]:
            rows = db.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions{where} "
                "ORDER BY COALESCE(scheduled_start, created_at) DESC, id LIMIT ?",
                (*args, query.limit)).fetchall()
            out = []
            for row in rows:
                roster = db.execute("SELECT person_id, name, role, email FROM roster WHERE "
                                    "session_id = ? ORDER BY position", (row[0],))
                people, count = db.execute(
                    "SELECT COUNT(DISTINCT CASE WHEN kind = 'joined' THEN participant_id END), "
                    "COUNT(*) FROM records WHERE session_id = ?", (row[0],)).fetchone()
                out.append(SessionListing(_info_from_row(row, roster), people, count))
            return out

        listings: list[SessionListing] = await asyncio.to_thread(self._read, run)
        return listings

    async def session_records(self, session_id: str) -> list[Record]:
        def run(db: sqlite3.Connection) -> list[Record]:
            return [record_from_row(row) for row in db.execute(
                f"SELECT {RECORD_COLUMNS} FROM records WHERE session_id = ? ORDER BY seq",
                (session_id,))]

        records: list[Record] = await asyncio.to_thread(self._read, run)
        return records

    async def session_ids(self, query: SessionQuery) -> list[str]:
        """Ids of the matching sessions, oldest first (for exports that go session by session)."""
        where, args = _where(query)

        def run(db: sqlite3.Connection) -> list[str]:
            return [row[0] for row in db.execute(
                f"SELECT id FROM sessions{where} "
                "ORDER BY COALESCE(scheduled_start, created_at), id LIMIT ?",
                (*args, query.limit))]

        ids: list[str] = await asyncio.to_thread(self._read, run)
        return ids

    async def stream_records(
        self, query: SessionQuery, session_id: str | None = None, chunk: int = 5000
    ) -> AsyncIterator[list[Record]]:
        async for rows in self.stream_rows(query, session_id, chunk):
            yield [record_from_row(row) for row in rows]

    async def stream_rows(
        self, query: SessionQuery, session_id: str | None = None, chunk: int = 5000
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Raw record rows (``RECORD_COLUMNS``), for exports that need no domain objects."""
        if session_id is not None:
            sql = f"SELECT {RECORD_COLUMNS} FROM records WHERE session_id = ? ORDER BY seq"
            args: list[Any] = [session_id]
        else:
            where, args = _where(query, "s")
            sql = (f"SELECT {', '.join('r.' + c for c in RECORD_FIELDS)} "
                   f"FROM records r JOIN sessions s ON s.id = r.session_id{where} "
                   "ORDER BY r.seq")
        db = await asyncio.to_thread(self._reader)
        try:
            cursor = await asyncio.to_thread(db.execute, sql, args)
            while True:
                rows = await asyncio.to_thread(cursor.fetchmany, chunk)
                if not rows:
                    return
                yield rows
        finally:
            await asyncio.to_thread(db.close)
