"""Which process holds a session's server media, when several share sessions (``server.cluster``).

A media plane forwards only between its own peers, so everyone's server media of a session
lives on one process, the session's *media owner*, whichever process their socket is connected
to. The first process that needs a session's server media claims it in Redis
(``<prefix>media:<session>`` holds its node id for ``CLAIM_MS``) and renews the claim every
``RENEW_EVERY`` seconds while its plane holds people of the session; once it holds nobody there,
it gives the claim back. A plane operation asked of another process is passed to the owner
(``Cluster.request``) and answered with the owner's answer; the owner sends its offers and slot
maps straight to the person's socket, wherever that lives (``gateway.emit(..., to=sid)``).

When the owner dies, its claim runs out, or is taken over at once when a request finds nobody
listening on the owner's channel; the next process that needs the session's media claims it.
The clients' server peers fail and reconnect (as after any server media failure), to the new
owner. A process that finds its claim taken by another (it was out of touch with Redis) closes
its peers of that session, whose clients reconnect the same way. While Redis is out of reach,
each process serves the media asked of it itself, as one process alone would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from rooms.errors import MediaUnavailable
from server.cluster import Cluster, NodeUnreachable
from server.store.redis import text_of
from server.tasks import TaskSet

logger = logging.getLogger(__name__)

MEDIA = "media"  # the kind of request a media owner answers
CLAIM_MS = 5000
RENEW_EVERY = 1.0
# How long the owner may take to answer one operation (an answer gathers ICE candidates).
ANSWER_WITHIN = 10.0

# Claim a session's media (or keep it), unless another process that is not known to be gone
# (ARGV[3]) holds it; returns the holder.
_CLAIM = """
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and owner ~= ARGV[3] then return owner end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


@dataclass(frozen=True, slots=True)
class Caller:
    """Whose plane operation it is: the participant and the socket their media answers to
    (which may live on another process than the plane)."""

    session_id: str
    participant_id: str
    sid: str


# Runs a plane operation here: (caller, operation, arguments) -> an answer msgpack can carry.
Run = Callable[[Caller, str, list[Any]], Awaitable[Any]]


class MediaOwners:
    def __init__(self, cluster: Cluster, *, prefix: str, run: Run,
                 serving: Callable[[str], bool],
                 lost: Callable[[str], Awaitable[None]]) -> None:
        """``run`` performs an operation on this process's plane; ``serving(session)`` says
        whether the plane holds anyone of the session; ``lost(session)`` closes them all."""
        self.cluster = cluster
        self.node = cluster.node
        self._prefix = prefix
        self._run, self._serving, self._lost = run, serving, lost
        # The store's client: its commands time out, where the channels' client waits.
        redis = cluster.store.redis
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        # Sessions whose media this process holds, with when it last claimed each (loop time).
        self.held: dict[str, float] = {}
        self._tasks = TaskSet()
        cluster.responders[MEDIA] = self._serve

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}media:{session_id}"

    async def owner(self, session_id: str, *, gone: str = "") -> str:
        """The session's media owner, claimed for this process when nobody holds it (or only
        ``gone``, a process found gone). Raises ``RedisError``."""
        found = text_of(await self._claim(keys=[self._key(session_id)],
                                          args=[self.node, CLAIM_MS, gone]))
        if found == self.node:
            self.held[session_id] = asyncio.get_running_loop().time()
        return found

    async def call(self, caller: Caller, op: str, args: list[Any]) -> Any:
        """Run a plane operation where the session's server media lives, and return its answer
        (or raise its ``TandemError``)."""
        try:
            owner = await self.owner(caller.session_id)
            if owner != self.node:
                try:
                    return await self._ask(owner, caller, op, args)
                except NodeUnreachable:
                    logger.info("session %s: process %s held its server media and is gone",
                                caller.session_id, owner)
                    owner = await self.owner(caller.session_id, gone=owner)
                    if owner != self.node:
                        return await self._ask(owner, caller, op, args)
        except RedisError:
            logger.warning("session %s: media served here (Redis is out of reach)",
                           caller.session_id)
            self.held[caller.session_id] = asyncio.get_running_loop().time()
        except (NodeUnreachable, TimeoutError):
            raise MediaUnavailable("The server's media did not answer; try again in a "
                                   "moment.") from None
        return await self._run(caller, op, args)

    async def _ask(self, owner: str, caller: Caller, op: str, args: list[Any]) -> Any:
        body = [caller.session_id, caller.participant_id, caller.sid, op, args]
        return await self.cluster.request(owner, MEDIA, body, ANSWER_WITHIN)

    async def _serve(self, body: list[Any]) -> Any:
        """Another process passes on an operation of a session whose media it found here."""
        session_id, participant_id, sid, op, args = body
        try:
            owner = await self.owner(session_id)
        except RedisError:
            owner = self.node
        if owner != self.node:
            raise MediaUnavailable("The server's media of this session is moving; try again "
                                   "in a moment.")
        return await self._run(Caller(session_id, participant_id, sid), op, args)

    # -- keeping the claims -----------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.spawn(self._renew())

    async def _renew(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(RENEW_EVERY)
            for session_id, claimed in list(self.held.items()):
                try:
                    if not self._serving(session_id):
                        # An operation claimed a moment ago may not have reached the plane yet.
                        if loop.time() - claimed > ANSWER_WITHIN:
                            del self.held[session_id]
                            await self._release(keys=[self._key(session_id)], args=[self.node])
                        continue
                    owner = await self.owner(session_id)
                except RedisError:
                    break  # tried again next round; meanwhile the peers keep their media
                if owner != self.node:
                    self.held.pop(session_id, None)
                    logger.warning("session %s: process %s holds its server media now; the "
                                   "peers here are closed", session_id, owner)
                    await self._lost(session_id)

    async def close(self) -> None:
        """Stop renewing and give every claim back (the next process to need one takes it)."""
        await self._tasks.close()
        for session_id in list(self.held):
            with contextlib.suppress(RedisError, OSError):
                await self._release(keys=[self._key(session_id)], args=[self.node])
        self.held.clear()
