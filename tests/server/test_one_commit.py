"""One database, one writer, in SQLite and in PostgreSQL alike: a command's journal entry and its
ledger records commit together, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from server import writer
from server.app import CONTEXT
from server.database import Database
from server.postgres import PgDatabase
from server.settings import Settings
from tests.server.backends import Backend, PostgresBackend
from tests.support import Api, Peer


@pytest.fixture
def settings(settings: Settings, backend: Backend) -> Settings:
    url = backend.url if isinstance(backend, PostgresBackend) else None
    return replace(settings, database_url=url)


async def test_a_chat_message_and_its_record_share_one_commit(
    server: TestServer, api: Api, peers: Callable[[], Peer], monkeypatch: pytest.MonkeyPatch,
    backend: Backend,
) -> None:
    s = await api.create_session()
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    await ben.join("Ben")
    database = server.app[CONTEXT].ledger.database  # type: ignore[attr-defined]
    assert isinstance(database, PgDatabase if backend.name == "postgres" else Database)
    commits: list[tuple[list[str], list[tuple[Any, ...]]]] = []
    apply = database._apply

    async def counting(batch: list[writer.Op], buffered: list[writer.Rows]) -> list[Any]:
        commits.append(([type(op).__name__ for op in batch],
                        [row for rows in buffered for row in rows.rows]))
        return await apply(batch, buffered)

    monkeypatch.setattr(database, "_apply", counting)
    assert (await ben.call("chat", {"text": "one commit"}))["ok"]
    # The acknowledgement came once both were committed, by one transaction: the chat's record
    # (a ledger operation) and its journal entry (a row the journal buffered for the commit).
    assert any("_Append" in ops and any(s["session_id"] in row for row in entries)
               for ops, entries in commits), commits
