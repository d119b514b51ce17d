"""Script calls sent together (``server/redis_calls.py``), on a real ``redis-server``: calls made
while one is on its way go in one pipeline, run in the order they were made, and each keeps its
own answer or error; a script Redis lost is loaded again; when the connection fails, every call
of the batch fails with it and the next call is sent, not left waiting; a connection Redis
closed while idle is replaced; a round trip past the timeout fails and closes its connection."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import DataError, RedisError, ResponseError

from clients.server import RedisProcess
from server.redis_calls import BATCH_MAX, ScriptCalls, _evalsha
from tests.support import eventually

PUSH = "redis.call('RPUSH', KEYS[1], ARGV[1]); return {KEYS[1], ARGV[1]}"
PICKY = "if ARGV[1] == 'bad' then return redis.error_reply('refused') end; return ARGV[1]"
# Holds Redis (and so the call) for about 2 s, unless Redis is killed first.
BUSY = """
local t = redis.call('TIME')
local from = t[1] * 1000000 + t[2]
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - from > 2000000
return 1
"""


@pytest.fixture
async def client(redis: RedisProcess) -> AsyncIterator[Redis]:
    r = Redis.from_url(redis.url, socket_connect_timeout=2, socket_timeout=5)
    yield r
    await r.aclose()


async def test_calls_made_together_share_one_round_trip_in_their_order(client: Redis) -> None:
    calls = ScriptCalls(client)
    push = calls.script(PUSH)
    answers = await asyncio.gather(*(push(keys=["order"], args=[i]) for i in range(20)))
    assert answers == [[b"order", str(i).encode()] for i in range(20)]
    assert await client.lrange("order", 0, -1) == [str(i).encode() for i in range(20)]
    # the first went alone; the other 19 came while it was on its way, and went together
    assert (calls.alone, calls.batches, calls.batched) == (1, 1, 19)
    await calls.close()


async def test_a_batch_holds_at_most_batch_max_calls(client: Redis) -> None:
    calls = ScriptCalls(client)
    push = calls.script(PUSH)
    n = BATCH_MAX + 10
    await asyncio.gather(*(push(keys=["many"], args=[i]) for i in range(n)))
    assert await client.lrange("many", 0, -1) == [str(i).encode() for i in range(n)]
    assert (calls.alone, calls.batches, calls.batched) == (1, 2, n - 1)
    await calls.close()


async def test_a_refused_script_fails_alone(client: Redis) -> None:
    calls = ScriptCalls(client)
    picky = calls.script(PICKY)
    args = ["bad", "a", "bad", "b", "c"]  # the first goes alone, the rest together
    answers = await asyncio.gather(*(picky(args=[a]) for a in args), return_exceptions=True)
    for arg, answer in zip(args, answers, strict=True):
        if arg == "bad":
            assert isinstance(answer, ResponseError) and "refused" in str(answer)
        else:
            assert answer == arg.encode()
    assert calls.batched == 4
    await calls.close()


async def test_a_script_redis_no_longer_holds_is_loaded_again(client: Redis) -> None:
    calls = ScriptCalls(client)
    push, picky = calls.script(PUSH), calls.script(PICKY)
    await push(keys=["again"], args=["before"])
    await client.script_flush()  # as after a restart of Redis
    # the first goes alone (redis-py loads its script again); the pushes go together, are
    # refused for want of their script, and are each sent again alone
    answers = await asyncio.gather(picky(args=["first"]),
                                   *(push(keys=["again"], args=[i]) for i in range(5)))
    assert answers[0] == b"first"
    assert [a[1] for a in answers[1:]] == [str(i).encode() for i in range(5)]
    assert await client.lrange("again", 0, -1) == [b"before", *(str(i).encode()
                                                                for i in range(5))]
    assert (calls.alone, calls.batches, calls.batched) == (2 + 5, 1, 5)
    await calls.close()


async def test_a_lost_connection_fails_the_whole_batch_and_the_next_call_is_sent(
        redis: RedisProcess, client: Redis) -> None:
    calls = ScriptCalls(client)
    busy, push = calls.script(BUSY), calls.script(PUSH)
    first = asyncio.ensure_future(busy())
    await asyncio.sleep(0.05)  # it is on its way, Redis busy with it
    queued = [asyncio.ensure_future(push(keys=["lost"], args=[i])) for i in range(4)]
    await asyncio.sleep(0)
    assert len(calls._queued) == 4  # they wait behind it
    os.kill(redis.pid, signal.SIGKILL)
    outcomes = await asyncio.wait_for(
        asyncio.gather(first, *queued, return_exceptions=True), timeout=10)
    assert all(isinstance(o, RedisError) for o in outcomes), outcomes
    with pytest.raises(RedisError):  # sent at once (and failing), not queued behind anything
        await asyncio.wait_for(push(keys=["lost"], args=["after"]), timeout=10)
    assert not calls._busy and not calls._queued
    await calls.close()


async def test_a_connection_redis_closed_while_idle_is_replaced_before_the_next_call(
        client: Redis) -> None:
    calls = ScriptCalls(client)
    push = calls.script(PUSH)
    assert await push(keys=["idle"], args=["one"]) == [b"idle", b"one"]
    connection = calls._connection
    assert connection is not None and connection.is_connected
    # Redis closes every connection but the one asking (as at a restart)
    assert await client.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes") >= 1
    await eventually(connection.can_read, what="the closed connection seen here")
    assert await push(keys=["idle"], args=["two"]) == [b"idle", b"two"]
    assert await client.lrange("idle", 0, -1) == [b"one", b"two"]
    await calls.close()


async def test_a_round_trip_past_the_timeout_fails_and_closes_its_connection(
        client: Redis) -> None:
    calls = ScriptCalls(client)
    busy, push = calls.script(BUSY), calls.script(PUSH)
    assert await push(keys=["slow"], args=["loaded"]) == [b"slow", b"loaded"]
    await client.script_load(BUSY)
    calls.timeout = 0.3
    with pytest.raises(RedisError, match="did not answer"):
        await busy()
    assert calls._connection is not None and not calls._connection.is_connected
    calls.timeout = 10  # the next call waits for Redis to finish the busy script, then runs
    assert await push(keys=["slow"], args=["after"]) == [b"slow", b"after"]
    await calls.close()


@pytest.mark.parametrize("keys, args", [
    ([], []),
    (["tandem:s:1", "tandem:l:1"], ["node", 0, -12, 2.5, 1e-7, b"", b"\r\n\x00", "é", 10**20]),
    (["k"] * 12, [os.urandom(70_000), bytearray(b"ab"), memoryview(b"cd")]),
])
def test_a_call_is_packed_as_redis_py_packs_it(keys: list[str], args: list[object]) -> None:
    ours = _evalsha("0123abcd", keys, args)
    theirs = b"".join(Connection().pack_command("EVALSHA", "0123abcd", len(keys), *keys, *args))
    assert ours == theirs


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}])
def test_a_call_with_an_argument_redis_cannot_hold_is_refused(value: object) -> None:
    with pytest.raises(DataError):
        _evalsha("0123abcd", ["k"], [value])


async def test_a_call_redis_cannot_hold_fails_alone_and_the_others_go_on(client: Redis) -> None:
    calls = ScriptCalls(client)
    push = calls.script(PUSH)
    await push(keys=["mixed"], args=["loaded"])
    first = asyncio.ensure_future(push(keys=["mixed"], args=["first"]))
    await asyncio.sleep(0)  # on its way: the next ones gather behind it
    others = [asyncio.ensure_future(push(keys=["mixed"], args=[value]))
              for value in ("a", None, "b")]
    outcomes = await asyncio.gather(first, *others, return_exceptions=True)
    assert outcomes[0] == [b"mixed", b"first"]
    assert outcomes[1] == [b"mixed", b"a"] and outcomes[3] == [b"mixed", b"b"]
    assert isinstance(outcomes[2], DataError)
    assert await client.lrange("mixed", 0, -1) == [b"loaded", b"first", b"a", b"b"]
    assert (calls.batches, calls.batched) == (1, 2)
    await calls.close()
