"""Sessions in Redis, shared by every Tandem process: the store of ``tandem serve --redis``.
docs/ARCHITECTURE.md ("Several processes") says how and why; in short:

- Redis holds each session's snapshot and the numbered log of commands since, and an index of
  every session; each process serving someone of a session holds a replica and reads from it.
- One writer at a time: a process takes the session's lease (``RESERVE``, which returns the
  entries its replica lacks), applies the command, then appends the entry (or a snapshot that
  replaces the log: an erasure, an ended session) and publishes it (``APPEND``), keeping the
  lease a while (``KEEP_MS``) unless another process asked for it. The others apply what is
  published and deliver its events to their own connections; the ledger's recorder runs only
  where the command was given. A command that changes nothing is published without an entry.
- Acknowledged means appended: a process killed at any point loses nothing acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, TypeVar

import msgpack
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rooms.commands import Command
from rooms.errors import SessionNotFound, TandemError
from rooms.events import Event
from rooms.lifecycles import SessionState
from rooms.session import Session
from server.redis_calls import ScriptCalls
from server.store import Applied, done
from server.store.codec import decode_command, decode_session, encode_command, encode_session
from server.store.memory import SNAPSHOT_FACTOR, SNAPSHOT_MIN_BYTES
from server.store.redis_index import DELETED, SessionIndex
from server.store.redis_index import StoreUnavailable as StoreUnavailable  # (imported from here)
from server.store.redis_scripts import ADD, APPEND, LATEST, LOAD, RELEASE, RESERVE
from server.store.replica import Replica
from server.store.replica import text_of as text_of  # (imported from here elsewhere)
from server.tasks import TaskSet

logger = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")
Deliver = Callable[[Sequence[Event]], Awaitable[None]]

# How long a process holds a session's lease at most; how long a command waits for it.
LEASE_MS = 2000
LEASE_WAIT = 5.0
# A process that just changed a session keeps its lease this long after each change (renewed by
# the next), unless another process asked for it: the next change here then needs no round trip
# to take it. Given back when another process asks for it on the session's channel, or
# ``KEEP_IDLE`` seconds after the last change here; never used with less than ``KEEP_MARGIN``
# seconds of it left by this process's clock (Redis's runs out later).
KEEP_MS = 1000
KEEP_IDLE = 0.5
KEEP_MARGIN = 0.25
# After another process changed the session or asked for the lease, it is given back after
# each change for this long.
SHARED_FOR = 2.0

_pack = msgpack.Packer(use_bin_type=True).pack
# the kinds of message on a session channel this store sends ("h" and "w" are the history's
# and the whiteboard's)
COMMAND, TRANSIENT, WANTED = "c", "t", "l"  # (and ``redis_index.DELETED``)


class RedisStore:
    def __init__(self, redis: Redis, node: str, *, prefix: str = "tandem:",
                 lease_ms: int = LEASE_MS, snapshot_min_bytes: int = SNAPSHOT_MIN_BYTES) -> None:
        self.redis = redis
        self.node = node
        self.prefix = prefix
        self.lease_ms = lease_ms
        self.snapshot_min_bytes = snapshot_min_bytes
        # Set by the app: delivers events of commands given in another process to this one's
        # connections; and subscribes to / leaves a session's channel.
        self.deliver_remote: Deliver | None = None
        self.subscribe: Callable[[str], Awaitable[None]] | None = None
        self.unsubscribe: Callable[[str], Awaitable[None]] | None = None
        self.loaded: Callable[[str], object] | None = None  # told of each session loaded here
        # Told of a session whose replica here was read again past changes made elsewhere
        # whose events were never delivered here (``_replace``).
        self.skipped: Callable[[str], object] | None = None
        # Told at once of the events of each command applied here and kept, before they wait
        # for their delivery (``Delivery.applied``).
        self.applied: Callable[[Sequence[Event]], None] | None = None
        self._replicas: dict[str, Replica] = {}
        self._tasks = TaskSet()  # kept leases being given back
        self._loading: dict[str, asyncio.Future[Replica]] = {}
        # What the session's channel said while it was being loaded here (its replica did not
        # exist yet): applied once it does, those after the entry it was loaded at.
        self._early: dict[str, list[list[Any]]] = {}
        # Appends go together when they come together (server.redis_calls). The lease's own
        # scripts go on a connection of their own, never behind an append: another process may
        # be waiting for the lease (they go together only with each other).
        self.scripts = ScriptCalls(redis)
        self._append = self.scripts.script(APPEND)
        self.lease_scripts = ScriptCalls(redis)
        self._reserve = self.lease_scripts.script(RESERVE)
        self._release = self.lease_scripts.script(RELEASE)
        self._load_script = redis.register_script(LOAD)
        self._latest = redis.register_script(LATEST)
        self._add = redis.register_script(ADD)
        self.index = SessionIndex(redis, prefix, node, lambda sid: [*self._keys(sid),
                                  self.channel(sid)], self._fetch, self.forget)

    # -- keys -------------------------------------------------------------------------------------

    def _keys(self, sid: str) -> tuple[str, str, str]:
        base = f"{self.prefix}s:{sid}"
        return base, base + ":log", base + ":lease"

    def _wanted(self, sid: str) -> str:
        """Set by a process that found the lease taken: its holder gives it back at once."""
        return f"{self.prefix}s:{sid}:lease:wanted"

    def channel(self, sid: str) -> str:
        return f"{self.prefix}c:{sid}"

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> int:
        return 0  # sessions are loaded when first used

    async def close(self) -> None:
        for sid, rep in self._replicas.items():
            if rep.delivering is not None:
                rep.delivering.cancel()
            await self._drop_kept(sid, rep)
        # Give-backs still waiting for a change of their session: the leases are given back
        # above (or run out by themselves within KEEP_MS), so nothing is left for them to do.
        await self._tasks.close()
        await self.scripts.close()
        await self.lease_scripts.close()

    # -- the store --------------------------------------------------------------------------------

    async def add(self, session: Session) -> None:
        data = encode_session(session)
        try:
            if self.subscribe is not None:
                await self.subscribe(session.id)
            added = await self._add(keys=[self._keys(session.id)[0], self.index.key],
                                    args=[data, repr(session.created_at), session.id])
        except RedisError as exc:
            await self._unfollow(session.id)
            raise StoreUnavailable("The session could not be kept; try again.") from exc
        if not added:
            await self._unfollow(session.id)
            raise ValueError(f"session {session.id} already exists")
        self._replicas[session.id] = Replica(session, 0, len(data))

    async def _unfollow(self, session_id: str) -> None:
        """Leave the channel of a session this process did not add or load after all (unless
        it holds or is loading a replica of it)."""
        if (self.unsubscribe is not None and session_id not in self._replicas
                and session_id not in self._loading):
            with contextlib.suppress(RedisError, OSError):
                await self.unsubscribe(session_id)

    async def read(self, session_id: str, query: Callable[[Session], T]) -> T:
        rep = await self._replica(session_id)
        if rep.stale:
            await self._refresh(session_id, rep)
        rep.used = time.monotonic()
        return query(rep.session)

    async def read_latest(self, session_id: str, query: Callable[[Session], T]) -> T:
        """As ``read``, once the replica holds every entry Redis holds (one round trip, which
        brings the entries it lacks, delivered here as if from the channel)."""
        rep = await self._replica(session_id)
        async with rep.lock:
            if rep.stale:
                await self._reload(session_id, rep)
            base, log, _ = self._keys(session_id)
            try:
                answer = await self._latest(keys=[base, log], args=[rep.seq])
            except RedisError as exc:
                raise StoreUnavailable("The session store is out of reach; try again in a "
                                       "moment.") from exc
            if answer[0] == -1:
                await self.forget(session_id)
                raise SessionNotFound("There is no session with this id.")
            self._bring_up(rep, answer)
        rep.used = time.monotonic()
        return query(rep.session)

    async def update(self, session_id: str, command: Command[V]) -> Applied[V]:
        rep = await self._replica(session_id)
        rep.used = time.monotonic()
        if not command.changes_session:
            outcome = command.apply(rep.session)
            await self._publish(session_id, [TRANSIENT, self.node, rep.seq,
                                             encode_command(command)])
            return Applied(outcome.value, outcome.events, done())
        async with rep.lock:
            kept = rep.held_until - KEEP_MARGIN > asyncio.get_running_loop().time()
            if not kept or rep.stale:
                kept, rep.held_until = False, 0.0
                await self._take_lease(session_id, rep)
            ended_before = rep.session.state is SessionState.ENDED
            try:
                outcome = command.apply(rep.session)
            except TandemError:
                if not kept:  # a lease kept from an earlier change stays until it is let go
                    await self._give_back(session_id)
                raise
            except BaseException:
                rep.stale = True  # half applied, perhaps: read it again
                rep.held_until = 0.0
                await self._give_back(session_id)
                raise
            await self._keep(session_id, rep, command, ended_before)
            if self.applied is not None and outcome.events:
                self.applied(outcome.events)
        # What other processes did before it is delivered here first (outside the lock: a
        # deliverer may give a command of its own).
        await self._drained(rep)
        return Applied(outcome.value, outcome.events, done())

    async def session_ids(self) -> list[str]:
        return await self.index.session_ids()

    async def expire(self, when: float) -> list[str]:
        return await self.index.expire(when)

    async def sessions_where(self, test: Callable[[Session], bool],
                             holding: str | Collection[str] | None = None) -> list[str]:
        return await self.index.sessions_where(test, holding)

    async def delete(self, session_ids: list[str]) -> None:
        for sid in session_ids:
            await self.index.delete(sid)

    async def scrub(self) -> bool:
        return await self.index.scrub()

    async def forget(self, session_id: str) -> None:
        """Drop this process's replica (the session was deleted, here or elsewhere)."""
        rep = self._replicas.pop(session_id, None)
        if rep is not None:
            if rep.delivering is not None:
                rep.delivering.cancel()
            await self._drop_kept(session_id, rep)
        if self.unsubscribe is not None:
            await self.unsubscribe(session_id)

    def distrust(self, session_id: str) -> None:
        """Something of this session failed here half way (an entry from another process):
        its replica is read again from Redis before it is next read or changed."""
        if (rep := self._replicas.get(session_id)) is not None:
            rep.stale = True

    def replicas(self) -> list[str]:
        return list(self._replicas)

    async def evict_idle(self, idle_for: float, held: Callable[[str], bool]) -> list[str]:
        """Drop the replicas nobody here has read or changed for ``idle_for`` seconds and that
        ``held`` does not keep (people connected here, media served here, a timer): this
        process then holds only the sessions it serves. The next use loads the session from
        Redis again. Returns the sessions dropped."""
        now = time.monotonic()
        dropped = []
        for sid, rep in list(self._replicas.items()):
            if now - rep.used < idle_for or rep.busy() or held(sid):
                continue
            await self.forget(sid)
            dropped.append(sid)
        return dropped

    # -- writing ----------------------------------------------------------------------------------

    async def _take_lease(self, sid: str, rep: Replica) -> None:
        """Hold the session's lease with the replica up to date, or raise."""
        keys = list(self._keys(sid))
        loop = asyncio.get_running_loop()
        give_up = loop.time() + LEASE_WAIT
        pause = 0.001  # doubled after each refusal, up to 20 ms
        while True:
            if rep.stale:
                await self._reload(sid, rep)
            try:
                answer = await self._reserve(keys=[*keys, self._wanted(sid), self.channel(sid)],
                                             args=[self.node, self.lease_ms, rep.seq,
                                                   _pack([WANTED, self.node])])
            except RedisError as exc:
                raise StoreUnavailable("This could not be kept: the session store is out of "
                                       "reach. Try again in a moment.") from exc
            status = answer[0]
            if status == -1:
                await self.forget(sid)
                raise SessionNotFound("There is no session with this id.")
            if status == 0:
                # Another process holds it: while both change the session, each gives the
                # lease back after every change rather than keep it.
                rep.shared_until = loop.time() + SHARED_FOR
                if loop.time() > give_up:
                    raise StoreUnavailable("The session is busy; try again.")
                await asyncio.sleep(min(max(int(answer[1]), 1) / 1000, pause))
                pause = min(pause * 2, 0.02)
                continue
            if status == 3:  # changes made elsewhere since: another process writes here too
                rep.shared_until = loop.time() + SHARED_FOR
            self._bring_up(rep, answer)
            return

    def _bring_up(self, rep: Replica, answer: list[Any]) -> None:
        """Apply what Redis said the replica lacks (``redis_scripts._SINCE_ENTRY``)."""
        if answer[0] == 2:  # the log no longer reaches back to this replica
            self._replace(rep, answer[2], int(answer[3]), answer[4])
        elif answer[0] == 3:  # the entries since
            self._catch_up(rep, answer[2])

    async def _keep(self, sid: str, rep: Replica, command: Command[object],
                    ended_before: bool) -> None:
        # (an erasure is a snapshot, its command only published: ``Replica.to_keep``)
        entry, snapshot = rep.to_keep(command, self.snapshot_min_bytes, ended_before)
        message = _pack([COMMAND, self.node, rep.seq + 1, encode_command(command)])
        base, log, lease = self._keys(sid)
        loop = asyncio.get_running_loop()
        sent = loop.time()
        keep = 0 if sent < rep.shared_until else KEEP_MS
        rep.held_until = 0.0
        try:
            answer = await self._append(
                keys=[base, log, lease, self.channel(sid), self._wanted(sid)],
                args=[self.node, rep.seq, entry, message, snapshot, keep,
                      self.snapshot_min_bytes, SNAPSHOT_FACTOR])
        except RedisError as exc:
            rep.stale = True  # kept or not: Redis says which when it is back
            raise StoreUnavailable("This may not have been kept: the session store is out of "
                                   "reach. Try again in a moment.") from exc
        kept = int(answer[0])
        if not kept:
            rep.stale = True
            raise StoreUnavailable("This was not kept (the server was too slow); try again.")
        if kept == 2:  # still ours for KEEP_MS from when Redis ran the script, after ``sent``
            rep.held_until = sent + KEEP_MS / 1000
            rep.changed_at = sent
            if rep.let_go is None:
                rep.let_go = loop.call_later(KEEP_IDLE, self._let_go, sid, rep)
        elif keep:  # another process asked for the lease: give it back after each change a while
            rep.shared_until = loop.time() + SHARED_FOR
        rep.seq += 1
        # Redis decides when a snapshot is due (every process writing the session agrees): it
        # says how much the log holds since its snapshot, and how big that is.
        rep.since_snapshot, rep.snapshot_bytes = int(answer[1]), int(answer[2])

    def _let_go(self, sid: str, rep: Replica, wanted: bool = False) -> None:
        """``KEEP_IDLE`` after a change here, or when another process asked for it on the
        session's channel (``wanted``): give back the lease kept since."""
        if wanted:
            rep.shared_until = asyncio.get_running_loop().time() + SHARED_FOR
        else:
            rep.let_go = None
        if rep.held_until:
            self._tasks.spawn(self._give_back_kept(sid, rep, wanted=wanted))

    async def _give_back_kept(self, sid: str, rep: Replica, *, wanted: bool = False) -> None:
        async with rep.lock:  # no change of this session here while it goes
            loop = asyncio.get_running_loop()
            if not rep.held_until:
                return
            quiet = loop.time() - rep.changed_at
            if not wanted and quiet < KEEP_IDLE:
                rep.let_go = loop.call_later(KEEP_IDLE - quiet, self._let_go, sid, rep)
                return
            rep.held_until = 0.0
            await self._give_back(sid)

    async def _drop_kept(self, sid: str, rep: Replica) -> None:
        """The replica goes: give back the lease it kept, now rather than when it runs out."""
        if rep.let_go is not None:
            rep.let_go.cancel()
            rep.let_go = None
        if rep.held_until:
            rep.held_until = 0.0
            await self._give_back(sid)

    async def _give_back(self, sid: str) -> None:
        try:
            await self._release(keys=[self._keys(sid)[2]], args=[self.node])
        except RedisError:
            pass  # it runs out by itself

    async def _publish(self, sid: str, message: list[Any]) -> None:
        try:
            await self.redis.publish(self.channel(sid), _pack(message))
        except RedisError:
            logger.warning("session %s: a command that changes nothing was not passed to the "
                           "other processes (the session store is out of reach)", sid)

    # -- replicas ---------------------------------------------------------------------------------

    async def _replica(self, sid: str) -> Replica:
        rep = self._replicas.get(sid)
        if rep is not None:
            return rep
        loading = self._loading.get(sid)
        if loading is not None:
            return await asyncio.shield(loading)
        future: asyncio.Future[Replica] = asyncio.get_running_loop().create_future()
        self._loading[sid] = future
        self._early[sid] = []
        try:
            rep = await self._load(sid)
        except BaseException as exc:
            del self._loading[sid]
            self._early.pop(sid, None)
            future.set_exception(exc)
            future.exception()
            await self._unfollow(sid)
            raise
        del self._loading[sid]
        future.set_result(rep)
        # What the channel said during the load, in order: a change kept after the load read
        # the session is applied and delivered here (one kept before it is skipped by its
        # number; a gap is caught up from Redis). Shielded: the caller cancelled meanwhile (a
        # joiner who went) must not leave the rest unapplied.
        early = self._early.pop(sid, [])
        if early:
            await asyncio.shield(self._apply_early(sid, early))
        return rep

    async def _apply_early(self, sid: str, messages: list[list[Any]]) -> None:
        for message in messages:
            await self.received(sid, message)

    async def _load(self, sid: str) -> Replica:
        if self.subscribe is not None:  # first, so that nothing published after the load is lost
            try:
                await self.subscribe(sid)
            except RedisError as exc:
                raise StoreUnavailable("The session store is out of reach; try again in a "
                                       "moment.") from exc
        answer = await self._fetch(sid)
        if answer is None:
            raise SessionNotFound("There is no session with this id.")
        seq, snap, first, entries = answer
        rep = Replica(decode_session(snap), first, len(snap))
        rep.apply_entries(entries)  # (what they caused was delivered before this load)
        if rep.seq != seq:
            logger.error("session %s: loaded to entry %d of %d", sid, rep.seq, seq)
        self._replicas[sid] = rep
        if self.loaded is not None:
            self.loaded(sid)
        return rep

    async def _fetch(self, sid: str) -> tuple[int, bytes, int, list[bytes]] | None:
        """The session as Redis holds it: its last entry's number, its snapshot, the number the
        snapshot was taken at and the entries since; None when there is no such session."""
        base, log, _ = self._keys(sid)
        try:
            answer = await self._load_script(keys=[base, log])
        except RedisError as exc:
            raise StoreUnavailable("The session store is out of reach; try again in a "
                                   "moment.") from exc
        if answer[0] == -1:
            return None
        return int(answer[0]), answer[1], int(answer[2]), answer[3]

    async def _refresh(self, sid: str, rep: Replica) -> None:
        """Before a read: a replica whose last append was refused, or whose outcome is unknown,
        holds a change Redis may not have (applied before the append), so it is read again from
        Redis first. While Redis is out of reach it answers as it is (a read must not fail
        because of a change that failed; nothing can be changed meanwhile)."""
        async with rep.lock:
            if not rep.stale:
                return  # read again meanwhile
            with contextlib.suppress(StoreUnavailable):
                await self._reload(sid, rep)

    async def _reload(self, sid: str, rep: Replica) -> None:
        answer = await self._fetch(sid)
        if answer is None:
            await self.forget(sid)
            raise SessionNotFound("There is no session with this id.")
        _, snap, first, entries = answer
        self._replace(rep, snap, first, entries)

    def _replace(self, rep: Replica, snap: bytes, first: int, entries: list[bytes]) -> None:
        """Read the replica again from Redis's snapshot and the entries since; the events of
        the entries after the one it was at are delivered here. When the snapshot was taken
        past that entry (an erasure or the session's end, whose snapshot empties the log, or a
        replica far behind), what the entries between caused was never delivered here, and
        ``skipped`` is told: the connections here are sent away, to join again into what the
        session now says (someone erased meanwhile is not to hear the room any more)."""
        behind = rep.seq < first
        for events in rep.replace(snap, first, entries):
            self._queue(rep, events)
        if behind and self.skipped is not None:
            self.skipped(rep.session.id)

    def _catch_up(self, rep: Replica, entries: list[bytes]) -> None:
        for events in rep.apply_entries(entries):
            self._queue(rep, events)

    def _queue(self, rep: Replica, events: tuple[Event, ...]) -> None:
        if self.applied is not None:
            self.applied(events)
        rep.backlog.append(events)
        if rep.delivering is None or rep.delivering.done():
            rep.delivering = asyncio.get_running_loop().create_task(self._deliver(rep))

    async def _deliver(self, rep: Replica) -> None:
        while rep.backlog:
            events = rep.backlog.popleft()
            if self.deliver_remote is None:
                continue
            try:
                await self.deliver_remote(events)
            except Exception:
                logger.exception("session %s: delivering events of another process failed",
                                 rep.session.id)

    async def _drained(self, rep: Replica) -> None:
        """Wait until the events of commands given elsewhere are delivered here, so that this
        command's events follow them."""
        task = rep.delivering
        if task is not None and not task.done() and task is not asyncio.current_task():
            # (not ``await task``: when the replica is dropped meanwhile its delivery is
            # cancelled, and this command, already kept, must still be acknowledged)
            await asyncio.wait((task,))

    # -- what other processes published -----------------------------------------------------------

    async def received(self, sid: str, message: list[Any]) -> None:
        """A message on a session's channel (decoded)."""
        kind = message[0]
        early = self._early.get(sid)
        if early is not None:  # being loaded here: handled once its replica is
            if kind == DELETED or (kind in (COMMAND, TRANSIENT) and message[1] != self.node):
                early.append(message)
            return
        if kind == DELETED:
            await self.forget(sid)
            return
        rep = self._replicas.get(sid)
        if rep is None or message[1] == self.node:
            return
        if kind == WANTED:
            self._let_go(sid, rep, wanted=True)
            return
        if kind == TRANSIENT:
            try:
                outcome = decode_command(message[3]).apply(rep.session)
            except TandemError:
                return
            if outcome.events:
                self._queue(rep, outcome.events)
            return
        seq = int(message[2])
        async with rep.lock:
            if seq <= rep.seq:
                return  # applied already (caught up while taking the lease)
            if seq > rep.seq + 1 or rep.stale:
                await self._catch_up_from_redis(sid, rep)
                return
            rep.seq = seq
            rep.since_snapshot += len(message[3])
            # another process changes this session: keep no lease here for a while
            rep.shared_until = asyncio.get_running_loop().time() + SHARED_FOR
            try:
                outcome = decode_command(message[3]).apply(rep.session)
            except TandemError as exc:
                logger.error("session %s: entry %d does not apply here (%s); reading it again",
                             sid, seq, exc.code)
                rep.stale = True
                return
            if outcome.events:
                self._queue(rep, outcome.events)

    async def _catch_up_from_redis(self, sid: str, rep: Replica) -> None:
        """Some messages were missed (the channel was down): apply what the log holds since
        (``LATEST``), or, for a replica whose last append's outcome is unknown, read it again."""
        base, log, _ = self._keys(sid)
        try:
            if rep.stale:
                await self._reload(sid, rep)
                return
            answer = await self._latest(keys=[base, log], args=[rep.seq])
        except SessionNotFound:
            return  # (forgotten)
        except (StoreUnavailable, RedisError):
            rep.stale = True
            return
        if answer[0] == -1:
            await self.forget(sid)
            return
        self._bring_up(rep, answer)

    async def resync(self) -> None:
        """After the channel was down: bring every replica up to date with Redis."""
        for sid, rep in list(self._replicas.items()):
            async with rep.lock:
                await self._catch_up_from_redis(sid, rep)
