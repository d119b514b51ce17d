"""Participants' network addresses kept out of the signalling the server relays, in a session
whose people must not see each other's addresses (``SessionPlan.private_addresses``).

Rules of this module: the server does not trust the page. Only candidates relayed by a TURN
server (``typ relay``) pass: they name the TURN server's address, never the participant's. A
relay candidate's related address (``raddr``/``rport``, the participant's own address as the TURN
server saw it) is blanked. A description loses every other candidate line and its connection
addresses (``c=``, ``a=rtcp``, ``o=``) are blanked; ICE ignores them. A lone candidate that is not
relayed is refused with ``relay_only``, so the sender learns that its page is not relay-only.
"""

from __future__ import annotations

from typing import Any

from rooms.errors import RelayOnly
from server.sessions.wire import SignalOut

BLANK_ADDRESS = "0.0.0.0"
_RELAY = "relay"


def relay_candidate(candidate: str) -> str | None:
    """The candidate attribute (``candidate:...``, with or without ``a=``) with its related
    address blanked if it is a relay candidate; None for any other candidate or anything that
    cannot be read as one."""
    tokens = candidate.split()
    # candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
    if len(tokens) < 8 or tokens[6] != "typ" or tokens[7] != _RELAY:
        return None
    out = tokens[:8]
    rest = tokens[8:]
    for name, value in zip(rest[::2], rest[1::2], strict=False):
        if name == "raddr":
            value = BLANK_ADDRESS
        elif name == "rport":
            value = "0"
        out += [name, value]
    return " ".join(out)


def relay_only_description(sdp: str) -> str:
    """A session description with only relay candidates, related and connection addresses
    blanked."""
    newline = "\r\n" if "\r\n" in sdp else "\n"
    lines: list[str] = []
    for line in sdp.split(newline):
        if line.startswith("a=candidate:"):
            kept = relay_candidate(line)
            if kept is not None:
                lines.append(kept)
        elif line.startswith("a=remote-candidates:"):
            continue  # addresses of the other side's candidates
        elif line.startswith("c="):
            lines.append(f"c=IN IP4 {BLANK_ADDRESS}")
        elif line.startswith("a=rtcp:"):
            lines.append(line.split()[0] + f" IN IP4 {BLANK_ADDRESS}")
        elif line.startswith("o="):
            fields = line.split()
            lines.append(" ".join([*fields[:3], "IN", "IP4", BLANK_ADDRESS])
                         if len(fields) == 6 else line)
        else:
            lines.append(line)
    return newline.join(lines)


def relay_only_candidate(candidate: dict[str, Any]) -> dict[str, Any]:
    """A lone candidate (``RTCIceCandidateInit``) that may pass, its related address blanked;
    ``RelayOnly`` for one that is not relayed. An empty one (end of candidates) passes."""
    text = candidate.get("candidate", "")
    if not text:
        return candidate
    kept = relay_candidate(text)
    if kept is None:
        raise RelayOnly(
            "In this session only candidates relayed by a TURN server are passed on, so that "
            "nobody sees anyone else's network address; set iceTransportPolicy to \"relay\"."
        )
    return {**candidate, "candidate": kept}


def relay_only(signal: SignalOut) -> SignalOut:
    """What may be relayed of a ``signal`` in a session whose people must not see each other's
    addresses (``RelayOnly`` for a lone candidate that is not relayed)."""
    out = signal.copy()
    description = out.get("description")
    if description is not None:
        out["description"] = {**description,
                              "sdp": relay_only_description(str(description.get("sdp", "")))}
    candidate = out.get("candidate")
    if candidate is not None:
        out["candidate"] = relay_only_candidate(candidate)
    return out
