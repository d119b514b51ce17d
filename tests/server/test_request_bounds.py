"""Bounds that docs/PROTOCOL.md (and docs/PROGRAMMES.md) give, checked where the docs say: the
sessions list's default size, an export's query, a group member's length, the chat a joiner
receives."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from server.settings import Limits
from tests.server.programmes.test_console import published_cohort
from tests.support import ADMIN_KEY, Api, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def test_the_sessions_list_gives_at_most_200_sessions_unless_asked(api: Api) -> None:
    """PROTOCOL.md, Attendance, REST: ``GET /api/attendance/sessions?...&limit``: "at most
    ``limit``, default 200"."""
    for _ in range(6):  # 210 sessions, 35 at a time (their commits are shared)
        await asyncio.gather(*(api.create_session() for _ in range(35)))
    async with api.http.get("/api/attendance/sessions", headers=AUTH) as resp:
        assert resp.status == 200
        listed = json.loads(await resp.text())["sessions"]
    assert len(listed) == 200, f"{len(listed)} sessions listed without a limit, not 200"
    async with api.http.get("/api/attendance/sessions", headers=AUTH,
                            params={"limit": "205"}) as resp:
        assert len(json.loads(await resp.text())["sessions"]) == 205


async def test_the_links_export_refuses_a_query_it_does_not_take(
        http: aiohttp.ClientSession) -> None:
    """Every string of a REST request is held to its bound and to the control-character rule
    before anything is done (PROTOCOL.md, Limits): ``links.csv`` takes no query parameter,
    yet its ``person`` was written, unchecked, into the audit log's ``detail`` (which holds
    ids only: PROGRAMMES.md, "Admins and audit")."""
    cohort, _, matches = await published_cohort(http)
    async with http.post(f"/api/cohorts/{cohort}/schedules", headers=AUTH, json={
            "match_id": matches[0]["id"], "title": "Pair", "starts": "2027-03-22T18:00",
            "time_zone": "Europe/London", "minutes": 45, "repeat": "weekly",
            "count": 1}) as resp:
        assert resp.status == 201, await resp.text()
        schedule = await resp.json()
    path = f"/api/cohorts/{cohort}/schedules/{schedule['id']}/links.csv"
    answers = []
    for person in ("x\x01y", "y" * 4000):  # a control character; over any id's length
        async with http.get(path, headers=AUTH, params={"person": person}) as resp:
            answers.append((resp.status, (await resp.text())[:80]))
    async with http.get("/api/audit", headers=AUTH,
                        params={"action": "links.exported"}) as resp:
        logged = [e["detail"] for e in (await resp.json())["entries"]]
    assert all(status == 400 and "invalid_payload" in text for status, text in answers), (
        f"links.csv answered {answers}; audit details kept: {logged}")
    assert logged == []


async def test_a_group_member_is_held_to_the_length_of_a_name_or_an_id(api: Api) -> None:
    """PROTOCOL.md, ``PUT /api/sessions/{id}/groups``: "a member is a participant id or a
    display name" (names 1 to 60 characters, person ids 1 to 64), and Limits: "one field of a
    REST body ... (a title, a name, a list...)" is held to its length (400
    ``payload_too_large``). A member had no bound of its own: a 30,000-character one was kept in
    the session (its journal, its groups, the breakout round's pending names)."""
    s = await api.create_session()
    body = {"groups": [{"name": "Pair 1", "members": ["Ana", "x" * 30_000]}]}
    async with api.http.put(f"/api/sessions/{s['session_id']}/groups", headers=AUTH,
                            json=body) as resp:
        status, text = resp.status, await resp.text()
    assert status == 400 and json.loads(text)["error"]["code"] == "payload_too_large", (
        f"a 30,000-character group member was answered {status} {text[:120]}")


@pytest.fixture
def limits() -> Limits:
    # Chat as fast as the test can post (the bound proved here is the history's, not the rate's).
    return Limits(chat_rate=100_000.0, chat_burst=100_000.0)


async def test_a_newcomer_can_join_a_room_whose_chat_history_is_full(
        api: Api, peers: Callable[[], Peer]) -> None:
    """Limits: "chat kept per session: the last 2,000 messages and 1 MiB of text; a joiner
    receives them all", chat text "1 to 2,000 characters", and "unsent data waiting for one
    client: 4 MiB: the server drops that connection". A full history of long messages was one
    join acknowledgement of about 16 MB (2,000 x 2,000 four-byte characters): every newcomer
    (and everyone coming back) was dropped, reconnected and was dropped again. One chatter
    could do this to a session's main room (at the documented 5 a second, in under 7
    minutes)."""
    s = await api.create_session()
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    await ben.join("Ben")
    text = "\U0001f600" * 2000  # 2,000 characters, 8,000 bytes of UTF-8
    loop = asyncio.get_running_loop()
    acks: list[asyncio.Future[Any]] = []
    for _ in range(2000):
        done: asyncio.Future[Any] = loop.create_future()
        acks.append(done)
        await ben.sio.emit("chat", {"text": text},
                           callback=lambda ack, done=done: done.set_result(ack))
    assert all(a["ok"] for a in await asyncio.wait_for(asyncio.gather(*acks), 120))
    cleo = peers()
    await cleo.connect(api.token(s["join_urls"]["mentee"]))
    try:
        ack = await cleo.call("join", {"name": "Cleo"})
    except Exception as exc:  # noqa: BLE001 (what the newcomer meets, whatever it is)
        raise AssertionError(
            f"a newcomer could not join a room with a full chat history: {exc!r} "
            f"(disconnected: {cleo.disconnected.is_set()})") from None
    assert ack["ok"] and ack["chat"], ack
