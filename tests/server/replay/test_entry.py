"""``replay`` hands a member of a room what it said since they entered it, never before: someone
moved into a room, back into it, or who left the session and joined again is answered from
where the room's history was as they entered (the position their ``join`` or ``room_changed``
gave), however early they ask; a page back after a dropped connection keeps the entry of its
stay, and gets what it missed. What the room said before is handed to a newcomer as on joining:
its chat is in the room's state (``room_changed``), its captions are not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.server.replay.test_replay import back, caption, chat, member, replay
from tests.support import Api, Peer


def said(answer: dict[str, Any]) -> list[str]:
    """The words of a ``replay`` answer's chat messages and caption lines, in order."""
    assert answer["ok"], answer
    out = []
    for e in answer["events"]:
        if e["event"] == "chat":
            out.append(e["payload"]["message"]["text"])
        elif e["event"] == "caption":
            out.append(e["payload"]["text"])
    return out


async def rooms(mia: Peer, placed: dict[Peer, str]) -> None:
    """Two breakout rooms, open, with each of ``placed`` in theirs."""
    assert (await mia.call("breakout_create", {"count": 2}))["ok"]
    for peer, room in placed.items():
        ack = await mia.call("breakout_assign", {"participant_id": peer.id, "room": room})
        assert ack["ok"], ack
    assert (await mia.call("breakout_open", {}))["ok"]


async def moved(peer: Peer, room: str) -> dict[str, Any]:
    """``peer``'s ``room_changed`` into ``room`` (those before it skipped)."""
    changed = await peer.next("room_changed")
    while changed["room"]["id"] != room:
        changed = await peer.next("room_changed")
    return changed


def start(changed_or_ack: dict[str, Any]) -> dict[str, Any]:
    """Offset 0 of the epoch a ``room_changed`` or ``join`` gave: everything the room keeps."""
    return {**changed_or_ack["position"], "offset": 0}


async def test_a_newcomer_is_handed_the_rooms_chat_but_not_its_captions_from_before(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    mia = await member(api, peers, s, "mentor", "Mia")
    ana = await member(api, peers, s, "mentee", "Ana")
    ben = await member(api, peers, s, "mentee", "Ben")
    carl = await member(api, peers, s, "captioner", "Carl")
    await rooms(mia, {ana: "1:b1", carl: "1:b1", ben: "1:b2"})
    await chat(ana, "typed before Ben came")
    await caption(carl, ana.id, "a1", "said before Ben came")

    assert (await mia.call("breakout_assign", {"participant_id": ben.id, "room": "1:b1"}))["ok"]
    changed = await moved(ben, "1:b1")
    assert [m["text"] for m in changed["chat"]] == ["typed before Ben came"]
    await chat(ana, "typed after")
    await caption(carl, ana.id, "a2", "said after")
    assert said(await replay(ben, start(changed))) == ["typed after", "said after"]
    assert said(await replay(ben, changed["position"])) == ["typed after", "said after"]


async def test_a_page_back_after_a_dropped_connection_keeps_its_entry_and_gets_what_it_missed(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await member(api, peers, s, "mentor", "Ana")
    carl = await member(api, peers, s, "captioner", "Carl")
    await caption(carl, ana.id, "a1", "before Ben")
    ben = await member(api, peers, s, "mentee", "Ben")
    await caption(carl, ana.id, "a2", "while Ben is here")
    line = await ben.next("caption")
    while "position" not in line:  # (a partial first)
        line = await ben.next("caption")
    seen = line["position"]
    await ben.close()
    await ana.next("participant_left")
    await caption(carl, ana.id, "a3", "while Ben is away")

    ben2, ack = await back(api, peers, s, "mentee", ben)
    assert said(await replay(ben2, seen)) == ["while Ben is away"]
    # From his first entry, not from where this connection joined: all of his stay.
    assert said(await replay(ben2, start(ack))) == ["while Ben is here", "while Ben is away"]


async def test_moving_out_and_back_or_leaving_and_joining_again_enters_anew(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    mia = await member(api, peers, s, "mentor", "Mia")
    ana = await member(api, peers, s, "mentee", "Ana")
    ben = await member(api, peers, s, "mentee", "Ben")
    carl = await member(api, peers, s, "captioner", "Carl")
    await rooms(mia, {ana: "1:b1", carl: "1:b1", ben: "1:b1"})
    await moved(ben, "1:b1")
    await caption(carl, ana.id, "a1", "while Ben is in")

    assert (await mia.call("breakout_assign", {"participant_id": ben.id, "room": "1:b2"}))["ok"]
    await moved(ben, "1:b2")
    await caption(carl, ana.id, "a2", "while Ben is in the other room")
    assert (await mia.call("breakout_assign", {"participant_id": ben.id, "room": "1:b1"}))["ok"]
    changed = await moved(ben, "1:b1")
    await caption(carl, ana.id, "a3", "once Ben is back")
    assert said(await replay(ben, start(changed))) == ["once Ben is back"]

    assert (await ben.call("leave", {}))["ok"]
    await caption(carl, ana.id, "a4", "while Ben is gone")
    ben2, ack = await back(api, peers, s, "mentee", ben)
    assert ack["participant"]["room"] == "1:b1"
    await caption(carl, ana.id, "a5", "once Ben has joined again")
    assert said(await replay(ben2, start(ack))) == ["once Ben has joined again"]


async def test_a_mentor_visiting_a_room_is_not_handed_what_it_said_before(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    mia = await member(api, peers, s, "mentor", "Mia")
    ana = await member(api, peers, s, "mentee", "Ana")
    carl = await member(api, peers, s, "captioner", "Carl")
    await rooms(mia, {ana: "1:b1", carl: "1:b1"})
    await caption(carl, ana.id, "a1", "before the visit")
    assert (await mia.call("breakout_visit", {"room": "1:b1"}))["ok"]
    changed = await moved(mia, "1:b1")
    await caption(carl, ana.id, "a2", "during the visit")
    assert said(await replay(mia, start(changed))) == ["during the visit"]
