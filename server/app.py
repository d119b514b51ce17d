"""The application factory: one aiohttp app with the REST routes, the web client and Socket.IO."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Callable

import socketio
from aiohttp import web

from server import attendance_routes, breakout_events, whiteboard_routes
from server.http_routes import Routes, errors_middleware
from server.openapi import build_openapi
from server.settings import Settings
from server.socketio_events import SocketGateway
from server.store import MemoryStore, SessionStore

logger = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", SessionStore)
GATEWAY = web.AppKey("gateway", SocketGateway)
SIO = web.AppKey("sio", socketio.AsyncServer)


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
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        serializer="msgpack",
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
    app.cleanup_ctx.append(_lifecycle)
    return app


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    # Objects created at start-up live for the whole run; keeping them out of the collector's
    # generations avoids long full collections once many clients are connected.
    gc.collect()
    gc.freeze()
    yield
    await app[GATEWAY].close()
