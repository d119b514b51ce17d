"""A graceful stop (SIGTERM) of the real server with people connected: an event waiting for its
commit is acknowledged first, every websocket then closes at once (so that its client reconnects,
to another process when there are several), and the server exits within a moment instead of
after aiohttp's minute-long wait for open connections. What was acknowledged is there after a
restart."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from clients.admin import join_token
from clients.server import ServerProcess
from tests.support import WAIT, Peer

ADMIN_KEY = "graceful-stop-admin-key-0123456789"


async def test_sigterm_answers_what_waits_closes_every_socket_and_exits_at_once(
    tmp_path: Path,
) -> None:
    # A commit at most every second: a chat sent now waits for it, with its handler in hand.
    # Long-polling on, for one client whose network lets no websocket through.
    server = ServerProcess(tmp_path / "data", admin_key=ADMIN_KEY,
                           flags=["--commit-interval-ms", "1000", "--long-polling"])
    await server.start_async()
    try:
        async with server.admin_async() as api:
            s = await api.create_session(title="Group", max_participants=8)
        token = join_token(s["join_urls"]["mentee"])
        ana, ben, cy = Peer(server.url), Peer(server.url), Peer(server.url, ("polling",))
        reasons: dict[str, list[Any]] = {"ben": [], "cy": []}
        for peer, name in ((ana, "Ana"), (ben, "Ben"), (cy, "Cy")):
            await peer.connect(token)
            await peer.join(name)
        for peer, name in ((ben, "ben"), (cy, "cy")):
            _watch(peer, reasons[name])
        await ana.call("chat", {"text": "first"})  # commits now; the next waits for the interval
        waiting = asyncio.ensure_future(ana.call("chat", {"text": "said as the server stops"}))
        # Delivered before its commit: once Ben has it, Ana's handler waits for the commit.
        while (await ben.next("chat"))["message"]["text"] != "said as the server stops":
            pass
        started = time.monotonic()
        code = await asyncio.to_thread(server.stop)
        took = time.monotonic() - started
        ack = await waiting
        assert ack["ok"] and ack["message"]["text"] == "said as the server stops", ack
        assert code == 0, server.log_tail()
        # Without the drain, aiohttp waits for open websockets (up to a minute) and the stop
        # ends in SIGKILL after 10 s.
        assert took < WAIT, took
        for peer in (ana, ben, cy):
            await asyncio.wait_for(peer.disconnected.wait(), WAIT)
        # A transport that closed, which a client reconnects after; not a server's disconnect
        # of the namespace ("io server disconnect"), which it would not.
        assert all(r and r[0] != "io server disconnect" for r in reasons.values()), reasons
        log = server.log_tail(200)
        assert "Traceback" not in log and "stopping: closed 3 connections" in log, log
        await server.start_async()
        fresh = Peer(server.url)
        await fresh.connect(token)
        back = await fresh.join("Dee")
        assert [m["text"] for m in back["chat"]] == ["first", "said as the server stops"]
        await fresh.close()
    finally:
        for peer in (ana, ben, cy):
            await peer.close()
        server.stop()


def _watch(peer: Peer, reasons: list[Any]) -> None:
    """Note why ``peer`` was disconnected (and still tell its ``disconnected``)."""

    async def on_disconnect(reason: Any = None) -> None:
        reasons.append(reason)
        peer.disconnected.set()

    peer.sio.on("disconnect", on_disconnect)
