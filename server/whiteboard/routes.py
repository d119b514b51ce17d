"""REST for whiteboards (admin key): a session's boards, one board's data as JSON, and deletion
on request. Boards are read from disk, so they outlive the session and the server process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from rooms.room import MAIN_ROOM
from rooms.whiteboard import BoardKey
from server.context import Context
from server.http import NotFound, require_admin
from server.openapi import ANY_JSON, path_params
from server.whiteboard.events import WhiteboardEvents


@dataclass(slots=True)
class WhiteboardRoutes:
    ctx: Context
    events: WhiteboardEvents

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/sessions/{session_id}/boards", self.list_boards)
        r.add_delete("/api/sessions/{session_id}/boards", self.delete_boards)
        r.add_get("/api/sessions/{session_id}/boards/{room}", self.get_board)
        doc = self.ctx.openapi
        doc.described("/api/sessions/{session_id}/boards", "get", "The session's whiteboards",
                      200, "one entry per room's board", ANY_JSON, (400, 401, 404),
                      path_params("session_id"))
        doc.described("/api/sessions/{session_id}/boards", "delete",
                      "Delete the session's whiteboards", 200, "what was deleted", ANY_JSON,
                      (400, 401, 404), path_params("session_id"))
        doc.described("/api/sessions/{session_id}/boards/{room}", "get",
                      "One whiteboard's items as JSON", 200, "the board's items", ANY_JSON,
                      (400, 401, 404), path_params("session_id", "room"))

    async def list_boards(self, request: web.Request) -> web.Response:
        await require_admin(request)
        session_id = request.match_info["session_id"]
        BoardKey(session_id, MAIN_ROOM)  # a safe id, else invalid_payload
        boards = await self.events.board_list(session_id)
        meta = await self.events.boards.store.read_meta(session_id)
        if not boards and meta is None:  # never drawn on, or deleted on request
            raise NotFound(f"Session {session_id} has no whiteboards.")
        return web.json_response({
            "session_id": session_id,
            "title": meta.title if meta else None,
            "pair_key": meta.pair_key if meta else None,
            "boards": boards,
        })

    async def get_board(self, request: web.Request) -> web.Response:
        """The board's data: every item with its fields, as the clients wrote them (audited before
        it leaves)."""
        admin = await require_admin(request)
        key = BoardKey(request.match_info["session_id"], request.match_info["room"])
        listed = {b["room"]: b for b in await self.events.board_list(key.session_id)}
        if key.room not in listed:
            raise NotFound(f"Session {key.session_id} has no board in room {key.room!r}.")
        board = await self.events.boards.stored(key)
        await self.ctx.audit.record(admin, "board.downloaded",
                                    f"sessions/{key.session_id}/boards/{key.room}")
        body: dict[str, Any] = {
            "session_id": key.session_id,
            "room": key.room,
            "name": listed[key.room]["name"],
            "exported_at": self.ctx.clock(),
            "bytes": board.stored_bytes,
            "items": board.to_json(),
        }
        filename = f"board-{key.session_id}-{key.room.replace(':', '-')}.json"
        return web.json_response(body, headers={
            "Content-Disposition": f'attachment; filename="{filename}"'})

    async def delete_boards(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        session_id = request.match_info["session_id"]
        BoardKey(session_id, MAIN_ROOM)
        deleted = await self.events.delete(
            session_id, None, lambda: self.events.boards.store.delete_session(session_id))
        await self.ctx.audit.record(admin, "boards.deleted", f"sessions/{session_id}/boards",
                                    {"deleted": deleted})
        return web.json_response({"session_id": session_id, "deleted": deleted})
