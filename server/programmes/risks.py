"""Pairs at risk, announced: every so often each cohort's live matches are looked at, and a
match that shows a risk it did not show before is announced as ``pair.at_risk`` (to webhooks,
when the webhooks feature is installed).

Rules of this module: a match's risks last announced are kept as a document (``risk_seen``), so
a risk is announced once, not at every look, nor again after a restart; a risk that goes away
and comes back is announced again. With several processes each looks, and the version of that
document decides which one announces. The announcement names the match, the cohort, the people
by id and the risk codes, nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from rooms.errors import TandemError
from server.context import Context
from server.documents import Conflict, Put
from server.programmes.health import HealthRoutes
from server.programmes.store import RISK_SEEN, ProgrammeStore

logger = logging.getLogger(__name__)
LOOK_EVERY = 15 * 60.0  # seconds between looks


@dataclass(slots=True)
class RiskWatch:
    ctx: Context
    store: ProgrammeStore
    health: HealthRoutes

    async def look(self) -> int:
        """Look at every cohort once; return how many matches were announced."""
        announced = 0
        for cohort in await self.store.cohorts():
            out = await self.health.health_of(cohort.key)
            matches = {m.id: m for m in await self.store.matches(cohort.key)}
            for pair in out.pairs:
                match = matches.get(pair.match_id)
                if match is None or not match.live:
                    continue
                codes = sorted(r.code for r in pair.risks)
                key = f"{cohort.key}/{pair.match_id}"
                seen = await self.ctx.documents.get(RISK_SEEN, key)
                before = set(seen.body["codes"]) if seen is not None else set()
                if set(codes) == before:
                    continue
                now = self.ctx.clock()
                try:
                    await self.ctx.documents.write([Put(
                        RISK_SEEN, key, {"codes": codes, "at": now}, scope=cohort.key,
                        expect=seen.version if seen is not None else 0)], now)
                except Conflict:  # another process saw it first, and announces it
                    continue
                new = [c for c in codes if c not in before]
                if new:
                    self.ctx.announcements.announce("pair.at_risk", {
                        "cohort_id": cohort.key, "match_id": pair.match_id,
                        "mentor_id": match.mentor_id, "mentee_ids": list(match.mentee_ids),
                        "risks": codes, "new": new}, now)
                    announced += 1
        return announced

    async def run(self, every: float = LOOK_EVERY) -> None:
        while True:
            try:
                count = await self.look()
                if count:
                    logger.info("%d pairs newly at risk announced", count)
            except TandemError as exc:  # the database away: look again next time
                logger.warning("pairs at risk not looked at: %s", exc.code)
            await asyncio.sleep(every)
