"""What only the SQLite ledger does: it moves a ledger of an earlier schema to this one, in
place, leaving nothing of the moved rows in the file's free space; it finds a person's records
through ``record_people``, which its records' trigger keeps and its deletions empty."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from rooms.attendance import AnonymousRating, RecordKind, day_of
from server.ledger.sqlite import LEDGER_FILE, MIGRATIONS, SCHEMA_VERSION, SqliteLedger
from tests.server.ledger.test_ledger import rec, session

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


async def test_a_ledger_of_schema_3_finds_its_people_without_an_index_by_person(
    tmp_path: Path,
) -> None:
    path = tmp_path / LEDGER_FILE
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_2)
    for statement in MIGRATIONS[2]:
        db.execute(statement)
    db.executemany("INSERT INTO sessions (id, title, created_at) VALUES (?, 'T', ?)",
                   [("s1", T0), ("s2", T0 + 86400)])
    db.executemany(
        "INSERT INTO records (session_id, at, kind, participant_id, person_id, room) "
        "VALUES (?, ?, ?, ?, ?, 'main')",
        [("s1", T0 + 1, "joined", "b1", "ben"), ("s1", T0 + 2, "chat", "b1", "ben"),
         ("s1", T0 + 3, "left", "b1", None), ("s1", T0 + 4, "joined", "a1", "ann"),
         ("s2", T0 + 5, "joined", "b2", "ben")])
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    ledger = SqliteLedger(path, recover=False)  # its presence left open stays as it is
    ledger.open()
    await ledger.start()
    try:
        assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert raw(path, "SELECT name FROM sqlite_master WHERE name = 'records_person'") == []
        assert sorted(raw(path, "SELECT * FROM record_people")) == [
            ("s1", "a1", "ann"), ("s1", "b1", "ben"), ("s2", "b2", "ben")]
        report = await ledger.delete_person("ben")
        assert report.records == 4  # Ben's left record names no person, and goes too
        assert [r.participant_id for r in await ledger.session_records("s1")] == ["a1"]
        assert await ledger.session_records("s2") == []
        assert raw(path, "SELECT * FROM record_people") == [("s1", "a1", "ann")]
    finally:
        await ledger.close()


async def test_record_people_holds_a_row_per_participant_and_nothing_once_deleted(
    tmp_path: Path,
) -> None:
    path = tmp_path / LEDGER_FILE
    ledger = SqliteLedger(path)
    ledger.open()
    await ledger.start()
    try:
        await ledger.put_session(session("s1"))
        await ledger.put_session(session("old", created=T0 - 400 * 86400))
        await ledger.append([rec(K.JOINED, "b1", person_id="ben"),
                             rec(K.CHAT, "b1", person_id="ben"),
                             rec(K.JOINED, "c1", person_id="cy"),
                             rec(K.JOINED, "g1"),  # a guest: no person
                             rec(K.JOINED, "d1", session_id="old", person_id="dee")])
        await ledger.append([rec(K.CHAT, "b1", person_id="ben")])
        people = "SELECT session_id, participant_id, person_id FROM record_people ORDER BY 1, 2"
        assert raw(path, people) == [
            ("old", "d1", "dee"), ("s1", "b1", "ben"), ("s1", "c1", "cy")]
        assert (await ledger.delete_participant("s1", "c1")).records == 1
        assert await ledger.purge(T0 - 365 * 86400) == 1
        assert raw(path, people) == [("s1", "b1", "ben")]
        assert (await ledger.delete_person("ben")).records == 3
        assert raw(path, people) == []
        assert [r.participant_id for r in await ledger.session_records("s1")] == ["g1"]
    finally:
        await ledger.close()


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


