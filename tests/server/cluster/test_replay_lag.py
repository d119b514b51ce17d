"""Who may read a room's history is asked of the session with every change kept so far
(``SessionStore.read_latest``): with several processes, the process answering a ``replay`` may
not have applied a move made elsewhere yet, while the history it reads is shared."""

from __future__ import annotations

from tests.server.cluster.apps import Held, Node, member, new_session, ok


async def test_a_person_moved_elsewhere_is_not_handed_what_their_old_room_said_after(
        nodes: tuple[Node, Node]) -> None:
    """Ben (on b) is moved out of a breakout room by the mentor (on a); the move is
    acknowledged, then Cleo says something in the room. b has not applied the move yet (its
    channel is held back, as under load): Ben's ``replay`` of the room is refused."""
    a, b = nodes
    s = await new_session(a)
    mia = await member(a, s, "mentor", "Mia")
    cleo = await member(a, s, "mentee", "Cleo")
    ben = await member(b, s, "mentee", "Ben")
    created = await ok(mia, "breakout_create", {"names": ["Pair A"]})
    room = created["breakouts"]["rooms"][0]["id"]
    for p in (ben, cleo):
        await ok(mia, "breakout_assign", {"participant_id": p.id, "room": room})
    await ok(mia, "breakout_open", {"duration_seconds": 600})
    assert (await ben.next("room_changed"))["room"]["id"] == room
    await cleo.next("room_changed")
    await ok(cleo, "chat", {"text": "said while Ben is here"})
    seen = (await ben.next("chat"))["position"]
    asked = {k: seen[k] for k in ("room", "epoch", "offset")}
    held = Held(b)
    held.hold()
    await ok(mia, "breakout_assign", {"participant_id": ben.id, "room": None})
    await ok(cleo, "chat", {"text": "said after Ben left"})
    # b still has Ben in the room (the move waits behind the held channel)
    assert await b.ctx.store.read(s["session_id"],
                                  lambda x: x.participants[ben.id].room) == room
    answer = await ben.call("replay", asked)
    assert not answer["ok"] and answer["error"]["code"] == "not_same_room", answer
    held.release()
    # b delivers the move to Ben once (it applied it for the replay's check, and skips it when
    # its channel brings it)
    moved = await ben.next("room_changed")
    assert moved["room"]["id"] != room
    await ok(mia, "chat", {"text": "in the main room"})
    # (the chat comes on the session's channel after the held move: b has handled it)
    assert (await ben.next("chat"))["message"]["text"] == "in the main room"
    assert ben.inbox["room_changed"].empty()


async def test_a_member_replays_as_before(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    s = await new_session(a)
    mia = await member(a, s, "mentor", "Mia")
    ben = await member(b, s, "mentee", "Ben")
    await ok(mia, "chat", {"text": "one"})
    seen = (await ben.next("chat"))["position"]
    await ok(mia, "chat", {"text": "two"})
    await ben.next("chat")
    answer = await ok(ben, "replay", {k: seen[k] for k in ("room", "epoch", "offset")})
    assert [e["payload"]["message"]["text"] for e in answer["events"]] == ["two"]
