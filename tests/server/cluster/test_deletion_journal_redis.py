"""Deletion requests with several processes (two apps sharing a real ``redis-server``): a
deletion request reaches the log entries of a session whose state no longer names the person
(a change that a later one undid)."""

from __future__ import annotations

import aiohttp
from redis.asyncio import Redis

from clients.server import RedisProcess
from tests.server.cluster.apps import Node, new_session
from tests.support import ADMIN_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
PERSON = "ana.smith@example.org"


async def test_a_deletion_request_reaches_log_entries_of_a_session_that_no_longer_names_them(
        nodes: tuple[Node, Node], redis: RedisProcess) -> None:
    """As with one process (tests/server/attendance/test_deletion_reaches_everything.py):
    groups naming Ana by her person id, then set again without her. The session's log in
    Redis keeps the first ``SetGroups`` entry; the deletion request found sessions by what
    they hold now, so it neither found this one nor replaced its log: her id stayed in Redis
    (and in the files Redis rewrites after the deletion)."""
    a, _ = nodes
    s = await new_session(a, title="Group session")
    sid = s["session_id"]
    async with aiohttp.ClientSession(base_url=a.url) as http:
        for members in ([PERSON, "ben-2026"], ["cleo-2026", "ben-2026"]):
            async with http.put(f"/api/sessions/{sid}/groups", headers=ADMIN, json={
                    "groups": [{"name": "Pair 1", "members": members}]}) as resp:
                assert resp.status == 200, await resp.text()
        raw = Redis.from_url(redis.url)
        try:
            assert any(PERSON.encode() in e for e in await raw.lrange(f"tandem:s:{sid}:log",
                                                                        0, -1))  # (premise)
            async with http.delete(f"/api/attendance/people/{PERSON}", headers=ADMIN) as resp:
                assert resp.status == 200, await resp.text()
            left = [key for key in await raw.keys("tandem:*")
                    if await raw.type(key) in (b"list", b"hash")
                    and PERSON.encode() in b"".join(
                        await raw.lrange(key, 0, -1) if await raw.type(key) == b"list"
                        else list((await raw.hgetall(key)).values()))]
        finally:
            await raw.aclose()
    assert not left, f"Redis still holds the erased person's id in {left}"
