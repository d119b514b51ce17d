"""Sessions in this process's memory, optionally kept in a journal: the embedded default for one
server process.

Every command applied that changes its session is appended to the journal (``server.store.sqlite``)
as its session's next numbered entry (a caption line changes nothing, so its text is never
written). Once the entries written since a session's last snapshot weigh twice as much as that
snapshot (and at least ``SNAPSHOT_MIN_BYTES``), and when a session ends, the whole session is
written as a snapshot instead, which lets the journal forget the entries before it: the replay
at start stays within about three times the session's size, and a busy session's snapshots cost
less per command than its entries do (SQLite forgets them once no other session holds the
journal back, and asks for a snapshot of one that does: ``on_lagging``, ``_catch_up``). A
session that has ended is kept without its chat history: chat text lives on disk only for the
life of the session (the attendance ledger keeps it when the session keeps chat). A command that
is not journaled (an erasure: its entry would name the person) writes no entry: the session is
written a snapshot that deletes all its earlier entries (``purge``), and every later snapshot of
it does so too until one is on disk. On start, each session is rebuilt from its snapshot and the
entries after it. Without a journal (tests of the domain's adapters) nothing is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol, TypeVar

from rooms.commands import Command
from rooms.errors import NotRecorded, SessionNotFound, TandemError
from rooms.lifecycles import SessionState
from rooms.session import Session
from server.store import Applied, done
from server.store.codec import decode_command, decode_session, encode_command, encode_session
from server.store.holding import Holding

logger = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")
SNAPSHOT_MIN_BYTES = 256 * 1024
SNAPSHOT_FACTOR = 2


@dataclass(frozen=True, slots=True)
class StoredSession:
    """What a journal holds for one session: its snapshot and the entries after it."""

    session_id: str
    seq: int
    snapshot: bytes
    commands: tuple[tuple[int, bytes], ...]


@dataclass(slots=True)
class _Kept:
    """Where a session's journal stands: its last entry, the weight of its last snapshot and of
    the entries after it, and whether the journal lost track of it (a write that failed, or an
    entry that no longer applied when the session was rebuilt); and the number of the last
    command that was not journaled, until a snapshot that purges is on disk (None: none due)."""

    seq: int
    snapshot_bytes: int
    since_snapshot: int = 0
    lost: bool = False
    purge: int | None = None

    def snapshot_due(self, min_bytes: int) -> bool:
        return self.lost or self.since_snapshot >= max(SNAPSHOT_FACTOR * self.snapshot_bytes,
                                                       min_bytes)


class Journal(Protocol):
    # Told which sessions lost writes when a commit fails.
    on_lost: Callable[[set[str]], None] | None
    # Told which sessions hold back the journal's forgetting of old entries: each is to be
    # written a snapshot.
    on_lagging: Callable[[set[str]], None] | None

    async def start(self) -> list[StoredSession]:
        """Open the journal and return everything it holds."""
        ...

    def append(self, session_id: str, seq: int, command: bytes) -> asyncio.Future[None]:
        """Keep an entry; the future says when it is on disk (or fails with ``NotRecorded``)."""
        ...

    async def snapshot(self, session_id: str, seq: int, created_at: float, data: bytes, *,
                       final: bool = False, purge: bool = False) -> asyncio.Future[None]:
        """Keep the whole session as of entry ``seq``; ``final`` once it has ended (its
        entries, which hold its chat, are then deleted at once), ``purge`` when something was
        erased from it (every entry of it the journal knows, including those buffered for the
        same commit, is deleted in the snapshot's transaction)."""
        ...

    async def delete(self, session_ids: list[str]) -> asyncio.Future[None]: ...

    async def holding(self, session_ids: list[str], holding: Holding) -> list[str]:
        """The sessions whose entries on disk hold one of ``holding``'s texts as a whole value
        (any session's), or whose snapshot does (of ``session_ids`` only)."""
        ...

    async def close(self) -> None: ...


class MemoryStore:
    def __init__(self, journal: Journal | None = None, *,
                 snapshot_min_bytes: int = SNAPSHOT_MIN_BYTES) -> None:
        self._sessions: dict[str, Session] = {}
        self._kept: dict[str, _Kept] = {}
        self._journal = journal
        self._snapshot_min_bytes = snapshot_min_bytes
        # Snapshots written because the journal asked for them (``_catch_up``).
        self._catching_up: set[asyncio.Task[None]] = set()
        if journal is not None:
            journal.on_lost = self._lost
            journal.on_lagging = self._catch_up

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> int:
        """Rebuild the sessions the journal holds; return how many."""
        if self._journal is None:
            return 0
        for stored in await self._journal.start():
            try:
                session = decode_session(stored.snapshot)
            except TandemError:
                logger.exception("session %s: its snapshot cannot be read; it is left out",
                                 stored.session_id)
                continue
            self._sessions[session.id] = session
            self._kept[session.id] = _Kept(
                seq=max([stored.seq, *(seq for seq, _ in stored.commands)]),
                snapshot_bytes=len(stored.snapshot),
                since_snapshot=sum(len(data) for _, data in stored.commands),
                lost=not self._replay(session, stored.commands))
        return len(self._sessions)

    @staticmethod
    def _replay(session: Session, commands: tuple[tuple[int, bytes], ...]) -> bool:
        """Apply the entries after the snapshot; say whether every one applied."""
        intact = True
        for seq, data in commands:
            try:
                decode_command(data).apply(session)
            except TandemError as exc:
                # Only commands that succeeded were kept; one that fails now followed a write
                # that was lost. The next change writes a whole snapshot again.
                logger.error("session %s: entry %d no longer applies (%s)", session.id, seq,
                             exc.code)
                intact = False
        return intact

    async def close(self) -> None:
        if self._catching_up:
            await asyncio.gather(*self._catching_up, return_exceptions=True)
        if self._journal is not None:
            await self._journal.close()

    # -- the store --------------------------------------------------------------------------------

    async def add(self, session: Session) -> None:
        if session.id in self._sessions:
            raise ValueError(f"session {session.id} already exists")
        self._sessions[session.id] = session
        data = encode_session(session)
        self._kept[session.id] = _Kept(seq=0, snapshot_bytes=len(data))
        if self._journal is not None:
            await (await self._journal.snapshot(session.id, 0, session.created_at, data))

    def _get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise SessionNotFound("There is no session with this id.")
        return session

    async def read(self, session_id: str, query: Callable[[Session], T]) -> T:
        return query(self._get(session_id))

    read_latest = read  # (one process: memory holds every change)

    async def update(self, session_id: str, command: Command[V]) -> Applied[V]:
        session = self._get(session_id)
        outcome = command.apply(session)
        kept = self._keep(session, command)
        if kept is None:  # a snapshot: it waits its turn for the writer's queue
            kept = await self._snapshot(session)
        return Applied(outcome.value, outcome.events, kept)

    def _keep(self, session: Session, command: Command[object]) -> asyncio.Future[None] | None:
        """Keep the command as the session's next entry; None when a snapshot is due instead."""
        journal = self._journal
        if journal is None or not command.changes_session:
            return done()
        kept = self._kept[session.id]
        kept.seq += 1
        if not command.journaled:
            kept.purge = kept.seq
        if (kept.purge is not None or session.state is SessionState.ENDED
                or kept.snapshot_due(self._snapshot_min_bytes)):
            return None
        data = encode_command(command.for_journal())
        kept.since_snapshot += len(data)
        return journal.append(session.id, kept.seq, data)

    async def _snapshot(self, session: Session) -> asyncio.Future[None]:
        """The whole session, as of its latest entry (without its chat once it has ended);
        one that purges while a purge is pending."""
        assert self._journal is not None
        kept = self._kept[session.id]
        data = encode_session(session, with_chat=session.state is not SessionState.ENDED)
        kept.snapshot_bytes, kept.since_snapshot, kept.lost = len(data), 0, False
        seq, purge = kept.seq, kept.purge is not None
        future = await self._journal.snapshot(session.id, seq, session.created_at, data,
                                              final=session.state is SessionState.ENDED,
                                              purge=purge)
        if purge:
            future.add_done_callback(lambda f: self._purged(kept, seq, f))
        return future

    @staticmethod
    def _purged(kept: _Kept, seq: int, future: asyncio.Future[None]) -> None:
        """A purging snapshot as of entry ``seq`` is on disk (or failed, and the purge stays
        pending): an erasure at or before it is kept; one made since is still pending."""
        if (not future.cancelled() and future.exception() is None and kept.purge is not None
                and kept.purge <= seq):
            kept.purge = None

    def _catch_up(self, session_ids: set[str]) -> None:
        """Write a snapshot of each of these sessions now (idle ones whose old entries the
        journal would otherwise keep)."""
        for sid in session_ids:
            session = self._sessions.get(sid)
            if session is not None:
                task = asyncio.ensure_future(self._snapshot_kept(session))
                self._catching_up.add(task)
                task.add_done_callback(self._catching_up.discard)

    async def _snapshot_kept(self, session: Session) -> None:
        try:
            await (await self._snapshot(session))
        except NotRecorded as exc:  # the journal is told of it again later
            logger.warning("session %s: its snapshot was not kept (%s)", session.id, exc.code)

    def _lost(self, session_ids: set[str]) -> None:
        """Writes of these sessions were lost: the journal no longer says what memory holds, so
        their next change is kept as a whole snapshot."""
        for sid in session_ids:
            kept = self._kept.get(sid)
            if kept is not None:
                kept.lost = True

    async def session_ids(self) -> list[str]:
        return list(self._sessions)

    async def delete(self, session_ids: list[str]) -> None:
        for sid in session_ids:
            self._sessions.pop(sid, None)
            self._kept.pop(sid, None)
        if self._journal is not None and session_ids:
            await (await self._journal.delete(session_ids))

    async def expire(self, when: float) -> list[str]:
        # (judged and taken out of memory in one step: nothing changes a session between)
        unused = [s.id for s in self._sessions.values() if s.last_used() < when]
        await self.delete(unused)
        return unused

    async def scrub(self) -> bool:
        """Nothing of its own: the journal is on the ledger's database (``Ledger.scrub``)."""
        return True

    async def sessions_where(self, test: Callable[[Session], bool],
                             holding: str | Collection[str] | None = None) -> list[str]:
        """Those in memory that pass ``test``, and those whose erasure (applied here) is not
        on disk yet: made again, the request writes the purging snapshot again. ``holding``:
        also those whose entries on the journal hold one of those texts as a whole value, or
        whose snapshot does while entries since it change what it says (with none, the
        session is as its snapshot). Memory is read once, and the journal's entries in one
        query (``server.store.holding``)."""
        found = [sid for sid, s in self._sessions.items()
                 if self._kept[sid].purge is not None or test(s)]
        if holding is None or self._journal is None:
            return found
        named = set(found)
        changed = [sid for sid in self._sessions
                   if sid not in named and self._kept[sid].since_snapshot > 0]
        return found + [sid for sid in await self._journal.holding(changed, Holding.of(holding))
                        if sid in self._sessions and sid not in named]
