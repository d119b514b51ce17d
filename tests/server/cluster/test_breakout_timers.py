"""The breakout timer with several processes sharing Redis: while Redis is away a due tick is
tried again after a pause (not at once, over and over); a process that starts loads no session
to resume its timers, and resumes a round's timer when the session is first used there."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from clients.server import RedisProcess
from rooms import breakout_commands as c
from rooms.commands import Command, Join
from rooms.lifecycles import BreakoutState
from rooms.roles import Role
from rooms.session import Session
from server.breakouts.timers import BreakoutTimers
from server.store.redis import RedisStore
from tests.server.cluster.conftest import metric, tandem
from tests.server.cluster.test_two_processes import links, ok, person
from tests.support import Peer, eventually

SID = "timer-session"


class Ctx:
    """What the timer uses of a process's context: the Redis store, a clock long past the
    round's end, and the gateway's ownership of tasks."""

    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.attempts = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.gateway = self

    def clock(self) -> float:
        return 1000.0

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def execute(self, session_id: str, command: Command[Any]) -> Any:
        self.attempts += 1
        applied = await self.store.update(session_id, command)
        await applied.durable
        return applied.value


@pytest.mark.parametrize("lease", ["given back", "kept"])
async def test_a_due_tick_waits_while_redis_is_away_and_closes_the_rooms_after(
    redis: RedisProcess, caplog: pytest.LogCaptureFixture, lease: str,
) -> None:
    """With the session's lease given back, the tick is refused before it is applied; with the
    lease still kept from the last change, it is applied here and its keeping fails (this
    process's copy shows the rooms closed until Redis is back and says otherwise)."""
    client = Redis.from_url(redis.url, socket_connect_timeout=3, socket_timeout=3)
    store = RedisStore(client, "a")
    ctx = Ctx(store)
    try:
        await store.add(Session.create(session_id=SID, title="T", max_participants=10,
                                       now=100.0))
        for pid, role in (("m", Role.MENTOR), ("x", Role.MENTEE), ("y", Role.MENTEE)):
            await store.update(SID, Join(connection_id=f"c-{pid}", role=role, name=pid,
                                         new_participant_id=pid, audio=True, video=True,
                                         at=100.0))
        await store.update(SID, c.BreakoutCreate("m", "c-m", 1, (), False, False, 101.0))
        for pid in ("x", "y"):
            await store.update(SID, c.BreakoutAssign("m", "c-m", pid, "1:b1", 102.0))
        await store.update(SID, c.BreakoutOpen("m", "c-m", 60.0, 103.0))
        if lease == "given back":
            await eventually(lambda: store._replicas[SID].held_until == 0.0, timeout=10,
                             what="the lease kept after the last change going")
        redis.stop()
        caplog.set_level(logging.INFO, logger="server.breakouts.timers")
        timers = BreakoutTimers(ctx)  # type: ignore[arg-type]
        timers.ensure(SID)
        await eventually(lambda: ctx.attempts >= 1, what="the first tick")
        # the copy here was left to be read again (kept) or untouched (given back)
        assert store._replicas[SID].stale is (lease == "kept")
        # Each tick is refused at once (nothing listens on Redis's port): a timer trying again
        # without a pause makes thousands of attempts a second.
        await asyncio.sleep(1.0)
        assert ctx.attempts <= 3, f"{ctx.attempts} ticks tried in 1 s while Redis was away"
        failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(failures) == 1, [r.getMessage() for r in failures]

        redis.restart()  # the same port and append-only file
        await eventually(lambda: not timers.holds(SID), timeout=15,
                         what="the timer closing the rooms once Redis is back")
        breakouts = await store.read(SID, lambda s: s.breakouts)
        assert breakouts is not None and breakouts.state is BreakoutState.CLOSED
        assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    finally:
        for task in ctx.tasks:
            task.cancel()
        await asyncio.gather(*ctx.tasks, return_exceptions=True)
        await store.close()
        await client.aclose()


async def timed_round(mentor: Peer, mentee: Peer) -> str:
    """A round of one room of ten minutes, the mentee in it; its room's id."""
    created = await ok(mentor, "breakout_create", {"names": ["Pair A"]})
    room = created["breakouts"]["rooms"][0]["id"]
    await ok(mentor, "breakout_assign", {"participant_id": mentee.id, "room": room})
    await ok(mentor, "breakout_open", {"duration_seconds": 600})
    return str(room)


async def test_a_starting_process_holds_no_session(tmp_path: Path, redis: RedisProcess) -> None:
    a = tandem(tmp_path, "a", redis)
    await a.start_async()
    try:
        for i in range(5):
            await links(a, f"Session {i}")  # nobody ever joins them
        mentor, mentee = await links(a, "With a round")
        ana = await person(a, mentor, "Ana")
        ben = await person(a, mentee, "Ben")
        await timed_round(ana, ben)
        for p in (ana, ben):
            await p.close()
    finally:
        a.stop()
    b = tandem(tmp_path, "b", redis)
    await b.start_async()
    try:
        held = await metric(b, "tandem_sessions_held")
    finally:
        b.stop()
    assert held == 0.0, f"a process that just started holds {held:.0f} sessions"


async def test_a_round_goes_on_where_its_session_is_loaded_after_a_restart(
    tmp_path: Path, redis: RedisProcess,
) -> None:
    a = tandem(tmp_path, "a", redis)
    await a.start_async()
    try:
        mentor, mentee = await links(a, "Timed, then restarted")
        ana = await person(a, mentor, "Ana")
        ben = await person(a, mentee, "Ben")
        room = await timed_round(ana, ben)
        assert (await ben.next("room_changed"))["room"]["id"] == room
        await ok(ana, "breakout_close", {"countdown_seconds": 3})
        await ana.close()
        await ben.close()
    finally:
        a.stop()  # its timer goes with it, before the countdown ends
    b = tandem(tmp_path, "b", redis)
    await b.start_async()
    try:
        assert await metric(b, "tandem_sessions_held") == 0.0
        # Ben comes back through b, which loads the session, and with it the round's timer.
        back = Peer(b.url)
        await back.connect(mentee)
        ack = await back.join("Ben", resume=ben.resume)
        assert ack["participant"]["id"] == ben.id
        if ack["room"]["id"] != "main":  # the countdown may end before or after he is back
            assert (await back.next("room_changed", timeout=15))["room"]["id"] == "main"
        await back.close()
    finally:
        b.stop()
