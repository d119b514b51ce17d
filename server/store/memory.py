"""Sessions in this process's memory, optionally kept in a journal: the embedded default for one
server process.

Every command applied is appended to the journal (``server.store.sqlite``) as its session's next
numbered entry; every ``SNAPSHOT_EVERY`` entries, and when a session ends, the whole session is
written as a snapshot instead, which lets the journal forget the entries before it. A session that
has ended is kept without its chat history: chat text lives on disk only for the life of the
session (the attendance ledger keeps it when the session keeps chat). On start, each session is
rebuilt from its snapshot and the entries after it. Without a journal (tests of the domain's
adapters) nothing is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from rooms.commands import Command
from rooms.errors import SessionNotFound, TandemError
from rooms.lifecycles import SessionState
from rooms.session import Session
from server.store import Applied, done
from server.store.codec import decode_command, decode_session, encode_command, encode_session

logger = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")
# A snapshot replaces the journal entries of a session this often (a snapshot of a busy session
# with its chat is a few hundred kilobytes: writing one costs about as much as a few hundred
# entries).
SNAPSHOT_EVERY = 500


@dataclass(frozen=True, slots=True)
class StoredSession:
    """What a journal holds for one session: its snapshot and the entries after it."""

    session_id: str
    seq: int
    snapshot: bytes
    commands: tuple[tuple[int, bytes], ...]


class Journal(Protocol):
    async def start(self) -> list[StoredSession]:
        """Open the journal and return everything it holds."""
        ...

    def append(self, session_id: str, seq: int, command: bytes) -> asyncio.Future[None]: ...

    def snapshot(self, session_id: str, seq: int, created_at: float,
                 data: bytes) -> asyncio.Future[None]: ...

    def delete(self, session_ids: list[str]) -> asyncio.Future[None]: ...

    async def close(self) -> None: ...


class MemoryStore:
    def __init__(self, journal: Journal | None = None, *,
                 snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self._sessions: dict[str, Session] = {}
        self._seq: dict[str, int] = {}
        self._snapshot_seq: dict[str, int] = {}
        self._journal = journal
        self._snapshot_every = snapshot_every

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> int:
        """Rebuild the sessions the journal holds; return how many."""
        if self._journal is None:
            return 0
        for stored in await self._journal.start():
            session = self._rebuild(stored)
            if session is None:
                continue
            self._sessions[session.id] = session
            self._seq[session.id] = max([stored.seq, *(seq for seq, _ in stored.commands)])
            self._snapshot_seq[session.id] = stored.seq
        return len(self._sessions)

    @staticmethod
    def _rebuild(stored: StoredSession) -> Session | None:
        try:
            session = decode_session(stored.snapshot)
        except TandemError:
            logger.exception("session %s: its snapshot cannot be read; it is left out",
                             stored.session_id)
            return None
        for seq, data in stored.commands:
            try:
                decode_command(data).apply(session)
            except TandemError as exc:
                # Only commands that succeeded were kept; one that fails now followed a write
                # that was lost. The next change writes a whole snapshot again.
                logger.error("session %s: entry %d no longer applies (%s)", session.id, seq,
                             exc.code)
        return session

    async def close(self) -> None:
        if self._journal is not None:
            await self._journal.close()

    # -- the store --------------------------------------------------------------------------------

    async def add(self, session: Session) -> None:
        if session.id in self._sessions:
            raise ValueError(f"session {session.id} already exists")
        self._sessions[session.id] = session
        self._seq[session.id] = self._snapshot_seq[session.id] = 0
        if self._journal is not None:
            await self._journal.snapshot(session.id, 0, session.created_at,
                                         encode_session(session))

    def _get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise SessionNotFound("There is no session with this id.")
        return session

    async def read(self, session_id: str, query: Callable[[Session], T]) -> T:
        return query(self._get(session_id))

    async def update(self, session_id: str, command: Command[V]) -> Applied[V]:
        session = self._get(session_id)
        outcome = command.apply(session)
        return Applied(outcome.value, outcome.events, self._keep(session, command))

    def _keep(self, session: Session, command: Command[object]) -> asyncio.Future[None]:
        journal = self._journal
        if journal is None:
            return done()
        sid = session.id
        seq = self._seq[sid] = self._seq[sid] + 1
        ended = session.state is SessionState.ENDED
        if ended or seq - self._snapshot_seq[sid] >= self._snapshot_every:
            self._snapshot_seq[sid] = seq
            kept = journal.snapshot(sid, seq, session.created_at,
                                    encode_session(session, with_chat=not ended))
        else:
            kept = journal.append(sid, seq, encode_command(command))
        kept.add_done_callback(lambda f: self._after_write(sid, f))
        return kept

    def _after_write(self, session_id: str, future: asyncio.Future[None]) -> None:
        if not future.cancelled() and future.exception() is not None:
            # Lost: the journal no longer says what memory holds. Snapshot at the next change.
            self._snapshot_seq[session_id] = -self._snapshot_every

    async def session_ids(self) -> list[str]:
        return list(self._sessions)

    async def delete(self, session_ids: list[str]) -> None:
        for sid in session_ids:
            self._sessions.pop(sid, None)
            self._seq.pop(sid, None)
            self._snapshot_seq.pop(sid, None)
        if self._journal is not None and session_ids:
            await self._journal.delete(session_ids)

    async def created_before(self, when: float) -> list[str]:
        return [s.id for s in self._sessions.values() if s.created_at < when]
