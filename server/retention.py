"""The retention rule: what is older than the retention period is deleted, the attendance
ledger's sessions and records, the session journal's sessions and what features keep beside them
(``ctx.erasure``: whiteboards) alike, at start and then every few hours (``retention_days`` 0
keeps everything). A session's age counts from when it was last used, or is meant to be
(``Session.last_used``: its scheduled end, its people's last presence, its last message), not
from its creation: a session scheduled months ahead, or a pair's link in use for longer than
the period, is not deleted before it is over."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from rooms.errors import TandemError
from server.context import Context

logger = logging.getLogger(__name__)

RETENTION_INTERVAL = 6 * 3600.0
DAY = 86400.0


async def retention(ctx: Context) -> AsyncIterator[None]:
    """Runs the rule with the app (a cleanup context). The first pass is over before the app
    serves: nothing past the period comes back at a restart, not even for a moment."""
    if ctx.settings.retention_days > 0:
        await purge(ctx)
    task = asyncio.create_task(_loop(ctx), name="retention")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _loop(ctx: Context) -> None:
    while ctx.settings.retention_days > 0:
        await asyncio.sleep(RETENTION_INTERVAL)
        await purge(ctx)


async def purge(ctx: Context) -> None:
    """One pass: each part tries on its own, and what fails is tried again at the next pass."""
    days = ctx.settings.retention_days
    before = ctx.clock() - days * DAY
    in_use: set[str] | None = None
    deleted = False
    try:
        old = await ctx.store.expire(before)
        in_use = set(await ctx.store.session_ids()) - set(old)
        if old:
            deleted = True
            logger.info("retention: deleted %d sessions unused for %d days from the journal",
                        len(old), days)
    except TandemError:
        logger.exception("retention: forgetting old sessions failed; trying again later")
    if in_use is not None:  # (else which sessions are still in use is not known: next pass)
        try:
            removed = await ctx.ledger.purge(before, keep=in_use)
            deleted = deleted or removed > 0
            if removed:
                logger.info("retention: deleted %d sessions unused for %d days from the "
                            "ledger", removed, days)
        except TandemError:
            logger.exception("retention: the ledger's purge failed; trying again later")
    try:
        erased = await ctx.erasure.expire(before)
        for kind, count in sorted(erased.items()):
            if count:
                deleted = True
                logger.info("retention: deleted %d %s older than %d days", count, kind, days)
    except (TandemError, OSError):
        logger.exception("retention: deleting features' old data failed; trying again later")
    if deleted:  # the files rewritten without it, as after a deletion request
        try:
            await ctx.scrub()
        except TandemError:
            logger.exception("retention: clearing the database's log failed; it is cleared "
                             "as it fills")
