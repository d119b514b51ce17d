"""Two real Tandem processes sharing one real ``redis-server`` that the tests start themselves
(inside the test namespace the host's own Redis, if any, cannot be reached); or two Tandem apps
in the test's own process (``nodes``, ``tests.server.cluster.apps``)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from clients.server import RedisProcess, ServerProcess, redis_binary
from server.app import CONTEXT, create_app
from tests.server.cluster.apps import Node, node_settings

ADMIN_KEY = "cluster-admin-key-0123456789"
SECRET = "c" * 64


def need_redis() -> None:
    if redis_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; .ci/run installs it (Debian "
                        "package redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisProcess]:
    need_redis()
    with RedisProcess(tmp_path / "redis") as r:
        yield r


def tandem(tmp_path: Path, name: str, redis: RedisProcess, *flags: str,
           env: dict[str, str] | None = None) -> ServerProcess:
    """A Tandem process of the cluster: its own data directory, the shared secret and Redis."""
    return ServerProcess(tmp_path / name / "data", log_path=tmp_path / f"{name}.log",
                         admin_key=ADMIN_KEY, flags=["--redis", redis.url, *flags],
                         env={"TANDEM_SECRET": SECRET, **(env or {})})


@dataclass
class Pair:
    a: ServerProcess
    b: ServerProcess
    redis: RedisProcess


@pytest.fixture
def cluster_env() -> dict[str, str]:
    """More environment for the pair's processes (a test module overrides it)."""
    return {}


@pytest.fixture
async def pair(tmp_path: Path, redis: RedisProcess,
               cluster_env: dict[str, str]) -> AsyncIterator[Pair]:
    a = tandem(tmp_path, "a", redis, env=cluster_env)
    b = tandem(tmp_path, "b", redis, env=cluster_env)
    await a.start_async()
    try:
        await b.start_async()
        try:
            yield Pair(a, b, redis)
        finally:
            b.stop()
    finally:
        a.stop()


@pytest.fixture
def node_extra() -> dict[str, Any]:
    """More settings for the ``nodes`` (a test parametrizes it)."""
    return {}


@pytest.fixture
async def nodes(tmp_path: Path, redis: RedisProcess, node_extra: dict[str, Any],
                aiohttp_server: Callable[..., Awaitable[TestServer]]
                ) -> AsyncIterator[tuple[Node, Node]]:
    """Two Tandem apps in this process, ``a`` and ``b``, sharing ``redis``."""
    made = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        app = create_app(node_settings(tmp_path, name, redis, **node_extra))
        made.append(Node(await aiohttp_server(app), app[CONTEXT], []))
    yield made[0], made[1]
    for n in made:
        for p in n.peers:
            await p.close()


async def metric(server: ServerProcess, name: str) -> float:
    """One figure of the process's ``/metrics`` (its only sample)."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as resp:
        text = await resp.text()
    found = re.search(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.M)
    assert found, f"{name} is missing from /metrics"
    return float(found.group(1))
