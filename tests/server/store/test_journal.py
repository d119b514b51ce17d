"""The session journal, in SQLite and in PostgreSQL alike (every test runs on both): sessions
come back from it as they were, it stays compact, an ended session keeps no chat, and a failed
commit is reported and healed by the next snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from rooms import breakout_commands as b
from rooms import commands as c
from rooms.errors import NotRecorded
from rooms.roles import Role
from rooms.session import Session
from server import writer
from server.store.codec import decode_session, encode_command, encode_session
from server.store.memory import MemoryStore
from server.store.postgres import PostgresJournal
from server.store.sqlite import SqliteJournal
from tests.server.backends import Backend

T0 = 1_800_000_000.0


async def opened(backend: Backend, **kw: int) -> MemoryStore:
    store = MemoryStore(backend.journal(), **kw)
    await store.start()
    return store


async def apply(store: MemoryStore, command: c.Command[object]) -> None:
    await (await store.update("s1", command)).durable


async def populated(store: MemoryStore) -> None:
    await store.add(Session.create(session_id="s1", title="T", max_participants=8, now=T0))
    await apply(store, c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0))
    await apply(store, c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0))
    await apply(store, b.BreakoutCreate("m", "cm", 1, (), False, False, T0 + 1))
    await apply(store, b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 1))
    await apply(store, b.BreakoutOpen("m", "cm", 600.0, T0 + 2))
    await apply(store, c.PostChat("b", "cb", "in the breakout", T0 + 3))
    await apply(store, c.RaiseHand("b", "cb", True, T0 + 4))


async def test_sessions_come_back_as_they_were(backend: Backend) -> None:
    store = await opened(backend)
    await populated(store)
    before = await store.read("s1", encode_session)
    await store.close()
    again = await opened(backend)
    assert await again.session_ids() == ["s1"]
    assert await again.read("s1", encode_session) == before
    s = decode_session(before)
    assert s.participants["b"].room == "1:b1" and s.next_deadline() == T0 + 2 + 600 - 60
    # and it carries on: entries numbered after the ones it came back with
    await apply(again, c.PostChat("b", "cb", "after", T0 + 5))
    await again.close()
    third = await opened(backend)
    assert [m.text for m in await third.read("s1", lambda s: s.room_entered("b").chat)] == [
        "in the breakout", "after"]
    await third.close()


async def test_the_journal_stays_compact(backend: Backend) -> None:
    store = await opened(backend, snapshot_min_bytes=4096)
    await populated(store)
    for i in range(400):
        await apply(store, c.PostChat("m", "cm", f"message {i} " + "x" * 80, T0 + 10 + i))
    held = (await backend.counts())
    # Snapshots replaced most entries: what is left weighs less than twice the snapshot (the
    # store's rule); how many entries that is depends on where the last snapshot fell.
    assert held["sessions"] == 1 and 0 < held["commands"] < 400
    ((entries,),) = await backend.raw("SELECT SUM(LENGTH(command)) FROM session_commands")
    ((snapshot,),) = await backend.raw("SELECT LENGTH(snapshot) FROM session_snapshots")
    assert entries < 2 * snapshot
    before = await store.read("s1", encode_session)
    await store.close()
    again = await opened(backend)
    assert await again.read("s1", encode_session) == before
    await again.close()


async def test_an_ended_session_is_kept_without_its_chat(backend: Backend) -> None:
    store = await opened(backend)
    await populated(store)
    await apply(store, c.End("over", T0 + 10))
    await store.close()
    assert (await backend.counts()) == {"sessions": 1, "commands": 0}
    ((data,),) = await backend.raw("SELECT snapshot FROM session_snapshots")
    assert b"in the breakout" not in data
    again = await opened(backend)
    assert await again.read("s1", lambda s: (s.state.value, len(s.chat))) == ("ended", 0)
    await again.close()


async def test_a_failed_commit_is_reported_and_the_next_change_is_a_snapshot(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await opened(backend)
    await populated(store)
    journal = store._journal
    assert isinstance(journal, SqliteJournal | PostgresJournal)
    real = journal.database._apply

    async def full(batch: list[writer.Op], buffered: list[writer.Rows]) -> list[Any]:
        raise OSError("database or disk is full")

    monkeypatch.setattr(journal.database, "_apply", full)
    applied = await store.update("s1", c.PostChat("b", "cb", "lost on the way", T0 + 5))
    with pytest.raises(NotRecorded, match="could not commit"):
        await applied.durable
    monkeypatch.setattr(journal.database, "_apply", real)
    # Memory has the message; the next change writes the whole session, so nothing diverges.
    await apply(store, c.PostChat("b", "cb", "and then", T0 + 6))
    assert (await backend.counts())["commands"] == 0
    before = await store.read("s1", encode_session)
    await store.close()
    again = await opened(backend)
    assert await again.read("s1", encode_session) == before
    await again.close()


async def test_a_caller_cancelled_while_it_waits_fails_no_other_and_stops_no_writer(
    backend: Backend,
) -> None:
    """Commands of one commit wait on one future. A caller cancelled meanwhile (a connection's
    handler at shutdown, say) must not cancel it: the others would be told their commands were
    cancelled when they are kept, and the writer, left a future it cannot resolve, would stop."""
    store = await opened(backend)
    await populated(store)
    first = await store.update("s1", c.PostChat("b", "cb", "one", T0 + 5))
    second = await store.update("s1", c.PostChat("b", "cb", "two", T0 + 6))
    assert first.durable is second.durable  # the same commit's
    waiting_first = asyncio.ensure_future(first.durable)
    waiting_second = asyncio.ensure_future(second.durable)
    waiters = [asyncio.ensure_future(_waits_for(waiting_first)),
               asyncio.ensure_future(_waits_for(waiting_second))]
    await asyncio.sleep(0)  # both wait now; the commit needs the writer's thread and a turn more
    waiters[0].cancel()
    assert await waiters[1] == "kept"
    with pytest.raises(asyncio.CancelledError):
        await waiters[0]
    await apply(store, c.PostChat("b", "cb", "three", T0 + 7))  # the writer carries on
    before = await store.read("s1", encode_session)
    await store.close()
    again = await opened(backend)
    assert [m.text for m in await again.read("s1", lambda s: s.room_entered("b").chat)][-3:] == [
        "one", "two", "three"]
    assert await again.read("s1", encode_session) == before
    await again.close()


async def _waits_for(durable: Awaitable[None]) -> str:
    await durable
    return "kept"


async def test_deleted_sessions_are_gone_from_memory_and_disk(backend: Backend) -> None:
    store = await opened(backend)
    await populated(store)
    assert await store.expire(T0 + 10**9) == []  # its people are connected
    await apply(store, c.Leave("m", "cm", T0 + 5))
    await apply(store, c.Leave("b", "cb", T0 + 6))
    # unused since their last leave (the retention rule's age)
    assert await store.expire(T0 + 6) == []
    assert await store.expire(T0 + 6.5) == ["s1"]
    assert await store.session_ids() == []
    await store.close()
    assert (await backend.counts()) == {"sessions": 0, "commands": 0}


async def test_a_closed_journal_refuses_writes(backend: Backend) -> None:
    store = await opened(backend)
    await populated(store)
    await store.close()
    applied = await store.update("s1", c.PostChat("b", "cb", "too late", T0 + 9))
    with pytest.raises(NotRecorded):
        await applied.durable


async def test_an_entry_that_no_longer_applies_is_healed_by_the_next_snapshot(
    backend: Backend
) -> None:
    store = await opened(backend)
    await populated(store)
    await store.close()
    # An entry the session refuses when it is rebuilt (as after a write lost before it).
    ((top,),) = await backend.raw("SELECT MAX(seq) FROM session_commands")
    ghost = encode_command(c.PostChat("ghost", "nowhere", "lost", T0 + 9))
    await backend.raw("INSERT INTO session_commands (session_id, seq, command) VALUES (?, ?, ?)",
                      "s1", top + 1, ghost)
    again = await opened(backend)
    assert await again.read("s1", lambda s: len(s.chat)) == 1  # the refused entry left no trace
    await apply(again, c.PostChat("b", "cb", "after", T0 + 10))
    assert (await backend.counts())["commands"] == 0  # a whole snapshot, not an entry
    await again.close()


async def test_a_journal_written_by_a_newer_tandem_is_refused(backend: Backend) -> None:
    store = await opened(backend)
    await populated(store)
    await store.close()
    await backend.set_schema_version("journal", 99)
    with pytest.raises(RuntimeError, match="newer Tandem"):
        await opened(backend)
