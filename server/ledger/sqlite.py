"""The ledger in SQLite: its tables in the embedded default's database (``server.database``),
written by that database's one writer.

Every write (records, session metadata, deletions) is an operation of the database's writer, so
it commits with whatever else is waiting (the session journal's entries included): a caller that
awaited ``append`` knows its records are on disk. Every commit marks the ledger alive, so that,
after a crash, presence left open can be closed at a known time (``_recover``, at open).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rooms.attendance import DAY, AnonymousRating, Record, RecordKind, SessionInfo
from rooms.errors import SessionNotFound
from rooms.timeline import still_inside
from server.database import DATABASE_FILE, Database, DatabaseUnavailable, Op
from server.ledger import (
    RECORD_FIELDS,
    DeletionReport,
    LedgerUnavailable,
    SessionListing,
    SessionQuery,
)
from server.ledger import rows as ledger_rows
from server.ledger.rows import (
    RECORD_COLUMNS,
    ROOM_NAMED,
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

logger = logging.getLogger(__name__)

# The ledger shares the embedded default's database file.
LEDGER_FILE = DATABASE_FILE
# 2: records gained ``ends_at`` (a caption line's end), sessions their caption consent.
# 3: anonymous ratings moved out of the records into ``anonymous_ratings`` (no participant, no
#    second, no sequence); records gained ``shared`` (a check-in or rating shown to the mentor).
# 4: a person's participants are found through ``record_people`` instead of an index of the
#    records by person (which a commit's records dirtied one page each of).
# 5: a session's records are found through ``record_index``, filled in batches, instead of an
#    index of the records by session (the same: a page of its own for each record of a commit).
SCHEMA_VERSION = 5
# Anonymous ratings: who gave one is not kept, nor when beyond its day, nor the order they came
# in (a random key orders the table), so nothing links one to a participant's records.
ANONYMOUS_SCHEMA = """
CREATE TABLE IF NOT EXISTS anonymous_ratings (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    day REAL NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS anonymous_ratings_session ON anonymous_ratings (session_id);
"""
# Which participants of which sessions were which person, for a person's erasure: a row is
# written with a participant's first record that names its person (by the trigger in
# ``SCHEMA``), and the records of later ones find it there and write nothing, so that a commit's
# records dirty no page of their own per person (an index of the records by person did).
RECORD_PEOPLE = """
CREATE TABLE IF NOT EXISTS record_people (
    session_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    PRIMARY KEY (session_id, participant_id, person_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS record_people_person ON record_people (person_id);
"""
# Each session's records by seq, written in batches (``SqliteLedger._index``, every
# ``INDEX_EVERY`` seconds, sorted by session): a batch writes a page or two per session, where an
# index of the records wrote a page per record, each commit. The records after the last batch
# (``meta.indexed_upto``) are the tail, which reads by session scan (``SESSION_SEQS``).
RECORD_INDEX = """
CREATE TABLE IF NOT EXISTS record_index (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
"""
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
    ended_at REAL,
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
    seq INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    person_id TEXT,
    room TEXT NOT NULL,
    role TEXT,
    value INTEGER,
    text TEXT,
    ends_at REAL,
    shared INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER IF NOT EXISTS records_append_only BEFORE UPDATE ON records
BEGIN
    SELECT RAISE(ABORT, 'ledger records are append-only');
END;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
""" + ANONYMOUS_SCHEMA + RECORD_PEOPLE + """
CREATE TRIGGER IF NOT EXISTS records_people AFTER INSERT ON records
WHEN NEW.person_id IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO record_people (session_id, participant_id, person_id)
    VALUES (NEW.session_id, NEW.participant_id, NEW.person_id);
END;
""" + RECORD_INDEX + """
INSERT OR IGNORE INTO meta (key, value) VALUES ('indexed_upto', '0');
-- A deleted record leaves the index. Records with no seq above the tail's start left, a new one
-- could take the seq of one deleted (SQLite gives max + 1): the tail starts below it then.
CREATE TRIGGER IF NOT EXISTS records_unindexed AFTER DELETE ON records
BEGIN
    DELETE FROM record_index WHERE session_id = OLD.session_id AND seq = OLD.seq;
    UPDATE meta SET value = CAST(MIN(CAST(value AS INTEGER),
        (SELECT COALESCE(MAX(seq), 0) FROM records)) AS TEXT) WHERE key = 'indexed_upto';
END;
"""
# The last seq in ``record_index``: the tail's records are those after it.
INDEXED_UPTO = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'indexed_upto')"
# The seqs of session ``?1``'s records: those in ``record_index`` and those of the tail.
SESSION_SEQS = ("SELECT seq FROM record_index WHERE session_id = ?1 UNION ALL SELECT seq FROM "
                f"records WHERE seq > {INDEXED_UPTO} AND session_id = ?1")
# A session's records in order (``?1``: the session).
SESSION_RECORDS = f"SELECT {RECORD_COLUMNS} FROM records WHERE seq IN ({SESSION_SEQS}) ORDER BY seq"
# The seconds between two batches of ``record_index``.
INDEX_EVERY = 2.0
INSERT_RECORD = (
    "INSERT INTO records (session_id, at, kind, participant_id, person_id, room, role, value, "
    "text, ends_at, shared) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_ANONYMOUS = ("INSERT INTO anonymous_ratings (id, session_id, day, rating, comment) "
                    "VALUES (?, ?, ?, ?, ?)")
# What a database of an earlier schema version needs to become this one.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE records ADD COLUMN ends_at REAL",
        "ALTER TABLE sessions ADD COLUMN captions TEXT NOT NULL DEFAULT 'live'"),
    2: ("ALTER TABLE records ADD COLUMN shared INTEGER NOT NULL DEFAULT 0",
        *[s.strip() for s in ANONYMOUS_SCHEMA.split(";") if s.strip()],
        # in a random order, with the day only
        "INSERT INTO anonymous_ratings (id, session_id, day, rating, comment) "
        "SELECT lower(hex(randomblob(16))), session_id, "
        f"CAST(at / {DAY} AS INTEGER) * {DAY}, value, text FROM records "
        "WHERE kind = 'check_out' AND participant_id = '' ORDER BY random()",
        "DELETE FROM records WHERE kind = 'check_out' AND participant_id = ''"),
    3: (*[s.strip() for s in RECORD_PEOPLE.split(";") if s.strip()],
        "INSERT OR IGNORE INTO record_people (session_id, participant_id, person_id) "
        "SELECT session_id, participant_id, person_id FROM records WHERE person_id IS NOT NULL",
        "DROP INDEX IF EXISTS records_person"),
    4: (*[s.strip() for s in RECORD_INDEX.split(";") if s.strip()],
        "INSERT INTO record_index (session_id, seq) SELECT session_id, seq FROM records "
        "ORDER BY session_id, seq",
        "INSERT OR REPLACE INTO meta (key, value) "
        "SELECT 'indexed_upto', CAST(COALESCE(MAX(seq), 0) AS TEXT) FROM records",
        "DROP INDEX IF EXISTS records_session"),
}


# -- operations the writer applies ----------------------------------------------------------------


@dataclass(slots=True)
class _Append(Op):
    records: Sequence[Record] = ()
    insert: ClassVar[str | None] = INSERT_RECORD

    def rows(self) -> list[tuple[Any, ...]] | None:
        if any(r.kind is RecordKind.SESSION_ENDED for r in self.records):
            return None  # it also ends the session: run on its own
        return [record_row(r) for r in self.records]

    def run(self, db: sqlite3.Connection) -> None:
        db.executemany(INSERT_RECORD, [record_row(r) for r in self.records])
        for r in self.records:
            if r.kind is RecordKind.SESSION_ENDED:
                db.execute("UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                           (r.at, r.session_id))


@dataclass(slots=True)
class _AddAnonymous(Op):
    ratings: Sequence[AnonymousRating] = ()

    def run(self, db: sqlite3.Connection) -> None:
        db.executemany(INSERT_ANONYMOUS, [(secrets.token_hex(16), r.session_id, r.day, r.rating,
                                           r.comment) for r in self.ratings])


@dataclass(slots=True)
class _PutSession(Op):
    info: SessionInfo | None = None

    def run(self, db: sqlite3.Connection) -> None:
        info = self.info
        assert info is not None
        db.execute(
            f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET title = excluded.title, goal = excluded.goal, "
            "programme = excluded.programme, max_participants = excluded.max_participants, "
            "scheduled_start = excluded.scheduled_start, scheduled_end = excluded.scheduled_end, "
            "keep_chat = excluded.keep_chat, captions = excluded.captions",
            session_row(info),
        )
        db.execute("DELETE FROM roster WHERE session_id = ?", (info.session_id,))
        db.executemany(
            "INSERT INTO roster (session_id, position, person_id, name, role, email) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            roster_rows(info),
        )


@dataclass(slots=True)
class _DeletePerson(Op):
    person_id: str = ""

    def run(self, db: sqlite3.Connection) -> DeletionReport:
        # The rooms named after them (a pair's breakout room) are named by their number.
        for session_id, name in db.execute(
                "SELECT session_id, name FROM roster WHERE person_id = ?",
                (self.person_id,)).fetchall():
            rows = db.execute(f"SELECT seq, room, text FROM records WHERE seq IN ({SESSION_SEQS})"
                              " AND kind = ?2", (session_id, ROOM_NAMED)).fetchall()
            renamed = unnamed(rows, name)
            db.executemany(renamed_copy("?1", "?2"), renamed)
            db.executemany("DELETE FROM records WHERE seq = ?", [(seq,) for _, seq in renamed])
        records = 0
        for session_id, participant_id in db.execute(
                "SELECT session_id, participant_id FROM record_people WHERE person_id = ?",
                (self.person_id,)).fetchall():
            records += db.execute(
                f"DELETE FROM records WHERE seq IN ({SESSION_SEQS}) AND participant_id = ?2",
                (session_id, participant_id)).rowcount
        db.execute("DELETE FROM record_people WHERE person_id = ?", (self.person_id,))
        roster = db.execute("DELETE FROM roster WHERE person_id = ?", (self.person_id,)).rowcount
        return DeletionReport(records, roster)


@dataclass(slots=True)
class _DeleteParticipant(Op):
    session_id: str = ""
    participant_id: str = ""

    def run(self, db: sqlite3.Connection) -> DeletionReport:
        records = db.execute(
            f"DELETE FROM records WHERE seq IN ({SESSION_SEQS}) AND participant_id = ?2",
            (self.session_id, self.participant_id),
        ).rowcount
        db.execute("DELETE FROM record_people WHERE session_id = ? AND participant_id = ?",
                   (self.session_id, self.participant_id))
        return DeletionReport(records, 0)


@dataclass(slots=True)
class _Purge(Op):
    before: float = 0.0
    keep: frozenset[str] = frozenset()

    def run(self, db: sqlite3.Connection) -> int:
        # Past the period by everything the ledger knows of them: created, meant to end, ended
        # and last recorded before it (and not kept by the session store as in use).
        candidates = [row[0] for row in db.execute(
            "SELECT id FROM sessions WHERE created_at < ?1 AND COALESCE(scheduled_end, 0) < ?1 "
            "AND COALESCE(ended_at, 0) < ?1", (self.before,))]
        old = [sid for sid in candidates if sid not in self.keep and db.execute(
            f"SELECT COALESCE(MAX(at), 0) FROM records WHERE seq IN ({SESSION_SEQS})",
            (sid,)).fetchone()[0] < self.before]
        for session_id in old:
            db.execute(f"DELETE FROM records WHERE seq IN ({SESSION_SEQS})", (session_id,))
            db.execute("DELETE FROM record_people WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM anonymous_ratings WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM roster WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        return len(old)


# -- the ledger -----------------------------------------------------------------------------------


class SqliteLedger:
    """The embedded default ledger, on its own database (a path) or on a shared one. ``open`` it
    (creates its tables, closes presence a crash left open), ``start`` it on the running loop,
    ``close`` it at shutdown (a shared database is closed by its owner)."""

    def __init__(
        self,
        database: Path | Database,
        *,
        clock: Callable[[], float] = time.time,
        batch_max: int = 1000,
        queue_max: int = 10_000,
        heartbeat: float = 5.0,
        commit_interval: float = 0.01,
        recover: bool = True,
        index_every: float = INDEX_EVERY,
    ) -> None:
        # Whether opening closes presence the last run left open (off when several processes
        # share the ledger: the one that finds another gone closes its people's presence).
        self.recover = recover
        self.owns_database = not isinstance(database, Database)
        self.database = database if isinstance(database, Database) else Database(
            database, batch_max=batch_max, queue_max=queue_max, heartbeat=heartbeat,
            commit_interval=commit_interval)
        self.path = self.database.path
        self.clock = clock
        self._opened = False
        self._closed = False
        self.recovered: list[Record] = []  # presence closed by ``open`` after a crash
        self._alive = AliveMarks()
        # When the writer next moves the tail's records into ``record_index`` (monotonic).
        self.index_every = index_every
        self._index_due = 0.0

    # -- lifecycle --------------------------------------------------------------------------------

    def open(self) -> None:
        """Create or open the tables (synchronously: called once at start, before serving)."""
        if self._opened:
            return
        db = self.database.open()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.path} was written by a newer Tandem (schema {version})")
        # What is deleted (a migration's moved rows, records deleted on request or past their
        # retention) is overwritten, not left in the file's free space: the default of most
        # builds, made sure of here.
        db.execute("PRAGMA secure_delete = ON")
        if version and version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")  # all of it or nothing
            for older in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[older]:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.database.on_commit.append(self._mark_alive)
        self.database.on_commit.append(self._index)
        self.recovered = self._recover(db) if self.recover else []
        self._opened = True

    def _mark_alive(self, db: sqlite3.Connection) -> None:
        now = self.clock()
        if self._alive.due(now):
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_alive', ?)",
                       (repr(now),))

    def _index(self, db: sqlite3.Connection) -> None:
        """Every ``index_every`` seconds, in a commit's transaction, the tail's records join
        ``record_index``, sorted by session."""
        now = time.monotonic()
        if now < self._index_due:
            return
        self._index_due = now + self.index_every
        db.execute(
            "INSERT OR IGNORE INTO record_index (session_id, seq) SELECT session_id, seq "
            f"FROM records WHERE seq > {INDEXED_UPTO} ORDER BY session_id, seq")
        db.execute("UPDATE meta SET value = (SELECT CAST(COALESCE(MAX(seq), 0) AS TEXT) "
                   "FROM records) WHERE key = 'indexed_upto'")

    async def start(self) -> None:
        self.open()
        await self.database.start()

    async def close(self) -> None:
        """Commit everything already submitted, then stop. Later writes fail."""
        if self._closed:
            return
        self._closed = True
        if self.owns_database:
            await self.database.close()

    async def scrub(self) -> bool:
        """Truncate the database's write-ahead log, which still holds the pages of deleted
        rows as they were (the file itself has them overwritten: ``secure_delete``)."""
        return await self.database.scrub()

    async def ping(self) -> None:
        if self._closed or not self.database.started:
            raise LedgerUnavailable("The attendance ledger is not running.")
        try:
            await asyncio.to_thread(self._read, lambda db: db.execute("SELECT 1").fetchone())
        except sqlite3.Error as exc:
            raise LedgerUnavailable(f"The attendance ledger cannot be read: {exc}") from None

    # -- writes -----------------------------------------------------------------------------------

    async def append(self, records: Sequence[Record]) -> None:
        if records:
            await self._submit(_Append(self._future(), tuple(records)))

    async def put_session(self, info: SessionInfo) -> None:
        await self._submit(_PutSession(self._future(), info))

    async def add_anonymous(self, ratings: Sequence[AnonymousRating]) -> None:
        if ratings:
            await self._submit(_AddAnonymous(self._future(), tuple(ratings)))

    async def delete_person(self, person_id: str) -> DeletionReport:
        result: DeletionReport = await self._submit(_DeletePerson(self._future(), person_id))
        return result

    async def delete_participant(self, session_id: str, participant_id: str) -> DeletionReport:
        result: DeletionReport = await self._submit(
            _DeleteParticipant(self._future(), session_id, participant_id))
        return result

    async def purge(self, before: float, keep: Collection[str] = frozenset()) -> int:
        result: int = await self._submit(_Purge(self._future(), before, frozenset(keep)))
        return result

    def _future(self) -> asyncio.Future[Any]:
        return self.database.new_future()

    async def _submit(self, op: Op) -> Any:
        if self._closed or not self.database.started:
            raise LedgerUnavailable("The attendance ledger is not running; nothing was recorded.")
        try:
            if not self.database.submit_nowait(op):  # the queue is full: wait for room
                await self.database.submit(op)
            return await op.future
        except DatabaseUnavailable as exc:
            raise LedgerUnavailable(exc.message.replace("database", "attendance ledger")) from None

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
            records = [record_from_row(row)
                       for row in db.execute(SESSION_RECORDS, (session_id,))]
            for last in still_inside(records):
                at = max(alive, last.at) if alive is not None else last.at
                closed.append(Record(session_id, at, RecordKind.DROPPED, last.participant_id,
                                     person_id=last.person_id, room=last.room,
                                     text="server_restart"))
        db.execute("BEGIN IMMEDIATE")
        db.executemany(INSERT_RECORD, [record_row(r) for r in closed])
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('checked_seq', ?)",
                   (str(top + len(closed)),))
        db.execute("COMMIT")
        if closed:
            logger.warning("ledger: closed the presence of %d participants in %d sessions left "
                           "open by the last run", len(closed), len(sessions))
        return closed

    # -- reads ------------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        return self.database.reader()

    def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        return self.database.read(fn)

    async def session(self, session_id: str) -> SessionInfo:
        def query(db: sqlite3.Connection) -> SessionInfo:
            row = db.execute(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?",
                             (session_id,)).fetchone()
            if row is None:
                raise SessionNotFound("There is no session with this id in the ledger.")
            return info_from_row(row, db.execute(
                "SELECT person_id, name, role, email FROM roster WHERE session_id = ? "
                "ORDER BY position", (session_id,)))

        info: SessionInfo = await asyncio.to_thread(self._read, query)
        return info

    async def sessions(self, query: SessionQuery) -> list[SessionListing]:
        where, args = ledger_rows.where(query)

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
                    f"COUNT(*) FROM records WHERE seq IN ({SESSION_SEQS})", (row[0],)).fetchone()
                out.append(SessionListing(info_from_row(row, roster), people, count))
            return out

        listings: list[SessionListing] = await asyncio.to_thread(self._read, run)
        return listings

    async def session_records(self, session_id: str) -> list[Record]:
        def run(db: sqlite3.Connection) -> list[Record]:
            return [record_from_row(row) for row in db.execute(SESSION_RECORDS, (session_id,))]

        records: list[Record] = await asyncio.to_thread(self._read, run)
        return records

    async def anonymous_ratings(self, session_id: str) -> list[AnonymousRating]:
        def run(db: sqlite3.Connection) -> list[AnonymousRating]:
            return [AnonymousRating(session_id, day, rating, comment)
                    for day, rating, comment in db.execute(
                        "SELECT day, rating, comment FROM anonymous_ratings WHERE session_id = ? "
                        "ORDER BY rating, comment", (session_id,))]

        ratings: list[AnonymousRating] = await asyncio.to_thread(self._read, run)
        return ratings

    async def session_ids(self, query: SessionQuery) -> list[str]:
        """Ids of the matching sessions, oldest first (for exports that go session by session)."""
        where, args = ledger_rows.where(query)

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
            sql, args = SESSION_RECORDS, [session_id]
        else:
            where, args = ledger_rows.where(query, "s")
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
