"""Each room's history of replayable events in Redis, shared by every process of a cluster
(``server.cluster``), with the same protocol and bounds as ``server.history.MemoryHistory``.

Per room: a hash with the epoch, the last offset and the last entry's time, and a list of
entries ``[offset, time, event, payload]`` (msgpack) holding the offsets up to the last, one
after another; each session's rooms are listed in a set, so that a session's history is
dropped whole. The keys expire once the room has been quiet for longer than entries are kept
(a later event starts the room afresh, with a new epoch). A drop leaves what it took
(``server.history.Taken``) in a hash beside the session's set (``TAKEN_SUFFIX``), a while longer
than entries are kept: ``*`` for a whole session (ended, deleted); of each erased participant
``c:<id>``, the highest number of their chat messages the erasure removed, and ``v:<id>`` until
they join again (their caption lines). The append script refuses an event that carries what it
took (``Said``, ``server.history.refuses``; ``HistoryDropped``), so that a process a moment
behind delivering it does not bring back what a deletion took. Nothing there compares the
clocks of two processes.

An entry's time is never below the one before it (a process whose clock is behind takes its
predecessor's). Entries past their age go from the front only (one kept before them keeps
them), so the first entry a replay asks for tells whether all it asks for are kept: a replay
reads only the entries it answers with, however many expired before them, and a quiet room's
next append drops its expired entries at once. An entry's time is read from its first bytes,
without unpacking its payload.

The bounds are kept by the append script, so they hold for every process together. A room's
entries go from its front: past ``bounds.events``, past their age, and while the room alone
holds more than ``bounds.bytes``. The bytes of all rooms are counted in Redis as the memory
history counts them (each stored entry's length and ``ENTRY_OVERHEAD``, ``ROOM_OVERHEAD`` per
room with entries): a hash of each room's bytes, their sum, and the rooms in a sorted set by
their last append. Past ``bounds.bytes`` in all or ``bounds.rooms`` rooms, the rooms least
recently appended to go whole (the next ``since`` of one is ``Gone``, with a new epoch), rather
than the oldest entries of every room as in memory: finding those would cost a scan of every
room. A room whose keys expired leaves the count when it reaches the set's head, or when it is
appended to again. Each append costs O(1) commands and O(log rooms) for the sorted set, plus
the entries and rooms it removes, each removed once (O(1) amortised). The scripts reach other
rooms' keys by name, which a single Redis allows (not a Redis Cluster).

A message sent with an id (``server.history.Once``) leaves it in a hash beside its room
(``:once``): each sender's last id and the offset it was kept at, at most ``ONCE_SENDERS``
senders (a whiteboard relay's, one a process, and each chat sender's; past them the hash
starts afresh, and a message sent again just then may be kept twice), expiring and dropped with
the room's keys. Not counted in the bytes: a few dozen bytes a sender, as the room's hash of its
epoch is not. Sent again under that id (the answer to the first send was lost), a message is
answered with its first position, neither kept nor published a second time.

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

from rooms.errors import InvalidPayload
from server.cluster import LocalEmit
from server.gateway import room_key
from server.history import (
    DROPPED_MESSAGE,
    ENTRY_OVERHEAD,
    HISTORY_GONE,
    ROOM_OVERHEAD,
    Entry,
    Gone,
    HistoryDropped,
    HistoryUnavailable,
    Once,
    Position,
    Replay,
    Said,
    Taken,
    position_wire,
)
from server.protocol import Message
from server.redis_calls import ScriptCalls
from server.settings import HistoryBounds
from server.store.redis import text_of

HISTORY = "h"
# Beside a session's rooms: what drops of its history took (no room id holds a second ":").
TAKEN_SUFFIX = ":taken"
# Kept this long past the last entry's age, so a quiet room's epoch outlives its entries a little.
EXPIRE_MARGIN_MS = 60_000
# Entries a replay reads from Redis at a time, until its byte budget is spent.
READ_CHUNK = 16
# Senders whose last id (``server.history.Once``) a room remembers; past it they start afresh.
# More than a session's people (25 by default) and its processes together.
ONCE_SENDERS = 64

# An entry's time: its second field, read without unpacking the payload after it.
_AT = """
local function at_of(entry)
  local after = cmsgpack.unpack_one(entry, 1)
  local _, at = cmsgpack.unpack_one(entry, after)
  return at
end
"""
# Forgets a room ("session:room") in the count, and with ``whole`` its keys too; the bytes
# counted in all after it.
_FORGET = f"""
local ENTRY, ROOM = {ENTRY_OVERHEAD}, {ROOM_OVERHEAD}
local function forget(prefix, totals, sizes, recent, name, whole)
  local size = tonumber(redis.call('HGET', sizes, name) or 0)
  redis.call('HDEL', sizes, name)
  redis.call('ZREM', recent, name)
  if whole then
    local base = prefix .. 'h:' .. name
    local at = string.find(name, ':', 1, true)
    redis.call('UNLINK', base, base .. ':log', base .. ':once')
    redis.call('SREM', prefix .. 'h:' .. string.sub(name, 1, at - 1), string.sub(name, at + 1))
  end
  return redis.call('HINCRBY', totals, 'bytes', -size)
end
"""
_APPEND = _AT + _FORGET + f"local ONCE_SENDERS = {ONCE_SENDERS}\n" + """
local meta, list, rooms = KEYS[1], KEYS[2], KEYS[3]
local totals, sizes, recent = KEYS[4], KEYS[5], KEYS[6]
local now, cutoff, maxlen, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local maxbytes, maxrooms, prefix = tonumber(ARGV[11]), tonumber(ARGV[12]), ARGV[13]
local member = ARGV[14] .. ':' .. ARGV[9]
local once, sender = KEYS[8], ARGV[18]
-- An event that carries what a drop of the session's history took (``server.history.refuses``)
-- is not kept: a process a moment behind delivering it would bring it back.
if ARGV[15] ~= '' then
  if ARGV[17] == '' then  -- a caption line: refused while its speaker is erased
    local taken = redis.call('HMGET', KEYS[7], '*', 'v:' .. ARGV[16])
    if taken[1] or taken[2] then return {} end
  else  -- a chat message: refused up to the highest number its sender's erasure removed
    local taken = redis.call('HMGET', KEYS[7], '*', 'c:' .. ARGV[16])
    if taken[1] or (taken[2] and tonumber(ARGV[17]) <= tonumber(taken[2])) then return {} end
  end
end
if redis.call('EXISTS', meta) == 0 then
  redis.call('HSET', meta, 'epoch', ARGV[5], 'last', 0)
  redis.call('DEL', list, once)
end
-- Sent again under the id its sender's last was kept with (the answer to it was lost): its
-- position, neither kept nor published a second time.
if sender ~= '' then
  local seen = redis.call('HGET', once, sender)
  if seen then
    local id, kept = string.match(seen, '^(%S+) (%d+)$')
    if id == ARGV[19] then return {redis.call('HGET', meta, 'epoch'), tonumber(kept)} end
  end
end
-- A room whose entries expired or went is counted afresh.
local counted = tonumber(redis.call('HGET', sizes, member) or 0)
local size = ROOM
if counted > 0 and redis.call('EXISTS', list) == 1 then size = counted end
local epoch, before = unpack(redis.call('HMGET', meta, 'epoch', 'at'))
local offset = redis.call('HINCRBY', meta, 'last', 1)
local at = math.max(now, tonumber(before) or now)
redis.call('HSET', meta, 'at', at)
local entry = cmsgpack.pack({offset, at, ARGV[6], ARGV[7]})
local n = redis.call('RPUSH', list, entry)
size = size + #entry + ENTRY
-- From the front: past the room's count, past the bytes of all, then past their age.
while n > 0 and (n > maxlen or size > maxbytes) do
  size = size - #redis.call('LPOP', list) - ENTRY
  n = n - 1
end
-- Times never go down along the list: when the entry before this one (at ``before``) is past
-- its age, so are all before it (a quiet room's next event), and they go at once, unread.
if n > 1 and before and tonumber(before) < cutoff then
  redis.call('LTRIM', list, -1, -1)
  size, n = ROOM + #entry + ENTRY, 1
end
while n > 0 do
  local head = redis.call('LINDEX', list, 0)
  if at_of(head) >= cutoff then break end
  redis.call('LTRIM', list, 1, -1)
  size = size - #head - ENTRY
  n = n - 1
end
redis.call('HSET', sizes, member, size)
local total = redis.call('HINCRBY', totals, 'bytes', size - counted)
redis.call('ZADD', recent, redis.call('HINCRBY', totals, 'seq', 1), member)
-- Past the bytes of all or the number of rooms, the rooms least recently appended to go
-- whole; rooms at the head whose entries expired leave the count.
while true do
  local head = redis.call('ZRANGE', recent, 0, 0)[1]
  if head == member then break end
  local over = total > maxbytes or redis.call('ZCARD', recent) > maxrooms
  if not over and redis.call('EXISTS', prefix .. 'h:' .. head .. ':log') == 1 then break end
  total = forget(prefix, totals, sizes, recent, head, over)
end
redis.call('PEXPIRE', meta, ttl)
redis.call('PEXPIRE', list, ttl)
if sender ~= '' then
  -- Each sender's last id (a relay of each process, each chat sender); past ONCE_SENDERS the
  -- hash starts afresh.
  if redis.call('HEXISTS', once, sender) == 0 and redis.call('HLEN', once) >= ONCE_SENDERS then
    redis.call('DEL', once)
  end
  redis.call('HSET', once, sender, ARGV[19] .. ' ' .. offset)
  redis.call('PEXPIRE', once, ttl)
end
redis.call('SADD', rooms, ARGV[9])
redis.call('PEXPIRE', rooms, ttl)
if ARGV[8] ~= '' then
  redis.call('PUBLISH', ARGV[8], cmsgpack.pack({'h', '', ARGV[9], ARGV[10], epoch, offset,
                                                ARGV[6]}) .. ARGV[7])
end
return {epoch, offset}
"""
_DROP = _FORGET + """
local set, totals, sizes, recent, taken = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local prefix, sid = ARGV[1], ARGV[2]
local dropped = 0
for _, room in ipairs(redis.call('SMEMBERS', set)) do
  dropped = dropped + redis.call('LLEN', prefix .. 'h:' .. sid .. ':' .. room .. ':log')
  forget(prefix, totals, sizes, recent, sid .. ':' .. room, true)
end
redis.call('DEL', set)
-- What it took: what of the session is not appended any more (``_APPEND``). '*': all of it;
-- then each erased participant and the highest number of their chat messages removed.
if #ARGV >= 4 then
  if ARGV[4] ~= '' then redis.call('HSET', taken, '*', 1) end
  for i = 5, #ARGV, 2 do
    local was = tonumber(redis.call('HGET', taken, 'c:' .. ARGV[i]) or 0)
    redis.call('HSET', taken, 'c:' .. ARGV[i], math.max(was, tonumber(ARGV[i + 1])),
               'v:' .. ARGV[i], 1)
  end
  if redis.call('EXISTS', taken) == 1 then redis.call('PEXPIRE', taken, ARGV[3]) end
end
return dropped
"""
# What comes after an offset: {epoch, last, verdict, more, entries...}; {} without a history.
_SINCE = _AT + """
local meta, list = KEYS[1], KEYS[2]
local offset, cutoff, budget = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local chunk = tonumber(ARGV[5])
local kept = redis.call('HMGET', meta, 'epoch', 'last')
if not kept[1] then return {} end
local epoch, last = kept[1], tonumber(kept[2])
if epoch ~= ARGV[1] then return {epoch, last, 'epoch', 0} end
if offset > last then return {epoch, last, 'ahead', 0} end
local n = redis.call('LLEN', list)
local ask = offset - last + n  -- the index of the entry after the offset
if ask < 0 then return {epoch, last, 'trimmed', 0} end
-- Times never go down along the list: the entry asked for first is past its age when those
-- before it are too, and so gone from the front (O(1) whatever expired before it).
if ask < n and at_of(redis.call('LINDEX', list, ask)) < cutoff then
  return {epoch, last, 'trimmed', 0}
end
local out = {epoch, last, 'ok', 0}
while ask < n do
  for _, raw in ipairs(redis.call('LRANGE', list, ask, ask + chunk - 1)) do
    local size = #cmsgpack.unpack(raw)[4]
    if #out > 4 and size > budget then
      out[4] = 1
      return out
    end
    budget = budget - size
    out[#out + 1] = raw
  end
  ask = ask + chunk
end
return out
"""
_POSITION = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'last', 0)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'epoch', 'last')
"""

Encode = Callable[[str, Any], list[bytes]]


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
        # Rooms whose position was read here (someone entering them here) while none of their
        # events had been sent here yet: where a resync starts for them.
        self.entered: dict[tuple[str, str], Position] = {}
        # The session store's (``RedisStore.scripts``): an event's append joins its batches.
        self._append = scripts.script(_APPEND)
        self._drop = redis.register_script(_DROP)
        self._since = redis.register_script(_SINCE)
        self._position = redis.register_script(_POSITION)
        # Of every room together: the bytes counted and the appends' sequence, each room's
        # bytes, the rooms by their last append (no session id holds a ":").
        self._counts = [f"{prefix}h::totals", f"{prefix}h::sizes", f"{prefix}h::recent"]

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
                          skip_sid: str | None, said: Said | None = None,
                          once: Once | None = None) -> Position:
        """``said``: whose words the event carries; if a drop of the session's history took
        them, it is neither kept nor sent (``HistoryDropped``). ``once``: its id; the sender's
        last kept under it again is its position, neither kept nor sent again."""
        now = self.clock()
        data = msgpack.packb(dict(payload), use_bin_type=True)
        meta = self._keys(session_id, room)[0]
        try:
            answer = await self._append(
                keys=[*self._keys(session_id, room), *self._counts,
                      self._rooms(session_id) + TAKEN_SUFFIX, meta + ":once"],
                args=[repr(now), repr(now - self.bounds.seconds), self.bounds.events,
                      self._ttl_ms, secrets.token_hex(8), event, data, channel, room,
                      skip_sid or "", self.bounds.bytes, self.bounds.rooms, self.prefix,
                      session_id, "" if said is None else "1",
                      "" if said is None else said.by,
                      "" if said is None or said.chat_id is None else said.chat_id,
                      "" if once is None else once.sender, "" if once is None else once.id])
        except RedisError as exc:
            raise HistoryUnavailable("This could not be sent: the server's store is out of "
                                     "reach. Try again in a moment.") from exc
        if not answer:
            raise HistoryDropped(DROPPED_MESSAGE)
        epoch, offset = answer
        return Position(text_of(epoch), int(offset))

    async def append(self, session_id: str, room: str, event: str,
                     payload: Mapping[str, Any]) -> Position:
        return await self._run_append(session_id, room, event, payload, "", None)

    async def broadcast(self, session_id: str, room: str, message: Message,
                        skip_sid: str | None, said: Said | None = None,
                        once: Once | None = None) -> None:
        payload = message.payload
        assert isinstance(payload, dict)
        await self._run_append(session_id, room, message.event, payload,
                               self.channel(session_id), skip_sid, said, once)

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
        if self.entered:
            self.entered.pop(key, None)
        payload["position"] = {"room": room, "epoch": position.epoch, "offset": position.offset}
        self.local_emit(event, self.encode(event, payload), room_key(session_id, room), None,
                        skip)

    async def resync(self) -> None:
        """After this process's channels were down: send its connections what was kept
        meanwhile, in order, from where each room was; where that is no longer kept, tell
        them (``history_gone``), so that their pages load the room again."""
        # from the last event sent here, else from where someone entered the room here
        for (session_id, room), sent in {**self.entered, **self.delivered}.items():
            found = await self.since(session_id, room, sent.epoch, sent.offset, 1 << 30)
            if isinstance(found, Gone):
                self._gone(session_id, room, sent, found.latest)
                continue
            for entry in found.entries:
                self._send(session_id, room, Position(sent.epoch, entry.offset), entry.event,
                           dict(entry.payload), None)

    def _gone(self, session_id: str, room: str, sent: Position, latest: Position) -> None:
        """What the room said after ``sent`` went meanwhile (past its bounds, or a new epoch):
        its pages here cannot see the gap (offsets may skip) nor ask for it (their sockets did
        not drop), so they are told; the room goes on here from ``latest``."""
        key = (session_id, room)
        now = self.delivered.get(key)  # events after ``latest`` may have come meanwhile
        if now is None or now.epoch != latest.epoch or now.offset < latest.offset:
            self.delivered[key] = latest
        self.entered.pop(key, None)
        if self.encode is None or self.local_emit is None:
            return
        told = HISTORY_GONE({"position": position_wire(room, sent),
                              "latest": position_wire(room, latest)})
        self.local_emit(told.event, self.encode(told.event, told.payload),
                        room_key(session_id, room), None, None)

    # -- reading ---------------------------------------------------------------------------------

    async def since(self, session_id: str, room: str, epoch: str, offset: int,
                    max_bytes: int) -> Replay | Gone:
        meta, log, _ = self._keys(session_id, room)
        cutoff = self.clock() - self.bounds.seconds
        reply = await self._since(keys=[meta, log],
                                  args=[epoch, offset, repr(cutoff), max_bytes, READ_CHUNK])
        if not reply:
            return Gone(await self.position(session_id, room), "epoch")
        kept_epoch, last, verdict, more, *raw = reply
        latest = Position(text_of(kept_epoch), int(last))
        verdict = text_of(verdict)
        if verdict == "ahead":
            raise InvalidPayload(f"offset: {offset} is ahead of this room's history "
                                 f"(its latest is {latest.offset}).")
        if verdict != "ok":
            return Gone(latest, verdict)
        out: list[Entry] = []
        for packed in raw:
            # Lua's msgpack writes every string as text: read them as bytes.
            number, _at, event, data = msgpack.unpackb(packed, raw=True)
            out.append(Entry(int(number), event.decode(), msgpack.unpackb(data, raw=False)))
        return Replay(latest, tuple(out), bool(more))

    async def position(self, session_id: str, room: str) -> Position:
        epoch, last = await self._position(keys=[self._keys(session_id, room)[0]],
                                           args=[secrets.token_hex(8), self._ttl_ms])
        position = Position(text_of(epoch), int(last))
        key = (session_id, room)
        if key not in self.delivered:
            known = self.entered.get(key)
            if known is None or known.epoch != position.epoch:
                self.entered[key] = position
        return position

    async def drop(self, session_id: str | None = None, *, taken: Taken | None = None) -> int:
        sessions = [session_id] if session_id is not None else await self.sessions()
        marks: list[str | int] = []
        if taken is not None:
            marks = ["1" if taken.whole else ""]
            for pid, up_to in taken.erased.items():
                marks += [pid, up_to]
        dropped = 0
        for sid in sessions:
            rooms = self._rooms(sid)
            dropped += int(await self._drop(keys=[rooms, *self._counts, rooms + TAKEN_SUFFIX],
                                            args=[self.prefix, sid, self._ttl_ms, *marks]))
            self.forget_session(sid)
        return dropped

    async def returned(self, session_id: str, participant_id: str) -> None:
        await self.redis.hdel(self._rooms(session_id) + TAKEN_SUFFIX, "v:" + participant_id)

    def forget_session(self, session_id: str) -> None:
        """The session left this process's memory: forget what was delivered of it here."""
        for key in [k for k in self.delivered if k[0] == session_id]:
            del self.delivered[key]
        for key in [k for k in self.entered if k[0] == session_id]:
            del self.entered[key]

    async def sessions(self) -> list[str]:
        out: list[str] = []
        pattern = f"{self.prefix}h:*"
        async for key in self.redis.scan_iter(match=pattern, count=500):
            name = text_of(key)[len(self.prefix) + 2:]
            if ":" not in name:
                out.append(name)
        return out

    async def stats(self) -> dict[str, int]:
        """Rooms, entries and bytes counted (for tests and the log; reads every room)."""
        totals, _, recent = self._counts
        rooms = [text_of(r) for r in await self.redis.zrange(recent, 0, -1)]
        pipe = self.redis.pipeline(transaction=False)
        for name in rooms:
            pipe.llen(f"{self.prefix}h:{name}:log")
        entries = sum(await pipe.execute()) if rooms else 0
        counted = await self.redis.hget(totals, "bytes")
        return {"rooms": len(rooms), "entries": entries, "bytes": int(counted or 0)}
