"""The breakouts feature: a mentor's rounds of breakout rooms, participants' choices and help
requests, and the round's timer (resumed after a restart at the same deadline)."""

from __future__ import annotations

from aiohttp import web

from server.breakouts.events import BreakoutEvents
from server.breakouts.timers import BreakoutTimers
from server.context import Context


def install(app: web.Application, ctx: Context) -> None:
    timers = BreakoutTimers(ctx)
    BreakoutEvents(ctx, timers).register()
    ctx.on_start.append(timers.resume_all)
    ctx.on_load.append(timers.ensure)  # a session first loaded here (several processes)
    ctx.holds.append(timers.holds)  # kept in memory while its timer runs here
