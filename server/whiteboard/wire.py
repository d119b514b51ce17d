"""The whiteboard on the wire: syncing, updates, cursors, clearing, listing and showing boards
(bounds of a board are in ``rooms.whiteboard``)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import Field, model_validator
from typing_extensions import TypedDict

from rooms.room import ROOM_ID_MAX
from server.protocol import (
    EmptyPayload,
    Inbound,
    InboundModel,
    OkAck,
    Outbound,
    PositionWire,
    RoomWire,
    Text,
)

BOARD_STATE_MAX = 64 * 1024  # a state vector: a few bytes per client that ever edited
CURSOR_RANGE = 1_000_000.0
GENERATION_MAX = 2**53  # a board's generation: how many times it was deleted (JSON-safe)
# Boards of rooms from before room ids named their round ("b1") can still be listed and shown.
BOARD_ROOM_MAX = 64


class BoardRoomPayload(InboundModel):
    """``board_clear``: the room's board (it must be the sender's own room)."""

    room: Text = Field(min_length=1, max_length=ROOM_ID_MAX)


class BoardSyncPayload(InboundModel):
    room: Text = Field(min_length=1, max_length=ROOM_ID_MAX)
    state: bytes = Field(default=b"", max_length=BOARD_STATE_MAX)
    # The generation of the board the page's copy came from (its last sync's), if it has one:
    # a copy of a deleted board is answered with the whole board, not told what it lacks.
    generation: int | None = Field(default=None, ge=0, le=GENERATION_MAX)


class BoardUpdatePayload(InboundModel):
    room: Text = Field(min_length=1, max_length=ROOM_ID_MAX)
    update: bytes  # its size limit is a setting, checked by the board (payload_too_large)
    # Of the board the change was made on (the page's last sync): refused, ``board_deleted``,
    # when the board was deleted since.
    generation: int | None = Field(default=None, ge=0, le=GENERATION_MAX)


class BoardCursorPayload(InboundModel):
    room: Text = Field(min_length=1, max_length=ROOM_ID_MAX)
    x: float | None = Field(ge=-CURSOR_RANGE, le=CURSOR_RANGE, allow_inf_nan=False)
    y: float | None = Field(ge=-CURSOR_RANGE, le=CURSOR_RANGE, allow_inf_nan=False)

    @model_validator(mode="after")
    def _both_or_neither(self) -> BoardCursorPayload:
        if (self.x is None) != (self.y is None):
            raise ValueError("give both 'x' and 'y', or both null (the pointer left the board)")
        return self


class BoardShowPayload(InboundModel):
    room: Text | None = Field(min_length=1, max_length=BOARD_ROOM_MAX)


class BoardLimitsWire(TypedDict):
    update_bytes: int
    board_bytes: int


class ShownWire(TypedDict):
    room: str
    name: str
    update: bytes


class BoardListing(TypedDict):
    room: str
    name: str
    items: int
    bytes: int


class SyncAck(TypedDict):
    ok: Literal[True]
    room: RoomWire
    update: bytes
    state: bytes
    can_draw: bool
    can_clear: bool
    can_show: bool
    limits: BoardLimitsWire
    shown: ShownWire | None
    generation: int


class UpdateAck(TypedDict):
    ok: Literal[True]
    held: NotRequired[bool]


class ListAck(TypedDict):
    ok: Literal[True]
    boards: list[BoardListing]
    shown: str | None


class ShowAck(TypedDict):
    ok: Literal[True]
    shown: str | None


# ``position``: the message's place in the room's history (added as it is appended);
# ``generation``: of the board the updates were made on.
BoardUpdateOut = TypedDict("BoardUpdateOut", {"room": str, "update": bytes, "from": list[str],
                                              "generation": NotRequired[int],
                                              "position": NotRequired[PositionWire]})


class CursorsOut(TypedDict):
    room: str
    cursors: list[dict[str, Any]]


class ShownOut(TypedDict):
    shown: ShownWire | None


class DeletedOut(TypedDict):
    room: str | None  # None: every board of the session


SYNC: Inbound[BoardSyncPayload, SyncAck] = Inbound("board_sync", BoardSyncPayload)
UPDATE: Inbound[BoardUpdatePayload, UpdateAck] = Inbound("board_update", BoardUpdatePayload)
CURSOR: Inbound[BoardCursorPayload, OkAck] = Inbound("board_cursor", BoardCursorPayload)
CLEAR: Inbound[BoardRoomPayload, OkAck] = Inbound("board_clear", BoardRoomPayload)
LIST: Inbound[EmptyPayload, ListAck] = Inbound("board_list", EmptyPayload)
SHOW: Inbound[BoardShowPayload, ShowAck] = Inbound("board_show", BoardShowPayload)

BOARD_UPDATE: Outbound[BoardUpdateOut] = Outbound("board_update")
BOARD_CURSORS: Outbound[CursorsOut] = Outbound("board_cursors")
BOARD_SHOWN: Outbound[ShownOut] = Outbound("board_shown")
BOARD_DELETED: Outbound[DeletedOut] = Outbound("board_deleted")
