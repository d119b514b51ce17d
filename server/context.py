"""What every feature is given when it installs itself: the core's parts, and the one way to run
a command of a session.

A feature is a subpackage of ``server`` with an ``install(app, ctx)`` function: it registers its
socket events on ``ctx.gateway``, the delivery of its domain events on ``ctx.delivery``, its
REST routes on ``app.router`` (documented on ``ctx.openapi``), and work to do once the store is
loaded on ``ctx.on_start``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from aiohttp import web

from rooms.commands import Command
from server.delivery import Delivery
from server.gateway import SocketGateway
from server.ledger import Ledger
from server.openapi import OpenApi
from server.settings import Settings
from server.store import Applied, SessionStore

V = TypeVar("V")
StartHook = Callable[[], Awaitable[None]]
AudioSink = Callable[[tuple[str, str], bytes, float], None]


class AudioTap(Protocol):
    def listen(self, key: tuple[str, str], on: bool) -> None: ...


@dataclass(slots=True)
class Audio:
    """How one feature hears people's decoded audio from another without importing it: the
    media feature sets ``tap`` (which people to decode) and hands every decoded frame to
    ``sink``, which the captions feature sets."""

    tap: AudioTap | None = None
    sink: AudioSink | None = None


@dataclass(slots=True)
class Context:
    settings: Settings
    clock: Callable[[], float]
    store: SessionStore
    ledger: Ledger
    gateway: SocketGateway
    delivery: Delivery
    openapi: OpenApi = field(default_factory=OpenApi)
    on_start: list[StartHook] = field(default_factory=list)
    audio: Audio = field(default_factory=Audio)

    async def execute(self, session_id: str, command: Command[V],
                      actor_sid: str | None = None) -> V:
        """Apply ``command`` to the session, deliver what it caused (to the room first, then to
        the recorders), and return its value once the change and its records are durable.
        Raises the command's ``TandemError`` when it is refused, and ``NotRecorded`` when it took
        effect but could not be kept."""
        applied = await self.store.update(session_id, command)
        await self.settle(applied, actor_sid)
        return applied.value

    async def settle(self, applied: Applied[object], actor_sid: str | None = None) -> None:
        """Deliver what an applied command caused and wait until it is durable (for a handler
        that must act between applying a command and delivering its events)."""
        try:
            await self.delivery.deliver(applied.events, actor_sid)
        finally:
            await applied.durable


class Feature(Protocol):
    """What each feature package exposes."""

    def __call__(self, app: web.Application, ctx: Context) -> None: ...
