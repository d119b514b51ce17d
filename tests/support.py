"""Helpers shared by the server and media tests: a hand-moved clock, a recording socket.io
client with a barrier for "nothing arrives" checks, one ``eventually`` for waiting on a
condition, a small REST client, and a PostgreSQL server of a test's own."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from clients.postgres import PostgresServer, PostgresUnavailable

ADMIN_KEY = "admin-key-for-tests-0123456789"
WAIT = 5.0


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Peer:
    """A real python-socketio client that records every event it receives."""

    def __init__(self, url: str, transports: tuple[str, ...] = ("websocket",)) -> None:
        self.url = url
        self.transports = list(transports)
        self.sio = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        self.inbox: dict[str, asyncio.Queue[Any]] = defaultdict(asyncio.Queue)
        self.connect_error: Any = None
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._on_connect_error)
        self.disconnected = asyncio.Event()
        self.sio.on("disconnect", self._on_disconnect)
        self.participant: dict[str, Any] = {}
        self.resume: str | None = None

    async def _record(self, event: str, data: Any = None) -> None:
        self.inbox[event].put_nowait(data)

    async def _on_connect_error(self, data: Any = None) -> None:
        # the wire carries {"message": <sentence>, "data": {"code", "message"}}
        assert isinstance(data, dict) and data["message"], data
        self.connect_error = data["data"]

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.disconnected.set()

    async def connect(self, token: str | None) -> None:
        auth = {} if token is None else {"token": token}
        await self.sio.connect(self.url, auth=auth, transports=self.transports, wait_timeout=WAIT)

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        ack: dict[str, Any] = await self.sio.call(event, data, timeout=WAIT)
        return ack

    async def join(self, name: str = "Someone", **extra: Any) -> dict[str, Any]:
        ack = await self.call("join", {"name": name, **extra})
        assert ack["ok"], ack
        self.participant = ack["participant"]
        self.resume = ack["resume"]
        return ack

    async def next(self, event: str, timeout: float = WAIT) -> Any:
        return await asyncio.wait_for(self.inbox[event].get(), timeout)

    async def barrier(self) -> None:
        """A round trip to the server. The server answers one connection's events in order and
        sends everything an event causes before its acknowledgement, so once this answer is back,
        everything the server sent this client before handling it has been received."""
        ack = await self.call("barrier", {})  # no such event: answered unknown_event, in order
        assert ack["error"]["code"] == "unknown_event", ack

    async def nothing(self, event: str) -> None:
        """Assert that no ``event`` has arrived, after a barrier: call it once the action that
        must not cause ``event`` has been acknowledged."""
        await self.barrier()
        if not self.inbox[event].empty():
            raise AssertionError(f"unexpected {event}: {self.inbox[event].get_nowait()!r}")

    @property
    def id(self) -> str:
        return str(self.participant["id"])

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def eventually(predicate: Callable[[], Awaitable[bool] | bool], timeout: float = WAIT,
                     every: float = 0.02, what: str = "the condition") -> None:
    """Wait until ``predicate()`` is true (it may be a coroutine function); fail after
    ``timeout`` seconds saying ``what`` was awaited."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(every)


class Api:
    def __init__(self, http: aiohttp.ClientSession, server: TestServer) -> None:
        self.http = http
        self.server = server

    async def create_session(self, **body: Any) -> dict[str, Any]:
        body.setdefault("title", "Weekly check-in")
        async with self.http.post(
            "/api/sessions", json=body, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        ) as resp:
            assert resp.status == 201, await resp.text()
            data: dict[str, Any] = await resp.json()
            return data

    @staticmethod
    def token(url: str) -> str:
        return url.split("#token=", 1)[1]


def no_postgres(reason: str) -> NoReturn:
    """Skip a test that needs PostgreSQL where it cannot run; in CI (``CI`` set), fail it."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the PostgreSQL tests, but: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


def postgres_instance() -> PostgresServer:
    """A new PostgreSQL server (initdb, start) of a test's own; skipped or failed if none can
    be run here."""
    try:
        server = PostgresServer()
    except PostgresUnavailable as exc:
        no_postgres(str(exc))
    try:
        return server.__enter__()
    except PostgresUnavailable as exc:
        no_postgres(str(exc))
