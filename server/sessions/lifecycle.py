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

from rooms.command import Command
from rooms.commands import Disconnect, ServerRestarted
from rooms.errors import SessionNotFound, TandemError
from rooms.lifecycles import SessionState
from rooms.moderation import StopWaiting
from rooms.session import MIN_PARTICIPANTS, Session
from server.cluster import ReapIncomplete
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
    """Someone connected or waiting (a waiter's connection is gone too, and one left there would
    keep the session in use for ever: ``Session.last_used``)."""
    return s.state is not SessionState.ENDED and (
        bool(s.waiting) or any(p.connected for p in s.participants.values()))


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
        try:
            await ctx.store.add(session)
        except ValueError:  # another process put it back first
            continue
        restored += 1
    if restored:
        logger.info("restored %d sessions from the ledger", restored)
    return restored


async def reap_node(ctx: Context, node: str, session_ids: list[str]) -> int:
    """Another process is gone (``server.cluster``): whoever was connected to it, in these
    sessions, is disconnected as if their connection had dropped (their pages rejoin through
    another process with their resume credential), and whoever waited there stops waiting.
    Or this process itself was taken for gone while it was alive: every connection it holds is
    first taken out of its rooms and closed, before anything is awaited (each page joins again,
    into what the session now says). Returns how many connections were closed in the sessions;
    raises ``ReapIncomplete`` with the sessions where someone could not be disconnected (a busy
    session, Redis out of reach), after trying them all: they are tried again later."""
    if ctx.cluster is not None and node == ctx.cluster.node:
        gateway = ctx.gateway
        for sid in list(gateway.connections):
            gateway.leave_rooms(sid)
            gateway.spawn(gateway.sio.disconnect(sid))
    prefix = f"{node}."
    now = ctx.clock()
    closed = 0
    left: list[str] = []
    for session_id in session_ids:
        failure: str | None = None
        try:
            gone = await ctx.store.read(session_id, lambda s: _connected_to(s, prefix, now))
        except SessionNotFound:
            continue
        except TandemError as exc:
            gone, failure = [], exc.code
        for command in gone:
            try:
                await ctx.execute(session_id, command)
            except TandemError as exc:  # read again at the next try (rejoined, ended meanwhile)
                failure = exc.code
                continue
            closed += 1
        if failure is not None:
            logger.info("session %s: a connection of process %s is not closed yet (%s)",
                        session_id, node, failure)
            left.append(session_id)
    if left:
        raise ReapIncomplete(left)
    return closed


def _connected_to(s: Session, prefix: str, now: float) -> list[Command[None]]:
    """What closes the connections of one process in a session."""
    if s.state is SessionState.ENDED:
        return []
    commands: list[Command[None]] = [
        Disconnect(p.id, p.connection_id, now) for p in s.participants.values()
        if p.connected and p.connection_id is not None and p.connection_id.startswith(prefix)]
    commands += [StopWaiting(w.id, w.connection_id, now) for w in s.waiting.values()
                 if w.connection_id.startswith(prefix)]
    return commands
