"""The socket gateway: connections and their join tokens, event registration with rate limits
and parsing, acknowledgements, and typed emits. It knows no handlers: features register theirs.

Every inbound event is answered: with the handler's acknowledgement, or with
``{"ok": false, "error": {"code", "message"}}`` when it is refused. Before a handler runs, the
gateway spends a token of that event's bucket for the connection (``rate_limited``), checks that the
connection has joined when the event needs it (``not_joined``), and parses the payload with the
event's model (``invalid_payload``, ``payload_too_large``): a handler only ever sees a valid
payload from a connection that may send it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import socketio
from pydantic import BaseModel

from rooms.errors import (
    InvalidPayload,
    NotJoined,
    RateLimited,
    SessionEnded,
    TandemError,
    TooManyConnections,
    UnknownEvent,
)
from rooms.lifecycles import SessionState
from rooms.moderation import check_link
from rooms.ratelimit import TokenBucket
from rooms.session import Session
from server.delivery import delivering_here
from server.metrics import UNKNOWN_EVENT, Traffic
from server.protocol import ErrorAck, Inbound, Message, error_ack, parse
from server.settings import Settings
from server.store import SessionStore
from server.tasks import TaskSet
from server.tokens import JoinClaims, verify_join_token

if TYPE_CHECKING:
    from server.cluster import Cluster
    from server.fanout import TandemSocketServer

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
A = TypeVar("A")
DisconnectHook = Callable[["Connection", object], Awaitable[None]]

INTERNAL_ERROR: ErrorAck = {"ok": False, "error": {
    "code": "internal_error", "message": "Something went wrong on the server. Please try again."}}


# A connection's refusals of one kind are logged at most once in this many seconds.
REFUSAL_LOG_PERIOD = 60.0


@dataclass(slots=True)
class RefusalLog:
    """When to log one connection's refusals: one line per kind (event and code) a period, the
    refusals held back meanwhile counted in the next line, so that a flood cannot fill the log."""

    period: float = REFUSAL_LOG_PERIOD
    # kind -> [when its last line was written, refusals held back since]
    kinds: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def admit(self, kind: tuple[str, str], now: float) -> int | None:
        """``None``: hold this one back. Else log it, with the count of those held back."""
        seen = self.kinds.get(kind)
        if seen is None:
            self.kinds[kind] = [now, 0]
            return 0
        if now - seen[0] < self.period:
            seen[1] += 1
            return None
        held = int(seen[1])
        seen[0], seen[1] = now, 0
        return held

    def held(self) -> int:
        return int(sum(seen[1] for seen in self.kinds.values()))


def _more(held: int) -> str:
    return f" (and {held} more like it not logged since the last line)" if held else ""


@dataclass(slots=True)
class Connection:
    """One socket: what its join token allows, and who it became after ``join``."""

    sid: str
    claims: JoinClaims
    participant_id: str | None = None
    # Set while the person waits for a mentor to let them in (``rooms.moderation``).
    waiting_id: str | None = None
    address: str = ""
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    # Closes the connection unless it has joined by then (``Limits.join_within``).
    join_deadline: asyncio.TimerHandle | None = None
    refusals: RefusalLog = field(default_factory=RefusalLog)

    @property
    def session_id(self) -> str:
        return self.claims.session_id

    @property
    def link(self) -> tuple[str, str, str | None]:
        """Which join link this connection came with (a personal link names its person)."""
        return self.claims.session_id, self.claims.role.value, self.claims.name

    def joined_id(self) -> str:
        """The participant this connection joined as; ``NotJoined`` before ``join``."""
        if self.participant_id is None:
            raise NotJoined("Join the session first.")
        return self.participant_id

    def allow(self, event: str, rate: float, burst: float, now: float) -> bool:
        """Spend one of this connection's tokens for ``event`` (each event has its own bucket)."""
        bucket = self.buckets.get(event)
        if bucket is None:
            bucket = self.buckets[event] = TokenBucket(rate, burst)
        return bucket.take(now)


def room_key(session_id: str, room: str) -> str:
    """The socket.io room of one room of a session (chat and room events go there)."""
    return f"{session_id}/{room}"


def session_key(session_id: str) -> str:
    """The socket.io room of everyone joined to a session (presence and breakouts go there)."""
    return session_id


def managers_key(session_id: str) -> str:
    """The socket.io room of a session's mentors and admins (the overview's feeds)."""
    return f"{session_id}#managers"


@dataclass(slots=True)
class SocketGateway:
    sio: TandemSocketServer
    store: SessionStore
    settings: Settings
    clock: Callable[[], float]
    connections: dict[str, Connection] = field(default_factory=dict)
    tasks: TaskSet = field(default_factory=TaskSet)
    # Each event with a handler, and the model its payload is parsed with.
    registered: dict[str, type[BaseModel]] = field(default_factory=dict)
    disconnect_hooks: list[DisconnectHook] = field(default_factory=list)
    # Open connections per client address and per join link (``Limits.connections_per_*``).
    per_address: dict[str, int] = field(default_factory=dict)
    per_link: dict[tuple[str, str, str | None], int] = field(default_factory=dict)
    # New connections per client address (``Limits.connect_rate``), on the monotonic clock; the
    # addresses with no connection open are forgotten once there are many.
    connects: dict[str, TokenBucket] = field(default_factory=dict)
    # With several processes: where emits to other processes' connections go.
    cluster: Cluster | None = None
    # Events read and acknowledged, counted with the time between (None: not counted).
    traffic: Traffic | None = None

    def __post_init__(self) -> None:
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("*", self._on_unknown if self.traffic is None
                    else _timed(UNKNOWN_EVENT, self._on_unknown, self.traffic))

    # -- registration -----------------------------------------------------------------------------

    def on(
        self,
        spec: Inbound[M, A],
        handler: Callable[[Connection, M], Awaitable[A]],
        rate: float,
        burst: float,
        *,
        needs_join: bool = True,
    ) -> None:
        """Handle the event ``spec`` with ``handler``, at most ``rate`` per second (bursts of
        ``burst``) per connection."""
        if spec.name in self.registered:
            raise ValueError(f"event {spec.name!r} already has a handler")
        name, model = spec.name, spec.model
        self.registered[name] = model

        async def run(sid: str, *args: Any) -> A | ErrorAck:
            conn = self.connections.get(sid)
            if conn is None:
                return error_ack(NotJoined("This connection is closing."))
            try:
                if len(args) > 1:
                    raise InvalidPayload("An event carries one map of named fields, "
                                         f"not {len(args)} arguments.")
                data = args[0] if args else None
                if not conn.allow(name, rate, burst, self.clock()):
                    raise RateLimited(f"Too many {name!r} events; slow down and try again.")
                if needs_join and conn.participant_id is None:
                    raise NotJoined("Join the session first.")
                return await handler(conn, parse(model, data))
            except TandemError as exc:
                held = conn.refusals.admit((name, exc.code), self.clock())
                if held is not None:
                    logger.debug("event %s refused for %s in session %s: %s%s", name,
                                 conn.participant_id or sid, conn.session_id, exc.code,
                                 _more(held))
                return error_ack(exc)
            except Exception:
                held = conn.refusals.admit((name, "internal_error"), self.clock())
                if held is not None:
                    logger.exception("event %s failed for %s in session %s%s", name,
                                     conn.participant_id or sid, conn.session_id, _more(held))
                return INTERNAL_ERROR

        self.sio.on(name, run if self.traffic is None else _timed(name, run, self.traffic))

    def on_disconnect(self, hook: DisconnectHook) -> None:
        """Run ``hook(connection, reason)`` when a connection closes (after it is forgotten)."""
        self.disconnect_hooks.append(hook)

    # -- sending ----------------------------------------------------------------------------------

    async def emit(self, message: Message, *, room: str | None = None, to: str | None = None,
                   skip_sid: str | None = None) -> None:
        """Send ``message`` (an ``Outbound`` spec called with its payload) to a socket.io room
        or to one connection."""
        cluster = self.cluster
        if cluster is None or delivering_here.get() or (to is not None and cluster.is_local(to)):
            # a delivery runs on every process, each sending to its own connections
            self.sio.emit_now(message.event, message.payload, room, to, skip_sid)
            return
        # Encoded once: sent to this process's connections, and passed on to the others.
        parts = self.sio.encoded(message.event, message.payload)
        self.sio.emit_parts(message.event, parts, room, to, skip_sid)
        await cluster.emit(message.event, parts, room=room, to=to, skip_sid=skip_sid)

    async def enter_room(self, sid: str, room: str) -> None:
        await self.sio.enter_room(sid, room)

    def leave_room(self, sid: str, room: str) -> None:
        """Nothing sent to ``room`` from now on reaches ``sid`` (at once: nothing awaited)."""
        self.sio.manager.basic_leave_room(sid, "/", room)

    def leave_rooms(self, sid: str) -> None:
        """Take a connection out of every room but its own: nothing sent to its session or room
        reaches it any more, while what is sent to it alone still does."""
        self.sio.manager.leave_rooms(sid, "/", own=False)

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        """Run ``coro`` as a task the gateway owns (cancelled and awaited at shutdown)."""
        return self.tasks.spawn(coro)

    def close_later(self, sid: str, delay: float) -> None:
        """Close a connection after ``delay`` seconds unless it has closed by then."""
        self.spawn(self._close_later(sid, delay))

    async def _close_later(self, sid: str, delay: float) -> None:
        await asyncio.sleep(delay)
        if sid in self.connections:
            await self.sio.disconnect(sid)

    async def close(self) -> None:
        await self.tasks.close()

    # -- connection lifecycle ---------------------------------------------------------------------

    async def _on_unknown(self, event: str, sid: str, *args: Any) -> ErrorAck:
        """Events with no handler still get an answer (limited like the others), so no client
        waits for one in vain."""
        lim = self.settings.limits
        conn = self.connections.get(sid)
        if conn is not None and not conn.allow("*", lim.other_rate, lim.other_burst, self.clock()):
            return error_ack(RateLimited("Too many events; slow down and try again."))
        name = event if len(event) <= 40 else event[:40] + "…"
        return error_ack(UnknownEvent(f"There is no event called {name!r}; see docs/PROTOCOL.md."))

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        lim = self.settings.limits
        address = _address(environ)
        try:
            if lim.connect_rate > 0 and not self._may_connect(address, lim.connect_rate,
                                                              lim.connect_burst):
                raise RateLimited("Too many new connections from your network; wait a few "
                                  "seconds and try again.")
            if self.per_address.get(address, 0) >= lim.connections_per_address:
                raise TooManyConnections("Too many connections from your network at once; "
                                         "close some and try again.")
            claims = verify_join_token(self.settings.secret, token, self.clock())
            conn = Connection(sid=sid, claims=claims, address=address)
            personal = claims.name is not None
            limit = lim.connections_per_person if personal else lim.connections_per_link
            if self.per_link.get(conn.link, 0) >= limit:
                raise TooManyConnections(
                    "This session is already open in other tabs or devices with your link; "
                    "close one and try again." if personal else
                    "Too many people are using this link at once; try again in a moment.")
            await self.store.read(claims.session_id, lambda s: _require_open(s, claims))
            if self.cluster is not None:
                await self.cluster.note_session(claims.session_id)
        except TandemError as exc:
            logger.debug("connection %s refused: %s", sid, exc.code)
            raise socketio.exceptions.ConnectionRefusedError(exc.message, exc.to_wire()) from None
        self.connections[sid] = conn
        self.per_address[address] = self.per_address.get(address, 0) + 1
        self.per_link[conn.link] = self.per_link.get(conn.link, 0) + 1
        conn.join_deadline = asyncio.get_running_loop().call_later(
            lim.join_within, self._close_unless_joined, sid)

    def _may_connect(self, address: str, rate: float, burst: float) -> bool:
        bucket = self.connects.get(address)
        if bucket is None:
            if len(self.connects) >= CONNECT_BUCKETS_MAX:
                for idle in [a for a in self.connects if a not in self.per_address]:
                    del self.connects[idle]
            bucket = self.connects[address] = TokenBucket(rate, burst)
        return bucket.take(time.monotonic())

    def _close_unless_joined(self, sid: str) -> None:
        """A connection that has not joined (or started waiting to be let in) in time is closed:
        holding a link is not a licence to keep sockets open."""
        conn = self.connections.get(sid)
        if conn is not None and conn.participant_id is None and conn.waiting_id is None:
            logger.debug("connection %s closed: it did not join in time", sid)
            self.spawn(self.sio.disconnect(sid))

    async def _on_disconnect(self, sid: str, reason: object = None) -> None:
        conn = self.connections.pop(sid, None)
        if conn is None:
            return
        _forget(self.per_address, conn.address)
        _forget(self.per_link, conn.link)
        if conn.join_deadline is not None:
            conn.join_deadline.cancel()
        if held := conn.refusals.held():
            logger.debug("connection %s in session %s closed; %d refused events of it were not "
                         "logged", conn.participant_id or sid, conn.session_id, held)
        for hook in self.disconnect_hooks:
            try:
                await hook(conn, reason)
            except Exception:
                logger.exception("disconnect of %s in session %s: a hook failed", sid,
                                 conn.session_id)


K = TypeVar("K")
R = TypeVar("R")


def _timed(event: str, handler: Callable[..., Awaitable[R]],
           traffic: Traffic) -> Callable[..., Awaitable[R]]:
    """``handler`` counted in ``traffic`` under ``event``, with the time from the event being
    read to its acknowledgement (which python-socketio sends as soon as the handler returns)."""

    async def timed(*args: Any) -> R:
        started = time.perf_counter()
        try:
            return await handler(*args)
        finally:
            traffic.answered(event, time.perf_counter() - started)

    return timed


# Past this many addresses remembered, those with no connection open are forgotten.
CONNECT_BUCKETS_MAX = 10_000


def _forget(counts: dict[K, int], key: K) -> None:
    left = counts.get(key, 0) - 1
    if left > 0:
        counts[key] = left
    else:
        counts.pop(key, None)


def _address(environ: dict[str, Any]) -> str:
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote or environ.get("REMOTE_ADDR") or "")


def _require_open(session: Session, claims: JoinClaims) -> None:
    if session.state is SessionState.ENDED:
        raise SessionEnded("This session has ended.")
    check_link(session, claims.role, claims.link, claims.generation)
