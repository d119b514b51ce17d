"""Tandem as two workers on one port, sharing sessions through a real Redis: the worker serving a
page is killed (SIGKILL); the page reconnects through the port by itself, is the same person in
the same call, and shows the chat it missed once each and in order, replayed from the room's
history in Redis."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest

from clients.admin import join_token
from clients.server import RedisProcess, ServerProcess, redis_binary
from tests.e2e.tandem_pages import close_page, join, reconnect_after, wait_state, wait_text
from tests.support import Peer

ADMIN_KEY = "workers-e2e-admin-key-0123456789"
MESSAGES_JS = """
() => [...document.querySelectorAll('#chat-log .chat-message .chat-text')].map((e) => e.textContent)
"""


def worker_of(server: ServerProcess, node: str) -> int:
    """The pid of the worker that is ``node`` (each says so in the log when it starts)."""
    found = re.findall(rf"this process \(pid (\d+)\) is node {node} ", server.log_tail(400))
    assert found, f"no worker says it is node {node}"
    return int(found[-1])


async def test_a_page_of_a_killed_worker_comes_back_through_the_port_with_what_it_missed(
        browser: Any, tmp_path: Path) -> None:
    if redis_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; .ci/run installs it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with RedisProcess(tmp_path / "redis") as redis:
        server = ServerProcess(tmp_path / "data", admin_key=ADMIN_KEY,
                               flags=["--redis", redis.url, "--workers", "2"])
        async with server:
            s = server.admin().create_session(title="Workers", max_participants=8)
            base = server.url + "/s/" + s["session_id"] + "#token="
            ben = await join(browser, base + join_token(s["join_urls"]["mentee"]), name="Ben")
            ben_node = (await ben.evaluate("() => window.tandemTestHooks.socket.id"))
            ben_node = ben_node.partition(".")[0]
            ben_id = await ben.evaluate("() => window.tandemTestHooks.participantId")
            # Ana (a plain client) on the other worker: the kernel picks one per connection.
            ana: Peer | None = None
            for _ in range(30):
                peer = Peer(server.url)
                await peer.connect(join_token(s["join_urls"]["mentor"]))
                sid = peer.sio.get_sid() or ""
                if sid.partition(".")[0] != ben_node:
                    ana = peer
                    break
                await peer.close()
            assert ana is not None, "every connection went to Ben's worker"
            await ana.join("Ana")
            await ana.call("chat", {"text": "Before the drop"})
            await wait_text(ben, "#chat-log", "Before the drop")

            # Back 3 s after the drop, so that the chat surely happens meanwhile.
            await reconnect_after(ben, 3000)
            os.kill(worker_of(server, ben_node), signal.SIGKILL)
            await ben.wait_for_function("() => window.tandemTestHooks.state === 'reconnecting'")
            for text in ("One: while you were away", "Two: still away"):
                ack = await ana.call("chat", {"text": text})
                assert ack["ok"], ack
            await wait_state(ben, "call", timeout=20_000)
            assert await ben.evaluate("() => window.tandemTestHooks.participantId") == ben_id
            # Shown once the catch-up after the join is done (the hook still holds the catch-up
            # of the first join until then): it replayed the two from the history in Redis.
            await wait_text(ben, "#chat-log", "Two: still away")
            replayed = await ben.evaluate("() => window.tandemTestHooks.replay")
            assert replayed == {"room": "main", "replayed": 2, "gone": False}
            # A barrier: one more live message; once it shows, the catch-up has been shown.
            await ana.call("chat", {"text": "Three: live again"})
            await wait_text(ben, "#chat-log", "Three: live again")
            assert await ben.evaluate(MESSAGES_JS) == [
                "Before the drop", "One: while you were away", "Two: still away",
                "Three: live again"]
            await ana.close()
            await close_page(ben)
