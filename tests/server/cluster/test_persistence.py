"""What Redis's own settings put at risk of what Tandem acknowledges: said in the log when a
process starts with ``--redis`` (``persistence_warning``), on a real ``redis-server``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from redis.asyncio import Redis

from clients.server import RedisProcess
from server.app import CONTEXT, create_app
from server.settings import Settings
from server.store.redis import RedisStore
from server.store.redis_durability import persistence_warning
from tests.server.cluster.conftest import tandem


async def test_the_warning_names_what_is_at_risk_and_is_silent_when_nothing_is(
        redis: RedisProcess) -> None:
    client = Redis.from_url(redis.url)
    try:
        # as the tests run it: an append-only file synced every second
        everysec = await persistence_warning(client)
        assert everysec is not None and "'everysec'" in everysec
        assert "--appendfsync always" in everysec
        await client.config_set("appendfsync", "always")
        assert await persistence_warning(client) is None
        await client.config_set("appendonly", "no")
        none = await persistence_warning(client)
        assert none is not None and "no append-only file" in none
    finally:
        await client.aclose()


async def test_a_process_says_so_when_redis_may_lose_what_it_acknowledges(
        tmp_path: Path, redis: RedisProcess) -> None:
    risky = tandem(tmp_path, "a", redis)
    await risky.start_async()
    risky.stop()
    assert "Redis syncs its append-only file 'everysec'" in log_of(tmp_path, "a")
    client = Redis.from_url(redis.url)
    try:
        await client.config_set("appendfsync", "always")
    finally:
        await client.aclose()
    safe = tandem(tmp_path, "b", redis)
    await safe.start_async()
    safe.stop()
    log = log_of(tmp_path, "b")
    assert "event loop" in log  # its log, from its start
    assert "append-only file" not in log


def log_of(tmp_path: Path, name: str) -> str:
    return (tmp_path / f"{name}.log").read_text()


def test_with_redis_a_move_is_acted_on_as_soon_as_it_is_applied(
        redis: RedisProcess, settings: Settings) -> None:
    """The app hands what cannot wait for a delivery (``Delivery.applied``: a person moved
    leaves the old room's channel) to the store, which calls it as each command is applied
    (``tests/server/cluster/test_moves_at_once.py``)."""
    ctx = create_app(replace(settings, redis_url=redis.url))[CONTEXT]
    assert isinstance(ctx.store, RedisStore)
    assert ctx.store.applied == ctx.delivery.applied
