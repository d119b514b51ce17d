"""Attendance on the wire: the participants' own events (check-in, rating, speaking, reactions,
hands, the live overview), what the room is sent, and the query string of reports and exports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypedDict

from rooms.activity import COMMENT_MAX, GOAL_TEXT_MAX
from rooms.attendance import RATING_MAX, RATING_MIN
from rooms.events import Reaction
from rooms.roster import PROGRAMME_MAX
from server.protocol import (
    CheckInWire,
    EmptyPayload,
    Inbound,
    InboundModel,
    Integer,
    OkAck,
    Outbound,
    Text,
)
from server.tokens import TOKEN_MAX


class CheckInPayload(InboundModel):
    goal: Text = Field(min_length=1, max_length=GOAL_TEXT_MAX)
    share: bool = False  # show it to the mentor (the admins read it either way)


class CheckOutPayload(InboundModel):
    rating: Integer = Field(ge=RATING_MIN, le=RATING_MAX)
    comment: Text | None = Field(default=None, max_length=COMMENT_MAX)
    anonymous: bool = False
    share: bool = False  # show the rating and comment to the mentor (not with ``anonymous``)


class CheckOutRequest(CheckOutPayload):
    """The rating after leaving, over REST: the participant's own resume credential says who."""

    session_id: Text = Field(min_length=1, max_length=64)
    resume: Text = Field(min_length=1, max_length=TOKEN_MAX)


class SpeakingPayload(InboundModel):
    speaking: bool


class ReactionPayload(InboundModel):
    reaction: Reaction


class HandPayload(InboundModel):
    raised: bool


class CheckInAck(TypedDict):
    ok: Literal[True]
    check_in: CheckInWire


class CheckOutAck(TypedDict):
    ok: Literal[True]
    anonymous: bool
    shared: bool


class RecordedAck(TypedDict):
    ok: Literal[True]
    recorded: bool


class ReportAck(TypedDict):
    ok: Literal[True]
    report: dict[str, Any]


class ReactionOut(TypedDict):
    participant_id: str
    reaction: str
    at: float


class HandOut(TypedDict):
    participant_id: str
    raised: bool
    at: float


class SpeakingOut(TypedDict):
    participant_id: str
    speaking: bool


CHECK_IN: Inbound[CheckInPayload, CheckInAck] = Inbound("check_in", CheckInPayload)
CHECK_OUT: Inbound[CheckOutPayload, CheckOutAck] = Inbound("check_out", CheckOutPayload)
SPEAKING: Inbound[SpeakingPayload, RecordedAck] = Inbound("speaking", SpeakingPayload)
REACTION: Inbound[ReactionPayload, OkAck] = Inbound("reaction", ReactionPayload)
HAND: Inbound[HandPayload, RecordedAck] = Inbound("hand", HandPayload)
OVERVIEW: Inbound[EmptyPayload, ReportAck] = Inbound("attendance", EmptyPayload)

REACTED: Outbound[ReactionOut] = Outbound("reaction")
HAND_CHANGED: Outbound[HandOut] = Outbound("hand")
PARTICIPANT_SPEAKING: Outbound[SpeakingOut] = Outbound("participant_speaking")


# -- reports and exports (REST query strings) -----------------------------------------------------


def parse_when(value: object) -> float | None:
    """A time in a query: seconds since the epoch, or an ISO 8601 date or date-time (UTC if no
    zone is given)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("give a date (2026-11-01), a date-time or seconds since the epoch")
    try:
        return float(value)
    except ValueError:
        pass
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date (2026-11-01), a date-time or seconds since the epoch"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


# What ``parse_when`` takes, for the OpenAPI document.
WHEN_SCHEMA: dict[str, Any] = {"anyOf": [
    {"type": "number"}, {"type": "string", "format": "date"},
    {"type": "string", "format": "date-time"},
]}


class AttendanceQuery(BaseModel):
    """``?format=csv&view=people&since=2026-11-01&until=2026-12-01&programme=…&limit=…``

    A period that ends before it starts selects nothing (an empty answer, not an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["csv", "json", "xlsx"] = "json"
    view: Literal["people", "rooms", "records"] = "people"
    since: float | None = Field(default=None, json_schema_extra=WHEN_SCHEMA)
    until: float | None = Field(default=None, json_schema_extra=WHEN_SCHEMA)
    programme: Text | None = Field(default=None, min_length=1, max_length=PROGRAMME_MAX)
    limit: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("since", "until", mode="before")
    @classmethod
    def _time(cls, value: object) -> float | None:
        if value == "":
            raise ValueError("give a date (2026-11-01), a date-time or seconds since the epoch")
        return parse_when(value)
