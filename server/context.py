"""What every feature is given when it installs itself: the core's parts, and the one way to run
a command of a session.

A feature is a subpackage of ``server`` with an ``install(app, ctx)`` function: it registers its
socket events on ``ctx.gateway``, the delivery of its domain events on ``ctx.delivery``, its
REST routes on ``app.router`` (documented on ``ctx.openapi``), work to do once the store is
loaded on ``ctx.on_start``, and how it deletes what it keeps of people on ``ctx.erasure``. A
part that depends on a service adds a readiness check of it on ``ctx.health``
(``add_check(name, check)``) and may add figures to ``ctx.metrics``. What an admin does through
a feature's REST is written to ``ctx.audit`` (``server/audit.py``) before it is acknowledged,
under the admin that ``server.http.require_admin`` named.
The deliverers of replayable events append each to ``ctx.history`` before sending it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from aiohttp import web

from rooms.commands import Command
from server.announcements import Announcements
from server.audit import Audit
from server.delivery import Delivery
from server.documents import Documents
from server.gateway import SocketGateway
from server.health import Health
from server.history import History
from server.ledger import Ledger
from server.metrics import Metrics
from server.openapi import OpenApi
from server.settings import Settings
from server.store import Applied, SessionStore

if TYPE_CHECKING:
    from server.cluster import Cluster

V = TypeVar("V")
StartHook = Callable[[], Awaitable[None]]
AudioSink = Callable[[tuple[str, str], bytes, float], None]
# What one feature deleted, counted by kind ({"boards": 2}).
Erased = dict[str, int]


class AudioTap(Protocol):
    def listen(self, key: tuple[str, str], on: bool) -> None: ...


def _serves_every_session(session_id: str) -> bool:
    return True


@dataclass(slots=True)
class Audio:
    """How one feature hears people's decoded audio from another without importing it: the
    media feature sets ``tap`` (which people to decode) and hands every decoded frame to
    ``sink``, which the captions feature sets. ``serves`` says whether a session's media (and so
    its audio) is on this process: always with one process; with several, only on the session's
    media owner."""

    tap: AudioTap | None = None
    sink: AudioSink | None = None
    serves: Callable[[str], bool] = _serves_every_session


@dataclass(slots=True)
class Erasure:
    """How features that keep data about people outside the ledger and the session journal
    take part in deletion requests and in the retention rule, without being imported: each adds
    its functions; the attendance feature calls ``erase_person`` and ``erase_participant`` on a
    deletion request, the retention rule calls ``expire`` on every pass."""

    person: list[Callable[[str], Awaitable[Erased]]] = field(default_factory=list)
    participant: list[Callable[[str, str], Awaitable[Erased]]] = field(default_factory=list)
    expired: list[Callable[[float], Awaitable[Erased]]] = field(default_factory=list)

    async def erase_person(self, person_id: str) -> Erased:
        """Delete what every feature keeps of a roster person, in every session."""
        return _merged([await erase(person_id) for erase in self.person])

    async def erase_participant(self, session_id: str, participant_id: str) -> Erased:
        """Delete what every feature keeps of one participant of one session."""
        return _merged([await erase(session_id, participant_id) for erase in self.participant])

    async def expire(self, before: float) -> Erased:
        """Delete what every feature keeps of sessions created before ``before``."""
        return _merged([await erase(before) for erase in self.expired])


def _merged(parts: list[Erased]) -> Erased:
    out: Erased = {}
    for part in parts:
        for kind, count in part.items():
            out[kind] = out.get(kind, 0) + count
    return out


@dataclass(slots=True)
class Context:
    settings: Settings
    clock: Callable[[], float]
    store: SessionStore
    ledger: Ledger
    gateway: SocketGateway
    delivery: Delivery
    # Each room's replayable events, for clients that reconnect (``server/history.py``).
    history: History
    metrics: Metrics
    # What the programme console keeps (``server/documents.py``), in the same database.
    documents: Documents
    # Who did what (``server/audit.py``): every feature records its admins' actions there.
    audit: Audit
    openapi: OpenApi = field(default_factory=OpenApi)
    health: Health = field(default_factory=Health)
    on_start: list[StartHook] = field(default_factory=list)
    audio: Audio = field(default_factory=Audio)
    erasure: Erasure = field(default_factory=Erasure)
    # What happened, for the outside world (webhooks): any feature announces, one listens.
    announcements: Announcements = field(default_factory=Announcements)
    # With several processes (``server.cluster``; None for one process alone), and what to do
    # when this process first loads a session another one made or served (resume its timers).
    cluster: Cluster | None = None
    on_load: list[Callable[[str], None]] = field(default_factory=list)
    # With several processes, a session nobody here has used for a while is dropped from this
    # process's memory (``server.replicas``) unless a feature still holds it (``holds``: media
    # served here, a timer running); ``on_evict`` then lets each feature drop what it kept of it.
    holds: list[Callable[[str], bool]] = field(default_factory=list)
    on_evict: list[Callable[[str], None]] = field(default_factory=list)

    async def execute(self, session_id: str, command: Command[V],
                      actor_sid: str | None = None) -> V:
        """Apply ``command`` to the session, deliver what it caused (to the room first, then to
        the recorders), and return its value once the change and its records are durable.
        Raises the command's ``TandemError`` when it is refused, and ``NotRecorded`` when it took
        effect but could not be kept."""
        applied = await self.store.update(session_id, command)
        await self.settle(applied, actor_sid)
        return applied.value

    async def scrub(self) -> None:
        """After a deletion: the files of the database and of Redis rewritten without what was
        deleted (their write-ahead log and append-only file keep every write until then). Each
        as well as it can: one that cannot now says so in the log, and does it later itself."""
        await self.ledger.scrub()
        await self.store.scrub()

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
