"""A connection's events are handled in turn, each acknowledged once its commit is durable, and
commits start at most every commit interval. So that a connection sending faster than that is
not held to one event an interval, an event read while the next already waits behind it asks
the database's writer to start its commit at once (``GroupCommit.hurry``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestServer

from load_tests.sioclient import Client, encode_frame
from server.app import CONTEXT, SIO
from server.database import DATABASE_FILE, Database, Op
from server.fanout import TandemSocketServer
from server.ledger.sqlite import SqliteLedger
from tests.support import WAIT, Api, eventually


class _Row(Op):
    insert = "INSERT INTO t (v) VALUES (?)"

    def rows(self) -> list[tuple[Any, ...]]:
        return [(1,)]


async def _committed(database: Database) -> None:
    await asyncio.wait_for(await database.submit(_Row(database.new_future())), WAIT)


async def test_hurry_starts_the_next_commit_without_waiting_for_the_interval(
        tmp_path: Path) -> None:
    # With a minute between commits, only a hurry gets the second write committed in time.
    database = Database(tmp_path / DATABASE_FILE, commit_interval=60.0, heartbeat=600.0)
    database.open().execute("CREATE TABLE t (v INTEGER)")
    await database.start()
    try:
        await _committed(database)  # the first commit starts at once
        second = await database.submit(_Row(database.new_future()))
        await eventually(lambda: database._gathering is not None,
                         what="the writer waiting for the interval to pass")
        assert not second.done()
        database.hurry()
        await asyncio.wait_for(second, WAIT)
        # A hurry while the writer waits for nothing holds for the next write.
        await eventually(lambda: database._queue is not None and database._gathering is None
                         and not database._queue.qsize(), what="the writer idle")
        database.hurry()
        await _committed(database)
    finally:
        await database.close()
    count = database.reader().execute("SELECT COUNT(*) FROM t").fetchone()[0]
    assert count == 3


async def test_an_event_read_with_another_behind_it_hurries_the_commit(
        api: Api, server: TestServer) -> None:
    sio = server.app[SIO]
    assert isinstance(sio, TandemSocketServer)
    ledger = server.app[CONTEXT].ledger
    assert isinstance(ledger, SqliteLedger)
    database = ledger.database
    assert sio.on_backlog == database.hurry
    hurried: list[None] = []

    def on_backlog() -> None:
        hurried.append(None)
        database.hurry()

    sio.on_backlog = on_backlog
    s = await api.create_session()
    client = Client(str(server.make_url("/")))
    await client.connect({"token": api.token(s["join_urls"]["mentee"])})
    try:
        assert (await client.call("join", {"name": "Ben"}))["ok"]
        # One event alone (its acknowledgement is the barrier): nothing waits behind it.
        assert (await client.call_packet(["chat", {"text": "alone"}]))["ok"]
        assert hurried == []
        # Two events in one write: the first is read with the second already behind it.
        frames: list[bytes] = []
        client._write = lambda opcode, payload: frames.append(  # type: ignore[method-assign]
            encode_frame(opcode, payload))
        acks = [client.call_packet(["chat", {"text": text}]) for text in ("one", "two")]
        del client._write
        assert client.transport is not None
        client.transport.write(b"".join(frames))
        assert all(a["ok"] for a in await asyncio.gather(*acks))
        assert len(hurried) == 1
    finally:
        await client.close()

