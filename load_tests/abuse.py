"""What abusive clients send, in turn: malformed messages, and oversized ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
