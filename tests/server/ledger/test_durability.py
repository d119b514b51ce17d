"""Durability: the real server is killed with SIGKILL in the middle of a busy session. After a
restart on the same data directory, every record that was acknowledged to a client is in the
ledger, and the attendance derived from it is right."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from clients.server import ServerProcess
from tests.server.backends import Backend
from tests.support import Peer

ADMIN_KEY = "durability-admin-key-0123456789"
HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}
BUSY_PEERS = 6  # with Ana and Ben: the default maximum of 8 people
# Each busy peer cycles through these, paced to stay under every per-connection rate limit.
CYCLE = [("chat", None), ("speaking", {"speaking": True}), ("reaction", {"reaction": "heart"}),
         ("chat", None), ("speaking", {"speaking": False})]
PACE = 0.08


@pytest.fixture
async def server(tmp_path: Path, backend: Backend) -> AsyncIterator[ServerProcess]:
    """The real server, on SQLite in its data directory or on PostgreSQL (``--database``)."""
    async with ServerProcess(tmp_path / "data", admin_key=ADMIN_KEY, flags=backend.flags) as s:
        yield s


async def _json(http: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> Any:
    async with http.request(method, url, headers=HEADERS, **kw) as resp:
        text = await resp.text()
        assert resp.status < 300, (resp.status, text)
        return json.loads(text)


async def _busy(peer: Peer, name: str, acked: list[tuple[str, str]],
                stop: asyncio.Event) -> None:
    """Send events one after another; note each one the server acknowledged as recorded."""
    i = 0
    with contextlib.suppress(Exception):
        while not stop.is_set():
            event, payload = CYCLE[i % len(CYCLE)]
            text = f"{name}-{i}"
            ack = await peer.call(event, payload or {"text": text})
            assert ack.get("ok") and ack.get("recorded", True), ack
            acked.append((event, text if event == "chat" else ""))
            i += 1
            await asyncio.sleep(PACE)


async def test_sigkill_mid_session_loses_nothing_acknowledged(
    server: ServerProcess, backend: Backend
) -> None:
    async with aiohttp.ClientSession() as http:
        s = await _json(http, "POST", server.url + "/api/sessions", json={
            "title": "Durability", "keep_chat": True, "programme": "crash-test",
            "participants": [{"name": "Ana", "role": "mentor", "id": "ana"},
                             {"name": "Ben", "role": "mentee", "id": "ben"}]
                            + [{"name": f"Busy {i}", "role": "mentee", "id": f"busy-{i}"}
                               for i in range(BUSY_PEERS)],
        })
    sid = s["session_id"]
    links = {p["person_id"]: p["url"].split("#token=")[1] for p in s["personal_links"]}
    peers: dict[str, Peer] = {}
    joined_at: dict[str, float] = {}
    for person in ["ana", "ben", *[f"busy-{i}" for i in range(BUSY_PEERS)]]:
        peer = peers[person] = Peer(server.url)
        await peer.connect(links[person])
        before = time.time()
        ack = await peer.call("join", {"audio": True, "video": True})
        assert ack["ok"], ack
        joined_at[person] = (before + time.time()) / 2
        peer.participant = ack["participant"]
    try:
        ana, ben = peers["ana"], peers["ben"]
        assert (await ben.call("check_in", {"goal": "Survive the crash"}))["ok"]
        assert (await ben.call("speaking", {"speaking": True}))["ok"]
        await asyncio.sleep(0.5)
        assert (await ben.call("speaking", {"speaking": False}))["ok"]
        assert (await ben.call("check_out", {"rating": 5, "comment": "Solid"}))["ok"]
        assert (await ben.call("leave", {}))["ok"]
        ben_left = time.time()
        assert (await ana.call("reaction", {"reaction": "clap"}))["ok"]

        acked: dict[str, list[tuple[str, str]]] = {p: [] for p in peers if p.startswith("busy")}
        stop = asyncio.Event()
        tasks = [asyncio.create_task(_busy(peers[p], p, acked[p], stop)) for p in acked]
        await asyncio.sleep(2.0)
        last_ack_before_kill = time.time()
        server.kill()  # SIGKILL while the busy peers are mid-flight
        killed_at = time.time()
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 15)
    finally:
        for peer in peers.values():
            with contextlib.suppress(Exception):
                await peer.close()

    assert all(len(events) >= 10 for events in acked.values()), acked  # a busy session indeed
    print("acknowledged events before SIGKILL:", sum(len(e) for e in acked.values()))

    await server.restart_async()  # the same port and data directory
    async with aiohttp.ClientSession() as http:
        # The session is put back from the ledger, so its links still work; its records are kept.
        async with http.get(f"{server.url}/api/sessions/{sid}", headers=HEADERS) as resp:
            assert resp.status == 200
            assert (await resp.json())["title"] == "Durability"
        records = await _json(http, "GET", f"{server.url}/api/attendance/sessions/{sid}/export",
                              params={"format": "json", "view": "records"})
        report = await _json(http, "GET", f"{server.url}/api/attendance/sessions/{sid}")

    kept = {r["text"] for r in records if r["kind"] == "chat"}
    for person, events in acked.items():
        missing = [t for kind, t in events if kind == "chat" and t not in kept]
        assert not missing, f"{person}: acknowledged but lost: {missing}"
        for kind in ("speaking", "reaction"):
            in_ledger = sum(1 for r in records if r["person_id"] == person and r["kind"] == kind
                            and r["text"] != "server")
            assert in_ledger >= sum(1 for k, _ in events if k == kind), (person, kind)
    kinds = [(r["kind"], r["person_id"]) for r in records if r["person_id"] == "ben"]
    for expected in [("joined", "ben"), ("check_in", "ben"), ("speaking", "ben"),
                     ("check_out", "ben"), ("left", "ben")]:
        assert expected in kinds, (expected, kinds)

    people = {p["person_id"]: p for p in report["people"]}
    ben_row, ana_row = people["ben"], people["ana"]
    assert ben_row["check_in"] == "Survive the crash" and ben_row["rating"] == 5
    ben_minutes = (ben_left - joined_at["ben"]) / 60
    assert ben_row["minutes_present"] == pytest.approx(ben_minutes, abs=0.02)
    assert ben_row["speaking_minutes"] == pytest.approx(0.5 / 60, abs=0.01)
    # Ana was still in when the server died: her presence was closed at restart, at the last
    # moment the ledger knew it was alive (a commit or a heartbeat), not at the restart.
    restart_drops = [r for r in records if r["kind"] == "dropped" and r["text"] ==
                     "server_restart"]
    assert {r["person_id"] for r in restart_drops} == {"ana", *acked}
    ana_end = ana_row["last_leave"]
    assert last_ack_before_kill - 0.5 <= ana_end <= killed_at + 0.05, (
        ana_end, last_ack_before_kill, killed_at)
    assert ana_row["status"] == "attended" and ana_row["reactions"] == 1
    assert ana_row["minutes_present"] == pytest.approx((ana_end - joined_at["ana"]) / 60,
                                                       abs=0.02)
    # The server logged where its ledger is, and never the database's password (the lines of
    # the harness, which show the command it ran, left aside).
    log = "\n".join(line for line in server.log_path.read_text().splitlines()
                    if not line.startswith("--- start"))
    assert "attendance ledger and session journal:" in log
    if backend.password:
        assert backend.password not in log and ":***@" in log
