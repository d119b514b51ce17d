"""The real server killed with SIGKILL in the middle of a breakout round: started again on the
same data directory, it has every session as it was. Everyone who rejoins is in the same room,
with every chat message that was acknowledged, the raised hands and the round's deadline."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from clients.admin import join_token
from clients.server import ServerProcess
from tests.server.backends import Backend
from tests.support import Peer, eventually

ADMIN_KEY = "sigkill-admin-key-0123456789"
PACE = 0.25  # each talker's chat pace: under the chat limit of 5 per second


@pytest.fixture
async def server(tmp_path: Path, backend: Backend) -> AsyncIterator[ServerProcess]:
    """The real server, on SQLite in its data directory or on PostgreSQL (``--database``)."""
    async with ServerProcess(tmp_path / "data", admin_key=ADMIN_KEY, flags=backend.flags) as s:
        yield s


async def ok(peer: Peer, event: str, data: object = None) -> dict[str, Any]:
    ack = await peer.call(event, data or {})
    assert ack["ok"], (event, ack)
    return ack


async def talk(peer: Peer, name: str, acked: list[str], stop: asyncio.Event) -> None:
    """Chat until stopped (or until the server dies); note every message acknowledged."""
    i = 0
    with contextlib.suppress(Exception):
        while not stop.is_set():
            text = f"{name} {i}"
            if (await peer.call("chat", {"text": text}))["ok"]:
                acked.append(text)
            i += 1
            await asyncio.sleep(PACE)


def t_name(peer: Peer, back: dict[str, dict[str, Any]]) -> str:
    return str(back[peer.id]["participant"]["name"])


async def test_sigkill_keeps_every_acknowledged_change(server: ServerProcess) -> None:
    async with server.admin_async() as api:
        s = await api.create_session(title="Group", max_participants=8)
    mentor_token = join_token(s["join_urls"]["mentor"])
    mentee_token = join_token(s["join_urls"]["mentee"])
    ana = Peer(server.url)
    await ana.connect(mentor_token)
    await ana.join("Ana")
    mentees = []
    for name in ("Ben", "Cleo", "Dev", "Eli"):
        peer = Peer(server.url)
        await peer.connect(mentee_token)
        await peer.join(name)
        mentees.append(peer)
    ben, cleo, dev, eli = mentees
    created = await ok(ana, "breakout_create", {"names": ["Pair A", "Pair B"]})
    rooms = [r["id"] for r in created["breakouts"]["rooms"]]
    for peer, room in zip(mentees, [rooms[0], rooms[0], rooms[1], rooms[1]], strict=True):
        await ok(ana, "breakout_assign", {"participant_id": peer.id, "room": room})
    opened = await ok(ana, "breakout_open", {"duration_seconds": 1800})
    ends_at = opened["breakouts"]["ends_at"]
    await ok(ben, "hand", {"raised": True})
    await ok(dev, "check_in", {"goal": "Practise interviews"})

    acked: dict[str, list[str]] = {p.id: [] for p in mentees}
    stop = asyncio.Event()
    talkers = [asyncio.ensure_future(talk(p, n, acked[p.id], stop))
               for p, n in zip(mentees, ("Ben", "Cleo", "Dev", "Eli"), strict=True)]
    await eventually(lambda: min(len(a) for a in acked.values()) >= 6, timeout=10,
                     what="every talker's first messages to be acknowledged")
    server.kill()  # mid-stream: some messages are on their way, unacknowledged
    killed = time.monotonic()
    stop.set()
    await asyncio.gather(*talkers)
    for peer in (ana, *mentees):
        await peer.close()

    await server.restart_async()
    back: dict[str, dict[str, Any]] = {}
    again = []
    for peer, token, name in ((ana, mentor_token, "Ana"), (ben, mentee_token, "Ben"),
                              (cleo, mentee_token, "Cleo"), (dev, mentee_token, "Dev"),
                              (eli, mentee_token, "Eli")):
        fresh = Peer(server.url)
        await fresh.connect(token)
        back[peer.id] = await fresh.join(name, resume=peer.resume)
        again.append(fresh)
    everyone_back = time.monotonic() - killed
    print(f"\nkill -9 to everyone back in their rooms: {everyone_back:.2f} s "
          f"(server start included)")
    try:
        for peer, room in zip(mentees, [rooms[0], rooms[0], rooms[1], rooms[1]], strict=True):
            ack = back[peer.id]
            assert ack["participant"]["id"] == peer.id and ack["room"]["id"] == room
            history = [m["text"] for m in ack["chat"]]
            # every message acknowledged in this room is there, each talker's in order
            for talker in mentees:
                if back[talker.id]["room"]["id"] != room:
                    continue
                mine = [t for t in history if t.split()[0] == t_name(talker, back)]
                assert mine[:len(acked[talker.id])] == acked[talker.id], talker.id
            assert ack["breakouts"]["state"] == "open"
            assert ack["breakouts"]["ends_at"] == ends_at
        hands = {p["id"]: p["hand_raised_at"] for p in back[ben.id]["participants"]}
        assert hands[ben.id] is not None and hands[cleo.id] is None
        assert back[dev.id]["check_in"]["goal"] == "Practise interviews"
        assert back[ana.id]["room"]["id"] == "main"
    finally:
        for peer in again:
            await peer.close()
