"""Several Tandem processes sharing sessions through Redis (``tandem serve --redis URL``).

Each process is a node with a random id; the ids of its socket connections start with it
(``<node>.<id>``), so any process knows where a connection lives. What crosses between nodes:

- **Commands**, on each session's channel (``server.store.redis``): every node holding the
  session applies them and delivers their events to its own connections.
- **Emits that are not deliveries** (a WebRTC signal to one connection, a whiteboard update or a
  caption to a room): to a room, on the session's channel, and every node sends it to its own
  members; to one connection, on its node's channel only. The packet is encoded once, where it
  was sent.
- **Requests to one node** (``request``): a feature asks a given node for something and awaits
  its answer, e.g. the node that holds a session's server media (``server.media.owner``). The
  request goes on the node's channel with a correlation id; the answer comes back on the asking
  node's channel, or the request fails: at once when no node listens on that channel (the node
  is gone), after ``timeout`` when it does not answer.
- **Liveness**: each node renews ``alive`` every ``HEARTBEAT`` seconds, and lists the sessions
  it holds people of (``nodesessions``; a session leaves the list once this node lets it go).
  When a node's key runs out, one other node takes its reap (a lock and a mark, taken only
  while the key is gone) and disconnects the people who were connected to it, in every session
  on its list, as if their connections had dropped; their pages rejoin through another node.
  A session where someone could not be disconnected stays listed for another try. A reap runs
  beside the heartbeat (it may take longer than a key lives), and only on a node in touch with
  Redis for two key lifetimes (after Redis was away, the others have renewed their keys then).
- **Taken for gone while alive** (a long pause, Redis cut off from this node alone): the beat
  that finds it reaped closes every connection here at once (their pages rejoin, into what the
  sessions now say); no new one is taken until its reap is over. Once its key may have run
  out, nothing from another node reaches its connections before a beat has answered.

A message that fails where it is handled is logged and dropped alone; the replica of its
session is then read again from Redis before it is next used.

When Redis is out of reach, commands fail with ``not_recorded``, reads are answered from the
replicas, ``/readyz`` says so, and the channels and heartbeat reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgpack
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from rooms.errors import TandemError
from rooms.events import Event
from server.cluster_scripts import BEAT, CLAIM, FINISH
from server.cluster_scripts import ReapIncomplete as ReapIncomplete  # (imported from here)
from server.store.redis import RedisStore, StoreUnavailable, text_of
from server.tasks import TaskSet

logger = logging.getLogger(__name__)

EMIT, REQUEST, REPLY = "e", "q", "r"
# Seconds between heartbeats; a node whose key is this many times older is gone.
HEARTBEAT = 1.0
ALIVE_FOR = 5.0
REAP_LOCK_MS = 60_000
# Seconds before a reap that could not disconnect everyone is tried again, and how many tries
# (by this process) before it is over all the same.
REAP_AGAIN = 5.0
REAP_TRIES = 12
RECONNECT_WAIT = 0.5

_pack = msgpack.Packer(use_bin_type=True).pack
# Sends an event encoded elsewhere to this process's connections: (event, parts, room, to, skip).
LocalEmit = Callable[[str, list[bytes], str | None, str | None, str | None], None]
NodeLost = Callable[[str, list[str]], Awaitable[None]]
# A feature's message on a session's channel: (session id, the message as published).
Handler = Callable[[str, list[Any]], Awaitable[None]]
# A feature's answer to a request from another node: the request's body in, a value msgpack can
# carry out (a ``TandemError`` raised is passed back and raised again where it was asked).
Responder = Callable[[list[Any]], Awaitable[Any]]


class NodeUnreachable(Exception):
    """A request found no node listening on the channel of the node it was for."""


class RemoteFailure(RuntimeError):
    """The node asked failed to answer a request (an error of its own, logged there)."""


def _boot_clock() -> float:
    """Seconds on a clock that counts a suspended machine's sleep (Linux's boot time clock; the
    monotonic one elsewhere): a key that ran out meanwhile is seen as such on waking."""
    return time.clock_gettime(_BOOT) if _BOOT is not None else time.monotonic()


_BOOT: int | None = getattr(time, "CLOCK_BOOTTIME", None)


def new_node() -> str:
    return secrets.token_hex(4)


def node_of(sid: str) -> str | None:
    """The node a connection lives on (None for ids made without one)."""
    node, dot, _ = sid.partition(".")
    return node if dot else None


def session_of_room(room: str) -> str:
    """The session of a socket.io room (``server.gateway``'s room keys start with it)."""
    return room.partition("/")[0].partition("#")[0]


class Cluster:
    def __init__(self, redis: Redis, store: RedisStore, *, node: str, prefix: str = "tandem:",
                 subscriber: Redis | None = None) -> None:
        # Commands go on ``redis`` (they time out); the channels are followed on ``subscriber``,
        # which waits for messages for ever (``redis`` when not given).
        self.redis = redis
        self.subscriber = redis if subscriber is None else subscriber
        self.store = store
        self.node = node
        self.prefix = prefix
        # Set by the app: sends an emit that came from another node to this node's connections;
        # and disconnects, in these sessions, whoever was connected to a node that is gone
        # (``ReapIncomplete`` for what is left); for this node itself, it first closes every
        # connection here, before it awaits anything (with no sessions, it only does that).
        self.local_emit: LocalEmit | None = None
        self.on_node_lost: NodeLost | None = None
        self.on_round_trip: Callable[[float], None] | None = None
        # Features' own messages on a session's channel, by kind (``publish``).
        self.handlers: dict[str, Handler] = {}
        # Features' answers to requests of other nodes, by kind (``request``).
        self.responders: dict[str, Responder] = {}
        self._replies: dict[str, asyncio.Future[Any]] = {}
        # Run once the channels are back after they dropped (each catches up on what was missed).
        self.after_reconnect: list[Callable[[], Awaitable[None]]] = []
        self._pubsub: PubSub | None = None
        self._channels: set[str] = set()
        # Sessions on this node's list; those to take off it, and those being taken off now (a
        # session noted again meanwhile is added back only after that).
        self._noted: set[str] = set()
        self._unlist: set[str] = set()
        self._unlisting: tuple[frozenset[str], asyncio.Event] | None = None
        # What the heartbeat starts beside itself, one of each at a time.
        self._unlister: asyncio.Task[None] | None = None
        self._reaper: asyncio.Task[None] | None = None
        self._reap_tries: dict[str, int] = {}  # nodes whose reap this process left unfinished
        self._tasks = TaskSet()
        self._beat_script = redis.register_script(BEAT)
        self._claim = redis.register_script(CLAIM)
        self._finish = redis.register_script(FINISH)
        # One beat at a time; until when the key lives for sure (by this node's clock, which
        # starts before Redis's); taken for gone and not back yet.
        self._beating = asyncio.Lock()
        self._renewed_until: float | None = None
        self._reaped = False
        self._in_touch_since: float | None = None
        self.last_contact: float | None = None
        store.subscribe = self.subscribe_session
        store.unsubscribe = self.unsubscribe_session

    # -- keys -------------------------------------------------------------------------------------

    def _node_channel(self, node: str) -> str:
        return f"{self.prefix}n:{node}"

    def _alive(self, node: str) -> str:
        return f"{self.prefix}alive:{node}"

    def _sessions_of(self, node: str) -> str:
        return f"{self.prefix}nodesessions:{node}"

    def _reap_keys(self, node: str) -> list[str]:
        """The node's reap lock (who reaps it now) and mark (reaped, the reap not over yet)."""
        return [f"{self.prefix}reap:{node}", f"{self.prefix}reaped:{node}"]

    @property
    def _nodes(self) -> str:
        return f"{self.prefix}nodes"

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        self._pubsub = self.subscriber.pubsub()
        self._channels.add(self._node_channel(self.node))
        await self._pubsub.subscribe(*self._channels)
        await self._beat()
        deliver = self.store.deliver_remote
        if deliver is not None:  # what other nodes did reaches this node's connections fenced
            async def fenced(events: Sequence[Event]) -> None:
                while True:  # until Redis answers: a delivery cannot be refused
                    with contextlib.suppress(RedisError, OSError):
                        await self._fence()
                        break
                    await asyncio.sleep(HEARTBEAT)
                await deliver(events)

            self.store.deliver_remote = fenced
        logger.info("this process (pid %d) is node %s of the cluster", os.getpid(), self.node)
        self._tasks.spawn(self._listen())
        self._tasks.spawn(self._heartbeat())

    async def close(self) -> None:
        await self._tasks.close()
        for waiting in self._replies.values():
            waiting.cancel()
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(RedisError, OSError):
            # a node that stops cleanly is gone at once (its people were told to reconnect)
            await self.redis.delete(self._alive(self.node))
        await self.redis.aclose()
        if self.subscriber is not self.redis:
            await self.subscriber.aclose()

    async def ping(self) -> None:
        """Raises unless Redis answers (the readiness check)."""
        started = time.perf_counter()
        await self.redis.ping()
        if self.on_round_trip is not None:
            self.on_round_trip(time.perf_counter() - started)

    # -- channels ---------------------------------------------------------------------------------

    async def subscribe_session(self, session_id: str) -> None:
        channel = self.store.channel(session_id)
        if channel in self._channels:
            return
        self._channels.add(channel)
        if self._pubsub is not None:
            await self._pubsub.subscribe(channel)

    async def unsubscribe_session(self, session_id: str) -> None:
        channel = self.store.channel(session_id)
        if channel not in self._channels:
            return
        self._channels.discard(channel)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(channel)

    async def _listen(self) -> None:
        while True:
            pubsub = self._pubsub
            assert pubsub is not None
            try:
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self._received(message["channel"].decode(), message["data"])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                logger.warning("the channels to other processes dropped (%s); reconnecting",
                               type(exc).__name__)
            await self._reconnect()

    async def _reconnect(self) -> None:
        """A new subscription to every channel, then every replica brought up to date (what
        was published meanwhile is in the session logs)."""
        while True:
            await asyncio.sleep(RECONNECT_WAIT)
            old, self._pubsub = self._pubsub, self.subscriber.pubsub()
            if old is not None:
                with contextlib.suppress(RedisError, OSError):
                    await old.aclose()  # type: ignore[no-untyped-call]
            try:
                await self._pubsub.subscribe(*self._channels)
                await self._fence()
                await self.store.resync()
                for catch_up in self.after_reconnect:
                    try:
                        await catch_up()
                    except (RedisError, OSError):
                        raise
                    except Exception:  # one part's trouble leaves the others and the channels
                        logger.exception("catching up after the channels were down failed "
                                         "in part")
            except (RedisError, OSError):
                continue
            logger.info("the channels to other processes are back")
            return

    def _session_of(self, channel: str) -> str | None:
        session_prefix = f"{self.prefix}c:"
        return channel[len(session_prefix):] if channel.startswith(session_prefix) else None

    async def _received(self, channel: str, data: bytes) -> None:
        try:
            unpacker = msgpack.Unpacker(raw=False)
            unpacker.feed(data)
            message = unpacker.unpack()
            read = unpacker.tell()
        except (ValueError, TypeError, msgpack.UnpackException):
            message = None
        if not (isinstance(message, list) and message and isinstance(message[0], str)):
            logger.error("an unreadable message between processes was dropped")
            return
        kind = message[0]
        if read < len(data):
            message.append(data[read:])  # bytes after the message: its last part, as is
        try:
            await self._handle(channel, kind, message)
        except Exception as exc:
            session_id = self._session_of(channel)
            if session_id is not None and kind != EMIT and kind not in self.handlers:
                self.store.distrust(session_id)
            if isinstance(exc, (RedisError, OSError)):
                raise  # the channels dropped, perhaps: every replica catches up after
            _log_failure(session_id, kind, message, exc)

    async def _handle(self, channel: str, kind: str, message: list[Any]) -> None:
        await self._fence()
        if kind == EMIT:
            if message[1] != self.node and self.local_emit is not None:
                _, _, event, room, to, skip, parts = message
                self.local_emit(event, parts, room, to, skip)
            return
        if kind in (REQUEST, REPLY) and channel == self._node_channel(self.node):
            if kind == REQUEST:
                self._requested(message)
            else:
                self._replied(message)
            return
        session_id = self._session_of(channel)
        if session_id is None:
            return
        handler = self.handlers.get(kind)
        if handler is None:
            await self.store.received(session_id, message)
        elif message[1] != self.node:
            await handler(session_id, message)

    # -- emits ------------------------------------------------------------------------------------

    def is_local(self, sid: str) -> bool:
        return node_of(sid) == self.node

    async def emit(self, event: str, parts: list[bytes], *, room: str | None = None,
                   to: str | None = None, skip_sid: str | None = None) -> None:
        """Pass an emit this node has sent to its own connections on to the other nodes."""
        if to is not None:
            node = node_of(to)
            if node is None or node == self.node:
                return
            channel = self._node_channel(node)
        elif room is not None:
            channel = self.store.channel(session_of_room(room))
        else:
            return
        try:
            await self.redis.publish(channel, _pack([EMIT, self.node, event, room, to, skip_sid,
                                                     parts]))
        except RedisError:
            logger.warning("an emit could not be passed to the other processes (Redis is out "
                           "of reach)")

    async def publish(self, session_id: str, message: list[Any]) -> None:
        """A feature's message to the other nodes holding a session: ``[kind, node, ...]``
        (``kind`` one of ``handlers``, ``node`` this node's id); raises ``RedisError``."""
        await self.redis.publish(self.store.channel(session_id), _pack(message))

    # -- requests to one node ---------------------------------------------------------------------

    async def request(self, node: str, kind: str, body: list[Any], timeout: float) -> Any:
        """Ask ``node``'s responder of ``kind`` and return its answer. Raises the
        ``TandemError`` it raised, ``NodeUnreachable`` when no node listens on that node's
        channel, ``TimeoutError`` after ``timeout`` seconds, ``RemoteFailure``, ``RedisError``."""
        correlation = secrets.token_hex(8)
        waiting = asyncio.get_running_loop().create_future()
        self._replies[correlation] = waiting
        try:
            heard = await self.redis.publish(
                self._node_channel(node), _pack([REQUEST, self.node, kind, correlation, body]))
            if not heard:
                raise NodeUnreachable(f"process {node} does not listen")
            async with asyncio.timeout(timeout):
                return await waiting
        finally:
            self._replies.pop(correlation, None)

    def _requested(self, message: list[Any]) -> None:
        _, sender, kind, correlation, body = message
        responder = self.responders.get(kind)
        if responder is None:
            logger.error("a request of an unknown kind from process %s was dropped", sender)
            return
        self._tasks.spawn(self._answer(responder, sender, correlation, body))

    async def _answer(self, responder: Responder, sender: str, correlation: str,
                      body: list[Any]) -> None:
        error: list[str] | None = None
        value: Any = None
        try:
            value = await responder(body)
        except TandemError as exc:
            error = [exc.code, exc.message]
        except Exception:
            logger.exception("answering a request of process %s failed", sender)
            error = ["", "the process asked failed"]
        try:
            await self.redis.publish(self._node_channel(sender),
                                     _pack([REPLY, self.node, correlation, error, value]))
        except RedisError:
            logger.warning("an answer to process %s was lost (Redis is out of reach)", sender)

    def _replied(self, message: list[Any]) -> None:
        _, _, correlation, error, value = message
        waiting = self._replies.get(correlation)
        if waiting is None or waiting.done():
            return  # timed out already
        if error is None:
            waiting.set_result(value)
        else:
            waiting.set_exception(refusal(*error))

    # -- liveness ---------------------------------------------------------------------------------

    async def note_session(self, session_id: str) -> None:
        """Someone of this session is connected here (whoever reaps this node looks there).
        Refused while this node's reap is under way: they would be reaped with it."""
        busy = StoreUnavailable("The server cannot take new people right now; try again in a "
                                "moment.")
        if self._reaped:
            raise busy
        if session_id in self._noted:
            return
        while self._unlisting is not None and session_id in self._unlisting[0]:
            await self._unlisting[1].wait()  # listed again after it was taken off, not before
        self._unlist.discard(session_id)
        try:
            await self.redis.sadd(self._sessions_of(self.node), session_id)
        except RedisError as exc:
            raise busy from exc
        if self._reaped:
            raise busy
        self._noted.add(session_id)

    async def _unlist_gone(self) -> None:
        """Take off this node's list the sessions it no longer holds: the replica sweep
        (``server.replicas``) lets a session go only once nobody of it is connected here, and a
        deleted session goes at once. The list is then as long as the sessions served here."""
        held = set(self.store.replicas())
        gone = {sid for sid in self._noted if sid not in held}
        self._noted -= gone
        self._unlist = (self._unlist | gone) - self._noted
        if not self._unlist:
            return
        batch, self._unlist = frozenset(self._unlist), set()
        done = asyncio.Event()
        self._unlisting = (batch, done)
        try:
            await self.redis.srem(self._sessions_of(self.node), *batch)
        except (RedisError, OSError):
            self._unlist |= batch  # again at the next beat, unless noted again meanwhile
            raise
        finally:
            self._unlisting = None
            done.set()

    async def _beat(self) -> None:
        started = _boot_clock()
        listed = self._sessions_of(self.node)
        mode = "join" if self._renewed_until is None or self._reaped else "beat"
        joined, has_list = await self._beat_script(
            keys=[self._alive(self.node), self._nodes, self._reap_keys(self.node)[1], listed],
            args=[self.node, int(ALIVE_FOR * 1000), mode])
        if self.on_round_trip is not None:
            self.on_round_trip(_boot_clock() - started)
        now = time.monotonic()
        self.last_contact = now
        if self._in_touch_since is None:
            self._in_touch_since = now
        if joined < 0:
            if not self._reaped:
                self._reaped = True
                logger.warning("process %s was taken for gone (its key ran out): its connections "
                               "are closed, none taken until its reap is over", self.node)
                if self.on_node_lost is not None:
                    await self.on_node_lost(self.node, [])
            return
        if self._reaped:
            self._reaped = False
            logger.info("process %s takes people again (its reap is over)", self.node)
        elif joined and mode == "beat":
            logger.warning("another process took this one (%s) for gone", self.node)
        self._renewed_until = started + ALIVE_FOR
        if self._noted and (joined or not has_list):
            # Back from its reap, or Redis lost the list: listed again, so that whoever
            # reaps this node once it is gone finds them.
            await self.redis.sadd(listed, *self._noted)

    async def _fence(self) -> None:
        """Before anything from another node reaches this node's connections: once its key may
        have run out by its own clock, a beat first (which closes them if the node was taken
        for gone). Raises ``RedisError`` when Redis does not answer."""
        if self._lapsed():
            async with self._beating:
                if self._lapsed():
                    await self._beat()

    def _lapsed(self) -> bool:
        until = self._renewed_until
        return not self._reaped and until is not None and _boot_clock() >= until - HEARTBEAT

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            try:
                async with self._beating:
                    await self._beat()
            except (RedisError, OSError):
                self._in_touch_since = None
                continue
            except Exception:
                logger.exception("a heartbeat of process %s failed", self.node)
                continue
            # Beside the heartbeat, never in its way: a reap may take longer than a key lives.
            if self._unlister is None or self._unlister.done():
                self._unlister = self._tasks.spawn(_beside(
                    self._unlist_gone, f"taking sessions off the list of process {self.node}"))
            if (time.monotonic() - (self._in_touch_since or 0) >= 2 * ALIVE_FOR
                    and (self._reaper is None or self._reaper.done())):
                self._reaper = self._tasks.spawn(_beside(self._reap, "reaping a node that is gone"))

    async def _reap(self) -> None:
        for raw in await self.redis.smembers(self._nodes):
            node = text_of(raw)
            if node == self.node and not self._reaped:
                continue  # (taken for gone, it finishes its own reap if nobody else does)
            if await self._claim(keys=[self._alive(node), self._nodes, *self._reap_keys(node)],
                                 args=[node, self.node, REAP_LOCK_MS]):
                await self._reap_one(node)

    async def _reap_one(self, node: str) -> None:
        sessions = [text_of(s) for s in await self.redis.smembers(self._sessions_of(node))]
        logger.warning("process %s is %s; its connections in %d sessions are closed", node,
                       "taken for gone" if node == self.node else "gone", len(sessions))
        left: list[str] = []
        if self.on_node_lost is not None:
            try:
                await self.on_node_lost(node, sessions)
            except ReapIncomplete as exc:
                left = exc.sessions
            except Exception:
                logger.exception("process %s: reaping it failed", node)
                left = sessions
        tries = self._reap_tries[node] = self._reap_tries.get(node, 0) + 1
        if left and tries < REAP_TRIES:
            logger.warning("process %s: its connections in %d sessions are not all closed; "
                           "tried again in %g s", node, len(left), REAP_AGAIN)
        elif left:  # given up on (alive, its node would refuse people for ever): those left
            # stay shown as connected until they join again or the session ends
            logger.error("process %s: its connections in %d sessions could not all be closed "
                         "in %d tries; its reap is over all the same", node, len(left), tries)
            left = []
        if not left:
            del self._reap_tries[node]
        await self._finish(keys=[self._sessions_of(node), self._nodes, *self._reap_keys(node)],
                           args=[node, self.node, int(REAP_AGAIN * 1000), 0 if left else 1,
                                 *(s for s in sessions if s not in left)])

    def nodes_alive(self) -> Awaitable[Any]:
        return self.redis.smembers(self._nodes)


async def _beside(job: Callable[[], Awaitable[None]], what: str) -> None:
    """One of the jobs the heartbeat runs beside itself: when Redis fails it, again after a
    later beat; any other failure is logged."""
    try:
        await job()
    except (RedisError, OSError):
        pass
    except Exception:
        logger.exception("%s failed", what)


def _log_failure(session_id: str | None, kind: str, message: list[Any],
                 exc: Exception) -> None:
    """Ids, the kind of message and of error and where it was raised: what a message carries
    and the error's text may hold what people said or drew."""
    sender = message[1][:16] if len(message) > 1 and isinstance(message[1], str) else None
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"
    logger.error("session %s: a message of kind %r from process %s failed here (%s at %s) and "
                 "was dropped", session_id or "-", kind[:16], sender, type(exc).__name__, where)


def refusal(code: str, message: str) -> Exception:
    """The error another node raised, raised again here: the ``TandemError`` of that code (the
    most general one when several share it), else a ``RemoteFailure``."""
    kinds: list[type[TandemError]] = [TandemError]
    while kinds:
        kind = kinds.pop(0)
        if kind.code == code:
            return kind(message)
        kinds.extend(kind.__subclasses__())
    return RemoteFailure(message)
