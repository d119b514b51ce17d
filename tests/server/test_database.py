"""A ledger kept in its own file by an earlier version is adopted with what it holds (one
database, one writer: ``test_one_commit.py`` shows a command's entry and records commit
together)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from rooms.attendance import Record, RecordKind, SessionInfo
from server.app import CONTEXT, create_app
from server.database import DATABASE_FILE, LEGACY_FILE, Database
from server.ledger.sqlite import SqliteLedger
from server.metrics import Metrics
from server.settings import Settings
from server.writer import DatabaseUnavailable
from tests.support import Clock


async def test_a_ledger_of_its_own_file_is_adopted(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock
) -> None:
    old = SqliteLedger(Path(settings.data_dir) / LEGACY_FILE, clock=clock)
    old.open()
    await old.start()
    await old.put_session(SessionInfo("s-old", "Before", clock.now))
    await old.append([Record("s-old", clock.now, RecordKind.JOINED, "p1", room="main")])
    # Killed without closing: the records may still be in the write-ahead log only.
    assert old.database._writer is not None
    old.database._writer.cancel()
    await asyncio.sleep(0)

    server = await aiohttp_server(create_app(settings, clock=clock))
    ledger = server.app[CONTEXT].ledger
    assert (await ledger.session("s-old")).title == "Before"
    # p1's presence, left open by the crash, is closed by the ledger's recovery at start
    assert [(r.participant_id, r.kind) for r in await ledger.session_records("s-old")] == [
        ("p1", RecordKind.JOINED), ("p1", RecordKind.DROPPED)]
    assert not (Path(settings.data_dir) / LEGACY_FILE).exists()
    db = sqlite3.connect(Path(settings.data_dir) / DATABASE_FILE)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert {"records", "sessions", "session_snapshots", "session_commands"} <= tables
    await server.close()


async def test_the_readiness_check_follows_the_writer(tmp_path: Path) -> None:
    metrics = Metrics(process="test")
    database = Database(tmp_path / DATABASE_FILE, heartbeat=60)
    database.metrics = metrics
    with pytest.raises(DatabaseUnavailable):
        await database.check()  # not started
    await database.start()
    await database.check()  # nothing committed yet: it commits, and passes once that is kept
    assert metrics.ledger_commit.count == 1
    await database.check(fresh_for=60)  # that commit is recent: nothing more to do
    assert metrics.ledger_commit.count == 1
    await database.close()
    with pytest.raises(DatabaseUnavailable):
        await database.check()


async def test_the_commit_interval_is_the_settings(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock
) -> None:
    server = await aiohttp_server(create_app(replace(settings, commit_interval_ms=25),
                                             clock=clock))
    ledger = server.app[CONTEXT].ledger
    assert isinstance(ledger, SqliteLedger)
    assert ledger.database.commit_interval == 0.025
    await server.close()
