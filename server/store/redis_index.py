"""The Redis store's index of every session (``P sessions``, scored by creation or last use) and
what is done to sessions as a whole through it: listing them, finding those a deletion request
names, the retention rule's deletion, and Redis's files rewritten after it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import msgpack
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rooms.errors import NotRecorded
from rooms.session import Session
from server.store.redis_durability import rewrite_files
from server.store.redis_scripts import DELETE
from server.store.replica import Fetch, judged_unused, sessions_where, text_of

logger = logging.getLogger(__name__)
_pack = msgpack.Packer(use_bin_type=True).pack
DELETED = "d"  # on a session's channel: the session was deleted (``RedisStore.received``)


class StoreUnavailable(NotRecorded):
    """Redis could not be reached: the command was not kept (and not applied)."""


class SessionIndex:
    def __init__(self, redis: Redis, prefix: str, node: str, keys: Callable[[str], list[str]],
                 fetch: Fetch, forget: Callable[[str], Awaitable[None]]) -> None:
        self.redis, self.node = redis, node
        self.key = f"{prefix}sessions"
        self._keys = keys  # a session's hash, log, lease and channel (``RedisStore``)
        self._fetch = fetch
        self._forget = forget  # drops this process's replica of a deleted session
        self._delete = redis.register_script(DELETE)

    async def session_ids(self) -> list[str]:
        try:
            ids = await self.redis.zrange(self.key, 0, -1)
        except RedisError as exc:
            raise StoreUnavailable("The sessions could not be listed; try again.") from exc
        return [text_of(i) for i in ids]

    async def expire(self, when: float) -> list[str]:
        """A session's score is when it was created, or last found used by this rule: each
        session scored before ``when`` is read, and either is past it (deleted, unless it
        changed since it was read) or has its score moved to when it was last used (so a
        session in use is read again only once that is past)."""
        try:
            ids = [text_of(i) for i in
                   await self.redis.zrangebyscore(self.key, "-inf", f"({when!r}")]
            unused, in_use = await judged_unused(ids, self._fetch, when)
            if in_use:
                now = time.time()
                await self.redis.zadd(self.key, {sid: min(last, now)
                                                 for sid, last in in_use.items()}, xx=True)
        except RedisError as exc:
            raise StoreUnavailable("The sessions could not be listed; try again.") from exc
        deleted: list[str] = []
        for sid, seq in unused.items():
            try:
                if await self.delete(sid, seq):
                    deleted.append(sid)
            except RedisError:  # those deleted are said; the others wait for the next pass
                logger.warning("retention: %d sessions are left for the next pass (Redis is "
                               "out of reach)", len(unused) - len(deleted))
                break
        return deleted

    async def sessions_where(self, test: Callable[[Session], bool],
                             holding: str | None = None) -> list[str]:
        """Every session in the index, read as Redis holds it, without a replica; with
        ``holding``, and those whose snapshot or log holds that text."""
        ids = await self.session_ids()
        found = await sessions_where(ids, self._fetch, test)
        if holding is None:
            return found
        needle, named = holding.encode(), set(found)
        for sid in ids:
            if sid in named:
                continue
            base, log, _, _ = self._keys(sid)
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.hget(base, "snap")
                    pipe.lrange(log, 0, -1)
                    snapshot, entries = await pipe.execute()
            except RedisError as exc:
                raise StoreUnavailable("The sessions could not be read; try again.") from exc
            if needle in (snapshot or b"") or any(needle in entry for entry in entries):
                found.append(sid)
        return found

    async def delete(self, sid: str, unused_at: int | None = None) -> bool:
        """Delete a session; with ``unused_at``, only if it is still at that entry and no
        change of it is under way (a join since it was found unused keeps it)."""
        base, log, lease, channel = self._keys(sid)
        deleted = await self._delete(
            keys=[base, log, lease, self.key, channel],
            args=["" if unused_at is None else unused_at, sid, _pack([DELETED, self.node])])
        if deleted:
            await self._forget(sid)
        return bool(deleted)

    async def scrub(self) -> bool:
        """After a deletion: Redis's own files rewritten without what was deleted."""
        return await rewrite_files(self.redis)
