"""This process's copy of one session held in Redis (``server.store.redis``): the session as of a
log entry, and what this process knows of its lease and of the events waiting for delivery; and
the session as Redis holds it, read without a replica."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rooms.command import Command
from rooms.errors import TandemError
from rooms.events import Event
from rooms.lifecycles import SessionState
from rooms.session import Session
from server.store.codec import decode_command, decode_session, encode_command, encode_session
from server.store.memory import SNAPSHOT_FACTOR

logger = logging.getLogger("server.store.redis")  # (the store's log: a replica is its part)

# The session as Redis holds it (``RedisStore._fetch``): its last entry's number, its snapshot,
# the number the snapshot was taken at and the entries since; None when there is no such session.
Fetch = Callable[[str], Awaitable[tuple[int, bytes, int, list[bytes]] | None]]


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

    def replace(self, snapshot: bytes, first: int,
                entries: list[bytes]) -> list[tuple[Event, ...]]:
        """Read again from Redis: its snapshot, taken at entry ``first``, and the entries since.
        The events of the entries after the one the replica was at are returned (to deliver
        here); those of the entries it had not reached when the snapshot was taken are lost
        (``RedisStore._replace``)."""
        had = self.seq
        self.session, self.seq = decode_session(snapshot), first
        self.snapshot_bytes, self.since_snapshot, self.stale = len(snapshot), 0, False
        known = min(max(had - first, 0), len(entries))
        self.apply_entries(entries[:known])
        return self.apply_entries(entries[known:])

    def apply_entries(self, entries: list[bytes]) -> list[tuple[Event, ...]]:
        """Apply the log's entries after ``seq``; the events each caused (to deliver here)."""
        caused = []
        for data in entries:
            self.seq += 1
            self.since_snapshot += len(data)
            try:
                outcome = decode_command(data).apply(self.session)
            except TandemError as exc:  # kept only if it applied where it was given
                logger.error("session %s: entry %d does not apply here (%s)", self.session.id,
                             self.seq, exc.code)
                continue
            if outcome.events:
                caused.append(outcome.events)
        return caused

    def busy(self) -> bool:
        return (self.lock.locked() or bool(self.backlog)
                or (self.delivering is not None and not self.delivering.done()))

    def snapshot_due(self, min_bytes: int) -> bool:
        return self.since_snapshot >= max(SNAPSHOT_FACTOR * self.snapshot_bytes, min_bytes)

    def to_keep(self, command: Command[object], min_bytes: int,
                ended_before: bool = False) -> tuple[bytes, bytes]:
        """What the append keeps of a command just applied to the replica: its log entry, a
        snapshot (b"" for none), or both. A snapshot alone, which empties the log, when the
        command ended the session (kept without its chat) and for a command that is not
        journaled (an erasure: its entry would name what it erased, and the log's earlier
        entries, which do too, are deleted with it at once); both when a snapshot is due (the log
        keeps the entries since the snapshot before, for the replicas a little behind; Redis
        takes it only if it agrees that one is due: ``APPEND``)."""
        ended = self.session.state is SessionState.ENDED
        if (ended and not ended_before) or not command.journaled:
            return b"", encode_session(self.session, with_chat=not ended)
        entry = encode_command(command.for_journal())
        due = self.snapshot_due(min_bytes)
        return entry, encode_session(self.session, with_chat=not ended) if due else b""


async def judged_unused(ids: list[str], fetch: Fetch,
                        when: float) -> tuple[dict[str, int], dict[str, float]]:
    """Which of ``ids`` Redis holds as last used before ``when``, each with the number of the
    last entry it was read at; and when each of the others was last used."""
    unused: dict[str, int] = {}
    in_use: dict[str, float] = {}
    for sid in ids:
        answer = await fetch(sid)
        if answer is None:
            continue
        last = session_as_kept(answer[1], answer[3]).last_used()
        if last < when:
            unused[sid] = answer[0]
        else:
            in_use[sid] = last
    return unused, in_use


def session_as_kept(snapshot: bytes, entries: list[bytes]) -> Session:
    """A session as Redis holds it, read without a replica: its snapshot with the log's
    entries applied (one that does not apply is skipped: it was kept only where it applied)."""
    session = decode_session(snapshot)
    for data in entries:
        with contextlib.suppress(TandemError):
            decode_command(data).apply(session)
    return session


def text_of(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
