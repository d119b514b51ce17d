"""What only the SQLite journal does: its entries are numbered in the order they were made, a
snapshot forgets those no session needs any more, a session that holds that back is written a
snapshot, and a journal of schema 1 (entries keyed by session) moves to this one in place."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from rooms import commands as c
from rooms.lifecycles import SessionState
from rooms.roles import Role
from rooms.session import Session
from server.database import DATABASE_FILE
from server.store.codec import encode_session
from server.store.memory import MemoryStore
from server.store.sqlite import SCHEMA_VERSION, SqliteJournal, counts

T0 = 1_800_000_000.0


def raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(path)
    try:
        rows = db.execute(sql).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


async def opened(path: Path, **kw: int) -> MemoryStore:
    store = MemoryStore(SqliteJournal(path, **kw), snapshot_min_bytes=4096)
    await store.start()
    return store


async def chat(store: MemoryStore, sid: str, text: str, at: float) -> None:
    """A message from the mentor each session has (``sessions``)."""
    await (await store.update(sid, c.PostChat("m", "cm", text, at))).durable


async def sessions(store: MemoryStore, *sids: str) -> None:
    """New sessions, each joined by its mentor (one entry each)."""
    for sid in sids:
        await store.add(Session.create(session_id=sid, title="T", max_participants=8, now=T0))
        await (await store.update(sid, c.Join("cm", Role.MENTOR, "Ana", "m", True, True,
                                              T0))).durable


async def two_sessions(store: MemoryStore) -> None:
    await sessions(store, "s1", "s2")


def on_disk(path: Path, text: bytes) -> bool:
    """Whether ``text`` is anywhere in the database's file or its WAL."""
    files = (path, path.with_name(path.name + "-wal"))
    return any(f.exists() and text in f.read_bytes() for f in files)


def entries(path: Path) -> list[tuple[object, ...]]:
    return raw(path, "SELECT n, session_id, seq FROM session_commands ORDER BY n")


async def test_entries_are_numbered_in_order_and_a_snapshot_forgets_what_nobody_needs(
    tmp_path: Path,
) -> None:
    path = tmp_path / DATABASE_FILE
    store = await opened(path)
    await two_sessions(store)
    await chat(store, "s2", "one entry of an idle session", T0 + 1)
    for i in range(200):
        await chat(store, "s1", f"message {i} " + "x" * 80, T0 + 2 + i)
    rows = entries(path)
    assert [n for n, _, _ in rows] == sorted(n for n, _, _ in rows)
    # s1 took snapshots, but s2's entry is still needed: s1's entries after it stay on disk.
    first_s2 = next(n for n, sid, _ in rows if sid == "s2")
    assert rows[0][0] == first_s2 and len(rows) > 100
    before = {sid: await store.read(sid, encode_session) for sid in ("s1", "s2")}
    await store.close()
    again = await opened(path)
    assert {sid: await again.read(sid, encode_session) for sid in ("s1", "s2")} == before
    # Once s2 is written a snapshot, s1's next one forgets every entry s1 no longer needs.
    await (await again.update("s2", c.End("over", T0 + 300))).durable
    snapshot = "SELECT seq FROM session_snapshots WHERE session_id = 's1'"
    ((s1_seq,),) = raw(path, snapshot)
    for i in range(1000):
        await chat(again, "s1", f"later {i} " + "x" * 80, T0 + 301 + i)
        ((now,),) = raw(path, snapshot)
        if now != s1_seq:
            break
    assert now != s1_seq
    left = entries(path)
    assert {sid for _, sid, _ in left} <= {"s1"}
    assert all(seq > now for _, _, seq in left)  # only what s1's snapshot does not hold
    await again.close()


async def test_a_session_that_holds_the_journal_back_is_written_a_snapshot(
    tmp_path: Path,
) -> None:
    path = tmp_path / DATABASE_FILE
    store = await opened(path, lag=50, lag_per_session=5, lag_check_every=10)
    await two_sessions(store)
    await chat(store, "s2", "idle from here", T0 + 1)
    ((s2_seq,),) = raw(path, "SELECT seq FROM session_snapshots WHERE session_id = 's2'")
    for i in range(120):
        await chat(store, "s1", f"message {i}", T0 + 2 + i)
    await store.close()  # waits for the snapshots the journal asked for
    ((s2_now,),) = raw(path, "SELECT seq FROM session_snapshots WHERE session_id = 's2'")
    assert s2_now > s2_seq  # s2 was written a snapshot holding its entry
    rows = entries(path)
    assert "s2" not in {sid for _, sid, _ in rows}
    assert len(rows) < 120
    again = await opened(path)
    assert [m.text for m in await again.read("s2", lambda s: s.chat)] == ["idle from here"]
    assert len(await again.read("s1", lambda s: s.chat)) == 120
    await again.close()


async def test_with_many_sessions_each_may_hold_the_journal_back_longer(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE
    store = await opened(path, lag=10, lag_per_session=5, lag_check_every=5)
    # each with one entry: 30 sessions need entries, so 150 may pass
    await sessions(store, *(f"s{i}" for i in range(30)))
    snapshots = "SELECT COUNT(*) FROM session_snapshots WHERE seq > 0"
    for i in range(100):
        await chat(store, "s0", f"m{i}", T0 + i)
    await store.close()
    assert raw(path, snapshots) == [(0,)]  # 130 entries made: none told of yet
    store = await opened(path, lag=10, lag_per_session=5, lag_check_every=5)
    for i in range(100):
        await chat(store, "s0", f"n{i}", T0 + 100 + i)
    await store.close()
    ((written,),) = raw(path, snapshots)
    assert written >= 29  # past 150, the idle ones were written a snapshot each


async def test_deleting_a_session_deletes_its_entries_and_no_others(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE
    store = await opened(path)
    await two_sessions(store)
    await chat(store, "s1", "kept", T0 + 1)
    await chat(store, "s2", "private words", T0 + 2)
    await store.delete(["s2"])
    await store.close()
    assert {sid for _, sid, _ in entries(path)} == {"s1"}
    assert counts(path)["sessions"] == 1
    assert not on_disk(path, b"private words")


async def test_an_ended_session_leaves_no_entry_even_while_another_holds_the_journal_back(
    tmp_path: Path,
) -> None:
    path = tmp_path / DATABASE_FILE
    store = await opened(path)
    await two_sessions(store)
    await chat(store, "s1", "an idle session's entry", T0 + 1)
    await chat(store, "s2", "words of a session about to end", T0 + 2)
    await (await store.update("s2", c.End("over", T0 + 3))).durable
    assert {sid for _, sid, _ in entries(path)} == {"s1"}  # s1's entries stay: still needed
    await store.close()
    assert not on_disk(path, b"about to end")


async def test_a_journal_of_schema_1_moves_to_entries_in_order(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_FILE
    store = await opened(path)
    await two_sessions(store)
    await chat(store, "s2", "before the move", T0 + 1)
    await chat(store, "s1", "also before", T0 + 2)
    before = {sid: await store.read(sid, encode_session) for sid in ("s1", "s2")}
    await store.close()
    # The same journal as schema 1 kept it: entries keyed by session.
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE old (session_id TEXT NOT NULL, seq INTEGER NOT NULL,
                          command BLOB NOT NULL, PRIMARY KEY (session_id, seq)) WITHOUT ROWID;
        INSERT INTO old SELECT session_id, seq, command FROM session_commands;
        DROP TABLE session_commands;
        ALTER TABLE old RENAME TO session_commands;
        UPDATE session_journal_meta SET value = '1' WHERE key = 'schema';
    """)
    db.close()
    assert len(raw(path, "SELECT * FROM session_commands")) == 4  # two joins, two chats
    again = await opened(path)
    assert {sid: await again.read(sid, encode_session) for sid in ("s1", "s2")} == before
    await chat(again, "s2", "after the move", T0 + 3)
    await again.close()
    assert raw(path, "SELECT value FROM session_journal_meta WHERE key = 'schema'") == [
        (str(SCHEMA_VERSION),)]
    # in the order of the sessions then their entries, and the new one after them
    assert [(sid, seq) for _, sid, seq in entries(path)] == [
        ("s1", 1), ("s1", 2), ("s2", 1), ("s2", 2), ("s2", 3)]
    third = await opened(path)
    assert [m.text for m in await third.read("s2", lambda s: s.chat)] == [
        "before the move", "after the move"]
    await third.close()


def as_kept(session: Session) -> bytes:
    """The session as the journal keeps it: without its chat once it has ended."""
    return encode_session(session, with_chat=session.state is not SessionState.ENDED)


@pytest.mark.parametrize("seed", range(4))
async def test_whatever_the_sessions_do_every_change_acknowledged_comes_back(
    tmp_path: Path, seed: int,
) -> None:
    """Eight sessions chat in a random order, some fall idle, some end; snapshots and forced
    snapshots come and go. At every checkpoint, the journal as it is on disk (read by a second
    store, as a server started after a crash would) rebuilds every session as memory has it."""
    rng = random.Random(seed)
    path = tmp_path / DATABASE_FILE
    store = await opened(path, lag=40, lag_per_session=5, lag_check_every=5)
    sids = [f"s{i}" for i in range(8)]
    await sessions(store, *sids)
    busy = sids[:3]  # most of the traffic; the others speak now and then
    for step in range(600):
        sid = rng.choice(busy) if rng.random() < 0.8 else rng.choice(sids)
        if await store.read(sid, lambda s: s.state) is SessionState.ENDED:
            continue
        if rng.random() < 0.004:
            await (await store.update(sid, c.End("over", T0 + step))).durable
        else:
            await chat(store, sid, f"{sid} {step} " + "x" * rng.randrange(200), T0 + step)
        if step % 150 == 149:
            memory = {sid: await store.read(sid, as_kept) for sid in sids}
            disk = MemoryStore(SqliteJournal(path))
            await disk.start()
            assert {sid: await disk.read(sid, as_kept) for sid in sids} == memory
            await disk.close()
    assert counts(path)["commands"] < 40 + 5 + 600 // 4  # forgotten as it went
    await store.close()
