"""What the load-test coordinator (``runner.py``) and its worker processes (``worker.py``) say to
each other, and the one place it is encoded and decoded: one JSON object a line, on the worker's
stdin and stdout, with the message's name in ``"type"``.

    coordinator -> worker   WorkerSpec  the scenario and this worker's share of the clients
    worker -> coordinator   Ready       its clients connected and joined (not in a join storm)
    coordinator -> worker   Go          start at this wall-clock time; everyone's participant ids
    worker -> coordinator   Done        its counts once deliveries stopped arriving (the latency
                                        samples go to the file named in the spec)
    coordinator -> worker   Close
    worker -> coordinator   Closed      its connections are closed; it exits
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NotRequired, TypedDict, TypeVar

Role = Literal["sender", "member", "listener", "abuser", "offerer", "answerer"]
AbuseKind = Literal["flood", "malformed", "oversized"]


@dataclass(frozen=True, slots=True)
class ClientPlan:
    """One client of the run, as the coordinator planned it."""

    i: int  # the client's index in the whole run
    room: str  # the room key it joins (a Tandem session per room)
    role: Role
    at: float = 0.0  # join storm, pair offerers: when to start, in seconds into the window
    peer: int | None = None  # pairs: the partner's index
    abuse: AbuseKind | None = None  # abusers: what kind of bad traffic
    auth: dict[str, Any] | None = None  # the Socket.IO CONNECT auth (once provisioned)
    join: dict[str, Any] = field(default_factory=dict)  # the join payload (once provisioned)


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    url: str
    kind: str  # the scenario kind: many-rooms, big-room, join-storm, pairs
    event: str  # the chat-like event the target relays to the room
    # Whether each chat message carries an id of the sender's page, as the web client's do
    # (``client_id``, which a server before it refuses).
    chat_ids: bool
    clients: list[ClientPlan]
    lat_path: str  # where the worker writes its latency samples (int64 microseconds)
    seed: int
    rate: float  # events per second per sender
    duration: float
    warmup: float
    payload: int
    candidates: int
    sdp_bytes: int
    flood_rate: float
    drain: float
    quiet: float
    join_concurrency: int = 50


@dataclass(frozen=True, slots=True)
class Ready:
    setup_s: float
    ids: dict[str, str]  # client index (as a string: JSON keys) -> participant id
    joined_rooms: dict[str, int]
    errors: dict[str, int]
    pid: int


@dataclass(frozen=True, slots=True)
class Go:
    start_at: float  # time.time() of the start (the warm-up, if any, comes first)
    ids: dict[str, str]  # every worker's client index -> participant id


class AbuserReport(TypedDict):
    """What happened to one abusive client (kept as is in the results)."""

    kind: AbuseKind | None
    acks: dict[str, int]  # acknowledgement code -> count
    no_ack: int
    disconnected: bool
    disconnect_reason: str | None
    joined: bool
    send_error: NotRequired[str]


@dataclass(frozen=True, slots=True)
class Done:
    """A worker's counts after the run; a worker that crashed sends ``crash`` and its errors."""

    crash: str | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0
    drained_s: float = 0.0
    sent_total: int = 0
    sent_measured: int = 0
    sent_measured_ok: int = 0
    sent_measured_refused: int = 0
    not_refused_by_room: dict[str, int] = field(default_factory=dict)
    signals_not_refused: int = 0
    recv_by_room: dict[str, int] = field(default_factory=dict)
    recv_measured: int = 0
    recv_in_window: int = 0
    lat_count: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    unexpected_disconnects: int = 0
    abuse_delivered: int = 0
    other_events: dict[str, int] = field(default_factory=dict)
    loop_lag_p99: float = 0.0
    loop_lag_max: float = 0.0
    send_lag_p99: float = 0.0
    send_lag_max: float = 0.0
    pair_done: dict[str, float] = field(default_factory=dict)  # "pair/role" -> ms to complete
    join_lat: list[float] = field(default_factory=list)  # join storm: seconds per join
    pj_lat: list[int] = field(default_factory=list)  # participant_joined latency, microseconds
    # chat-like events sent in the window and acknowledged ok: seconds from sending to the
    # acknowledgement (which Tandem gives once the event is durable)
    ack_lat: list[float] = field(default_factory=list)
    joined_rooms: dict[str, int] = field(default_factory=dict)
    abuse: dict[str, AbuserReport] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Close:
    pass


@dataclass(frozen=True, slots=True)
class Closed:
    pass


Message = WorkerSpec | Ready | Go | Done | Close | Closed
MessageT = TypeVar("MessageT", WorkerSpec, Ready, Go, Done, Close, Closed)

_NAMES: dict[type[Any], str] = {
    WorkerSpec: "spec", Ready: "ready", Go: "go", Done: "done", Close: "close", Closed: "closed",
}
_TYPES = {name: kind for kind, name in _NAMES.items()}


class ProtocolError(Exception):
    """A line that is not the message expected."""


def encode(message: Message) -> bytes:
    """One line of JSON, newline included."""
    return (json.dumps({"type": _NAMES[type(message)], **asdict(message)}) + "\n").encode()


def decode(line: bytes | str) -> Message:
    data = json.loads(line)
    if not isinstance(data, dict) or data.get("type") not in _TYPES:
        raise ProtocolError(f"not a load-test message: {str(line)[:200]}")
    kind = _TYPES[data.pop("type")]
    if kind is WorkerSpec:
        data["clients"] = [ClientPlan(**c) for c in data["clients"]]
    message: Message = kind(**data)
    return message


def decode_as(line: bytes | str, kind: type[MessageT]) -> MessageT:
    """``decode``, failing unless the line is a ``kind``."""
    message = decode(line)
    if not isinstance(message, kind):
        raise ProtocolError(f"expected {kind.__name__}, got {type(message).__name__}")
    return message
