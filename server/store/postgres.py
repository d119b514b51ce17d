"""The session journal in PostgreSQL (``--database postgresql://...``): the same tables and
rules as the SQLite journal (``server.store.sqlite``), written by the PostgreSQL database's one
writer (``server.postgres``), which the attendance ledger shares, so that a chat message's entry
and its attendance record commit together.

A command entry is a row of ``session_commands``; a snapshot replaces the session's row of
``session_snapshots`` and deletes its entries up to its number in the same transaction: every
entry made before it (those buffered for the same commit are inserted first), which is what a
snapshot that purges the session (``purge``: something was erased from it) asks for too. The
rows deleted stay in the table's pages as dead tuples until PostgreSQL vacuums them. When a
commit fails (the database unreachable included), the writes of that batch fail with
``DatabaseUnavailable`` (a ``NotRecorded``) and ``on_lost`` is told which sessions lost writes:
their store writes a whole snapshot at their next change, which heals the journal once the
database is back.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.postgres import Connection, PgDatabase, PgOp
from server.store.holding import Holding
from server.store.journal import GroupJournal
from server.store.memory import StoredSession

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS session_snapshots (
    session_id TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    seq BIGINT NOT NULL,
    snapshot BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS session_commands (
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    command BYTEA NOT NULL,
    PRIMARY KEY (session_id, seq)
);
"""
INSERT_COMMAND = ("INSERT INTO session_commands (session_id, seq, command) VALUES ($1, $2, $3) "
                  "ON CONFLICT (session_id, seq) DO UPDATE SET command = excluded.command")


@dataclass(slots=True)
class _Snapshot(PgOp):
    session_id: str = ""
    seq: int = 0
    created_at: float = 0.0
    data: bytes = b""

    async def run(self, conn: Connection) -> None:
        await conn.execute(
            "INSERT INTO session_snapshots (session_id, created_at, seq, snapshot) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (session_id) DO UPDATE SET "
            "created_at = excluded.created_at, seq = excluded.seq, snapshot = excluded.snapshot",
            self.session_id, self.created_at, self.seq, self.data)
        await conn.execute("DELETE FROM session_commands WHERE session_id = $1 AND seq <= $2",
                           self.session_id, self.seq)


@dataclass(slots=True)
class _Delete(PgOp):
    session_ids: tuple[str, ...] = ()

    async def run(self, conn: Connection) -> None:
        ids = list(self.session_ids)
        await conn.execute("DELETE FROM session_commands WHERE session_id = ANY($1::text[])", ids)
        await conn.execute("DELETE FROM session_snapshots WHERE session_id = ANY($1::text[])",
                           ids)


class PostgresJournal(GroupJournal):
    """The journal on its own database (a URL) or on a shared one (closed by its owner)."""

    insert_command = INSERT_COMMAND
    snapshot_op = _Snapshot
    delete_op = _Delete

    def __init__(self, database: str | PgDatabase, *, commit_interval: float = 0.01) -> None:
        owns = not isinstance(database, PgDatabase)
        self.database: PgDatabase = database if isinstance(database, PgDatabase) else PgDatabase(
            database, commit_interval=commit_interval)
        super().__init__(self.database, owns_database=owns)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> list[StoredSession]:
        """Connect, create or check the tables, and return everything the journal holds."""
        try:
            await self.database.open()
            stored: list[StoredSession] = await self.database.read(self._load)
        except BaseException:
            if self.owns_database:
                await self.database.close()
            raise
        await self.database.start()
        return stored

    async def holding(self, session_ids: list[str], holding: Holding) -> list[str]:
        # (the rows whose bytes hold an encoding of a value, each then decoded to be sure)
        async def find(conn: Connection) -> list[str]:
            rows = await conn.fetch(
                "SELECT session_id, command FROM session_commands WHERE EXISTS (SELECT 1 FROM "
                "unnest($1::bytea[]) n WHERE position(n in command) > 0) "
                "UNION ALL SELECT session_id, snapshot FROM session_snapshots "
                "WHERE session_id = ANY($2::text[]) AND EXISTS (SELECT 1 FROM "
                "unnest($1::bytea[]) n WHERE position(n in snapshot) > 0)",
                list(holding.needles), session_ids)
            found: set[str] = set()
            for sid, data in rows:
                if sid not in found and holding.in_decoded(bytes(data)):
                    found.add(sid)
            return sorted(found)

        found: list[str] = await self.database.read(find)
        return found

    async def _load(self, conn: Connection) -> list[StoredSession]:
        await self.database.ensure_schema(conn, "journal", SCHEMA_VERSION, SCHEMA)
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            commands: dict[str, list[tuple[int, bytes]]] = {}
            for sid, seq, command in await conn.fetch(
                    "SELECT c.session_id, c.seq, c.command FROM session_commands c "
                    "JOIN session_snapshots s ON s.session_id = c.session_id "
                    "WHERE c.seq > s.seq ORDER BY c.session_id, c.seq"):
                commands.setdefault(sid, []).append((seq, command))
            return [StoredSession(sid, seq, snapshot, tuple(commands.get(sid, ())))
                    for sid, seq, snapshot in await conn.fetch(
                        "SELECT session_id, seq, snapshot FROM session_snapshots "
                        'ORDER BY created_at, session_id COLLATE "C"')]


async def counts(database: PgDatabase) -> dict[str, int]:
    """How many sessions and command entries a journal holds (for tests and support)."""

    async def run(conn: Connection) -> dict[str, int]:
        return {
            "sessions": await conn.fetchval("SELECT COUNT(*) FROM session_snapshots"),
            "commands": await conn.fetchval("SELECT COUNT(*) FROM session_commands"),
        }

    result: dict[str, int] = await database.read(run)
    return result
