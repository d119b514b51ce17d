"""What the session journals on SQLite (``server.store.sqlite``) and PostgreSQL
(``server.store.postgres``) share: how they write through their database's one writer
(``server.writer``).

Command entries are buffered and handed to the writer's next commit as one batch of rows, all
told by one future; a snapshot and a deletion are operations of the writer. The rows go first in
a commit, so a snapshot that purges its session (``purge``: something was erased from it) also
deletes the entries buffered before it for the same commit. When a commit fails,
its writes fail with ``DatabaseUnavailable`` (a ``NotRecorded``) and ``on_lost`` is told which
sessions lost writes (their store then writes a whole snapshot at their next change). A backend
says only its SQL: the statement inserting an entry and its own snapshot and delete operations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

from server import writer
from server.database import Database
from server.postgres import PgDatabase
from server.writer import DatabaseUnavailable, Rows


class GroupJournal:
    """The journal on a database's writer; closed with it when it owns the database."""

    # The statement inserting (session id, seq, command); the backend's snapshot operation
    # (future, session id, seq, created at, data) and delete operation (future, session ids).
    insert_command: ClassVar[str]
    snapshot_op: ClassVar[type[Any]]
    delete_op: ClassVar[type[Any]]

    def __init__(self, database: Database | PgDatabase, *, owns_database: bool) -> None:
        self.database = database
        self.owns_database = owns_database
        self.on_lost: Callable[[set[str]], None] | None = None
        # Told of sessions whose entries hold the journal back (``SqliteJournal``): their store
        # writes them a snapshot, after which the journal can forget what lies behind them.
        self.on_lagging: Callable[[set[str]], None] | None = None
        self._closed = False
        database.on_failure.append(self._failed)
        # Entries since the last commit: they go into the next one together, told by one future.
        self._entries: list[tuple[Any, ...]] = []
        self._entries_future: asyncio.Future[None] | None = None
        self._entries_sessions: set[str] = set()
        database.add_source(self._drain)

    async def close(self) -> None:
        self._closed = True
        if self.owns_database:
            await self.database.close()

    # -- writes ---------------------------------------------------------------------------------

    def append(self, session_id: str, seq: int, command: bytes) -> asyncio.Future[None]:
        """Buffer an entry for the database's next commit; the future says when it is kept."""
        if self._closed or not self.database.started:
            failed: asyncio.Future[None] = self.database.new_future()
            failed.set_exception(DatabaseUnavailable(
                "The session journal is closed; nothing was kept."))
            failed.exception()
            return failed
        future = self._entries_future
        if future is None:
            # awaited by every command of the commit: one cancelled caller cancels it for none
            future = self._entries_future = self.database.new_shared_future()
            self.database.wake()
        self._entries.append(self._entry(session_id, seq, command))
        self._entries_sessions.add(session_id)
        return future

    def _entry(self, session_id: str, seq: int, command: bytes) -> tuple[Any, ...]:
        """The row ``insert_command`` inserts for an entry."""
        return (session_id, seq, command)

    def _drain(self) -> Rows | None:
        if self._entries_future is None:
            return None
        sessions = self._entries_sessions

        def lost() -> None:
            if self.on_lost is not None:
                self.on_lost(sessions)

        rows = Rows(self.insert_command, self._entries, self._entries_future, lost)
        self._entries, self._entries_future, self._entries_sessions = [], None, set()
        return rows

    async def snapshot(self, session_id: str, seq: int, created_at: float, data: bytes, *,
                       final: bool = False, purge: bool = False) -> asyncio.Future[None]:
        return await self._submit(session_id, self._snapshot_op(session_id, seq, created_at,
                                                                data, final, purge))

    def _snapshot_op(self, session_id: str, seq: int, created_at: float, data: bytes,
                     final: bool, purge: bool) -> writer.Op:
        # The backend's snapshot deletes the session's entries up to ``seq`` in any case: all
        # it made before this snapshot, and so those ``final`` and ``purge`` are to delete.
        op: writer.Op = self.snapshot_op(self.database.new_future(), session_id, seq,
                                         created_at, data)
        return op

    async def delete(self, session_ids: list[str]) -> asyncio.Future[None]:
        return await self._submit(None, self._delete_op(tuple(session_ids)))

    def _delete_op(self, session_ids: tuple[str, ...]) -> writer.Op:
        # The backend's deletion finds the sessions' entries by their session.
        op: writer.Op = self.delete_op(self.database.new_future(), session_ids)
        return op

    async def _submit(self, session_id: str | None, op: writer.Op) -> asyncio.Future[None]:
        try:
            if self._closed:
                raise DatabaseUnavailable("The session journal is closed; nothing was kept.")
            await self.database.submit(op)
        except DatabaseUnavailable as exc:
            op.future.set_exception(exc)
            op.future.exception()
            if session_id is not None and self.on_lost is not None:
                self.on_lost({session_id})
        return op.future

    def _failed(self, ops: list[writer.Op]) -> None:
        """Some of the database's writes were not kept: which sessions lost journal writes."""
        lost = {op.session_id for op in ops if isinstance(op, self.snapshot_op)}
        if lost and self.on_lost is not None:
            self.on_lost(lost)
