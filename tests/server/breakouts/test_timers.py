"""The breakout timer on its own, with the session store of one process: it waits while the
store refuses its tick and closes the rooms once the store is back, and it is resumed for the
sessions that outlive a restart even when one of them goes meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import pytest

from rooms import breakout_commands as c
from rooms.commands import Command, Join
from rooms.errors import SessionNotFound
from rooms.lifecycles import BreakoutState
from rooms.roles import Role
from rooms.session import Session
from server.breakouts.timers import BreakoutTimers
from server.store.memory import MemoryStore
from server.store.redis import StoreUnavailable
from tests.support import eventually

LATE = 1000.0  # long past the end of every round below


async def with_open_round(store: MemoryStore, session_id: str) -> None:
    """A session whose round of one room, with two mentees in it, ends at 163 (60 s from 103)."""
    await store.add(Session.create(session_id=session_id, title="T", max_participants=10,
                                   now=100.0))
    commands: list[Command[Any]] = [
        Join(connection_id=f"c-{pid}", role=role, name=pid, new_participant_id=pid,
             audio=True, video=True, at=100.0)
        for pid, role in (("m", Role.MENTOR), ("x", Role.MENTEE), ("y", Role.MENTEE))]
    commands.append(c.BreakoutCreate("m", "c-m", 1, (), False, False, 101.0))
    commands += [c.BreakoutAssign("m", "c-m", pid, "1:b1", 102.0) for pid in ("x", "y")]
    commands.append(c.BreakoutOpen("m", "c-m", 60.0, 103.0))
    for command in commands:
        await (await store.update(session_id, command)).durable


class Tasks:
    """The gateway's part: owns the timers' tasks, and cancels them at the end."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return task

    async def close(self) -> None:
        for task in self.running:
            task.cancel()
        await asyncio.gather(*self.running, return_exceptions=True)


class Ctx:
    """What the timer uses of the server's context, with a session store that can be out of
    reach: while ``away``, every command is refused before anything is applied (as the Redis
    store does when Redis cannot be reached), at once, as a refused connection is."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.gateway = Tasks()
        self.away = False
        self.attempts = 0

    def clock(self) -> float:
        return LATE

    async def execute(self, session_id: str, command: Command[Any]) -> Any:
        self.attempts += 1
        if self.away:
            await asyncio.sleep(0)
            raise StoreUnavailable("The session store is out of reach; try again in a moment.")
        applied = await self.store.update(session_id, command)
        await applied.durable
        return applied.value


async def turns(count: int) -> None:
    """Let the event loop run ``count`` times round (no time passes for a timer that waits)."""
    for _ in range(count):
        await asyncio.sleep(0)


async def deadline(store: MemoryStore, session_id: str) -> float | None:
    return await store.read(session_id, lambda s: s.next_deadline())


async def test_a_timer_waits_while_the_store_is_away_then_closes_the_rooms(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryStore()
    await with_open_round(store, "s1")
    ctx = Ctx(store)
    ctx.away = True
    timers = BreakoutTimers(ctx)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="server.breakouts.timers")
    try:
        timers.ensure("s1")
        await eventually(lambda: ctx.attempts >= 1, what="the timer's first tick")
        # A thousand turns of the loop while the store is away: a timer that tried again at
        # once would tick on every one of them (and log each time).
        await turns(1000)
        assert ctx.attempts <= 2, f"{ctx.attempts} ticks tried while the store was away"
        failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(failures) == 1, [r.getMessage() for r in failures]
        assert "s1" in failures[0].getMessage()
        assert await deadline(store, "s1") is not None  # nothing was applied meanwhile

        ctx.away = False
        await eventually(lambda: not timers.holds("s1"), timeout=5,
                         what="the timer closing the rooms once the store is back")
        closed = await store.read("s1", lambda s: s.breakouts)
        assert closed is not None and closed.state is BreakoutState.CLOSED
        assert await store.read("s1", lambda s: s.participant("x").room) == "main"
        assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    finally:
        await ctx.gateway.close()


class ListsAGoneSession(MemoryStore):
    """A store in which a session is deleted between the listing and the reading."""

    async def session_ids(self) -> list[str]:
        return ["gone", *await super().session_ids()]


async def test_resume_all_passes_over_a_session_deleted_meanwhile() -> None:
    store = ListsAGoneSession()
    await with_open_round(store, "kept")
    ctx = Ctx(store)
    timers = BreakoutTimers(ctx)  # type: ignore[arg-type]
    try:
        await timers.resume_all()
        assert timers.holds("kept") and not timers.holds("gone")
        with pytest.raises(SessionNotFound):
            await deadline(store, "gone")
    finally:
        await ctx.gateway.close()
