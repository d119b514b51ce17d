"""The generation a board loaded in memory is labelled with (``Board.generation``), which its
relayed changes name: as of after its load, and a board loaded while a deletion ran goes once
the deletion is done. Labelled with the member view read before the load, a board loaded across
a deletion named a generation older than every page's copy, and the reference client
(web_client/features/whiteboard/commands.js) dropped every change made on it: nobody saw anyone
else's drawing. Loaded while the deletion ran, it could hold the deleted content."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from rooms.whiteboard import BoardKey
from server.whiteboard.events import WhiteboardEvents
from server.whiteboard.install import WHITEBOARD
from server.whiteboard.store import StoredBoard
from tests.server.whiteboard.replica import Replica, synced
from tests.server.whiteboard.test_events import AUTH
from tests.support import WAIT, Api, Peer


async def pair(api: Api, peers: Callable[[], Peer]) -> tuple[str, Peer, Peer]:
    """A session with Ana (mentor) and Ben (mentee) in it: its id and their peers."""
    s = await api.create_session()
    ana, ben = peers(), peers()
    await ana.connect(api.token(s["join_urls"]["mentor"]))
    await ana.join("Ana")
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    await ben.join("Ben")
    return s["session_id"], ana, ben


async def bens_change_reaches_ana(ana: Peer, ben: Peer) -> None:
    """After the deletion both pages sync (Ana's again, as told), and Ben draws: his change
    reaches Ana named with the generation after the deletion, which her copy is of."""
    ra, rb = Replica(), Replica()
    now = (await synced(ana, ra))["generation"]
    assert (await synced(ben, rb))["generation"] == now
    rb.shape("rect", 5, 5, 20, 20)
    for update in rb.take():
        ack = await ben.call("board_update", {"room": "main", "update": update,
                                              "generation": now})
        assert ack == {"ok": True}, ack
    relayed: dict[str, Any] = await ana.next("board_update")
    assert relayed["generation"] == now, (
        f"Ben's change on the board of generation {now} was relayed as made on generation "
        f"{relayed.get('generation')}: Ana's page (its copy of generation {now}) drops it")


async def test_changes_on_a_board_loaded_across_a_deletion_name_the_current_generation(
        api: Api, peers: Callable[[], Peer], server: TestServer) -> None:
    sid, ana, ben = await pair(api, peers)

    store = server.app[WHITEBOARD].boards.store
    load = store.load
    reached, release = asyncio.Event(), asyncio.Event()

    async def held_load(key: BoardKey) -> StoredBoard:
        if not reached.is_set():  # the first load: Ana's sync, as a deletion comes
            reached.set()
            await release.wait()
        return await load(key)

    store.load = held_load  # type: ignore[method-assign]
    first = asyncio.ensure_future(ana.call("board_sync", {"room": "main", "state": b""}))
    await asyncio.wait_for(reached.wait(), WAIT)
    async with api.http.delete(f"/api/sessions/{sid}/boards", headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
    release.set()
    assert (await first)["ok"]
    assert await ana.next("board_deleted") == {"room": None}

    await bens_change_reaches_ana(ana, ben)


async def test_a_board_loaded_before_a_deletion_is_done_goes_once_it_is(
        api: Api, peers: Callable[[], Peer], server: TestServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ana syncs after the store was emptied but before the deletion's last generation is
    applied: the board she loads is labelled with the deletion's in-between generation. Once
    the deletion is done that board goes from memory, so that what is drawn next is relayed
    under the new generation (labelled with the in-between one, Ana's page dropped it)."""
    sid, ana, ben = await pair(api, peers)
    new_generation = WhiteboardEvents._new_generation
    finishing, release = asyncio.Event(), asyncio.Event()

    async def held(self: WhiteboardEvents, session_id: str, rooms: list[str] | None, *,
                   final: bool) -> None:
        if final:
            finishing.set()
            await release.wait()
        await new_generation(self, session_id, rooms, final=final)

    monkeypatch.setattr(WhiteboardEvents, "_new_generation", held)
    request = asyncio.ensure_future(api.http.delete(f"/api/sessions/{sid}/boards",
                                                    headers=AUTH))
    await asyncio.wait_for(finishing.wait(), WAIT)
    await synced(ana, Replica())  # the board loaded between the store's emptying and the end
    release.set()
    async with await request as resp:
        assert resp.status == 200, await resp.text()
    assert await ana.next("board_deleted") == {"room": None}
    await bens_change_reaches_ana(ana, ben)
