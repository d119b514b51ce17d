"""``Ledger.scrub`` after a deletion request: in SQLite, what was deleted is then in neither the
database file (``secure_delete`` overwrote it) nor its write-ahead log (checkpointed and
truncated on the writer's thread); a reader that keeps the log busy makes it say it could not,
after a few attempts between which the writer goes on. PostgreSQL keeps dead rows until it
vacuums: its scrub does nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rooms.attendance import Record, RecordKind
from server.ledger.sqlite import SqliteLedger
from tests.server.backends import AnyLedger, Backend, SqliteBackend
from tests.server.ledger.test_ledger import T0, session

K = RecordKind
SECRET, OTHER = "my manager is the problem 6127", "still here 8834"


async def with_records(ledger: AnyLedger) -> None:
    await ledger.put_session(session("s1"))
    await ledger.append([
        Record("s1", T0 + 1, K.JOINED, "b1", person_id="ben"),
        Record("s1", T0 + 2, K.CHECK_IN, "b1", person_id="ben", text=SECRET),
        Record("s1", T0 + 3, K.CHECK_IN, "a1", text=OTHER),
    ])


def log_of(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def file_bytes(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


@pytest.fixture
async def sqlite_ledger(tmp_path: Path) -> AsyncIterator[SqliteLedger]:
    ledger = await SqliteBackend(tmp_path).ledger()
    yield ledger
    await ledger.close()


async def test_after_scrub_deleted_records_are_in_neither_file(
        sqlite_ledger: SqliteLedger) -> None:
    ledger, path = sqlite_ledger, sqlite_ledger.path
    await with_records(ledger)
    assert (await ledger.delete_person("ben")).records == 2
    # The log still holds the page as it was before the deletion (what scrub is for).
    assert SECRET.encode() in file_bytes(log_of(path))
    assert await ledger.scrub()
    assert file_bytes(log_of(path)) == b""
    assert SECRET.encode() not in file_bytes(path)
    assert OTHER.encode() in file_bytes(path)  # what was not deleted is in the file now
    assert [r.text for r in await ledger.session_records("s1")] == [OTHER]


async def test_a_reader_using_the_log_makes_scrub_say_it_could_not_and_the_writer_goes_on(
        sqlite_ledger: SqliteLedger) -> None:
    ledger, path = sqlite_ledger, sqlite_ledger.path
    await with_records(ledger)
    await ledger.delete_person("ben")
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM records").fetchone()  # reads through the log
        assert not await ledger.database.scrub(attempts=3, pause=0.01)
        # The writer carried on between the attempts and after them.
        await ledger.append([Record("s1", T0 + 4, K.LEFT, "a1")])
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert await ledger.scrub()
    assert SECRET.encode() not in file_bytes(path) + file_bytes(log_of(path))
    assert [r.kind for r in await ledger.session_records("s1")] == [K.CHECK_IN, K.LEFT]


async def test_scrub_on_either_backend_leaves_the_ledger_as_it_was(backend: Backend) -> None:
    ledger = await backend.ledger()
    try:
        await with_records(ledger)
        await ledger.delete_person("ben")
        # SQLite: done at once; PostgreSQL: nothing to do (dead rows wait for its vacuum).
        assert await ledger.scrub() is True
        assert [r.text for r in await ledger.session_records("s1")] == [OTHER]
        await ledger.append([Record("s1", T0 + 4, K.LEFT, "a1")])
        assert len(await ledger.session_records("s1")) == 2
    finally:
        await ledger.close()
