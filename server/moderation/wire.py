"""The moderation feature on the wire: what mentors (and admins) send to keep a session safe, and
what the people concerned are told. (Revoking a join link is REST, with the links: sessions.)"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from typing_extensions import TypedDict

from server.protocol import EmptyPayload, Inbound, InboundModel, OkAck, Outbound, Text, WaiterWire

ID_MAX = 64


class ModeratePayload(InboundModel):
    participant_id: Text = Field(min_length=1, max_length=ID_MAX)
    action: Literal["mute", "stop_camera", "stop_screen", "allow", "remove"]
    # For mute and stop_camera: they cannot turn it back on until a mentor allows it.
    lock: bool = False


class WaiterPayload(InboundModel):
    waiting_id: Text = Field(min_length=1, max_length=ID_MAX)


class LockPayload(InboundModel):
    locked: bool


class WaitingOut(TypedDict):
    waiting: list[WaiterWire]


class ModeratedOut(TypedDict):
    """What the person acted on is told (mute, stop_camera, stop_screen, allow)."""

    action: str
    locked: bool
    by: str  # the role of who did it: "mentor" or "admin"


class SessionLockedOut(TypedDict):
    locked: bool


MODERATE: Inbound[ModeratePayload, OkAck] = Inbound("moderate", ModeratePayload)
ADMIT: Inbound[WaiterPayload, OkAck] = Inbound("admit", WaiterPayload)
DECLINE: Inbound[WaiterPayload, OkAck] = Inbound("decline", WaiterPayload)
SESSION_LOCK: Inbound[LockPayload, OkAck] = Inbound("session_lock", LockPayload)
END_SESSION: Inbound[EmptyPayload, OkAck] = Inbound("end_session", EmptyPayload)

WAITING: Outbound[WaitingOut] = Outbound("waiting")
MODERATED: Outbound[ModeratedOut] = Outbound("moderated")
SESSION_LOCKED: Outbound[SessionLockedOut] = Outbound("session_locked")
