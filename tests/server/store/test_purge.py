"""A command that is not journaled (an erasure, ``rooms.erasure``) kept by the session store over
its journal, in SQLite and in PostgreSQL alike: it writes no entry, and the snapshot written in
its place deletes every earlier entry of its session (what was erased is in them) in the same
transaction, those buffered for the same commit included; one that fails stays pending (the
session stays listed by ``sessions_where``) until the next change writes it. In SQLite, once
``Database.scrub`` has run, the erased text is in neither the database file nor its log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from rooms import commands as c
from rooms.command import Command, Outcome
from rooms.errors import NotRecorded
from rooms.roles import Role
from rooms.session import Session
from server import writer
from server.store.codec import encode_session
from server.store.memory import MemoryStore
from server.store.postgres import PostgresJournal
from server.store.sqlite import SqliteJournal
from tests.server.backends import Backend, SqliteBackend

T0 = 1_800_000_000.0
SAID, GOAL, LATE = "zebra crossing 4471", "learn the oboe 9023", "said last 5518"
ELSEWHERE = "kept in the other session 7310"


@dataclass(frozen=True, slots=True)
class ForgetBen(Command[None]):
    """Stands for an erasure as a store sees it: not journaled, and it removes what Ben said
    (the session's chat, which only he wrote to, and his check-in)."""

    at: float
    journaled: ClassVar[bool] = False

    def outcome(self, s: Session) -> Outcome[None]:
        s.chat.clear()
        s.participants["b"].check_in = None
        return Outcome(None, ())


async def opened(backend: Backend) -> MemoryStore:
    store = MemoryStore(backend.journal())
    await store.start()
    return store


async def apply(store: MemoryStore, sid: str, command: Command[Any]) -> None:
    await (await store.update(sid, command)).durable


async def two_sessions(store: MemoryStore) -> None:
    """s1 and s2, whose entries interleave: s2's are needed from before s1's chat on, so a
    snapshot of s1 that does not purge leaves s1's chat in the table (the watermark)."""
    for sid in ("s1", "s2"):
        await store.add(Session.create(session_id=sid, title="T", max_participants=8, now=T0))
        await apply(store, sid, c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0))
        await apply(store, sid, c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0))
    await apply(store, "s1", c.PostChat("b", "cb", SAID, T0 + 1))
    await apply(store, "s1", c.CheckIn("b", "cb", GOAL, T0 + 2))
    await apply(store, "s2", c.PostChat("m", "cm", ELSEWHERE, T0 + 3))


async def entries(backend: Backend, sid: str) -> list[tuple[Any, ...]]:
    return await backend.raw("SELECT seq, command FROM session_commands WHERE session_id = ? "
                             "ORDER BY seq", sid)


async def snapshot_row(backend: Backend, sid: str) -> tuple[int, bytes]:
    ((seq, data),) = await backend.raw(
        "SELECT seq, snapshot FROM session_snapshots WHERE session_id = ?", sid)
    return int(seq), bytes(data)


def says(text: str) -> Callable[[Session], bool]:
    return lambda s: any(m.text == text for m in s.chat)


async def test_a_command_not_journaled_deletes_its_sessions_entries_at_once(
        backend: Backend) -> None:
    store = await opened(backend)
    await two_sessions(store)
    assert [seq for seq, _ in await entries(backend, "s1")] == [1, 2, 3, 4]
    other = await entries(backend, "s2")
    assert len(other) == 3
    # An entry buffered for the commit that the erasure's snapshot goes into.
    late = await store.update("s1", c.PostChat("b", "cb", LATE, T0 + 4))
    erased = await store.update("s1", ForgetBen(T0 + 5))
    await erased.durable
    await late.durable
    assert await entries(backend, "s1") == []
    seq, data = await snapshot_row(backend, "s1")
    assert seq == 6  # the erasure's own number: the snapshot is the new one
    assert data == await store.read("s1", encode_session)
    assert all(text.encode() not in data for text in (SAID, GOAL, LATE))
    assert await entries(backend, "s2") == other  # other sessions' entries untouched
    await store.close()
    again = await opened(backend)
    assert await again.read("s1", encode_session) == data
    assert await again.read("s2", says(ELSEWHERE))
    assert await again.sessions_where(says(ELSEWHERE)) == ["s2"]
    await again.close()


async def test_a_failed_purge_stays_pending_and_is_written_at_the_next_change(
        backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    store = await opened(backend)
    await two_sessions(store)
    journal = store._journal
    assert isinstance(journal, SqliteJournal | PostgresJournal)
    real = journal.database._apply
    failed: list[int] = []

    async def fails_once(batch: list[writer.Op], buffered: list[writer.Rows]) -> list[Any]:
        if not failed:
            failed.append(len(batch))
            raise OSError("disk I/O error")
        return await real(batch, buffered)

    monkeypatch.setattr(journal.database, "_apply", fails_once)
    erased = await store.update("s1", ForgetBen(T0 + 5))
    with pytest.raises(NotRecorded):
        await erased.durable
    assert failed
    assert len(await entries(backend, "s1")) == 4  # nothing deleted
    # Erased in memory, not on disk: the session is still found, for the request made again.
    assert not await store.read("s1", says(SAID))
    assert await store.sessions_where(says(SAID)) == ["s1"]
    assert await store.sessions_where(says(ELSEWHERE)) == ["s1", "s2"]
    await apply(store, "s1", c.RaiseHand("m", "cm", True, T0 + 6))  # the next change
    assert await entries(backend, "s1") == []
    seq, data = await snapshot_row(backend, "s1")
    assert seq == 6 and data == await store.read("s1", encode_session)
    assert SAID.encode() not in data
    assert await store.sessions_where(says(SAID)) == []
    assert await store.sessions_where(says(ELSEWHERE)) == ["s2"]
    assert len(await entries(backend, "s2")) == 3
    await store.close()


def file_bytes(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


async def test_after_scrub_the_erased_text_is_in_neither_file(tmp_path: Path) -> None:
    backend = SqliteBackend(tmp_path)
    store = await opened(backend)
    journal = store._journal
    assert isinstance(journal, SqliteJournal)
    await two_sessions(store)
    # A snapshot that holds what is to be erased: the row the erasure's snapshot replaces.
    await (await store._snapshot(store._sessions["s1"]))
    await apply(store, "s1", c.PostChat("b", "cb", LATE, T0 + 4))
    wal = backend.path.with_name(backend.path.name + "-wal")
    for text in (SAID, GOAL, LATE):  # (the check can see them)
        assert text.encode() in file_bytes(backend.path) + file_bytes(wal)
    await apply(store, "s1", ForgetBen(T0 + 5))
    assert await journal.database.scrub()
    kept = file_bytes(backend.path) + file_bytes(wal)
    for text in (SAID, GOAL, LATE):
        assert text.encode() not in kept, text
    assert ELSEWHERE.encode() in kept  # s2's entry, still wanted
    assert await entries(backend, "s1") == []
    await store.close()


async def test_sessions_holding_a_text_are_those_whose_journal_holds_it(backend: Backend) -> None:
    """``sessions_where(holding=)``: besides those whose state passes the test, those whose
    entries on disk hold the text though their state no longer does (a chat erased since is
    gone from the state, not from the entries), and those whose snapshot does while entries
    since it change what it says; a session that never held it is left alone (a deletion
    request gives those it finds a purging snapshot)."""
    store = await opened(backend)
    await two_sessions(store)
    await apply(store, "s1", c.PostChat("b", "cb", LATE, T0 + 4))
    store._sessions["s1"].chat.clear()  # the state no longer says it; the entries do
    assert await store.sessions_where(says(LATE)) == []
    assert await store.sessions_where(says(LATE), holding=LATE) == ["s1"]
    assert await store.sessions_where(lambda s: False, holding=ELSEWHERE) == ["s2"]
    assert await store.sessions_where(lambda s: False, holding="never said 8080") == []
    # Said by snapshots alone: s3's, with an entry since (read), s4's, with none (its state is
    # its snapshot, which the test reads).
    titled = "Title only in its snapshot 4242"
    for sid in ("s3", "s4"):
        await store.add(Session.create(session_id=sid, title=titled, max_participants=8,
                                       now=T0))
    await apply(store, "s3", c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0))
    assert all(titled.encode() not in bytes(data) for _, data in await entries(backend, "s3"))
    assert await store.sessions_where(lambda s: False, holding=titled) == ["s3"]
    assert await store.sessions_where(lambda s: s.title == titled, holding=titled) == [
        "s3", "s4"]
    await store.close()
