"""Media through the server on the wire: the publish and subscribe connections, the slot map,
the room's route, and screen shares (docs/PROTOCOL.md, "Media: peer to peer or through the
server")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from typing_extensions import TypedDict

from server.protocol import SDP_MAX, EmptyPayload, Inbound, InboundModel, OkAck, Outbound, Text

MID_MAX = 32
PARTICIPANT_ID_MAX = 64


# -- socket: inbound ------------------------------------------------------------------------------


class PublishPayload(InboundModel):
    sdp: Text = Field(min_length=1, max_length=SDP_MAX)
    screen_mid: Text | None = Field(default=None, max_length=MID_MAX)


class SubscribePayload(InboundModel):
    video: bool = True


class AnswerPayload(InboundModel):
    sdp: Text = Field(min_length=1, max_length=SDP_MAX)


class ReceivePayload(InboundModel):
    video: bool


class FallbackPayload(InboundModel):
    peer: Text = Field(min_length=1, max_length=PARTICIPANT_ID_MAX)


class ScreenSharePayload(InboundModel):
    on: bool


class ScreenStopPayload(InboundModel):
    participant_id: Text = Field(min_length=1, max_length=PARTICIPANT_ID_MAX)


class ScreenPolicyPayload(InboundModel):
    many: bool


# -- acknowledgements and outbound ----------------------------------------------------------------


class SlotWire(TypedDict):
    mid: str
    kind: Literal["audio", "video"]
    participant_id: str | None
    source: Literal["camera", "screen"] | None


class PublishAck(TypedDict):
    ok: Literal[True]
    sdp: str


class SubscribeAck(TypedDict):
    ok: Literal[True]
    sdp: str
    slots: list[SlotWire]


class FallbackAck(TypedDict):
    ok: Literal[True]
    route: str


class RouteOut(TypedDict):
    room: str
    route: str


class ScreenPolicyOut(TypedDict):
    room: str
    many: bool


class OfferOut(TypedDict):
    sdp: str
    slots: list[SlotWire]


class SlotsOut(TypedDict):
    slots: list[SlotWire]


PUBLISH: Inbound[PublishPayload, PublishAck] = Inbound("media_publish", PublishPayload)
SUBSCRIBE: Inbound[SubscribePayload, SubscribeAck] = Inbound("media_subscribe", SubscribePayload)
ANSWER: Inbound[AnswerPayload, OkAck] = Inbound("media_answer", AnswerPayload)
RECEIVE: Inbound[ReceivePayload, OkAck] = Inbound("media_receive", ReceivePayload)
STOP: Inbound[EmptyPayload, OkAck] = Inbound("media_stop", EmptyPayload)
FALLBACK: Inbound[FallbackPayload, FallbackAck] = Inbound("media_fallback", FallbackPayload)
SCREEN_SHARE: Inbound[ScreenSharePayload, OkAck] = Inbound("screen_share", ScreenSharePayload)
SCREEN_STOP: Inbound[ScreenStopPayload, OkAck] = Inbound("screen_stop", ScreenStopPayload)
SCREEN_POLICY: Inbound[ScreenPolicyPayload, OkAck] = Inbound("screen_policy",
                                                             ScreenPolicyPayload)

MEDIA_ROUTE: Outbound[RouteOut] = Outbound("media_route")
MEDIA_OFFER: Outbound[OfferOut] = Outbound("media_offer")
MEDIA_SLOTS: Outbound[SlotsOut] = Outbound("media_slots")
SCREEN_POLICY_CHANGED: Outbound[ScreenPolicyOut] = Outbound("screen_policy_changed")
