"""The breakout timer: warns, closes and brings everyone back on time, once per deadline.

One task per session whose round has a deadline; it ends when no deadline is left. The deadline
itself is the round's (kept with the session), so a restarted server picks up the same deadline,
not a new one. With one process, ``resume_all`` starts a timer at start for every session that
has one; with several, a timer is started where the session is loaded (``ensure``), so that a
process that starts reads no session nobody uses there.

While the session store is out of reach (Redis away), a due tick is refused before anything is
applied and the deadline stays due: the timer tries again every ``TIMER_POLL_SECONDS``, not at
once, and says so once, not on every attempt.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from rooms.breakout_commands import Tick
from rooms.errors import NotRecorded, SessionNotFound
from server.context import Context
from server.store.redis import StoreUnavailable

logger = logging.getLogger(__name__)

# The timer re-reads the deadline at least this often, so a changed deadline (extend, shorten) or
# a clock moved in tests is noticed without a wake-up call; and a tick the store could not keep
# is tried again this often, until it is kept.
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
        """Start a timer for every session the store holds whose round has a deadline (one
        process only: with several, each is started where its session is loaded)."""
        for session_id in await self.ctx.store.session_ids():
            try:
                deadline = await self.ctx.store.read(session_id, lambda s: s.next_deadline())
            except SessionNotFound:
                continue  # deleted since it was listed
            if deadline is not None:
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
                await self._tick(session_id)
        except SessionNotFound:
            return
        except Exception:
            logger.exception("breakout timer of session %s failed", session_id)
        finally:
            if self.running.get(session_id) is asyncio.current_task():
                del self.running[session_id]

    async def _tick(self, session_id: str) -> None:
        ctx = self.ctx
        refused = False
        while True:
            try:
                await ctx.execute(session_id, Tick(ctx.clock()))
            except StoreUnavailable as exc:
                # Not kept, so still due. The same tick is given again rather than the deadline
                # read again: a change whose keeping failed midway may show here as applied
                # until the store is back, and the timer would stop with the rooms still open.
                if not refused:
                    logger.warning("breakout timer of session %s: its tick was not kept (%s); "
                                   "trying again every %.0f s", session_id, exc,
                                   TIMER_POLL_SECONDS)
                    refused = True
                await asyncio.sleep(TIMER_POLL_SECONDS)
                continue
            except NotRecorded:
                # the round moved on regardless; the recorder has logged what it missed
                logger.error("breakout timer of session %s: events not recorded", session_id)
            if refused:
                logger.info("breakout timer of session %s: its tick is kept again", session_id)
            return
