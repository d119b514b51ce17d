"""Whiteboards shared by two real Tandem processes and a real ``redis-server``: people of one
room connected to different processes draw on one board, every process's board ends the same,
nobody gets an update twice, compaction in both processes at once loses nothing, and deleting a
session's boards deletes them from Redis and from both processes' memory.

Compaction is made frequent (``TANDEM_BOARD_COMPACT_BYTES``) so that every test here runs
through compactions racing with appends of the other process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from pycrdt import Doc, Map
from redis.asyncio import Redis

from clients.admin import join_token
from clients.server import ServerProcess
from server.whiteboard.redis_store import fold
from tests.server.cluster.conftest import Pair
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import Peer, eventually

COMPACT_BYTES = 1024
PREFIX = "tandem:"


@pytest.fixture
def cluster_env() -> dict[str, str]:
    return {"TANDEM_BOARD_COMPACT_BYTES": str(COMPACT_BYTES)}


@pytest.fixture
async def redis_client(pair: Pair) -> AsyncIterator[Redis]:
    client = Redis.from_url(pair.redis.url)
    yield client
    await client.aclose()


async def person(server: ServerProcess, token: str, name: str) -> Peer:
    peer = Peer(server.url)
    await peer.connect(token)
    await peer.join(name)
    return peer


async def session(pair: Pair, title: str) -> tuple[str, str, str]:
    async with pair.a.admin_async() as api:
        s = await api.create_session(title=title, max_participants=8)
    urls = s["join_urls"]
    return s["session_id"], join_token(urls["mentor"]), join_token(urls["mentee"])


def items(update: bytes) -> dict[str, Any]:
    doc: Doc[Any] = Doc()
    doc.apply_update(update)
    return dict(doc.get("items", type=Map).to_py() or {})


async def board_of(peer: Peer) -> dict[str, Any]:
    """The board as the peer's process answers a sync from nothing."""
    ack = await peer.call("board_sync", {"room": "main", "state": b""})
    assert ack["ok"], ack
    return items(ack["update"])


def relays(peer: Peer) -> list[dict[str, Any]]:
    out = []
    while not peer.inbox["board_update"].empty():
        out.append(peer.inbox["board_update"].get_nowait())
    return out


async def stored(client: Redis, session_id: str, room: str = "main") -> dict[str, Any]:
    """What Redis holds for a board, folded (the snapshot and the log)."""
    snap = await client.hget(f"{PREFIX}wb:{session_id}/{room}", "snap")
    log = await client.lrange(f"{PREFIX}wb:{session_id}/{room}/log", 0, -1)
    state, covered = fold([snap or b""], list(log))
    assert covered == len(log)
    return items(state)


async def test_people_on_two_processes_draw_on_one_board_and_nobody_gets_an_update_twice(
    pair: Pair
) -> None:
    _, mentor, mentee = await session(pair, "Drawing")
    ana, cleo = await person(pair.a, mentor, "Ana"), await person(pair.a, mentee, "Cleo")
    ben, dan = await person(pair.b, mentee, "Ben"), await person(pair.b, mentee, "Dan")
    peers = {"ana": ana, "cleo": cleo, "ben": ben, "dan": dan}
    replicas = {name: Replica() for name in peers}
    for name, peer in peers.items():
        await synced(peer, replicas[name])

    # A chain across the processes: Ana's stroke (on a), extended by Ben (on b), extended again
    # by Ana. Each builds on the one before, so a process applies the next one only once it
    # has the one before: what it relays of the next one comes after anything it relayed of
    # the one before.
    stroke = replicas["ana"].stroke([1, 1])
    assert all(a["ok"] for a in await send(ana, replicas["ana"]))
    first = await ben.next("board_update")
    assert first["from"] == [ana.id]
    replicas["ben"].receive(first["update"])
    assert replicas["ben"].extend(stroke, [2, 2])
    assert all(a["ok"] for a in await send(ben, replicas["ben"]))
    second = await ana.next("board_update")
    assert second["from"] == [ben.id]
    replicas["ana"].receive(second["update"])
    assert replicas["ana"].extend(stroke, [3, 3])
    assert all(a["ok"] for a in await send(ana, replicas["ana"]))

    # Dan, on b, has Ben's extension (relayed by b) after anything b relayed of Ana's stroke;
    # Cleo, on a, has Ana's second extension after anything a relayed of Ben's.
    async def until(peer: Peer, sender: Peer, count: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while sum(sender.id in m["from"] for m in got) < count:
            got.append(await peer.next("board_update"))
        return got

    dan_got = await until(dan, ben, 1)
    assert [m["from"] for m in dan_got] == [[ana.id], [ben.id]]
    cleo_got = await until(cleo, ana, 2)
    assert [m["from"] for m in cleo_got] == [[ana.id], [ben.id], [ana.id]]
    for name, got in (("dan", dan_got), ("cleo", cleo_got)):
        for message in got:
            replicas[name].receive(message["update"])

    # Now everyone draws at once, on both processes.
    async def draw(name: str, n: int) -> None:
        r = replicas[name]
        for i in range(n):
            r.stroke([float(i), float(i)], author=name)
            for ack in await send(peers[name], r):
                assert ack["ok"], ack

    await asyncio.gather(*(draw(name, 8) for name in peers))
    everything: dict[str, Any] = {}
    for r in replicas.values():
        everything.update({k: v for k, v in r.view().items() if k != stroke})
    everything[stroke] = replicas["ana"].view()[stroke]
    assert len(everything) == 1 + 4 * 8

    # Both processes' boards end with everything, the same.
    async def same() -> bool:
        return await board_of(cleo) == await board_of(dan) == everything

    await eventually(same, what="both processes' boards holding every update")
    assert (await board_of(ana))[stroke]["points"] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    # and every page, from what was relayed to it, each update once
    for name, peer in peers.items():
        await eventually(lambda n=name, p=peer: _caught_up(replicas[n], p, everything),
                         what=f"{name}'s page holding every update")
    for name in peers:
        assert replicas[name].view() == everything
    for peer in peers.values():
        await peer.close()


async def _is(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


def _caught_up(replica: Replica, peer: Peer, everything: dict[str, Any]) -> bool:
    for message in relays(peer):
        replica.receive(message["update"])
    return replica.view() == everything


async def test_a_page_syncing_through_the_other_process_gets_every_update(
    pair: Pair
) -> None:
    _, mentor, mentee = await session(pair, "Later")
    ana = await person(pair.a, mentor, "Ana")
    drawn = Replica()
    await synced(ana, drawn)
    for i in range(40):
        drawn.stroke([float(i), 0.5])
    acks = await send(ana, drawn)
    assert len(acks) == 40 and all(a["ok"] for a in acks)
    # b never had the board (nor the session): it reads Redis, which holds every acknowledged
    # update, compactions included
    ben = await person(pair.b, mentee, "Ben")
    late = Replica()
    ack = await synced(ben, late)
    assert late.view() == drawn.view()
    assert items(ack["update"]) == drawn.view()
    # b has the board loaded now: what a keeps from here on reaches it on the channel
    for i in range(10):
        drawn.stroke([float(i), 9.5])
    assert all(a["ok"] for a in await send(ana, drawn))

    async def has_all() -> bool:
        return await board_of(ben) == drawn.view()

    await eventually(has_all, what="b's board holding a's later updates")
    await ana.close()
    await ben.close()


async def test_compaction_in_both_processes_under_concurrent_appends_loses_nothing(
    pair: Pair, redis_client: Redis
) -> None:
    session_id, mentor, mentee = await session(pair, "Busy")
    # three people on each process (each connection may send 60 updates in a burst)
    people = [await person(pair.a, mentor, "Ana")]
    people += [await person(pair.a, mentee, f"A{i}") for i in range(2)]
    people += [await person(pair.b, mentee, f"B{i}") for i in range(3)]
    replicas = [Replica() for _ in people]
    for peer, r in zip(people, replicas, strict=True):
        await synced(peer, r)
    sent = 0

    async def draw(peer: Peer, r: Replica, n: int) -> None:
        nonlocal sent
        for i in range(n):
            r.stroke([float(i) + k / 7 for k in range(24)])
            for ack in await send(peer, r):
                assert ack["ok"], ack
                sent += 1

    await asyncio.gather(*(draw(p, r, 40) for p, r in zip(people, replicas, strict=True)))
    assert sent == 240
    want: dict[str, Any] = {}
    for r in replicas:
        want.update(r.view())
    assert len(want) == 240
    board = f"{PREFIX}wb:{session_id}/main"
    # it was compacted many times, each time dropping only the entries it folded in
    version = int(await redis_client.hget(board, "v") or -1)
    base = int(await redis_client.hget(board, "base") or 0)
    log = await redis_client.llen(board + "/log")
    assert version >= 8, version
    assert base + log == 240, (base, log)
    assert await stored(redis_client, session_id) == want

    async def same() -> bool:
        return await board_of(people[0]) == await board_of(people[-1]) == want

    await eventually(same, what="both processes' boards holding every update")
    for peer in people:
        await peer.close()


async def test_deleting_a_sessions_boards_deletes_them_in_redis_and_both_processes(
    pair: Pair, redis_client: Redis
) -> None:
    session_id, mentor, mentee = await session(pair, "Gone")
    ana = await person(pair.a, mentor, "Ana")
    ben = await person(pair.b, mentee, "Ben")
    ra, rb = Replica(), Replica()
    await synced(ana, ra)
    await synced(ben, rb)
    for r, peer in ((ra, ana), (rb, ben)):
        for i in range(12):
            r.stroke([float(i), 1.0, 2.0, 3.0])
        assert all(a["ok"] for a in await send(peer, r))
    assert len(await stored(redis_client, session_id)) == 24
    assert await redis_client.keys(f"{PREFIX}w*{session_id}*")
    async with pair.b.admin_async() as api:
        listed = await api.call("GET", f"/api/sessions/{session_id}/boards")
        assert [b["room"] for b in listed["boards"]] == ["main"]
        deleted = await api.call("DELETE", f"/api/sessions/{session_id}/boards")
        assert deleted == {"session_id": session_id, "deleted": True}
    # nothing of its boards is left in Redis but the board's tombstone, which holds nothing
    # (the session itself is the session store's)
    left = [k.decode() for k in await redis_client.keys(f"{PREFIX}w*{session_id}*")]
    assert left == [f"{PREFIX}wb:{session_id}/main/gone"]
    assert session_id not in {s.decode() for s in await redis_client.zrange(
        f"{PREFIX}wsessions", 0, -1)}

    # both processes dropped it from memory: neither lists it (a, once told), and a sync
    # (which opens the board again, as it would with one process) finds it empty on either
    async def listed_on(server: ServerProcess) -> int:
        async with server.admin_async() as api:
            status, _ = await api.request("GET", f"/api/sessions/{session_id}/boards")
            return status

    assert await listed_on(pair.b) == 404
    await eventually(lambda: _is(listed_on(pair.a), 404), what="a dropping the deleted board")
    assert await board_of(ana) == {}
    assert await board_of(ben) == {}
    # drawing again starts a new board, with nothing of the old one
    fresh = Replica()
    fresh.stroke([5.0, 5.0])
    assert all(a["ok"] for a in await send(ana, fresh))
    assert await stored(redis_client, session_id) == fresh.view()
    await ana.close()
    await ben.close()
