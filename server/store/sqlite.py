"""The session journal in SQLite: its tables in the embedded default's database
(``server.database``), written by that database's one writer.

A command entry is a row of ``session_commands`` (session, number, the encoded command); a
snapshot replaces the session's row of ``session_snapshots`` and deletes its entries up to its
number in the same transaction. Every write is an operation of the database's writer, so it
commits with whatever else is waiting: a chat message's entry and its attendance record share
one transaction and one flush. When a commit fails, the writes of that batch fail with
``DatabaseUnavailable`` (a ``NotRecorded``) and ``on_lost`` is told which sessions lost writes
(their store then writes a whole snapshot at their next change).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from server.database import DATABASE_FILE, Database, Op
from server.store.journal import GroupJournal
from server.store.memory import StoredSession

JOURNAL_FILE = DATABASE_FILE  # the journal shares the embedded default's database
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS session_snapshots (
    session_id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    seq INTEGER NOT NULL,
    snapshot BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS session_commands (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    command BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_journal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
INSERT_COMMAND = ("INSERT OR REPLACE INTO session_commands (session_id, seq, command) "
                  "VALUES (?, ?, ?)")


@dataclass(slots=True)
class _Snapshot(Op):
    session_id: str = ""
    seq: int = 0
    created_at: float = 0.0
    data: bytes = b""

    def run(self, db: sqlite3.Connection) -> None:
        db.execute("INSERT OR REPLACE INTO session_snapshots (session_id, created_at, seq, "
                   "snapshot) VALUES (?, ?, ?, ?)",
                   (self.session_id, self.created_at, self.seq, self.data))
        db.execute("DELETE FROM session_commands WHERE session_id = ? AND seq <= ?",
                   (self.session_id, self.seq))


@dataclass(slots=True)
class _Delete(Op):
    session_ids: tuple[str, ...] = ()

    def run(self, db: sqlite3.Connection) -> None:
        ids = [(sid,) for sid in self.session_ids]
        db.executemany("DELETE FROM session_commands WHERE session_id = ?", ids)
        db.executemany("DELETE FROM session_snapshots WHERE session_id = ?", ids)


class SqliteJournal(GroupJournal):
    """The journal on its own database (a path) or on a shared one (closed by its owner)."""

    insert_command = INSERT_COMMAND
    snapshot_op = _Snapshot
    delete_op = _Delete

    def __init__(self, database: Path | Database, *, commit_interval: float = 0.01) -> None:
        owns = not isinstance(database, Database)
        self.database: Database = database if isinstance(database, Database) else Database(
            database, commit_interval=commit_interval)
        super().__init__(self.database, owns_database=owns)

    # -- lifecycle ------------------------------------------------------------------------------

    def open(self) -> None:
        """Create the tables (synchronously: once, before serving)."""
        db = self.database.open()
        db.executescript(SCHEMA)
        row = db.execute(
            "SELECT value FROM session_journal_meta WHERE key = 'schema'").fetchone()
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise RuntimeError(f"{self.database.path}: the session journal was written by a "
                               f"newer Tandem (schema {row[0]})")
        db.execute("INSERT OR REPLACE INTO session_journal_meta (key, value) "
                   "VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    async def start(self) -> list[StoredSession]:
        """Open the journal and return everything it holds."""
        self.open()
        stored: list[StoredSession] = await self.database.in_thread(_load)
        await self.database.start()
        return stored


def _load(db: sqlite3.Connection) -> list[StoredSession]:
    out = []
    for sid, seq, snapshot in db.execute(
            "SELECT session_id, seq, snapshot FROM session_snapshots "
            "ORDER BY created_at, session_id").fetchall():
        commands = tuple(db.execute(
            "SELECT seq, command FROM session_commands WHERE session_id = ? AND seq > ? "
            "ORDER BY seq", (sid, seq)))
        out.append(StoredSession(sid, seq, snapshot, commands))
    return out


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
