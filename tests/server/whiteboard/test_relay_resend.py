"""A relayed board update whose send's answer is lost (Redis ran the history's append script,
kept and published the update, then the connection dropped before its reply came) is sent again
under the same id (``server.history.Once``): the room's history keeps it once and the room
receives it once; what came meanwhile is sent after it, on its own, once too."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError

from server.history import MemoryHistory, Once, Replay, Said
from server.protocol import Message
from server.settings import HistoryBounds
from server.whiteboard.relay import Relay
from tests.server.whiteboard.nodes import Node, Nodes
from tests.server.whiteboard.replica import Replica, send, synced
from tests.server.whiteboard.test_relay_errors import KEY, Sleeps, updates
from tests.server.whiteboard.test_relay_retry import Gateway, retries
from tests.support import WAIT, Clock, Peer, eventually


class LostAnswer:
    """Node a's first history append from now on runs in Redis, then fails as when the
    connection dropped before its reply; the appends after it wait for ``resume``."""

    def __init__(self, node: Node) -> None:
        history = node.ctx.history
        real = history._append  # type: ignore[attr-defined]
        self.calls = 0
        self.resume = asyncio.Event()

        async def append(**kw: Any) -> Any:
            self.calls += 1
            if self.calls > 1:
                await asyncio.wait_for(self.resume.wait(), WAIT)
            answer = await real(**kw)  # kept and published
            if self.calls == 1:
                raise RedisConnectionError("Connection closed by server.")
            return answer

        history._append = append  # type: ignore[attr-defined]


async def kept_after(node: Node, session_id: str, position: dict[str, Any]) -> list[int]:
    replay = await node.ctx.history.since(session_id, "main", position["epoch"],
                                          position["offset"], 1 << 20)
    assert isinstance(replay, Replay)
    return [e.offset for e in replay.entries]


async def drawing(nodes: Nodes) -> tuple[str, Peer, Replica, Peer, Replica, str, Any]:
    s = await nodes.a.api.create_session(title="Lost answer")
    urls = s["join_urls"]
    ana = await nodes.a.person(urls["mentor"], "Ana")
    ben = await nodes.b.person(urls["mentee"], "Ben")
    mine, his = Replica(), Replica()
    await synced(ana, mine)
    await synced(ben, his)
    stroke = mine.stroke([1, 1, 2, 2])
    assert [ack["ok"] for ack in await send(ana, mine)] == [True]
    first = await ben.next("board_update")
    his.receive(first["update"])
    return s["session_id"], ana, mine, ben, his, stroke, first["position"]


async def test_a_send_whose_answer_was_lost_is_kept_and_received_once(nodes: Nodes) -> None:
    session_id, ana, mine, ben, his, stroke, first = await drawing(nodes)
    try:
        lost = LostAnswer(nodes.a)
        lost.resume.set()
        mine.extend(stroke, [3, 3])
        assert await send(ana, mine) == [{"ok": True}]
        await eventually(lambda: lost.calls >= 2, what="the relay sending the update again")
        sent = await ben.next("board_update")  # published by the first run
        his.receive(sent["update"])
        assert his.view() == mine.view()
        # The barrier: Ana's next point reaches Ben right after; a second copy would come first.
        mine.extend(stroke, [4, 4])
        assert await send(ana, mine) == [{"ok": True}]
        after = await ben.next("board_update")
        his.receive(after["update"])
        assert [sent["position"]["offset"], after["position"]["offset"]] == [
            first["offset"] + 1, first["offset"] + 2]
        assert his.view() == mine.view()
        assert await kept_after(nodes.a, session_id, first) == [
            first["offset"] + 1, first["offset"] + 2]
        await ben.nothing("board_update")
    finally:
        for peer in (ana, ben):
            await peer.close()


async def test_what_came_while_a_lost_answer_is_sent_again_goes_after_it_on_its_own(
        nodes: Nodes) -> None:
    """Ana's point comes while the message whose answer was lost waits to be sent again: that
    message goes again alone, under its id (kept once), and her point after it."""
    session_id, ana, mine, ben, his, stroke, first = await drawing(nodes)
    try:
        lost = LostAnswer(nodes.a)
        mine.extend(stroke, [3, 3])
        assert await send(ana, mine) == [{"ok": True}]
        await eventually(lambda: lost.calls >= 2, what="the relay sending the update again")
        mine.extend(stroke, [4, 4])  # waits behind the message sent again
        assert await send(ana, mine) == [{"ok": True}]
        lost.resume.set()
        await eventually(lambda: lost.calls >= 3, what="the relay sending what came meanwhile")
        got = [await ben.next("board_update") for _ in range(2)]
        for message in got:
            his.receive(message["update"])
        assert his.view() == mine.view()
        assert [m["position"]["offset"] for m in got] == [first["offset"] + 1,
                                                          first["offset"] + 2]
        await ben.nothing("board_update")
        assert await kept_after(nodes.a, session_id, first) == [
            first["offset"] + 1, first["offset"] + 2]
    finally:
        for peer in (ana, ben):
            await peer.close()


class Shared(MemoryHistory):
    """A history shared by processes (it sends what it keeps: ``Broadcast``) whose sends fail
    while ``down``; ``sends`` holds each one's update and id."""

    def __init__(self) -> None:
        super().__init__(HistoryBounds(), Clock())
        self.down = True
        self.sends: list[tuple[bytes, Once | None]] = []

    async def broadcast(self, session_id: str, room: str, message: Message,
                        skip_sid: str | None, said: Said | None = None,
                        once: Once | None = None) -> None:
        assert isinstance(message.payload, dict)
        self.sends.append((message.payload["update"], once))
        if self.down:
            raise RedisConnectionError("Connection closed by server.")


async def test_a_message_sent_again_is_the_same_under_the_same_id_whatever_came_meanwhile(
        ) -> None:
    """What came meanwhile passes the bound on a process where the board is not loaded (merged,
    without the whole board): the message sent again stays apart, as it was."""
    board, gateway, history, sleeps = Replica(), Gateway(), Shared(), Sleeps()
    relay = Relay(gateway, history, relay_interval=0.0, max_bytes=1,  # type: ignore[arg-type]
                  sleep=sleeps)
    try:
        first, *meanwhile = updates(4, board)
        await relay.update(KEY, first, "ana", "sid-a")  # fails: tried again later
        (task,) = retries()
        _, done = await sleeps.next()
        for update in meanwhile:
            await relay.update(KEY, update, "ana", "sid-a")
        history.down = False
        done.set_result(None)
        await asyncio.wait_for(task, WAIT)
        (_, once), _, (rest, after) = history.sends
        assert history.sends[:2] == [(first, once), (first, once)] and once is not None
        got = Replica()
        got.receive(first)
        got.receive(rest)  # what came meanwhile, merged
        assert got.view() == board.view()
        assert after is not None and after.sender == once.sender and after.id != once.id
        assert sleeps.asked.empty()
    finally:
        await gateway.tasks.close()


async def test_the_whole_board_replaces_a_message_to_send_again_too() -> None:
    """Past the bound where the board is loaded, its whole document holds everything, the
    message to send again included: it goes alone, under an id of its own."""
    board, gateway, history, sleeps = Replica(), Gateway(), Shared(), Sleeps()
    relay = Relay(gateway, history, relay_interval=0.0, max_bytes=1,  # type: ignore[arg-type]
                  sleep=sleeps, whole=lambda _: board.doc.get_update())
    try:
        first, *meanwhile = updates(3, board)
        await relay.update(KEY, first, "ana", "sid-a")
        (task,) = retries()
        _, done = await sleeps.next()
        for update in meanwhile:
            await relay.update(KEY, update, "ana", "sid-a")
        history.down = False
        done.set_result(None)
        await asyncio.wait_for(task, WAIT)
        (_, once), (whole, after) = history.sends
        got = Replica()
        got.receive(whole)
        assert got.view() == board.view()
        assert once is not None and after is not None and after.id != once.id
    finally:
        await gateway.tasks.close()
