"""Fixtures shared by every test folder: a real Tandem app on a real TCP port, REST and
socket.io clients for it; a PostgreSQL server of the test run's own, with a database per test,
and ``backend``, which runs a test against SQLite and against PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from clients.postgres import PostgresServer
from server.app import create_app
from server.settings import Limits, Settings
from tests.server.backends import Backend, PostgresBackend, SqliteBackend
from tests.support import ADMIN_KEY, Api, Clock, Peer, postgres_instance

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test run, on 127.0.0.1 and a free port."""
    server = postgres_instance()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> str:
    """A new empty database of its own for this test."""
    return await postgres_server.create_database(f"test_{os.getpid()}_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return SqliteBackend(tmp_path)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return PostgresBackend(
        await server.create_database(f"test_{os.getpid()}_{next(_databases)}"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
def settings(tmp_path: Path, limits: Limits) -> Settings:
    return Settings(
        data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY, limits=limits,
        ping_interval=1.0, ping_timeout=1.0,
        # People go straight in unless a test is about the waiting room (tests/server/moderation).
        waiting_room="off",
    )


@pytest.fixture
async def server(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock
) -> TestServer:
    return await aiohttp_server(create_app(settings, clock=clock))


@pytest.fixture
async def http(server: TestServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as session:
        yield session


@pytest.fixture
def api(http: aiohttp.ClientSession, server: TestServer) -> Api:
    return Api(http, server)


@pytest.fixture
async def peers(server: TestServer) -> AsyncIterator[Callable[[], Peer]]:
    made: list[Peer] = []

    def make() -> Peer:
        peer = Peer(str(server.make_url("/")))
        made.append(peer)
        return peer

    yield make
    for peer in made:
        await peer.close()
