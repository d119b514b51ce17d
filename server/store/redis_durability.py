"""What Redis's own settings put at risk of what Tandem acknowledges with ``--redis`` (an
acknowledgement means Redis holds the change), said in the log at start."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from server.store.redis import text_of


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
