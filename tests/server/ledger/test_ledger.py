"""The ledger, in SQLite and in PostgreSQL alike (every test runs on both): durable appends
with group commit, metadata, deletions, recovery, reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rooms.attendance import AnonymousRating, Record, RecordKind, SessionInfo, day_of
from rooms.errors import SessionNotFound
from rooms.roles import Role
from rooms.roster import RosterEntry, Schedule, SessionPlan
from server import writer
from server.ledger import LedgerUnavailable, SessionQuery
from tests.server.backends import DATABASE_ERRORS, AnyLedger, Backend
from tests.support import Clock, eventually

K = RecordKind
T0 = 1_800_000_000.0
BEN = RosterEntry("ben", "Ben", Role.MENTEE, "ben@example.org")


def session(session_id: str = "s1", created: float = T0, programme: str = "",
            roster: tuple[RosterEntry, ...] = (BEN,)) -> SessionInfo:
    return SessionInfo(session_id, f"Session {session_id}", created, goal="Plan",
                       max_participants=8,
                       plan=SessionPlan(programme=programme, schedule=Schedule(created,
                                                                               created + 3600),
                                        roster=roster, keep_chat=True))


def rec(kind: RecordKind, pid: str = "p1", at: float = T0, session_id: str = "s1",
        **kw: Any) -> Record:
    return Record(session_id, at, kind, pid, **kw)


@pytest.fixture
async def ledger(backend: Backend, clock: Clock) -> AsyncIterator[AnyLedger]:
    ledger = await backend.ledger(clock=clock, heartbeat=0.05)
    yield ledger
    await ledger.close()


async def test_appended_records_are_on_disk_when_append_returns(
    ledger: AnyLedger, backend: Backend
) -> None:
    await ledger.put_session(session())
    await ledger.append([rec(K.JOINED, text="Ben", person_id="ben", role=Role.MENTEE,
                             value=3),
                         rec(K.CHAT, value=5, text="hello", room="r1")])
    # A separate connection (another process would see the same) finds them committed.
    rows = await backend.raw("SELECT kind, participant_id, room, value, text, role "
                             "FROM records ORDER BY seq")
    assert rows == [("joined", "p1", "main", 3, "Ben", "mentee"),
                    ("chat", "p1", "r1", 5, "hello", None)]
    records = await ledger.session_records("s1")
    assert [r.kind for r in records] == [K.JOINED, K.CHAT]
    assert records[0].role is Role.MENTEE and records[0].person_id == "ben"
    assert records[0].seq < records[1].seq


def count_commits(ledger: AnyLedger, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch the ledger commits from now on, in order."""
    batches: list[int] = []
    apply = ledger.database._apply

    async def counting(batch: list[writer.Op], buffered: list[writer.Rows]) -> list[Any]:
        batches.append(len(batch))
        return await apply(batch, buffered)

    monkeypatch.setattr(ledger.database, "_apply", counting)
    return batches


async def test_concurrent_appends_share_commits(
    ledger: AnyLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = count_commits(ledger, monkeypatch)
    await asyncio.gather(*(ledger.append([rec(K.CHAT, f"p{i}", value=i)]) for i in range(300)))
    records = await ledger.session_records("s1")
    assert sorted(r.value or 0 for r in records) == list(range(300))
    assert sum(batches) >= 300 and len(batches) < 300  # grouped, each op applied once
    # Submission order is ledger order.
    assert [r.participant_id for r in records] == [f"p{i}" for i in range(300)]


async def test_session_metadata_and_roster_round_trip(ledger: AnyLedger) -> None:
    info = session(roster=(BEN, RosterEntry("ana", "Ana", Role.MENTOR)))
    await ledger.put_session(info)
    assert await ledger.session("s1") == info
    await ledger.append([rec(K.SESSION_ENDED, "", at=T0 + 60, text="ended")])
    ended = await ledger.session("s1")
    assert ended.ended_at == T0 + 60
    await ledger.put_session(info)  # an update keeps the end
    assert (await ledger.session("s1")).ended_at == T0 + 60
    with pytest.raises(SessionNotFound):
        await ledger.session("nope")


async def test_records_are_append_only(ledger: AnyLedger, backend: Backend) -> None:
    await ledger.append([rec(K.JOINED)])
    with pytest.raises(DATABASE_ERRORS, match="append-only"):
        await backend.raw("UPDATE records SET participant_id = 'someone else'")


async def test_a_failing_operation_does_not_fail_its_batch(
    ledger: AnyLedger, backend: Backend
) -> None:
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(
        ledger.append([rec(K.CHAT, "a")]),
        ledger._submit(backend.failing_op(loop.create_future())),  # type: ignore[arg-type]
        ledger.append([rec(K.CHAT, "b")]),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], LedgerUnavailable) and results[1].code == "not_recorded"
    assert [r.participant_id for r in await ledger.session_records("s1")] == ["a", "b"]


async def test_a_failed_commit_is_reported_and_the_writer_carries_on(
    ledger: AnyLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(batch: list[writer.Op], buffered: list[writer.Rows]) -> list[Any]:
        raise OSError("disk I/O error")

    real = ledger.database._apply
    monkeypatch.setattr(ledger.database, "_apply", broken)
    with pytest.raises(LedgerUnavailable, match="could not commit"):
        await ledger.append([rec(K.CHAT, "lost")])
    monkeypatch.setattr(ledger.database, "_apply", real)
    await ledger.append([rec(K.CHAT, "kept")])
    assert [r.participant_id for r in await ledger.session_records("s1")] == ["kept"]


async def test_a_closed_ledger_refuses_writes(backend: Backend) -> None:
    ledger = await backend.ledger()
    pending = [asyncio.ensure_future(ledger.append([rec(K.CHAT, f"p{i}")])) for i in range(50)]
    await asyncio.sleep(0)
    await ledger.close()
    await asyncio.gather(*pending)  # what was submitted before close is committed
    with pytest.raises(LedgerUnavailable):
        await ledger.append([rec(K.CHAT)])
    again = await backend.ledger()
    assert len(await again.session_records("s1")) == 50
    await again.close()


async def test_delete_a_person_everywhere_but_keep_anonymous_feedback(
    ledger: AnyLedger,
) -> None:
    await ledger.put_session(session("s1"))
    await ledger.put_session(session("s2", created=T0 + 86400))
    await ledger.append([
        rec(K.JOINED, "b1", person_id="ben"), rec(K.CHAT, "b1", value=3),
        rec(K.CHECK_OUT, "b1", value=5, text="mine"),
        rec(K.JOINED, "a1"),
        rec(K.JOINED, "b2", session_id="s2", person_id="ben"),
        rec(K.LEFT, "b2", session_id="s2"),
    ])
    await ledger.add_anonymous([AnonymousRating("s1", day_of(T0), 2, "anonymous")])
    report = await ledger.delete_person("ben")
    assert (report.records, report.roster_entries) == (5, 2)
    left = [(r.kind, r.participant_id) for r in await ledger.session_records("s1")]
    assert left == [(K.JOINED, "a1")]
    assert await ledger.session_records("s2") == []
    assert (await ledger.session("s1")).plan.roster == ()
    one = await ledger.delete_participant("s1", "a1")
    assert one.records == 1
    assert await ledger.session_records("s1") == []
    assert await ledger.anonymous_ratings("s1") == [
        AnonymousRating("s1", day_of(T0), 2, "anonymous")]


async def test_a_room_named_after_a_person_deleted_is_named_by_its_number(
    ledger: AnyLedger,
) -> None:
    """The session renames a breakout room named after someone a deletion request erases
    (``rooms.erasure``); the ledger's record of the room's name does too (transcripts and
    exports head the room's lines with it). Other rooms, and other sessions', keep theirs."""
    await ledger.put_session(session("s1"))
    await ledger.put_session(session("s2", roster=()))
    await ledger.append([
        rec(K.ROOM_NAMED, "", room="1:b1", text="ben's pair", value=1),
        rec(K.ROOM_NAMED, "", room="1:b2", text="Garden", value=1),
        rec(K.ROOM_NAMED, "", room="1:b4", text="Bench", value=1),  # not a word of his name
        rec(K.ROOM_NAMED, "", room="2:b3", text="Ben and Ana", value=2),
        rec(K.ROOM_NAMED, "", room="1:b1", session_id="s2", text="Ben's pair", value=1),
    ])
    await ledger.delete_person("ben")
    named = [(r.room, r.text, r.value) for r in await ledger.session_records("s1")]
    assert sorted(named) == [("1:b1", "Room 1", 1), ("1:b2", "Garden", 1), ("1:b4", "Bench", 1),
                             ("2:b3", "Room 3", 2)]
    assert [r.text for r in await ledger.session_records("s2")] == ["Ben's pair"]


async def test_anonymous_ratings_are_kept_apart_with_no_order_of_their_own(
    ledger: AnyLedger, backend: Backend
) -> None:
    await ledger.put_session(session("s1"))
    await ledger.append([rec(K.JOINED, "b1", at=T0 + 5),
                         rec(K.CHECK_IN, "b1", at=T0 + 6, text="Plan", shared=True)])
    day = day_of(T0 + 7)
    for rating, comment in [(5, "z"), (1, "a"), (3, None)]:
        await ledger.add_anonymous([AnonymousRating("s1", day, rating, comment)])
    await ledger.append([rec(K.LEFT, "b1", at=T0 + 8)])
    assert [(r.kind, r.shared) for r in await ledger.session_records("s1")] == [
        (K.JOINED, False), (K.CHECK_IN, True), (K.LEFT, False)]
    columns = await backend.columns("anonymous_ratings")
    assert columns == ["id", "session_id", "day", "rating", "comment"]  # no one, no second
    assert await backend.raw("SELECT COUNT(*) FROM records WHERE kind = 'check_out'") == [(0,)]
    # Keyed by a random id, with nothing of the order they came in.
    assert {row[0] for row in await backend.raw("SELECT day FROM anonymous_ratings")} == {day}
    assert [r.rating for r in await ledger.anonymous_ratings("s1")] == [1, 3, 5]
    assert await ledger.purge(T0 + 3601) == 1  # past its scheduled end and its records
    assert await ledger.anonymous_ratings("s1") == []


async def test_purge_removes_sessions_past_retention(ledger: AnyLedger) -> None:
    old = T0 - 400 * 86400
    await ledger.put_session(session("old", created=old))
    await ledger.put_session(session("new", created=T0))
    await ledger.append([rec(K.JOINED, session_id="old", at=old),
                         rec(K.JOINED, session_id="new")])
    assert await ledger.purge(T0 - 365 * 86400) == 1
    assert [s.info.session_id for s in await ledger.sessions(SessionQuery())] == ["new"]
    assert await ledger.session_records("old") == []
    assert len(await ledger.session_records("new")) == 1


async def test_purge_counts_from_when_a_session_was_last_used_not_created(
        ledger: AnyLedger) -> None:
    old, before = T0 - 400 * 86400, T0 - 365 * 86400
    ahead = SessionInfo("ahead", "Scheduled long ahead", old, goal="", max_participants=8,
                        plan=SessionPlan(schedule=Schedule(T0, T0 + 3600)))
    await ledger.put_session(ahead)  # created long ago, meant to take place now
    await ledger.put_session(session("used", created=old))  # created long ago, used lately
    await ledger.append([rec(K.JOINED, session_id="used", at=old),
                         rec(K.LEFT, session_id="used", at=T0 - 10 * 86400)])
    await ledger.put_session(session("ended", created=old))  # ended lately
    await ledger.append([rec(K.SESSION_ENDED, "", session_id="ended", at=T0 - 86400,
                             text="ended")])
    await ledger.put_session(session("kept", created=old))  # the session store still uses it
    await ledger.put_session(session("gone", created=old))
    await ledger.append([rec(K.JOINED, session_id="gone", at=old)])
    assert await ledger.purge(before, keep={"kept"}) == 1
    assert {s.info.session_id for s in await ledger.sessions(SessionQuery())} == {
        "ahead", "used", "ended", "kept"}
    assert await ledger.session_records("gone") == []
    assert len(await ledger.session_records("used")) == 2
    # and each goes once its last use is past the period too
    assert await ledger.purge(T0 + 3601) == 4


async def test_listing_and_streaming_filter_by_time_and_programme(ledger: AnyLedger) -> None:
    for i in range(4):
        await ledger.put_session(session(f"s{i}", created=T0 + i * 86400,
                                         programme="cohort" if i % 2 else ""))
        await ledger.append([rec(K.JOINED, f"p{i}-{j}", session_id=f"s{i}", at=T0 + i * 86400)
                             for j in range(3)])
    listed = await ledger.sessions(SessionQuery(since=T0 + 86400, until=T0 + 3 * 86400))
    assert [s.info.session_id for s in listed] == ["s2", "s1"]  # newest first
    assert listed[0].participants == 3 and listed[0].records == 3
    assert await ledger.session_ids(SessionQuery(programme="cohort")) == ["s1", "s3"]
    chunks = [c async for c in ledger.stream_records(SessionQuery(programme="cohort"), chunk=2)]
    assert [len(c) for c in chunks] == [2, 2, 2]
    assert {r.session_id for c in chunks for r in c} == {"s1", "s3"}
    one = [r async for c in ledger.stream_records(SessionQuery(), session_id="s0") for r in c]
    assert len(one) == 3


async def test_presence_left_open_by_a_crash_is_closed_at_the_last_sign_of_life(
    backend: Backend, clock: Clock
) -> None:
    crashed = await backend.ledger(clock=clock, heartbeat=60)
    await crashed.put_session(session())
    await crashed.append([rec(K.JOINED, "a", at=T0), rec(K.JOINED, "b", at=T0),
                          rec(K.MOVED, "a", at=T0 + 5, room="r1"), rec(K.LEFT, "b", at=T0 + 6)])
    clock.now = T0 + 30
    await crashed.append([rec(K.CHAT, "a", at=T0 + 30, room="r1", value=1)])
    # No close(): the process dies here. A new process opens the same database.
    backend.crash(crashed)
    restarted = await backend.ledger(clock=clock)
    assert [(r.participant_id, r.kind, r.at, r.room, r.text) for r in restarted.recovered] == [
        ("a", K.DROPPED, clock.now, "r1", "server_restart")]
    records = await restarted.session_records("s1")
    assert records[-1].kind is K.DROPPED
    await restarted.close()
    # A second start finds nothing more to close.
    third = await backend.ledger(clock=clock)
    assert third.recovered == []
    await third.close()


async def test_idle_ledger_marks_itself_alive(ledger: AnyLedger, backend: Backend,
                                              clock: Clock) -> None:
    clock.now = T0 + 123

    async def alive() -> bool:
        rows = await backend.raw("SELECT value FROM meta WHERE key = 'last_alive'")
        return bool(rows) and float(rows[0][0]) == T0 + 123

    await eventually(alive, timeout=2, what="the heartbeat writing last_alive")


async def test_a_busy_ledger_rewrites_its_last_sign_of_life_at_most_every_quarter_second(
    backend: Backend, clock: Clock
) -> None:
    ledger = await backend.ledger(clock=clock, heartbeat=60)

    async def last_alive() -> float:
        rows = await backend.raw("SELECT value FROM meta WHERE key = 'last_alive'")
        return float(rows[0][0])

    try:
        await ledger.put_session(session())
        written = []
        for step in (10.0, 10.1, 10.2, 10.3, 10.4, 10.6):
            clock.now = T0 + step
            await ledger.append([rec(K.CHAT, at=clock.now, value=1)])
            written.append(round(await last_alive() - T0, 3))
        # Each commit is durable when append returns; last_alive follows 0.25 s behind at most.
        assert written == [10.0, 10.0, 10.0, 10.3, 10.3, 10.6]
        # A clock set back (another process's, a corrected one) writes at once.
        clock.now = T0 + 5
        await ledger.append([rec(K.CHAT, at=clock.now, value=1)])
        assert await last_alive() == T0 + 5
    finally:
        await ledger.close()


async def test_writes_arriving_within_the_commit_interval_share_one_commit(
    backend: Backend, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = await backend.ledger(clock=clock, commit_interval=0.5)
    commits = count_commits(ledger, monkeypatch)
    try:
        await ledger.put_session(session())  # commits at once: nothing was committed before
        # Twenty single writes, 5 ms apart, all inside the half second the writer now waits.
        writes = []
        for i in range(20):
            writes.append(asyncio.ensure_future(ledger.append([rec(K.CHAT, value=i)])))
            await asyncio.sleep(0.005)
        await asyncio.gather(*writes)
        assert commits == [1, 20]
        rows = await backend.raw("SELECT value FROM records ORDER BY seq")
        assert [r[0] for r in rows] == list(range(20))
    finally:
        await ledger.close()


async def test_a_ledger_written_by_a_newer_tandem_is_refused(backend: Backend) -> None:
    ledger = await backend.ledger()
    await ledger.close()
    await backend.set_schema_version("ledger", 99)
    with pytest.raises(RuntimeError, match="newer Tandem"):
        await backend.ledger()


async def test_ping_answers_while_the_ledger_runs(backend: Backend) -> None:
    ledger = await backend.ledger()
    await ledger.ping()
    await ledger.close()
    with pytest.raises(LedgerUnavailable):
        await ledger.ping()
