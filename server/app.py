"""The application factory: one aiohttp app with the REST routes, the web client and Socket.IO."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Callable

import socketio
from aiohttp import web

from rooms.errors import SessionNotFound
from rooms.session import MIN_PARTICIPANTS, Session
from server import attendance_routes, breakout_events, whiteboard_routes
from server.fanout import TandemSocketServer
from server.http_routes import Routes, errors_middleware
from server.ledger import Ledger, SessionQuery
from server.openapi import build_openapi
from server.settings import Settings
from server.socketio_events import SocketGateway
from server.store import MemoryStore, SessionStore

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", SessionStore)
GATEWAY = web.AppKey("gateway", SocketGateway)
SIO = web.AppKey("sio", socketio.AsyncServer)
# At most this many sessions are put back at start-up (the newest links expire after 90 days).
RESTORE_MAX = 100_000


def create_app(
    settings: Settings,
    *,
    store: SessionStore | None = None,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """Build Tandem's web application. ``clock`` is injectable so tests can move time."""
    app = web.Application(
        middlewares=[errors_middleware], client_max_size=settings.limits.max_request_bytes
    )
    sio = TandemSocketServer(
        send_buffer_bytes=settings.limits.send_buffer_bytes,
        async_mode="aiohttp",
        max_http_buffer_size=settings.limits.max_message_bytes,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
    )
    sio.attach(app)
    store = store or MemoryStore()
    gateway = SocketGateway(sio=sio, store=store, settings=settings, clock=clock)
    gateway.register()
    breakout_events.install(gateway)
    attendance_routes.install(app, settings, gateway, clock)
    whiteboard_routes.install(app, settings, gateway)
    app[SETTINGS] = settings
    app[STORE] = store
    app[GATEWAY] = gateway
    app[SIO] = sio
    Routes(settings, store, gateway, clock).add_to(app)
    openapi = build_openapi()

    async def openapi_json(request: web.Request) -> web.Response:
        return web.json_response(openapi)

    app.router.add_get("/api/openapi.json", openapi_json)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        # the ledger was opened by the attendance module's own start-up, which runs first
        restored = await restore_sessions(app[attendance_routes.LEDGER], store, settings, clock())
        if restored:
            logger.info("restored %d sessions from the ledger", restored)
        # Objects created at start-up live for the whole run; keeping them out of the
        # collector's generations avoids long full collections once many clients are connected.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*settings.gc_threshold)
        yield
        await gateway.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def restore_sessions(
    ledger: Ledger, store: SessionStore, settings: Settings, now: float
) -> int:
    """Put back the sessions the ledger knows whose links may still be valid, so that a restart
    does not break join links, and people coming back keep their identity (their resume
    credential names them). What lived only in memory is not restored: chat history, breakout
    rounds and groups, raised hands."""
    since = now - settings.max_link_ttl
    if settings.retention_days > 0:  # nothing the retention period has deleted comes back
        since = max(since, now - settings.retention_days * 86400)
    query = SessionQuery(since=since, limit=RESTORE_MAX)
    known = set(await store.session_ids())
    restored = 0
    for session_id in await ledger.session_ids(query):
        if session_id in known:
            continue
        try:
            info = await ledger.session(session_id)
        except SessionNotFound:  # deleted meanwhile (retention runs at start too)
            continue
        session = Session.create(
            session_id=info.session_id, title=info.title, goal=info.goal,
            max_participants=max(info.max_participants, MIN_PARTICIPANTS),
            now=info.created_at, plan=info.plan,
        )
        if info.ended_at is not None:
            session.end("ended before the server restarted", info.ended_at)
        await store.add(session)
        restored += 1
    return restored
