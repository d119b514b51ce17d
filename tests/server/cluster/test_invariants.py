"""Two mentors on two processes give commands to one session at once: assignments, moves,
visits and chat, as fast as the limits allow. Afterwards both processes hold the same session,
everyone is in exactly one room, and the round's rooms say the same as the people."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from tests.server.cluster.conftest import Pair
from tests.server.cluster.test_two_processes import links, ok, person
from tests.support import Peer

ROUNDS = 40


async def observe(server_url: str, token: str, name: str) -> dict[str, Any]:
    """What a newcomer is told of the session through one process."""
    peer = Peer(server_url)
    await peer.connect(token)
    ack = await peer.join(name)
    await peer.close()
    return ack


def picture(ack: dict[str, Any], skip: set[str]) -> tuple[dict[str, str], dict[str, Any]]:
    rooms = {p["id"]: p["room"] for p in ack["participants"]
             if p["id"] not in skip and p["state"] == "connected"}
    return rooms, ack["breakouts"]


async def test_concurrent_commands_from_two_processes_keep_one_consistent_session(
        pair: Pair) -> None:
    mentor, mentee = await links(pair.a, "Busy", 20)
    ana = await person(pair.a, mentor, "Ana")
    max_ = await person(pair.b, mentor, "Max")
    mentees = [await person(pair.a if i % 2 else pair.b, mentee, f"M{i}") for i in range(6)]
    created = await ok(ana, "breakout_create", {"names": ["One", "Two", "Three"]})
    rooms = [r["id"] for r in created["breakouts"]["rooms"]]
    rng = random.Random(7)
    done: dict[str, int] = {"Ana": 0, "Max": 0}

    async def assign(mentor_peer: Peer) -> None:
        for _ in range(ROUNDS):
            who = rng.choice(mentees)
            ack = await mentor_peer.call("breakout_assign",
                                         {"participant_id": who.id, "room": rng.choice(rooms)})
            assert ack["ok"] or ack["error"]["code"] == "rate_limited", ack
            done[mentor_peer.participant["name"]] += ack["ok"]

    async def talk(peer: Peer) -> None:
        for i in range(8):
            ack = await peer.call("chat", {"text": f"{peer.id} {i}"})
            assert ack["ok"] or ack["error"]["code"] == "rate_limited", ack

    await asyncio.gather(assign(ana), assign(max_), *(talk(p) for p in mentees[:3]))
    await ok(ana, "breakout_open", {"duration_seconds": 600})

    async def move(mentor_peer: Peer) -> None:
        for _ in range(ROUNDS):
            who = rng.choice(mentees)
            # assigning during an open round moves the person there at once
            ack = await mentor_peer.call("breakout_assign",
                                         {"participant_id": who.id, "room": rng.choice(rooms)})
            assert ack["ok"] or ack["error"]["code"] == "rate_limited", ack
            done[mentor_peer.participant["name"]] += ack["ok"]

    async def visit(mentor_peer: Peer) -> None:
        for _ in range(ROUNDS // 4):
            ack = await mentor_peer.call("breakout_visit", {"room": rng.choice(rooms)})
            assert ack["ok"] or ack["error"]["code"] == "rate_limited", ack

    await asyncio.gather(move(ana), visit(max_), *(talk(p) for p in mentees[3:]))
    # both processes really gave commands to the session at the same time
    assert done["Ana"] >= ROUNDS and done["Max"] >= ROUNDS // 2, done
    # A barrier on each side: both processes have answered everything sent to them.
    for p in [ana, max_, *mentees]:
        await p.barrier()

    on_a = await observe(pair.a.url, mentee, "Observer A")
    on_b = await observe(pair.b.url, mentee, "Observer B")
    skip = {on_a["participant"]["id"], on_b["participant"]["id"]}
    rooms_a, round_a = picture(on_a, skip)
    rooms_b, round_b = picture(on_b, skip)
    # one session, whichever process is asked
    assert rooms_a == rooms_b
    assert {k: v for k, v in round_a.items() if k != "help"} == \
        {k: v for k, v in round_b.items() if k != "help"}
    # everyone in exactly one room, and the round's rooms agree with the people
    people = {p.id for p in [ana, max_, *mentees]}
    assert set(rooms_a) == people
    members: dict[str, list[str]] = {}
    for room in round_a["rooms"]:
        for member in room["members"]:
            members.setdefault(member, []).append(room["id"])
    for pid, room in rooms_a.items():
        if room == "main":
            assert pid not in members, (pid, members.get(pid))
        else:
            assert members.get(pid) == [room], (pid, room, members.get(pid))
    for p in [ana, max_, *mentees]:
        await p.close()
