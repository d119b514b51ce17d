"""The whiteboard feature: a shared board per room, kept under ``<data dir>/whiteboards``, its
socket events and REST routes, its part in deletion requests and the retention rule, and the
store's worker running with the app (pending writes reach the disk before it stops)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from rooms.whiteboard import BoardLimits
from server.context import Context
from server.whiteboard.boards import Boards
from server.whiteboard.erasure import BoardErasure
from server.whiteboard.events import WhiteboardEvents
from server.whiteboard.relay import Relay
from server.whiteboard.routes import WhiteboardRoutes
from server.whiteboard.store import BoardStore

BOARDS_DIR = "whiteboards"
WHITEBOARD = web.AppKey("whiteboard", WhiteboardEvents)


def install(app: web.Application, ctx: Context) -> None:
    lim = ctx.settings.limits
    store = BoardStore(ctx.settings.data_dir / BOARDS_DIR)
    boards = Boards(store, BoardLimits(lim.board_update_bytes, lim.board_bytes))
    events = WhiteboardEvents(ctx, boards, Relay(ctx.gateway, ctx.history))
    events.register()
    WhiteboardRoutes(ctx, events).add_to(app)
    BoardErasure(events).register(ctx.erasure)
    app[WHITEBOARD] = events

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await store.start()
        yield
        await store.close()

    app.cleanup_ctx.append(lifecycle)
