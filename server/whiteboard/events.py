"""Socket events of the shared whiteboard: syncing a client with its room's board, applying and
relaying updates, cursors, a mentor's clear, and showing a breakout's board in the main room.

A client's board is the board of the room it is in: every event names the room, and one that
names another room is refused (``not_same_room``), so an update drawn just before a move can never
land on the new room's board. Which board is on show in the main room is the session's (it comes
back after a restart); the boards themselves are pycrdt documents kept by ``Boards``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from redis.exceptions import RedisError

from rooms.commands import DeleteBoards, EditBoard, ShowBoard
from rooms.errors import InvalidPayload, SessionNotFound
from rooms.events import (
    BoardEdited,
    BoardsDeleted,
    BoardShown,
    Event,
    ParticipantLeft,
    ParticipantMoved,
    SessionEnded,
)
from rooms.roles import Action, can
from rooms.room import MAIN_ROOM, breakout_parts
from rooms.views import MemberView
from rooms.whiteboard import BoardKey, drawer_marks
from server.context import Context
from server.delivery import nothing_to_send
from server.gateway import Connection, room_key, session_key
from server.protocol import OK, EmptyPayload, OkAck
from server.whiteboard import wire as w
from server.whiteboard.boards import Board, Boards, Change
from server.whiteboard.relay import Relay
from server.whiteboard.store import BoardMeta, board_deleted
from server.whiteboard.sync import BoardSync

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class WhiteboardEvents:
    ctx: Context
    boards: Boards
    relay: Relay
    metas: dict[str, BoardMeta] = field(default_factory=dict)  # read-through cache of the disk
    sync: BoardSync | None = None  # with several processes

    def register(self) -> None:
        gw, d, lim = self.ctx.gateway, self.ctx.delivery, self.ctx.settings.limits
        gw.on(w.SYNC, self.on_sync, lim.other_rate, lim.other_burst)
        gw.on(w.UPDATE, self.on_update, lim.board_update_rate, lim.board_update_burst)
        gw.on(w.CURSOR, self.on_cursor, lim.board_cursor_rate, lim.board_cursor_burst)
        gw.on(w.CLEAR, self.on_clear, lim.other_rate, lim.other_burst)
        gw.on(w.LIST, self.on_list, lim.other_rate, lim.other_burst)
        gw.on(w.SHOW, self.on_show, lim.other_rate, lim.other_burst)
        d.deliver_with(BoardEdited, nothing_to_send)  # the update itself is relayed coalesced
        d.deliver_with(BoardShown, self._shown)
        d.deliver_with(BoardsDeleted, self._boards_deleted)
        d.add_recorder(self._presence)
        # What waits to be relayed of a board is bounded as the board is; past it the relay
        # sends the board's whole document instead.
        self.relay.max_bytes = self.boards.limits.board_bytes
        self.relay.whole = self._whole
        # A board the store refused a write of (deleted since it was read, through another
        # process) is let go of here as a deletion's message would.
        self.boards.on_deleted = lambda key: self.forget_here(key.session_id, [key.room],
                                                              deleted=True)

    def forget_here(self, session_id: str, rooms: list[str] | None = None, *,
                    deleted: bool = False) -> None:
        """Drop boards of a session (of ``rooms``; all when None) from this process's memory;
        ``deleted``: they are deleted from the store, and nothing of them is written again."""
        self.boards.forget(session_id, rooms, deleted=deleted)
        self.relay.forget(session_id, rooms, deleted=deleted)
        self.metas.pop(session_id, None)

    async def delete(self, session_id: str, rooms: list[str] | None,
                     deletion: Callable[[], Awaitable[T]]) -> T:
        """Delete boards of a session (of ``rooms``; all when None): from the store, as
        ``deletion`` does, and from everywhere else (``deleted``). Each board is of a new
        generation (the session keeps it) as this starts and again once it is done: a page's
        copy read before or meanwhile is of neither, so nothing of it is taken back."""
        await self._new_generation(session_id, rooms, final=False)
        self.forget_here(session_id, rooms, deleted=True)
        try:
            return await deletion()
        finally:  # the deletion may have been made though its answer was lost
            await self.deleted(session_id, rooms)

    async def deleted(self, session_id: str, rooms: list[str] | None = None) -> None:
        """Boards were deleted from the store (or may have been: the store's answer was lost):
        drop them from memory, here and in the other processes, and tell the pages showing
        them, each board now of a new generation."""
        self.forget_here(session_id, rooms, deleted=True)
        if self.sync is not None:
            await self.sync.forget(session_id, rooms)
        await self._new_generation(session_id, rooms, final=True)
        # A board loaded meanwhile (its load may have read the store as the deletion ran) is
        # of a generation before the final one: it goes too.
        keys = [k for k, b in self.boards.loaded.items() if k.session_id == session_id
                and (rooms is None or k.room in rooms) and b.generation is not None]
        if keys:
            try:
                now = await self.ctx.store.read(
                    session_id, lambda s: {k.room: s.board_generation(k.room) for k in keys})
            except SessionNotFound:
                return
            stale = [k.room for k in keys if (board := self.boards.loaded.get(k)) is not None
                     and board.generation is not None and board.generation < now[k.room]]
            if stale:
                self.forget_here(session_id, stale, deleted=True)

    async def _new_generation(self, session_id: str, rooms: list[str] | None, *,
                              final: bool) -> None:
        command = DeleteBoards(None if rooms is None else tuple(rooms), final, self.ctx.clock())
        try:
            await self.ctx.execute(session_id, command)
        except SessionNotFound:
            pass  # a session no longer held has nobody to show its boards to

    async def _boards_deleted(self, e: BoardsDeleted, actor_sid: str | None) -> None:
        """The pages showing deleted boards drop their copies (``board_deleted``): a page
        syncing again later would otherwise send its copy back, as a new board."""
        if not e.final:
            return
        try:
            for room in e.rooms if e.rooms is not None else [None]:
                await self.ctx.gateway.emit(w.BOARD_DELETED({"room": room}),
                                            room=session_key(e.session_id))
        except (RedisError, OSError):
            logger.warning("session %s: the pages showing its deleted boards could not be told "
                           "(Redis is out of reach)", e.session_id)

    # -- helpers ----------------------------------------------------------------------------------

    def _whole(self, key: BoardKey) -> bytes | None:
        board = self.boards.loaded.get(key)
        return None if board is None else board.encoded()

    async def _member(self, conn: Connection, action: Action, room: str | None = None, *,
                      latest: bool = False) -> MemberView:
        """Who is asking, checked by the session: connected, may do ``action``, and is in
        ``room`` (when it is given) now. ``latest``: by the session with every change kept so
        far (with several processes, this process's copy may lag behind a deletion's)."""
        pid = conn.joined_id()
        read = self.ctx.store.read_latest if latest else self.ctx.store.read
        return await read(
            conn.session_id, lambda s: s.member(pid, conn.sid, action=action, room=room))

    async def _board(self, session_id: str, member: MemberView) -> Board:
        room = member.room.id
        await self._remember(session_id, member)
        key = BoardKey(session_id, room)

        async def seed() -> bytes | None:
            found = await self._earlier_board(session_id, member.pair_key)
            if found is None:
                return None
            # The copy carries the marks of who changed the original, so that a deletion
            # request for one of them finds it too.
            earlier, update = found
            meta = await self._meta(earlier)
            if meta is not None and meta.drawn_by.get(MAIN_ROOM):
                await self._mark(session_id, MAIN_ROOM, meta.drawn_by[MAIN_ROOM])
            return update

        board = await self.boards.get(key, seed if room == MAIN_ROOM else None)
        if board.generation is None:
            # As of now, not of ``member`` (read before the load): a deletion may have run
            # meanwhile (one still running drops this board once it is done: ``deleted``).
            board.generation = await self.ctx.store.read(
                session_id, lambda s: s.board_generation(room))
        return board

    async def _meta(self, session_id: str) -> BoardMeta | None:
        return self.metas.get(session_id) or await self.boards.store.read_meta(session_id)

    async def _remember(self, session_id: str, member: MemberView) -> None:
        """Keep the session's title, pair, creation time and room names beside its boards,
        for listings, the pair's next session and the retention rule."""
        room = member.room
        meta = self.metas.get(session_id)
        if meta is None:
            meta = await self.boards.store.read_meta(session_id)
        if meta is None:
            created = await self.ctx.store.read(session_id, lambda s: s.created_at)
            meta = BoardMeta(session_id, member.session_title, member.pair_key, created)
        if meta.rooms.get(room.id) != room.name or session_id not in self.metas:
            meta = meta.with_room(room.id, room.name)
            self.metas[session_id] = meta
            await self.boards.store.write_meta(meta)

    async def _mark(self, session_id: str, room: str, marks: tuple[str, ...]) -> None:
        """Remember beside the session's boards that ``marks`` changed the board of ``room``
        (queued before the change itself, so on disk no later than it)."""
        meta = await self._meta(session_id)  # there since the board was opened
        if meta is None or all(m in meta.drawn_by.get(room, ()) for m in marks):
            return
        meta = meta.with_marks(room, marks)
        self.metas[session_id] = meta
        await self.boards.store.write_meta(meta)

    async def _earlier_board(self, session_id: str, key: str | None
                             ) -> tuple[str, bytes] | None:
        if key is None:
            return None
        for earlier in reversed(await self.boards.store.pair_sessions(key)):
            if earlier == session_id:
                continue
            board = await self.boards.stored(BoardKey(earlier, MAIN_ROOM))
            if len(board.items):
                return earlier, board.encoded()
        return None

    # -- events -----------------------------------------------------------------------------------

    async def on_sync(self, conn: Connection, p: w.BoardSyncPayload) -> w.SyncAck:
        member = await self._member(conn, Action.VIEW_BOARD, p.room)
        session_id = conn.session_id
        board = await self._board(session_id, member)
        role = member.participant.role
        generation = member.board_generation
        # A copy of a board deleted since is answered with the whole board: the page drops it
        # (what it lacks, reckoned from what the copy holds, would miss what the copy had).
        state = p.state if p.generation in (None, generation) else b""
        shown = None
        if p.room == MAIN_ROOM:
            room = await self.ctx.store.read(session_id, lambda s: s.board_shown)
            shown = None if room is None else await self._shown_wire(session_id, room)
        return {
            "ok": True,
            "room": {"id": p.room, "name": member.room.name},
            "update": board.missing(state),
            "state": board.state_vector(),
            "can_draw": can(role, Action.DRAW_ON_BOARD),
            "can_clear": can(role, Action.CLEAR_BOARD),
            "can_show": can(role, Action.SHOW_BOARDS),
            "limits": {
                "update_bytes": board.limits.update_bytes,
                "board_bytes": board.limits.board_bytes,
            },
            "shown": shown,
            "generation": generation,
        }

    async def on_update(self, conn: Connection, p: w.BoardUpdatePayload) -> w.UpdateAck:
        # A change naming its copy's generation is checked against the latest one.
        member = await self._member(conn, Action.DRAW_ON_BOARD, p.room,
                                    latest=p.generation is not None)
        if p.generation is not None and p.generation != member.board_generation:
            raise board_deleted()
        board = await self._board(conn.session_id, member)
        who = member.participant
        pid = who.id
        # Marked before the change is queued for the disk: no change of theirs is ever kept on
        # a board that a deletion request for them would not find (a refused one may mark it).
        await self._mark(conn.session_id, p.room,
                         drawer_marks(conn.session_id, pid, who.person_id))
        if board.deleted:  # while this was awaited (nothing is awaited from here to the apply)
            raise board_deleted()
        landed = self.boards.apply(board, Change(p.update, pid, conn.sid), self.ctx.clock())
        if landed.held:
            # Acknowledged now: this connection's next events (the change it builds on, or its
            # sync) are read only after this handler returns.
            return {"ok": True, "held": True}
        for change in landed.changes:
            await self.relay.update(board.key, change.update, change.pid, change.sid,
                                    board.generation)
        await self.ctx.execute(
            conn.session_id, EditBoard(pid, conn.sid, p.room, False, self.ctx.clock()), conn.sid
        )
        await landed.written
        return {"ok": True}

    async def on_cursor(self, conn: Connection, p: w.BoardCursorPayload) -> OkAck:
        member = await self._member(conn, Action.VIEW_BOARD, p.room)
        who = member.participant
        self.relay.cursor(
            BoardKey(conn.session_id, p.room),
            who.id,
            {"from": who.id, "name": who.name, "x": p.x, "y": p.y},
        )
        return OK

    async def on_clear(self, conn: Connection, p: w.BoardRoomPayload) -> OkAck:
        member = await self._member(conn, Action.CLEAR_BOARD, p.room)
        session_id = conn.session_id
        board = await self._board(session_id, member)
        if board.deleted:
            raise board_deleted()
        cleared = self.boards.clear(board)
        pid = member.participant.id
        if cleared.update:
            # The mentor's own replica learns of the clear from the relay too: it did not make it.
            await self.relay.update(board.key, cleared.update, pid, None, board.generation)
            await self.ctx.execute(
                session_id, EditBoard(pid, conn.sid, p.room, True, self.ctx.clock()), conn.sid
            )
        await cleared.written
        logger.info("board %s of session %s cleared by %s", p.room, session_id, pid)
        return OK

    async def on_list(self, conn: Connection, p: EmptyPayload) -> w.ListAck:
        await self._member(conn, Action.SHOW_BOARDS)
        shown = await self.ctx.store.read(conn.session_id, lambda s: s.board_shown)
        return {"ok": True, "boards": await self.board_list(conn.session_id), "shown": shown}

    async def on_show(self, conn: Connection, p: w.BoardShowPayload) -> w.ShowAck:
        pid, session_id = conn.joined_id(), conn.session_id
        await self._member(conn, Action.SHOW_BOARDS)
        if p.room is not None and p.room not in {
            b["room"] for b in await self.board_list(session_id)
        }:
            raise InvalidPayload(f"room: this session has no board in room {p.room!r}.")
        await self.ctx.execute(
            session_id, ShowBoard(pid, conn.sid, p.room, self.ctx.clock()), conn.sid
        )
        return {"ok": True, "shown": p.room}

    async def board_list(self, session_id: str) -> list[w.BoardListing]:
        """Every board of a session, on disk or in memory: room, name, items, bytes."""
        rooms = set(await self.boards.store.rooms(session_id))
        rooms |= {k.room for k in self.boards.loaded if k.session_id == session_id}
        meta = self.metas.get(session_id) or await self.boards.store.read_meta(session_id)
        names = meta.rooms if meta is not None else {}
        out: list[w.BoardListing] = []
        for room in sorted(rooms, key=_room_order):
            board = await self.boards.stored(BoardKey(session_id, room))
            out.append(
                {
                    "room": room,
                    "name": _listed_name(room, names.get(room, room)),
                    "items": len(board.items),
                    "bytes": board.stored_bytes,
                }
            )
        return out

    async def _shown_wire(self, session_id: str, room: str) -> w.ShownWire:
        board = await self.boards.stored(BoardKey(session_id, room))
        meta = self.metas.get(session_id) or await self.boards.store.read_meta(session_id)
        name = meta.rooms.get(room, room) if meta is not None else room
        return {"room": room, "name": name, "update": board.encoded()}

    # -- delivery ---------------------------------------------------------------------------------

    async def _shown(self, e: BoardShown, actor_sid: str | None) -> None:
        shown = None if e.room is None else await self._shown_wire(e.session_id, e.room)
        await self.ctx.gateway.emit(
            w.BOARD_SHOWN({"shown": shown}), room=room_key(e.session_id, MAIN_ROOM)
        )

    async def _presence(self, events: Sequence[Event]) -> None:
        """Someone left a room: their pointer goes; a session ended: forget its boards."""
        for event in events:
            if isinstance(event, ParticipantMoved):
                self.relay.gone(
                    BoardKey(event.session_id, event.from_room),
                    event.participant.id,
                    event.participant.name,
                )
            elif isinstance(event, ParticipantLeft) and event.reason != "server_restart":
                self.relay.gone(
                    BoardKey(event.session_id, event.participant.room),
                    event.participant.id,
                    event.participant.name,
                )
            elif isinstance(event, SessionEnded):
                # The boards stay on disk (REST reads them there); memory is freed at once.
                self.forget_here(event.session_id)


def _room_order(room: str) -> tuple[bool, int, int, str]:
    """The main room first, then rounds in order, rooms in order within a round."""
    if room == MAIN_ROOM:
        return (False, 0, 0, "")
    round_, index = breakout_parts(room) or (0, 0)
    return (True, round_, index, room)


def _listed_name(room: str, name: str) -> str:
    """A breakout board's name with its round, since rooms' names repeat from round to round."""
    parts = breakout_parts(room)
    return f"{name} (round {parts[0]})" if parts is not None and name != room else name
