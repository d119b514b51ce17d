"""Reaping on a real ``redis-server`` (``server/cluster.py``, ``reap_node`` in
``server/sessions/lifecycle.py``), with two Tandem apps in this test's process so that a test can
hold one back: a process that the others took for gone while it was only stalled closes its
connections before it sends them anything more, and a reap that failed for someone is tried
again until it is done. Heartbeats are scaled down (keys living 1 s)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from clients.server import RedisProcess
from server import cluster as cluster_mod
from server.store import redis as store_mod
from server.store.redis import StoreUnavailable
from tests.server.cluster.apps import Node, member, new_session, ok
from tests.server.cluster.test_liveness import held_here, listed, node
from tests.support import Api, Peer, eventually

CONFIDENTIAL = "CONFIDENTIAL: said in the room after Ben was moved out"


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys living 1 s, renewed every 0.1 s; a failed reap tried again after 0.2 s."""
    monkeypatch.setattr(cluster_mod, "ALIVE_FOR", 1.0)
    monkeypatch.setattr(cluster_mod, "HEARTBEAT", 0.1)
    monkeypatch.setattr(cluster_mod, "REAP_AGAIN", 0.2, raising=False)
    monkeypatch.setattr(store_mod, "LEASE_WAIT", 0.3)  # a busy session is given up sooner


@pytest.fixture
async def nodes(quick: None, nodes: tuple[Node, Node]) -> tuple[Node, Node]:
    """The folder's two apps, with ``quick`` heartbeats from their start."""
    return nodes


@pytest.fixture
async def raw(redis: RedisProcess) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis.url)
    yield client
    await client.aclose()


async def left(peer: Peer, participant_id: str, timeout: float = 10) -> None:
    """Waits for ``peer`` to be told that ``participant_id`` left."""
    while True:
        notice = await peer.next("participant_left", timeout)
        if notice["participant_id"] == participant_id:
            return


class Stall:
    """Holds one process back as a long pause (or a cut to Redis) would: its heartbeat and what
    arrives on its channels wait, in order, until released; its sockets stay open meanwhile.
    With ``failing``, its heartbeats fail (Redis out of reach) instead of waiting."""

    def __init__(self, node: Node, *, failing: bool = False) -> None:
        cluster = node.cluster
        self.gate = asyncio.Event()
        self.gate.set()
        beat, handle = cluster._beat, cluster._handle

        async def held_beat() -> None:
            if not self.gate.is_set():
                if failing:
                    raise RedisConnectionError("cut off (test)")
                await self.gate.wait()
            await beat()

        async def held_handle(channel: str, kind: str, message: list[Any]) -> None:
            await self.gate.wait()
            await handle(channel, kind, message)

        cluster._beat = held_beat  # type: ignore[method-assign]
        cluster._handle = held_handle  # type: ignore[method-assign]

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()


def drained(peer: Peer, event: str) -> list[Any]:
    """The ``event``s ``peer`` has received so far (taken out of its inbox)."""
    got = []
    while not peer.inbox[event].empty():
        got.append(peer.inbox[event].get_nowait())
    return got


def said(peer: Peer) -> list[str]:
    return [m["message"]["text"] for m in drained(peer, "chat")]


@pytest.mark.parametrize("stall", ["paused", "heartbeat failing", "caught up by a command"])
async def test_a_process_taken_for_gone_closes_its_connections_before_sending_anything_more(
        nodes: tuple[Node, Node], stall: str) -> None:
    """Ben (on process b) and Cleo are in breakout room R. Process b stalls for longer than
    its key lives; a reaps it, so Ben is recorded as gone, and the mentor then moves him out of
    R (his socket, having no connection in the session, is not moved). When b comes back, it
    must not hand Ben what R said after the move, whether it learns of it from its channels or
    from Redis when a command given on b brings its copy of the session up to date: it closes
    his connection first, and his page joins again, into the room he is really in."""
    a, b = nodes
    s = await new_session(a)
    sid = s["session_id"]
    mia = await member(a, s, "mentor", "Mia")
    cleo = await member(a, s, "mentee", "Cleo")
    ben = await member(b, s, "mentee", "Ben")
    dan = await member(b, s, "mentee", "Dan")  # stays in the main room
    room = (await ok(mia, "breakout_create", {"names": ["Pair A"]}))["breakouts"]["rooms"][0]["id"]
    for p in (ben, cleo):
        await ok(mia, "breakout_assign", {"participant_id": p.id, "room": room})
    await ok(mia, "breakout_open", {"duration_seconds": 600})
    for p in (ben, cleo):
        assert (await p.next("room_changed"))["room"]["id"] == room
    await ok(cleo, "chat", {"text": "said while Ben is here"})
    assert (await ben.next("chat"))["message"]["text"] == "said while Ben is here"

    held = Stall(b, failing=stall == "heartbeat failing")
    held.hold()
    await left(mia, ben.id)  # process a reaped b: Ben is recorded as gone
    await ok(mia, "breakout_assign", {"participant_id": ben.id, "room": None})
    await ok(cleo, "chat", {"text": CONFIDENTIAL})
    await ok(cleo, "hand", {"raised": True})  # delivered by each process (not from a history)
    attempt = None
    if stall == "caught up by a command":
        # Dan's command on b brings b's copy of the session up to date from Redis (his own
        # command is refused: he was reaped too), while b's channels are still held.
        attempt = asyncio.ensure_future(dan.call("chat", {"text": "from Dan"}))

        async def caught_up() -> bool:
            return await b.ctx.store.read(sid, lambda s: not s.participants[ben.id].connected)

        await eventually(caught_up, 5, what="process b catching up on the session")
    held.release()
    if attempt is not None:
        with contextlib.suppress(Exception):  # refused, or cut short by the close
            await attempt

    # Barrier: what b sent Ben before closing his connection arrived before the close.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ben.disconnected.wait(), 8)
    heard = said(ben) + [f"hand {h}" for h in drained(ben, "hand")]
    assert CONFIDENTIAL not in heard and not any(h.startswith("hand") for h in heard), (
        f"process {b.cluster.node}, taken for gone while stalled, handed Ben what happened in "
        f"room {room!r} after he was moved out: {heard}")
    assert ben.disconnected.is_set(), "process b kept Ben's connection open after it was reaped"

    # His page joins again through b once b takes people again: into the main room.
    back = b.peer()

    async def joined_again() -> bool:
        if back.sio.connected:
            return True
        try:
            await back.connect(Api.token(s["join_urls"]["mentee"]))
        except Exception:  # refused while b's reap is under way
            return False
        return True

    await eventually(joined_again, 8, what="Ben connecting to process b again")
    ack = await back.join("Ben", resume=ben.resume)
    assert ack["participant"]["id"] == ben.id
    assert ack["room"]["id"] != room


async def test_a_reap_that_failed_for_someone_is_tried_again_until_they_are_gone(
        nodes: tuple[Node, Node], raw: Redis) -> None:
    """Process b stops with Ben connected through it. When a reaps b, Ben's session is busy
    (another process holds its lease): his disconnection fails. b's list of sessions must stay,
    so that the next reap, once the session is free, records him gone; he must not be
    forgotten (shown connected for ever, the session in use for ever)."""
    a, b = nodes
    s = await new_session(a)
    sid = s["session_id"]
    mia = await member(a, s, "mentor", "Mia")
    ben = await member(b, s, "mentee", "Ben")
    dead = b.cluster.node
    reaps: list[str] = []  # how each reap of b by a ended
    passes: list[int] = []  # for each whole reap pass of a, how many reaps of b ended before it
    node_lost, reap = a.cluster.on_node_lost, a.cluster._reap
    assert node_lost is not None

    async def counted(node: str, sessions: list[str]) -> None:
        try:
            await node_lost(node, sessions)
        except Exception as exc:
            reaps.append(type(exc).__name__)
            raise
        reaps.append("done")

    async def counted_pass() -> None:
        before = len(reaps)
        await reap()
        passes.append(before)

    a.cluster.on_node_lost = counted
    a.cluster._reap = counted_pass  # type: ignore[method-assign]
    # The session is busy: another process holds its lease (and does not give it back).
    lease = f"tandem:s:{sid}:lease"
    await raw.set(lease, "elsewhere", px=60_000)
    stalled = Stall(b)
    stalled.hold()  # b stops: its key runs out
    try:
        # Barrier: a whole reap pass of a, begun after a reap of b had ended.
        await eventually(lambda: any(passes), 10, what="a reap of process b")
        assert await _connected(a, sid, ben.id)
        assert await raw.sismember("tandem:nodes", dead), (
            f"process {dead} left the cluster though Ben's disconnection failed ({reaps})")
        assert sid.encode() in await raw.smembers(f"tandem:nodesessions:{dead}"), (
            f"the session where Ben's disconnection failed was taken off {dead}'s list")

        await raw.delete(lease)  # the cause passes
        await left(mia, ben.id)

        async def reaped() -> bool:
            return not await raw.sismember("tandem:nodes", dead)

        await eventually(reaped, 10, what=f"process {dead} leaving the cluster")
        assert not await _connected(a, sid, ben.id)
        assert not await raw.exists(f"tandem:nodesessions:{dead}")
        assert reaps[0] != "done" and reaps[-1] == "done", reaps
    finally:
        stalled.release()  # b comes back, finds itself reaped and closes Ben's connection


async def test_a_reap_that_keeps_failing_is_over_after_its_tries(
        nodes: tuple[Node, Node], raw: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ben's session stays busy for good: after ``REAP_TRIES`` tries the reap of b is over all
    the same (b, were it alive, would otherwise refuse people for ever)."""
    monkeypatch.setattr(cluster_mod, "REAP_TRIES", 2)
    a, b = nodes
    s = await new_session(a)
    sid = s["session_id"]
    await member(a, s, "mentor", "Mia")
    ben = await member(b, s, "mentee", "Ben")
    dead = b.cluster.node
    await raw.set(f"tandem:s:{sid}:lease", "elsewhere", px=60_000)
    stalled = Stall(b)
    stalled.hold()
    try:
        async def reaped() -> bool:
            return not await raw.sismember("tandem:nodes", dead)

        await eventually(reaped, 10, what=f"process {dead} leaving the cluster")
        assert not await raw.exists(f"tandem:nodesessions:{dead}")
        assert dead not in a.cluster._reap_tries
        # (Ben, whose disconnection never went through, is still shown connected)
        assert await _connected(a, sid, ben.id)
    finally:
        stalled.release()


async def _connected(node: Node, session_id: str, participant_id: str) -> bool:
    return bool(await node.ctx.store.read_latest(
        session_id, lambda s: s.participants[participant_id].connected))


@pytest.mark.parametrize("reap", ["under way elsewhere", "left by a reaper that died", "none"])
async def test_a_node_taken_for_gone_takes_nobody_until_its_reap_is_over(
        quick: None, redis: RedisProcess, raw: Redis, reap: str) -> None:
    """Node x stalls until its key runs out; meanwhile node y takes its reap (or takes it and
    dies, or nobody reaps it). Taken for gone, x closes its connections and takes nobody until
    its reap is over (finishing it itself if nobody else does), then lists its sessions again.
    Not taken for gone, it closes nothing."""
    async with node(redis.url, "x") as x:
        lost: list[tuple[str, list[str]]] = []

        async def node_lost(gone: str, sessions: list[str]) -> None:
            lost.append((gone, sessions))

        x.on_node_lost = node_lost
        await held_here(x, "s1")
        beat = x._beat
        gate = asyncio.Event()

        async def stalled() -> None:
            await gate.wait()
            await beat()

        x._beat = stalled  # type: ignore[method-assign]

        async def key_gone() -> bool:
            return not await raw.exists("tandem:alive:x")

        await eventually(key_gone, 5, what="the key of x running out")
        if reap != "none":  # what y's claim does
            if reap == "under way elsewhere":
                await raw.set("tandem:reap:x", "y", px=60_000)
            await raw.set("tandem:reaped:x", "y")
        gate.set()

        async def renewed() -> bool:
            return bool(await raw.exists("tandem:alive:x"))

        if reap == "none":
            await eventually(renewed, 5, what="x renewing its key")  # barrier: a beat answered
            assert lost == []
            return
        await eventually(lambda: bool(lost), 5, what="x closing its connections")
        assert lost[0] == ("x", [])  # this node's own connections closed, nothing recorded
        with pytest.raises(StoreUnavailable):
            await x.note_session("s2")
        if reap == "under way elsewhere":
            assert not await raw.exists("tandem:alive:x")
            # y ends its reap (``FINISH`` with nobody left)
            await raw.delete("tandem:nodesessions:x", "tandem:reaped:x", "tandem:reap:x")
            await raw.srem("tandem:nodes", "x")
        await eventually(renewed, 8, what="x taking people again")
        if reap == "left by a reaper that died":
            assert lost[1:] == [("x", ["s1"])]  # x finished its reap itself
        assert await raw.sismember("tandem:nodes", "x")
        assert await listed(raw, "x") == {"s1"}
        await x.note_session("s2")
        assert await listed(raw, "x") == {"s1", "s2"}
