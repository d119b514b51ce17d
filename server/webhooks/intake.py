"""The intake: announcements wait in a bounded queue in memory, never blocking whoever
announced; one task writes them to the outbox in batches and hands the new deliveries to the
sender. When the queue is full an announcement is dropped, counted (``Stats.dropped``) and
logged (the first drop, then every thousandth). What waits here when the process dies is lost:
the price of never making a person's command wait for a webhook's write."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from rooms.errors import TandemError
from server.webhooks.events import Announced
from server.webhooks.outbox import Outbox, Stats
from server.webhooks.sender import Sender

logger = logging.getLogger(__name__)

BATCH = 500  # announcements written at most in one write


class Intake:
    def __init__(self, outbox: Outbox, sender: Sender, clock: Callable[[], float], bound: int,
                 stats: Stats) -> None:
        self.outbox, self.sender, self.clock, self.bound = outbox, sender, clock, bound
        self.stats = stats
        self.waiting: deque[Announced] = deque()
        self.ready = asyncio.Event()
        self.dropped = 0

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
            batch = [self.waiting.popleft() for _ in range(min(BATCH, len(self.waiting)))]
            try:
                dues = await self.outbox.record(batch, self.clock())
            except (TandemError, OSError):
                self.stats.dropped += len(batch)
                logger.exception("webhooks: %d announcements could not be written; dropped",
                                 len(batch))
                continue
            for due in dues:
                self.sender.schedule(due)
