"""A connection that closes while its join is being applied: its disconnect finds it not joined
yet, so the join itself disconnects what it joined as once it is applied. Before, that person
stayed shown as connected, through a connection that was gone, for good (or waiting for good)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from rooms.commands import Join
from server.app import CONTEXT
from tests.support import Api, Peer, eventually


@pytest.mark.parametrize("waiting_room", [False, True])
async def test_a_connection_closed_while_it_joined_leaves_nobody_connected(
        api: Api, peers: Callable[[], Peer], server: TestServer, waiting_room: bool,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = server.app[CONTEXT]
    s = await api.create_session(**({"waiting_room": "everyone"} if waiting_room else {}))
    sid = s["session_id"]
    mentor = peers()
    await mentor.connect(api.token(s["join_urls"]["mentor"]))
    await mentor.join("Mia")
    update = ctx.store.update
    joins_applied = []

    async def closing_first(session_id: str, command: Any) -> Any:
        if isinstance(command, Join) and command.name == "Ben":
            await ctx.gateway.sio.disconnect(command.connection_id)  # (the page went away)
            applied = await update(session_id, command)
            joins_applied.append(command)
            return applied
        return await update(session_id, command)

    monkeypatch.setattr(ctx.store, "update", closing_first)
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    await ben.sio.emit("join", {"name": "Ben"})

    def ben_gone(session: Any) -> bool:
        return (not any(w.name == "Ben" for w in session.waiting.values())
                and not any(p.connected for p in session.participants.values()
                            if p.name == "Ben"))

    async def settled() -> bool:
        return bool(joins_applied) and await ctx.store.read(sid, ben_gone)

    await eventually(settled, what="Ben's join undone once his connection had closed")
