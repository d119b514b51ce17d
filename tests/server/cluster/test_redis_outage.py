"""Redis away for a while: what was acknowledged before stays, changes meanwhile are refused
with ``not_recorded`` (never acknowledged and lost), people stay connected, and once Redis is
back everything works again across both processes without restarting either."""

from __future__ import annotations

import aiohttp

from tests.server.cluster.conftest import Pair
from tests.server.cluster.test_two_processes import links, ok, person
from tests.support import Peer, eventually


async def test_redis_away_and_back(pair: Pair) -> None:
    mentor, mentee = await links(pair.a, "Outage")
    ana = await person(pair.a, mentor, "Ana")
    ben = await person(pair.b, mentee, "Ben")
    await ok(ben, "chat", {"text": "before"})
    assert (await ana.next("chat"))["message"]["text"] == "before"
    assert (await ben.next("chat"))["message"]["text"] == "before"

    async def probe(path: str) -> tuple[int, dict[str, object]]:
        async with aiohttp.ClientSession() as http, http.get(pair.b.url + path) as reply:
            return reply.status, await reply.json()

    assert (await probe("/readyz"))[0] == 200
    pair.redis.stop()
    # Readiness fails (a load balancer stops sending people here; an answer is reused for a
    # second), liveness does not.
    async def unready() -> bool:
        status, body = await probe("/readyz")
        return status == 503 and body["checks"]["redis"] != "ok"

    await eventually(unready, timeout=5, every=0.2, what="/readyz failing")
    assert (await probe("/healthz"))[0] == 200
    refused = await ben.call("chat", {"text": "while away"})
    assert refused["ok"] is False
    assert refused["error"]["code"] == "not_recorded"
    # nobody was dropped: both still answer, and the refused message reached nobody
    await ana.nothing("chat")
    await ben.nothing("chat")
    assert ana.sio.connected and ben.sio.connected

    pair.redis.restart()  # the same port and append-only file

    async def chat_works() -> bool:
        ack = await ben.call("chat", {"text": "after"})
        return bool(ack["ok"])

    await eventually(chat_works, timeout=20, every=0.5, what="a chat acknowledged again")

    async def ready() -> bool:
        return (await probe("/readyz"))[0] == 200

    await eventually(ready, timeout=10, every=0.5, what="/readyz passing again")
    got = await ana.next("chat", timeout=10)
    assert got["message"]["text"] == "after"
    # and the other way, through the other process's channel, which reconnected by itself
    await ok(ana, "chat", {"text": "from a, after"})
    texts = []
    while True:
        texts.append((await ben.next("chat"))["message"]["text"])
        if texts[-1] == "from a, after":
            break
    assert texts.count("before") == 0 and "while away" not in texts
    # what was acknowledged before the outage is still the session's
    cleo = Peer(pair.b.url)
    await cleo.connect(mentee)
    chat = [m["text"] for m in (await cleo.join("Cleo"))["chat"]]
    assert chat[0] == "before" and "while away" not in chat and chat[-1] == "from a, after"
    for p in (ana, ben, cleo):
        await p.close()
