"""A real receiver on 127.0.0.1 (an aiohttp server), a Tandem server on the real clock that may
post there (``allow_private``), and the receiver's check of the signature exactly as
docs/PROGRAMMES.md tells receivers to do it."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.settings import Settings, WebhookSettings
from tests.support import ADMIN_KEY, Api

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
TINY_BACKOFF = (0.05, 0.2)



@dataclass
class Received:
    path: str
    at: float  # loop time
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """Records every request; answers each with the next of ``answers`` (then 200). While
    ``hang`` is set to an unset event, requests wait on it (``entered`` says one arrived)."""

    url: str = ""
    got: list[Received] = field(default_factory=list)
    answers: deque[int] = field(default_factory=deque)
    hang: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append(Received(request.path, asyncio.get_running_loop().time(),
                                 dict(request.headers), body))
        if self.hang is not None:
            self.entered.set()
            await self.hang.wait()
        status = self.answers.popleft() if self.answers else 200
        return web.Response(status=status, text="thanks")

    def of(self, type: str, path: str = "/hook") -> list[Received]:
        return [r for r in self.got if r.path == path and r.json["type"] == type]


@pytest.fixture
async def receiver(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> Receiver:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/{path:.*}", got.handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    got.url = str(server.make_url("")).rstrip("/")
    return got


@pytest.fixture
def hook_settings() -> WebhookSettings:
    return WebhookSettings(allow_private=True, backoff=TINY_BACKOFF, timeout=2.0, rescan=3600)


@pytest.fixture
def settings(tmp_path: Path, hook_settings: WebhookSettings) -> Settings:
    return Settings(data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY,
                    ping_interval=1.0, ping_timeout=1.0, waiting_room="off",
                    webhooks=hook_settings)


@pytest.fixture
async def server(aiohttp_server: Callable[..., Awaitable[TestServer]],
                 settings: Settings) -> TestServer:
    # The real clock: retries wait real (tiny) backoffs.
    return await aiohttp_server(create_app(settings, clock=time.time))


class Admin:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def call(self, method: str, path: str, body: Any = None,
                   status: int = 200) -> dict[str, Any]:
        async with self.http.request(method, path, json=body, headers=AUTH) as resp:
            data: dict[str, Any] = await resp.json()
            assert resp.status == status, data
            return data

    async def register(self, url: str, events: list[str], status: int = 201) -> dict[str, Any]:
        return await self.call("POST", "/api/webhooks", {"url": url, "events": events}, status)

    async def log(self, hook_id: str) -> list[dict[str, Any]]:
        data = await self.call("GET", f"/api/webhooks/{hook_id}/deliveries")
        deliveries: list[dict[str, Any]] = data["deliveries"]
        return deliveries


@pytest.fixture
def admin(http: aiohttp.ClientSession) -> Admin:
    return Admin(http)


@pytest.fixture
async def session(api: Api) -> AsyncIterator[dict[str, Any]]:
    yield await api.create_session(participants=[
        {"name": "Ana", "role": "mentor", "id": "ana-1"}])
