"""Missed events after a reconnect, with real socket clients: a page that dropped asks for what
its room said meanwhile (chat, final captions, board updates) and gets exactly that, in order;
the history's bounds (events, age, bytes), history_gone, bad input, who may read a room's
history, and deletion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from rooms.room import MAIN_ROOM
from server.app import CONTEXT
from server.history import MemoryHistory
from server.settings import HistoryBounds, Settings
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import ADMIN_KEY, Api, Clock, Peer, eventually

REPLAYABLE = ("chat", "board_update", "caption")


@pytest.fixture
def history_bounds() -> HistoryBounds:
    return HistoryBounds()


@pytest.fixture
def settings(settings: Settings, history_bounds: HistoryBounds) -> Settings:
    return replace(settings, history=history_bounds)


async def member(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
                 name: str, **extra: Any) -> Peer:
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    await peer.join(name, **extra)
    return peer


async def back(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
               gone: Peer) -> tuple[Peer, dict[str, Any]]:
    """``gone``'s person reconnecting on a new connection, as themselves."""
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    ack = await peer.join(gone.participant["name"], resume=gone.resume)
    assert ack["participant"]["id"] == gone.id
    return peer, ack


async def drained(peer: Peer) -> list[tuple[str, dict[str, Any]]]:
    """Every replayable event ``peer`` has received so far, in offset order (after a barrier)."""
    await peer.barrier()
    got = []
    for event in REPLAYABLE:
        queue = peer.inbox[event]
        while not queue.empty():
            payload = queue.get_nowait()
            if "position" in payload:  # caption partials carry none
                got.append((event, payload))
    return sorted(got, key=lambda item: item[1]["position"]["offset"])


async def replay(peer: Peer, position: dict[str, Any]) -> dict[str, Any]:
    return await peer.call("replay", {k: position[k] for k in ("room", "epoch", "offset")})


async def chat(peer: Peer, text: str) -> dict[str, Any]:
    ack = await peer.call("chat", {"text": text})
    assert ack["ok"], ack
    return ack


async def caption(captioner: Peer, speaker_id: str, utterance: str, text: str) -> None:
    for final in (False, True):
        ack = await captioner.call("caption_text", {"speaker_id": speaker_id, "text": text,
                                                    "utterance": utterance, "final": final})
        assert ack["ok"], ack


async def test_a_client_that_reconnects_gets_exactly_what_it_missed_in_order(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    ben = await member(api, peers, s, "mentee", "Ben")
    cap = await member(api, peers, s, "captioner", "Carl")
    await chat(ana, "Before the drop")
    before = (await ben.next("chat"))["position"]
    assert before["room"] == "main" and before["offset"] >= 1

    await ben.close()
    await ana.next("participant_left")
    # Meanwhile the room chats, draws and is captioned.
    await chat(ana, "One")
    board = Replica()
    await synced(ana, board)
    board.stroke([1, 2, 3, 4], author=ana.id)
    assert [a["ok"] for a in await send(ana, board)] == [True]
    await caption(cap, ana.id, "u1", "I would like to talk about my essay")
    await chat(cap, "Two")
    # What the room received live, as the captioner (in the room throughout) saw it.
    live = await drained(cap)
    missed = [(e, p) for e, p in live if p["position"]["offset"] > before["offset"]]
    assert [e for e, _ in missed] == ["chat", "board_update", "caption", "chat"]
    offsets = [p["position"]["offset"] for _, p in missed]
    assert offsets == list(range(before["offset"] + 1, before["offset"] + 5))
    assert {p["position"]["epoch"] for _, p in live} == {before["epoch"]}

    ben2, ack = await back(api, peers, s, "mentee", ben)
    assert ack["position"] == {**before, "offset": offsets[-1]}
    answer = await replay(ben2, before)
    assert answer["ok"], answer
    # Exactly the missed events, each once, in order, each as it was sent live.
    assert [(r["event"], r["payload"]) for r in answer["events"]] == missed
    assert answer["position"] == ack["position"] and answer["more"] is False
    assert answer["events"][2]["payload"]["text"] == "I would like to talk about my essay"
    assert isinstance(answer["events"][1]["payload"]["update"], bytes)
    # Nothing more to replay, and what comes next arrives live with the next offset.
    again = await replay(ben2, answer["position"])
    assert again["ok"] and again["events"] == []
    await chat(ana, "After")
    after = await ben2.next("chat")
    assert after["position"]["offset"] == offsets[-1] + 1
    await ben2.nothing("chat")


async def test_another_epoch_is_history_gone_and_a_bad_position_is_refused(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    await chat(ana, "Hello")
    position = (await ana.next("chat"))["position"]
    gone = await replay(ana, {**position, "epoch": "0" * 16})
    assert gone["error"]["code"] == "history_gone", gone
    for bad in ({**position, "offset": "1"}, {**position, "offset": -1},
                {**position, "offset": 2**53}, {**position, "offset": 2**63},
                {**position, "offset": 1.5}, {**position, "offset": None},
                {**position, "epoch": ""},
                {**position, "epoch": 7}, {**position, "room": ""},
                {**position, "offset": position["offset"] + 1},  # ahead of the room
                {**position, "extra": 1}, {"room": "main"}, ["main", 1]):
        ack = await ana.call("replay", bad)
        assert ack["error"]["code"] == "invalid_payload", (bad, ack)
    ack = await ana.call("replay", {**position, "epoch": "e" * 65})
    assert ack["error"]["code"] == "payload_too_large", ack
    ack = await ana.call("replay", {**position, "room": "9:b9"})
    assert ack["error"]["code"] == "not_same_room", ack
    # 1.0 is the whole number 1 (JSON clients may send either).
    ack = await ana.call("replay", {**position, "offset": float(position["offset"])})
    assert ack["ok"] and ack["events"] == [], ack


async def test_before_join_replay_is_refused(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    ack = await peer.call("replay", {"room": "main", "epoch": "x", "offset": 0})
    assert ack["error"]["code"] == "not_joined"


@pytest.mark.parametrize("history_bounds", [HistoryBounds(events=3)])
async def test_a_room_keeps_its_last_events_only(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    start = (await ana.call("replay", {"room": "main", "epoch": "x", "offset": 0}))
    assert start["error"]["code"] == "history_gone"
    positions = []
    for n in range(5):
        await chat(ana, f"m{n}")
        positions.append((await ana.next("chat"))["position"])
    first = positions[0]
    # Offsets 3, 4, 5 are kept: from 2 on the answer is whole, before it the history is gone.
    assert (await replay(ana, {**first, "offset": 1}))["error"]["code"] == "history_gone"
    kept = await replay(ana, {**first, "offset": 2})
    assert [e["payload"]["message"]["text"] for e in kept["events"]] == ["m2", "m3", "m4"]


@pytest.mark.parametrize("history_bounds", [HistoryBounds(seconds=600)])
async def test_events_older_than_the_age_bound_are_gone(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    await chat(ana, "old one")
    one = (await ana.next("chat"))["position"]
    await chat(ana, "old two")
    two = (await ana.next("chat"))["position"]
    clock.now += 599
    assert len((await replay(ana, one))["events"]) == 1  # not yet too old
    clock.now += 2
    await chat(ana, "new")
    three = (await ana.next("chat"))["position"]
    assert (await replay(ana, one))["error"]["code"] == "history_gone"
    # Whoever had seen "old two" missed nothing that is gone.
    answer = await replay(ana, two)
    assert [e["payload"]["message"]["text"] for e in answer["events"]] == ["new"]
    assert answer["position"] == three


@pytest.mark.parametrize("history_bounds", [HistoryBounds(bytes=8 * 1024)])
async def test_the_history_holds_at_most_its_bytes_dropping_the_oldest_first(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    history = server.app[CONTEXT].history
    assert isinstance(history, MemoryHistory)
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    positions = []
    for n in range(10):
        await chat(ana, f"{n} " + "x" * 1000)
        positions.append((await ana.next("chat"))["position"])
        assert history.stats()["bytes"] <= 8 * 1024
    answers = [await replay(ana, {**positions[0], "offset": p["offset"] - 1}) for p in positions]
    whole = [i for i, a in enumerate(answers) if a["ok"]]
    # The newest are kept, the oldest gone: a suffix of the messages, and more than one.
    assert whole and whole == list(range(whole[0], 10)) and whole[0] >= 2 and len(whole) >= 2
    texts = [e["payload"]["message"]["text"][:1] for e in answers[whole[0]]["events"]]
    assert texts == [str(n) for n in range(whole[0], 10)]


async def test_a_breakout_rooms_history_is_for_its_members_only(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    ben = await member(api, peers, s, "mentee", "Ben")
    cleo = await member(api, peers, s, "mentee", "Cleo")
    assert (await ana.call("breakout_create", {"count": 2}))["ok"]
    for peer, room in ((ben, "1:b1"), (cleo, "1:b2")):
        ack = await ana.call("breakout_assign", {"participant_id": peer.id, "room": room})
        assert ack["ok"], ack
    assert (await ana.call("breakout_open", {}))["ok"]
    moved = await ben.next("room_changed")
    assert moved["room"]["id"] == "1:b1" and moved["position"]["room"] == "1:b1"
    await cleo.next("room_changed")
    await chat(ben, "Only for room one")
    said = (await ben.next("chat"))["position"]
    assert said["offset"] == moved["position"]["offset"] + 1
    for outsider in (cleo, ana):  # the other room's mentee, and the mentor in the main room
        ack = await replay(outsider, {**said, "offset": 0})
        assert ack["error"]["code"] == "not_same_room", ack
        await outsider.nothing("chat")
    mine = await replay(ben, {**said, "offset": moved["position"]["offset"]})
    assert [e["payload"]["message"]["text"] for e in mine["events"]] == ["Only for room one"]


async def test_a_sessions_history_goes_when_it_ends_and_on_deletion(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    history = server.app[CONTEXT].history
    one, two = await api.create_session(), await api.create_session()
    ana = await member(api, peers, one, "mentor", "Ana")
    ben = await member(api, peers, two, "mentee", "Ben")
    cleo = await member(api, peers, two, "mentee", "Cleo")
    await chat(ana, "private words")
    await chat(ben, "more private words")
    position = (await cleo.next("chat"))["position"]
    assert set(await history.sessions()) == {one["session_id"], two["session_id"]}
    # Deleting a participant drops their session's history (they are sent away): the others'
    # pages resynchronise.
    async with api.http.delete(
        f"/api/attendance/sessions/{two['session_id']}/participants/{ben.id}",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    ) as resp:
        assert resp.status == 200, await resp.text()
    assert (await ben.next("removed"))["code"] == "removed"
    assert two["session_id"] not in await history.sessions()
    assert (await replay(cleo, position))["error"]["code"] == "history_gone"
    # An ended session's history goes at once.
    async with api.http.post(f"/api/sessions/{one['session_id']}/end",
                             headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
        assert resp.status == 200
    await eventually(lambda: ana.disconnected.is_set())
    assert one["session_id"] not in await history.sessions()


async def test_the_retention_rule_keeps_the_history_of_a_session_made_while_it_runs(
    api: Api, peers: Callable[[], Peer], server: TestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = server.app[CONTEXT]
    listed = ctx.store.session_ids
    made: dict[str, Any] = {}

    async def listed_then_made() -> list[str]:
        ids = await listed()
        if not made:  # a session made, and talked in, once the store's list is taken
            made.update(await api.create_session())
            ana = await member(api, peers, made, "mentor", "Ana")
            await chat(ana, "new words")
            made["position"] = await ctx.history.position(made["session_id"], MAIN_ROOM)
        return ids

    monkeypatch.setattr(ctx.store, "session_ids", listed_then_made)
    # the replay feature's part of the rule (other features list the store's sessions too)
    expired = next(f for f in ctx.erasure.expired if "ReplayEvents" in f.__qualname__)
    await expired(ctx.clock() - 365 * 86400.0)
    assert made["position"].offset > 0
    assert await ctx.history.position(made["session_id"], MAIN_ROOM) == made["position"]
