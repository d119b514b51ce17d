"""The breakouts feature: a mentor's rounds of breakout rooms, participants' choices and help
requests, and the round's timer (resumed after a restart at the same deadline: at start with
one process, where the session is loaded with several)."""

from __future__ import annotations

from aiohttp import web

from server.breakouts.events import BreakoutEvents
from server.breakouts.timers import BreakoutTimers
from server.context import Context


def install(app: web.Application, ctx: Context) -> None:
    timers = BreakoutTimers(ctx)
    BreakoutEvents(ctx, timers).register()
    if ctx.cluster is None:
        ctx.on_start.append(timers.resume_all)
    else:
        # With several processes, a timer is resumed where its session is loaded: at start, a
        # process would otherwise load every session ever made to look for deadlines.
        ctx.on_load.append(timers.ensure)
    ctx.holds.append(timers.holds)  # kept in memory while its timer runs here
