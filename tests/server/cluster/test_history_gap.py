"""The history of a cluster's rooms after a process's channels were down: what a room said
meanwhile that its history no longer holds is told to the pages connected there, which then
load the room again. Two Tandem apps in this test's process share one real ``redis-server``
(``nodes``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from clients.server import RedisProcess
from server.settings import HistoryBounds
from tests.server.cluster.apps import Node, cut_channels, member, new_session, ok


@pytest.mark.parametrize("node_extra", [{"history": HistoryBounds(events=3)}])
async def test_after_the_channels_were_down_a_gap_past_the_history_is_told(
        nodes: tuple[Node, Node], redis: RedisProcess) -> None:
    """Ben stays connected to process b, whose channels drop (Redis closed its subscriber) and
    come back only after the room said more than its history keeps (3 events). His socket never
    dropped, so his page sends no ``replay``, and offsets may skip by design: b tells him
    (``history_gone``, from the last position b sent him), and a ``replay`` from there answers
    ``history_gone``, upon which his page loads the room again."""
    a, b = nodes
    s = await new_session(a)
    mia = await member(a, s, "mentor", "Mia")
    ben = await member(b, s, "mentee", "Ben")
    await ok(mia, "chat", {"text": "before"})
    before = await ben.next("chat")
    assert before["message"]["text"] == "before"
    cluster = b.ctx.cluster
    assert cluster is not None
    gate, dropped, back = asyncio.Event(), asyncio.Event(), asyncio.Event()
    real = cluster._reconnect

    async def reconnect() -> None:
        dropped.set()
        await gate.wait()
        await real()  # subscribes again, then catches up (``after_reconnect``)
        back.set()

    cluster._reconnect = reconnect  # type: ignore[method-assign]
    await cut_channels(redis)
    await asyncio.wait_for(dropped.wait(), 10)
    for n in range(5):
        await ok(mia, "chat", {"text": f"missed {n}"})
    gate.set()
    await asyncio.wait_for(back.wait(), 10)  # b's channels back, its catch-up done
    await ok(mia, "chat", {"text": "after"})
    after = await ben.next("chat")
    assert after["message"]["text"] == "after"
    await ben.barrier()  # anything sent him before "after", or because of it, is in
    notices = ben.inbox["history_gone"]
    told = [notices.get_nowait() for _ in range(notices.qsize())]
    # From the last position b sent him, to where the room was as b caught up: the gap's end,
    # the position just before "after"'s.
    gap_end = {**after["position"], "offset": after["position"]["offset"] - 1}
    assert told == [{"position": before["position"], "latest": gap_end}], (
        f"Ben, connected throughout, missed what the room said while b's channels were down "
        f"and was told {told}")
    assert ben.inbox["chat"].empty()
    # What his page does next (it connects again and joins): a replay from there.
    answer: dict[str, Any] = await ben.call("replay", before["position"])
    assert answer["ok"] is False and answer["error"]["code"] == "history_gone", answer
