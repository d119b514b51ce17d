"""What a pair says and draws in a breakout room stays with that round: the next round's pair in
the room of the same name sees none of it (chat, board, pointers), and the mentor can still find
the earlier round's boards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import ADMIN_KEY, Api, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def ok(peer: Peer, event: str, data: Any = None) -> dict[str, Any]:
    ack = await peer.call(event, data or {})
    assert ack["ok"], (event, ack)
    return ack


async def joined(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
                 name: str) -> Peer:
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    await peer.join(name)
    return peer


async def test_round_two_sees_nothing_of_round_one(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    ana = await joined(api, peers, s, "mentor", "Ana")
    ben, cleo, dev, eli = [await joined(api, peers, s, "mentee", n)
                           for n in ("Ben", "Cleo", "Dev", "Eli")]

    # Round 1: Ben and Cleo in "Room 1"; they chat, draw and point.
    created = await ok(ana, "breakout_create", {"count": 1})
    room1 = created["breakouts"]["rooms"][0]["id"]
    assert room1 == "1:b1"
    for p in (ben, cleo):
        await ok(ana, "breakout_assign", {"participant_id": p.id, "room": room1})
    await ok(ana, "breakout_open", {})
    for p in (ben, cleo):
        assert (await p.next("room_changed"))["room"] == {"id": room1, "name": "Room 1"}
    await ok(ben, "chat", {"text": "round one, just between us"})
    drawing = Replica()
    await synced(ben, drawing, room1)
    drawing.stroke([1, 2, 3, 4])
    assert all(a["ok"] for a in await send(ben, drawing, room1))
    await ok(ben, "board_cursor", {"room": room1, "x": 10.0, "y": 20.0})
    assert (await cleo.next("board_cursors"))["cursors"][0]["from"] == ben.id
    await ok(ana, "breakout_close", {"countdown_seconds": 0})

    # Round 2: Dev and Eli in the room of the same name.
    created = await ok(ana, "breakout_create", {"count": 1})
    room2 = created["breakouts"]["rooms"][0]["id"]
    assert room2 == "2:b1" and created["breakouts"]["rooms"][0]["name"] == "Room 1"
    for p in (dev, eli):
        await ok(ana, "breakout_assign", {"participant_id": p.id, "room": room2})
    await ok(ana, "breakout_open", {})
    for p in (dev, eli):
        changed = await p.next("room_changed")
        assert changed["room"] == {"id": room2, "name": "Room 1"} and changed["chat"] == []
    fresh = Replica()
    ack = await synced(dev, fresh, room2)
    assert fresh.view() == {}
    # Round 1's board cannot be reached from round 2's room.
    refused = await dev.call("board_sync", {"room": room1, "state": b""})
    assert refused["error"]["code"] == "not_same_room"
    assert ack["room"]["id"] == room2
    # A rejoin in round 2's room brings its chat only.
    await ok(eli, "chat", {"text": "round two"})
    await dev.close()
    back = peers()
    await back.connect(api.token(s["join_urls"]["mentee"]))
    again = await back.join("Dev", resume=dev.resume)
    assert again["room"]["id"] == room2
    assert [m["text"] for m in again["chat"]] == ["round two"]
    for p in (back, eli):
        await p.barrier()
        for event in ("board_cursors", "board_update", "chat"):
            while not p.inbox[event].empty():
                got = p.inbox[event].get_nowait()
                room = got["room"] if event != "chat" else got["message"]["room"]
                assert room != room1, (event, got)

    # The mentor still finds round 1's board, named with its round.
    boards = {b["room"]: b for b in (await ok(ana, "board_list"))["boards"]}
    assert boards[room1]["name"] == "Room 1 (round 1)" and boards[room1]["items"] == 1
    assert boards[room2]["name"] == "Room 1 (round 2)" and boards[room2]["items"] == 0
    async with api.http.get(f"/api/sessions/{s['session_id']}/boards/{room1}",
                            headers=AUTH) as resp:
        assert resp.status == 200
        assert len((await resp.json())["items"]) == 1
