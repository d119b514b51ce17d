"""Breakout rooms through the real socket path: a mentor and several mentees, each a real
python-socketio client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.support import ADMIN_KEY, Api, Clock, Peer, eventually

OFFER = {"type": "offer", "sdp": "v=0\r\n"}


async def group(api: Api, peers: Callable[[], Peer], n: int = 4,
                **session: Any) -> tuple[dict[str, Any], Peer, list[Peer]]:
    s = await api.create_session(max_participants=n + 3, **session)
    mentor = peers()
    await mentor.connect(api.token(s["join_urls"]["mentor"]))
    await mentor.join("Mentor")
    mentees = []
    for i in range(n):
        p = peers()
        await p.connect(api.token(s["join_urls"]["mentee"]))
        await p.join(f"Mentee {i}")
        mentees.append(p)
    return s, mentor, mentees


async def ok(peer: Peer, event: str, data: Any = None) -> dict[str, Any]:
    ack = await peer.call(event, data if data is not None else {})
    assert ack["ok"], ack
    return ack


async def drain(peer: Peer, event: str) -> list[Any]:
    got = []
    while not peer.inbox[event].empty():
        got.append(peer.inbox[event].get_nowait())
    return got


async def pairs_in_rooms(mentor: Peer, mentees: list[Peer]) -> None:
    await ok(mentor, "breakout_create", {"names": ["Pair A", "Pair B"]})
    for i, p in enumerate(mentees[:4]):
        room = "1:b1" if i < 2 else "1:b2"
        await ok(mentor, "breakout_assign", {"participant_id": p.id, "room": room})
    await ok(mentor, "breakout_open", {})


async def test_open_moves_pairs_and_media_and_chat_stay_in_rooms(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, mentor, (a, b, c, d) = await group(api, peers)
    await pairs_in_rooms(mentor, [a, b, c, d])
    for peer, room in ((a, "Pair A"), (b, "Pair A"), (c, "Pair B"), (d, "Pair B")):
        changed = await peer.next("room_changed")
        assert changed["room"]["name"] == room and changed["chat"] == []
    moved = [await mentor.next("participant_moved") for _ in range(4)]
    assert {(m["participant"]["id"], m["from_room"], m["participant"]["room"]) for m in moved} == {
        (a.id, "main", "1:b1"), (b.id, "main", "1:b1"), (c.id, "main", "1:b2"),
        (d.id, "main", "1:b2")}
    # signalling only within a room
    assert (await a.call("signal", {"to": b.id, "description": OFFER}))["ok"]
    assert (await b.next("signal"))["from"] == a.id
    refused = await a.call("signal", {"to": c.id, "description": OFFER})
    assert refused["error"]["code"] == "not_same_room"
    refused = await mentor.call("signal", {"to": a.id, "description": OFFER})
    assert refused["error"]["code"] == "not_same_room"
    # chat only within a room
    await ok(a, "chat", {"text": "just us"})
    assert (await b.next("chat"))["message"]["text"] == "just us"
    await c.nothing("chat")
    await mentor.nothing("chat")


async def test_mentee_gets_not_allowed(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, (a, *_rest) = await group(api, peers, n=1)
    for event, data in [("breakout_create", {"count": 2}), ("breakout_open", {}),
                        ("breakout_auto_assign", {}), ("breakout_close", {}),
                        ("breakout_broadcast", {"text": "x"})]:
        ack = await a.call(event, data)
        assert ack["ok"] is False
        assert ack["error"]["code"] in {"not_allowed", "illegal_transition"}, (event, ack)
    ack = await a.call("breakout_create", {"count": 2})
    assert ack["error"]["code"] == "not_allowed"
    assert "mentors" in ack["error"]["message"]
    await ok(mentor, "breakout_create", {"count": 2})
    ack = await a.call("breakout_open", {})
    assert ack["error"]["code"] == "not_allowed"


@pytest.mark.parametrize(
    ("event", "data", "code"),
    [
        ("breakout_create", {"count": 0}, "invalid_payload"),
        ("breakout_create", {"count": 51}, "invalid_payload"),
        ("breakout_create", {"count": "two"}, "invalid_payload"),
        ("breakout_create", {"names": ["A", "A"]}, "invalid_payload"),
        ("breakout_create", {}, "invalid_payload"),
        ("breakout_open", {}, "illegal_transition"),
        ("breakout_assign", {"participant_id": "x"}, "invalid_payload"),
        ("breakout_adjust", {"add_seconds": 99999}, "invalid_payload"),
        ("breakout_visit", {"room": "1:b1"}, "illegal_transition"),
        ("help_request", {"please": True}, "invalid_payload"),
    ],
)
async def test_bad_breakout_commands(api: Api, peers: Callable[[], Peer], event: str,
                                     data: dict[str, Any], code: str) -> None:
    _, mentor, _ = await group(api, peers, n=1)
    ack = await mentor.call(event, data)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack


async def test_auto_assign_balances_everyone_but_the_mentor(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, mentor, mentees = await group(api, peers, n=5)
    await ok(mentor, "breakout_create", {"count": 2})
    ack = await ok(mentor, "breakout_auto_assign")
    rooms = ack["breakouts"]["rooms"]
    sizes = sorted(len(r["assigned"]) for r in rooms)
    assert sizes == [2, 3]
    assigned = {pid for r in rooms for pid in r["assigned"]}
    assert assigned == {p.id for p in mentees}


async def test_participants_choose_when_allowed(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, (a, b) = await group(api, peers, n=2)
    await ok(mentor, "breakout_create", {"count": 2})
    assert (await a.call("breakout_choose", {"room": "1:b2"}))["error"]["code"] == "not_allowed"
    await ok(mentor, "breakout_discard")
    await ok(mentor, "breakout_create", {"count": 2, "allow_choice": True})
    await ok(a, "breakout_choose", {"room": "2:b2"})
    await ok(mentor, "breakout_open", {})
    assert (await a.next("room_changed"))["room"]["id"] == "2:b2"
    await b.nothing("room_changed")


async def test_broadcast_reaches_every_room(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, mentees = await group(api, peers)
    await pairs_in_rooms(mentor, mentees)
    await ok(mentor, "breakout_broadcast", {"text": "Five minutes left"})
    for peer in [mentor, *mentees]:
        message = (await peer.next("chat"))["message"]
        assert message["text"] == "Five minutes left" and message["broadcast"] is True
        await peer.nothing("chat")


async def test_a_broadcast_and_a_time_change_sent_again_with_their_ids_apply_once(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor, mentees = await group(api, peers)
    await ok(mentor, "breakout_create", {"names": ["Pair A", "Pair B"]})
    for i, p in enumerate(mentees):
        await ok(mentor, "breakout_assign", {"participant_id": p.id, "room": f"1:b{i // 2 + 1}"})
    opened = await ok(mentor, "breakout_open", {"duration_seconds": 600})
    ends_at = opened["breakouts"]["ends_at"]
    await ok(mentor, "breakout_broadcast", {"text": "Wrap up", "client_id": "pg3-1"})
    extended = await ok(mentor, "breakout_adjust", {"add_seconds": 300, "client_id": "pg3-2"})
    assert extended["breakouts"]["ends_at"] == ends_at + 300
    for p in mentees:
        assert (await p.next("chat"))["message"]["text"] == "Wrap up"
    # The mentor's page lost its connection before both answers: it rejoins and sends both again.
    await mentor.close()
    again = peers()
    await again.connect(api.token(s["join_urls"]["mentor"]))
    await again.join("Mentor", resume=mentor.resume)
    await ok(again, "breakout_broadcast", {"text": "Wrap up", "client_id": "pg3-1"})
    same = await ok(again, "breakout_adjust", {"add_seconds": 300, "client_id": "pg3-2"})
    assert same["breakouts"]["ends_at"] == ends_at + 300
    for bad, code in (("", "invalid_payload"), ("x" * 41, "payload_too_large"),
                      ("a b", "invalid_payload"), (3, "invalid_payload")):
        for event, data in (("breakout_broadcast", {"text": "hi"}),
                            ("breakout_adjust", {"add_seconds": 60})):
            refused = await again.call(event, {**data, "client_id": bad})
            assert refused["error"]["code"] == code, (event, bad)
    # A barrier: another broadcast, with a new id, is posted; once every mentee has it, the one
    # sent again would have arrived before it.
    await ok(again, "breakout_broadcast", {"text": "Back soon", "client_id": "pg3-3"})
    for p in mentees:
        assert (await p.next("chat"))["message"]["text"] == "Back soon"
        await p.nothing("chat")
    assert (await ok(again, "breakout_adjust", {"add_seconds": -60}))["breakouts"][
        "ends_at"] == ends_at + 240


async def test_help_request_visit_and_overview(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, (a, b, c, d) = await group(api, peers)
    await pairs_in_rooms(mentor, [a, b, c, d])
    await drain(mentor, "breakouts")
    await ok(c, "help_request")
    overview = (await mentor.next("breakouts"))["breakouts"]
    assert [(h["participant_id"], h["room"]) for h in overview["help"]] == [(c.id, "1:b2")]
    assert {r["id"]: set(r["members"]) for r in overview["rooms"]} == {
        "1:b1": {a.id, b.id}, "1:b2": {c.id, d.id}}
    await ok(mentor, "breakout_visit", {"room": "1:b2"})
    changed = await mentor.next("room_changed")
    assert changed["room"] == {"id": "1:b2", "name": "Pair B"}
    latest = (await ok(mentor, "breakout_visit", {"room": "1:b2"}))["breakouts"]
    assert latest["help"] == []
    assert (await mentor.call("signal", {"to": c.id, "description": OFFER}))["ok"]
    await ok(mentor, "breakout_visit", {"room": "main"})
    assert (await mentor.next("room_changed"))["room"]["id"] == "main"


async def test_reconnect_returns_to_the_same_breakout_with_its_chat(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor, (a, b, c, d) = await group(api, peers)
    await pairs_in_rooms(mentor, [a, b, c, d])
    await ok(a, "chat", {"text": "in pair A"})
    await a.close()
    back = peers()
    await back.connect(api.token(s["join_urls"]["mentee"]))
    ack = await back.join("Mentee 0", resume=a.resume)
    assert ack["participant"]["id"] == a.id and ack["participant"]["room"] == "1:b1"
    assert ack["room"] == {"id": "1:b1", "name": "Pair A"}
    assert [m["text"] for m in ack["chat"]] == ["in pair A"]
    assert ack["breakouts"]["state"] == "open"
    assert (await back.call("signal", {"to": b.id, "description": OFFER}))["ok"]


async def test_late_joiner_goes_to_main_and_mentor_reload_keeps_state(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor, mentees = await group(api, peers)
    await pairs_in_rooms(mentor, mentees)
    late = peers()
    await late.connect(api.token(s["join_urls"]["mentee"]))
    ack = await late.join("Late")
    assert ack["participant"]["room"] == "main" and ack["room"]["id"] == "main"
    await mentor.close()
    again = peers()
    await again.connect(api.token(s["join_urls"]["mentor"]))
    ack = await again.join("Mentor", resume=mentor.resume)
    assert ack["breakouts"]["state"] == "open"
    assert [r["name"] for r in ack["breakouts"]["rooms"]] == ["Pair A", "Pair B"]
    await ok(again, "breakout_close", {"countdown_seconds": 0})


async def test_close_brings_everyone_back(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, mentees = await group(api, peers)
    await pairs_in_rooms(mentor, mentees)
    for p in mentees:
        await p.next("room_changed")
    ack = await ok(mentor, "breakout_close", {"countdown_seconds": 0})
    assert ack["breakouts"]["state"] == "closed"
    for p in mentees:
        assert (await p.next("room_changed"))["room"]["id"] == "main"
    a, b, c, _ = mentees
    assert (await a.call("signal", {"to": c.id, "description": OFFER}))["ok"]
    assert (await mentor.call("signal", {"to": a.id, "description": OFFER}))["ok"]


async def test_timer_warns_and_closes_on_its_own(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    _, mentor, mentees = await group(api, peers, n=2)
    await ok(mentor, "breakout_create", {"count": 1})
    await ok(mentor, "breakout_auto_assign")
    ack = await ok(mentor, "breakout_open", {"duration_seconds": 120})
    assert ack["breakouts"]["ends_at"] == clock.now + 120
    for p in mentees:
        await p.next("room_changed")
    clock.now += 61  # one minute left
    warning = await mentees[0].next("breakout_warning", timeout=5)
    assert warning["seconds_left"] == pytest.approx(59)
    await mentor.next("breakout_warning")
    clock.now += 60  # time is up: closing countdown
    closing = None
    while closing is None or closing["state"] != "closing":
        closing = (await mentor.next("breakouts", timeout=5))["breakouts"]
    assert closing["closing_ends_at"] == pytest.approx(clock.now - 1 + 10)
    clock.now += 10
    for p in mentees:
        assert (await p.next("room_changed", timeout=5))["room"]["id"] == "main"


async def test_extend_moves_the_deadline(api: Api, peers: Callable[[], Peer],
                                         clock: Clock) -> None:
    _, mentor, _ = await group(api, peers, n=1)
    await ok(mentor, "breakout_create", {"count": 1})
    ends = (await ok(mentor, "breakout_open", {"duration_seconds": 300}))["breakouts"]["ends_at"]
    ack = await ok(mentor, "breakout_adjust", {"add_seconds": 120})
    assert ack["breakouts"]["ends_at"] == ends + 120
    ack = await ok(mentor, "breakout_adjust", {"add_seconds": -60})
    assert ack["breakouts"]["ends_at"] == ends + 60


async def test_groups_from_rest_become_rooms(api: Api, peers: Callable[[], Peer]) -> None:
    s, mentor, (a, b) = await group(api, peers, n=2)
    async with api.http.put(
        f"/api/sessions/{s['session_id']}/groups",
        json={"groups": [{"name": "Pair 1", "members": ["Mentee 0", "Mentor"]},
                         {"name": "Pair 2", "members": [b.id, "Not here yet"]}]},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    ) as resp:
        assert resp.status == 200
    ack = await ok(mentor, "breakout_create", {"from_groups": True})
    rooms = ack["breakouts"]["rooms"]
    assert [(r["name"], set(r["assigned"])) for r in rooms] == [
        ("Pair 1", {a.id, mentor.id}), ("Pair 2", {b.id})]
    await ok(mentor, "breakout_open", {})
    late = peers()
    await late.connect(api.token(s["join_urls"]["mentee"]))
    ack = await late.join("not here YET")
    assert ack["participant"]["room"] == "1:b2" and ack["room"]["name"] == "Pair 2"


async def test_groups_rest_validation(api: Api, http: aiohttp.ClientSession) -> None:
    s = await api.create_session(groups=[{"name": "G", "members": ["a"]}])
    async with http.put(f"/api/sessions/{s['session_id']}/groups",
                        json={"groups": [{"name": "G", "members": []}]},
                        headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_payload"
    async with http.put("/api/sessions/nope/groups", json={"groups": []},
                        headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
        assert resp.status == 404


async def test_timer_task_stops_when_no_deadline_is_left(
    api: Api, peers: Callable[[], Peer], server: Any
) -> None:
    from server.app import CONTEXT

    _, mentor, _ = await group(api, peers, n=1)
    await ok(mentor, "breakout_create", {"count": 1})
    await ok(mentor, "breakout_open", {"duration_seconds": 120})
    gateway = server.app[CONTEXT].gateway
    assert len(gateway.tasks) == 1
    await ok(mentor, "breakout_close", {"countdown_seconds": 0})
    await eventually(lambda: not gateway.tasks, what="the timer task to end")


async def test_mentors_see_who_speaks_in_every_room(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    mentor = peers()
    await mentor.connect(api.token(s["join_urls"]["mentor"]))
    await mentor.join("Mentor")
    talkers = []
    for name in ("A", "B"):
        p = peers()
        await p.connect(api.token(s["join_urls"]["mentee"]))
        await p.join(name, audio=True)
        talkers.append(p)
    a, b = talkers
    await ok(mentor, "breakout_create", {"count": 1})
    await ok(mentor, "breakout_assign", {"participant_id": a.id, "room": "1:b1"})
    await ok(mentor, "breakout_open", {})
    await ok(a, "speaking", {"speaking": True})
    assert await mentor.next("participant_speaking") == {"participant_id": a.id,
                                                          "speaking": True}
    await ok(a, "speaking", {"speaking": False})
    assert (await mentor.next("participant_speaking"))["speaking"] is False
    await b.nothing("participant_speaking")  # mentees are not told
    await a.nothing("participant_speaking")
