"""REST for whiteboards (admin key): a session's boards, one board's data as JSON, and deletion
on request. Boards are read from disk, so they outlive the session and the server process.

``install`` also wires the whiteboard into the app: the durable store under the data directory,
the socket events, and the store's worker running with the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from rooms.whiteboard import BoardKey
from server.http_routes import NotFound, require_admin
from server.settings import Settings
from server.socketio_events import SocketGateway
from server.whiteboard_events import WhiteboardEvents
from server.whiteboard_events import install as install_events
from server.whiteboard_store import BoardStore

BOARDS_DIR = "whiteboards"
WHITEBOARD = web.AppKey("whiteboard", WhiteboardEvents)


class WhiteboardRoutes:
    def __init__(self, settings: Settings, gateway: SocketGateway,
                 events: WhiteboardEvents) -> None:
        self.settings = settings
        self.gateway = gateway
        self.events = events

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/sessions/{session_id}/boards", self.list_boards)
        r.add_delete("/api/sessions/{session_id}/boards", self.delete_boards)
        r.add_get("/api/sessions/{session_id}/boards/{room}", self.get_board)

    def _require_admin(self, request: web.Request) -> None:
        require_admin(request, self.settings)

    async def list_boards(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        session_id = request.match_info["session_id"]
        BoardKey(session_id, "main")  # a safe id, else invalid_payload
        boards = await self.events.board_list(session_id)
        meta = await self.events.boards.store.read_meta(session_id)
        return web.json_response({
            "session_id": session_id,
            "title": meta.title if meta else None,
            "pair_key": meta.pair_key if meta else None,
            "boards": boards,
        })

    async def get_board(self, request: web.Request) -> web.Response:
        """The board's data: every item with its fields, as the clients wrote them."""
        self._require_admin(request)
        key = BoardKey(request.match_info["session_id"], request.match_info["room"])
        listed = {b["room"]: b for b in await self.events.board_list(key.session_id)}
        if key.room not in listed:
            raise NotFound(f"Session {key.session_id} has no board in room {key.room!r}.")
        board = await self.events.boards.stored(key)
        body: dict[str, Any] = {
            "session_id": key.session_id,
            "room": key.room,
            "name": listed[key.room]["name"],
            "exported_at": self.gateway.clock(),
            "bytes": board.stored_bytes,
            "items": board.to_json(),
        }
        return web.json_response(body, headers={
            "Content-Disposition":
                f'attachment; filename="board-{key.session_id}-{key.room}.json"'})

    async def delete_boards(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        session_id = request.match_info["session_id"]
        BoardKey(session_id, "main")
        self.events.boards.forget(session_id)
        self.events.metas.pop(session_id, None)
        deleted = await self.events.boards.store.delete_session(session_id)
        return web.json_response({"session_id": session_id, "deleted": deleted})


def install(app: web.Application, settings: Settings, gateway: SocketGateway) -> WhiteboardEvents:
    """Keep boards under ``<data dir>/whiteboards``, add the board events and routes, and run
    the store with the app (pending writes reach the disk before it stops)."""
    store = BoardStore(settings.data_dir / BOARDS_DIR)
    events = install_events(gateway, store)
    WhiteboardRoutes(settings, gateway, events).add_to(app)
    app[WHITEBOARD] = events

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await store.start()
        yield
        await store.close()

    app.cleanup_ctx.append(lifecycle)
    return events
