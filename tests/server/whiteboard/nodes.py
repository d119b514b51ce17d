"""Two Tandem apps in a test's event loop sharing a real ``redis-server``, as two processes of
``tandem serve --redis``: node b's channel connection can be cut and kept down (``Outage``) while
its commands to Redis go on working, as when only that connection drops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms.whiteboard import BoardKey
from server.app import CONTEXT, create_app
from server.context import Context
from server.settings import Settings
from server.whiteboard.boards import Board
from server.whiteboard.events import WhiteboardEvents
from server.whiteboard.install import WHITEBOARD
from server.whiteboard.redis_store import RedisBoardStore, fold
from tests.server.cluster.conftest import need_redis
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import ADMIN_KEY, Api, Peer, eventually

PREFIX = "tandem:"
CHANNELS = "node-b-channels"  # the client name of b's channel connection


class Outage:
    """Cuts b's channel connection and keeps it from coming back until ``end``: b's cluster
    reconnects by itself (``Cluster._reconnect``), but its new subscription waits here."""

    def __init__(self, subscriber: Redis, admin: Redis) -> None:
        self.admin = admin
        self.up = asyncio.Event()
        self.up.set()
        self.waiting = asyncio.Event()
        open_pubsub = subscriber.pubsub

        def pubsub(**kwargs: Any) -> Any:
            channels = open_pubsub(**kwargs)
            subscribe = channels.subscribe

            async def held(*args: Any, **kw: Any) -> Any:
                if not self.up.is_set():
                    self.waiting.set()
                    await self.up.wait()
                return await subscribe(*args, **kw)

            channels.subscribe = held
            return channels

        subscriber.pubsub = pubsub  # type: ignore[method-assign]

    async def begin(self) -> None:
        self.up.clear()
        clients = [c for c in await self.admin.client_list() if c.get("name") == CHANNELS]
        assert clients, "b's channel connection is not there"
        for client in clients:
            await self.admin.client_kill_filter(_id=client["id"])
        # b noticed: it is setting up its channels again (and waits here)
        await asyncio.wait_for(self.waiting.wait(), 10)

    def end(self) -> None:
        self.up.set()


@dataclass
class Node:
    server: TestServer
    ctx: Context
    api: Api

    @property
    def events(self) -> WhiteboardEvents:
        return self.server.app[WHITEBOARD]

    @property
    def store(self) -> RedisBoardStore:
        store = self.events.boards.store
        assert isinstance(store, RedisBoardStore)
        return store

    def board(self, session_id: str, room: str = "main") -> Board | None:
        return self.events.boards.loaded.get(BoardKey(session_id, room))

    async def person(self, url: str, name: str) -> Peer:
        peer = Peer(str(self.server.make_url("/")))
        await peer.connect(Api.token(url))
        await peer.join(name)
        return peer


@dataclass
class Nodes:
    a: Node
    b: Node
    outage: Outage
    back: asyncio.Event  # set once b's channel is back and every after_reconnect hook ran
    redis: Redis

    async def channel_back(self) -> None:
        self.back.clear()
        self.outage.end()
        await asyncio.wait_for(self.back.wait(), 10)

    async def stored(self, session_id: str, room: str = "main") -> dict[str, Any]:
        """What Redis holds for a board, folded (snapshot and log)."""
        board = f"{PREFIX}wb:{session_id}/{room}"
        snap = await self.redis.hget(board, "snap")
        log = await self.redis.lrange(board + "/log", 0, -1)
        state, _ = fold([snap or b""], list(log))
        return items(state)


def items(update: bytes) -> dict[str, Any]:
    r = Replica()
    r.receive(update)
    return r.view()


@asynccontextmanager
async def two_nodes(tmp_path: Path, aiohttp_server: Callable[..., Awaitable[TestServer]]
                    ) -> AsyncIterator[Nodes]:
    """Nodes a and b, b's channel connection ready to be cut (``Nodes.outage``)."""
    need_redis()
    with RedisProcess(tmp_path / "redis") as redis:
        admin = Redis.from_url(redis.url)
        made: list[Node] = []
        outage: Outage | None = None
        back = asyncio.Event()
        try:
            for name in ("a", "b"):
                settings = Settings(data_dir=tmp_path / name, secret=b"s" * 32,
                                    admin_key=ADMIN_KEY, redis_url=redis.url, waiting_room="off",
                                    ping_interval=1.0, ping_timeout=1.0,
                                    board_compact_bytes=1024)
                app = create_app(settings)
                ctx = app[CONTEXT]
                cluster = ctx.cluster
                assert cluster is not None
                if name == "b":
                    # its channel connection, named so that the test can cut it alone
                    await cluster.subscriber.aclose()
                    cluster.subscriber = Redis.from_url(redis.url, client_name=CHANNELS)
                    outage = Outage(cluster.subscriber, admin)

                    async def caught_up() -> None:  # after every hook the app registered
                        back.set()

                    cluster.after_reconnect.append(caught_up)
                server = await aiohttp_server(app)
                http = aiohttp.ClientSession(base_url=str(server.make_url("/")))
                made.append(Node(server, ctx, Api(http, server)))
            assert outage is not None
            yield Nodes(made[0], made[1], outage, back, admin)
        finally:
            if outage is not None:
                outage.end()
            for node in made:
                await node.api.http.close()
                await node.server.close()
            await admin.aclose()


async def pair_in_session(nodes: Nodes, title: str) -> tuple[str, Peer, Replica, dict[str, Any]]:
    """A session, Ana drawing on node a, her board loaded on b too (Ben synced it there)."""
    s = await nodes.a.api.create_session(title=title, max_participants=8)
    urls = s["join_urls"]
    ana = await nodes.a.person(urls["mentor"], "Ana")
    ben = await nodes.b.person(urls["mentee"], "Ben")
    ra = Replica()
    await synced(ana, ra)
    await synced(ben, Replica())
    ra.stroke([float(i) for i in range(40)], author="ana")
    assert all(ack["ok"] for ack in await send(ana, ra))
    session_id = s["session_id"]

    def b_has_it() -> bool:
        board = nodes.b.board(session_id)
        return board is not None and board.to_json() == ra.view()

    await eventually(b_has_it, what="b's board holding Ana's stroke")
    await ben.close()
    return session_id, ana, ra, urls


async def delete_boards(node: Node, session_id: str) -> None:
    async with node.api.http.delete(f"/api/sessions/{session_id}/boards",
                                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["deleted"] is True


async def fresh_sync(node: Node, url: str, name: str) -> dict[str, Any]:
    """The board as a page that joins through ``node`` now gets it."""
    peer = await node.person(url, name)
    try:
        r = Replica()
        await synced(peer, r)
        return r.view()
    finally:
        await peer.close()


def big_stroke(r: Replica, author: str) -> str:
    """A stroke past the board's compaction size (1 KiB here): keeping it compacts the board."""
    return r.stroke([float(i) / 3 for i in range(300)], author=author)
