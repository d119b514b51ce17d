"""The history of each room's replayable events, so that a client that lost its connection is
given exactly what it missed.

Replayable events are those a page shows and cannot get back from a state it is handed again:
chat messages, final caption lines, whiteboard updates (docs/PROTOCOL.md, "Missed events"). Each
room of each session has its own append-only history: every event appended gets the next
integer *offset* of that room (1, 2, 3...), under the room's *epoch*, a random token drawn when
the room's history starts afresh (first use in this process, after the history was dropped). A
client keeps the last epoch and offset it saw per room and asks for what came after; when the
epoch differs or the entries after its offset are no longer kept, the answer is ``Gone`` and the
client resynchronises from the state instead.

The history is bounded by events per room, by age, by the bytes it holds in all and by its
number of rooms (``HistoryBounds``, a setting): past the first three the oldest entries go
first, past the number of rooms the room least recently appended to goes whole. Entries go from
the front of their room only, so what is kept of a room has no gaps. It holds people's words
(chat is personal data), so a session's history goes when the session ends, on a deletion
request and at retention passes.

A drop also says what it took (``Taken``), so that an event of it still on its way (applied
before the drop, delivered after it by a process a moment behind) is neither kept nor sent
(``HistoryDropped``): every event of a session that ended or was deleted; of a deletion, the
erased participant's words alone (``Said``): their chat messages by number (given in the
session's order, never twice: one posted after the erasure has a higher one) and their caption
lines until they join again (``returned``: an erased participant's page may come back under the
same id). Nothing is ordered by a clock: with several processes their clocks differ.

A message may carry an id (``Once``) for a sender that sends it again after a send failed: with
several processes a send whose answer was lost (kept and sent, the reply never came) is then
recognised, and neither kept nor sent twice. One process's memory loses no answer.

``MemoryHistory`` is the embedded default: one process's memory, so a restart starts every room
afresh (a new epoch). A history shared by several processes implements the same protocol
(``server.history_redis``: one Redis list per room, the same bounds, counted in Redis).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast, runtime_checkable

import msgpack
from typing_extensions import TypedDict

from rooms.errors import InvalidPayload, NotRecorded
from server.delivery import origin_here
from server.gateway import SocketGateway, room_key
from server.protocol import Message, Outbound, PositionWire
from server.settings import HistoryBounds

# What the memory history counts, besides its payload, for each entry and each room it keeps.
ENTRY_OVERHEAD = 120
ROOM_OVERHEAD = 400
# The order of entries is compacted once it holds more than twice the entries kept and this many.
ORDER_SLACK = 64
# What a drop took (``Taken``) is kept this long past the age of entries (as the Redis history
# keeps it): an event on its way comes a moment late, never that late.
TAKEN_MARGIN = 60.0


@dataclass(frozen=True, slots=True)
class Position:
    """Where a room's history is: its epoch and an offset in it (0: before the first event)."""

    epoch: str
    offset: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One replayable event: its offset in its room, its name and its payload as it was sent
    live (without its position)."""

    offset: int
    event: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Replay:
    """What came after an offset: ``entries`` in order, up to ``latest``; ``more`` when a byte
    budget cut them short (ask again from the last one)."""

    latest: Position
    entries: tuple[Entry, ...]
    more: bool


@dataclass(frozen=True, slots=True)
class Gone:
    """What the client asked for is not kept: another epoch, or entries already dropped.
    ``latest`` is where the room's history is now."""

    latest: Position
    reason: str  # "epoch" or "trimmed"


@dataclass(frozen=True, slots=True)
class Said:
    """Whose words a replayable event carries: ``by``, the participant (a chat message's
    sender, a caption's speaker; "" when not known), and for a chat message its number in the
    session (``ChatMessage.id``: given in the session's order, never twice)."""

    by: str
    chat_id: int | None = None


@dataclass(frozen=True, slots=True)
class Once:
    """An id for a replayable message that its sender may send again when the answer to a send
    was lost (with several processes: Redis ran the append, then the connection dropped before
    its reply): sent again under the same id, it is neither kept nor sent a second time, and
    its position is the one it was given. ``sender`` names who sends (a relay of this process,
    a chat message's sender; with one such message of theirs under way per room at a time: only
    the last id of each sender is remembered), ``id`` the message (no spaces). One process's
    memory history loses no answer and ignores it."""

    sender: str
    id: str


@dataclass(frozen=True, slots=True)
class Taken:
    """What a drop of a session's history took besides the entries it held, so that an event
    of it still on its way is refused too: the whole session (``whole``: it ended, or was
    deleted), or the words of erased participants, each with the highest number of their chat
    messages the erasure removed (0: none)."""

    whole: bool = False
    erased: Mapping[str, int] = field(default_factory=dict)


def refuses(whole: bool, chat_up_to: int | None, silenced: bool, said: Said) -> bool:
    """Whether a drop refuses what ``said`` carries: everything of a whole session; of an erased
    participant their chat messages up to ``chat_up_to`` (the highest number the erasure
    removed; None: not erased) and, while ``silenced`` (until they join again), their caption
    lines."""
    if whole:
        return True
    if said.chat_id is None:
        return silenced
    return chat_up_to is not None and said.chat_id <= chat_up_to


class HistoryDropped(NotRecorded):
    """The event is of what its session's history drop took (``Taken``): neither kept nor
    sent."""


class HistoryUnavailable(NotRecorded):
    """The history could not be reached (with several processes: Redis): the event may have
    been kept and sent or not (the connection may have dropped after Redis did both, before its
    reply). Sent again under the same ``Once``, it is kept and sent once either way."""


DROPPED_MESSAGE = ("This is neither kept nor sent: the session ended, or a deletion request took "
                   "it, as it was being sent.")


class History(Protocol):
    """The per-room history of replayable events (see the module's doc)."""

    async def append(self, session_id: str, room: str, event: str,
                     payload: Mapping[str, Any]) -> Position:
        """Keep ``event`` as the room's next entry; its position."""
        ...

    async def since(self, session_id: str, room: str, epoch: str, offset: int,
                    max_bytes: int) -> Replay | Gone:
        """The entries after ``offset`` of ``epoch``, oldest first, at least one and otherwise
        at most ``max_bytes`` of payload; ``Gone`` when they are not all kept. An offset ahead
        of the room's latest is ``InvalidPayload``."""
        ...

    async def position(self, session_id: str, room: str) -> Position:
        """Where the room's history is now (a room without one starts one)."""
        ...

    async def drop(self, session_id: str | None = None, *, taken: Taken | None = None) -> int:
        """Forget the history of one session's rooms (``None``: of every session); the entries
        dropped. ``taken``: what of the session is refused from now on (an event of it still on
        its way), for about as long as entries are kept."""
        ...

    async def returned(self, session_id: str, participant_id: str) -> None:
        """The participant joined the session (again, if erased under this id before): their
        caption lines are kept again."""
        ...

    async def sessions(self) -> list[str]:
        """The sessions with a history."""
        ...


@dataclass(slots=True)
class _Marks:
    """What drops of one session took (``Taken``), until when it is kept."""

    until: float
    whole: bool = False
    erased: dict[str, int] = field(default_factory=dict)
    silenced: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Kept:
    offset: int
    at: float
    event: str
    data: bytes  # the payload, msgpack


@dataclass(slots=True)
class _Room:
    epoch: str
    last: int = 0
    entries: deque[_Kept] = field(default_factory=deque)
    bytes: int = 0

    def first(self) -> int:
        """The offset of the oldest entry kept (``last + 1`` when none is)."""
        return self.entries[0].offset if self.entries else self.last + 1


Key = tuple[str, str]


class MemoryHistory:
    """Each room's history in this process's memory (see the module's doc)."""

    def __init__(self, bounds: HistoryBounds, clock: Any) -> None:
        self.bounds = bounds
        self.clock = clock
        # Least recently appended first: past ``bounds.rooms`` the first go.
        self.rooms: OrderedDict[Key, _Room] = OrderedDict()
        # Every entry kept, in the order appended: the oldest in all go first. Entries removed
        # otherwise (past the count of their room, a room dropped) stay in it until they reach
        # its head or it is compacted (``_compact``), so it holds at most about twice ``kept``.
        self.order: deque[tuple[Key, _Room, int]] = deque()
        self.bytes = 0
        self.kept = 0  # entries kept in all
        # What drops took, per session, the oldest first (at most ``bounds.rooms`` sessions).
        self.taken: OrderedDict[str, _Marks] = OrderedDict()

    # -- the protocol ------------------------------------------------------------------------------

    async def append(self, session_id: str, room: str, event: str,
                     payload: Mapping[str, Any]) -> Position:
        key = (session_id, room)
        kept = self._room(key)
        self.rooms.move_to_end(key)
        data = msgpack.packb(payload, use_bin_type=True)
        kept.last += 1
        entry = _Kept(kept.last, self.clock(), event, data)
        kept.entries.append(entry)
        size = len(data) + ENTRY_OVERHEAD
        kept.bytes += size
        self.bytes += size
        self.kept += 1
        self.order.append((key, kept, entry.offset))
        while len(kept.entries) > self.bounds.events:
            self._pop_oldest(kept)
        self._trim()
        self._compact()
        return Position(kept.epoch, kept.last)

    async def since(self, session_id: str, room: str, epoch: str, offset: int,
                    max_bytes: int) -> Replay | Gone:
        self._trim()
        kept = self._room((session_id, room))
        latest = Position(kept.epoch, kept.last)
        if epoch != kept.epoch:
            return Gone(latest, "epoch")
        if offset > kept.last:
            raise InvalidPayload(f"offset: {offset} is ahead of this room's history "
                                 f"(its latest is {kept.last}).")
        if offset < kept.first() - 1:
            return Gone(latest, "trimmed")
        out: list[Entry] = []
        budget = max_bytes
        more = False
        for entry in kept.entries:  # at most bounds.events
            if entry.offset <= offset:
                continue
            if out and len(entry.data) > budget:
                more = True
                break
            budget -= len(entry.data)
            out.append(Entry(entry.offset, entry.event,
                             msgpack.unpackb(entry.data, raw=False)))
        return Replay(latest, tuple(out), more)

    async def position(self, session_id: str, room: str) -> Position:
        self._trim()
        kept = self._room((session_id, room))
        return Position(kept.epoch, kept.last)

    async def drop(self, session_id: str | None = None, *, taken: Taken | None = None) -> int:
        keys = [k for k in self.rooms if session_id is None or k[0] == session_id]
        dropped = 0
        for key in keys:
            dropped += self._forget(key)
        self._compact()
        if taken is not None:
            for sid in [session_id] if session_id is not None else {k[0] for k in keys}:
                self._mark(sid, taken)
        return dropped

    def check(self, session_id: str, said: Said) -> None:
        """Raise ``HistoryDropped`` if a drop took what ``said`` carries."""
        marks = self.taken.get(session_id)
        if marks is None or marks.until < self.clock():
            return
        if refuses(marks.whole, marks.erased.get(said.by), said.by in marks.silenced, said):
            raise HistoryDropped(DROPPED_MESSAGE)

    async def returned(self, session_id: str, participant_id: str) -> None:
        marks = self.taken.get(session_id)
        if marks is not None:
            marks.silenced.discard(participant_id)

    def _forget_marks(self) -> None:
        """Marks past their use go (they name erased participants)."""
        now = self.clock()
        while self.taken and next(iter(self.taken.values())).until < now:
            self.taken.popitem(last=False)

    def _mark(self, session_id: str, taken: Taken) -> None:
        now = self.clock()
        self._forget_marks()
        marks = self.taken.pop(session_id, None) or _Marks(0.0)
        marks.until = now + self.bounds.seconds + TAKEN_MARGIN
        marks.whole = marks.whole or taken.whole
        for pid, up_to in taken.erased.items():
            marks.erased[pid] = max(up_to, marks.erased.get(pid, 0))
            marks.silenced.add(pid)
        self.taken[session_id] = marks
        while len(self.taken) > self.bounds.rooms:
            self.taken.popitem(last=False)

    async def sessions(self) -> list[str]:
        self._forget_marks()  # (each retention pass lists them: marks past their use go)
        return list(dict.fromkeys(k[0] for k in self.rooms))

    # -- bounds -----------------------------------------------------------------------------------

    def _room(self, key: Key) -> _Room:
        kept = self.rooms.get(key)
        if kept is None:
            kept = self.rooms[key] = _Room(secrets.token_hex(8))
            self.bytes += ROOM_OVERHEAD
            while len(self.rooms) > self.bounds.rooms:
                self._forget(next(iter(self.rooms)))
        return kept

    def _forget(self, key: Key) -> int:
        kept = self.rooms.pop(key)
        self.bytes -= kept.bytes + ROOM_OVERHEAD
        count = len(kept.entries)
        kept.entries.clear()
        kept.bytes = 0
        self.kept -= count
        return count

    def _pop_oldest(self, kept: _Room) -> None:
        entry = kept.entries.popleft()
        size = len(entry.data) + ENTRY_OVERHEAD
        kept.bytes -= size
        self.bytes -= size
        self.kept -= 1

    def _trim(self) -> None:
        """Drop entries past their age, then the oldest in all while over the byte bound."""
        cutoff = self.clock() - self.bounds.seconds
        order = self.order
        while order:
            key, kept, offset = order[0]
            alive = self.rooms.get(key) is kept and bool(kept.entries) \
                and kept.entries[0].offset <= offset
            if alive and kept.entries[0].at > cutoff and self.bytes <= self.bounds.bytes:
                break
            order.popleft()
            if alive and kept.entries[0].offset == offset:
                self._pop_oldest(kept)

    def _compact(self) -> None:
        """Leave in the order only the entries still kept, once it holds more than twice as
        many and ``ORDER_SLACK``: the scan costs at most twice the entries it removes, each
        removed once, so an append costs O(1) amortised."""
        if len(self.order) <= 2 * self.kept + ORDER_SLACK:
            return
        rooms = self.rooms
        self.order = deque(item for item in self.order
                           if rooms.get(item[0]) is item[1] and item[1].first() <= item[2])

    def stats(self) -> dict[str, int]:
        """Rooms, entries and bytes kept (for tests and the log)."""
        return {"rooms": len(self.rooms),
                "entries": sum(len(r.entries) for r in self.rooms.values()),
                "bytes": self.bytes}


# -- on the wire ----------------------------------------------------------------------------------


def position_wire(room: str, position: Position) -> PositionWire:
    return {"room": room, "epoch": position.epoch, "offset": position.offset}


class HistoryGoneOut(TypedDict):
    """What a room said after ``position`` is not kept, and was not sent: load the room again
    (a cluster's process whose channels were down, ``RedisHistory.resync``). ``latest``: where
    the room was then, the gap's end: a page that has seen it (it joined since) missed
    nothing."""

    position: PositionWire
    latest: PositionWire


HISTORY_GONE: Outbound[HistoryGoneOut] = Outbound("history_gone")


@runtime_checkable
class Broadcast(Protocol):
    """A history shared by several processes that also sends what it keeps, to every process
    in the order kept (``server.history_redis``)."""

    async def broadcast(self, session_id: str, room: str, message: Message,
                        skip_sid: str | None, said: Said | None = None,
                        once: Once | None = None) -> None: ...


_BROADCASTS: dict[type, bool] = {}


def _broadcasts(history: History) -> bool:
    """Whether ``history`` is a ``Broadcast``, known once per class: a check against a runtime
    protocol walks its members each time, and this is on every chat message's path."""
    kind = type(history)
    known = _BROADCASTS.get(kind)
    if known is None:
        known = _BROADCASTS[kind] = isinstance(history, Broadcast)
    return known


async def send_replayable(history: History, gateway: SocketGateway, session_id: str, room: str,
                          message: Message, *, skip_sid: str | None = None,
                          said: Said | None = None, once: Once | None = None) -> None:
    """Append a replayable message to its room's history and send it to the room, carrying its
    position. With several processes the history does both, once for the cluster, where the
    event happened (a process delivering another's command sends nothing of it). ``said``:
    whose words it carries; if a drop of the session's history took them, it is neither kept
    nor sent (``HistoryDropped``: a process a moment behind would bring back what a deletion
    took). ``once``: its id, for a sender that sends it again when a send failed (``Once``):
    kept and sent once, however many times its answer was lost."""
    if not origin_here.get():
        return
    if _broadcasts(history):
        await cast(Broadcast, history).broadcast(session_id, room, message, skip_sid, said,
                                                 once)
        return
    if said is not None and isinstance(history, MemoryHistory):
        history.check(session_id, said)  # (nothing awaited before the append)
    out = await stamped(history, session_id, room, message)
    await gateway.emit(out, room=room_key(session_id, room), skip_sid=skip_sid)


async def stamped(history: History, session_id: str, room: str, message: Message) -> Message:
    """Append a replayable message to its room's history first; the message to send, carrying
    its position (``"position": {"room", "epoch", "offset"}``)."""
    payload = message.payload
    assert isinstance(payload, dict)
    position = await history.append(session_id, room, message.event, payload)
    return Message(message.event, {**payload, "position": position_wire(room, position)})
