"""Each room's history of replayable events in Redis, shared by every process of a cluster
(``server.cluster``), with the same protocol and bounds as ``server.history.MemoryHistory``.

Per room: a hash with the epoch and the last offset, and a list of entries
``[offset, time, event, payload]`` (msgpack), bounded by length and by age; each session's rooms
are listed in a set, so that a session's history is dropped whole. The keys expire once the room
has been quiet for longer than entries are kept (a later event starts the room afresh, with a
new epoch).

Sending is part of keeping (``broadcast``): one Lua script appends the entry, takes its offset
and publishes the stamped event on the session's channel (a msgpack header, then the payload's
own msgpack bytes as they are: Lua's msgpack would mark them as text); every process, the sender's
included, sends it to its own members of the room when it arrives. Redis orders what it
publishes, so every client receives a room's events in the order of their offsets, whichever
process they came from.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

import msgpack
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rooms.errors import InvalidPayload, NotRecorded
from server.cluster import LocalEmit
from server.gateway import room_key
from server.history import Entry, Gone, Position, Replay
from server.protocol import Message
from server.redis_calls import ScriptCalls
from server.settings import HistoryBounds
from server.store.redis import text_of

HISTORY = "h"
# Kept this long past the last entry's age, so a quiet room's epoch outlives its entries a little.
EXPIRE_MARGIN_MS = 60_000

_APPEND = """
local meta, list, rooms = KEYS[1], KEYS[2], KEYS[3]
local now, cutoff, maxlen, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', meta) == 0 then
  redis.call('HSET', meta, 'epoch', ARGV[5], 'last', 0)
end
local epoch = redis.call('HGET', meta, 'epoch')
local offset = redis.call('HINCRBY', meta, 'last', 1)
redis.call('RPUSH', list, cmsgpack.pack({offset, now, ARGV[6], ARGV[7]}))
redis.call('LTRIM', list, -maxlen, -1)
while true do
  local head = redis.call('LINDEX', list, 0)
  if not head then break end
  if cmsgpack.unpack(head)[2] >= cutoff then break end
  redis.call('LPOP', list)
end
redis.call('PEXPIRE', meta, ttl)
redis.call('PEXPIRE', list, ttl)
redis.call('SADD', rooms, ARGV[9])
redis.call('PEXPIRE', rooms, ttl)
if ARGV[8] ~= '' then
  redis.call('PUBLISH', ARGV[8], cmsgpack.pack({'h', '', ARGV[9], ARGV[10], epoch, offset,
                                                ARGV[6]}) .. ARGV[7])
end
return {epoch, offset}
"""
_POSITION = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'last', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'epoch', 'last')
"""

Encode = Callable[[str, Any], list[bytes]]


class HistoryUnavailable(NotRecorded):
    """Redis could not be reached: the event was neither kept nor sent."""


class RedisHistory:
    def __init__(self, redis: Redis, bounds: HistoryBounds, clock: Callable[[], float], *,
                 prefix: str, channel: Callable[[str], str], scripts: ScriptCalls) -> None:
        self.redis = redis
        self.bounds = bounds
        self.clock = clock
        self.prefix = prefix
        self.channel = channel
        # Set by the app: how an event is encoded, and sent to this process's connections.
        self.encode: Encode | None = None
        self.local_emit: LocalEmit | None = None
        # Where each room's events sent to this process's connections are: a stamped event
        # arriving twice is sent once, and after the channel was down what was missed is sent.
        self.delivered: dict[tuple[str, str], Position] = {}
        # The session store's (``RedisStore.scripts``): an event's append joins its batches.
        self._append = scripts.script(_APPEND)
        self._position = redis.register_script(_POSITION)

    def _keys(self, session_id: str, room: str) -> list[str]:
        base = f"{self.prefix}h:{session_id}:{room}"
        return [base, base + ":log", self._rooms(session_id)]

    def _rooms(self, session_id: str) -> str:
        return f"{self.prefix}h:{session_id}"

    @property
    def _ttl_ms(self) -> int:
        return int(self.bounds.seconds * 1000) + EXPIRE_MARGIN_MS

    # -- keeping and sending ---------------------------------------------------------------------

    async def _run_append(self, session_id: str, room: str, event: str,
                          payload: Mapping[str, Any], channel: str,
                          skip_sid: str | None) -> Position:
        now = self.clock()
        data = msgpack.packb(dict(payload), use_bin_type=True)
        try:
            epoch, offset = await self._append(
                keys=self._keys(session_id, room),
                args=[repr(now), repr(now - self.bounds.seconds), self.bounds.events,
                      self._ttl_ms, secrets.token_hex(8), event, data, channel, room,
                      skip_sid or ""])
        except RedisError as exc:
            raise HistoryUnavailable("This could not be sent: the server's store is out of "
                                     "reach. Try again in a moment.") from exc
        return Position(text_of(epoch), int(offset))

    async def append(self, session_id: str, room: str, event: str,
                     payload: Mapping[str, Any]) -> Position:
        return await self._run_append(session_id, room, event, payload, "", None)

    async def broadcast(self, session_id: str, room: str, message: Message,
                        skip_sid: str | None) -> None:
        payload = message.payload
        assert isinstance(payload, dict)
        await self._run_append(session_id, room, message.event, payload,
                               self.channel(session_id), skip_sid)

    async def received(self, session_id: str, message: list[Any]) -> None:
        """A stamped event on the session's channel: sent to this process's members."""
        _, _, room, skip, epoch, offset, event, data = message
        self._send(session_id, room, Position(epoch, int(offset)), event,
                   msgpack.unpackb(data, raw=False), skip or None)

    def _send(self, session_id: str, room: str, position: Position, event: str,
              payload: dict[str, Any], skip: str | None) -> None:
        if self.encode is None or self.local_emit is None:
            return
        key = (session_id, room)
        sent = self.delivered.get(key)
        if sent is not None and sent.epoch == position.epoch and position.offset <= sent.offset:
            return
        self.delivered[key] = position
        payload["position"] = {"room": room, "epoch": position.epoch, "offset": position.offset}
        self.local_emit(event, self.encode(event, payload), room_key(session_id, room), None,
                        skip)

    async def resync(self) -> None:
        """After this process's channels were down: send its connections what was kept
        meanwhile, in order, from where each room was."""
        for (session_id, room), sent in list(self.delivered.items()):
            found = await self.since(session_id, room, sent.epoch, sent.offset, 1 << 30)
            if isinstance(found, Gone):
                continue  # its clients find the gap and ask for a replay, or resync
            for entry in found.entries:
                self._send(session_id, room, Position(sent.epoch, entry.offset), entry.event,
                           dict(entry.payload), None)

    # -- reading ---------------------------------------------------------------------------------

    async def since(self, session_id: str, room: str, epoch: str, offset: int,
                    max_bytes: int) -> Replay | Gone:
        meta, log, _ = self._keys(session_id, room)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hmget(meta, "epoch", "last")
        pipe.lrange(log, 0, -1)
        (kept_epoch, last), raw = await pipe.execute()
        if kept_epoch is None:
            latest = await self.position(session_id, room)
            return Gone(latest, "epoch")
        latest = Position(text_of(kept_epoch), int(last))
        if epoch != latest.epoch:
            return Gone(latest, "epoch")
        if offset > latest.offset:
            raise InvalidPayload(f"offset: {offset} is ahead of this room's history "
                                 f"(its latest is {latest.offset}).")
        cutoff = self.clock() - self.bounds.seconds
        # Lua's msgpack writes every string as text: read them as bytes.
        entries = [msgpack.unpackb(r, raw=True) for r in raw]
        entries = [e for e in entries if e[1] >= cutoff]
        first = entries[0][0] if entries else latest.offset + 1
        if offset < first - 1:
            return Gone(latest, "trimmed")
        out: list[Entry] = []
        budget, more = max_bytes, False
        for number, _at, event, data in entries:
            if number <= offset:
                continue
            if out and len(data) > budget:
                more = True
                break
            budget -= len(data)
            out.append(Entry(int(number), event.decode(), msgpack.unpackb(data, raw=False)))
        return Replay(latest, tuple(out), more)

    async def position(self, session_id: str, room: str) -> Position:
        epoch, last = await self._position(keys=[self._keys(session_id, room)[0]],
                                           args=[secrets.token_hex(8), self._ttl_ms])
        return Position(text_of(epoch), int(last))

    async def drop(self, session_id: str | None = None) -> int:
        sessions = [session_id] if session_id is not None else await self.sessions()
        dropped = 0
        for sid in sessions:
            rooms = [text_of(r) for r in await self.redis.smembers(self._rooms(sid))]
            keys = [k for room in rooms for k in self._keys(sid, room)[:2]]
            if keys:
                counts = [await self.redis.llen(k) for k in keys[1::2]]
                dropped += sum(counts)
                await self.redis.delete(*keys)
            await self.redis.delete(self._rooms(sid))
            for key in [k for k in self.delivered if k[0] == sid]:
                del self.delivered[key]
        return dropped

    def forget_session(self, session_id: str) -> None:
        """The session left this process's memory: forget what was delivered of it here."""
        for key in [k for k in self.delivered if k[0] == session_id]:
            del self.delivered[key]

    async def sessions(self) -> list[str]:
        out: list[str] = []
        pattern = f"{self.prefix}h:*"
        async for key in self.redis.scan_iter(match=pattern, count=500):
            name = text_of(key)[len(self.prefix) + 2:]
            if ":" not in name:
                out.append(name)
        return out
