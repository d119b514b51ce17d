"""What only the PostgreSQL ledger does: it lives through its database going away and coming
back (writes fail with the ledger's stable error meanwhile, and succeed again without a restart
of Tandem, in a real server too), says so in ``ping`` and in the log without the database's
password, refuses a second Tandem server writing to the same database, and leaves anonymous
ratings nothing of the commit they came with."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from clients.admin import join_token
from clients.postgres import PostgresServer
from clients.server import ServerProcess, free_port
from rooms import commands as c
from rooms.attendance import AnonymousRating, Record, RecordKind, SessionInfo, day_of
from rooms.errors import NotRecorded
from rooms.roles import Role
from rooms.session import Session
from server.ledger import LedgerUnavailable
from server.ledger.postgres import PostgresLedger
from server.postgres import DatabaseLocked, PgDatabase
from server.settings import redact_url
from server.store.codec import encode_session
from server.store.memory import MemoryStore
from server.store.postgres import PostgresJournal
from tests.support import Peer, postgres_instance

T0 = 1_800_000_000.0


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own: it is stopped and started again."""
    server = postgres_instance()
    try:
        yield server
    finally:
        server.cleanup()


def chat(pid: str, at: float = T0) -> Record:
    return Record("s1", at, RecordKind.CHAT, pid, value=1)


async def test_the_ledger_and_journal_come_back_with_their_database(
    own_postgres: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = await own_postgres.create_database("tandem")
    database = PgDatabase(url, heartbeat=0.2)
    ledger = PostgresLedger(database)
    store = MemoryStore(PostgresJournal(database))
    await ledger.start()
    await store.start()
    await store.add(Session.create(session_id="s1", title="T", max_participants=8, now=T0))
    await (await store.update("s1", c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0))).durable
    await ledger.append([chat("before")])
    await ledger.ping()

    with caplog.at_level(logging.DEBUG):
        own_postgres.stop()
        with pytest.raises(LedgerUnavailable) as refused:
            await ledger.append([chat("during")])
        assert refused.value.code == "not_recorded"
        with pytest.raises(LedgerUnavailable):
            await ledger.ping()
        applied = await store.update("s1", c.PostChat("b", "cb", "while away", T0 + 1))
        with pytest.raises(NotRecorded):
            await applied.durable

        own_postgres.start()  # the same port and data; Tandem is not restarted
        await ledger.append([chat("after")])
        await ledger.ping()
        # The journal lost an entry: the session's next change is kept as a whole snapshot.
        await (await store.update("s1", c.PostChat("b", "cb", "back", T0 + 2))).durable
    before = await store.read("s1", encode_session)
    await store.close()
    await ledger.close()
    await database.close()

    assert [r.participant_id for r in await _records(url)] == ["before", "after"]
    again = MemoryStore(PostgresJournal(url))
    await again.start()
    assert await again.read("s1", encode_session) == before
    assert [m.text for m in await again.read("s1", lambda s: s.chat)] == ["while away", "back"]
    await again.close()

    assert "cannot be reached" in caplog.text and "reachable again" in caplog.text
    assert own_postgres.password not in caplog.text
    assert redact_url(url) in caplog.text and own_postgres.password not in redact_url(url)


async def _records(url: str) -> list[Record]:
    ledger = PostgresLedger(url)
    await ledger.start()
    try:
        return await ledger.session_records("s1")
    finally:
        await ledger.close()


async def test_a_second_server_on_the_same_database_is_refused(postgres_url: str) -> None:
    first = PgDatabase(postgres_url, exclusive=True)
    await first.start()
    second = PgDatabase(postgres_url, exclusive=True)
    with pytest.raises(DatabaseLocked, match="Another Tandem server"):
        await second.open()
    await second.close()
    await first.close()
    # Once the first is gone, the database is free.
    third = PgDatabase(postgres_url, exclusive=True)
    await third.start()
    await third.close()


async def test_a_database_that_cannot_be_reached_is_said_so_at_start() -> None:
    password = "never-shown-4f1d"
    ledger = PostgresLedger(f"postgresql://tandem:{password}@127.0.0.1:{free_port()}/tandem")
    with pytest.raises(LedgerUnavailable, match="Cannot reach") as refused:
        await ledger.start()
    assert password not in str(refused.value) and "tandem:***@" in str(refused.value)
    info = SessionInfo("s1", "T", T0)
    with pytest.raises(LedgerUnavailable):
        await ledger.put_session(info)


async def test_anonymous_ratings_keep_nothing_of_their_commit_once_the_session_ends(
    postgres_url: str,
) -> None:
    ledger = PostgresLedger(postgres_url)
    await ledger.start()
    await ledger.put_session(SessionInfo("s1", "T", T0))
    for i, (rating, comment) in enumerate([(5, "z"), (1, "a"), (3, None)]):
        await ledger.append([chat(f"p{i}", T0 + i)])  # a named record, then a rating: 3 commits
        await ledger.add_anonymous([AnonymousRating("s1", day_of(T0), rating, comment)])
    before = await _xmins(postgres_url)
    assert len(set(before)) == 3  # each rating still carries its own commit
    await ledger.append([Record("s1", T0 + 9, RecordKind.SESSION_ENDED, "", text="ended")])
    after = await _xmins(postgres_url)
    assert len(set(after)) == 1 and not set(after) & set(before)  # one commit, the end's
    assert [(r.rating, r.comment) for r in await ledger.anonymous_ratings("s1")] == [
        (1, "a"), (3, None), (5, "z")]
    await ledger.close()


async def _xmins(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [row[0] for row in await conn.fetch(
            "SELECT xmin::text FROM anonymous_ratings WHERE session_id = 's1'")]
    finally:
        await conn.close()


async def test_a_real_server_answers_not_recorded_while_postgresql_is_away_and_then_recovers(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = await own_postgres.create_database("tandem")
    async with ServerProcess(tmp_path / "data", flags=["--database", url]) as server:
        async with server.admin_async() as api:
            s = await api.create_session(title="Through an outage")
        ben = Peer(server.url)
        await ben.connect(join_token(s["join_urls"]["mentee"]))
        await ben.join("Ben")
        try:
            assert (await ben.call("chat", {"text": "before"}))["ok"]
            own_postgres.stop()
            ack = await ben.call("chat", {"text": "during"})
            assert ack["ok"] is False and ack["error"]["code"] == "not_recorded", ack
            own_postgres.start()  # the server is not restarted
            assert (await ben.call("chat", {"text": "after"}))["ok"]
        finally:
            await ben.close()
        async with server.admin_async() as api:
            records = await api.call("GET", f"/api/attendance/sessions/{s['session_id']}/export",
                                     params={"format": "json", "view": "records"})
    # "before" and "after" (6 characters and 5); "during" was not recorded, and said so.
    assert [r["value"] for r in records if r["kind"] == "chat"] == [6, 5]
