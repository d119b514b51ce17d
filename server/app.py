"""The application factory: the core (socket gateway, delivery, session store, ledger) and the
features installed on it, one after another, the same way."""

from __future__ import annotations

import gc
import logging
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
from server.http import (
    ADMIN_GUARD,
    AdminGuard,
    errors_middleware,
    forwarded_middleware,
    protect_pages,
)
from server.ledger.postgres import PostgresLedger
from server.ledger.sqlite import SqliteLedger
from server.media.install import install as media
from server.moderation.install import install as moderation
from server.postgres import PgDatabase
from server.retention import retention
from server.sessions.install import install as sessions
from server.settings import Settings
from server.store.memory import MemoryStore
from server.store.postgres import PostgresJournal
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
    sio.attach(app)
    if settings.long_polling:
        app.middlewares.append(sio.polling_bounds())
    database, store, ledger = _storage_of(settings, clock)
    gateway = SocketGateway(sio=sio, store=store, settings=settings, clock=clock)
    ctx = Context(settings=settings, clock=clock, store=store, ledger=ledger, gateway=gateway,
                  delivery=Delivery())
    app[SETTINGS], app[CONTEXT], app[SIO] = settings, ctx, sio

    # Storage starts first and stops last; features' own work runs inside it; serving (the
    # start-up hooks) comes last, and at shutdown the connections close first.
    app.cleanup_ctx.append(lambda app: _storage(database, store, ledger))
    for install in features:
        install(app, ctx)
    # After the features' own start (their stores take part in the rule's first pass).
    app.cleanup_ctx.append(lambda app: retention(ctx))
    ctx.delivery.check_complete()
    openapi = ctx.openapi.document()

    async def openapi_json(request: web.Request) -> web.Response:
        return web.json_response(openapi)

    app.router.add_get("/api/openapi.json", openapi_json)
    app.cleanup_ctx.append(lambda app: _serving(ctx, sio))
    return app


def _storage_of(settings: Settings, clock: Callable[[], float]
                ) -> tuple[Database | PgDatabase, MemoryStore, SqliteLedger | PostgresLedger]:
    """One database for the ledger and the session journal, so that a command's journal entry
    and its records commit together: SQLite in the data directory (the embedded default), or
    PostgreSQL when ``--database`` names one."""
    if settings.database_url is not None:
        # Its writer holds a lock: a second server on the same database refuses to start.
        pg = PgDatabase(settings.database_url, exclusive=True)
        return pg, MemoryStore(PostgresJournal(pg)), PostgresLedger(pg, clock=clock)
    adopt_legacy_file(settings.data_dir)
    database = Database(settings.data_dir / DATABASE_FILE)
    ledger = SqliteLedger(database, clock=clock)
    ledger.open()
    return database, MemoryStore(SqliteJournal(database)), ledger


async def _storage(database: Database | PgDatabase, store: MemoryStore,
                   ledger: SqliteLedger | PostgresLedger) -> AsyncIterator[None]:
    try:
        await ledger.start()
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
    await ctx.gateway.close()
    await sio.close()

