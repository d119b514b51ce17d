"""Sessions across restarts: what happens to them when the server starts again.

At start the store has rebuilt every session it kept, as it was: rooms, the breakout round and its
deadline, chat, hands, the board on show. Nobody is connected to a new process, so everyone who
was is marked disconnected (``ServerRestarted``); their pages reconnect and rejoin with their
resume credential, into the same room. Sessions the ledger knows but the store does not (kept by a
version of Tandem without a session store) are put back from the ledger, so that their links keep
working.
"""

from __future__ import annotations

import logging

from rooms.commands import ServerRestarted
from rooms.errors import SessionNotFound
from rooms.lifecycles import SessionState
from rooms.session import MIN_PARTICIPANTS, Session
from server.context import Context
from server.ledger import SessionQuery

logger = logging.getLogger(__name__)

# At most this many sessions are put back from the ledger at start-up.
RESTORE_MAX = 100_000
DAY = 86400.0


async def after_restart(ctx: Context) -> None:
    """Everyone who was connected to the last process is now disconnected."""
    now = ctx.clock()
    restarted = 0
    for session_id in await ctx.store.session_ids():
        live = await ctx.store.read(session_id, _has_connections)
        if not live:
            continue
        applied = await ctx.store.update(session_id, ServerRestarted(now))
        await applied.durable  # events only say who was connected: nobody is told, nothing recorded
        restarted += 1
    if restarted:
        logger.info("%d sessions were live at the restart; their people can rejoin", restarted)


def _has_connections(s: Session) -> bool:
    return s.state is not SessionState.ENDED and any(p.connected for p in s.participants.values())


async def restore_from_ledger(ctx: Context) -> int:
    """Put back the sessions the ledger knows and the store does not, whose links may still be
    valid, so that join links keep working and people coming back keep their identity."""
    settings, now = ctx.settings, ctx.clock()
    since = now - settings.max_link_ttl
    if settings.retention_days > 0:  # nothing the retention period has deleted comes back
        since = max(since, now - settings.retention_days * DAY)
    known = set(await ctx.store.session_ids())
    restored = 0
    for session_id in await ctx.ledger.session_ids(SessionQuery(since=since, limit=RESTORE_MAX)):
        if session_id in known:
            continue
        try:
            info = await ctx.ledger.session(session_id)
        except SessionNotFound:  # deleted meanwhile (retention runs at start too)
            continue
        session = Session.create(
            session_id=info.session_id, title=info.title, goal=info.goal,
            max_participants=max(info.max_participants, MIN_PARTICIPANTS),
            now=info.created_at, plan=info.plan,
        )
        if info.ended_at is not None:
            session.end("ended before the server restarted", info.ended_at)
        await ctx.store.add(session)
        restored += 1
    if restored:
        logger.info("restored %d sessions from the ledger", restored)
    return restored
