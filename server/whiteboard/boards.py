"""Board documents: one pycrdt ``Doc`` per (session, room), loaded from and kept in the
``BoardStorage`` (files, or Redis shared by several processes).

An update from a client is checked before it touches a board: its size, then that it decodes, in
a scratch document of its own, and creates no top-level type but the board's ``items`` map. Only
then is it applied, queued for the disk, and relayed. A board's document never holds a pending
update (one it cannot integrate, kept in memory outside its encoded state): an update that builds
on changes the board lacks is held beside the document, unstored and unrelayed, until an update
brings what it builds on (it then lands after that one) or ``HELD_SECONDS`` pass (it is dropped);
a board holds a few at most, and refuses more with ``board_out_of_order``. A board whose stored
size (snapshot plus log) grows past ``compact_bytes`` over its snapshot is compacted: the snapshot
is re-encoded from the document, which also drops what deletions left behind.

With several processes (``server.whiteboard.sync``), every update this process keeps is handed
to ``on_kept`` once it is stored, for the others; an update another process kept is ``merge``d:
applied to the document (once what it builds on is there: such updates wait beside the
document, as held ones do), never stored or relayed again here.

A write the store did not take (Redis out of reach or too slow, the disk failing) is refused to
its sender (``not_recorded``), yet its update stays in the document: it was relayed to the room
already, and the next updates (its sender's, or anyone's who built on it) depend on it. So an
update is acknowledged only once the store holds everything it builds on: when an earlier write
of the board failed, the failed updates are written again first (after it in the store, which
is harmless: a load, a compaction and the other processes all hold an update until what it
builds on comes), and told to the other processes, which would otherwise hold every later
update aside for ever. If that second write fails too, the update is refused as well, and the
next one tries again. Dropping the board from memory instead would rely on a page pushing the
failed update again on its next sync, yet the page may be gone, and the other processes would
still wait for it. The failed updates kept for a second try hold at most a board's worth of
bytes; past it they are replaced by the whole document, which holds them all.

A board is read again from the store (``read_again``: when too many updates of others wait)
only once its writes in flight are stored: read before, it would lack them, and this process
ignores the updates it published itself. After this process missed other processes' messages
(its channel was down), each board is brought in line with the store instead (``catch_up``): it
gets what it lacks, and keeps the updates of its own people that are not stored yet; a board
that lacks changes this process read from the store or saw stored (``Board.known``) was deleted
meanwhile (and perhaps drawn on again), and is dropped as a deletion drops it. A write of a
board that reaches the store after another process deleted the board is refused there (each
write carries the ``Fence`` its board was read at): the change fails (``board_deleted``) and the
board is dropped as a deletion drops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, Map, TransactionEvent, merge_updates

from rooms.errors import BoardDeleted, InvalidPayload
from rooms.whiteboard import BOARD_ROOTS, HELD_SECONDS, BoardKey, BoardLimits
from server.whiteboard.store import BoardStorage, Fence, StoredBoard
from server.whiteboard.yjs import Needs, read_needs, read_state

logger = logging.getLogger(__name__)

# The origin of changes the server makes itself (a mentor's clear).
SERVER_ORIGIN = "tandem-server"
# Boards kept in memory at most; the least recently used idle one is dropped past it (its data
# is on disk).
LOADED_MAX = 500
# Updates of other processes waiting for what they build on, per board; past it the board is
# dropped from memory and read again from the store on its next use (the store has them all).
ARRIVING_MAX = 256
EMPTY_UPDATE = b"\x00\x00"
Seed = Callable[[], Awaitable[bytes | None]]


@dataclass(frozen=True, slots=True)
class Change:
    """One client update and who sent it (participant ``pid`` over connection ``sid``)."""

    update: bytes
    pid: str
    sid: str | None


@dataclass(frozen=True, slots=True)
class _Held:
    change: Change
    needs: Needs
    since: float


class Board:
    """One board's document, its stored size, and the checks its updates pass."""

    def __init__(self, key: BoardKey, limits: BoardLimits) -> None:
        self.key = key
        self.limits = limits
        self.doc: Doc[Any] = Doc()
        self.items = self.doc.get("items", type=Map)
        self.stored_bytes = 0  # snapshot plus log, what the disk holds
        self.snapshot_bytes = 0
        self.updates_since_snapshot = 0
        self.held: list[_Held] = []  # updates waiting for what they build on, oldest first
        # Updates other processes kept that build on changes not here yet, oldest first; and
        # the bytes of theirs applied since the snapshot (theirs to compact, not this one's).
        self.arriving: list[tuple[bytes, Needs]] = []
        self.merged_bytes = 0
        # Writes of this board queued so far; those whose update the store did not take, by
        # number (the first failed one's), until they are written again; the second writes in
        # flight, each with the lowest number it holds.
        self.writes = 0
        self.unsaved: list[tuple[int, bytes]] = []
        self.retrying: list[tuple[int, asyncio.Future[list[None]]]] = []
        # Updates on their way to the store, by number (until it answers).
        self.sending: dict[int, bytes] = {}
        # How far each client's changes reach that this process read from the store or saw
        # stored (loaded, merged, or its own writes the store took): the store holds them all
        # unless the board was deleted.
        self.known: dict[int, int] = {}
        # To be read again from the store once its writes in flight are stored.
        self.stale = False
        # Dropped from memory because the store deleted it: nothing of it is written again.
        self.deleted = False
        # The generation it is of (``Session.board_generation`` as of after its load).
        self.generation: int | None = None
        # What it was read at, carried by its writes (the store refuses them once the board
        # was deleted since).
        self.fence = Fence()

    @property
    def held_bytes(self) -> int:
        return sum(len(h.change.update) for h in self.held)

    # -- reading ----------------------------------------------------------------------------------

    def state_vector(self) -> bytes:
        return self.doc.get_state()

    def missing(self, state_vector: bytes) -> bytes:
        """The update a replica with ``state_vector`` lacks (everything for an empty one)."""
        if not state_vector:
            return self.doc.get_update()
        try:
            return self.doc.get_update(state_vector)
        except ValueError:
            raise InvalidPayload("state: not a CRDT state vector.") from None

    def encoded(self) -> bytes:
        return self.doc.get_update()

    def to_json(self) -> dict[str, Any]:
        items = self.items.to_py() or {}
        return {str(k): v for k, v in items.items()}

    # -- changing ---------------------------------------------------------------------------------

    def check(self, update: bytes) -> None:
        """Refuse an update that is over size or malformed, without touching the board."""
        self.limits.check_update(len(update))
        scratch: Doc[Any] = Doc()
        try:
            scratch.apply_update(update)
        except ValueError:
            raise InvalidPayload("update: not a CRDT update (it does not decode).") from None
        if merge_updates(update) == EMPTY_UPDATE:
            raise InvalidPayload("update: it changes nothing.")
        stray = set(scratch.keys()) - BOARD_ROOTS
        if stray:
            raise InvalidPayload(
                f"update: a board has only {sorted(BOARD_ROOTS)}, not {sorted(stray)[:3]}."
            )

    def fits(self, update: bytes) -> bool:
        """Whether the board stays within its size with ``update``. Re-measures the board (and
        tries the update on a copy) only near the bound."""
        held = self.held_bytes
        if self.limits.fits(self.stored_bytes + held, len(update)):
            return True
        exact = len(self.encoded()) + held
        if self.limits.fits(exact, len(update)):
            return True
        trial: Doc[Any] = Doc()
        trial.apply_update(self.encoded())
        trial.apply_update(update)
        return len(trial.get_update()) + held <= max(exact, self.limits.board_bytes)

    def builds_on_known(self, needs: Needs) -> bool:
        return needs.builds_on_known(read_state(self.state_vector()))

    def expire(self, now: float) -> None:
        """Drop held updates whose dependencies did not come in time."""
        self.held = [h for h in self.held if now - h.since <= HELD_SECONDS]

    def apply(self, update: bytes) -> None:
        self.doc.apply_update(update)
        self.stored_bytes += len(update)
        self.updates_since_snapshot += 1

    def merge(self, update: bytes, needs: Needs) -> None:
        """Apply an update another process kept."""
        self.doc.apply_update(update)
        self.stored_bytes += len(update)
        self.merged_bytes += len(update)
        _reach(self.known, needs)

    def clear(self) -> bytes:
        """Delete every item; return the update that does it (empty if there was nothing)."""
        captured: list[bytes] = []

        def capture(event: TransactionEvent) -> None:
            captured.append(event.update)

        if not len(self.items):
            return b""
        sub = self.doc.observe(capture)
        try:
            with self.doc.transaction(origin=SERVER_ORIGIN):
                for item_id in list(self.items.keys()):
                    del self.items[item_id]
        finally:
            self.doc.unobserve(sub)
        if not captured:
            return b""
        update = captured[0]
        if update:
            self.stored_bytes += len(update)
            self.updates_since_snapshot += 1
        return update

    def snapshot_taken(self, snapshot: bytes) -> None:
        self.stored_bytes = self.snapshot_bytes = len(snapshot)
        self.updates_since_snapshot = self.merged_bytes = 0

    def needs_compaction(self, compact_bytes: int) -> bool:
        return self.stored_bytes - self.snapshot_bytes - self.merged_bytes > compact_bytes


@dataclass(frozen=True, slots=True)
class Landed:
    """What one client update did: the changes that reached the board, in order (the update,
    then held ones it completed), with a future resolving once they are on disk; nothing when
    the update was held."""

    changes: tuple[Change, ...]
    written: asyncio.Future[None]

    @property
    def held(self) -> bool:
        return not self.changes


@dataclass(frozen=True, slots=True)
class Cleared:
    update: bytes  # empty when the board had nothing to clear
    written: asyncio.Future[None]


async def _none(writes: Awaitable[list[None]]) -> None:
    await writes


def _replay(board: Board, updates: tuple[bytes, ...]) -> int:
    """Apply stored updates in order, each one that builds on a change not yet applied once that
    change is; return how many never could be (they are left out)."""
    waiting: list[tuple[bytes, Needs]] = []
    for update in updates:
        try:
            needs = read_needs(update)
        except InvalidPayload:
            board.doc.apply_update(update)  # stored before updates were read: as it was
            continue
        if not board.builds_on_known(needs):
            waiting.append((update, needs))
            continue
        board.doc.apply_update(update)
        while (ready := next((w for w in waiting if board.builds_on_known(w[1])), None)):
            waiting.remove(ready)
            board.doc.apply_update(ready[0])
    return len(waiting)


def _reach(known: dict[int, int], needs: Needs) -> None:
    """Extend ``known`` to the changes an update (read as ``needs``) carries."""
    for client, runs in needs.runs.items():
        ends = [clock + length for clock, length, skip in runs if not skip]
        if ends and max(ends) > known.get(client, 0):
            known[client] = max(ends)


def _done() -> asyncio.Future[None]:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


@dataclass(slots=True)
class Boards:
    """The boards loaded in this process, over the durable store."""

    store: BoardStorage
    limits: BoardLimits = field(default_factory=BoardLimits)
    compact_bytes: int = 256 * 1024
    loaded: dict[BoardKey, Board] = field(default_factory=dict)
    loading: dict[BoardKey, asyncio.Future[Board]] = field(default_factory=dict)
    busy: dict[BoardKey, int] = field(default_factory=dict)  # writes not yet on disk
    # Told of each update this process keeps, once it is stored (the other processes apply it).
    on_kept: Callable[[BoardKey, bytes], None] | None = None
    # Told when the store refused a write of a loaded board, deleted since it was read (the
    # board is dropped from memory already; the feature lets go of the rest).
    on_deleted: Callable[[BoardKey], None] | None = None

    async def get(self, key: BoardKey, seed: Seed | None = None) -> Board:
        """The board of ``key``, loaded from disk on first use. ``seed`` gives the starting
        state of a board that has never been stored (a pair's earlier board)."""
        board = self.loaded.get(key)
        if board is not None:
            self.loaded[key] = self.loaded.pop(key)  # most recently used last
            return board
        pending = self.loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Board] = asyncio.get_running_loop().create_future()
        self.loading[key] = future
        try:
            board = await self._load(key, seed)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it themselves
            raise
        finally:
            del self.loading[key]
        future.set_result(board)
        self.loaded[key] = board
        self._evict()
        return board

    async def _load(self, key: BoardKey, seed: Seed | None) -> Board:
        board = Board(key, self.limits)
        stored = await self.store.load(key)
        if stored.snapshot is not None:
            board.doc.apply_update(stored.snapshot)
        dropped = _replay(board, stored.updates)
        board.snapshot_bytes = len(stored.snapshot or b"")
        board.stored_bytes = stored.size
        board.updates_since_snapshot = len(stored.updates)
        board.known = read_state(board.state_vector())
        board.fence = stored.fence
        if dropped:
            # Kept by an earlier version, which let a document hold updates it could not
            # integrate: they never showed, and a new snapshot leaves them out.
            logger.warning("board %s/%s: %d stored updates build on changes it never had; "
                           "dropped", key.session_id, key.room, dropped)
            await self._compact(board)
        if stored.snapshot is None and not stored.updates and seed is not None:
            initial = await seed()
            if initial:
                board.doc.apply_update(initial)
                # Appended rather than compacted: a compaction adds nothing the store does not
                # hold already (``RedisBoardStore.compact``), and this is a new board's start.
                await self.store.append(key, initial, board.fence)
                board.stored_bytes += len(initial)
                board.updates_since_snapshot += 1
                board.known = read_state(board.state_vector())
                if self.on_kept is not None:
                    self.on_kept(key, initial)
                logger.info("board %s/%s starts from an earlier board of the pair",
                            key.session_id, key.room)
        return board

    def _evict(self) -> None:
        while len(self.loaded) > LOADED_MAX:
            for key in self.loaded:
                if not self.busy.get(key):
                    del self.loaded[key]
                    break
            else:
                return

    def apply(self, board: Board, change: Change, now: float) -> Landed:
        """Check one client update and apply it, with the held updates it completes, queued for
        the disk; or hold it when it builds on changes the board lacks. Raises
        ``InvalidPayload``, ``PayloadTooLarge``, ``BoardFull`` or ``BoardOutOfOrder`` with the
        board untouched."""
        update = change.update
        board.check(update)
        needs = read_needs(update)
        board.expire(now)
        if not board.fits(update):
            raise board.limits.full(board.stored_bytes + board.held_bytes)
        if not board.builds_on_known(needs):
            if not board.limits.may_hold(len(board.held), board.held_bytes, len(update)):
                raise board.limits.out_of_order()
            board.held.append(_Held(change, needs, now))
            return Landed((), _done())
        board.apply(update)
        return self._release(board, [change], [self._keep(board, update, needs)])

    def merge(self, board: Board, update: bytes, now: float) -> Landed:
        """Apply an update another process kept (once what it builds on is here), with the
        held client updates it completes: those are kept here, and returned to be relayed."""
        try:
            needs = read_needs(update)
        except InvalidPayload:
            logger.error("board %s/%s: an update from another process does not read",
                         board.key.session_id, board.key.room)
            return Landed((), _done())
        board.expire(now)
        if not board.builds_on_known(needs):
            if board.stale:
                return Landed((), _done())  # to be read again from the store, which has it
            board.arriving.append((update, needs))
            if len(board.arriving) > ARRIVING_MAX:
                logger.warning("board %s/%s: %d updates of other processes wait for what "
                               "they build on; read again from the store", board.key.session_id,
                               board.key.room, len(board.arriving))
                self.read_again(board)
            return Landed((), _done())
        board.merge(update, needs)
        while (ready := next((a for a in board.arriving if board.builds_on_known(a[1])),
                             None)) is not None:
            board.arriving.remove(ready)
            board.merge(*ready)
        return self._release(board, [], [])

    def _release(self, board: Board, landed: list[Change],
                 writes: list[asyncio.Future[None]]) -> Landed:
        """Apply and keep the held updates the board now has everything for."""
        while (ready := next((h for h in board.held if board.builds_on_known(h.needs)),
                             None)) is not None:
            board.held.remove(ready)
            board.apply(ready.change.update)
            landed.append(ready.change)
            writes.append(self._keep(board, ready.change.update, ready.needs))
        if not writes:
            return Landed((), _done())
        written = writes[0] if len(writes) == 1 else asyncio.ensure_future(
            _none(asyncio.gather(*writes)))
        return Landed(tuple(landed), written)

    def clear(self, board: Board) -> Cleared:
        update = board.clear()
        if not update:
            return Cleared(b"", _done())
        return Cleared(update, self._keep(board, update))

    def _keep(self, board: Board, update: bytes, needs: Needs | None = None
              ) -> asyncio.Future[None]:
        """Queue ``update`` (applied to the board) for the store; the future resolves once the
        store holds it and everything it builds on."""
        key, number = board.key, board.writes
        board.writes += 1
        writes: list[asyncio.Future[None]] = [self._append(board, number, update, needs)]
        if board.needs_compaction(self.compact_bytes) and not board.deleted:
            writes.append(self._compact(board))
        self.busy[key] = self.busy.get(key, 0) + 1
        written = asyncio.ensure_future(self._written(board, number, asyncio.gather(*writes)))
        written.add_done_callback(lambda _: self._settled(key))
        return written

    def _append(self, board: Board, number: int, update: bytes,
                needs: Needs | None = None) -> asyncio.Future[None]:
        """Queue one write of ``update``: told to the other processes once stored, kept for a
        second try if the store did not take it."""
        key = board.key
        appended = self.store.append(key, update, board.fence)
        board.sending[number] = update
        tell = self.on_kept

        def stored(f: asyncio.Future[None]) -> None:
            board.sending.pop(number, None)
            if not f.cancelled() and isinstance(f.exception(), BoardDeleted):
                self._refused(board)
                return
            if f.cancelled() or f.exception() is not None:
                board.unsaved.append((number, update))
                if sum(len(u) for _, u in board.unsaved) > board.limits.board_bytes:
                    board.unsaved = [(min(n for n, _ in board.unsaved), board.encoded())]
                return
            try:
                _reach(board.known, needs or read_needs(update))
            except InvalidPayload:  # made by pycrdt or read already: not expected
                logger.error("board %s/%s: a stored update does not read", key.session_id,
                             key.room)
            if tell is not None:
                tell(key, update)

        appended.add_done_callback(stored)
        return appended

    async def _written(self, board: Board, number: int, kept: Awaitable[list[None]]) -> None:
        """Once the write of update ``number`` is done, write again the earlier updates of the
        board that the store did not take (every write before it is done by then: the store
        keeps the order), and wait for those writes."""
        await kept
        if board.deleted:
            return  # what the store did not take of a deleted board is not written again
        if any(n < number for n, _ in board.unsaved):
            entries, board.unsaved = board.unsaved, []
            retry = asyncio.gather(*(self._append(board, n, u) for n, u in entries))
            entry = (min(n for n, _ in entries), retry)
            board.retrying.append(entry)
            retry.add_done_callback(lambda _: board.retrying.remove(entry))
        waits = [asyncio.shield(f) for lowest, f in board.retrying if lowest < number]
        if waits:
            await asyncio.gather(*waits)

    def _settled(self, key: BoardKey) -> None:
        self.busy[key] -= 1
        if self.busy[key]:
            return
        del self.busy[key]
        board = self.loaded.get(key)
        if board is not None and board.stale:
            del self.loaded[key]

    def _compact(self, board: Board) -> asyncio.Future[None]:
        snapshot = board.encoded()
        board.snapshot_taken(snapshot)
        compacted = self.store.compact(board.key, snapshot, board.fence)

        def done(f: asyncio.Future[None]) -> None:
            if not f.cancelled() and isinstance(f.exception(), BoardDeleted):
                self._refused(board)

        compacted.add_done_callback(done)
        return compacted

    def _refused(self, board: Board) -> None:
        """The store refused a write of ``board``: the board was deleted since it was read
        (another process deleted it, and this one was not told yet, or its write was on its
        way). Nothing of it is written again, and it is read afresh on its next use."""
        board.deleted = True
        if self.loaded.get(board.key) is not board:
            return  # dropped already (perhaps read afresh since)
        del self.loaded[board.key]
        logger.info("board %s/%s was deleted since this process read it; dropped from memory",
                    board.key.session_id, board.key.room)
        if self.on_deleted is not None:
            self.on_deleted(board.key)

    async def stored(self, key: BoardKey) -> Board:
        """A board read for export: the loaded one, or a fresh read from disk."""
        board = self.loaded.get(key)
        if board is not None:
            return board
        return await self._load(key, None)

    def read_again(self, board: Board) -> None:
        """Have ``board`` read from the store on its next use: dropped from memory now, or once
        its writes in flight are stored (a read before would lack them)."""
        if self.loaded.get(board.key) is not board:
            return
        if self.busy.get(board.key):
            board.stale = True
        else:
            del self.loaded[board.key]

    def catch_up(self, board: Board, stored: StoredBoard, now: float,
                 known: dict[int, int] | None = None) -> Landed | None:
        """Bring ``board`` in line with ``stored`` (what the store holds now) after this process
        missed other processes' messages: what it lacks is merged as their updates are (held
        updates it completes land too, to be relayed); its updates not stored yet stay. None
        when the store lacks changes the board read from it or saw stored: the board was
        deleted meanwhile (perhaps drawn on again since), and the caller drops it. ``known``:
        ``Board.known`` when the store was read (later writes may be missing from the read)."""
        there = Board(board.key, board.limits)
        if stored.snapshot is not None:
            there.doc.apply_update(stored.snapshot)
        # This process's updates not stored yet go in too, as some stored ones may build on
        # them (relayed before they were stored); only what the store holds is counted.
        own = tuple(board.sending.values()) + tuple(u for _, u in board.unsaved)
        holds = read_state(there.state_vector())
        _replay(there, stored.updates + own)
        state = read_state(there.state_vector())
        for update in stored.updates:
            try:
                needs = read_needs(update)
            except InvalidPayload:  # kept before updates were read: count everything
                holds = state
                break
            if needs.builds_on_known(state):
                _reach(holds, needs)
        known = board.known if known is None else known  # (as of the read of ``stored``)
        if any(clock > holds.get(client, 0) for client, clock in known.items()):
            return None
        missing = there.doc.get_update(board.state_vector())
        if missing == EMPTY_UPDATE:
            return Landed((), _done())
        return self.merge(board, missing, now)

    def forget(self, session_id: str, rooms: list[str] | None = None, *,
               deleted: bool = False) -> None:
        """Drop boards of a session (of ``rooms`` only, when given) from memory; ``deleted``:
        the store deleted them, so what they hold is never written again (a write of one on its
        way already is refused by the store, whose fence moved with the deletion, or, with the
        files, was queued before the deletion)."""
        for key in [k for k in self.loaded if k.session_id == session_id
                    and (rooms is None or k.room in rooms)]:
            board = self.loaded.pop(key)
            board.deleted = board.deleted or deleted
