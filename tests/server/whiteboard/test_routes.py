"""REST for whiteboards: listing and deletion on request."""

from __future__ import annotations

from collections.abc import Callable

from tests.server.whiteboard.replica import send
from tests.server.whiteboard.test_events import AUTH, member
from tests.support import Api, Peer


async def test_deleted_boards_are_gone_from_the_listing(api: Api,
                                                        peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    boards = f"/api/sessions/{s['session_id']}/boards"
    ana, a = await member(api, peers, s, "mentor", "Ana")
    a.shape("arrow", 10, 10, 100, 40)
    assert (await send(ana, a))[0]["ok"]
    async with api.http.get(boards, headers=AUTH) as resp:
        assert resp.status == 200
        assert [b["room"] for b in (await resp.json())["boards"]] == ["main"]
    await ana.close()
    async with api.http.delete(boards, headers=AUTH) as resp:
        assert resp.status == 200 and (await resp.json())["deleted"] is True
    async with api.http.get(boards, headers=AUTH) as resp:
        assert resp.status == 404, await resp.text()
        assert (await resp.json())["error"]["code"] == "not_found"


async def test_a_session_that_never_had_a_board_has_no_listing(api: Api) -> None:
    async with api.http.get("/api/sessions/never-seen/boards", headers=AUTH) as resp:
        assert resp.status == 404, await resp.text()
