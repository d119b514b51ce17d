"""Two Tandem apps in the test's own process, sharing one real ``redis-server`` (the ``nodes``
fixture of this folder's conftest): as two processes of a cluster, but a test can hold one
of them back at a chosen moment (``Held``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from clients.server import RedisProcess
from server.cluster import Cluster
from server.context import Context
from server.settings import Settings
from tests.support import ADMIN_KEY, Api, Peer


@dataclass
class Node:
    server: TestServer
    ctx: Context
    peers: list[Peer]

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    @property
    def cluster(self) -> Cluster:
        assert self.ctx.cluster is not None
        return self.ctx.cluster

    def peer(self) -> Peer:
        p = Peer(self.url)
        self.peers.append(p)
        return p


def node_settings(tmp_path: Path, name: str, redis: RedisProcess, **extra: Any) -> Settings:
    return Settings(data_dir=tmp_path / name, secret=b"r" * 32, admin_key=ADMIN_KEY,
                    ping_interval=1.0, ping_timeout=1.0, waiting_room="off",
                    redis_url=redis.url, **extra)


async def new_session(node: Node, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "Two apps")
    async with aiohttp.ClientSession(base_url=node.url) as http:
        return await Api(http, node.server).create_session(**body)


async def member(node: Node, s: dict[str, Any], role: str, name: str, **extra: Any) -> Peer:
    """Someone of the session, connected to ``node`` and joined."""
    p = node.peer()
    await p.connect(Api.token(s["join_urls"][role]))
    await p.join(name, **extra)
    return p


async def cut_channels(redis: RedisProcess) -> None:
    """Redis closes every process's channel connection (each sets its channels up again)."""
    admin = Redis.from_url(redis.url)
    try:
        await admin.client_kill_filter(_type="pubsub")
    finally:
        await admin.aclose()


async def ok(peer: Peer, event: str, data: object = None) -> dict[str, Any]:
    ack = await peer.call(event, data or {})
    assert ack["ok"], (event, ack)
    return ack


class Held:
    """Holds back one app's handling of what arrives on the sessions' channels (a process
    behind the others, as under load), until released; what arrives meanwhile waits, in order."""

    def __init__(self, node: Node) -> None:
        self.cluster = cluster = node.cluster
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = 0
        real = cluster._handle

        async def handle(channel: Any, kind: Any, message: Any) -> None:
            if cluster._session_of(channel) is not None and not self.gate.is_set():
                self.waiting += 1
                await self.gate.wait()
            await real(channel, kind, message)

        cluster._handle = handle  # type: ignore[method-assign]

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()
