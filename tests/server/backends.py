"""The two places a server keeps its ledger and journal, for tests that run against both: SQLite
in a file of the test's directory, and PostgreSQL in a database of its own on the test run's
PostgreSQL server (``tests/conftest.py``). Each says how to make a ledger or a journal there,
how to look at its tables directly (SQL with ``?`` placeholders), how to make a process "crash",
and which flags start a real server on it."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from server.database import Database, Op
from server.documents import PostgresDocuments, SqliteDocuments
from server.ledger.postgres import PostgresLedger
from server.ledger.sqlite import LEDGER_FILE, SqliteLedger
from server.postgres import Connection, PgDatabase, PgOp
from server.store import postgres as pg_store
from server.store import sqlite as sqlite_store
from server.store.postgres import PostgresJournal
from server.store.sqlite import SqliteJournal

AnyLedger = SqliteLedger | PostgresLedger
AnyJournal = SqliteJournal | PostgresJournal
# What the database says when a statement is refused.
DATABASE_ERRORS = (sqlite3.Error, asyncpg.PostgresError)


class SqliteBackend:
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / LEDGER_FILE
        self.flags: list[str] = []
        self.password: str | None = None

    async def ledger(self, **kw: Any) -> SqliteLedger:
        """A started ledger on this backend's database."""
        ledger = SqliteLedger(self.path, **kw)
        ledger.open()
        await ledger.start()
        return ledger

    def journal(self, **kw: Any) -> SqliteJournal:
        return SqliteJournal(self.path, **kw)

    async def documents(self) -> SqliteDocuments:
        """Started documents on this backend's database (close with ``.database.close()``)."""
        documents = SqliteDocuments(Database(self.path))
        documents.open()
        await documents.database.start()
        return documents

    async def raw(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(self.path)
        try:
            rows = db.execute(sql, args).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    async def columns(self, table: str) -> list[str]:
        return [row[1] for row in await self.raw(f"PRAGMA table_info({table})")]

    async def counts(self) -> dict[str, int]:
        return sqlite_store.counts(self.path)

    async def set_schema_version(self, component: str, version: int) -> None:
        if component == "ledger":
            await self.raw(f"PRAGMA user_version = {version}")
        else:
            await self.raw("UPDATE session_journal_meta SET value = ? WHERE key = 'schema'",
                           str(version))

    @staticmethod
    def crash(ledger: AnyLedger) -> None:
        """Stop as a killed process would: nothing more is committed, nothing is closed."""
        assert isinstance(ledger, SqliteLedger)
        ledger._closed = True
        assert ledger.database._writer is not None
        ledger.database._writer.cancel()

    @staticmethod
    def failing_op(future: asyncio.Future[Any]) -> Op:
        """An operation that writes a record, then is refused by the database."""

        class Failing(Op):
            def run(self, db: sqlite3.Connection) -> None:
                db.execute("INSERT INTO records (session_id, at, kind, participant_id, room) "
                           "VALUES ('s1', 0, 'chat', 'x', 'main')")
                raise sqlite3.OperationalError("boom")

        return Failing(future)


class PostgresBackend:
    name = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        self.flags = ["--database", url]
        self.password = urlsplit(url).password

    async def ledger(self, **kw: Any) -> PostgresLedger:
        ledger = PostgresLedger(self.url, **kw)
        await ledger.start()
        return ledger

    def journal(self, **kw: Any) -> PostgresJournal:
        return PostgresJournal(self.url, **kw)

    async def documents(self) -> PostgresDocuments:
        database = PgDatabase(self.url)
        await database.open()
        documents = PostgresDocuments(database)
        await documents.open()
        await database.start()
        return documents

    async def raw(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        numbered = iter(range(1, sql.count("?") + 1))
        conn = await asyncpg.connect(self.url)
        try:
            rows = await conn.fetch(re.sub(r"\?", lambda _: f"${next(numbered)}", sql), *args)
            return [tuple(row) for row in rows]
        finally:
            await conn.close()

    async def columns(self, table: str) -> list[str]:
        return [row[0] for row in await self.raw(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", table)]

    async def counts(self) -> dict[str, int]:
        database = PgDatabase(self.url)
        await database.open()
        try:
            return await pg_store.counts(database)
        finally:
            await database.close()

    async def set_schema_version(self, component: str, version: int) -> None:
        await self.raw("UPDATE tandem_schema SET version = ? WHERE component = ?", version,
                       component)

    @staticmethod
    def crash(ledger: AnyLedger) -> None:
        assert isinstance(ledger, PostgresLedger)
        ledger._closed = True
        ledger.database.abandon()

    @staticmethod
    def failing_op(future: asyncio.Future[Any]) -> PgOp:
        class Failing(PgOp):
            async def run(self, conn: Connection) -> None:
                await conn.execute("INSERT INTO records (session_id, at, kind, participant_id, "
                                   "room) VALUES ('s1', 0, 'chat', 'x', 'main')")
                await conn.execute("SELECT 1 / 0")

        return Failing(future)


Backend = SqliteBackend | PostgresBackend
