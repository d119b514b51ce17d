"""What only the SQLite ledger does: it moves a ledger of an earlier schema to this one, in
place, leaving nothing of the moved rows in the file's free space; it finds a person's records
through ``record_people``, which its records' trigger keeps and its deletions empty; it finds a
session's records through ``record_index``, filled in batches, and the tail of records after the
last batch."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from rooms.attendance import AnonymousRating, RecordKind, day_of
from server.database import Database
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
        # schema 5: the records by session in record_index, all of them, the tail empty
        assert raw(path, "SELECT name FROM sqlite_master WHERE name = 'records_session'") == []
        assert raw(path, "SELECT * FROM record_index ORDER BY seq") == [
            ("s1", 1), ("s1", 2), ("s1", 3), ("s1", 4), ("s2", 5)]
        assert raw(path, "SELECT value FROM meta WHERE key = 'indexed_upto'") == [("5",)]
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
                             rec(K.JOINED, "d1", session_id="old", person_id="dee",
                                 at=T0 - 400 * 86400)])
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




def indexed_upto(path: Path) -> int:
    return int(raw(path, "SELECT value FROM meta WHERE key = 'indexed_upto'")[0][0])


async def open_ledger(path: Path, index_every: float) -> SqliteLedger:
    ledger = SqliteLedger(path, commit_interval=0, index_every=index_every, recover=False)
    ledger.open()
    await ledger.start()
    return ledger


async def test_a_sessions_records_are_found_in_record_index_and_in_the_tail_after_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / LEDGER_FILE
    # The first commit makes a batch, and the next one is an hour away: what follows is the tail.
    ledger = await open_ledger(path, index_every=3600)
    try:
        await ledger.append([rec(K.JOINED, "a1", session_id="s1"),
                             rec(K.JOINED, "b1", session_id="s2")])
        assert raw(path, "SELECT * FROM record_index ORDER BY seq") == [("s1", 1), ("s2", 2)]
        assert indexed_upto(path) == 2
        await ledger.append([rec(K.CHAT, "a1", session_id="s1"),
                             rec(K.CHAT, "b1", session_id="s2"),
                             rec(K.CHAT, "c1", session_id="s1")])
        assert raw(path, "SELECT COUNT(*) FROM record_index") == [(2,)]  # 3 to 5: the tail
        assert [(r.kind, r.participant_id, r.seq) for r in await ledger.session_records("s1")] \
            == [(K.JOINED, "a1", 1), (K.CHAT, "a1", 3), (K.CHAT, "c1", 5)]
        assert [r.seq for r in await ledger.session_records("s2")] == [2, 4]
        assert [r.seq async for rows in ledger.stream_records(None, "s1")  # type: ignore[arg-type]
                for r in rows] == [1, 3, 5]
        # a participant deleted from the index and from the tail alike
        assert (await ledger.delete_participant("s1", "a1")).records == 2
        assert [r.seq for r in await ledger.session_records("s1")] == [5]
        assert raw(path, "SELECT * FROM record_index ORDER BY seq") == [("s2", 2)]
    finally:
        await ledger.close()
    # the next start's first commit makes a batch of the tail
    ledger = await open_ledger(path, index_every=3600)
    try:
        await ledger.append([rec(K.LEFT, "b1", session_id="s2")])
        assert raw(path, "SELECT * FROM record_index ORDER BY seq") == [
            ("s2", 2), ("s2", 4), ("s1", 5), ("s2", 6)]
        assert indexed_upto(path) == 6
        assert [r.seq for r in await ledger.session_records("s2")] == [2, 4, 6]
    finally:
        await ledger.close()


async def test_a_seq_freed_at_the_top_is_not_lost_to_the_index(tmp_path: Path) -> None:
    """SQLite gives a new record the highest seq + 1: once the highest records are deleted, a
    new record takes a seq the index had passed. The tail starts below it then."""
    path = tmp_path / LEDGER_FILE
    ledger = await open_ledger(path, index_every=3600)
    try:
        await ledger.append([rec(K.JOINED, "a1", session_id="s1"),
                             rec(K.JOINED, "b1", session_id="s2"),
                             rec(K.CHAT, "b1", session_id="s2")])
        assert indexed_upto(path) == 3
        await ledger.delete_participant("s2", "b1")
        assert indexed_upto(path) == 1
        await ledger.append([rec(K.CHAT, "a1", session_id="s1")])
        assert [r.seq for r in await ledger.session_records("s1")] == [1, 2]
        assert await ledger.session_records("s2") == []
    finally:
        await ledger.close()


async def test_a_commit_of_records_in_many_sessions_writes_a_few_pages(tmp_path: Path) -> None:
    """The reason for ``record_index``: an index of the records by session took a page of its
    own for each record of a commit (each session's entries lie apart), a batch of records a
    page or two per session. Pages written are counted as the frames the commit adds to the
    write-ahead log."""
    path = tmp_path / LEDGER_FILE
    database = Database(path, commit_interval=0)
    database.open().execute("PRAGMA wal_autocheckpoint = 0")  # the log only grows here
    ledger = SqliteLedger(database, index_every=3600)
    ledger.open()
    await ledger.start()
    sessions = [f"session-{i:04}" for i in range(50)]
    try:
        for _ in range(20):  # 10,000 records: each session's part of an index on its own pages
            await ledger.append([rec(K.CHAT, f"p{n}", session_id=s)
                                 for s in sessions for n in range(10)])
        page = raw(path, "PRAGMA page_size")[0][0]
        wal = path.with_name(path.name + "-wal")
        frames = []
        for _ in range(3):
            before = wal.stat().st_size
            await ledger.append([rec(K.CHAT, "p1", session_id=s) for s in sessions])
            frames.append((wal.stat().st_size - before) // (page + 24))
        assert max(frames) <= 8, frames
        # The same commits with an index of the records by session: a page for each session.
        database.open().execute("CREATE INDEX records_session ON records (session_id, seq)")
        before = wal.stat().st_size
        await ledger.append([rec(K.CHAT, "p1", session_id=s) for s in sessions])
        assert (wal.stat().st_size - before) // (page + 24) >= 40
        # every record still found
        assert len(await ledger.session_records("session-0007")) == 204
    finally:
        await ledger.close()
        await database.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_reads_by_session_match_the_records_whatever_the_batches_and_deletions(
    tmp_path: Path, seed: int,
) -> None:
    """Records appended to five sessions, participants, people and old sessions deleted, and
    batches made, in a random order: every session's records read as a model of them has them,
    and ``record_index`` holds exactly the records up to ``indexed_upto``."""
    rng = random.Random(seed)
    path = tmp_path / LEDGER_FILE
    ledger = await open_ledger(path, index_every=3600)
    model: list[tuple[int, str, str, str | None]] = []  # seq, session, participant, person
    sessions = ["s1", "s2", "s3", "s4", "old"]
    await ledger.put_session(session("old", created=T0 - 400 * 86400))
    for s in sessions[:4]:
        await ledger.put_session(session(s))
    try:
        for _step in range(120):
            roll = rng.random()
            if roll < 0.6:
                batch = []
                for _ in range(rng.randint(1, 6)):
                    s, pid = rng.choice(sessions), f"p{rng.randrange(4)}"
                    batch.append((s, pid, f"person-{pid}" if pid != "p3" else None))
                await ledger.append([rec(K.CHAT, pid, session_id=s, person_id=person,
                                         at=T0 - 400 * 86400 if s == "old" else T0)
                                     for s, pid, person in batch])
                top = max((seq for seq, *_ in model), default=0)
                model += [(top + 1 + i, *row) for i, row in enumerate(batch)]
            elif roll < 0.75:
                s, pid = rng.choice(sessions), f"p{rng.randrange(4)}"
                await ledger.delete_participant(s, pid)
                model = [m for m in model if (m[1], m[2]) != (s, pid)]
            elif roll < 0.8:
                person = f"person-p{rng.randrange(3)}"
                gone = {(m[1], m[2]) for m in model if m[3] == person}
                await ledger.delete_person(person)
                model = [m for m in model if (m[1], m[2]) not in gone]
            elif roll < 0.83 and "old" in sessions:
                await ledger.purge(T0 - 365 * 86400)
                model = [m for m in model if m[1] != "old"]
                sessions.remove("old")  # its session is gone: nothing more is recorded in it
            else:
                ledger._index_due = 0.0  # the next commit makes a batch
                await ledger.append([rec(K.CHAT, "p0", session_id="s1", person_id="person-p0")])
                top = max((seq for seq, *_ in model), default=0)
                model.append((top + 1, "s1", "p0", "person-p0"))
            for s in ["s1", "s2", "s3", "s4", "old"]:
                assert [(r.seq, r.participant_id) for r in await ledger.session_records(s)] == \
                    [(m[0], m[2]) for m in model if m[1] == s]
            upto = indexed_upto(path)
            assert raw(path, "SELECT session_id, seq FROM record_index ORDER BY seq") == \
                [(m[1], m[0]) for m in model if m[0] <= upto]
    finally:
        await ledger.close()
