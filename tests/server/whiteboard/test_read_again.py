"""A board is read again from the store (when too many updates of other processes wait for what
they build on) only once its writes in flight are stored: read before, it would lack them, and a
process ignores the updates it published itself, so its document would lack them until the next
reload. (After this process's channel was down, boards catch up instead: test_channel_outage.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rooms.whiteboard import BoardKey
from server.whiteboard import boards as boards_module
from server.whiteboard.boards import Boards, Change
from server.whiteboard.store import BoardStore, Fence
from tests.server.whiteboard.replica import Replica

KEY = BoardKey("s1", "main")


class HeldStore(BoardStore):
    """The file store, whose appends reach the disk only on ``release``, while reads go on at
    once: as with Redis, where a load does not wait behind queued writes."""

    def __init__(self, root: Path) -> None:
        super().__init__(root, fsync=False)
        self.held: list[tuple[BoardKey, bytes, asyncio.Future[None]]] = []

    def append(self, key: BoardKey, update: bytes,
               fence: Fence | None = None) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.held.append((key, update, future))
        return future

    async def release(self) -> None:
        held, self.held = self.held, []
        for key, update, future in held:
            await super().append(key, update)
            future.set_result(None)


def _orphans(count: int) -> list[bytes]:
    """Updates of another process that build on a stroke never seen here."""
    r = Replica()
    stroke = r.stroke([0.0, 0.0])
    r.take()
    out = []
    for i in range(count):
        r.extend(stroke, [float(i), float(i)])
        out += r.take()
    return out


async def _drawn(boards: Boards) -> tuple[str, asyncio.Future[None]]:
    """A stroke applied to the board, its write in flight."""
    drawer = Replica()
    stroke = drawer.stroke([1.0, 2.0])
    (update,) = drawer.take()
    board = await boards.get(KEY)
    return stroke, boards.apply(board, Change(update, "p", "c1"), 1.0).written


async def test_too_many_waiting_updates_read_the_board_again_once_its_writes_are_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(boards_module, "ARRIVING_MAX", 2)
    store = HeldStore(tmp_path)
    await store.start()
    try:
        boards = Boards(store)
        stroke, written = await _drawn(boards)
        board = await boards.get(KEY)
        for update in _orphans(10):  # past the bound
            boards.merge(board, update, 1.0)
        assert stroke in (await boards.get(KEY)).to_json()  # a sync now still shows it
        await store.release()
        await written
        again = await boards.get(KEY)
        assert again is not board, "the board was not read again"
        assert stroke in again.to_json()
        assert len(board.arriving) <= 3  # one past the bound at most while it waited
    finally:
        await store.close()
