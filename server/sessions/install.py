"""The sessions feature: sessions, links and previews over REST; joining, chat, media state,
signalling and leaving over the socket; sessions put back after a restart."""

from __future__ import annotations

from aiohttp import web

from server.context import Context
from server.sessions import lifecycle
from server.sessions.events import SessionEvents
from server.sessions.routes import SessionRoutes


def install(app: web.Application, ctx: Context) -> None:
    SessionEvents(ctx).register()
    SessionRoutes(ctx).add_to(app)

    async def start() -> None:
        if ctx.cluster is None:  # with several processes, those gone are reaped one by one
            await lifecycle.after_restart(ctx)
        await lifecycle.restore_from_ledger(ctx)

    ctx.on_start.append(start)
    if ctx.cluster is not None:
        async def node_lost(node: str, sessions: list[str]) -> None:
            await lifecycle.reap_node(ctx, node, sessions)

        ctx.cluster.on_node_lost = node_lost
