"""Two processes sharing sessions through Redis and their attendance ledger in one PostgreSQL
database (``--database``): what people do on either process is in the one ledger, which either
exports whole (with SQLite each process keeps its own file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clients.admin import join_token
from clients.server import RedisProcess
from tests.server.cluster.conftest import Pair, tandem
from tests.server.cluster.test_two_processes import ok, person


@pytest.fixture
async def pair_on_postgres(tmp_path: Path, redis: RedisProcess,
                           postgres_url: str) -> AsyncIterator[Pair]:
    a = tandem(tmp_path, "a", redis, "--database", postgres_url)
    b = tandem(tmp_path, "b", redis, "--database", postgres_url)
    await a.start_async()
    try:
        await b.start_async()  # not refused: servers sharing sessions share the ledger
        try:
            yield Pair(a, b, redis)
        finally:
            b.stop()
    finally:
        a.stop()


async def test_both_processes_write_one_ledger(pair_on_postgres: Pair) -> None:
    pair = pair_on_postgres
    async with pair.a.admin_async() as api:
        s = await api.create_session(title="One ledger", max_participants=8)
    ana = await person(pair.a, join_token(s["join_urls"]["mentor"]), "Ana")
    ben = await person(pair.b, join_token(s["join_urls"]["mentee"]), "Ben")
    try:
        await ok(ana, "chat", {"text": "from a"})
        await ok(ben, "chat", {"text": "from b, longer"})
    finally:
        for peer in (ana, ben):
            await peer.close()
    path = f"/api/attendance/sessions/{s['session_id']}/export"
    for server in (pair.a, pair.b):
        async with server.admin_async() as api:
            records = await api.call("GET", path, params={"format": "json", "view": "records"})
        chats = {(r["participant_id"], r["value"]) for r in records if r["kind"] == "chat"}
        assert chats == {(ana.id, 6), (ben.id, 14)}, (server.url, records)
        assert {r["participant_id"] for r in records if r["kind"] == "joined"} == {ana.id, ben.id}
