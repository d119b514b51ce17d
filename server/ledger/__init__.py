"""The attendance ledger: where records are kept, behind an interface a PostgreSQL store can fill.

The contract every implementation keeps:
- ``append`` returns only once the records are durably committed, so a caller may acknowledge an
  event to a client after awaiting it: an acknowledged record survives a crash (SIGKILL, power
  loss where the disk honours flushes).
- Records are never changed. They are deleted only to honour a deletion request for a person or
  a participant, or when they pass the retention period.
- Anonymous ratings are kept apart from the records, with nothing that says who gave them or
  in which order; they are deleted with their session (retention), never with a person.
- Writes are applied in the order they were submitted; ``seq`` numbers grow with that order.
- Reads see only committed records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rooms.attendance import AnonymousRating, Record, SessionInfo
from rooms.errors import NotRecorded

# The order of the values in a raw record row (``Ledger.stream_rows``).
RECORD_FIELDS = ("seq", "session_id", "at", "kind", "participant_id", "person_id", "room", "role",
                 "value", "text", "ends_at", "shared")


class LedgerUnavailable(NotRecorded):
    """The ledger could not commit (disk full, I/O error) or is closed; nothing was recorded."""

    code = "not_recorded"


@dataclass(frozen=True, slots=True)
class SessionQuery:
    """Which sessions to list or export: created (or scheduled to start) in ``[since, until)``."""

    since: float | None = None
    until: float | None = None
    programme: str | None = None
    limit: int = 1000


@dataclass(frozen=True, slots=True)
class SessionListing:
    info: SessionInfo
    participants: int  # distinct participants who joined
    records: int


@dataclass(frozen=True, slots=True)
class DeletionReport:
    records: int
    roster_entries: int


class Ledger(Protocol):
    async def append(self, records: Sequence[Record]) -> None:
        """Write ``records`` (in this order); return once they are committed. A
        ``session_ended`` record also sets the session's end."""
        ...

    async def add_anonymous(self, ratings: Sequence[AnonymousRating]) -> None:
        """Keep anonymous ratings apart from the records, in no order; return once they are
        committed."""
        ...

    async def anonymous_ratings(self, session_id: str) -> list[AnonymousRating]:
        """A session's anonymous ratings, by rating and comment."""
        ...

    async def put_session(self, info: SessionInfo) -> None:
        """Create or update a session's metadata and roster (its end is kept)."""
        ...

    async def session(self, session_id: str) -> SessionInfo:
        """The session's metadata, or ``SessionNotFound``."""
        ...

    async def sessions(self, query: SessionQuery) -> list[SessionListing]:
        """Sessions newest first, at most ``query.limit``."""
        ...

    async def session_ids(self, query: SessionQuery) -> list[str]:
        """Ids of the matching sessions, oldest first, at most ``query.limit``."""
        ...

    async def session_records(self, session_id: str) -> list[Record]:
        """Every record of one session, in ledger order."""
        ...

    def stream_records(
        self, query: SessionQuery, session_id: str | None = None, chunk: int = 5000
    ) -> AsyncIterator[list[Record]]:
        """Records of the matching sessions in ledger order, ``chunk`` at a time, so an export
        never holds the whole ledger in memory."""
        ...

    def stream_rows(
        self, query: SessionQuery, session_id: str | None = None, chunk: int = 5000
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """As ``stream_records``, as raw rows in ``RECORD_FIELDS`` order (for fast exports)."""
        ...

    async def delete_person(self, person_id: str) -> DeletionReport:
        """Delete a roster person's records in every session, and their roster entries."""
        ...

    async def delete_participant(self, session_id: str, participant_id: str) -> DeletionReport:
        """Delete one participant's records in one session (someone not on a roster)."""
        ...

    async def purge(self, before: float, keep: Collection[str] = frozenset()) -> int:
        """Delete the sessions created, meant to end, ended and last recorded before ``before``
        (but those in ``keep``: the session store's sessions still in use), with their
        records; return how many."""
        ...

    async def scrub(self) -> bool:
        """After a deletion request (of the ledger's records, or of what shares its database:
        the session journal): leave no copy of the deleted rows in the database's own files
        where that can be done at once; return whether it was (``Database.scrub``)."""
        ...

    async def ping(self) -> None:
        """Return once the ledger's database answers; ``LedgerUnavailable`` when it cannot be
        reached or the ledger is not running (a readiness check)."""
        ...

    async def close(self) -> None: ...
