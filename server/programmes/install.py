"""The programme console: cohorts and their people, matching, schedules and their links, how
each pair is doing, the fit question and a mentor's view of their mentees (docs/PROGRAMMES.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from server.context import Context, Erased
from server.programmes.health import HealthRoutes
from server.programmes.risks import RiskWatch
from server.programmes.routes import CohortRoutes
from server.programmes.schedules import ScheduleRoutes
from server.programmes.store import ProgrammeStore
from server.tasks import TaskSet

WATCH = web.AppKey("programme_risk_watch", RiskWatch)


def install(app: web.Application, ctx: Context) -> None:
    store = ProgrammeStore(ctx.documents)
    CohortRoutes(ctx, store).add_to(app)
    ScheduleRoutes(ctx, store).add_to(app)
    health = HealthRoutes(ctx, store)
    health.add_to(app)
    watch = app[WATCH] = RiskWatch(ctx, store, health)

    async def watching(app: web.Application) -> AsyncIterator[None]:
        tasks = TaskSet()
        tasks.spawn(watch.run())
        yield
        await tasks.close()

    app.cleanup_ctx.append(watching)

    async def erase_person(person_id: str) -> Erased:
        """A deletion request removes the person's profile, fit answers and matches from
        every cohort, with their records everywhere else."""
        changes, count = await store.erase_person(person_id)
        if changes:
            await ctx.documents.write(changes, ctx.clock())
        return {"programme_entries": count} if count else {}

    ctx.erasure.person.append(erase_person)
