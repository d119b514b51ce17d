"""What Redis keeps on disk with ``--redis``: what its own settings put at risk of what Tandem
acknowledges (an acknowledgement means Redis holds the change), said in the log at start; and
its files rewritten after a deletion, which they would otherwise hold on to."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from server.store.replica import text_of

logger = logging.getLogger(__name__)

# How long a deletion waits for Redis to rewrite its files, and how often it looks.
REWRITE_WAIT = 60.0
REWRITE_POLL = 0.05


async def persistence_warning(redis: Redis) -> str | None:
    """What Redis's own settings put at risk of what Tandem acknowledges (an acknowledgement
    means Redis holds the change): None when Redis keeps an append-only file synced on every
    write, else a sentence for the log. A Redis that refuses CONFIG (as managed services do) is
    not checked."""
    try:
        raw = await redis.config_get("append*")
    except RedisError:
        return None
    config = {text_of(k): text_of(v) for k, v in raw.items()}
    if config.get("appendonly") != "yes":
        return ("Redis keeps no append-only file: if Redis restarts, the changes to sessions "
                "since its last save are lost, acknowledged or not (run it with --appendonly yes "
                "--appendfsync always).")
    if config.get("appendfsync") != "always":
        return (f"Redis syncs its append-only file {config.get('appendfsync', '?')!r}, not on "
                "every write: if Redis itself crashes, up to about a second of acknowledged "
                "changes to sessions is lost (--appendfsync always keeps them).")
    return None


async def rewrite_files(redis: Redis, *, wait: float = REWRITE_WAIT) -> bool:
    """After a deletion: Redis's append-only file still holds every write since its last
    rewrite (the erased chat, the deleted boards), and its snapshot file what it held at its last
    save. Rewrite the first and save the second anew, where Redis keeps them, and wait until
    that is done (at most ``wait`` seconds). False when Redis would not (a managed Redis may
    refuse these commands) or did not finish in time: the files then hold the deleted data
    until Redis rewrites them itself, and the log says so."""
    give_up = asyncio.get_running_loop().time() + wait
    try:
        info = await redis.info("persistence")
        if int(info.get("aof_enabled", 0)):
            while True:
                try:
                    await redis.bgrewriteaof()  # (scheduled by Redis if it is saving)
                    break
                except ResponseError as exc:
                    if "in progress" not in str(exc):
                        raise
                # A rewrite that began before the deletion may keep what was deleted: the
                # next one, once it is over.
                if not await _quiet(redis, give_up):
                    return False
        try:
            saving = bool(text_of((await redis.config_get("save")).get("save", "")).strip())
        except ResponseError:
            saving = False  # (CONFIG refused: its snapshots are its operator's)
        if saving:
            await redis.bgsave(schedule=True)  # after the one under way, if one is
        return await _quiet(redis, give_up)
    except RedisError as exc:
        logger.warning("Redis's files were not rewritten after a deletion (%s): they hold the "
                       "deleted data until Redis rewrites them itself", type(exc).__name__)
        return False


async def _quiet(redis: Redis, give_up: float) -> bool:
    """Wait until Redis rewrites and saves nothing (False, said in the log, at ``give_up``)."""
    loop = asyncio.get_running_loop()
    while True:
        info = await redis.info("persistence")
        busy = [key for key in ("aof_rewrite_in_progress", "aof_rewrite_scheduled",
                                "rdb_bgsave_in_progress") if int(info.get(key, 0))]
        if not busy:
            return True
        if loop.time() > give_up:
            logger.warning("Redis had not rewritten its files in time after a deletion (%s): "
                           "they hold the deleted data until it has", ", ".join(busy))
            return False
        await asyncio.sleep(REWRITE_POLL)
