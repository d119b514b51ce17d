"""Lua script calls to the shared Redis, sent together when they come together.

With several processes every change of a session and every replayable event is a script call
(``server.store.redis``'s append, ``server.history_redis``'s append, sharing one
``ScriptCalls``; the lease's scripts have a ``ScriptCalls`` of their own, so that they never wait
behind an append, as another process may be waiting for them). redis-py spends much more of
this process's CPU on a round trip than Redis spends running the script: 87 us for an
``EVALSHA`` sent alone, 27 us each in a pipeline of ten (the development machine, in a faster
hour than the figures below). Under load,
calls that each took their own round trip on a connection of their own also queued behind each
other in Redis and in this process, which showed in the slowest deliveries.

The calls go on one connection of their own, outside redis-py's pool, written and read
directly (redis-py's ``Connection``, with the client's settings). The client's own way (a
connection taken from the pool and given back, retries, a task to time each write, its telemetry)
took twice the CPU: 150 to 165 us against 72 to 77 for a call sent alone, 60 against 36 each for
ten together (``tests/server/cluster/test_redis_calls.py``'s scripts, the development machine).
One timeout covers a call's (or a batch's) write and every reply: past it the connection is
closed and every call of the batch fails with redis-py's ``TimeoutError``. A connection Redis
closed while it was idle (a restart) is replaced before the next call, as the pool would. A call
is never sent twice: one whose connection failed fails.

:class:`ScriptCalls` sends a call at once when no other is on its way. Calls made while one is
on its way wait for it, then all go in one pipeline (one write, one read of every reply), while
the next calls gather behind that one: a call waits for at most one round trip before its own
(a pipeline holds at most ``BATCH_MAX`` calls; more wait for the next).

Each call keeps its own outcome: a script that Redis refused fails alone, with Redis's error. A
script Redis no longer holds (it restarted) is loaded again and run alone. When the connection
fails, every call of that batch fails with the connection's error: as with a call sent alone, the
caller cannot tell whether its script ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import DataError, NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.tasks import TaskSet

# The most calls sent in one pipeline; more wait for the next.
BATCH_MAX = 256
# A call's (or a batch's) round trip, when the client has no ``socket_timeout`` of its own.
TIMEOUT = 3.0


@dataclass(slots=True)
class _Call:
    script: AsyncScript
    keys: Sequence[Any]
    args: Sequence[Any]
    packed: bytes = field(repr=False)  # the call as sent (``_evalsha``)
    future: asyncio.Future[Any] = field(repr=False)


class Script:
    """A registered script whose calls go through ``calls``: ``await script(keys=, args=)``,
    as redis-py's own."""

    def __init__(self, calls: ScriptCalls, source: str) -> None:
        self.calls = calls
        self.script: AsyncScript = calls.redis.register_script(source)

    async def __call__(self, keys: Sequence[Any] = (), args: Sequence[Any] = ()) -> Any:
        return await self.calls.call(self.script, keys, args)


class ScriptCalls:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        pool = redis.connection_pool
        self.timeout: float = pool.connection_kwargs.get("socket_timeout") or TIMEOUT
        # The client's settings (address, database, credentials, protocol, connect timeout),
        # without its timeout per read: ``_exchange`` times the whole round trip instead.
        self._settings = {**pool.connection_kwargs, "socket_timeout": None}
        self._connection_class = pool.connection_class
        self._connection: AbstractConnection | None = None
        self._busy = False  # a call or a batch is on its way
        self._closed = False
        self._queued: list[_Call] = []
        self._tasks = TaskSet()
        self._loop: asyncio.AbstractEventLoop | None = None
        # Calls sent alone, and calls sent in batches, with the number of batches (for tests).
        self.alone = 0
        self.batched = 0
        self.batches = 0

    def script(self, source: str) -> Script:
        return Script(self, source)

    async def call(self, script: AsyncScript, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        packed = _evalsha(script.sha, keys, args)  # an argument Redis cannot hold fails here
        if self._busy and not self._closed:
            loop = self._loop or asyncio.get_running_loop()
            future: asyncio.Future[Any] = loop.create_future()
            self._queued.append(_Call(script, keys, args, packed, future))
            return await future
        self._busy = True
        self._loop = self._loop or asyncio.get_running_loop()
        try:
            self.alone += 1
            (reply,) = await self._exchange([packed])
            if isinstance(reply, NoScriptError):
                # Redis lost its scripts: redis-py's own call loads it again, before the calls
                # that gathered meanwhile go.
                return await script(keys=keys, args=args)
        finally:
            self._next()
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def _next(self) -> None:
        """The call or batch on its way is back: send what gathered meanwhile, or go idle."""
        if self._queued and not self._closed:
            batch, self._queued = self._queued[:BATCH_MAX], self._queued[BATCH_MAX:]
            self._tasks.spawn(self._send(batch))
        else:
            self._busy = False

    async def _send(self, batch: list[_Call]) -> None:
        try:
            await self._run(batch)
        finally:
            self._next()

    async def _run(self, batch: list[_Call]) -> None:
        self.batches += 1
        self.batched += len(batch)
        try:
            results = await self._exchange([c.packed for c in batch])
        except BaseException as exc:  # noqa: BLE001 - each caller gets the connection's error
            for c in batch:
                _fail(c.future, exc)
            if not isinstance(exc, Exception):
                raise
            return
        again = []
        for c, result in zip(batch, results, strict=True):
            if isinstance(result, NoScriptError):
                again.append(c)
            elif isinstance(result, BaseException):
                _fail(c.future, result)
            elif not c.future.done():
                c.future.set_result(result)
        for c in again:  # Redis lost its scripts: redis-py's own call loads it again
            await self._alone(c)

    async def _exchange(self, calls: list[bytes]) -> list[Any]:
        """Send these (packed) calls in one write and read every reply: each call's result, or
        the error Redis answered it with. Raises (with the connection closed) if the connection
        fails or the round trip takes longer than ``timeout``."""
        conn = self._connection
        if conn is None:
            conn = self._connection = self._connection_class(**self._settings)
        packed = b"".join(calls)  # (one call is not copied)
        replies: list[Any] = []
        try:
            async with asyncio.timeout(self.timeout):
                if conn.is_connected and await conn.can_read():
                    # Closed by Redis while idle (it restarted), or holding what nobody asked
                    # for: a new connection, as redis-py's pool would give.
                    await conn.disconnect()
                await conn.send_packed_command(packed, check_health=False)
                for _ in calls:
                    try:
                        replies.append(await conn.read_response())
                    except ResponseError as exc:  # this call's own error: read on
                        replies.append(exc)
        except TimeoutError:
            await conn.disconnect(nowait=True)
            raise RedisTimeoutError(f"Redis did not answer within {self.timeout} s") from None
        except BaseException:
            await conn.disconnect(nowait=True)
            raise
        return replies

    async def _alone(self, c: _Call) -> None:
        self.alone += 1
        try:
            result = await c.script(keys=c.keys, args=c.args)
        except Exception as exc:  # noqa: BLE001 - handed to its caller
            _fail(c.future, exc)
        else:
            if not c.future.done():
                c.future.set_result(result)

    async def close(self) -> None:
        self._closed = True
        await self._tasks.close()
        for c in self._queued:
            _fail(c.future, asyncio.CancelledError())
        self._queued = []
        if self._connection is not None:
            await self._connection.disconnect()


def _evalsha(sha: str, keys: Sequence[Any], args: Sequence[Any]) -> bytes:
    """``EVALSHA`` as Redis reads it (a RESP array of bulk strings): bytes as they are, text in
    UTF-8, numbers as ``repr`` writes them, as redis-py's own packing does (in about 1.7 times
    as long)."""
    values = [b"EVALSHA", sha.encode(), str(len(keys)).encode()]
    for value in (*keys, *args):
        if isinstance(value, str):
            value = value.encode()
        elif type(value) is not bytes:
            if isinstance(value, bytes | bytearray | memoryview):
                values.append(bytes(value))
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DataError(f"a script's keys and arguments are text, bytes or numbers, "
                                f"not {type(value).__name__}")
            value = repr(value).encode()
        values.append(value)
    return b"*%d\r\n" % len(values) + b"".join([b"$%d\r\n%b\r\n" % (len(v), v)
                                                  for v in values])


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        if isinstance(exc, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(exc)
            future.exception()  # retrieved: its caller sees it when it awaits
