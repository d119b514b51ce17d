"""A process keeps in memory only the sessions it serves (``server.replicas``): once nobody of a
session is connected to it and nothing there holds the session, it lets the session go; the
session goes on elsewhere, and comes back here whole when someone joins here again."""

from __future__ import annotations

import pytest

from tests.server.cluster.conftest import Pair, metric
from tests.server.cluster.test_two_processes import links, ok, person
from tests.support import Peer, eventually


@pytest.fixture
def cluster_env() -> dict[str, str]:
    return {"TANDEM_REPLICA_IDLE": "1"}  # swept every half second


async def sweeps_past(pair: Pair, count: int) -> None:
    """Barrier: process b has swept ``count`` more times since now."""
    start = await metric(pair.b, "tandem_session_sweeps")

    async def swept() -> bool:
        return await metric(pair.b, "tandem_session_sweeps") >= start + count

    await eventually(swept, 15, what=f"{count} sweeps on process b")


async def test_a_session_nobody_uses_here_leaves_memory_and_comes_back_whole(pair: Pair) -> None:
    mentor, mentee = await links(pair.a, "Held where served")
    ana = await person(pair.a, mentor, "Ana")
    ben = await person(pair.b, mentee, "Ben")
    assert await metric(pair.b, "tandem_sessions_held") == 1.0
    # Ben sits in the call doing nothing for longer than the idle time: b keeps the session,
    # and what Ana says still reaches him through it.
    await sweeps_past(pair, 4)
    assert await metric(pair.b, "tandem_sessions_held") == 1.0
    await ok(ana, "chat", {"text": "still there?"})
    assert (await ben.next("chat"))["message"]["text"] == "still there?"
    assert (await ana.next("chat"))["message"]["text"] == "still there?"  # her own, too

    # Ben leaves: b lets the session go.
    await ben.close()

    async def let_go() -> bool:
        return await metric(pair.b, "tandem_sessions_held") == 0.0

    await eventually(let_go, 15, what="process b dropping the session")
    # The session goes on at a; then Cleo joins through b, which loads it again, whole.
    await ok(ana, "chat", {"text": "said while b had let go"})
    assert (await ana.next("chat"))["message"]["text"] == "said while b had let go"
    cleo = Peer(pair.b.url)
    await cleo.connect(mentee)
    ack = await cleo.join("Cleo")
    assert [m["text"] for m in ack["chat"]][-2:] == ["still there?", "said while b had let go"]
    assert ana.id in {p["id"] for p in ack["participants"]}
    assert await metric(pair.b, "tandem_sessions_held") == 1.0
    # Both ways again: b follows the session's channel once more.
    await ok(cleo, "chat", {"text": "hello from b"})
    assert (await ana.next("chat"))["message"]["text"] == "hello from b"
    await ok(ana, "chat", {"text": "hello from a"})
    texts = [(await cleo.next("chat"))["message"]["text"] for _ in range(2)]
    assert texts == ["hello from b", "hello from a"]
    assert (await ana.next("chat"))["message"]["text"] == "hello from a"
    await ana.nothing("chat")
    await cleo.nothing("chat")
    for p in (ana, cleo):
        await p.close()
