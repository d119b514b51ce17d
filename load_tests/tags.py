"""The latency tag. Every event the load generator sends carries its send time inside the part of
the payload the server passes through (chat text, SDP, ICE candidate string, display name):
``LT|<time.time_ns()>|<flag>|<sender>|<seq>|``, read back on receipt with the same clock (all
processes run on one machine). Flags: ``m`` measured, ``w`` warm-up (counted for drops, not for
latency or rates), ``x`` sent by an abuser.
"""

from __future__ import annotations

import re
import time
from typing import Any

time_ns = time.time_ns


def tag(flag: str, sender: int, seq: int) -> str:
    return f"LT|{time_ns()}|{flag}|{sender}|{seq}|"


def pad(s: str, size: int) -> str:
    """``s`` made ``size`` characters long (or left as it is when longer)."""
    return s + "x" * max(0, size - len(s))


# How an EVENT packet whose event is "chat" begins in msgpack, as python-socketio and the Node
# reference (socket.io-msgpack-parser) both encode it: {"type": 2, "data": ["chat", ...], ...}.
# Any other encoding takes the decoding path.
RAW_CHAT_EVENT = b"\x83\xa4type\x02\xa4data\x92\xa4chat"


def raw_chat_tag(payload: bytes) -> tuple[int, str] | None:
    """(send time ns, flag) of a chat EVENT packet that carries exactly one tag, read from its
    msgpack bytes without decoding them; None when the packet is anything else."""
    if not payload.startswith(RAW_CHAT_EVENT):
        return None
    m = _RAW_TAG.search(payload)
    if m is None or payload.find(b"LT|", m.end()) >= 0:
        return None
    return int(m[1]), _FLAGS[m[2]]


_RAW_TAG = re.compile(rb"LT\|(\d+)\|([a-z])\|")
_FLAGS = {bytes([c]): chr(c) for c in range(ord("a"), ord("z") + 1)}


def parse_tag(s: Any) -> tuple[int, str] | None:
    """Returns (send time ns, flag) from a string that contains a tag, or None."""
    if not isinstance(s, str):
        return None
    k = s.find("LT|")
    if k < 0:
        return None
    parts = s[k:].split("|", 3)
    if len(parts) < 3:
        return None
    try:
        return int(parts[1]), parts[2]
    except ValueError:
        return None
