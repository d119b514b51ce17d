"""With several processes: a process keeps in memory only the sessions it serves.

Every process that reads or changes a session holds a replica of it (``server.store.redis``) and
follows its channel. Without this sweep a process would hold every session any of its people
ever joined, for as long as it runs. Every ``interval`` seconds the sweep drops each replica that
nobody here has read or changed for ``settings.replica_idle`` seconds, when nobody of that
session is connected here and no feature holds it (``ctx.holds``: its media served here, a
breakout timer running here); each feature then drops what it kept of the session
(``ctx.on_evict``: boards, caption listeners, replay positions). A later join or read here loads
the session again from Redis, as any process does the first time."""

from __future__ import annotations

import asyncio
import logging

from server.context import Context
from server.store.redis import RedisStore

logger = logging.getLogger("tandem")


class ReplicaSweep:
    def __init__(self, ctx: Context, store: RedisStore) -> None:
        self.ctx, self.store = ctx, store
        self.idle_for = float(ctx.settings.replica_idle)
        self.interval = min(60.0, self.idle_for / 2)
        self.sweeps = 0
        self.dropped = 0
        ctx.metrics.gauge("tandem_sessions_held", "Sessions this process holds in memory",
                          lambda: float(len(store.replicas())))
        ctx.metrics.gauge("tandem_session_sweeps", "Sweeps for sessions nobody here uses",
                          lambda: float(self.sweeps))

    def held(self, session_id: str, connected: set[str]) -> bool:
        return session_id in connected or any(hold(session_id) for hold in self.ctx.holds)

    async def sweep(self) -> list[str]:
        connected = {conn.session_id for conn in self.ctx.gateway.connections.values()}
        dropped = await self.store.evict_idle(self.idle_for,
                                              lambda sid: self.held(sid, connected))
        for session_id in dropped:
            for hook in self.ctx.on_evict:
                try:
                    hook(session_id)
                except Exception:
                    logger.exception("dropping a session from memory failed in a feature")
        self.sweeps += 1
        self.dropped += len(dropped)
        if dropped:
            logger.info("%d sessions nobody here uses were dropped from memory", len(dropped))
        return dropped

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.sweep()
            except Exception:
                logger.exception("the sweep for sessions nobody here uses failed")
