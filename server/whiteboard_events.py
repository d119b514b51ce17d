"""Socket.IO adapter for the shared whiteboard: syncing a client with its room's board, applying
and relaying updates, cursors, a mentor's clear, and showing a breakout's board in the main room.

A client's board is the board of the room it is in: every event names the room, and one that
names another room is refused (``not_same_room``), so an update drawn just before a move can
never land on the new room's board. Updates are relayed to the room coalesced: the first after a
quiet spell goes at once, later ones within ``RELAY_INTERVAL`` are merged into one message, so a
busy room costs at most one delivery per member per interval whatever the number of people
drawing. Cursors are never stored; the room receives them in batches every ``CURSOR_INTERVAL``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from pycrdt import merge_updates

from rooms.errors import InvalidPayload, NotSameRoom
from rooms.events import DomainEvent, ParticipantLeft, ParticipantMoved, SessionEnded
from rooms.participant import MAIN_ROOM, Participant
from rooms.roles import Action, can, require
from rooms.session import Session
from rooms.whiteboard import (
    BoardCleared,
    BoardEdited,
    BoardKey,
    BoardLimits,
    BoardShown,
    pair_key,
)
from server.protocol import (
    BoardCursorPayload,
    BoardRoomPayload,
    BoardShowPayload,
    BoardSyncPayload,
    BoardUpdatePayload,
    EmptyPayload,
    parse,
    room_wire,
)
from server.socketio_events import Ack, Connection, SocketGateway, room_key
from server.whiteboard import Board, Boards
from server.whiteboard_store import BoardMeta, BoardStore

logger = logging.getLogger(__name__)

RELAY_INTERVAL = 0.03
CURSOR_INTERVAL = 0.1


@dataclass(slots=True)
class _Outbox:
    """Updates of one board waiting to be relayed together."""

    updates: list[bytes] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)  # participant ids
    sids: set[str | None] = field(default_factory=set)
    last_sent: float = float("-inf")
    scheduled: bool = False


@dataclass(slots=True)
class _Cursors:
    """Cursor positions of one room since the last batch (the latest per participant)."""

    moved: dict[str, dict[str, Any]] = field(default_factory=dict)
    scheduled: bool = False


@dataclass(frozen=True, slots=True)
class _Member:
    participant: Participant
    session_title: str
    room_name: str
    pair_key: str | None


@dataclass(slots=True)
class WhiteboardEvents:
    gateway: SocketGateway
    boards: Boards
    relay_interval: float = RELAY_INTERVAL
    cursor_interval: float = CURSOR_INTERVAL
    outboxes: dict[BoardKey, _Outbox] = field(default_factory=dict)
    cursors: dict[BoardKey, _Cursors] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)  # session id -> room shown in main
    metas: dict[str, BoardMeta] = field(default_factory=dict)

    def register(self) -> None:
        gw, lim = self.gateway, self.gateway.settings.limits
        gw.handle("board_sync", self.on_sync, lim.other_rate, lim.other_burst)
        gw.handle("board_update", self.on_update, lim.board_update_rate, lim.board_update_burst)
        gw.handle("board_cursor", self.on_cursor, lim.board_cursor_rate, lim.board_cursor_burst)
        gw.handle("board_clear", self.on_clear, lim.other_rate, lim.other_burst)
        gw.handle("board_list", self.on_list, lim.other_rate, lim.other_burst)
        gw.handle("board_show", self.on_show, lim.other_rate, lim.other_burst)
        gw.deliver_with(BoardEdited, self._edited)
        gw.deliver_with(BoardCleared, self._cleared)
        gw.deliver_with(BoardShown, self._shown)
        gw.add_listener(self._presence)

    # -- helpers --------------------------------------------------------------------------------

    async def _member(self, conn: Connection, room: str, action: Action) -> _Member:
        """Who is asking, checked: may do ``action`` and is in ``room`` now."""
        pid = conn.joined_id()

        def query(s: Session) -> _Member:
            p = s.participant(pid)
            return _Member(p, s.title, room_wire(s, p.room)["name"], pair_key(s.plan))

        member = await self.gateway.store.read(conn.claims.session_id, query)
        require(member.participant.role, action)
        if member.participant.room != room:
            raise NotSameRoom(
                f"Your board is the one of your room ({member.participant.room!r}), "
                f"not {room!r}; sync it again."
            )
        return member

    async def _board(self, session_id: str, member: _Member) -> Board:
        room = member.participant.room
        await self._remember(session_id, member, room)
        key = BoardKey(session_id, room)

        async def seed() -> bytes | None:
            return await self._earlier_board(session_id, member.pair_key)

        return await self.boards.get(key, seed if room == MAIN_ROOM else None)

    async def _remember(self, session_id: str, member: _Member, room: str) -> None:
        """Keep the session's title, pair and room names beside its boards, for listings and
        for the pair's next session."""
        meta = self.metas.get(session_id)
        if meta is None:
            meta = await self.boards.store.read_meta(session_id) or BoardMeta(
                session_id, member.session_title, member.pair_key, self.gateway.clock())
        if meta.rooms.get(room) != member.room_name or session_id not in self.metas:
            meta = BoardMeta(meta.session_id, meta.title, meta.pair_key, meta.created_at,
                             {**meta.rooms, room: member.room_name})
            self.metas[session_id] = meta
            await self.boards.store.write_meta(meta)

    async def _earlier_board(self, session_id: str, key: str | None) -> bytes | None:
        if key is None:
            return None
        for earlier in reversed(await self.boards.store.pair_sessions(key)):
            if earlier == session_id:
                continue
            board = await self.boards.stored(BoardKey(earlier, MAIN_ROOM))
            if len(board.items):
                return board.encoded()
        return None

    # -- events ---------------------------------------------------------------------------------

    async def on_sync(self, conn: Connection, data: Any) -> Ack:
        p = parse(BoardSyncPayload, data)
        member = await self._member(conn, p.room, Action.VIEW_BOARD)
        session_id = conn.claims.session_id
        board = await self._board(session_id, member)
        role = member.participant.role
        ack: Ack = {
            "ok": True,
            "room": {"id": p.room, "name": member.room_name},
            "update": board.missing(p.state),
            "state": board.state_vector(),
            "can_draw": can(role, Action.DRAW_ON_BOARD),
            "can_clear": can(role, Action.CLEAR_BOARD),
            "can_show": can(role, Action.SHOW_BOARDS),
            "limits": {"update_bytes": board.limits.update_bytes,
                       "board_bytes": board.limits.board_bytes},
            "shown": None,
        }
        shown = self.shown.get(session_id)
        if p.room == MAIN_ROOM and shown is not None:
            ack["shown"] = await self._shown_wire(session_id, shown)
        return ack

    async def on_update(self, conn: Connection, data: Any) -> Ack:
        p = parse(BoardUpdatePayload, data)
        member = await self._member(conn, p.room, Action.DRAW_ON_BOARD)
        session_id = conn.claims.session_id
        board = await self._board(session_id, member)
        kept = self.boards.apply(board, p.update)
        await self.gateway.deliver([BoardEdited(
            session_id, self.gateway.clock(), p.room, member.participant.id, conn.sid, p.update)],
            actor_sid=conn.sid)
        await kept
        return {"ok": True}

    async def on_cursor(self, conn: Connection, data: Any) -> Ack:
        p = parse(BoardCursorPayload, data)
        member = await self._member(conn, p.room, Action.VIEW_BOARD)
        who = member.participant
        self._cursor(BoardKey(conn.claims.session_id, p.room), who.id,
                     {"from": who.id, "name": who.name, "x": p.x, "y": p.y})
        return {"ok": True}

    async def on_clear(self, conn: Connection, data: Any) -> Ack:
        p = parse(BoardRoomPayload, data)
        member = await self._member(conn, p.room, Action.CLEAR_BOARD)
        session_id = conn.claims.session_id
        board = await self._board(session_id, member)
        kept = self.boards.clear(board)
        if kept.update:
            await self.gateway.deliver([BoardCleared(
                session_id, self.gateway.clock(), p.room, member.participant.id, kept.update)],
                actor_sid=conn.sid)
        await kept.written
        logger.info("board %s of session %s cleared by %s", p.room, session_id,
                    member.participant.id)
        return {"ok": True}

    async def on_list(self, conn: Connection, data: Any) -> Ack:
        parse(EmptyPayload, data)
        pid = conn.joined_id()
        session_id = conn.claims.session_id
        role = await self.gateway.store.read(session_id, lambda s: s.participant(pid).role)
        require(role, Action.SHOW_BOARDS)
        return {"ok": True, "boards": await self.board_list(session_id),
                "shown": self.shown.get(session_id)}

    async def on_show(self, conn: Connection, data: Any) -> Ack:
        p = parse(BoardShowPayload, data)
        pid = conn.joined_id()
        session_id = conn.claims.session_id
        role = await self.gateway.store.read(session_id, lambda s: s.participant(pid).role)
        require(role, Action.SHOW_BOARDS)
        if p.room is not None and p.room not in {b["room"] for b in
                                                 await self.board_list(session_id)}:
            raise InvalidPayload(f"room: this session has no board in room {p.room!r}.")
        await self.gateway.deliver(
            [BoardShown(session_id, self.gateway.clock(), pid, p.room)], actor_sid=conn.sid)
        return {"ok": True, "shown": p.room}

    async def board_list(self, session_id: str) -> list[dict[str, Any]]:
        """Every board of a session, on disk or in memory: room, name, items, bytes."""
        rooms = set(await self.boards.store.rooms(session_id))
        rooms |= {k.room for k in self.boards.loaded if k.session_id == session_id}
        meta = self.metas.get(session_id) or await self.boards.store.read_meta(session_id)
        names = meta.rooms if meta is not None else {}
        out = []
        for room in sorted(rooms, key=lambda r: (r != MAIN_ROOM, len(r), r)):
            board = await self.boards.stored(BoardKey(session_id, room))
            out.append({"room": room, "name": names.get(room, room), "items": len(board.items),
                        "bytes": board.stored_bytes})
        return out

    async def _shown_wire(self, session_id: str, room: str) -> dict[str, Any]:
        board = await self.boards.stored(BoardKey(session_id, room))
        meta = self.metas.get(session_id)
        name = meta.rooms.get(room, room) if meta is not None else room
        return {"room": room, "name": name, "update": board.encoded()}

    # -- delivery -------------------------------------------------------------------------------

    async def _edited(self, e: BoardEdited, actor_sid: str | None) -> None:
        await self._relay(BoardKey(e.session_id, e.room), e.update, e.participant_id, actor_sid)

    async def _cleared(self, e: BoardCleared, actor_sid: str | None) -> None:
        # The mentor's own replica learns of the clear from the relay too: it did not make it.
        await self._relay(BoardKey(e.session_id, e.room), e.update, e.participant_id, None)

    async def _shown(self, e: BoardShown, actor_sid: str | None) -> None:
        if e.room is None:
            self.shown.pop(e.session_id, None)
            payload: dict[str, Any] = {"shown": None}
        else:
            self.shown[e.session_id] = e.room
            payload = {"shown": await self._shown_wire(e.session_id, e.room)}
        await self.gateway.sio.emit("board_shown", payload,
                                    room=room_key(e.session_id, MAIN_ROOM))

    async def _relay(self, key: BoardKey, update: bytes, pid: str, sid: str | None) -> None:
        box = self.outboxes.get(key)
        if box is None:
            box = self.outboxes[key] = _Outbox()
        box.updates.append(update)
        box.senders.append(pid)
        box.sids.add(sid)
        if box.scheduled:
            return
        wait = box.last_sent + self.relay_interval - _now()
        if wait <= 0:
            await self._flush(key)
        else:
            box.scheduled = True
            self.gateway.spawn(self._flush_later(key, wait))

    async def _flush_later(self, key: BoardKey, wait: float) -> None:
        await asyncio.sleep(wait)
        await self._flush(key)

    async def _flush(self, key: BoardKey) -> None:
        box = self.outboxes.get(key)
        if box is None or not box.updates:
            return
        updates, senders, sids = box.updates, box.senders, box.sids
        box.updates, box.senders, box.sids = [], [], set()
        box.scheduled = False
        box.last_sent = _now()
        update = updates[0] if len(updates) == 1 else merge_updates(*updates)
        # Skip the sender when it is the only one (it has the change); a merged batch from
        # several goes to all (a replica ignores what it already has).
        skip = next(iter(sids)) if len(sids) == 1 else None
        await self.gateway.sio.emit(
            "board_update",
            {"room": key.room, "update": update, "from": list(dict.fromkeys(senders))},
            room=room_key(key.session_id, key.room), skip_sid=skip,
        )

    def _cursor(self, key: BoardKey, pid: str, cursor: dict[str, Any]) -> None:
        batch = self.cursors.get(key)
        if batch is None:
            batch = self.cursors[key] = _Cursors()
        batch.moved[pid] = cursor
        if not batch.scheduled:
            batch.scheduled = True
            self.gateway.spawn(self._send_cursors(key))

    async def _send_cursors(self, key: BoardKey) -> None:
        await asyncio.sleep(self.cursor_interval)
        batch = self.cursors.pop(key, None)
        if batch is None or not batch.moved:
            return
        await self.gateway.sio.emit(
            "board_cursors", {"room": key.room, "cursors": list(batch.moved.values())},
            room=room_key(key.session_id, key.room),
        )

    async def _presence(self, event: DomainEvent) -> None:
        """Someone left a room: their cursor goes; a session ended: forget its boards."""
        if isinstance(event, ParticipantMoved):
            self._cursor(BoardKey(event.session_id, event.from_room), event.participant.id,
                         {"from": event.participant.id, "name": event.participant.name,
                          "x": None, "y": None})
        elif isinstance(event, ParticipantLeft):
            self._cursor(BoardKey(event.session_id, event.participant.room),
                         event.participant.id,
                         {"from": event.participant.id, "name": event.participant.name,
                          "x": None, "y": None})
        elif isinstance(event, SessionEnded):
            # The boards stay on disk (REST reads them there); memory is freed at once.
            self.shown.pop(event.session_id, None)
            self.metas.pop(event.session_id, None)
            self.boards.forget(event.session_id)
            for key in [k for k in self.outboxes if k.session_id == event.session_id]:
                if not self.outboxes[key].scheduled:
                    del self.outboxes[key]


def _now() -> float:
    return asyncio.get_running_loop().time()


def install(gateway: SocketGateway, store: BoardStore) -> WhiteboardEvents:
    lim = gateway.settings.limits
    boards = Boards(store, BoardLimits(lim.board_update_bytes, lim.board_bytes))
    events = WhiteboardEvents(gateway, boards)
    events.register()
    return events
