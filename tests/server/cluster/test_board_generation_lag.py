"""A page on a process whose copy of the session lags behind a deletion of boards made through
another process (its channel held back, as under load) cannot send its copy of the deleted board
back: a change naming its copy's generation is checked against the session with every change
kept so far. Checked against the lagging copy, it was taken, and stored as a new board."""

from __future__ import annotations

import aiohttp

from tests.server.cluster.apps import Held, Node, member, new_session, ok
from tests.server.whiteboard.replica import Replica
from tests.support import ADMIN_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def test_a_lagging_process_takes_no_change_made_on_a_deleted_board(
        nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    s = await new_session(a)
    sid = s["session_id"]
    await member(a, s, "mentor", "Mia")
    ben = await member(b, s, "mentee", "Ben")
    copy = Replica()
    ack = await ok(ben, "board_sync", {"room": "main", "state": b""})
    generation = ack["generation"]
    copy.receive(ack["update"])
    copy.stroke([1, 2, 3, 4], author="ben")
    for update in copy.take():
        await ok(ben, "board_update", {"room": "main", "update": update,
                                       "generation": generation})
    held = Held(b)
    held.hold()
    try:
        async with aiohttp.ClientSession() as http, http.delete(
                f"{a.url}api/sessions/{sid}/boards", headers=ADMIN) as resp:
            assert resp.status == 200, await resp.text()
        refused = await ben.call("board_update", {"room": "main",
                                                  "update": copy.doc.get_update(),
                                                  "generation": generation})
    finally:
        held.release()
    assert refused["ok"] is False and refused["error"]["code"] == "board_deleted", refused
    async with aiohttp.ClientSession() as http, http.get(
            f"{a.url}api/sessions/{sid}/boards/main", headers=ADMIN) as resp:
        assert resp.status == 404 or (await resp.json())["items"] == {}, await resp.text()
