"""The whiteboard through the real socket path: pycrdt replicas (the browser's document shape)
behind real python-socketio clients."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.settings import Settings
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import ADMIN_KEY, Api, Clock, Peer, eventually

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def member(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
                 name: str) -> tuple[Peer, Replica]:
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    await peer.join(name)
    replica = Replica()
    await synced(peer, replica)
    return peer, replica


async def relayed(peer: Peer, replica: Replica) -> dict[str, Any]:
    got: dict[str, Any] = await peer.next("board_update")
    replica.receive(got["update"])
    return got


async def converge(peer: Peer, replica: Replica, room: str = "main") -> None:
    """Apply what the room relays until the replica holds everything the server's board held
    once every change sent so far was acknowledged (one sync tells what that is)."""
    whole = await peer.call("board_sync", {"room": room, "state": b""})
    server = Replica()
    server.receive(whole["update"])

    def complete() -> bool:
        while not peer.inbox["board_update"].empty():
            replica.receive(peer.inbox["board_update"].get_nowait()["update"])
        return replica.view() == server.view()

    await eventually(complete, what="the relayed updates to reach the replica")


async def test_a_stroke_reaches_the_room_and_a_late_joiner_gets_the_whole_board(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    stroke = a.stroke([1, 2, 3, 4])
    assert [ack["ok"] for ack in await send(ana, a)] == [True]
    got = await relayed(ben, b)
    assert got["from"] == [ana.id] and got["room"] == "main"
    assert b.view()[stroke]["points"] == [1.0, 2.0, 3.0, 4.0]
    await ana.nothing("board_update")  # the sender is not sent its own change
    b.extend(stroke, [5, 6])
    rect = b.shape("rect", 10, 10, 50, 30)
    await send(ben, b)
    await converge(ana, a)
    # Someone arriving late (or reloading) gets the whole board in the sync acknowledgement.
    cal, c = await member(api, peers, s, "mentee", "Cal")
    assert c.view() == a.view() == b.view()
    assert c.view()[stroke]["points"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert c.view()[rect]["type"] == "rect"
    # Without a state vector, the sync is the whole board.
    whole = await cal.call("board_sync", {"room": "main"})
    fresh = Replica()
    fresh.receive(whole["update"])
    assert fresh.view() == c.view()


async def test_concurrent_edits_converge_through_the_server(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session(max_participants=6)
    people = [await member(api, peers, s, "mentee", f"P{i}") for i in range(4)]
    first = people[0][1].stroke([0, 0])
    await send(people[0][0], people[0][1])
    for peer, replica in people[1:]:
        await relayed(peer, replica)
    # Everyone edits at once, including the same item, before seeing anyone else's change.
    for i, (_, replica) in enumerate(people):
        replica.stroke([i, i, i + 1, i + 1])
        replica.move(first, i, -i)
        replica.extend(first, [float(i)])
    await asyncio.gather(*(send(peer, replica) for peer, replica in people))
    for peer, replica in people:
        await converge(peer, replica)
    views = [replica.view() for _, replica in people]
    assert all(v == views[0] for v in views) and len(views[0]) == 5
    async with aiohttp.ClientSession() as http:
        url = api.server.make_url(f"/api/sessions/{s['session_id']}/boards/main")
        async with http.get(url, headers=AUTH) as resp:
            assert resp.status == 200
            assert (await resp.json())["items"] == views[0]


async def test_garbage_is_refused_and_the_board_stays_intact_for_everyone(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    a.stroke([1, 1, 2, 2])
    await send(ana, a)
    await relayed(ben, b)
    good = a.take() or [b""]
    garbage = [os.urandom(40), b"\x01\x02\x03", b"\x00" * 10, b"\xff" * 200]
    for junk in garbage:
        ack = await ben.call("board_update", {"room": "main", "update": junk})
        assert ack == {"ok": False, "error": {"code": "invalid_payload",
                                              "message": ack["error"]["message"]}}, ack
    # A valid update creating a top-level type the board does not have is refused too.
    stray = Replica()
    stray.doc.get("evil", type=__import__("pycrdt").Array).append(1)
    ack = await ben.call("board_update", {"room": "main", "update": stray.take()[0]})
    assert ack["error"]["code"] == "invalid_payload"
    # Not bytes at all, or no update: the schema refuses them.
    for bad in ({"room": "main", "update": "text"}, {"room": "main"}, {"room": "main",
                                                                      "update": [1, 2]}):
        assert (await ben.call("board_update", bad))["error"]["code"] == "invalid_payload"
    await ana.nothing("board_update")
    late, c = await member(api, peers, s, "mentee", "Cal")
    assert c.view() == a.view() == b.view() and len(c.view()) == 1
    # And the board still takes good changes.
    b.shape("ellipse", 1, 2, 3, 4)
    assert all(ack["ok"] for ack in await send(ben, b))
    await relayed(ana, a)
    assert len(a.view()) == 2 and good


async def test_roles_observers_watch_and_only_mentors_clear(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    obs, o = await member(api, peers, s, "observer", "Olu")
    ack = await synced(obs, Replica())
    assert (ack["can_draw"], ack["can_clear"]) == (False, False)
    o.stroke([1, 1])
    assert (await send(obs, o))[0]["error"]["code"] == "not_allowed"
    b.stroke([2, 2])
    await send(ben, b)
    await relayed(obs, o)
    assert (await ben.call("board_clear", {"room": "main"}))["error"]["code"] == "not_allowed"
    assert (await ben.call("board_list", {}))["error"]["code"] == "not_allowed"
    watcher = Replica()
    await synced(obs, watcher)
    assert list(watcher.view()) == list(b.view())
    # Cursors: batched, with names, never stored; observers may point too.
    assert (await obs.call("board_cursor", {"room": "main", "x": 10.5, "y": 20}))["ok"]
    assert (await ben.call("board_cursor", {"room": "main", "x": 1, "y": 2}))["ok"]
    batch = await ana.next("board_cursors")
    assert {(c["name"], c["x"]) for c in batch["cursors"]} == {("Olu", 10.5), ("Ben", 1.0)}
    bad = await ben.call("board_cursor", {"room": "main", "x": 1, "y": None})
    assert bad["error"]["code"] == "invalid_payload"


async def test_each_room_has_its_own_board_and_breakout_boards_can_be_shown_in_main(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session(max_participants=6)
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    cal, c = await member(api, peers, s, "mentee", "Cal")
    a.shape("rect", 0, 0, 5, 5)
    await send(ana, a)
    await relayed(ben, b)
    await relayed(cal, c)
    assert (await ana.call("breakout_create", {"names": ["Pair A"]}))["ok"]
    assert (await ana.call("breakout_assign", {"participant_id": ben.id, "room": "1:b1"}))["ok"]
    assert (await ana.call("breakout_open", {}))["ok"]
    assert (await ben.next("room_changed"))["room"]["id"] == "1:b1"
    # A change made for the old room's board after the move is refused, not put on the new one.
    b.shape("ellipse", 1, 1, 1, 1)
    assert (await send(ben, b))[0]["error"]["code"] == "not_same_room"
    # The breakout's board starts empty and is only the breakout's.
    b1 = Replica()
    ack = await synced(ben, b1, "1:b1")
    assert ack["room"] == {"id": "1:b1", "name": "Pair A"} and b1.view() == {}
    b1.stroke([7, 7, 8, 8])
    assert (await send(ben, b1, "1:b1"))[0]["ok"]
    await cal.nothing("board_update")
    await ana.nothing("board_update")
    assert len(c.view()) == 1
    # Back in main, the mentor lists the boards and shows the breakout's to the main room.
    assert (await ana.call("breakout_close", {"countdown_seconds": 0}))["ok"]
    listed = await ana.call("board_list", {})
    assert [(x["room"], x["name"], x["items"]) for x in listed["boards"]] == [
        ("main", "Main room", 1), ("1:b1", "Pair A (round 1)", 1)]
    assert (await ana.call("board_show", {"room": "1:b1"}))["ok"]
    shown = await cal.next("board_shown")
    view = Replica()
    view.receive(shown["shown"]["update"])
    assert shown["shown"]["name"] == "Pair A" and list(view.view().values())[0]["points"] == [
        7.0, 7.0, 8.0, 8.0]
    assert (await ana.call("board_show", {"room": "1:b9"}))["error"]["code"] == "invalid_payload"
    assert (await ana.call("board_show", {"room": None}))["ok"]
    assert (await cal.next("board_shown")) == {"shown": None}


async def test_undo_reverts_only_ones_own_change(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    mine = a.stroke([1, 1, 2, 2])
    await send(ana, a)
    await relayed(ben, b)
    theirs = b.shape("rect", 0, 0, 3, 3)
    await send(ben, b)
    await relayed(ana, a)
    a.move(mine, 5, 5)
    await send(ana, a)
    await relayed(ben, b)
    assert a.undo.undo()  # undoes Ana's move, not Ben's rectangle
    assert a.undo.undo()  # and then Ana's stroke
    await send(ana, a)
    await converge(ben, b)
    assert set(b.view()) == set(a.view()) == {theirs}
    assert a.undo.redo()
    await send(ana, a)
    await relayed(ben, b)
    assert b.view()[mine]["points"] == [1.0, 1.0, 2.0, 2.0] and b.view() == a.view()


async def test_boards_persist_across_a_restart_and_reopen_for_the_pairs_next_session(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock,
    tmp_path: Path,
) -> None:
    roster = [{"name": "Ana", "role": "mentor", "id": "ana-1"},
              {"name": "Ben", "role": "mentee", "id": "ben-2"}]

    async def start() -> TestServer:
        return await aiohttp_server(create_app(settings, clock=clock))

    server = await start()
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        api = Api(http, server)
        s = await api.create_session(participants=roster)
        peer = Peer(str(server.make_url("/")))
        await peer.connect(api.token(s["personal_links"][0]["url"]))
        await peer.join()
        r = Replica()
        await synced(peer, r)
        for i in range(40):  # enough to be compacted at least once on the way
            r.stroke([i + j / 7 for j in range(1000)])
        assert all(ack["ok"] for ack in await send(peer, r))
        await peer.close()
    await server.close()
    files = {p.name for p in (tmp_path / "whiteboards" / s["session_id"]).iterdir()}
    assert {"main.snap", "main.log", "meta.json"} <= files

    # A new process over the same data directory: the session comes back with it.
    server = await start()
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        api = Api(http, server)
        async with http.get(f"/api/sessions/{s['session_id']}/boards/main", headers=AUTH) as resp:
            assert (await resp.json())["items"] == r.view()
        again = Peer(str(server.make_url("/")))
        await again.connect(api.token(s["join_urls"]["mentee"]))
        await again.join("Ben")
        back = Replica()
        await synced(again, back)
        assert back.view() == r.view() and len(back.view()) == 40
        # The same pair's next session opens with their board.
        nxt = await api.create_session(participants=roster)
        third = Peer(str(server.make_url("/")))
        await third.connect(api.token(nxt["personal_links"][1]["url"]))
        await third.join()
        reopened = Replica()
        await synced(third, reopened)
        assert reopened.view() == r.view()
        # But another pair's session does not.
        other = await api.create_session(participants=[
            {"name": "Ana", "role": "mentor", "id": "ana-1"},
            {"name": "Dee", "role": "mentee", "id": "dee-3"}])
        fourth = Peer(str(server.make_url("/")))
        await fourth.connect(api.token(other["personal_links"][1]["url"]))
        await fourth.join()
        assert (await synced(fourth, Replica()))["update"] == Replica().doc.get_update()
        async with http.get(f"/api/sessions/{s['session_id']}/boards", headers=AUTH) as resp:
            listing = await resp.json()
        assert listing["boards"][0]["room"] == "main" and listing["pair_key"].startswith("pair-")
        async with http.delete(f"/api/sessions/{s['session_id']}/boards", headers=AUTH) as resp:
            assert (await resp.json())["deleted"] is True
        async with http.get(f"/api/sessions/{s['session_id']}/boards/main", headers=AUTH) as resp:
            assert resp.status == 404
        async with http.get(f"/api/sessions/{s['session_id']}/boards/main") as resp:
            assert resp.status == 401
        for p in (again, third, fourth):
            await p.close()
    await server.close()



async def test_a_board_outlives_its_session(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    a.shape("arrow", 10, 10, 100, 40)
    assert (await send(ana, a))[0]["ok"]
    async with api.http.post(f"/api/sessions/{s['session_id']}/end", headers=AUTH) as resp:
        assert resp.status == 200
    async with api.http.get(f"/api/sessions/{s['session_id']}/boards/main",
                            headers=AUTH) as resp:
        body = await resp.json()
    assert body["items"] == a.view() and body["name"] == "Main room"
    assert resp.headers["Content-Disposition"].startswith("attachment")


async def test_the_pages_showing_a_deleted_board_are_told_to_drop_it(
        api: Api, peers: Callable[[], Peer]) -> None:
    """An admin deletes a session's boards while its people have them open: each page is told
    (``board_deleted``), so that its copy is not sent back when it syncs again; a page that
    syncs afresh then finds an empty board."""
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    a.shape("arrow", 10, 10, 100, 40)
    assert (await send(ana, a))[0]["ok"]
    b.receive((await ben.next("board_update"))["update"])
    assert b.view() == a.view()
    async with api.http.delete(f"/api/sessions/{s['session_id']}/boards",
                               headers=AUTH) as resp:
        assert (await resp.json())["deleted"] is True
    assert await ana.next("board_deleted") == {"room": None}
    assert await ben.next("board_deleted") == {"room": None}
    assert (await synced(ben, Replica()))["update"] == Replica().doc.get_update()
