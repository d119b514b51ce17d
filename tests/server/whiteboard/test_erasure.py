"""Whiteboards in deletion requests and the retention rule, through the real server: REST, real
socket clients drawing, and the files under ``<data dir>/whiteboards``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.settings import Settings
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import ADMIN_KEY, Api, Clock, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
ANA = {"name": "Ana", "role": "mentor", "id": "ana-1"}
BEN = {"name": "Ben", "role": "mentee", "id": "ben-2"}
DEE = {"name": "Dee", "role": "mentee", "id": "dee-3"}


async def draw(api: Api, peers: Callable[[], Peer], url: str, name: str | None = None
               ) -> tuple[Peer, Replica]:
    """Join by ``url`` and draw one stroke on the main board."""
    peer = peers()
    await peer.connect(api.token(url))
    await peer.join(name or "Someone")
    r = Replica()
    await synced(peer, r)
    r.stroke([1, 2, 3, 4], author=peer.id)
    assert all(ack["ok"] for ack in await send(peer, r))
    return peer, r


async def board_status(api: Api, session_id: str, room: str = "main") -> int:
    async with api.http.get(f"/api/sessions/{session_id}/boards/{room}", headers=AUTH) as resp:
        return resp.status


def board_files(tmp_path: Path, session_id: str) -> set[str]:
    d = tmp_path / "whiteboards" / session_id
    return {p.name for p in d.iterdir()} if d.is_dir() else set()


async def test_deleting_a_person_deletes_the_boards_they_drew_on_and_their_copies(
    api: Api, peers: Callable[[], Peer], tmp_path: Path
) -> None:
    # Ben drew with his mentor in their pair's first session.
    first = await api.create_session(participants=[ANA, BEN])
    links = first["personal_links"]
    ana, a = await draw(api, peers, links[0]["url"])
    ben, b = await draw(api, peers, links[1]["url"])
    await ana.close()
    await ben.close()
    # Their next session opens with a copy of that board; only Ana draws there.
    second = await api.create_session(participants=[ANA, BEN])
    ana2, a2 = await draw(api, peers, second["personal_links"][0]["url"])
    assert len(a2.view()) == 3
    await ana2.close()
    # Ana's session with Dee has nothing of Ben's.
    other = await api.create_session(participants=[ANA, DEE])
    dee, _ = await draw(api, peers, other["personal_links"][1]["url"])
    await dee.close()
    for s in (first, second, other):
        assert await board_status(api, s["session_id"]) == 200
        assert "main.log" in board_files(tmp_path, s["session_id"])

    async with api.http.delete("/api/attendance/people/ben-2", headers=AUTH) as resp:
        assert resp.status == 200
        deleted = (await resp.json())["deleted"]
    assert deleted["boards"] == 2
    for s in (first, second):
        assert await board_status(api, s["session_id"]) == 404
        assert not {"main.snap", "main.log"} & board_files(tmp_path, s["session_id"])
    assert await board_status(api, other["session_id"]) == 200
    # The pair's next session starts empty: nothing of the deleted boards is carried over.
    third = await api.create_session(participants=[ANA, BEN])
    peer = peers()
    await peer.connect(api.token(third["personal_links"][0]["url"]))
    await peer.join()
    assert (await synced(peer, Replica()))["update"] == Replica().doc.get_update()
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "whiteboards").rglob("*")
                       if p.is_file())
    assert b"ben-2" not in on_disk and ben.id.encode() not in on_disk


async def test_deleting_an_unrostered_participant_deletes_the_boards_they_drew_on(
    api: Api, peers: Callable[[], Peer], tmp_path: Path
) -> None:
    s = await api.create_session()
    guest, _ = await draw(api, peers, s["join_urls"]["mentee"], "Guest")
    kept = await api.create_session()
    await draw(api, peers, kept["join_urls"]["mentee"], "Other")
    path = f"/api/attendance/sessions/{s['session_id']}/participants/{guest.id}"
    async with api.http.delete(path, headers=AUTH) as resp:
        assert resp.status == 200 and (await resp.json())["deleted"]["boards"] == 1
    assert await board_status(api, s["session_id"]) == 404
    assert board_files(tmp_path, s["session_id"]) == set()
    assert await board_status(api, kept["session_id"]) == 200


async def test_retention_deletes_boards_older_than_the_period(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path, clock: Clock
) -> None:
    settings = Settings(data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY,
                        retention_days=30, waiting_room="off")

    async def run(steps: Callable[[Api, Callable[[], Peer]], Awaitable[Any]]) -> Any:
        server = await aiohttp_server(create_app(settings, clock=clock))
        made: list[Peer] = []

        def peers() -> Peer:
            made.append(Peer(str(server.make_url("/"))))
            return made[-1]

        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
            result = await steps(Api(http, server), peers)
        for p in made:
            await p.close()
        await server.close()
        return result

    async def old_sessions(api: Api, peers: Callable[[], Peer]) -> tuple[str, dict[str, Any]]:
        s = await api.create_session(title="Old", participants=[ANA, BEN])
        await draw(api, peers, s["personal_links"][1]["url"])
        again = await api.create_session(title="Used again", link_ttl_seconds=40 * 86400)
        await draw(api, peers, again["join_urls"]["mentee"])
        return str(s["session_id"]), again

    old, used_again = await run(old_sessions)
    clock.now += 20 * 86400

    async def recent_session(api: Api, peers: Callable[[], Peer]) -> str:
        s = await api.create_session(title="Recent")
        await draw(api, peers, s["join_urls"]["mentee"])
        # and someone comes back to a session as old as the old one
        await draw(api, peers, used_again["join_urls"]["mentee"])
        return str(s["session_id"])

    recent = await run(recent_session)
    assert board_files(tmp_path, old) and board_files(tmp_path, recent)
    clock.now += 11 * 86400  # the old sessions are 31 days old, the recent one 11

    async def after(api: Api, peers: Callable[[], Peer]) -> None:
        # The first pass is over before the server serves.
        assert await board_status(api, old) == 404
        assert await board_status(api, recent) == 200
        # used 11 days ago: its board goes with it, later
        assert await board_status(api, used_again["session_id"]) == 200
        # The pair's next session does not start from the expired board.
        nxt = await api.create_session(participants=[ANA, BEN])
        peer = peers()
        await peer.connect(api.token(nxt["personal_links"][0]["url"]))
        await peer.join()
        assert (await synced(peer, Replica()))["update"] == Replica().doc.get_update()

    await run(after)
    assert board_files(tmp_path, old) == set() and board_files(tmp_path, recent)
    assert not (tmp_path / "whiteboards" / old).exists()
