"""What only the SQLite ledger does: it moves a ledger of an earlier schema to this one, in
place, leaving nothing of the moved rows in the file's free space."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from rooms.attendance import AnonymousRating, RecordKind, day_of
from server.ledger.sqlite import LEDGER_FILE, SCHEMA_VERSION, SqliteLedger

K = RecordKind
T0 = 1_800_000_000.0


def raw(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


async def test_a_ledger_of_schema_2_moves_its_anonymous_ratings_apart(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_FILE
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_2)
    db.execute("INSERT INTO sessions (id, title, created_at) VALUES ('s1', 'T', ?)", (T0,))
    db.executemany(
        "INSERT INTO records (session_id, at, kind, participant_id, person_id, room, role, "
        "value, text) VALUES ('s1', ?, ?, ?, ?, 'main', ?, ?, ?)",
        [(T0 + 1, "joined", "b1", "ben", "mentee", 3, "Ben"),
         (T0 + 2, "check_in", "b1", "ben", None, None, "Plan"),
         (T0 + 3, "check_out", "b1", "ben", None, 4, "Named"),
         (T0 + 4, "left", "b1", "ben", None, None, None),
         (T0 + 4.5, "check_out", "", None, None, 2, "Too short")])
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    ledger = SqliteLedger(path)
    ledger.open()
    await ledger.start()
    try:
        records = await ledger.session_records("s1")
        assert [(r.kind, r.participant_id, r.shared) for r in records] == [
            (K.JOINED, "b1", False), (K.CHECK_IN, "b1", False), (K.CHECK_OUT, "b1", False),
            (K.LEFT, "b1", False)]
        assert await ledger.anonymous_ratings("s1") == [
            AnonymousRating("s1", day_of(T0 + 4.5), 2, "Too short")]
        assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    finally:
        await ledger.close()
    # Nothing of the old record is left in the file's free space, where it sat between Ben's
    # records: the comment is there once, in its new table.
    assert path.read_bytes().count(b"Too short") == 1


# The tables as schema version 2 made them (before anonymous ratings moved apart).
SCHEMA_2 = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, goal TEXT NOT NULL DEFAULT '',
    programme TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL,
    max_participants INTEGER NOT NULL DEFAULT 0, scheduled_start REAL, scheduled_end REAL,
    keep_chat INTEGER NOT NULL DEFAULT 0, ended_at REAL, captions TEXT NOT NULL DEFAULT 'live');
CREATE INDEX sessions_created ON sessions (created_at);
CREATE TABLE roster (session_id TEXT NOT NULL, position INTEGER NOT NULL,
    person_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, email TEXT,
    PRIMARY KEY (session_id, person_id));
CREATE INDEX roster_person ON roster (person_id);
CREATE TABLE records (seq INTEGER PRIMARY KEY, session_id TEXT NOT NULL, at REAL NOT NULL,
    kind TEXT NOT NULL, participant_id TEXT NOT NULL, person_id TEXT, room TEXT NOT NULL,
    role TEXT, value INTEGER, text TEXT, ends_at REAL);
CREATE INDEX records_session ON records (session_id, seq);
CREATE INDEX records_person ON records (person_id) WHERE person_id IS NOT NULL;
CREATE TRIGGER records_append_only BEFORE UPDATE ON records
BEGIN
    SELECT RAISE(ABORT, 'ledger records are append-only');
END;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


