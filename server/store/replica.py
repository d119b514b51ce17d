"""This process's copy of one session held in Redis (``server.store.redis``): the session as of a
log entry, and what this process knows of its lease and of the events waiting for delivery."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from rooms.events import Event
from rooms.session import Session
from server.store.memory import SNAPSHOT_FACTOR


@dataclass(slots=True)
class Replica:
    """This process's copy of one session: as of log entry ``seq``."""

    session: Session
    seq: int
    snapshot_bytes: int
    since_snapshot: int = 0
    stale: bool = False  # an append's outcome is unknown: read the session again before use
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Events of commands given elsewhere, delivered here one batch after another, in order.
    backlog: deque[tuple[Event, ...]] = field(default_factory=deque)
    delivering: asyncio.Task[None] | None = None
    used: float = field(default_factory=time.monotonic)  # last read or command here
    # Until when (the loop's clock) this process surely holds the session's lease, kept after
    # its last change (0: not held), and when that change was sent; the timer that lets it go;
    # until when the lease is given back after each change (another process changed the
    # session or asked for the lease).
    held_until: float = 0.0
    changed_at: float = 0.0
    let_go: asyncio.TimerHandle | None = None
    shared_until: float = 0.0

    def busy(self) -> bool:
        return (self.lock.locked() or bool(self.backlog)
                or (self.delivering is not None and not self.delivering.done()))

    def snapshot_due(self, min_bytes: int) -> bool:
        return self.since_snapshot >= max(SNAPSHOT_FACTOR * self.snapshot_bytes, min_bytes)
