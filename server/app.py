"""The application factory: the core (socket gateway, delivery, session store, ledger) and the
features installed on it, one after another, the same way."""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence

import socketio
from aiohttp import web
from redis.asyncio import Redis

from rooms.events import Event
from server.admins.install import install as admins
from server.attendance.install import install as attendance
from server.audit import Audit
from server.breakouts.install import install as breakouts
from server.captions.install import install as captions
from server.cluster import Cluster, new_node
from server.context import Context, Feature
from server.database import DATABASE_FILE, Database, adopt_legacy_file
from server.delivery import Delivery
from server.documents import PostgresDocuments, SqliteDocuments, documents_for
from server.draining import drain
from server.fanout import TandemSocketServer
from server.gateway import SocketGateway
from server.health import Health
from server.history import MemoryHistory
from server.history_redis import HISTORY, RedisHistory
from server.http import (
    ADMIN_GUARD,
    ADMIN_KEYS,
    AdminGuard,
    AdminKeys,
    errors_middleware,
    forwarded_middleware,
    protect_pages,
)
from server.ledger.postgres import PostgresLedger
from server.ledger.sqlite import SqliteLedger
from server.media.install import install as media
from server.metrics import Metrics
from server.moderation.install import install as moderation
from server.operations import install as operations
from server.postgres import PgDatabase
from server.programmes.install import install as programmes
from server.replay.install import install as replay
from server.replicas import ReplicaSweep
from server.retention import retention
from server.sessions.install import install as sessions
from server.settings import Settings
from server.store.memory import MemoryStore
from server.store.postgres import PostgresJournal
from server.store.redis import RedisStore
from server.store.redis_durability import persistence_warning
from server.store.sqlite import SqliteJournal
from server.webhooks.install import install as webhooks
from server.whiteboard.install import install as whiteboard

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
CONTEXT = web.AppKey("context", Context)
SIO = web.AppKey("sio", socketio.AsyncServer)
# Seconds a Redis command may take before it counts as failed.
REDIS_TIMEOUT = 3.0
FEATURES: tuple[Feature, ...] = (sessions, breakouts, whiteboard, attendance, media, captions,
                                 moderation, replay, programmes, admins, webhooks)


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
    # The owner key; the admins feature adds its accounts' keys.
    app[ADMIN_KEYS] = AdminKeys(settings.admin_key)
    node = new_node() if settings.redis_url else None
    sio = TandemSocketServer(
        node=node,
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
    database, ledger = _databases(settings, clock)
    database.metrics = metrics if metrics.enabled else None
    sio.on_backlog = database.hurry
    documents = documents_for(database)
    if isinstance(documents, SqliteDocuments):
        documents.open()
    store: MemoryStore | RedisStore
    cluster: Cluster | None = None
    if settings.redis_url is not None and node is not None:
        # Sessions live in Redis, shared with the other processes (server.cluster).
        store = RedisStore(_redis(settings.redis_url), node, prefix=settings.redis_prefix)
        cluster = Cluster(_redis(settings.redis_url), store, node=node,
                          prefix=settings.redis_prefix,
                          subscriber=_redis(settings.redis_url, subscriber=True))
    else:
        store = MemoryStore(_journal(database))
    history: MemoryHistory | RedisHistory = MemoryHistory(settings.history, clock)
    if cluster is not None:
        history = RedisHistory(cluster.store.redis, settings.history, clock,
                               prefix=settings.redis_prefix, channel=cluster.store.channel,
                               scripts=cluster.store.scripts)
    gateway = SocketGateway(sio=sio, store=store, settings=settings, clock=clock,
                            cluster=cluster, traffic=traffic)
    ctx = Context(settings=settings, clock=clock, store=store, ledger=ledger, gateway=gateway,
                  delivery=Delivery(), cluster=cluster, history=history, metrics=metrics,
                  documents=documents, audit=Audit(documents, clock), health=Health())
    # The audit log is bound by the retention rule like everything else kept.
    ctx.erasure.expired.append(ctx.audit.expire)
    app[SETTINGS], app[CONTEXT], app[SIO] = settings, ctx, sio
    ctx.health.add_check("database" if isinstance(database, PgDatabase) else "sqlite",
                         database.check)
    metrics.gauge("tandem_connections", "Open Socket.IO connections (joined, waiting to be let "
                  "in, or yet to join)", lambda: len(gateway.connections))
    metrics.gauge("tandem_connections_joined", "Open Socket.IO connections that have joined "
                  "their session", lambda: sum(1 for c in gateway.connections.values()
                                               if c.participant_id is not None))
    if cluster is not None:
        _join_cluster(ctx, cluster, sio)
        sweep = ReplicaSweep(ctx, cluster.store)

        async def start_sweep() -> None:
            ctx.gateway.spawn(sweep.run())

        ctx.on_start.append(start_sweep)
        ctx.health.add_check("redis", cluster.ping)
        cluster.on_round_trip = metrics.redis_round_trip.observe

    # Storage starts first and stops last; features' own work runs inside it; serving (the
    # start-up hooks) comes last, and at shutdown the connections close first.
    app.cleanup_ctx.append(lambda app: _storage(database, store, ledger, cluster, documents))
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
    # At a graceful stop, once no connection is accepted: the websockets close first.
    app.on_shutdown.append(lambda app: drain(sio))
    return app


def _databases(settings: Settings, clock: Callable[[], float]
               ) -> tuple[Database | PgDatabase, SqliteLedger | PostgresLedger]:
    """One database for the ledger and the session journal, so that a command's journal entry
    and its records commit together: SQLite in the data directory (the embedded default), or
    PostgreSQL when ``--database`` names one."""
    if settings.database_url is not None:
        # A server alone keeps its journal there too: its writer then holds a lock, so that a
        # second server on the same database refuses to start. Servers sharing sessions through
        # Redis share the ledger.
        pg = PgDatabase(settings.database_url, exclusive=settings.redis_url is None,
                        commit_interval=settings.commit_interval_ms / 1000)
        return pg, PostgresLedger(pg, clock=clock, recover=settings.redis_url is None)
    adopt_legacy_file(settings.data_dir)
    database = Database(settings.data_dir / DATABASE_FILE,
                        commit_interval=settings.commit_interval_ms / 1000)
    ledger = SqliteLedger(database, clock=clock, recover=settings.redis_url is None)
    ledger.open()
    return database, ledger


def _journal(database: Database | PgDatabase) -> SqliteJournal | PostgresJournal:
    if isinstance(database, PgDatabase):
        return PostgresJournal(database)
    return SqliteJournal(database)


def _redis(url: str, *, subscriber: bool = False) -> Redis:
    """A client of the shared Redis: commands time out after a few seconds (a command then
    fails with ``not_recorded`` rather than hang); the subscriber waits for messages for ever
    and checks its connection with a ping."""
    if subscriber:
        return Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT,
                              health_check_interval=REDIS_TIMEOUT)
    return Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT,
                          socket_timeout=REDIS_TIMEOUT)


def _join_cluster(ctx: Context, cluster: Cluster, sio: TandemSocketServer) -> None:
    """What crosses between processes: events of commands given elsewhere are delivered to
    this process's connections; emits of other processes reach this one's (the sessions
    feature closes the connections of a process that is gone)."""
    store = cluster.store

    async def deliver(events: Sequence[Event]) -> None:
        await ctx.delivery.deliver(events, None, origin=False)

    store.deliver_remote = deliver
    store.applied = ctx.delivery.applied  # what cannot wait for the delivery (a move)
    if isinstance(ctx.history, RedisHistory):
        ctx.history.encode, ctx.history.local_emit = sio.encoded, sio.emit_parts
        cluster.handlers[HISTORY] = ctx.history.received
        cluster.after_reconnect.append(ctx.history.resync)
        ctx.on_evict.append(ctx.history.forget_session)
    store.loaded = lambda session_id: [hook(session_id) for hook in ctx.on_load]
    cluster.local_emit = sio.emit_parts

    def skipped(session_id: str) -> None:
        """Changes of a session made elsewhere were never delivered here (``RedisStore.
        _replace``): its connections here are taken out of its rooms at once and closed; each
        page joins again (into what the session now says) and replays what it missed."""
        gateway = ctx.gateway
        closing = [sid for sid, conn in gateway.connections.items()
                   if conn.session_id == session_id]
        for sid in closing:
            gateway.leave_rooms(sid)
            gateway.spawn(gateway.sio.disconnect(sid))
        if closing:
            logger.warning("session %s: changes made elsewhere were not delivered here; its %d "
                           "connections here are closed to join again", session_id, len(closing))

    store.skipped = skipped


async def _storage(database: Database | PgDatabase, store: MemoryStore | RedisStore,
                   ledger: SqliteLedger | PostgresLedger, cluster: Cluster | None,
                   documents: SqliteDocuments | PostgresDocuments) -> AsyncIterator[None]:
    try:
        await ledger.start()
        if isinstance(documents, PostgresDocuments):
            await documents.open()
        if cluster is not None:
            await cluster.start()
            if (risk := await persistence_warning(cluster.redis)) is not None:
                logger.warning("%s", risk)
        sessions = await store.start()
        if sessions:
            logger.info("%d sessions back from the session journal", sessions)
        yield
    finally:
        if cluster is not None:
            await cluster.close()
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

