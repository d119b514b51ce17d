"""Lua script calls to the shared Redis, sent together when they come together.

With several processes every change of a session and every replayable event is a script call
(``server.store.redis``'s append, ``server.history_redis``'s append; the lease's scripts go on
their own, as another process may be waiting for them). redis-py spends much more of this process's
CPU on a round trip than Redis spends running the script: 87 us for an ``EVALSHA`` sent alone,
27 us each in a pipeline of ten (the development machine). Under load, calls that each took their
own round trip on a connection of their own also queued behind each other in Redis and in this
process, which showed in the slowest deliveries.

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
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from server.tasks import TaskSet

# The most calls sent in one pipeline; more wait for the next.
BATCH_MAX = 256


@dataclass(slots=True)
class _Call:
    script: AsyncScript
    keys: Sequence[Any]
    args: Sequence[Any]
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
        if self._busy and not self._closed:
            loop = self._loop or asyncio.get_running_loop()
            future: asyncio.Future[Any] = loop.create_future()
            self._queued.append(_Call(script, keys, args, future))
            return await future
        self._busy = True
        self._loop = self._loop or asyncio.get_running_loop()
        try:
            self.alone += 1
            return await script(keys=keys, args=args)
        finally:
            self._next()

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
        pipe = self.redis.pipeline(transaction=False)
        for c in batch:
            pipe.evalsha(c.script.sha, len(c.keys), *c.keys, *c.args)
        try:
            results = await pipe.execute(raise_on_error=False)
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


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        if isinstance(exc, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(exc)
            future.exception()  # retrieved: its caller sees it when it awaits
