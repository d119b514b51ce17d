"""A deletion of boards is told to the other processes (so that they drop their copies) even when
Redis is out of reach a moment: the message is sent again until it goes, and it is sent when the
deletion's answer was lost, since the deletion may have been made."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from rooms.errors import NotRecorded
from server.whiteboard import sync as sync_module
from server.whiteboard.boards import Boards
from server.whiteboard.store import BoardStore
from server.whiteboard.sync import FORGET, KIND, BoardSync
from tests.server.whiteboard.nodes import Nodes, pair_in_session
from tests.support import ADMIN_KEY, eventually


class Channel:
    """What the board sync uses of the cluster: its node id, and ``publish``, which fails as
    when Redis is out of reach until ``reachable``; what goes out is kept in order."""

    node = "x"

    def __init__(self) -> None:
        self.reachable = False
        self.sent: asyncio.Queue[tuple[str, list[Any]]] = asyncio.Queue()
        self.handlers: dict[str, Any] = {}

    async def publish(self, session_id: str, message: list[Any]) -> None:
        if not self.reachable:
            raise RedisConnectionError("Connection refused")
        self.sent.put_nowait((session_id, message))


async def test_a_deletion_not_told_while_redis_is_away_is_told_once_it_is_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_module, "TELL_AGAIN_SECONDS", 0.01)
    channel = Channel()
    sync = BoardSync(channel, Boards(BoardStore(tmp_path)), relay=None,  # type: ignore[arg-type]
                     clock=lambda: 0.0)
    await sync.forget("s1", ["main"])
    await sync.forget("s1", ["1:r1"])
    await sync.forget("s2")
    assert channel.sent.empty()
    channel.reachable = True
    told = [await asyncio.wait_for(channel.sent.get(), 5) for _ in range(2)]
    assert sorted(told) == [("s1", [KIND, "x", FORGET, ["1:r1", "main"]]),
                            ("s2", [KIND, "x", FORGET, None])]
    assert sync.telling is not None
    await asyncio.wait_for(sync.telling, 5)  # done: nothing is left to tell
    assert channel.sent.empty() and not sync.untold
    await sync.close()


async def test_a_deletion_whose_answer_was_lost_is_told_to_the_other_processes(
        nodes: Nodes) -> None:
    session_id, ana, _, _ = await pair_in_session(nodes, "Answer lost")
    store = nodes.a.store
    delete = store.delete_session

    async def deleted_then_lost(sid: str) -> bool:
        await delete(sid)
        raise NotRecorded("The board store is out of reach; try again in a moment.")

    store.delete_session = deleted_then_lost  # type: ignore[method-assign]
    async with nodes.a.api.http.delete(f"/api/sessions/{session_id}/boards",
                                       headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
        assert resp.status == 503, await resp.text()
    await eventually(lambda: nodes.b.board(session_id) is None,
                     what="b dropping the board from memory")
    await ana.close()
