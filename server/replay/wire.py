"""Missed events on the wire (docs/PROTOCOL.md, "Missed events")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from typing_extensions import TypedDict

from rooms.room import ROOM_ID_MAX
from server.protocol import WHOLE_NUMBER, Inbound, InboundModel, PositionWire, Text

# Offsets are integers a browser reads exactly (JavaScript's safe integers).
OFFSET_MAX = 2**53 - 1
EPOCH_MAX = 64


class ReplayPayload(InboundModel):
    room: Text = Field(min_length=1, max_length=ROOM_ID_MAX)
    epoch: Text = Field(min_length=1, max_length=EPOCH_MAX)
    offset: Annotated[int, Field(ge=0, le=OFFSET_MAX), WHOLE_NUMBER]


class ReplayedWire(TypedDict):
    """One missed event: its name and its payload exactly as it was sent live (position
    included)."""

    event: str
    payload: dict[str, Any]


class ReplayAck(TypedDict):
    ok: Literal[True]
    position: PositionWire  # the room's latest position when the answer was made
    events: list[ReplayedWire]
    more: bool  # cut short by the size of one answer: ask again from the last event's offset


REPLAY: Inbound[ReplayPayload, ReplayAck] = Inbound("replay", ReplayPayload)
