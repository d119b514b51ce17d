"""Updates that build on changes the board does not have, through the real socket path: a CRDT
document would keep them pending in memory (outside its encoded size, so ``board_full`` never
saw them). The board holds a few for a short while, unrelayed and unstored, and refuses the rest
with ``board_out_of_order``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestServer

from rooms.whiteboard import BoardKey
from server.settings import Limits
from server.whiteboard.boards import Board
from server.whiteboard.install import WHITEBOARD
from tests.server.whiteboard.replica import Replica, synced
from tests.server.whiteboard.test_events import member, relayed
from tests.support import Api, Clock, Peer


@pytest.fixture
def limits() -> Limits:
    return Limits(board_update_bytes=4096, board_bytes=16 * 1024, board_update_rate=1000.0,
                  board_update_burst=1000.0)


def _board(server: TestServer, session_id: str) -> Board:
    return server.app[WHITEBOARD].boards.loaded[BoardKey(session_id, "main")]


def _orphans(r: Replica, count: int, points: int = 300) -> list[bytes]:
    """``count`` updates that each extend a stroke whose creation is never sent."""
    stroke = r.stroke([0.0, 0.0])
    r.take()  # the stroke itself: withheld
    out = []
    for i in range(count):
        r.extend(stroke, [float(i * points + j) for j in range(points)])
        out += r.take()
    return out


async def test_updates_whose_dependencies_never_come_do_not_grow_the_board_unbounded(
    api: Api, peers: Callable[[], Peer], server: TestServer, tmp_path: object
) -> None:
    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    board = _board(server, s["session_id"])
    sent = 0
    codes = []
    for update in _orphans(a, 80):  # about 1.5 KB each: far past the 16 KiB board
        sent += len(update)
        ack = await ana.call("board_update", {"room": "main", "update": update})
        codes.append("ok" if ack["ok"] else ack["error"]["code"])
    assert sent > 4 * 16 * 1024
    # A few are held (a legitimate client's races are that short), the rest refused.
    assert "board_out_of_order" in codes, codes
    assert codes.count("ok") <= 8 and set(codes) == {"ok", "board_out_of_order"}
    # What the board keeps, held updates included, stays within one update's worth.
    assert board.stored_bytes + board.held_bytes <= 4096
    assert board.stored_bytes == 0 and board.encoded() == b"\x00\x00"
    # Nothing was relayed or stored.
    await ben.nothing("board_update")
    log = tmp_path / "whiteboards" / s["session_id"] / "main.log"  # type: ignore[operator]
    assert not log.exists() or log.stat().st_size == 0
    # The board still takes good changes from everyone.
    b.shape("rect", 1, 2, 3, 4)
    assert (await ben.call("board_update", {"room": "main", "update": b.take()[0]}))["ok"]
    await relayed(ana, Replica())


async def test_an_update_that_arrives_before_its_dependency_lands_when_the_dependency_does(
    api: Api, peers: Callable[[], Peer], server: TestServer, clock: Clock
) -> None:
    from rooms.whiteboard import HELD_SECONDS

    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    ben, b = await member(api, peers, s, "mentee", "Ben")
    stroke = a.stroke([1, 1])
    first = a.take()
    a.extend(stroke, [2, 2])
    second = a.take()
    # The extension comes first: held, acknowledged, neither relayed nor stored yet.
    ack = await ana.call("board_update", {"room": "main", "update": second[0]})
    assert ack == {"ok": True, "held": True}
    await ben.nothing("board_update")
    board = _board(server, s["session_id"])
    assert board.held_bytes == len(second[0]) and board.stored_bytes == 0
    # Its dependency arrives: both land, and the room gets both.
    clock.now += HELD_SECONDS / 2
    assert await ana.call("board_update", {"room": "main", "update": first[0]}) == {"ok": True}
    for _ in range(2):
        if b.view().get(stroke, {}).get("points") == [1.0, 1.0, 2.0, 2.0]:
            break
        await relayed(ben, b)
    assert b.view()[stroke]["points"] == [1.0, 1.0, 2.0, 2.0]
    assert board.held_bytes == 0
    late = Replica()
    await synced(ana, late)
    assert late.view() == a.view()


async def test_a_held_update_whose_dependency_comes_too_late_is_dropped(
    api: Api, peers: Callable[[], Peer], server: TestServer, clock: Clock
) -> None:
    from rooms.whiteboard import HELD_SECONDS

    s = await api.create_session()
    ana, a = await member(api, peers, s, "mentor", "Ana")
    stroke = a.stroke([1, 1])
    first = a.take()
    a.extend(stroke, [2, 2])
    ack = await ana.call("board_update", {"room": "main", "update": a.take()[0]})
    assert ack["ok"] and ack["held"]
    clock.now += HELD_SECONDS + 1
    assert await ana.call("board_update", {"room": "main", "update": first[0]}) == {"ok": True}
    board = _board(server, s["session_id"])
    assert board.held_bytes == 0
    assert board.to_json()[stroke]["points"] == [1.0, 1.0]
    # The page gets it back to the server the usual way: a sync, then what the server lacks.
    sync = await synced(ana, a)
    missing = a.doc.get_update(sync["state"])
    assert (await ana.call("board_update", {"room": "main", "update": missing}))["ok"]
    assert board.to_json()[stroke]["points"] == [1.0, 1.0, 2.0, 2.0]
