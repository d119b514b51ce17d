"""The scenarios: their presets, the plan of a run's clients (who joins which room, in which role)
and the load each one offers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .messages import AbuseKind, ClientPlan

# Tandem limits chat to 5 per second per connection (bursts of 10). A sender never goes above this,
# so that no well-behaved client trips the limiter through timer jitter: a higher per-room or
# presenter rate is spread over more sending connections (the same for every target).
MAX_CHAT_RATE_PER_CONN = 4.0
ABUSE_KINDS: list[AbuseKind] = ["flood", "malformed", "oversized"]


@dataclass
class Scenario:
    kind: str
    clients: int
    rooms: int = 1
    rate: float = (
        2.0  # events per second per sender (many-rooms), or the presenter's total (big-room)
    )
    duration: float = 10.0  # measured seconds (join storm: the window the joins are spread over)
    warmup: float = 1.0
    payload: int = 100  # bytes of chat text
    candidates: int = 10
    sdp_bytes: int = 2000
    abusers: int = 0
    flood_rate: float = 200.0
    drain: float = 15.0
    quiet: float = 1.0


PRESETS: dict[str, dict[str, Any]] = {
    # 1,000 clients in 50 rooms of 20, each sending 2 whiteboard/cursor stand-in events per second
    "many-rooms": dict(
        kind="many-rooms", clients=1000, rooms=50, rate=2.0, duration=20.0, warmup=2.0
    ),
    # 500 clients in one room, a presenter sending 10 events per second
    "big-room": dict(kind="big-room", clients=500, rooms=1, rate=10.0, duration=20.0, warmup=2.0),
    # 1,000 clients connecting and joining within 10 seconds (into 50 rooms of 20)
    "join-storm": dict(kind="join-storm", clients=1000, rooms=50, duration=10.0, warmup=0.0),
    # 500 pairs exchanging offer, answer and 10 ICE candidates each, pair starts spread over 5 s
    "pairs": dict(kind="pairs", clients=1000, duration=5.0, warmup=0.0, candidates=10),
    # scenario 1 with a few abusive clients mixed in (malformed, oversized, flooding)
    "abuse": dict(
        kind="many-rooms", clients=1000, rooms=50, rate=2.0, duration=20.0, warmup=2.0, abusers=6
    ),
}


def make_scenario(preset: str, **overrides: Any) -> Scenario:
    if preset not in PRESETS:
        raise SystemExit(f"unknown scenario {preset!r}; known: {', '.join(PRESETS)}")
    params = dict(PRESETS[preset])
    params.update({k: v for k, v in overrides.items() if v is not None})
    return Scenario(**params)


Plan = tuple[list[ClientPlan], dict[str, int], list[str]]


def plan_clients(sc: Scenario) -> Plan:
    """Builds the client list (index, room, role, ...), the room sizes to provision and notes."""
    if sc.kind in ("many-rooms", "join-storm"):
        return _plan_rooms(sc)
    if sc.kind == "big-room":
        return _plan_big_room(sc)
    if sc.kind == "pairs":
        return _plan_pairs(sc)
    raise SystemExit(f"unknown scenario kind {sc.kind!r}")


def _plan_rooms(sc: Scenario) -> Plan:
    notes: list[str] = []
    clients: list[ClientPlan] = []
    rooms: dict[str, int] = {}
    nrooms = max(1, min(sc.rooms, sc.clients))
    storm = sc.kind == "join-storm"
    for i in range(sc.clients):
        room = f"r{i % nrooms}"
        rooms[room] = rooms.get(room, 0) + 1
        at = sc.duration * i / max(1, sc.clients) if storm else 0.0
        clients.append(ClientPlan(i=i, room=room, role="member" if storm else "sender", at=at))
    if not storm and sc.rate > MAX_CHAT_RATE_PER_CONN:
        notes.append(
            f"rate {sc.rate}/s per client is over the {MAX_CHAT_RATE_PER_CONN}/s kept "
            "under Tandem's chat limit"
        )
    for k in range(sc.abusers):
        room = f"r{k % nrooms}"
        rooms[room] = rooms.get(room, 0) + 1
        kind = ABUSE_KINDS[k % len(ABUSE_KINDS)]
        clients.append(ClientPlan(i=sc.clients + k, room=room, role="abuser", abuse=kind))
    return clients, rooms, notes


def _plan_big_room(sc: Scenario) -> Plan:
    notes: list[str] = []
    senders = max(1, math.ceil(sc.rate / MAX_CHAT_RATE_PER_CONN))
    if senders > 1:
        notes.append(
            f"the presenter's {sc.rate:g} events/s are sent by {senders} presenter "
            "connections at "
            f"{sc.rate / senders:g}/s each (Tandem limits chat to 5/s per connection)"
        )
    clients = [
        ClientPlan(i=i, room="big", role="sender" if i < senders else "listener")
        for i in range(sc.clients)
    ]
    return clients, {"big": sc.clients}, notes


def _plan_pairs(sc: Scenario) -> Plan:
    clients: list[ClientPlan] = []
    rooms: dict[str, int] = {}
    npairs = max(1, sc.clients // 2)
    for p in range(npairs):
        room = f"p{p}"
        at = sc.duration * p / npairs
        clients.append(ClientPlan(i=2 * p, room=room, role="offerer", peer=2 * p + 1, at=at))
        clients.append(ClientPlan(i=2 * p + 1, room=room, role="answerer", peer=2 * p))
        rooms[room] = 2
    return clients, rooms, []


def per_sender_rate(sc: Scenario) -> float:
    if sc.kind == "big-room":
        senders = max(1, math.ceil(sc.rate / MAX_CHAT_RATE_PER_CONN))
        return sc.rate / senders
    return sc.rate


def offered(sc: Scenario, rooms: dict[str, int]) -> tuple[float, float]:
    """(events in per second, deliveries per second) the scenario offers."""
    if sc.kind == "many-rooms":
        ev = sc.clients * sc.rate
        size = sc.clients / max(1, min(sc.rooms, sc.clients))
        return ev, ev * size
    if sc.kind == "big-room":
        return sc.rate, sc.rate * sc.clients
    if sc.kind == "pairs":
        n = (sc.clients // 2) * 2 * (1 + sc.candidates)
        return n / sc.duration, n / sc.duration
    if sc.kind == "join-storm":
        pj = sum(k * (k - 1) // 2 for k in rooms.values())
        return sc.clients / sc.duration, pj / sc.duration
    return 0.0, 0.0
