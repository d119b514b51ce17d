"""The application factory: the core (socket gateway, delivery, session store, ledger) and the
features installed on it, one after another, the same way."""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Callable

import socketio
from aiohttp import web

from server.attendance.install import install as attendance
from server.breakouts.install import install as breakouts
from server.captions.install import install as captions
from server.context import Context, Feature
from server.database import DATABASE_FILE, Database, adopt_legacy_file
from server.delivery import Delivery
from server.fanout import TandemSocketServer
from server.gateway import SocketGateway
from server.health import Health
from server.http import (
    ADMIN_GUARD,
    AdminGuard,
    errors_middleware,
    forwarded_middleware,
    protect_pages,
)
from server.ledger.sqlite import SqliteLedger
from server.media.install import install as media
from server.metrics import Metrics
from server.moderation.install import install as moderation
from server.operations import install as operations
from server.retention import retention
from server.sessions.install import install as sessions
from server.settings import Settings
from server.store.memory import MemoryStore
from server.store.sqlite import SqliteJournal
from server.whiteboard.install import install as whiteboard

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
CONTEXT = web.AppKey("context", Context)
SIO = web.AppKey("sio", socketio.AsyncServer)
FEATURES: tuple[Feature, ...] = (sessions, breakouts, whiteboard, attendance, media, captions,
                                 moderation)


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.time,
    features: tuple[Feature, ...] = FEATURES,
) -> web.Application:
    """Build Tandem's web application. ``clock`` is injectable so tests can move time."""
    app = web.Application(
        middlewares=[forwarded_middleware(settings.trusted_proxies), errors_middleware],
        client_max_size=settings.limits.max_request_bytes,
    )
    app.on_response_prepare.append(protect_pages)
    app[ADMIN_GUARD] = AdminGuard(clock)
    sio = TandemSocketServer(
        send_buffer_bytes=settings.limits.send_buffer_bytes,
        connect_within=settings.limits.join_within,
        async_mode="aiohttp",
        max_http_buffer_size=settings.limits.max_message_bytes,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
        transports=["polling", "websocket"] if settings.long_polling else ["websocket"],
    )
    metrics = Metrics(process=settings.process_name or str(os.getpid()),
                      enabled=settings.metrics)
    traffic = metrics.traffic if metrics.enabled else None
    sio.manager.traffic = traffic
    sio.attach(app)
    if settings.long_polling:
        app.middlewares.append(sio.polling_bounds())
    # One database for the ledger and the session journal: a command's journal entry and its
    # records commit together.
    adopt_legacy_file(settings.data_dir)
    database = Database(settings.data_dir / DATABASE_FILE,
                        metrics=metrics if metrics.enabled else None)
    store = MemoryStore(SqliteJournal(database))
    ledger = SqliteLedger(database, clock=clock)
    ledger.open()
    gateway = SocketGateway(sio=sio, store=store, settings=settings, clock=clock,
                            traffic=traffic)
    ctx = Context(settings=settings, clock=clock, store=store, ledger=ledger, gateway=gateway,
                  delivery=Delivery(), metrics=metrics, health=Health())
    app[SETTINGS], app[CONTEXT], app[SIO] = settings, ctx, sio
    ctx.health.add_check("sqlite", database.check)
    metrics.gauge("tandem_connections", "Open Socket.IO connections (joined, waiting to be let "
                  "in, or yet to join)", lambda: len(gateway.connections))
    metrics.gauge("tandem_connections_joined", "Open Socket.IO connections that have joined "
                  "their session", lambda: sum(1 for c in gateway.connections.values()
                                               if c.participant_id is not None))

    # Storage starts first and stops last; features' own work runs inside it; serving (the
    # start-up hooks) comes last, and at shutdown the connections close first.
    app.cleanup_ctx.append(lambda app: _storage(database, store, ledger))
    for install in features:
        install(app, ctx)
    # After the features' own start (their stores take part in the rule's first pass).
    app.cleanup_ctx.append(lambda app: retention(ctx))
    ctx.delivery.check_complete()
    operations(app, settings, ctx.health, metrics, ctx.openapi)
    openapi = ctx.openapi.document()

    async def openapi_json(request: web.Request) -> web.Response:
        return web.json_response(openapi)

    app.router.add_get("/api/openapi.json", openapi_json)
    app.cleanup_ctx.append(lambda app: _serving(ctx, sio))
    return app


async def _storage(database: Database, store: MemoryStore,
                   ledger: SqliteLedger) -> AsyncIterator[None]:
    await ledger.start()
    try:
        sessions = await store.start()
        if sessions:
            logger.info("%d sessions back from the session journal", sessions)
        yield
    finally:
        await store.close()
        await ledger.close()
        await database.close()


async def _serving(ctx: Context, sio: TandemSocketServer) -> AsyncIterator[None]:
    for hook in ctx.on_start:
        await hook()
    # Objects created at start-up live for the whole run; keeping them out of the collector's
    # generations avoids long full collections once many clients are connected.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*ctx.settings.gc_threshold)
    yield
    await ctx.health.close()
    await ctx.gateway.close()
    await sio.close()

