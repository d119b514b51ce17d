"""The breakouts feature on the wire: the mentor's commands, the participants' choices and help
requests, and what everyone is sent when the round changes or someone moves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from typing_extensions import TypedDict

from rooms.breakout import DURATION_MAX, MAX_ROOMS
from rooms.chat import TEXT_MAX
from rooms.room import ROOM_ID_MAX
from server.protocol import (
    BreakoutWire,
    ChatMessageWire,
    ClientId,
    EmptyPayload,
    Inbound,
    InboundModel,
    Outbound,
    ParticipantWire,
    PositionWire,
    RoomWire,
    Text,
)

SECONDS_MAX = int(DURATION_MAX)


class BreakoutCreatePayload(InboundModel):
    count: int | None = Field(default=None, ge=1, le=MAX_ROOMS)
    names: list[Text] = Field(default_factory=list, max_length=MAX_ROOMS)
    allow_choice: bool = False
    from_groups: bool = False


class BreakoutAssignPayload(InboundModel):
    participant_id: Text = Field(min_length=1, max_length=64)
    room: Text | None = Field(max_length=ROOM_ID_MAX)


class BreakoutOpenPayload(InboundModel):
    duration_seconds: int | None = None


class BreakoutAdjustPayload(InboundModel):
    add_seconds: int = Field(ge=-SECONDS_MAX, le=SECONDS_MAX)
    # The page's id for this change: sent again with it after a lost connection, it is applied
    # once (as a chat message's).
    client_id: ClientId | None = None


class BreakoutClosePayload(InboundModel):
    countdown_seconds: int = 10


class BreakoutBroadcastPayload(InboundModel):
    text: Text = Field(min_length=1, max_length=TEXT_MAX)
    client_id: ClientId | None = None  # posted once, as a chat message's


class RoomPayload(InboundModel):
    room: Text = Field(min_length=1, max_length=ROOM_ID_MAX)


class BreakoutsAck(TypedDict):
    ok: Literal[True]
    breakouts: BreakoutWire | None


class MovedOut(TypedDict):
    participant: ParticipantWire
    from_room: str


class RoomChangedOut(TypedDict):
    room: RoomWire
    chat: list[ChatMessageWire]
    media_route: str
    screens_many: bool
    position: PositionWire  # where the new room's history was as the mover entered it


class BreakoutsOut(TypedDict):
    breakouts: BreakoutWire


class WarningOut(TypedDict):
    ends_at: float
    seconds_left: float


A = BreakoutsAck
CREATE: Inbound[BreakoutCreatePayload, A] = Inbound("breakout_create", BreakoutCreatePayload)
ASSIGN: Inbound[BreakoutAssignPayload, A] = Inbound("breakout_assign", BreakoutAssignPayload)
AUTO_ASSIGN: Inbound[EmptyPayload, A] = Inbound("breakout_auto_assign", EmptyPayload)
OPEN: Inbound[BreakoutOpenPayload, A] = Inbound("breakout_open", BreakoutOpenPayload)
ADJUST: Inbound[BreakoutAdjustPayload, A] = Inbound("breakout_adjust", BreakoutAdjustPayload)
CLOSE: Inbound[BreakoutClosePayload, A] = Inbound("breakout_close", BreakoutClosePayload)
DISCARD: Inbound[EmptyPayload, A] = Inbound("breakout_discard", EmptyPayload)
BROADCAST: Inbound[BreakoutBroadcastPayload, A] = Inbound("breakout_broadcast",
                                                          BreakoutBroadcastPayload)
VISIT: Inbound[RoomPayload, A] = Inbound("breakout_visit", RoomPayload)
CHOOSE: Inbound[RoomPayload, A] = Inbound("breakout_choose", RoomPayload)
HELP_REQUEST: Inbound[EmptyPayload, A] = Inbound("help_request", EmptyPayload)
HELP_WITHDRAW: Inbound[EmptyPayload, A] = Inbound("help_withdraw", EmptyPayload)

PARTICIPANT_MOVED: Outbound[MovedOut] = Outbound("participant_moved")
ROOM_CHANGED: Outbound[RoomChangedOut] = Outbound("room_changed")
BREAKOUTS: Outbound[BreakoutsOut] = Outbound("breakouts")
BREAKOUT_WARNING: Outbound[WarningOut] = Outbound("breakout_warning")

