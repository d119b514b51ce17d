"""A page that was away while its board was deleted cannot send its copy back: every board has a
generation, kept by its session, which changes when the board is deleted; a sync from a copy of
an older generation is answered with the whole board (the page starts again from it), and a
change made on such a copy is refused (``board_deleted``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from server.whiteboard.events import WhiteboardEvents
from tests.server.breakouts.test_privacy import joined
from tests.server.whiteboard.replica import Replica, synced
from tests.server.whiteboard.test_events import AUTH, member
from tests.support import Api, Peer


async def test_a_copy_of_a_deleted_board_is_neither_merged_nor_taken_back(
        api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    before = (await synced(ben, b))["generation"]
    a.shape("arrow", 10, 10, 100, 40)
    for update in a.take():
        ack = await ana.call("board_update", {"room": "main", "update": update,
                                              "generation": before})
        assert ack == {"ok": True}, ack
    relayed = await ben.next("board_update")
    assert relayed["generation"] == before  # the generation of the board it was made on
    b.receive(relayed["update"])
    b.stroke([1, 2, 3, 4], author="ben")  # drawn while away: never sent
    offline = b.take()
    await ben.close()

    async with api.http.delete(f"/api/sessions/{s['session_id']}/boards",
                               headers=AUTH) as resp:
        assert (await resp.json())["deleted"] is True
    assert await ana.next("board_deleted") == {"room": None}

    # Ana draws on the new board.
    fresh = Replica()
    ack = await synced(ana, fresh)
    now = ack["generation"]
    assert now != before and fresh.view() == {}
    fresh.shape("rect", 5, 5, 20, 20)
    for update in fresh.take():
        assert (await ana.call("board_update", {"room": "main", "update": update,
                                                "generation": now})) == {"ok": True}

    # Ben's page comes back with its copy: told the whole board, not what its copy lacks.
    ben = await joined(api, peers, s, "mentee", "Ben")  # his page, its copy kept
    ack = await ben.call("board_sync", {"room": "main", "state": b.doc.get_state(),
                                        "generation": before})
    assert ack["ok"] and ack["generation"] == now
    restarted = Replica()
    restarted.receive(ack["update"])
    assert restarted.view() == fresh.view()

    # What the copy held, sent as a page that kept it would, is refused and lands nowhere.
    whole = b.doc.get_update()
    for update in [whole, *offline]:
        refused = await ben.call("board_update", {"room": "main", "update": update,
                                                  "generation": before})
        assert refused["ok"] is False and refused["error"]["code"] == "board_deleted", refused
    board = Replica()
    await synced(ana, board)
    assert board.view() == fresh.view()
    async with api.http.get(f"/api/sessions/{s['session_id']}/boards/main",
                            headers=AUTH) as resp:
        assert (await resp.json())["items"] == fresh.view()


async def test_a_sync_of_the_current_generation_is_told_only_what_it_lacks(
        api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    generation = (await synced(ana, Replica()))["generation"]
    a.shape("arrow", 10, 10, 100, 40)
    for update in a.take():
        assert (await ana.call("board_update", {"room": "main", "update": update,
                                                "generation": generation})) == {"ok": True}
    ack = await ana.call("board_sync", {"room": "main", "state": a.doc.get_state(),
                                        "generation": generation})
    assert ack["generation"] == generation
    assert ack["update"] == b"\x00\x00"  # nothing: the copy holds the whole board


async def test_a_person_deleted_takes_only_the_boards_they_changed_to_a_new_generation(
        api: Api, peers: Callable[[], Peer]) -> None:
    """A deletion request deletes the boards the person drew on, each then of a new generation;
    a board they never drew on keeps its generation (a page's unsent changes to it still go)."""
    s = await api.create_session(participants=[
        {"name": "Ana", "role": "mentor", "id": "ana-1"},
        {"name": "Ben", "role": "mentee", "id": "ben-2"},
        {"name": "Cy", "role": "mentee", "id": "cy-3"}])
    ana, ben, cy = peers(), peers(), peers()
    for peer, link in ((ana, 0), (ben, 1), (cy, 2)):
        await peer.connect(api.token(s["personal_links"][link]["url"]))
        await peer.join()
    a, b = Replica(), Replica()
    generation = (await synced(ana, a))["generation"]
    await synced(ben, b)
    a.shape("arrow", 10, 10, 100, 40)
    for update in a.take():
        assert (await ana.call("board_update", {"room": "main", "update": update,
                                                "generation": generation}))["ok"]
    b.receive((await ben.next("board_update"))["update"])
    async with api.http.delete("/api/attendance/people/ben-2", headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
    # Ben never drew: the board stays, of the same generation.
    ack = await ana.call("board_sync", {"room": "main", "state": a.doc.get_state(),
                                        "generation": generation})
    assert ack["generation"] == generation and ack["update"] == b"\x00\x00"
    async with api.http.delete("/api/attendance/people/ana-1", headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
    assert await cy.next("board_deleted") == {"room": "main"}
    ack = await cy.call("board_sync", {"room": "main", "state": b.doc.get_state(),
                                       "generation": generation})
    assert ack["generation"] != generation and ack["update"] == Replica().doc.get_update()


async def test_an_update_in_flight_while_the_board_is_deleted_is_not_stored(
        api: Api, peers: Callable[[], Peer], monkeypatch: pytest.MonkeyPatch) -> None:
    """An update whose generation was checked just before its board was deleted, and applied
    after (the handler awaits the store between the two), is refused: nothing of the page's
    copy comes back."""
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    generation = (await synced(ben, b))["generation"]
    a.shape("arrow", 10, 10, 100, 40)
    for update in a.take():
        assert (await ana.call("board_update", {"room": "main", "update": update,
                                                "generation": generation})) == {"ok": True}
    b.receive((await ben.next("board_update"))["update"])
    b.stroke([1, 2, 3, 4], author="ben")

    # Ben's update is held inside the handler, after its generation was checked (a barrier,
    # where the handler awaits the store anyway: the marks of who drew).
    entered, release = asyncio.Event(), asyncio.Event()
    original = WhiteboardEvents._mark

    async def held_mark(self: WhiteboardEvents, session_id: str, room: str,
                        marks: tuple[str, ...]) -> None:
        if not entered.is_set():
            entered.set()
            await release.wait()
        await original(self, session_id, room, marks)

    monkeypatch.setattr(WhiteboardEvents, "_mark", held_mark)
    sending = asyncio.ensure_future(ben.call("board_update", {
        "room": "main", "update": b.doc.get_update(), "generation": generation}))
    await asyncio.wait_for(entered.wait(), 10)

    async with api.http.delete(f"/api/sessions/{s['session_id']}/boards",
                               headers=AUTH) as resp:
        assert (await resp.json())["deleted"] is True
    release.set()
    ack = await sending

    async with api.http.get(f"/api/sessions/{s['session_id']}/boards/main",
                            headers=AUTH) as resp:
        body = await resp.json()
    # (no board at all: 404)
    items = body["items"] if resp.status == 200 else ({} if resp.status == 404 else body)
    fresh = Replica()
    await synced(ana, fresh)
    # refused (board_deleted), and nothing of the deleted board in the store or on the board
    assert (ack["ok"], items, fresh.view()) == (False, {}, {}), ack
