"""A restart keeps join links working: sessions come back from the session journal as they
were, and people coming back with their resume credential keep their identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from rooms.commands import Join, ServerRestarted
from rooms.roles import Role
from rooms.roster import SessionPlan, WaitingRoom
from rooms.session import Session
from server.app import create_app
from server.sessions.lifecycle import _has_connections
from server.settings import Settings
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import ADMIN_KEY, Clock, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def post(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(url + path, json=body or {},
                                                         headers=AUTH) as resp:
        assert resp.status in (200, 201), await resp.text()
        data: dict[str, Any] = await resp.json()
        return data


async def test_links_and_identities_survive_a_restart(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock
) -> None:
    first = await aiohttp_server(create_app(settings, clock=clock))
    url = str(first.make_url("")).rstrip("/")
    s = await post(url, "/api/sessions", {"title": "Kept across restarts", "goal": "Plan"})
    ended = await post(url, "/api/sessions", {"title": "Over before the restart"})
    await post(url, f"/api/sessions/{ended['session_id']}/end")
    token = s["join_urls"]["mentee"].split("#token=")[1]
    ben = Peer(url)
    await ben.connect(token)
    await ben.join("Ben")
    await ben.close()
    await first.close()

    clock.now += 60
    second = await aiohttp_server(create_app(settings, clock=clock))
    url2 = str(second.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.get(
        f"{url2}/api/sessions/{s['session_id']}", headers=AUTH
    ) as resp:
        assert resp.status == 200
        got = await resp.json()
    assert (got["title"], got["goal"], got["state"]) == ("Kept across restarts", "Plan", "live")
    # Ben had left before the restart: he is still known, as someone who left.
    assert [(p["name"], p["state"]) for p in got["participants"]] == [("Ben", "disconnected")]
    back = Peer(url2)
    await back.connect(token)
    ack = await back.join("Ben", resume=ben.resume)
    assert ack["participant"]["id"] == ben.id
    await back.close()

    late = Peer(url2)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await late.connect(ended["join_urls"]["mentee"].split("#token=")[1])
    assert late.connect_error["code"] == "session_ended"
    await second.close()


async def test_a_restart_keeps_the_round_its_deadline_chat_hands_and_boards(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock
) -> None:
    first = await aiohttp_server(create_app(settings, clock=clock))
    url = str(first.make_url("")).rstrip("/")
    s = await post(url, "/api/sessions", {"title": "Group", "participants": [
        {"name": "Ana", "role": "mentor", "id": "ana-1"}]})
    mentor_token = s["personal_links"][0]["url"].split("#token=")[1]
    mentee_token = s["join_urls"]["mentee"].split("#token=")[1]
    ana, ben, cleo = Peer(url), Peer(url), Peer(url)
    await ana.connect(mentor_token)
    await ana.join()
    for peer, name in ((ben, "Ben"), (cleo, "Cleo")):
        await peer.connect(mentee_token)
        await peer.join(name)
    assert (await ben.call("check_in", {"goal": "Plan my first month"}))["ok"]
    assert (await ana.call("chat", {"text": "Welcome, everyone"}))["ok"]
    assert (await ana.call("breakout_create", {"names": ["Pair A"]}))["ok"]
    assert (await ana.call("breakout_assign", {"participant_id": ben.id, "room": "1:b1"}))["ok"]
    opened = await ana.call("breakout_open", {"duration_seconds": 600})
    ends_at = opened["breakouts"]["ends_at"]
    assert ends_at == clock.now + 600
    assert (await ben.call("chat", {"text": "Kept in the breakout"}))["ok"]
    assert (await ben.call("hand", {"raised": True}))["recorded"]
    assert (await cleo.call("hand", {"raised": True}))["recorded"]
    drawing = Replica()
    await synced(ben, drawing, "1:b1")
    drawing.stroke([1, 2, 3, 4])
    assert all(a["ok"] for a in await send(ben, drawing, "1:b1"))
    assert (await ana.call("board_show", {"room": "1:b1"}))["ok"]
    await first.close()

    clock.now += 30
    second = await aiohttp_server(create_app(settings, clock=clock))
    url2 = str(second.make_url("")).rstrip("/")
    for peer in (ana, ben, cleo):
        await peer.close()
    back: dict[str, dict[str, Any]] = {}
    again: dict[str, Peer] = {}
    for peer, token, name in ((ana, mentor_token, "Ana"), (ben, mentee_token, "Ben"),
                              (cleo, mentee_token, "Cleo")):
        again[name] = Peer(url2)
        await again[name].connect(token)
        back[name] = await again[name].join(name, resume=peer.resume)
        assert back[name]["participant"]["id"] == peer.id and back[name]["rejoined"]
    # Ben is back in his breakout room with its chat; the round and its deadline are as before.
    b = back["Ben"]
    assert b["room"] == {"id": "1:b1", "name": "Pair A"}
    assert [m["text"] for m in b["chat"]] == ["Kept in the breakout"]
    assert b["breakouts"]["state"] == "open" and b["breakouts"]["ends_at"] == ends_at
    assert b["check_in"] == {"goal": "Plan my first month", "at": clock.now - 30,
                             "shared": False}
    # Hands are where they were raised (Ben's in his room, Cleo's in the main room).
    hands = {p["name"]: p["hand_raised_at"] for p in b["participants"]}
    assert hands["Ben"] is not None and hands["Cleo"] is not None and hands["Ana"] is None
    assert [m["text"] for m in back["Cleo"]["chat"]] == ["Welcome, everyone"]
    # The board, and the board on show in the main room.
    copy = Replica()
    await synced(again["Ben"], copy, "1:b1")
    assert copy.view() == drawing.view()
    shown = await again["Ana"].call("board_sync", {"room": "main", "state": b""})
    assert shown["shown"]["room"] == "1:b1"
    # The timer goes on from the same deadline: past it, everyone comes back.
    clock.now = ends_at + 11
    moved = await again["Ben"].next("room_changed", timeout=5)
    assert moved["room"]["id"] == "main"
    for peer in again.values():
        await peer.close()
    await second.close()


async def test_a_chat_sent_again_after_a_restart_is_posted_once(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock
) -> None:
    """The server went down between posting a message and answering: the page sends it again
    to the next process, which knows it from the journal."""
    first = await aiohttp_server(create_app(settings, clock=clock))
    url = str(first.make_url("")).rstrip("/")
    s = await post(url, "/api/sessions", {"title": "Kept across restarts"})
    token = s["join_urls"]["mentee"].split("#token=")[1]
    ben = Peer(url)
    await ben.connect(token)
    await ben.join("Ben")
    posted = await ben.call("chat", {"text": "Are you there?", "client_id": "p4-1"})
    await ben.close()
    await first.close()

    clock.now += 5
    second = await aiohttp_server(create_app(settings, clock=clock))
    back = Peer(str(second.make_url("")).rstrip("/"))
    await back.connect(token)
    await back.join("Ben", resume=ben.resume)
    assert await back.call("chat", {"text": "Are you there?", "client_id": "p4-1"}) == posted
    assert (await back.call("chat", {"text": "Hello?", "client_id": "p4-2"}))["message"]["id"] == 2
    await back.close()
    await second.close()


def test_someone_left_waiting_by_a_crash_does_not_keep_the_session_in_use() -> None:
    """A start applies ``ServerRestarted`` to a session whose only person was waiting (their
    connection went with the process): left there, the waiter kept the session in use for ever,
    out of the retention rule's reach."""
    s = Session.create(session_id="s1", title="T", max_participants=8, now=0.0,
                       plan=SessionPlan(waiting_room=WaitingRoom.EVERYONE))
    Join(connection_id="c-g", role=Role.MENTEE, name="Guest", new_participant_id="g",
         audio=False, video=False, at=1.0).apply(s)
    assert s.waiting and s.last_used() == float("inf")
    assert _has_connections(s)  # so the start applies it
    ServerRestarted(5.0).apply(s)
    assert not s.waiting and s.last_used() == 0.0  # its creation: nobody came in
