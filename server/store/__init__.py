"""Where sessions live. Handlers reach sessions only through ``SessionStore``: a command goes in
(``rooms.commands``), its value and events come out, and the store keeps the change.

The contract every implementation keeps:
- ``update`` applies the command atomically: no other command of the same session runs between
  reading the session and keeping the result; a refused command (a ``TandemError``) changes
  nothing and keeps nothing.
- ``Applied.durable`` resolves once the change is kept where a restart finds it, or fails with
  ``NotRecorded``; a caller acknowledges the command only after awaiting it.
- A store can be rebuilt from what it kept: a session is its latest snapshot
  (``rooms.snapshot``) plus the commands applied since, in order.
- A command that is not journaled (``journaled``: an erasure, whose entry would name what it
  erased) is kept as a snapshot that deletes the session's earlier entries in the same write:
  they hold what was erased (chat, goals, names), which must be gone once the command is
  acknowledged, not at the next compaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Generic, NamedTuple, Protocol, TypeVar

from rooms.commands import Command
from rooms.events import Event
from rooms.session import Session

T = TypeVar("T")
V = TypeVar("V", covariant=True)


class Applied(NamedTuple, Generic[V]):
    """A command that took effect: its value, its events, and when it is kept."""

    value: V
    events: tuple[Event, ...]
    durable: Awaitable[None]


class SessionStore(Protocol):
    async def add(self, session: Session) -> None:
        """Keep a new session; returns once it is durable."""
        ...

    async def read(self, session_id: str, query: Callable[[Session], T]) -> T:
        """Run a read-only ``query`` on the session; ``SessionNotFound`` if there is none."""
        ...

    async def read_latest(self, session_id: str, query: Callable[[Session], T]) -> T:
        """As ``read``, with every change kept so far, wherever it was made: with several
        processes, this process's copy is first brought up to date (for a read that must not
        lag behind what is already served from elsewhere, such as who may read a room's
        history)."""
        ...

    async def update(self, session_id: str, command: Command[V]) -> Applied[V]:
        """Apply ``command`` to the session atomically and keep the result."""
        ...

    async def session_ids(self) -> list[str]: ...

    async def delete(self, session_ids: list[str]) -> None:
        """Forget these sessions, in memory and wherever they are kept."""
        ...

    async def expire(self, when: float) -> list[str]:
        """Delete the sessions last used before ``when``, and return them (``Session.last_used``:
        the retention rule must not take a session scheduled ahead, or still in use, for an old
        one). A session changed while this runs (someone joins it) is in use: it is kept."""
        ...

    async def sessions_where(self, test: Callable[[Session], bool],
                             holding: str | Collection[str] | None = None) -> list[str]:
        """Sessions whose state passes ``test`` (a deletion request finding those that name a
        person), and those whose erasure is applied but not yet kept: a request that failed
        finds them again when it is made again. ``holding``: also those whose kept journal
        (their last snapshot, the entries since) holds one of those texts as a whole value
        (``server.store.holding``: "ana" is not found in "banana"), though their state does
        not (a person named by a change that a later one undid). Each session is read once."""
        ...

    async def scrub(self) -> bool:
        """After a deletion: what the store keeps on disk of its own is rewritten without what
        was deleted (Redis's files); False when that could not be done now."""
        ...



def done() -> asyncio.Future[None]:
    """An already-resolved durability future (for what needs no disk)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future
