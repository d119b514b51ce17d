"""The webhooks REST bodies and answers (docs/PROGRAMMES.md, "Webhooks")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from server.announcements import AnnouncementType
from server.protocol import InboundModel, Text
from server.webhooks.guard import URL_MAX

DESCRIPTION_MAX = 200
LOG_MAX = 200
HOOK_ID_PATTERN = "^wh_[0-9a-f]{16}$"
DeliveryState = Literal["pending", "delivered", "failed"]


class WebhookIn(InboundModel):
    url: Text = Field(min_length=1, max_length=URL_MAX)
    events: list[AnnouncementType] = Field(min_length=1, max_length=6)
    description: Text | None = Field(default=None, max_length=DESCRIPTION_MAX)


class WebhookOut(BaseModel):
    id: str
    url: str
    events: list[AnnouncementType]
    description: str
    created_at: float


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery; shown once, here.")


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class WebhookDeleted(BaseModel):
    id: str
    deleted: Literal[True]


class DeliveryOut(BaseModel):
    id: str
    event: AnnouncementType
    at: float
    attempts: int
    state: DeliveryState
    last_status: int | None
    last_error: str | None
    next_at: float | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut] = Field(description="Newest first.")


class DeliveriesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(default=50, ge=1, le=LOG_MAX)


class PingQueued(BaseModel):
    delivery_id: str
