"""The liveness of ``server/cluster.py`` on a real ``redis-server``, with nodes as processes
hold them (a cluster and its store each): a node keeps renewing its key while it reaps a node
that is gone, however long that takes; a node that others took for gone lists its sessions
again; and the sessions a node lists are only those it still holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms.session import Session
from server import cluster as cluster_mod
from server.cluster import Cluster
from server.store.redis import RedisStore
from tests.support import eventually


@asynccontextmanager
async def node(url: str, name: str) -> AsyncIterator[Cluster]:
    """A node of the cluster, started, with its own store and clients."""
    store = RedisStore(Redis.from_url(url), name)
    cluster = Cluster(Redis.from_url(url), store, node=name)
    await cluster.start()
    try:
        yield cluster
    finally:
        await cluster.close()
        await store.close()
        await store.redis.aclose()


@pytest.fixture
async def raw(redis: RedisProcess) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis.url)
    yield client
    await client.aclose()


async def listed(raw: Redis, name: str) -> set[str]:
    """The sessions node ``name`` lists in Redis (where whoever reaps it looks)."""
    return {m.decode() for m in await raw.smembers(f"tandem:nodesessions:{name}")}


async def held_here(cluster: Cluster, *ids: str) -> None:
    """Sessions that this node holds and has people in."""
    for sid in ids:
        await cluster.store.add(Session.create(session_id=sid, title="Held", max_participants=10,
                                               now=100.0))
        await cluster.note_session(sid)


async def test_a_node_keeps_its_key_while_a_reap_takes_longer_than_the_key_lives(
        redis: RedisProcess, raw: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    # Scaled down five times: a beat every 0.2 s, keys living 1 s.
    monkeypatch.setattr(cluster_mod, "ALIVE_FOR", 1.0)
    monkeypatch.setattr(cluster_mod, "HEARTBEAT", 0.2)
    await raw.sadd("tandem:nodes", "gone")
    await raw.sadd("tandem:nodesessions:gone", "s1")
    loop = asyncio.get_running_loop()
    release = asyncio.Event()
    lost: list[tuple[str, str]] = []  # (the node that reaped, the node reaped)
    passes: dict[str, list[float]] = {"x": [], "y": []}  # when each whole reap pass began

    def watch(cluster: Cluster) -> None:
        async def node_lost(gone: str, sessions: list[str]) -> None:
            lost.append((cluster.node, gone))
            if gone == "gone":  # the people of a node that is gone, disconnected one by one
                await release.wait()

        reap = cluster._reap

        async def counted() -> None:
            began = loop.time()
            await reap()
            passes[cluster.node].append(began)

        cluster.on_node_lost = node_lost
        monkeypatch.setattr(cluster, "_reap", counted)

    try:
        async with node(redis.url, "x") as x, node(redis.url, "y") as y:
            watch(x)
            watch(y)
            await eventually(lambda: bool(lost), 10, what="a reap of the node that is gone")
            reaper = lost[0][0]
            other = "y" if reaper == "x" else "x"
            blocked_at = loop.time()
            # Barrier: the other node has made a whole reap pass that began after the reaper's
            # key would have run out twice over, had the reap held up its heartbeat.
            await eventually(lambda: any(t > blocked_at + 2 * cluster_mod.ALIVE_FOR
                                         for t in passes[other]),
                             10, what=f"a reap pass of node {other}")
            assert await raw.exists(f"tandem:alive:{reaper}")
            assert lost == [(reaper, "gone")]
            release.set()

            async def reaped() -> bool:
                return not await raw.sismember("tandem:nodes", "gone")

            await eventually(reaped, 10, what="the node that is gone leaving the cluster")
            assert await raw.smembers("tandem:nodes") == {b"x", b"y"}
    finally:
        release.set()


@pytest.mark.parametrize("taken", ["membership and sessions", "sessions only"])
async def test_a_node_others_took_for_gone_lists_its_sessions_again(
        redis: RedisProcess, raw: Redis, monkeypatch: pytest.MonkeyPatch, taken: str) -> None:
    monkeypatch.setattr(cluster_mod, "HEARTBEAT", 0.05)
    async with node(redis.url, "x") as x:
        await held_here(x, "s1", "s2")
        assert await listed(raw, "x") == {"s1", "s2"}
        # What a node does to one it reaps (here while x was only slow to renew its key).
        pipe = raw.pipeline(transaction=True)
        pipe.delete("tandem:nodesessions:x")
        if taken == "membership and sessions":
            pipe.srem("tandem:nodes", "x")
        await pipe.execute()

        async def listed_again() -> bool:
            return await listed(raw, "x") == {"s1", "s2"}

        await eventually(listed_again, 10, what="node x listing its sessions again")
        assert await raw.sismember("tandem:nodes", "x")


async def test_a_node_lists_only_the_sessions_it_still_holds(
        redis: RedisProcess, raw: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_mod, "HEARTBEAT", 0.05)
    ids = [f"s{i}" for i in range(20)]
    async with node(redis.url, "x") as x:
        await held_here(x, *ids)
        assert await listed(raw, "x") == set(ids)
        # Nobody of these sessions is here any more: the sweep (server.replicas) lets them go.
        for sid in ids[:15]:
            await x.store.forget(sid)

        async def bounded() -> bool:
            return await listed(raw, "x") == set(ids[15:])

        await eventually(bounded, 10, what="node x listing only the sessions it holds")
        # Someone of one of them connects here again: it is listed again.
        await x.store.read(ids[0], lambda s: None)
        await x.note_session(ids[0])
        assert await listed(raw, "x") == {ids[0], *ids[15:]}
