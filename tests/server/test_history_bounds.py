"""The history's bounds in memory and in a real ``redis-server`` (started here): bytes per room
and in all, the number of rooms, age without holes, and what a replay reads; in Redis the same
bounds hold across processes (two histories on one Redis), by one byte count that matches
what Redis holds, a replay costs Redis little however much the room holds; and after the
channel was down a room entered here is caught up, or its connections told it cannot be."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import msgpack
import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess, redis_binary
from server import history_redis
from server.gateway import room_key
from server.history import (
    ENTRY_OVERHEAD,
    ROOM_OVERHEAD,
    Gone,
    History,
    MemoryHistory,
    Once,
    Replay,
)
from server.history_redis import RedisHistory
from server.protocol import Message
from server.redis_calls import ScriptCalls
from server.settings import HistoryBounds
from tests.support import WAIT, Clock

PREFIX = "t:"
BIG = b"x" * 10_000  # a large whiteboard update


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    if redis_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; .ci/run installs it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisProcess(Path(tmp_path_factory.mktemp("redis"))) as server:
        yield server


@pytest.fixture
async def redis(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
async def scripts(redis: Redis) -> AsyncIterator[list[ScriptCalls]]:
    made: list[ScriptCalls] = []
    yield made
    for calls in made:
        await calls.close()


def in_redis(redis: Redis, scripts: list[ScriptCalls], bounds: HistoryBounds,
             clock: Clock) -> RedisHistory:
    """A history of one process on the shared Redis."""
    calls = ScriptCalls(redis)
    scripts.append(calls)
    return RedisHistory(redis, bounds, clock, prefix=PREFIX, channel=lambda s: f"{PREFIX}c:{s}",
                        scripts=calls)


Make = Callable[[HistoryBounds, Clock], History]


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    """Histories of one kind: in this process's memory, or in the module's Redis, emptied first."""
    if request.param == "memory":
        yield MemoryHistory
        return
    server: RedisProcess = request.getfixturevalue("redis_server")
    client = Redis.from_url(server.url)
    await client.flushall()
    made: list[ScriptCalls] = []
    yield lambda bounds, clock: in_redis(client, made, bounds, clock)
    for calls in made:
        await calls.close()
    await client.aclose()


async def held(redis: Redis) -> int:
    """The bytes Redis holds for the history's rooms, counted as the history counts them:
    each room with entries, and each entry as stored."""
    total = 0
    async for key in redis.scan_iter(match=f"{PREFIX}h:*:log"):
        entries = await redis.lrange(key, 0, -1)
        if entries:
            total += ROOM_OVERHEAD + sum(len(e) + ENTRY_OVERHEAD for e in entries)
    return total


async def test_one_room_keeps_within_the_bytes_bound(make: Make) -> None:
    bounds = HistoryBounds(bytes=100_000)
    h = make(bounds, Clock())
    for n in range(50):
        last = await h.append("s", "main", "board_update", {"update": BIG, "n": n})
    gone = await h.since("s", "main", last.epoch, 0, 1 << 30)
    assert isinstance(gone, Gone) and gone.reason == "trimmed"
    recent = await h.since("s", "main", last.epoch, last.offset - 5, 1 << 30)
    assert isinstance(recent, Replay) and [e.payload["n"] for e in recent.entries] == [
        45, 46, 47, 48, 49]
    if isinstance(h, RedisHistory):
        assert await held(h.redis) <= bounds.bytes
        assert (await h.stats())["bytes"] == await held(h.redis)
    else:
        assert h.stats()["bytes"] <= bounds.bytes


async def test_past_their_number_the_least_recently_appended_rooms_go_whole(
        make: Make) -> None:
    h = make(HistoryBounds(rooms=2), Clock())
    await h.append("s", "r1", "chat", {"n": 1})
    two = await h.append("s", "r2", "chat", {"n": 1})
    one = await h.append("s", "r1", "chat", {"n": 2})  # r1 appended to since r2
    three = await h.append("s", "r3", "chat", {"n": 1})
    kept = await h.since("s", "r1", one.epoch, 0, 1 << 20)
    assert isinstance(kept, Replay) and [e.offset for e in kept.entries] == [1, 2]
    assert isinstance(await h.since("s", "r3", three.epoch, 0, 1 << 20), Replay)
    # r2 went whole: its history starts afresh, under another epoch.
    gone = await h.since("s", "r2", two.epoch, 0, 1 << 20)
    assert isinstance(gone, Gone) and gone.reason == "epoch" and gone.latest.offset == 0
    again = await h.append("s", "r2", "chat", {"n": 2})
    assert again.epoch == gone.latest.epoch != two.epoch and again.offset == 1
    stats = h.stats() if isinstance(h, MemoryHistory) else await h.stats()
    assert (stats["rooms"], stats["entries"]) == (2, 2)  # r2's new entry, and r3's


async def test_an_answer_is_cut_at_its_byte_budget_and_resumes(
        make: Make) -> None:
    h = make(HistoryBounds(), Clock())
    for n in range(5):
        last = await h.append("s", "main", "chat", {"text": "x" * 100, "n": n})
    got = await h.since("s", "main", last.epoch, 0, 250)
    assert isinstance(got, Replay) and got.more and [e.offset for e in got.entries] == [1, 2]
    rest = await h.since("s", "main", last.epoch, 2, 1 << 20)
    assert isinstance(rest, Replay) and not rest.more and [e.offset for e in rest.entries] == [
        3, 4, 5]
    assert [e.payload["n"] for e in rest.entries] == [2, 3, 4]
    # A single entry over the budget still comes (else a client could never get past it).
    one = await h.since("s", "main", last.epoch, 0, 1)
    assert isinstance(one, Replay) and [e.offset for e in one.entries] == [1] and one.more
    none = await h.since("s", "main", last.epoch, 5, 1 << 20)
    assert isinstance(none, Replay) and none.entries == () and not none.more


# -- Redis: one bound for every process ------------------------------------------------------------


async def test_the_bytes_bound_holds_across_processes_and_whole_rooms_go_oldest_first(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    bounds = HistoryBounds(bytes=60_000)
    a = in_redis(redis, scripts, bounds, Clock())
    b = in_redis(redis, scripts, bounds, Clock())
    firsts = []
    for n in range(12):  # two entries in each of six rooms, from both processes in turn
        room = f"r{n // 2}"
        position = await (a if n % 2 else b).append("s", room, "board_update",
                                                      {"update": BIG, "n": n})
        if n % 2 == 0:
            firsts.append(position)
        assert await held(redis) <= bounds.bytes, n
    assert (await a.stats())["bytes"] == await held(redis)
    # Two rooms of two 10 kB entries fit in 60 kB with their overheads, three do not: the rooms
    # least recently appended to went whole.
    for n, position in enumerate(firsts):
        got = await b.since("s", f"r{n}", position.epoch, 0, 1 << 30)
        if n < 4:
            assert isinstance(got, Gone) and got.reason == "epoch", n
        else:
            assert isinstance(got, Replay) and len(got.entries) == 2, n
    assert (await a.stats())["rooms"] == 2


async def test_a_room_whose_keys_expired_is_counted_afresh(
        redis: Redis, scripts: list[ScriptCalls], monkeypatch: pytest.MonkeyPatch) -> None:
    # Keys live 50 ms past their last append here (a quiet room's, in production, 11 minutes).
    monkeypatch.setattr(history_redis, "EXPIRE_MARGIN_MS", 0)
    h = in_redis(redis, scripts, HistoryBounds(seconds=0.05), Clock())
    first = await h.append("s", "quiet", "chat", {"update": BIG})
    log = f"{PREFIX}h:s:quiet:log"
    for _ in range(200):
        if not await redis.exists(log):
            break
        await asyncio.sleep(0.01)
    assert not await redis.exists(log)
    await h.append("s", "busy", "chat", {"n": 1})
    stats = await h.stats()
    assert (stats["rooms"], stats["bytes"]) == (1, await held(redis))
    again = await h.append("s", "quiet", "chat", {"n": 1})
    assert again.offset == 1 and again.epoch != first.epoch
    assert (await h.stats())["bytes"] == await held(redis)


async def test_a_dropped_session_gives_its_bytes_back(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    h = in_redis(redis, scripts, HistoryBounds(), Clock())
    for session in ("s", "t"):
        for room in ("main", "1:b1"):
            await h.append(session, room, "chat", {"update": BIG})
            await h.append(session, room, "chat", {"n": 2})
    assert await h.drop("s") == 4
    assert (await h.stats())["bytes"] == await held(redis) > 0
    assert await h.sessions() == ["t"]
    assert await h.drop() == 4
    assert await h.stats() == {"rooms": 0, "entries": 0, "bytes": 0}
    assert await held(redis) == 0


async def test_entries_past_their_age_go_from_the_front_only(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    """Two processes whose clocks are 5 s apart append to one room: an entry past its age
    behind one that is not is kept, so a replay never has a hole."""
    bounds = HistoryBounds(seconds=600)
    clock_a, clock_b = Clock(1000.0), Clock(1000.0)
    a = in_redis(redis, scripts, bounds, clock_a)
    b = in_redis(redis, scripts, bounds, clock_b)
    one = await b.append("s", "main", "chat", {"n": 1})  # at 1000
    clock_a.now = 995.0
    await a.append("s", "main", "chat", {"n": 2})  # at 995
    clock_b.now = 1001.0
    await b.append("s", "main", "chat", {"n": 3})  # at 1001
    clock_b.now = 995.5 + 600  # entry 2 is past its age, entry 1 before it is not
    got = await b.since("s", "main", one.epoch, 0, 1 << 20)
    assert isinstance(got, Replay) and [e.offset for e in got.entries] == [1, 2, 3]
    after_one = await b.since("s", "main", one.epoch, 1, 1 << 20)  # asked from entry 2 itself
    assert isinstance(after_one, Replay) and [e.offset for e in after_one.entries] == [2, 3]
    clock_b.now = 1000.5 + 600  # entries 1 and 2, at the front, are past their age
    for offset in (0, 1):
        gone = await b.since("s", "main", one.epoch, offset, 1 << 20)
        assert isinstance(gone, Gone) and gone.reason == "trimmed", offset
    rest = await b.since("s", "main", one.epoch, 2, 1 << 20)
    assert isinstance(rest, Replay) and [e.offset for e in rest.entries] == [3]


async def test_a_replay_reads_only_what_comes_after_its_offset(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    h = in_redis(redis, scripts, HistoryBounds(), Clock())
    for n in range(100):
        last = await h.append("s", "main", "board_update", {"update": BIG, "n": n})

    async def sent() -> int:
        return int((await redis.info("stats"))["total_net_output_bytes"])

    before = await sent()
    tail = await h.since("s", "main", last.epoch, 95, 1 << 30)
    page = await h.since("s", "main", last.epoch, 0, 25_000)
    read = await sent() - before
    assert isinstance(tail, Replay) and [e.payload["n"] for e in tail.entries] == [
        95, 96, 97, 98, 99]
    assert isinstance(page, Replay) and page.more and len(page.entries) == 2
    # Seven entries of 10 kB went out, not the room's hundred (a megabyte) twice.
    assert read < 7 * len(BIG) + 20_000, read
    # Read in chunks, the whole room still comes in order.
    every = await h.since("s", "main", last.epoch, 0, 1 << 30)
    assert isinstance(every, Replay) and not every.more
    assert [e.payload["n"] for e in every.entries] == list(range(100))


async def test_a_replay_of_a_quiet_room_costs_redis_the_same_however_much_it_holds(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    """A room's 1,000 large entries all passed their age, with no later append to trim them:
    a replay from a recent offset is ``Gone`` by the one entry it would start at, without
    reading the expired ones before it. Redis is single-threaded and shared by every
    process's leases, appends and heartbeats, and any member may ask 20 times a second."""
    clock = Clock()
    h = in_redis(redis, scripts, HistoryBounds(), clock)
    big = b"x" * 30_000
    for _ in range(1000):
        last = await h.append("s", "main", "board_update", {"update": big})
    clock.now += 700  # quiet past the age bound
    await h.since("s", "main", last.epoch, last.offset, 1)  # the script loaded, read nothing
    await redis.config_resetstat()
    await redis.config_set("slowlog-log-slower-than", 0)
    await redis.slowlog_reset()
    try:
        found = [await h.since("s", "main", last.epoch, last.offset - back, 512 * 1024)
                 for back in (1, 500)]
        spent = [e["duration"] for e in await redis.slowlog_get(20)
                 if e["command"].startswith(b"EVALSHA")]
    finally:
        await redis.config_set("slowlog-log-slower-than", 10_000)
    assert all(isinstance(f, Gone) and f.reason == "trimmed" for f in found), found
    stats = await redis.info("commandstats")
    reads = {c: stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("lindex", "lrange")}
    assert reads == {"lindex": 2, "lrange": 0}, reads  # one entry read by each replay
    # It was about 100 ms (a thousand entries read and unpacked); one entry is microseconds.
    assert len(spent) == 2 and max(spent) < 10_000, (
        f"one replay held Redis for {max(spent) / 1000:.1f} ms")
    # The room's next event takes the expired entries away at once, each counted out.
    await redis.config_resetstat()
    await h.append("s", "main", "chat", {"n": 1})
    stats = await redis.info("commandstats")
    reads = {c: stats.get(f"cmdstat_{c}", {}).get("calls", 0) for c in ("lindex", "lpop")}
    assert reads == {"lindex": 1, "lpop": 1}, reads  # 1 past the count, 999 at once
    assert (await h.stats())["entries"] == 1
    assert (await h.stats())["bytes"] == await held(redis)


async def test_after_the_channel_was_down_a_room_entered_here_gets_what_it_missed(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    """The first event of a room someone here is in, published while this process's channel
    was down, is sent to them when the channel is back (``resync``): the room was entered here
    (its position read) although nothing of it had been sent here yet."""
    here = in_redis(redis, scripts, HistoryBounds(), Clock())
    there = in_redis(redis, scripts, HistoryBounds(), Clock())
    sent: list[tuple[str, str, int]] = []
    here.encode = lambda event, payload: [b""]
    here.local_emit = lambda event, parts, room, to, skip: sent.append((event, room, 0))
    entered = await here.position("s", "1:r1")  # someone joins here, into this room
    # Said in that room through another process while this one's channel was down: never
    # received here.
    await there.broadcast("s", "1:r1", Message("chat", {"message": {"id": 1}}), None)
    await here.resync()
    assert sent == [("chat", room_key("s", "1:r1"), 0)]
    # Sent once: a second resync sends nothing more.
    await here.resync()
    assert len(sent) == 1
    assert (await here.position("s", "1:r1")).offset == entered.offset + 1


async def test_after_the_channel_was_down_a_gap_no_longer_kept_is_told_to_the_room_here(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    """A room said more than its history keeps while this process's channel was down (and
    another's history went whole): its connections here cannot be sent what they missed, so
    they are told (``history_gone``, from where they were), once, and load the room again.
    Offsets may skip by design: without it their pages could not see the gap."""
    bounds = HistoryBounds(events=3)
    here = in_redis(redis, scripts, bounds, Clock())
    there = in_redis(redis, scripts, bounds, Clock())
    sent: list[tuple[str, object, str | None]] = []
    here.encode = lambda event, payload: [msgpack.packb(payload)]
    here.local_emit = lambda event, parts, room, to, skip: sent.append(
        (event, msgpack.unpackb(parts[0]), room))
    entered = {s: await here.position(s, "main") for s in ("s", "t")}  # people join here
    # Said through other processes while this one's channel was down: never received here.
    for n in range(5):
        await there.broadcast("s", "main", Message("chat", {"n": n}), None)
    await there.broadcast("t", "main", Message("chat", {"n": 0}), None)
    await there.drop("t")  # that session's history went: another epoch from now on
    latest = {s: await there.position(s, "main") for s in ("s", "t")}  # the gaps' ends
    await here.resync()
    assert sorted(sent, key=lambda s: str(s[2])) == [
        ("history_gone", {"position": {"room": "main", "epoch": entered[s].epoch, "offset": 0},
                          "latest": {"room": "main", "epoch": latest[s].epoch,
                                     "offset": latest[s].offset}},
         room_key(s, "main")) for s in ("s", "t")]
    assert latest["s"].offset == 5 and latest["t"].epoch != entered["t"].epoch
    # Told once; the room goes on from where its history is now.
    await there.broadcast("s", "main", Message("chat", {"n": 5}), None)
    await here.resync()
    assert [(event, payload["position"]["offset"])  # type: ignore[index]
            for event, payload, _ in sent[2:]] == [("chat", 6)]


async def test_a_message_sent_again_under_its_senders_last_id_is_kept_and_published_once(
        redis: Redis, scripts: list[ScriptCalls]) -> None:
    """A send whose answer was lost (Redis ran the append) is sent again under the same id
    (``Once``): its position is the first's, and nothing more is kept or published. Only each
    sender's last id is remembered, per room, and it goes with the room's history."""
    h = in_redis(redis, scripts, HistoryBounds(), Clock())
    channel = f"{PREFIX}c:s"
    listener = redis.pubsub()
    await listener.subscribe(channel)
    try:
        assert (await listener.get_message(timeout=WAIT) or {}).get("type") == "subscribe"
        stroke = Message("board_update", {"update": b"1"})
        for _ in range(2):  # the answer to the first was lost: sent again
            await h.broadcast("s", "main", stroke, None, once=Once("relay-a", "1"))
        await h.broadcast("s", "main", Message("board_update", {"update": b"2"}), None,
                          once=Once("relay-a", "2"))
        # Another sender's id is its own.
        await h.broadcast("s", "main", Message("board_update", {"update": b"3"}), None,
                          once=Once("relay-b", "1"))
        published: list[tuple[int, Any]] = []
        while len(published) < 3:  # a second copy would come before the last
            got = await listener.get_message(timeout=WAIT)
            assert got is not None, published
            header, payload = msgpack.Unpacker(BytesIO(got["data"]), raw=False)
            published.append((header[5], payload["update"]))
        assert published == [(1, b"1"), (2, b"2"), (3, b"3")]
        epoch = (await h.position("s", "main")).epoch
        kept = await h.since("s", "main", epoch, 0, 1 << 20)
        assert isinstance(kept, Replay)
        assert [(e.offset, e.payload["update"]) for e in kept.entries] == published
        assert (await h.stats())["bytes"] == await held(redis)
        # The sender's last id is the one remembered: an older one is kept again.
        await h.broadcast("s", "main", stroke, None, once=Once("relay-a", "1"))
        assert (await h.position("s", "main")).offset == 4
        await h.drop("s")
        assert await redis.exists(f"{PREFIX}h:s:main:once") == 0
        await h.broadcast("s", "main", stroke, None, once=Once("relay-a", "1"))
        fresh = await h.position("s", "main")
        assert fresh.offset == 1 and fresh.epoch != epoch
    finally:
        await listener.aclose()
