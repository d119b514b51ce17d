"""Where someone entered their room is kept in the session (``server.replay.events``), so that it
holds on whichever process their page lands: moved into a room while connected to one process,
back after a dropped connection on the other, they get what they missed, and nothing the room
said before they entered it."""

from __future__ import annotations

from typing import Any

from tests.server.cluster.apps import Node, member, new_session, ok
from tests.support import Api, Peer


def said(answer: dict[str, Any]) -> list[str]:
    return [e["payload"]["message"]["text"] for e in answer["events"] if e["event"] == "chat"]


async def test_an_entry_holds_on_the_process_a_page_comes_back_to(
        nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    s = await new_session(a)
    mia = await member(a, s, "mentor", "Mia")
    cleo = await member(b, s, "mentee", "Cleo")
    ben = await member(a, s, "mentee", "Ben")
    created = await ok(mia, "breakout_create", {"names": ["Pair A"]})
    room = created["breakouts"]["rooms"][0]["id"]
    await ok(mia, "breakout_assign", {"participant_id": cleo.id, "room": room})
    await ok(mia, "breakout_open", {"duration_seconds": 600})
    assert (await cleo.next("room_changed"))["room"]["id"] == room
    await ok(cleo, "chat", {"text": "before Ben came"})

    await ok(mia, "breakout_assign", {"participant_id": ben.id, "room": room})
    changed = await ben.next("room_changed")
    assert changed["room"]["id"] == room
    await ok(cleo, "chat", {"text": "while Ben is here"})
    seen = (await ben.next("chat"))["position"]
    await ben.close()
    await cleo.next("participant_left")
    await ok(cleo, "chat", {"text": "while Ben is away"})

    ben2: Peer = b.peer()
    await ben2.connect(Api.token(s["join_urls"]["mentee"]))
    ack = await ben2.join("Ben", resume=ben.resume)
    assert ack["participant"]["id"] == ben.id and ack["position"]["room"] == room
    asked = {k: seen[k] for k in ("room", "epoch", "offset")}
    assert said(await ok(ben2, "replay", asked)) == ["while Ben is away"]
    answer = await ok(ben2, "replay", {**asked, "offset": 0})
    assert said(answer) == ["while Ben is here", "while Ben is away"]
