"""People of one session connected to two different processes see each other, chat, move
through breakouts and are timed as if on one; what one process does, the other sees."""

from __future__ import annotations

from typing import Any

from clients.admin import join_token
from clients.server import ServerProcess
from tests.server.cluster.conftest import Pair
from tests.support import Peer


async def ok(peer: Peer, event: str, data: object = None) -> dict[str, Any]:
    ack = await peer.call(event, data or {})
    assert ack["ok"], (event, ack)
    return ack


async def links(server: ServerProcess, title: str, size: int = 8) -> tuple[str, str]:
    """A new session's mentor and mentee join tokens (made through ``server``)."""
    async with server.admin_async() as api:
        s = await api.create_session(title=title, max_participants=size)
    return join_token(s["join_urls"]["mentor"]), join_token(s["join_urls"]["mentee"])


async def person(server: ServerProcess, token: str, name: str) -> Peer:
    peer = Peer(server.url)
    await peer.connect(token)
    await peer.join(name)
    return peer


async def test_people_on_two_processes_meet_and_chat(pair: Pair) -> None:
    mentor, mentee = await links(pair.a, "Across")
    ana = await person(pair.a, mentor, "Ana")  # on process a
    ben = Peer(pair.b.url)  # on process b, a session made on a
    await ben.connect(mentee)
    ack = await ben.join("Ben")
    joined = await ana.next("participant_joined")
    assert joined["participant"]["id"] == ben.id
    # Ben, joining through b, was told of Ana (who joined through a) in his acknowledgement
    assert ana.id in {p["id"] for p in ack["participants"]}
    await ok(ben, "chat", {"text": "hello from b"})
    got = await ana.next("chat")
    assert got["message"]["text"] == "hello from b"
    mine = await ben.next("chat")
    assert mine["message"]["id"] == got["message"]["id"]
    await ok(ana, "chat", {"text": "hello from a"})
    assert (await ben.next("chat"))["message"]["text"] == "hello from a"
    assert (await ana.next("chat"))["message"]["text"] == "hello from a"
    # nothing arrives twice: after a barrier on each, no other chat is waiting
    await ana.nothing("chat")
    await ben.nothing("chat")
    for p in (ana, ben):
        await p.close()


async def test_a_move_made_on_one_process_is_seen_on_the_other(pair: Pair) -> None:
    mentor, mentee = await links(pair.a, "Rooms")
    ana = await person(pair.a, mentor, "Ana")
    ben = await person(pair.b, mentee, "Ben")
    cleo = await person(pair.a, mentee, "Cleo")
    created = await ok(ana, "breakout_create", {"names": ["Pair A"]})
    room = created["breakouts"]["rooms"][0]["id"]
    await ok(ana, "breakout_assign", {"participant_id": ben.id, "room": room})
    await ok(ana, "breakout_assign", {"participant_id": cleo.id, "room": room})
    await ok(ana, "breakout_open", {"duration_seconds": 600})
    # Ben, on the other process, is moved: his socket is switched to the room's chat there
    changed = await ben.next("room_changed")
    assert changed["room"]["id"] == room
    await ok(ben, "chat", {"text": "in the breakout"})
    assert (await cleo.next("chat"))["message"]["text"] == "in the breakout"
    # the mentor, in the main room on a, does not get the breakout's chat
    await ana.nothing("chat")
    for p in (ana, ben, cleo):
        await p.close()


async def test_the_breakout_timer_closes_once(pair: Pair) -> None:
    mentor, mentee = await links(pair.a, "Timed")
    ana = await person(pair.a, mentor, "Ana")
    ben = await person(pair.b, mentee, "Ben")
    cleo = await person(pair.a, mentee, "Cleo")
    created = await ok(ana, "breakout_create", {"names": ["Pair A"]})
    room = created["breakouts"]["rooms"][0]["id"]
    for p in (ben, cleo):
        await ok(ana, "breakout_assign", {"participant_id": p.id, "room": room})
    await ok(ana, "breakout_open", {"duration_seconds": 60})
    for p in (ben, cleo):
        assert (await p.next("room_changed"))["room"]["id"] == room
    # both processes hold the session and keep a timer of the round: the countdown's end is
    # acted on by whichever comes first, once
    await ok(ana, "breakout_close", {"countdown_seconds": 2})
    # brought back once each: exactly one move back to the main room per person
    for p in (ben, cleo):
        back = await p.next("room_changed", timeout=30)
        assert back["room"]["id"] == "main"
    for p in (ana, ben, cleo):
        await p.nothing("room_changed")
    moves: list[Any] = []
    while not ana.inbox["participant_moved"].empty():
        moves.append(ana.inbox["participant_moved"].get_nowait())
    back_to_main = [m for m in moves if m["participant"]["room"] == "main"]
    assert sorted(m["participant"]["id"] for m in back_to_main) == sorted([ben.id, cleo.id])
    for p in (ana, ben, cleo):
        await p.close()


async def test_killed_process_people_rejoin_through_the_other(pair: Pair) -> None:
    mentor, mentee = await links(pair.a, "Failover")
    ana = await person(pair.a, mentor, "Ana")
    ben = await person(pair.b, mentee, "Ben")
    before = await ok(ben, "chat", {"text": "before", "client_id": "b7-1"})
    assert (await ana.next("chat"))["message"] == before["message"]
    pair.b.kill()
    # Ben's process is gone: the other process notices and Ana sees him leave
    left = await ana.next("participant_left", timeout=30)
    assert left["participant_id"] == ben.id
    # Ben comes back through the other process with his resume credential: same participant
    again = Peer(pair.a.url)
    await again.connect(mentee)
    ack = await again.join("Ben", resume=ben.resume)
    assert ack["participant"]["id"] == ben.id
    chat = [m["text"] for m in ack["chat"]]
    assert chat == ["before"]
    # His page, which may not have heard the answer, sends it again: the other process knows it.
    assert await again.call("chat", {"text": "before", "client_id": "b7-1"}) == before
    await ana.nothing("chat")
    await ana.close()
    await again.close()


async def test_a_client_of_a_killed_process_gets_what_it_missed_from_the_other(pair: Pair) -> None:
    """Ben's process is killed; while he is away the room chats through the other process; he
    reconnects there and his ``replay`` from the last position he saw returns exactly the
    missed messages, in order, once each; the next live message follows on."""
    mentor, mentee = await links(pair.a, "Replay")
    ana = await person(pair.a, mentor, "Ana")
    ben = await person(pair.b, mentee, "Ben")
    await ok(ana, "chat", {"text": "seen by Ben"})
    seen = (await ben.next("chat"))["position"]
    pair.b.kill()
    sent = ["one", "two", "three"]
    for text in sent:
        await ok(ana, "chat", {"text": text})
    back = Peer(pair.a.url)
    await back.connect(mentee)
    ack = await back.join("Ben", resume=ben.resume)
    answer = await back.call("replay", {k: seen[k] for k in ("room", "epoch", "offset")})
    assert answer["ok"], answer
    got = [(e["event"], e["payload"]["message"]["text"], e["payload"]["position"]["offset"])
           for e in answer["events"]]
    assert got == [("chat", text, seen["offset"] + i) for i, text in enumerate(sent, start=1)]
    assert answer["position"] == ack["position"]
    await ok(ana, "chat", {"text": "live again"})
    live = await back.next("chat")
    assert (live["message"]["text"], live["position"]["offset"]) == ("live again",
                                                                    seen["offset"] + 4)
    await back.nothing("chat")
    await ana.close()
    await back.close()
