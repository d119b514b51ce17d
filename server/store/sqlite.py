"""The session journal in SQLite: its tables in the embedded default's database
(``server.database``), written by that database's one writer.

A command entry is a row of ``session_commands``: a number of its own (``n``, in the order the
entries were made, whatever their session), the session, the session's number for it and the
encoded command. Entries are appended in the order of ``n``, so that a commit's entries fill the
table's last page or two whichever sessions they belong to (keyed by session, each entry dirtied
a page of its own session's, two thirds of what a commit wrote to disk).

A snapshot replaces the session's row of ``session_snapshots``; in the same transaction it
forgets every entry numbered below the journal's *watermark*: the first entry that a session
still needs (one made after its last snapshot that is on disk), other than the session being
written. A session that holds the watermark back by more than ``LAG`` entries (or
``LAG_PER_SESSION`` for each session that needs entries, whichever is more) is told to its store
(``on_lagging``), which writes it a snapshot: the table holds about that many entries, and such
snapshots come at most about one for every ``LAG_PER_SESSION`` entries made. A session's last
snapshot (it has ended), a snapshot that purges it (something was erased from it: its entries
name what was erased) and its deletion delete its entries, which hold its chat, at once: the
journal keeps the numbers of each session's entries that may still be in the table (those
buffered for the same commit included: they are inserted before the snapshot runs). What is
deleted, and the snapshot row replaced, is overwritten in the file (``secure_delete``); the
write-ahead log keeps the pages as they were until ``Database.scrub``.

Every write is an operation of the database's writer, so it commits with whatever else is
waiting: a chat message's entry and its attendance record share one transaction and one flush.
When a commit fails, the writes of that batch fail with ``DatabaseUnavailable`` (a
``NotRecorded``) and ``on_lost`` is told which sessions lost writes (their store then writes a
whole snapshot at their next change).
"""

from __future__ import annotations

import asyncio
import sqlite3
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server import writer
from server.database import DATABASE_FILE, Database, Op
from server.store.holding import Holding
from server.store.journal import GroupJournal
from server.store.memory import StoredSession

JOURNAL_FILE = DATABASE_FILE  # the journal shares the embedded default's database
# 2: entries numbered in the order they were made (``n``) rather than keyed by session.
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS session_snapshots (
    session_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    seq INTEGER NOT NULL,
    snapshot BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS session_commands (
    n INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    command BLOB NOT NULL
);
"""
META = "CREATE TABLE IF NOT EXISTS session_journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
# Schema 1 kept the entries keyed by session: they move to the new table in that order.
MIGRATE_1 = (
    "ALTER TABLE session_commands RENAME TO session_commands_1",
    *[s.strip() for s in SCHEMA.split(";") if s.strip()],
    "INSERT INTO session_commands (session_id, seq, command) "
    "SELECT session_id, seq, command FROM session_commands_1 ORDER BY session_id, seq",
    "DROP TABLE session_commands_1",
)
INSERT_COMMAND = "INSERT INTO session_commands (n, session_id, seq, command) VALUES (?, ?, ?, ?)"
# How many entries a session may hold the watermark back by before it is told to its store (at
# least ``LAG``, and ``LAG_PER_SESSION`` for each session that needs entries), and how many
# entries pass between two looks for such sessions.
LAG = 20_000
LAG_PER_SESSION = 200
LAG_CHECK_EVERY = 1_000


@dataclass(slots=True)
class _Snapshot(Op):
    session_id: str = ""
    seq: int = 0
    created_at: float = 0.0
    data: bytes = b""
    # Entries numbered below this are needed by no session once this snapshot is kept.
    forget_below: int = 0
    # The session has ended, or something was erased from it: its own entries (its chat, what
    # was erased) go now, wherever they are (their numbers, in order; empty otherwise).
    final: tuple[int, ...] = ()

    def run(self, db: sqlite3.Connection) -> None:
        db.execute("INSERT OR REPLACE INTO session_snapshots (session_id, created_at, seq, "
                   "snapshot) VALUES (?, ?, ?, ?)",
                   (self.session_id, self.created_at, self.seq, self.data))
        db.execute("DELETE FROM session_commands WHERE n < ?", (self.forget_below,))
        db.executemany("DELETE FROM session_commands WHERE n = ?", [(n,) for n in self.final])


@dataclass(slots=True)
class _Delete(Op):
    session_ids: tuple[str, ...] = ()
    entries: tuple[int, ...] = ()  # the numbers of their entries

    def run(self, db: sqlite3.Connection) -> None:
        db.executemany("DELETE FROM session_commands WHERE n = ?", [(n,) for n in self.entries])
        db.executemany("DELETE FROM session_snapshots WHERE session_id = ?",
                       [(sid,) for sid in self.session_ids])


class SqliteJournal(GroupJournal):
    """The journal on its own database (a path) or on a shared one (closed by its owner)."""

    insert_command = INSERT_COMMAND
    snapshot_op = _Snapshot
    delete_op = _Delete

    def __init__(self, database: Path | Database, *, commit_interval: float = 0.01,
                 lag: int = LAG, lag_per_session: int = LAG_PER_SESSION,
                 lag_check_every: int = LAG_CHECK_EVERY) -> None:
        owns = not isinstance(database, Database)
        self.database: Database = database if isinstance(database, Database) else Database(
            database, commit_interval=commit_interval)
        super().__init__(self.database, owns_database=owns)
        self.lag, self.lag_per_session = lag, lag_per_session
        self.lag_check_every = lag_check_every
        # The next entry's number, and where each session with entries that its snapshot on
        # disk does not hold stands.
        self._next_n = 1
        self._needs: dict[str, _Needs] = {}
        self._lagging: set[str] = set()
        # The numbers of each session's entries that may still be in the table (so that an
        # ended or deleted session's are deleted by number, not by a scan), and the number
        # below which every entry is known deleted.
        self._rows: dict[str, array[int]] = {}
        self._forgotten = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        """Create the tables, or bring those of an earlier schema to this one (synchronously:
        once, before serving)."""
        db = self.database.open()
        # What a migration or a deletion frees holds chat text: overwritten, not left behind.
        db.execute("PRAGMA secure_delete = ON")
        db.execute(META)
        row = db.execute(
            "SELECT value FROM session_journal_meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row is not None else None
        if version is not None and version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.database.path}: the session journal was written by a "
                               f"newer Tandem (schema {row[0]})")
        if version == 1:
            db.execute("BEGIN IMMEDIATE")  # all of it or nothing
            for statement in MIGRATE_1:
                db.execute(statement)
            db.execute("COMMIT")
        db.executescript(SCHEMA)
        db.execute("INSERT OR REPLACE INTO session_journal_meta (key, value) "
                   "VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    async def start(self) -> list[StoredSession]:
        """Open the journal and return everything it holds."""
        self.open()
        loaded: _Loaded = await self.database.in_thread(_load)
        self._next_n = loaded.top + 1
        self._needs = {sid: _Needs(n) for sid, n in loaded.first.items()}
        self._rows = {sid: array("q", ns) for sid, ns in loaded.rows.items()}
        await self.database.start()
        return loaded.sessions

    # -- writes ---------------------------------------------------------------------------------

    def _entry(self, session_id: str, seq: int, command: bytes) -> tuple[Any, ...]:
        n = self._next_n
        self._next_n = n + 1
        needs = self._needs.get(session_id)
        if needs is None:
            self._needs[session_id] = _Needs(n)
        else:
            needs.appended(n)
        rows = self._rows.get(session_id)
        if rows is None:
            rows = self._rows[session_id] = array("q")
        rows.append(n)
        if n % self.lag_check_every == 0:
            self._look_for_laggards()
        return (n, session_id, seq, command)

    async def holding(self, session_ids: list[str], holding: Holding) -> list[str]:
        # (the rows whose bytes hold an encoding of a value, each then decoded to be sure)
        where = " OR ".join(["instr({0}, ?) > 0"] * len(holding.needles))

        def find(db: sqlite3.Connection) -> list[str]:
            found: set[str] = set()
            for sid, data in db.execute("SELECT session_id, command FROM session_commands "
                                        "WHERE " + where.format("command"), holding.needles):
                if sid not in found and holding.in_decoded(data):
                    found.add(sid)
            for sid in session_ids:
                row = None if sid in found else db.execute(
                    "SELECT snapshot FROM session_snapshots WHERE session_id = ? AND ("
                    + where.format("snapshot") + ")", (sid, *holding.needles)).fetchone()
                if row is not None and holding.in_decoded(row[0]):
                    found.add(sid)
            return sorted(found)

        found: list[str] = await asyncio.to_thread(self.database.read, find)
        return found

    def _snapshot_op(self, session_id: str, seq: int, created_at: float, data: bytes,
                     final: bool, purge: bool) -> writer.Op:
        # What this snapshot holds, and what every other session's snapshot on disk holds, can
        # go: the watermark is the first entry another session still needs.
        below = self._next_n
        for sid, needs in self._needs.items():
            first = needs.first
            if first is not None and first < below and sid != session_id:
                below = first
        rows = self._rows.get(session_id)
        if rows is not None:  # those below the watermark are gone
            del rows[:bisect_left(rows, self._forgotten)]
        op = _Snapshot(self.database.new_future(), session_id, seq, created_at, data, below,
                       tuple(rows) if (final or purge) and rows else ())
        needs = self._needs.setdefault(session_id, _Needs(None))
        taken = needs.taking()
        op.future.add_done_callback(lambda f: self._kept(f, op, taken))
        return op

    def _kept(self, future: asyncio.Future[None], op: _Snapshot, taken: _Taken) -> None:
        """A snapshot is on disk: the entries it holds are needed no more. (One that failed
        leaves them needed, and its session may be told of again.)"""
        session_id = op.session_id
        self._lagging.discard(session_id)
        kept = not future.cancelled() and future.exception() is None
        if kept:
            self._forgotten = max(self._forgotten, op.forget_below)
            rows = self._rows.get(session_id)
            if op.final and rows is not None:  # (those made since are the session's still)
                del rows[:bisect_right(rows, op.final[-1])]
                if not rows:
                    del self._rows[session_id]
        needs = self._needs.get(session_id)
        if needs is None:
            return  # deleted meanwhile
        needs.taken(taken, kept)
        if needs.first is None and not needs.under_way:
            del self._needs[session_id]

    def _delete_op(self, session_ids: tuple[str, ...]) -> writer.Op:
        entries: list[int] = []
        for sid in session_ids:
            self._needs.pop(sid, None)
            self._lagging.discard(sid)
            entries.extend(self._rows.pop(sid, ()))
        return _Delete(self.database.new_future(), session_ids, tuple(entries))

    def _look_for_laggards(self) -> None:
        """Tell the store of the sessions whose first needed entry is further behind than
        ``lag`` entries, or ``lag_per_session`` entries a session with entries needed (so that
        with many sessions, each is not written a snapshot every few entries); once each, until
        a snapshot of theirs is kept."""
        oldest = self._next_n - max(self.lag, self.lag_per_session * len(self._needs))
        late = {sid for sid, needs in self._needs.items()
                if needs.first is not None and needs.first < oldest
                and sid not in self._lagging}
        if late and self.on_lagging is not None:
            self._lagging |= late
            self.on_lagging(late)


@dataclass(slots=True)
class _Taken:
    """A snapshot under way: the first entry made after it was taken (None: none yet)."""

    first_after: int | None = None


@dataclass(slots=True)
class _Needs:
    """A session's first entry that its snapshot on disk does not hold (None: none), and its
    snapshots under way, oldest first. Entries are numbered in the order they are made, so the
    first one made after a snapshot was taken is the first needed once that snapshot is kept."""

    first: int | None
    under_way: list[_Taken] = field(default_factory=list)

    def appended(self, n: int) -> None:
        if self.first is None:
            self.first = n
        for taken in reversed(self.under_way):
            if taken.first_after is not None:
                break
            taken.first_after = n

    def taking(self) -> _Taken:
        taken = _Taken()
        self.under_way.append(taken)
        return taken

    def taken(self, taken: _Taken, kept: bool) -> None:
        self.under_way.remove(taken)
        # What the session needs is what it needed and was made after this snapshot was taken
        # (None, nothing, stays nothing: a later snapshot already holds it all).
        if kept and self.first is not None and (taken.first_after is None
                                                or taken.first_after > self.first):
            self.first = taken.first_after


@dataclass(slots=True)
class _Loaded:
    """What the journal holds: every session's snapshot and the entries after it; for the
    journal's own use, each session's first needed entry and the numbers of all its entries in
    the table (needed or not); and the highest entry number."""

    sessions: list[StoredSession]
    first: dict[str, int]
    rows: dict[str, list[int]]
    top: int


def _load(db: sqlite3.Connection) -> _Loaded:
    snapshots = db.execute("SELECT session_id, seq, snapshot FROM session_snapshots "
                           "ORDER BY created_at, session_id").fetchall()
    since = {sid: seq for sid, seq, _ in snapshots}
    entries: dict[str, dict[int, tuple[int, bytes]]] = {}
    loaded = _Loaded([], {}, {}, 0)
    for n, sid, seq, command in db.execute(
            "SELECT n, session_id, seq, command FROM session_commands ORDER BY n"):
        loaded.top = n
        if sid in since:
            loaded.rows.setdefault(sid, []).append(n)
            if seq > since[sid]:
                entries.setdefault(sid, {})[seq] = (n, command)  # a later one of a seq prevails
    for sid, seq, snapshot in snapshots:
        mine = sorted(entries.get(sid, {}).items())
        loaded.sessions.append(StoredSession(sid, seq, snapshot,
                                             tuple((s, c) for s, (_, c) in mine)))
        if mine:
            loaded.first[sid] = min(n for _, (n, _) in mine)
    return loaded


def counts(path: Path) -> dict[str, int]:
    """How many sessions and command entries a journal holds (for tests and support)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            "sessions": db.execute("SELECT COUNT(*) FROM session_snapshots").fetchone()[0],
            "commands": db.execute("SELECT COUNT(*) FROM session_commands").fetchone()[0],
        }
    finally:
        db.close()
