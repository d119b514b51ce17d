"""The whiteboard feature: a shared board per room, kept under ``<data dir>/whiteboards`` (or, with
several processes, in their Redis, every process applying every update: ``sync``), its socket
events and REST routes, its part in deletion requests and the retention rule, and the store's
worker running with the app (pending writes are kept before it stops)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from rooms.whiteboard import BoardLimits
from server.context import Context
from server.whiteboard.boards import Boards
from server.whiteboard.erasure import BoardErasure
from server.whiteboard.events import WhiteboardEvents
from server.whiteboard.redis_store import RedisBoardStore
from server.whiteboard.relay import Relay
from server.whiteboard.routes import WhiteboardRoutes
from server.whiteboard.store import BoardStorage, BoardStore
from server.whiteboard.sync import BoardSync

BOARDS_DIR = "whiteboards"
WHITEBOARD = web.AppKey("whiteboard", WhiteboardEvents)


def install(app: web.Application, ctx: Context) -> None:
    lim, cluster = ctx.settings.limits, ctx.cluster
    store: BoardStorage
    if cluster is not None:
        # The session store's client (its commands time out), and its key prefix.
        store = RedisBoardStore(cluster.store.redis, prefix=ctx.settings.redis_prefix,
                                clock=ctx.clock)
    else:
        store = BoardStore(ctx.settings.data_dir / BOARDS_DIR)
    boards = Boards(store, BoardLimits(lim.board_update_bytes, lim.board_bytes),
                    compact_bytes=ctx.settings.board_compact_bytes)
    relay = Relay(ctx.gateway, ctx.history)
    sync = None
    if cluster is not None:
        sync = BoardSync(cluster, boards, relay, ctx.clock)
        sync.register()
    events = WhiteboardEvents(ctx, boards, relay, sync=sync)
    if sync is not None and cluster is not None:
        board_sync = sync
        sync.on_forget = lambda session_id, rooms: events.forget_here(session_id, rooms,
                                                                      deleted=True)

        async def catch_up() -> None:
            """After this process's channels dropped, deletions and updates made meanwhile never
            reached it: the sessions' metas are read again (a deletion may have taken room
            names and marks), and every loaded board is brought in line with the store."""
            events.metas.clear()
            await board_sync.resync()

        # Before the rooms' histories catch up: a page told there of a gap syncs its board
        # again, and must find it in line by then.
        cluster.after_reconnect.insert(0, catch_up)
        # A session dropped from this process's memory takes its boards along, once every write
        # of them is stored.
        ctx.holds.append(lambda session_id: any(k.session_id == session_id for k in boards.busy))
        ctx.on_evict.append(events.forget_here)
    events.register()
    WhiteboardRoutes(ctx, events).add_to(app)
    BoardErasure(events).register(ctx.erasure)
    app[WHITEBOARD] = events

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await store.start()
        yield
        await store.close()  # the last writes are kept, then passed on
        if sync is not None:
            await sync.close()

    app.cleanup_ctx.append(lifecycle)
