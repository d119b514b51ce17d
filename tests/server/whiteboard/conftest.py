"""Fixtures of the whiteboard tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.server.whiteboard.nodes import Nodes, two_nodes


@pytest.fixture
async def nodes(tmp_path: Path, aiohttp_server: Callable[..., Awaitable[TestServer]]
                ) -> AsyncIterator[Nodes]:
    """Two apps sharing a real ``redis-server`` (``nodes.py``)."""
    async with two_nodes(tmp_path, aiohttp_server) as made:
        yield made
