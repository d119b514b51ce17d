"""The intake: announcements wait in a bounded queue in memory, never blocking whoever
announced; one task writes them to the outbox in batches and hands the new deliveries to the
sender. When the queue is full an announcement is dropped, counted (``Stats.dropped``) and
logged (the first drop, then every thousandth). What waits here when the process dies is lost:
the price of never making a person's command wait for a webhook's write. A deletion (a request,
the retention rule) goes through ``erase``: what waits here of it is dropped and the outbox
erased while no batch is being written, so that none is written after it."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

from rooms.errors import TandemError
from server.webhooks.events import Announced
from server.webhooks.outbox import Outbox, Stats
from server.webhooks.sender import Sender

logger = logging.getLogger(__name__)

BATCH = 500  # announcements written at most in one write
T = TypeVar("T")


class Intake:
    def __init__(self, outbox: Outbox, sender: Sender, clock: Callable[[], float], bound: int,
                 stats: Stats) -> None:
        self.outbox, self.sender, self.clock, self.bound = outbox, sender, clock, bound
        self.stats = stats
        self.waiting: deque[Announced] = deque()
        self.ready = asyncio.Event()
        self.dropped = 0
        # Held while a batch is written, and while a deletion erases the outbox.
        self.writing = asyncio.Lock()

    def put(self, announced: Announced) -> None:
        """Enqueue, or drop when full; returns at once either way."""
        if len(self.waiting) >= self.bound:
            self.dropped += 1
            self.stats.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("webhooks: the queue is full (%d); %d announcements dropped so "
                               "far", self.bound, self.dropped)
            return
        self.waiting.append(announced)
        self.ready.set()

    async def run(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write everything waiting now."""
        while self.waiting:
            async with self.writing:
                batch = [self.waiting.popleft() for _ in range(min(BATCH, len(self.waiting)))]
                if not batch:  # a deletion dropped what waited meanwhile
                    continue
                try:
                    dues = await self.outbox.record(batch, self.clock())
                except (TandemError, OSError):
                    self.stats.dropped += len(batch)
                    logger.exception("webhooks: %d announcements could not be written; "
                                     "dropped", len(batch))
                    continue
            for due in dues:
                self.sender.schedule(due)

    async def erase(self, gone: Callable[[Announced], bool],
                    erase: Callable[[], Awaitable[T]]) -> T:
        """A deletion: drop what waits here that ``gone`` names, then ``erase`` the outbox
        once no batch is being written (a batch written after the outbox was read would keep
        what the deletion removed)."""
        async with self.writing:
            self.waiting = deque(a for a in self.waiting if not gone(a))
            return await erase()
