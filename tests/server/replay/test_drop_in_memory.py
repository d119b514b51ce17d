"""One process (the memory history): a caption line of someone a deletion request erases while
the line is on its way (applied, its delivery a moment behind) is neither kept in the room's
history nor sent after the deletion; a chat message of someone else on its way then is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestServer

from rooms.events import CaptionPosted, ChatPosted
from server.app import CONTEXT
from server.history import Replay
from tests.support import ADMIN_KEY, Api, Peer

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def member(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
                 name: str, **extra: Any) -> Peer:
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    await peer.join(name, **extra)
    return peer


class Behind:
    """The delivery of the next event of a kind waits until ``go`` is set (``late`` is set when
    it starts waiting)."""

    def __init__(self, server: TestServer, kind: type) -> None:
        deliverers = server.app[CONTEXT].delivery.deliverers
        real = deliverers[kind]
        self.late, self.go = asyncio.Event(), asyncio.Event()

        async def behind(event: Any, actor_sid: str | None) -> None:
            self.late.set()
            await self.go.wait()
            await real(event, actor_sid)

        deliverers[kind] = behind


async def kept(server: TestServer, session_id: str, event: str) -> list[str]:
    history = server.app[CONTEXT].history
    position = await history.position(session_id, "main")
    found = await history.since(session_id, "main", position.epoch, 0, 1 << 20)
    assert isinstance(found, Replay), found
    return [e.payload["text"] if event == "caption" else e.payload["message"]["text"]
            for e in found.entries if e.event == event]


async def test_an_erased_speakers_line_on_its_way_is_not_kept_after_the_deletion(
        api: Api, peers: Callable[[], Peer], server: TestServer) -> None:
    s = await api.create_session(captions="keep")
    sid = s["session_id"]
    await member(api, peers, s, "mentor", "Mia", transcript_notice=True)
    ana = await member(api, peers, s, "mentee", "Ana", transcript_notice=True)
    carl = await member(api, peers, s, "captioner", "Carl")
    behind = Behind(server, CaptionPosted)
    line = {"speaker_id": ana.id, "utterance": "c1", "text": "Ana lives at Elm Road 12",
            "final": True, "room": "main"}
    posted = asyncio.ensure_future(carl.call("caption_text", line))
    try:
        await asyncio.wait_for(behind.late.wait(), 5)
        async with api.http.delete(f"/api/attendance/sessions/{sid}/participants/{ana.id}",
                                   headers=ADMIN) as resp:
            assert resp.status == 200, await resp.text()
    finally:
        behind.go.set()
    answer = await posted
    assert (await kept(server, sid, "caption"), answer.get("error", {}).get("code")) == (
        [], "not_recorded"), answer


async def test_someone_elses_chat_on_its_way_is_sent_after_a_deletion(
        api: Api, peers: Callable[[], Peer], server: TestServer) -> None:
    s = await api.create_session()
    sid = s["session_id"]
    mia = await member(api, peers, s, "mentor", "Mia")
    ana = await member(api, peers, s, "mentee", "Ana")
    ben = await member(api, peers, s, "mentee", "Ben")
    behind = Behind(server, ChatPosted)
    posted = asyncio.ensure_future(ben.call("chat", {"text": "see you all next week"}))
    try:
        await asyncio.wait_for(behind.late.wait(), 5)
        async with api.http.delete(f"/api/attendance/sessions/{sid}/participants/{ana.id}",
                                   headers=ADMIN) as resp:
            assert resp.status == 200, await resp.text()
    finally:
        behind.go.set()
    assert (await posted)["ok"]
    assert (await mia.next("chat"))["message"]["text"] == "see you all next week"
    assert await kept(server, sid, "chat") == ["see you all next week"]
