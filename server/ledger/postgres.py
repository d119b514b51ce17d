"""The ledger in PostgreSQL (``--database postgresql://...``): the same tables, rows and rules as
the SQLite ledger (``server.ledger.sqlite``), written by the PostgreSQL database's one writer
(``server.postgres``: asyncpg, group commit), which the session journal shares.

Acknowledged means committed: ``append`` returns once the transaction holding its records has
committed, with ``synchronous_commit = on``. Concurrent appends wait for the same commit, so a
busy server commits a few times a second however many events arrive. When the database cannot be
reached, writes and reads fail with ``LedgerUnavailable`` (a ``NotRecorded``: the client is told
its event was not recorded) and the ledger recovers by itself once it can (the pool connects
again at the next write or heartbeat); ``ping`` says whether it can now.

The schema's version is kept in ``tandem_schema`` (one row per part: ``ledger``, ``journal``); a
database of a newer version is refused. Tables are created in one transaction under an advisory
lock, so two servers starting at once do not race. ``records.seq`` is an identity column: numbers
grow in commit order, with gaps where a transaction failed.

Deleted rows (a deletion request, the retention period) leave PostgreSQL's tables when it
vacuums them, not at once as SQLite's ``secure_delete`` does; its write-ahead log and backups
keep them as long as they are kept.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rooms.attendance import AnonymousRating, Record, RecordKind, SessionInfo
from rooms.errors import SessionNotFound
from rooms.timeline import still_inside
from server.ledger import (
    RECORD_FIELDS,
    DeletionReport,
    LedgerUnavailable,
    SessionListing,
    SessionQuery,
)
from server.ledger import rows as ledger_rows
from server.ledger.rows import (
    INSERTED_FIELDS,
    RECORD_COLUMNS,
    ROOM_NAMED,
    ROSTER_COLUMNS,
    SESSION_COLUMNS,
    AliveMarks,
    info_from_row,
    record_from_row,
    record_row,
    renamed_copy,
    roster_rows,
    session_row,
    unnamed,
)
from server.postgres import Connection, PgDatabase, PgOp
from server.writer import DatabaseUnavailable

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # as the SQLite ledger's: the same tables and columns
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    goal TEXT NOT NULL DEFAULT '',
    programme TEXT NOT NULL DEFAULT '',
    created_at DOUBLE PRECISION NOT NULL,
    max_participants INTEGER NOT NULL DEFAULT 0,
    scheduled_start DOUBLE PRECISION,
    scheduled_end DOUBLE PRECISION,
    keep_chat INTEGER NOT NULL DEFAULT 0,
    ended_at DOUBLE PRECISION,
    captions TEXT NOT NULL DEFAULT 'live'
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
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    kind TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    person_id TEXT,
    room TEXT NOT NULL,
    role TEXT,
    value BIGINT,
    text TEXT,
    ends_at DOUBLE PRECISION,
    shared INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS records_session ON records (session_id, seq);
CREATE INDEX IF NOT EXISTS records_person ON records (person_id) WHERE person_id IS NOT NULL;
CREATE OR REPLACE FUNCTION records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger records are append-only';
END
$$;
CREATE OR REPLACE TRIGGER records_append_only BEFORE UPDATE ON records
    FOR EACH ROW EXECUTE FUNCTION records_append_only();
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Anonymous ratings: who gave one is not kept, nor when beyond its day (see the SQLite ledger).
CREATE TABLE IF NOT EXISTS anonymous_ratings (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    day DOUBLE PRECISION NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT
);
CREATE INDEX IF NOT EXISTS anonymous_ratings_session ON anonymous_ratings (session_id);
"""
INSERT_RECORD = (f"INSERT INTO records ({', '.join(INSERTED_FIELDS)}) VALUES "
                 f"({', '.join(f'${i}' for i in range(1, len(INSERTED_FIELDS) + 1))})")
INSERT_ANONYMOUS = ("INSERT INTO anonymous_ratings (id, session_id, day, rating, comment) "
                    "VALUES ($1, $2, $3, $4, $5)")
# Every PostgreSQL row carries the id of the transaction that wrote it (``xmin``) and sits where
# it was written (``ctid``): an anonymous rating's would tell which commit it came with (the
# rater's journal entry, records just before and after). When its session ends, its ratings are
# written again in one transaction, in a random order, with new random ids, so that neither says
# when or with what each came. (The old row versions go when PostgreSQL vacuums the table.)
RESHUFFLE_ANONYMOUS = """
WITH old AS (DELETE FROM anonymous_ratings WHERE session_id = $1
             RETURNING session_id, day, rating, comment)
INSERT INTO anonymous_ratings (id, session_id, day, rating, comment)
SELECT replace(gen_random_uuid()::text, '-', ''), session_id, day, rating, comment
FROM old ORDER BY random()
"""
SET_META = ("INSERT INTO meta (key, value) VALUES ($1, $2) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
# Text ordered as SQLite orders it (by bytes), whatever the database's collation.
C = 'COLLATE "C"'


def _mark(n: int) -> str:
    return f"${n}"


def _count(status: str) -> int:
    """The row count of a command's status (``DELETE 3``)."""
    return int(status.rsplit(" ", 1)[-1])


# -- operations the writer applies ----------------------------------------------------------------


@dataclass(slots=True)
class _Append(PgOp):
    records: Sequence[Record] = ()
    insert: ClassVar[str | None] = INSERT_RECORD

    def rows(self) -> list[tuple[Any, ...]] | None:
        if any(r.kind is RecordKind.SESSION_ENDED for r in self.records):
            return None  # it also ends the session: run on its own
        return [record_row(r) for r in self.records]

    async def run(self, conn: Connection) -> None:
        await conn.executemany(INSERT_RECORD, [record_row(r) for r in self.records])
        for r in self.records:
            if r.kind is RecordKind.SESSION_ENDED:
                await conn.execute("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND "
                                   "ended_at IS NULL", r.at, r.session_id)
                await conn.execute(RESHUFFLE_ANONYMOUS, r.session_id)


@dataclass(slots=True)
class _AddAnonymous(PgOp):
    ratings: Sequence[AnonymousRating] = ()

    async def run(self, conn: Connection) -> None:
        await conn.executemany(INSERT_ANONYMOUS, [
            (secrets.token_hex(16), r.session_id, r.day, r.rating, r.comment)
            for r in self.ratings])


@dataclass(slots=True)
class _PutSession(PgOp):
    info: SessionInfo | None = None

    async def run(self, conn: Connection) -> None:
        info = self.info
        assert info is not None
        await conn.execute(
            f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
            "$9, $10, $11) ON CONFLICT (id) DO UPDATE SET title = excluded.title, "
            "goal = excluded.goal, programme = excluded.programme, "
            "max_participants = excluded.max_participants, "
            "scheduled_start = excluded.scheduled_start, scheduled_end = excluded.scheduled_end, "
            "keep_chat = excluded.keep_chat, captions = excluded.captions",
            *session_row(info))
        await conn.execute("DELETE FROM roster WHERE session_id = $1", info.session_id)
        await conn.executemany(
            "INSERT INTO roster (session_id, position, person_id, name, role, email) "
            "VALUES ($1, $2, $3, $4, $5, $6)", roster_rows(info))


@dataclass(slots=True)
class _DeletePerson(PgOp):
    person_id: str = ""

    async def run(self, conn: Connection) -> DeletionReport:
        # as the SQLite ledger's: the rooms named after them are named by their number
        for row in await conn.fetch("SELECT session_id, name FROM roster WHERE person_id = $1",
                                    self.person_id):
            rows = await conn.fetch("SELECT seq, room, text FROM records WHERE session_id = $1 "
                                    "AND kind = $2", row[0], ROOM_NAMED)
            renamed = unnamed([(r[0], r[1], r[2]) for r in rows], row[1])
            if renamed:
                await conn.executemany(renamed_copy("$1::text", "$2"), renamed)
                await conn.execute("DELETE FROM records WHERE seq = ANY($1::bigint[])",
                                   [seq for _, seq in renamed])
        records = _count(await conn.execute(
            "DELETE FROM records WHERE (session_id, participant_id) IN "
            "(SELECT DISTINCT session_id, participant_id FROM records WHERE person_id = $1)",
            self.person_id))
        roster = _count(await conn.execute("DELETE FROM roster WHERE person_id = $1",
                                           self.person_id))
        return DeletionReport(records, roster)


@dataclass(slots=True)
class _DeleteParticipant(PgOp):
    session_id: str = ""
    participant_id: str = ""

    async def run(self, conn: Connection) -> DeletionReport:
        records = _count(await conn.execute(
            "DELETE FROM records WHERE session_id = $1 AND participant_id = $2",
            self.session_id, self.participant_id))
        return DeletionReport(records, 0)


@dataclass(slots=True)
class _Purge(PgOp):
    before: float = 0.0
    keep: frozenset[str] = frozenset()

    async def run(self, conn: Connection) -> int:
        # as the SQLite ledger's: past the period by everything the ledger knows of them
        old = [row[0] for row in await conn.fetch(
            "SELECT id FROM sessions s WHERE created_at < $1 AND COALESCE(scheduled_end, 0) < $1 "
            "AND COALESCE(ended_at, 0) < $1 AND NOT EXISTS (SELECT 1 FROM records r "
            "WHERE r.session_id = s.id AND r.at >= $1)", self.before)
            if row[0] not in self.keep]
        if old:
            for table, column in (("records", "session_id"), ("anonymous_ratings", "session_id"),
                                  ("roster", "session_id"), ("sessions", "id")):
                await conn.execute(f"DELETE FROM {table} WHERE {column} = ANY($1::text[])", old)
        return len(old)


# -- the ledger -----------------------------------------------------------------------------------


class PostgresLedger:
    """The ledger on its own database (a URL) or on a shared one (closed by its owner).
    ``start`` it on the running loop (creates or checks its tables, closes presence a crash
    left open), ``close`` it at shutdown."""

    def __init__(
        self,
        database: str | PgDatabase,
        *,
        clock: Callable[[], float] = time.time,
        batch_max: int = 1000,
        queue_max: int = 10_000,
        heartbeat: float = 5.0,
        commit_interval: float = 0.01,
        recover: bool = True,
    ) -> None:
        # Whether opening closes presence the last run left open (off when several processes
        # share the ledger: the one that finds another gone closes its people's presence).
        self.recover = recover
        self.owns_database = not isinstance(database, PgDatabase)
        self.database = database if isinstance(database, PgDatabase) else PgDatabase(
            database, batch_max=batch_max, queue_max=queue_max, heartbeat=heartbeat,
            commit_interval=commit_interval)
        self.clock = clock
        self._started = False
        self._closed = False
        self.recovered: list[Record] = []  # presence closed by ``start`` after a crash
        self._alive = AliveMarks()

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, create or check the tables, close what a crash left open, start writing."""
        if self._started:
            return
        try:
            await self.database.open()
            await self.database.read(self._prepare)
        except BaseException as exc:
            if self.owns_database:
                await self.database.close()
            if isinstance(exc, DatabaseUnavailable):
                raise LedgerUnavailable(
                    exc.message.replace("database", "attendance ledger")) from None
            raise
        self.database.on_commit.append(self._mark_alive)
        await self.database.start()
        self._started = True

    async def _prepare(self, conn: Connection) -> None:
        await self.database.ensure_schema(conn, "ledger", SCHEMA_VERSION, SCHEMA)
        self.recovered = await self._recover(conn) if self.recover else []

    async def _mark_alive(self, conn: Connection) -> None:
        now = self.clock()
        if self._alive.due(now):
            await conn.execute(SET_META, "last_alive", repr(now))

    async def close(self) -> None:
        """Commit everything already submitted, then stop. Later writes fail."""
        if self._closed:
            return
        self._closed = True
        if self.owns_database:
            await self.database.close()

    async def ping(self) -> None:
        if self._closed or not self.database.started:
            raise LedgerUnavailable("The attendance ledger is not running.")
        try:
            await self.database.ping()
        except DatabaseUnavailable as exc:
            raise LedgerUnavailable(exc.message.replace("database", "attendance ledger")) from None

    # -- writes -----------------------------------------------------------------------------------

    async def append(self, records: Sequence[Record]) -> None:
        if records:
            await self._submit(_Append(self.database.new_future(), tuple(records)))

    async def put_session(self, info: SessionInfo) -> None:
        await self._submit(_PutSession(self.database.new_future(), info))

    async def add_anonymous(self, ratings: Sequence[AnonymousRating]) -> None:
        if ratings:
            await self._submit(_AddAnonymous(self.database.new_future(), tuple(ratings)))

    async def delete_person(self, person_id: str) -> DeletionReport:
        result: DeletionReport = await self._submit(
            _DeletePerson(self.database.new_future(), person_id))
        return result

    async def delete_participant(self, session_id: str, participant_id: str) -> DeletionReport:
        result: DeletionReport = await self._submit(
            _DeleteParticipant(self.database.new_future(), session_id, participant_id))
        return result

    async def purge(self, before: float, keep: Collection[str] = frozenset()) -> int:
        result: int = await self._submit(_Purge(self.database.new_future(), before,
                                                frozenset(keep)))
        return result

    async def scrub(self) -> bool:
        """Nothing to do at once: PostgreSQL keeps deleted rows as dead tuples until it
        vacuums the table (autovacuum, or VACUUM), and in its write-ahead log and backups as
        long as they are kept, which is the database's administration, not the server's.
        Says True: nothing more can be done here."""
        return True

    async def _submit(self, op: PgOp) -> Any:
        if self._closed or not self.database.started:
            raise LedgerUnavailable("The attendance ledger is not running; nothing was recorded.")
        try:
            if not self.database.submit_nowait(op):  # the queue is full: wait for room
                await self.database.submit(op)
            return await op.future
        except DatabaseUnavailable as exc:
            raise LedgerUnavailable(exc.message.replace("database", "attendance ledger")) from None

    # -- recovery ---------------------------------------------------------------------------------

    async def _recover(self, conn: Connection) -> list[Record]:
        """Close presence that a crash (or a stop without goodbyes) left open, at the last time
        the ledger was known to be alive (as the SQLite ledger does)."""
        async with conn.transaction():
            meta = {key: value for key, value in await conn.fetch("SELECT key, value FROM meta")}
            alive = float(meta["last_alive"]) if "last_alive" in meta else None
            checked = int(meta.get("checked_seq", "0"))
            sessions = [row[0] for row in await conn.fetch(
                "SELECT DISTINCT r.session_id FROM records r LEFT JOIN sessions s "
                "ON s.id = r.session_id WHERE r.seq > $1 AND s.ended_at IS NULL", checked)]
            closed: list[Record] = []
            for session_id in sessions:
                records = [record_from_row(row) for row in await conn.fetch(
                    f"SELECT {RECORD_COLUMNS} FROM records WHERE session_id = $1 ORDER BY seq",
                    session_id)]
                for last in still_inside(records):
                    at = max(alive, last.at) if alive is not None else last.at
                    closed.append(Record(session_id, at, RecordKind.DROPPED, last.participant_id,
                                         person_id=last.person_id, room=last.room,
                                         text="server_restart"))
            if closed:
                await conn.executemany(INSERT_RECORD, [record_row(r) for r in closed])
            top = await conn.fetchval("SELECT COALESCE(MAX(seq), 0) FROM records")
            await conn.execute(SET_META, "checked_seq", str(top))
        if closed:
            logger.warning("ledger: closed the presence of %d participants in %d sessions left "
                           "open by the last run", len(closed), len(sessions))
        return closed

    # -- reads ------------------------------------------------------------------------------------

    async def _read(self, fn: Callable[[Connection], Awaitable[Any]]) -> Any:
        try:
            return await self.database.read(fn)
        except DatabaseUnavailable as exc:
            raise LedgerUnavailable(exc.message.replace("database", "attendance ledger")) from None

    async def session(self, session_id: str) -> SessionInfo:
        async def query(conn: Connection) -> SessionInfo:
            row = await conn.fetchrow(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1",
                                      session_id)
            if row is None:
                raise SessionNotFound("There is no session with this id in the ledger.")
            return info_from_row(row, await conn.fetch(
                f"SELECT {ROSTER_COLUMNS} FROM roster WHERE session_id = $1 ORDER BY position",
                session_id))

        info: SessionInfo = await self._read(query)
        return info

    async def sessions(self, query: SessionQuery) -> list[SessionListing]:
        where, args = ledger_rows.where(query, "s", mark=_mark)
        sql = (f"SELECT {', '.join('s.' + c.strip() for c in SESSION_COLUMNS.split(','))}, "
               "(SELECT COUNT(DISTINCT participant_id) FROM records r WHERE r.session_id = s.id "
               "AND r.kind = 'joined'), "
               "(SELECT COUNT(*) FROM records r WHERE r.session_id = s.id) "
               f"FROM sessions s{where} ORDER BY COALESCE(s.scheduled_start, s.created_at) DESC, "
               f"s.id {C} LIMIT ${len(args) + 1}")

        async def run(conn: Connection) -> list[SessionListing]:
            rows = await conn.fetch(sql, *args, query.limit)
            rosters: dict[str, list[tuple[Any, ...]]] = {row[0]: [] for row in rows}
            for entry in await conn.fetch(
                    f"SELECT session_id, {ROSTER_COLUMNS} FROM roster WHERE session_id = "
                    "ANY($1::text[]) ORDER BY session_id, position", list(rosters)):
                rosters[entry[0]].append(tuple(entry)[1:])
            return [SessionListing(info_from_row(tuple(row)[:11], rosters[row[0]]), row[11],
                                   row[12]) for row in rows]

        listings: list[SessionListing] = await self._read(run)
        return listings

    async def session_records(self, session_id: str) -> list[Record]:
        async def run(conn: Connection) -> list[Record]:
            return [record_from_row(row) for row in await conn.fetch(
                f"SELECT {RECORD_COLUMNS} FROM records WHERE session_id = $1 ORDER BY seq",
                session_id)]

        records: list[Record] = await self._read(run)
        return records

    async def anonymous_ratings(self, session_id: str) -> list[AnonymousRating]:
        async def run(conn: Connection) -> list[AnonymousRating]:
            return [AnonymousRating(session_id, day, rating, comment)
                    for day, rating, comment in await conn.fetch(
                        "SELECT day, rating, comment FROM anonymous_ratings WHERE session_id = "
                        f"$1 ORDER BY rating, comment {C} NULLS FIRST", session_id)]

        ratings: list[AnonymousRating] = await self._read(run)
        return ratings

    async def session_ids(self, query: SessionQuery) -> list[str]:
        """Ids of the matching sessions, oldest first (for exports that go session by session)."""
        where, args = ledger_rows.where(query, mark=_mark)

        async def run(conn: Connection) -> list[str]:
            return [row[0] for row in await conn.fetch(
                f"SELECT id FROM sessions{where} "
                f"ORDER BY COALESCE(scheduled_start, created_at), id {C} LIMIT ${len(args) + 1}",
                *args, query.limit)]

        ids: list[str] = await self._read(run)
        return ids

    async def stream_records(
        self, query: SessionQuery, session_id: str | None = None, chunk: int = 5000
    ) -> AsyncIterator[list[Record]]:
        async for rows in self.stream_rows(query, session_id, chunk):
            yield [record_from_row(row) for row in rows]

    async def stream_rows(
        self, query: SessionQuery, session_id: str | None = None, chunk: int = 5000
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Raw record rows (``RECORD_FIELDS`` order), from a cursor."""
        if session_id is not None:
            sql = f"SELECT {RECORD_COLUMNS} FROM records WHERE session_id = $1 ORDER BY seq"
            args: list[Any] = [session_id]
        else:
            where, args = ledger_rows.where(query, "s", mark=_mark)
            sql = (f"SELECT {', '.join('r.' + c for c in RECORD_FIELDS)} "
                   f"FROM records r JOIN sessions s ON s.id = r.session_id{where} "
                   "ORDER BY r.seq")
        try:
            async for rows in self.database.stream(sql, args, chunk):
                yield rows
        except DatabaseUnavailable as exc:
            raise LedgerUnavailable(exc.message.replace("database", "attendance ledger")) from None
