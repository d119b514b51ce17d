"""Documents: what the programme console keeps (cohorts, people, matches, schedules, webhooks,
admin accounts, the audit log), as small JSON documents by kind and key in the server's one
database, SQLite or PostgreSQL.

Rules of this module: a write is a list of changes applied in one transaction through the
database's one writer, so an import of a thousand people is kept whole or not at all, and an
awaited write is on disk (``DatabaseUnavailable``, a ``NotRecorded``, when it is not). Each
document has a ``scope`` (the cohort or webhook it belongs to) so that a scope is listed or
deleted at once, and a ``version`` that a change may require (``Conflict`` when another admin
changed it first). Bodies are JSON objects; what they mean belongs to the feature that wrote them.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from rooms.errors import TandemError
from server.database import Database, Op
from server.postgres import Connection, PgDatabase, PgOp

SCHEMA_VERSION = 1
SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    scope TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS documents_by_scope ON documents (kind, scope, key);
"""
PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    scope TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS documents_by_scope ON documents (kind, scope, key);
"""
LIST_MAX = 10_000  # documents one listing returns at most


class Conflict(TandemError):
    """A change required a version that another change replaced first."""

    code: ClassVar[str] = "conflict"


@dataclass(frozen=True, slots=True)
class Document:
    kind: str
    key: str
    scope: str
    version: int
    updated_at: float
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Put:
    """Write a document; ``expect`` is the version it must have now (0: must not exist)."""

    kind: str
    key: str
    body: dict[str, Any]
    scope: str = ""
    expect: int | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete one document (``key``) or every document of a kind in a scope (``scope``)."""

    kind: str
    key: str | None = None
    scope: str | None = None

    def __post_init__(self) -> None:
        if (self.key is None) == (self.scope is None):
            raise ValueError("a deletion names a key or a scope, not both")


Change = Put | Delete


class Documents(Protocol):
    async def get(self, kind: str, key: str) -> Document | None: ...

    async def find(self, kind: str, scope: str | None = None, *, after: str = "",
                   limit: int = LIST_MAX) -> list[Document]: ...

    async def write(self, changes: Sequence[Change], now: float) -> list[int]: ...


def _row(row: Sequence[Any]) -> Document:
    kind, key, scope, version, updated_at, body = row
    return Document(kind, key, scope, int(version), float(updated_at), json.loads(body))


def _encode(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


_COLUMNS = "kind, key, scope, version, updated_at, body"


def _conflict(put: Put, found: int | None) -> Conflict:
    now = "no longer exists" if found is None else f"is at version {found}"
    return Conflict(f"{put.kind} {put.key!r} changed meanwhile (expected version "
                    f"{put.expect}; it {now}). Reload and try again.")


# -- SQLite ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _SqliteWrite(Op):
    changes: Sequence[Change] = ()
    now: float = 0.0

    def run(self, db: sqlite3.Connection) -> list[int] | Conflict:
        # Inside the writer's transaction: a refusal must undo this write's earlier changes only.
        db.execute("SAVEPOINT documents")
        versions: list[int] = []
        for change in self.changes:
            if isinstance(change, Delete):
                if change.key is not None:
                    db.execute("DELETE FROM documents WHERE kind = ? AND key = ?",
                               (change.kind, change.key))
                else:
                    db.execute("DELETE FROM documents WHERE kind = ? AND scope = ?",
                               (change.kind, change.scope))
                versions.append(0)
                continue
            row = db.execute("SELECT version FROM documents WHERE kind = ? AND key = ?",
                             (change.kind, change.key)).fetchone()
            found = None if row is None else int(row[0])
            if change.expect is not None and (found or 0) != change.expect:
                db.execute("ROLLBACK TO documents")
                db.execute("RELEASE documents")
                return _conflict(change, found)
            version = (found or 0) + 1
            db.execute(f"INSERT OR REPLACE INTO documents ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                       (change.kind, change.key, change.scope, version, self.now,
                        _encode(change.body)))
            versions.append(version)
        db.execute("RELEASE documents")
        return versions


class SqliteDocuments:
    def __init__(self, database: Database) -> None:
        self.database = database

    def open(self) -> None:
        """Create the table (synchronously: once, before serving)."""
        self.database.open().executescript(SQLITE_SCHEMA)

    async def _read(self, sql: str, args: tuple[Any, ...]) -> list[Document]:
        def read(db: sqlite3.Connection) -> list[Document]:
            return [_row(r) for r in db.execute(sql, args).fetchall()]

        loop = asyncio.get_running_loop()
        rows: list[Document] = await loop.run_in_executor(None, self.database.read, read)
        return rows

    async def get(self, kind: str, key: str) -> Document | None:
        rows = await self._read(f"SELECT {_COLUMNS} FROM documents WHERE kind = ? AND key = ?",
                                (kind, key))
        return rows[0] if rows else None

    async def find(self, kind: str, scope: str | None = None, *, after: str = "",
                   limit: int = LIST_MAX) -> list[Document]:
        limit = max(0, min(limit, LIST_MAX))
        if scope is None:
            return await self._read(
                f"SELECT {_COLUMNS} FROM documents WHERE kind = ? AND key > ? "
                "ORDER BY key LIMIT ?", (kind, after, limit))
        return await self._read(
            f"SELECT {_COLUMNS} FROM documents WHERE kind = ? AND scope = ? AND key > ? "
            "ORDER BY key LIMIT ?", (kind, scope, after, limit))

    async def write(self, changes: Sequence[Change], now: float) -> list[int]:
        """Apply ``changes`` in one transaction; the new version of each (0 for a deletion)."""
        op = _SqliteWrite(self.database.new_future(), changes=tuple(changes), now=now)
        future = await self.database.submit(op)
        result: list[int] | Conflict = await future
        if isinstance(result, Conflict):
            raise result
        return result


# -- PostgreSQL -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _PgWrite(PgOp):
    changes: Sequence[Change] = ()
    now: float = 0.0

    async def run(self, conn: Connection) -> list[int] | Conflict:
        try:
            async with conn.transaction():  # a savepoint inside the writer's transaction
                return await self._apply(conn)
        except _Refused as refused:
            return refused.conflict

    async def _apply(self, conn: Connection) -> list[int]:
        versions: list[int] = []
        for change in self.changes:
            if isinstance(change, Delete):
                if change.key is not None:
                    await conn.execute("DELETE FROM documents WHERE kind = $1 AND key = $2",
                                       change.kind, change.key)
                else:
                    await conn.execute(
                        "DELETE FROM documents WHERE kind = $1 AND scope = $2",
                        change.kind, change.scope)
                versions.append(0)
                continue
            found = await conn.fetchval(
                "SELECT version FROM documents WHERE kind = $1 AND key = $2 FOR UPDATE",
                change.kind, change.key)
            if change.expect is not None and (found or 0) != change.expect:
                raise _Refused(_conflict(change, found))
            version = (found or 0) + 1
            await conn.execute(
                f"INSERT INTO documents ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) "
                "ON CONFLICT (kind, key) DO UPDATE SET scope = EXCLUDED.scope, "
                "version = EXCLUDED.version, updated_at = EXCLUDED.updated_at, "
                "body = EXCLUDED.body",
                change.kind, change.key, change.scope, version, self.now,
                _encode(change.body))
            versions.append(version)
        return versions


class _Refused(Exception):
    def __init__(self, conflict: Conflict) -> None:
        super().__init__(conflict.message)
        self.conflict = conflict


class PostgresDocuments:
    def __init__(self, database: PgDatabase) -> None:
        self.database = database

    async def open(self) -> None:
        async def create(conn: Connection) -> None:
            await self.database.ensure_schema(conn, "documents", SCHEMA_VERSION, PG_SCHEMA)

        await self.database.read(create)

    async def _read(self, sql: str, *args: Any) -> list[Document]:
        async def read(conn: Connection) -> list[Document]:
            return [_row(tuple(r)) for r in await conn.fetch(sql, *args)]

        rows: list[Document] = await self.database.read(read)
        return rows

    async def get(self, kind: str, key: str) -> Document | None:
        rows = await self._read(
            f"SELECT {_COLUMNS} FROM documents WHERE kind = $1 AND key = $2", kind, key)
        return rows[0] if rows else None

    async def find(self, kind: str, scope: str | None = None, *, after: str = "",
                   limit: int = LIST_MAX) -> list[Document]:
        limit = max(0, min(limit, LIST_MAX))
        if scope is None:
            return await self._read(
                f"SELECT {_COLUMNS} FROM documents WHERE kind = $1 AND key COLLATE \"C\" > $2 "
                "ORDER BY key COLLATE \"C\" LIMIT $3", kind, after, limit)
        return await self._read(
            f"SELECT {_COLUMNS} FROM documents WHERE kind = $1 AND scope = $2 "
            "AND key COLLATE \"C\" > $3 "
            "ORDER BY key COLLATE \"C\" LIMIT $4", kind, scope, after, limit)

    async def write(self, changes: Sequence[Change], now: float) -> list[int]:
        op = _PgWrite(self.database.new_future(), changes=tuple(changes), now=now)
        future = await self.database.submit(op)
        result: list[int] | Conflict = await future
        if isinstance(result, Conflict):
            raise result
        return result


def documents_for(database: Database | PgDatabase) -> SqliteDocuments | PostgresDocuments:
    if isinstance(database, PgDatabase):
        return PostgresDocuments(database)
    return SqliteDocuments(database)


__all__ = ["Change", "Conflict", "Delete", "Document", "Documents", "Put", "documents_for"] 
