"""Joining while the room goes on: what the room says while someone's join is under way reaches
them exactly once (in the join's state, live or by replay), and someone moved while their join
is under way enters the room they are in now, not the one they joined into."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestServer

from rooms.commands import Join
from server.app import CONTEXT
from tests.server.replay.test_replay import chat, member, replay
from tests.support import Api, Peer


async def test_a_message_said_while_someone_joins_reaches_them_once(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    await chat(ana, "Before")
    history = server.app[CONTEXT].history
    real = history.position
    said: list[str] = []

    async def position(session_id: str, room: str) -> Any:
        # The first time the server looks up where the room's history is for Ben's join, Ana
        # says something (a message landing at that moment).
        if not said:
            said.append("While Ben joins")
            await chat(ana, said[0])
        return await real(session_id, room)

    history.position = position
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    ack = await ben.join("Ben")
    history.position = real
    assert said
    await ben.barrier()
    live = []
    while not ben.inbox["chat"].empty():
        live.append(ben.inbox["chat"].get_nowait()["message"]["text"])
    replayed = await replay(ben, ack["position"])
    assert replayed["ok"], replayed
    seen = ([m["text"] for m in ack["chat"]] + live
            + [e["payload"]["message"]["text"] for e in replayed["events"]])
    assert seen.count("While Ben joins") == 1, seen
    assert seen.count("Before") == 1, seen


async def test_someone_moved_while_their_join_is_under_way_enters_the_room_they_are_in(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    s = await api.create_session()
    mia = await member(api, peers, s, "mentor", "Mia")
    ana = await member(api, peers, s, "mentee", "Ana")
    created = await mia.call("breakout_create", {"count": 2})
    assert created["ok"], created
    pair_room = created["breakouts"]["rooms"][0]["id"]
    assert (await mia.call("breakout_assign", {"participant_id": ana.id, "room": pair_room}))["ok"]
    assert (await mia.call("breakout_open", {}))["ok"]
    assert (await ana.next("room_changed"))["room"]["id"] == pair_room
    store = server.app[CONTEXT].store
    real: Callable[..., Awaitable[Any]] = store.update
    moved: list[str] = []

    async def update(session_id: str, command: Any) -> Any:
        applied = await real(session_id, command)
        if isinstance(command, Join) and not moved:
            # Mia moves Ben to Ana's room the moment his join is applied, before the server
            # has put his connection in his room.
            ben_id = applied.value.participant.id
            moved.append(ben_id)
            ack = await mia.call("breakout_assign", {"participant_id": ben_id, "room": pair_room})
            assert ack["ok"], ack
        return applied

    store.update = update
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    ack = await ben.join("Ben")
    store.update = real
    assert moved == [ben.id]
    assert ack["room"]["id"] == pair_room and ack["position"]["room"] == pair_room
    # What the main room says does not reach him; what his room says does.
    await chat(mia, "To the main room")
    await chat(ana, "To the pair")
    got = await ben.next("chat")
    assert got["message"]["text"] == "To the pair"
    await ben.nothing("chat")
