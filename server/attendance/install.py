"""The attendance feature: every domain event recorded in the ledger, the participants' own
attendance events, REST reports and exports for admins, and the ledger's retention."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from server.attendance.events import AttendanceEvents
from server.attendance.routes import AttendanceRoutes
from server.context import Context
from server.ledger import LedgerUnavailable

logger = logging.getLogger(__name__)

RETENTION_INTERVAL = 6 * 3600.0
DAY = 86400.0


def install(app: web.Application, ctx: Context) -> None:
    AttendanceEvents(ctx).register()
    AttendanceRoutes(ctx).add_to(app)

    async def retention(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(_retention(ctx), name="ledger-retention")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(retention)


async def _retention(ctx: Context) -> None:
    """Delete what is past the retention period, at start and then every few hours."""
    while ctx.settings.retention_days > 0:
        try:
            removed = await ctx.ledger.purge(ctx.clock() - ctx.settings.retention_days * DAY)
            if removed:
                logger.info("retention: deleted %d sessions older than %d days", removed,
                            ctx.settings.retention_days)
        except LedgerUnavailable:
            logger.exception("retention: the purge failed; trying again later")
        await asyncio.sleep(RETENTION_INTERVAL)
