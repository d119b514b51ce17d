"""The Redis store's index of every session (``P sessions``, scored by creation or last use) and
what is done to sessions as a whole through it: listing them, finding those a deletion request
names, the retention rule's deletion, and Redis's files rewritten after it."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection

import msgpack
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rooms.errors import NotRecorded
from rooms.session import Session
from server.store.holding import Holding
from server.store.redis_durability import rewrite_files
from server.store.redis_scripts import DELETE
from server.store.replica import Fetch, judged_unused, session_as_kept, text_of

logger = logging.getLogger(__name__)
_pack = msgpack.Packer(use_bin_type=True).pack
DELETED = "d"  # on a session's channel: the session was deleted (``RedisStore.received``)
# How many sessions a search reads in one round trip (their bytes are held together meanwhile).
READ_BATCH = 32


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
                             holding: str | Collection[str] | None = None) -> list[str]:
        """Every session in the index, read as Redis holds it, without a replica, and once:
        those that pass ``test``, and with ``holding``, those whose snapshot or log (the whole
        log: it may keep entries from before the snapshot) holds one of those texts as a
        whole value (``server.store.holding``; looked for first, as it is cheaper than
        rebuilding the session). The sessions are read ``READ_BATCH`` at a time, each batch in
        one round trip."""
        ids = await self.session_ids()
        sought = None if holding is None else Holding.of(holding)
        found = []
        for start in range(0, len(ids), READ_BATCH):
            for sid, snapshot, log, since in await self._read(ids[start:start + READ_BATCH]):
                if ((sought is not None and (sought.in_bytes(snapshot)
                                             or any(sought.in_bytes(e) for e in log)))
                        or test(session_as_kept(snapshot, log[since:]))):
                    found.append(sid)
        return found

    async def _read(self, ids: list[str]) -> list[tuple[str, bytes, list[bytes], int]]:
        """These sessions as Redis holds them (in one transaction: each snapshot and log agree):
        each one's snapshot, its whole log and where in the log the entries since the snapshot
        begin; a session deleted meanwhile is left out."""
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                for sid in ids:
                    base, log, _, _ = self._keys(sid)
                    pipe.hmget(base, "snap", "base", "logfrom")
                    pipe.lrange(log, 0, -1)
                replies = await pipe.execute()
        except RedisError as exc:
            raise StoreUnavailable("The sessions could not be read; try again.") from exc
        read = []
        for sid, (snapshot, base, logfrom), log in zip(ids, replies[::2], replies[1::2],
                                                       strict=True):
            if snapshot is not None:
                read.append((sid, snapshot, log, int(base) - int(logfrom or base)))
        return read

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
