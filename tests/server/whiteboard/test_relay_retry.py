"""A relayed board update whose send fails (the room's history out of reach a moment) is not lost:
it is acknowledged already and the next updates build on it, so it is kept, ahead of what comes
meanwhile, and sent again (alone, under its id: ``test_relay_resend.py``) until it goes, once;
what came meanwhile goes right after it; what waits stays within a board's bound; a board let
go of meanwhile sends nothing again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from rooms.whiteboard import BoardKey
from server.history import MemoryHistory
from server.settings import HistoryBounds
from server.tasks import TaskSet
from server.whiteboard.relay import Relay
from tests.server.whiteboard.nodes import Node, Nodes, delete_boards
from tests.server.whiteboard.replica import Replica, send, synced
from tests.support import WAIT, Clock, Peer, eventually

RELAY = "server.whiteboard.relay"


class Outage:
    """Node a's room histories out of reach (each append fails as when Redis dropped the
    connection) until ``end``; ``attempts`` counts the appends tried meanwhile."""

    def __init__(self, node: Node) -> None:
        history = node.ctx.history
        real = history._append  # type: ignore[attr-defined]
        self.down = False
        self.attempts = 0

        async def append(**kw: Any) -> Any:
            if self.down:
                self.attempts += 1
                raise RedisConnectionError("Connection closed by server.")
            return await real(**kw)

        history._append = append  # type: ignore[attr-defined]

    def begin(self) -> None:
        self.down = True

    def end(self) -> None:
        self.down = False

    async def tried(self, times: int) -> None:
        await eventually(lambda: self.attempts >= times,
                         what=f"{times} attempts to relay the update")


@pytest.fixture
async def people(nodes: Nodes) -> AsyncIterator[Callable[[Node, str, str], Awaitable[Peer]]]:
    made: list[Peer] = []

    async def person(node: Node, url: str, name: str) -> Peer:
        made.append(await node.person(url, name))
        return made[-1]

    yield person
    for peer in made:
        await peer.close()


async def drawing_pair(nodes: Nodes, people: Callable[[Node, str, str], Awaitable[Peer]]
                       ) -> tuple[str, Peer, Replica, Peer, Replica, str, dict[str, Any]]:
    """Ana drawing on node a, Ben watching on node b, both synced after Ana's first stroke
    reached Ben (relayed at once: the first after a quiet spell); its position."""
    s = await nodes.a.api.create_session(title="Relay retry")
    urls = s["join_urls"]
    ana = await people(nodes.a, urls["mentor"], "Ana")
    ben = await people(nodes.b, urls["mentee"], "Ben")
    mine, his = Replica(), Replica()
    await synced(ana, mine)
    await synced(ben, his)
    stroke = mine.stroke([1, 1, 2, 2])
    assert [ack["ok"] for ack in await send(ana, mine)] == [True]
    first = await ben.next("board_update")
    his.receive(first["update"])
    return s["session_id"], ana, mine, ben, his, stroke, first["position"]


def relay_of(node: Node) -> Relay:
    return node.events.relay


def retries() -> list[asyncio.Task[Any]]:
    """The relay's sends waiting to be tried again."""
    return [t for t in asyncio.all_tasks()
            if getattr(t.get_coro(), "__qualname__", "") == "Relay._flush_later"]


async def test_a_coalesced_update_whose_send_fails_reaches_the_room_once_the_history_is_back(
        nodes: Nodes, people: Callable[[Node, str, str], Awaitable[Peer]]) -> None:
    """Ana's second stroke point lands within the coalescing interval: acknowledged (stored),
    queued, and its send fails. It is kept and sent again, then her next point, which builds
    on it: Ben's board gets both (without the first, he would hold the second pending)."""
    outage = Outage(nodes.a)
    relay_of(nodes.a).relay_interval = 0.5  # the coalescing window, widened for the test
    _, ana, mine, ben, his, stroke, _ = await drawing_pair(nodes, people)
    outage.begin()
    mine.extend(stroke, [3, 3])
    assert await send(ana, mine) == [{"ok": True}]  # within the window: queued, acknowledged
    await outage.tried(1)  # the queued send ran, and failed
    outage.end()
    mine.extend(stroke, [4, 4])
    assert [ack["ok"] for ack in await send(ana, mine)] == [True]
    for _ in range(2):  # the point sent again, then the next
        his.receive((await ben.next("board_update"))["update"])
    assert his.view() == mine.view(), (
        f"Ben's board {his.view()[stroke]['points']} lacks Ana's acknowledged change (hers: "
        f"{mine.view()[stroke]['points']})")


async def test_a_send_failing_several_times_is_relayed_once_and_in_order_when_the_history_is_back(
        nodes: Nodes, people: Callable[[Node, str, str], Awaitable[Peer]],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=RELAY)
    outage = Outage(nodes.a)
    relay = relay_of(nodes.a)
    relay.relay_interval = 0.3  # tried again every RETRY_SECONDS
    _, ana, mine, ben, his, stroke, first = await drawing_pair(nodes, people)
    outage.begin()
    for n, point in enumerate(([3, 3], [4, 4], [5, 5]), start=1):
        mine.extend(stroke, point)
        assert await send(ana, mine) == [{"ok": True}]  # stored, acknowledged, queued
        await outage.tried(n)  # each waits for the next try, after the failed ones
    outage.end()
    # The first point sent again alone (under its id), then the two that waited behind it.
    again, message = [await ben.next("board_update") for _ in range(2)]
    his.receive(again["update"])
    his.receive(message["update"])
    assert his.view() == mine.view()  # nothing pending: everything it builds on came first
    mine.extend(stroke, [6, 6])  # after the history is back: relayed after those
    assert await send(ana, mine) == [{"ok": True}]
    after = await ben.next("board_update")
    his.receive(after["update"])
    assert his.view() == mine.view()
    # Once each: one history entry for the point sent again, one for what waited behind it, the
    # next for what came after; nothing more for Ben, nothing for Ana (the only sender has her
    # changes).
    assert [m["position"]["offset"] for m in (again, message, after)] == [
        first["offset"] + 1, first["offset"] + 2, first["offset"] + 3]
    assert {m["position"]["epoch"] for m in (again, message, after)} == {first["epoch"]}
    await ben.nothing("board_update")
    await ana.nothing("board_update")
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == RELAY]
    assert [level for level, _ in said] == ["WARNING", "INFO"], said  # once each way
    assert "could not be relayed" in said[0][1] and "relayed again" in said[1][1]


async def test_a_board_deleted_while_its_send_fails_sends_nothing_again(
        nodes: Nodes, people: Callable[[Node, str, str], Awaitable[Peer]]) -> None:
    outage = Outage(nodes.a)
    relay = relay_of(nodes.a)
    relay.relay_interval = 0.3
    session_id, ana, mine, ben, _, stroke, _ = await drawing_pair(nodes, people)
    outage.begin()
    mine.extend(stroke, [3, 3])
    assert await send(ana, mine) == [{"ok": True}]
    await outage.tried(2)  # failed, and tried again
    waiting = retries()
    assert len(waiting) == 1
    await delete_boards(nodes.a, session_id)
    outage.end()
    tried = outage.attempts
    await asyncio.wait_for(asyncio.gather(*waiting), WAIT)  # its next try has come and gone
    assert outage.attempts == tried
    assert BoardKey(session_id, "main") not in relay.outboxes
    # The barrier: a new drawing on the board is relayed; a send of the deleted one would have
    # come first.
    fresh = Replica()
    await synced(ana, fresh)
    new = fresh.stroke([7, 7, 8, 8])
    assert [ack["ok"] for ack in await send(ana, fresh)] == [True]
    got = Replica()
    got.receive((await ben.next("board_update"))["update"])
    assert list(got.view()) == [new], got.view()
    await ben.nothing("board_update")


class Gateway:
    """What the relay uses of the gateway: tasks it owns, and emits, kept in order."""

    def __init__(self) -> None:
        self.tasks = TaskSet()
        self.sent: asyncio.Queue[tuple[Any, str, str | None]] = asyncio.Queue()

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        return self.tasks.spawn(coro)

    async def emit(self, message: Any, room: str, skip_sid: str | None = None) -> None:
        self.sent.put_nowait((message, room, skip_sid))


class FailingHistory(MemoryHistory):
    def __init__(self) -> None:
        super().__init__(HistoryBounds(), Clock())
        self.down = False
        self.failed = asyncio.Event()

    async def append(self, session_id: str, room: str, event: str, payload: Any) -> Any:
        if self.down:
            self.failed.set()
            raise RedisConnectionError("Connection closed by server.")
        return await super().append(session_id, room, event, payload)


async def test_past_its_bound_what_waits_of_a_failing_board_is_replaced_by_the_whole_board(
        ) -> None:
    board = Replica()
    gateway, history = Gateway(), FailingHistory()
    key = BoardKey("s", "main")
    wholes = []

    def whole(k: BoardKey) -> bytes:
        wholes.append(k)
        return board.doc.get_update()

    relay = Relay(gateway, history, relay_interval=0.0,  # type: ignore[arg-type]
                  retry_interval=0.05, max_bytes=1024, whole=whole)
    try:
        history.down = True
        stroke = board.stroke([0.0])
        sent = 0
        for n in range(100):
            board.extend(stroke, [float(n)])
            for update in board.take():
                sent += len(update)
                await relay.update(key, update, "p", "sid")
            await history.failed.wait()  # the first send failed: the others wait behind it
        assert sent > relay.max_bytes
        assert wholes == [key] * len(wholes) and wholes
        assert relay.outboxes[key].size <= relay.max_bytes
        history.down = False
        message, _, skip = await asyncio.wait_for(gateway.sent.get(), WAIT)
        got = Replica()
        got.receive(message.payload["update"])
        assert got.view() == board.view()
        assert (message.payload["from"], skip) == (["p"], "sid")
        await asyncio.wait_for(asyncio.gather(*retries()), WAIT)  # nothing left to send
        assert gateway.sent.empty()
    finally:
        await gateway.tasks.close()


async def test_what_waits_of_a_deleted_board_is_dropped_not_sent() -> None:
    """A deletion (a deletion request, or its message from another process) drops what waits to
    be relayed of the board at once, even a send only waiting for the interval: it would put the
    deleted strokes, and who drew them, back in the room's history."""
    board = Replica()
    gateway, history = Gateway(), FailingHistory()
    key = BoardKey("s", "main")
    relay = Relay(gateway, history, relay_interval=0.2)  # type: ignore[arg-type]
    try:
        board.stroke([0.0], author="ana")
        (first,) = board.take()
        await relay.update(key, first, "ana", "sid-a")  # sent at once
        await asyncio.wait_for(gateway.sent.get(), WAIT)
        board.stroke([1.0], author="ana")
        (second,) = board.take()
        await relay.update(key, second, "ana", "sid-a")  # waits for the interval
        assert relay.outboxes[key].scheduled
        relay.forget("s", ["main"], deleted=True)
        assert key not in relay.outboxes
        await asyncio.wait_for(asyncio.gather(*retries()), WAIT)  # its send has ended
        assert gateway.sent.empty()
        assert [e.offset for e in (await history.since("s", "main", (await history.position(
            "s", "main")).epoch, 0, 1 << 20)).entries] == [1]  # type: ignore[union-attr]
    finally:
        await gateway.tasks.close()
