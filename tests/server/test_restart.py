"""A restart keeps join links working: sessions come back from the session journal as they
were, and people coming back with their resume credential keep their identity."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.settings import Settings
from tests.support import ADMIN_KEY, Clock, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def post(url: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(url + path, json=body or {},
                                                         headers=AUTH) as resp:
        assert resp.status in (200, 201), await resp.text()
        data: dict[str, Any] = await resp.json()
        return data


async def test_links_and_identities_survive_a_restart(
    aiohttp_server: Callable[..., Awaitable[TestServer]], settings: Settings, clock: Clock
) -> None:
    first = await aiohttp_server(create_app(settings, clock=clock))
    url = str(first.make_url("")).rstrip("/")
    s = await post(url, "/api/sessions", {"title": "Kept across restarts", "goal": "Plan"})
    ended = await post(url, "/api/sessions", {"title": "Over before the restart"})
    await post(url, f"/api/sessions/{ended['session_id']}/end")
    token = s["join_urls"]["mentee"].split("#token=")[1]
    ben = Peer(url)
    await ben.connect(token)
    await ben.join("Ben")
    await ben.close()
    await first.close()

    clock.now += 60
    second = await aiohttp_server(create_app(settings, clock=clock))
    url2 = str(second.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.get(
        f"{url2}/api/sessions/{s['session_id']}", headers=AUTH
    ) as resp:
        assert resp.status == 200
        got = await resp.json()
    assert (got["title"], got["goal"], got["state"]) == ("Kept across restarts", "Plan", "live")
    # Ben had left before the restart: he is still known, as someone who left.
    assert [(p["name"], p["state"]) for p in got["participants"]] == [("Ben", "disconnected")]
    back = Peer(url2)
    await back.connect(token)
    ack = await back.join("Ben", resume=ben.resume)
    assert ack["participant"]["id"] == ben.id
    await back.close()

    late = Peer(url2)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await late.connect(ended["join_urls"]["mentee"].split("#token=")[1])
    assert late.connect_error["code"] == "session_ended"
    await second.close()
