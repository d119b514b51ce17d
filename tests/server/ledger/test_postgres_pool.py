"""PostgreSQL's pool of connections, shared by the writer, reads, pings and exports: waiting for a
connection is bounded, and exports (a connection and a transaction held for as long as a slow
client takes to download) are bounded below the pool's size, so that they cannot starve the
rest."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from server.app import CONTEXT, create_app
from server.postgres import Connection, DatabaseBusy, PgDatabase, usable
from server.settings import Settings
from server.writer import Alive, DatabaseUnavailable
from tests.support import ADMIN_KEY, eventually

# A guard against hanging for ever (what these bounds prevent), not a measure of time.
HANG = 30.0
ROWS = "SELECT g FROM generate_series(1, 10) g"


@pytest.mark.parametrize("kw", [
    {"pool_size": 3, "streams_max": 2},  # would leave nothing for reads beside the writer
    {"pool_size": 3, "streams_max": 0},
    {"pool_size": 2},  # no room for one stream and one read beside the writer
    {"acquire_timeout": 0},
])
def test_the_bounds_of_the_pool_are_checked(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        PgDatabase("postgresql://tandem@127.0.0.1/tandem", **kw)


def test_streams_default_to_half_the_pool() -> None:
    assert PgDatabase("postgresql://tandem@127.0.0.1/tandem", pool_size=8).streams_max == 4


async def test_exports_past_their_bound_are_refused_and_leave_connections_for_the_rest(
    postgres_url: str,
) -> None:
    db = PgDatabase(postgres_url, pool_size=4, streams_max=2, acquire_timeout=5.0)
    await db.start()
    stalled: list[AsyncIterator[list[tuple[Any, ...]]]] = []
    try:
        await (await db.submit(Alive(db.new_future())))  # the writer holds its connection
        for _ in range(2):  # two exports to clients that stopped reading: each holds one
            stream = db.stream(ROWS, [], 1)
            assert await stream.__anext__() == [(1,)]
            stalled.append(stream)
        third = db.stream(ROWS, [], 1)
        with pytest.raises(DatabaseBusy, match="at most 2"):
            await asyncio.wait_for(third.__anext__(), HANG)
        assert await asyncio.wait_for(db.read(lambda c: c.fetchval("SELECT 2")), HANG) == 2
        # The writer can connect again (its connection broke) while the exports stall.
        assert db._conn is not None
        db._conn.terminate()
        await asyncio.wait_for(await db.submit(Alive(db.new_future())), HANG)
        # Once an export is done, another may start.
        await stalled.pop().aclose()
        again = db.stream(ROWS, [], 5)
        assert await asyncio.wait_for(again.__anext__(), HANG) == [(i,) for i in range(1, 6)]
        await again.aclose()
    finally:
        for stream in stalled:
            await stream.aclose()
        await db.close()


async def test_waiting_for_a_connection_is_bounded(postgres_url: str) -> None:
    db = PgDatabase(postgres_url, pool_size=3, streams_max=1, acquire_timeout=0.2)
    await db.open()
    release = asyncio.Event()
    holding: list[asyncio.Event] = []

    async def hold(conn: Connection) -> None:
        holding[-1].set()
        await release.wait()

    readers = []
    try:
        for _ in range(3):  # every connection of the pool, held by slow reads
            holding.append(asyncio.Event())
            readers.append(asyncio.create_task(db.read(hold)))
            await asyncio.wait_for(holding[-1].wait(), HANG)
        with pytest.raises(DatabaseUnavailable, match="within 0.2 s"):
            await asyncio.wait_for(db.ping(), HANG)
        # The writer's connecting is bounded too: its commit fails rather than waits for ever.
        await db.start()
        with pytest.raises(DatabaseUnavailable):
            await asyncio.wait_for(await db.submit(Alive(db.new_future())), HANG)
        release.set()
        await asyncio.gather(*readers)
        await asyncio.wait_for(db.ping(), HANG)  # and everything works again
        await asyncio.wait_for(await db.submit(Alive(db.new_future())), HANG)
    finally:
        release.set()
        await asyncio.gather(*readers, return_exceptions=True)
        await db.close()


async def test_the_writer_connects_again_at_once_when_postgresql_ended_its_connection(
    postgres_url: str,
) -> None:
    # asyncpg gives a connection the server ended back to the pool at once; the writer must see
    # it as closed, not fail its next commit on asking.
    db = PgDatabase(postgres_url, pool_size=4)
    await db.start()
    try:
        await (await db.submit(Alive(db.new_future())))
        assert db._conn is not None
        conn, pid = db._conn, db._conn.get_server_pid()
        assert await db.read(lambda c: c.fetchval("SELECT pg_terminate_backend($1)", pid))
        await eventually(lambda: not usable(conn), what="the client seeing its connection end")
        await asyncio.wait_for(await db.submit(Alive(db.new_future())), HANG)
        assert db._conn is not None and db._conn.get_server_pid() != pid
    finally:
        await db.close()


async def test_an_export_refused_for_too_many_at_once_is_an_error_answer_not_a_cut_download(
    postgres_url: str, tmp_path: Path,
    aiohttp_server: Callable[..., Awaitable[TestServer]],
) -> None:
    settings = Settings(data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY,
                        database_url=postgres_url)
    app = create_app(settings)
    server = await aiohttp_server(app)
    db = app[CONTEXT].ledger.database
    assert isinstance(db, PgDatabase)
    stalled = []
    try:
        for _ in range(db.streams_max):  # exports to clients that stopped reading
            stream = db.stream(ROWS, [], 1)
            assert await stream.__anext__() == [(1,)]
            stalled.append(stream)
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
            for _ in range(2):  # (and refused again: the refusal held nothing)
                path = "/api/attendance/export"
                async with http.get(path, params={"view": "records", "format": "csv"},
                                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
                    assert resp.status == 503, await resp.text()
                    body = await resp.json()
                    assert "at most" in body["error"]["message"]
            for stream in stalled:
                await stream.aclose()
            stalled.clear()
            async with http.get("/api/attendance/export", params={"view": "records",
                                                                  "format": "csv"},
                                headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
                assert resp.status == 200 and (await resp.text()).startswith("seq,session_id,")
    finally:
        for stream in stalled:
            await stream.aclose()
        await server.close()
