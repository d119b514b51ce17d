"""The breakout timer: warns, closes and brings everyone back on time, once per deadline.

One task per session whose round has a deadline; it ends when no deadline is left. The deadline
itself is the round's (kept with the session), so a restarted server picks up the same deadline,
not a new one: ``resume_all`` starts a timer for every session that has one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from rooms.breakout_commands import Tick
from rooms.errors import NotRecorded, SessionNotFound
from server.context import Context

logger = logging.getLogger(__name__)

# The timer re-reads the deadline at least this often, so a changed deadline (extend, shorten) or
# a clock moved in tests is noticed without a wake-up call.
TIMER_POLL_SECONDS = 1.0


@dataclass(slots=True)
class BreakoutTimers:
    ctx: Context
    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def holds(self, session_id: str) -> bool:
        """Whether a timer of the session runs here."""
        task = self.running.get(session_id)
        return task is not None and not task.done()

    def ensure(self, session_id: str) -> None:
        task = self.running.get(session_id)
        if task is None or task.done():
            self.running[session_id] = self.ctx.gateway.spawn(self._run(session_id))

    async def resume_all(self) -> None:
        for session_id in await self.ctx.store.session_ids():
            if await self.ctx.store.read(session_id, lambda s: s.next_deadline()) is not None:
                self.ensure(session_id)

    async def _run(self, session_id: str) -> None:
        ctx = self.ctx
        try:
            while True:
                deadline = await ctx.store.read(session_id, lambda s: s.next_deadline())
                if deadline is None:
                    return
                wait = deadline - ctx.clock()
                if wait > 0:
                    await asyncio.sleep(min(wait, TIMER_POLL_SECONDS))
                    continue
                try:
                    await ctx.execute(session_id, Tick(ctx.clock()))
                except NotRecorded:
                    # the round moved on regardless; the recorder has logged what it missed
                    logger.error("breakout timer of session %s: events not recorded", session_id)
        except SessionNotFound:
            return
        except Exception:
            logger.exception("breakout timer of session %s failed", session_id)
        finally:
            if self.running.get(session_id) is asyncio.current_task():
                del self.running[session_id]
