"""Abusive clients: what they send, in turn (malformed messages, and oversized ones), and the
loop that sends it (``drive``), run by the load generator's workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from .sioclient import Client
from .tags import pad, tag


def malformed(seq: int, victim: str) -> tuple[str, Any]:
    """The ``seq``-th of the malformed messages, in turn."""
    bad: list[tuple[str, Any]] = [
        ("chat", {"text": 123}),
        ("chat", "not a map"),
        ("chat", {}),
        ("chat", {"text": ""}),
        ("signal", {"to": "0000000000000000", "candidate": {"candidate": "x"}}),
        ("signal", {"to": victim}),
        ("signal", {"to": victim, "description": {"type": "bogus", "sdp": "x"}, "candidate": None}),
        ("join", {"name": "again"}),
        ("media_state", {"audio": "loud"}),
        ("no_such_event", {"x": 1}),
    ]
    return bad[seq % len(bad)]


def oversized(
    tagged: str, victim: str, seq: int, pad: Callable[[str, int], str]
) -> tuple[str, dict[str, Any]]:
    """The ``seq``-th of the oversized messages, in turn: chat text, an SDP, an ICE candidate."""
    big: list[tuple[str, dict[str, Any]]] = [
        ("chat", {"text": pad(tagged, 2500)}),
        ("signal", {"to": victim, "description": {"type": "offer", "sdp": pad(tagged, 70 * 1024)}}),
        (
            "signal",
            {
                "to": victim,
                "candidate": {"candidate": pad(tagged, 2048), "sdpMid": "0", "sdpMLineIndex": 0},
            },
        ),
    ]
    return big[seq % len(big)]


async def drive(c: Client, sender: int, kind: str, victim: str,
                answered: Callable[[Any], None], start_ns: int, end_ns: int,
                flood_rate: float) -> str | None:
    """One abusive client (the ``sender``-th), from ``start_ns`` (the window's start, wall clock;
    the caller waits for it) until ``end_ns``: a flood of chat far over the per-connection limit,
    malformed messages (and, once, bytes that are no Socket.IO packet at all), or oversized ones
    (and, once, one over the message limit). Each answer goes to ``answered``; returns what
    stopped the sending early, if anything did."""

    async def call(event: str, data: Any) -> None:
        await c.emit(event, data, answered)

    seq = 0
    mid_ns = start_ns + int((end_ns - start_ns) * 0.6)
    final_done = False
    try:
        while time.time_ns() < end_ns and not c.closed:
            seq += 1
            if kind == "flood":
                await call("chat", {"text": pad(tag("x", sender, seq), 100)})
                await asyncio.sleep(1 / flood_rate)
                continue
            if kind == "malformed":
                ev, data = malformed(seq, victim)
                await call(ev, data)
                if not final_done and time.time_ns() >= mid_ns:
                    final_done = True
                    # not msgpack at all, then a socket.io packet of an unknown type
                    await c.send_raw(b"\xc1\xc1\xc1garbage")
                    await c.send_raw(b"\x81\xa4type\x09")
                await asyncio.sleep(0.02)
                continue
            if kind == "oversized":
                ev, data = oversized(tag("x", sender, seq), victim, seq, pad)
                await call(ev, data)
                if not final_done and time.time_ns() >= mid_ns:
                    final_done = True
                    # over the 256 KiB message limit: the server should close this connection
                    await call("chat", {"text": pad(tag("x", sender, seq), 300 * 1024)})
                await asyncio.sleep(0.05)
                continue
            await asyncio.sleep(0.1)
    except (ConnectionError, RuntimeError, OSError) as exc:
        return repr(exc)
    return None
