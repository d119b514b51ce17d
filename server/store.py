"""Where sessions live. Handlers reach sessions only through ``SessionStore``, so a shared store
(Redis, for several server processes) can replace the in-memory one without touching them.

A command passed to ``update`` is a plain synchronous function of the session: an implementation
must apply it atomically (the in-memory store does so trivially on one event loop; a Redis store
would load, apply and write back under optimistic locking, retrying on conflict).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from rooms.errors import SessionNotFound
from rooms.session import Session

T = TypeVar("T")


class SessionStore(Protocol):
    async def add(self, session: Session) -> None: ...

    async def read(self, session_id: str, query: Callable[[Session], T]) -> T:
        """Run a read-only ``query`` on the session; ``SessionNotFound`` if there is none."""
        ...

    async def update(self, session_id: str, command: Callable[[Session], T]) -> T:
        """Apply ``command`` to the session atomically and keep the result."""
        ...

    async def session_ids(self) -> list[str]: ...


class MemoryStore:
    """Sessions in this process's memory: the embedded default, for one server process."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    async def add(self, session: Session) -> None:
        if session.id in self._sessions:
            raise ValueError(f"session {session.id} already exists")
        self._sessions[session.id] = session

    def _get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise SessionNotFound("There is no session with this id.")
        return session

    async def read(self, session_id: str, query: Callable[[Session], T]) -> T:
        return query(self._get(session_id))

    async def update(self, session_id: str, command: Callable[[Session], T]) -> T:
        return command(self._get(session_id))

    async def session_ids(self) -> list[str]:
        return list(self._sessions)
