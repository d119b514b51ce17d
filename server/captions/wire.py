"""Live captions on the wire (docs/PROTOCOL.md, "Live captions")."""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import Field
from typing_extensions import TypedDict

from rooms.captions import CAPTION_TEXT_MAX, UTTERANCE_MAX
from rooms.room import ROOM_ID_MAX
from server.protocol import Inbound, InboundModel, OkAck, Outbound, PositionWire, Text

PARTICIPANT_ID_MAX = 64


# -- socket: inbound ------------------------------------------------------------------------------


class ViewPayload(InboundModel):
    on: bool


class TranscribePayload(InboundModel):
    on: bool


class SourcePayload(InboundModel):
    source: Literal["server", "browser"]


class TextPayload(InboundModel):
    # Empty: an unknown speaker (a captioner's choice).
    speaker_id: Text = Field(max_length=PARTICIPANT_ID_MAX)
    utterance: Text = Field(min_length=1, max_length=UTTERANCE_MAX)
    text: Text = Field(min_length=1, max_length=CAPTION_TEXT_MAX)
    final: bool
    # The room the page was in when the words were said or typed: shown there only, refused
    # (not_same_room) once the speaker or captioner is in another room.
    room: Text | None = Field(default=None, min_length=1, max_length=ROOM_ID_MAX)


# -- outbound -------------------------------------------------------------------------------------


class CaptionOut(TypedDict):
    room: str
    speaker_id: str
    speaker_name: str
    utterance: str
    text: str
    final: bool
    source: Literal["server", "browser", "captioner"]
    start: float
    end: float
    position: NotRequired[PositionWire]  # finals: their place in the room's history


class StatusOut(TypedDict):
    room: str
    behind: bool


VIEW: Inbound[ViewPayload, OkAck] = Inbound("captions_view", ViewPayload)
TRANSCRIBE: Inbound[TranscribePayload, OkAck] = Inbound("captions_transcribe", TranscribePayload)
SOURCE: Inbound[SourcePayload, OkAck] = Inbound("captions_source", SourcePayload)
TEXT: Inbound[TextPayload, OkAck] = Inbound("caption_text", TextPayload)

CAPTION: Outbound[CaptionOut] = Outbound("caption")
CAPTIONS_STATUS: Outbound[StatusOut] = Outbound("captions_status")
