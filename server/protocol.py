"""The wire's core: the catalogue of event names, typed event specs, inbound parsing and the
shapes shared by every feature (participants, messages, rooms, errors).

Every socket event and REST body is parsed by a pydantic model before the domain sees it; a
payload that does not fit becomes ``InvalidPayload`` (or ``PayloadTooLarge`` for an over-long
field) with a message that names the field. Event names are ``Literal`` types: a feature declares
each event it handles or sends as an ``Inbound`` or ``Outbound`` spec, whose name must be in the
catalogue and whose payload type is checked at every emit. ``docs/PROTOCOL.md`` documents exactly
the events of the catalogue (a test holds both to it).
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from typing_extensions import TypedDict

from rooms.chat import ChatMessage
from rooms.errors import InvalidPayload, PayloadTooLarge, TandemError
from rooms.views import BreakoutView, ParticipantView, RoomRef, WaiterView

# TypedDict comes from typing_extensions: pydantic builds REST schemas from these same shapes, and
# needs that one on Python 3.11.

# What clients send.
ClientEvent = Literal[
    "join", "chat", "media_state", "signal", "leave",
    "breakout_create", "breakout_assign", "breakout_auto_assign", "breakout_open",
    "breakout_adjust", "breakout_close", "breakout_discard", "breakout_broadcast",
    "breakout_visit", "breakout_choose", "help_request", "help_withdraw",
    "board_sync", "board_update", "board_cursor", "board_clear", "board_list", "board_show",
    "check_in", "check_out", "speaking", "reaction", "hand", "attendance",
    "media_publish", "media_subscribe", "media_answer", "media_receive", "media_stop",
    "media_fallback", "screen_share", "screen_stop", "screen_policy",
    "captions_view", "captions_transcribe", "captions_source", "caption_text",
    "moderate", "admit", "decline", "session_lock", "end_session", "replay",
]
# What the server sends.
ServerEvent = Literal[
    "participant_joined", "participant_rejoined", "participant_left", "participant_updated",
    "participant_moved", "room_changed", "chat", "signal", "replaced", "session_ended",
    "breakouts", "breakout_warning",
    "board_update", "board_cursors", "board_shown", "board_deleted",
    "participant_speaking", "reaction", "hand",
    "media_route", "media_offer", "media_slots", "screen_policy_changed",
    "caption", "captions_status",
    "admitted", "declined", "removed", "participant_erased", "waiting", "moderated",
    "session_locked", "history_gone",
]
CLIENT_EVENTS: tuple[str, ...] = typing.get_args(ClientEvent)
# A WebRTC session description, peer to peer (``signal``) or to the server (``media_*``).
SDP_MAX = 64 * 1024
SERVER_EVENTS: tuple[str, ...] = typing.get_args(ServerEvent)

M = TypeVar("M", bound=BaseModel)
A = TypeVar("A")
P = TypeVar("P")


# Every string of an inbound payload is ``Text`` (or has a pattern of its own that is stricter):
# no control character but tab, line feed and carriage return, and no DEL. PostgreSQL's text
# cannot hold a NUL, so a message holding one would reach the room and then fail to be recorded;
# the others have no place in what people type either. Lone surrogates cannot arrive (msgpack
# and JSON decoding refuse them) and would be refused too: a pattern is matched on UTF-8, which
# has none. The pattern is checked after the length, in pydantic's own code, before any work;
# refused, it is ``invalid_payload``. Python's, ECMA-262's and Rust's regular expressions read
# it alike.
TEXT_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
TEXT_PATTERN = rf"^{TEXT_CHAR}*$"
Text = Annotated[str, Field(pattern=TEXT_PATTERN)]
# More than spaces (the domain trims text; Python counts \x1c-\x1f as spaces too), and ``Text``:
# the schema's spelling of both (the server checks the first in the domain, the second by ``Text``).
TEXT_NOT_BLANK: dict[str, Any] = {
    "pattern": rf"^{TEXT_CHAR}*[^\s\x00-\x1f\x7f]{TEXT_CHAR}*$"}
# Display names, which the domain holds to more than any portable regular expression says (no
# character that is not printable, ``rooms.participant.clean_name``): the schema says "more than
# spaces" only, and tests/server/contract_hooks.py makes generated names printable. (Their
# ``Text`` pattern stays out of the schema: the hooks, which drop what is not printable, would
# otherwise turn a name the schema refuses into one it takes.)
NOT_BLANK: dict[str, Any] = {"pattern": r"[^\s\x1c-\x1f]"}


def printable_text(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of other display text that the domain and the hooks hold to
    ``str.isprintable`` (a schedule's title): its schema leaves out ``Text``'s pattern, as
    ``NOT_BLANK`` does."""
    schema.pop("pattern", None)
PERSON_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$"
# What rooms.roster takes as an email address, less control characters (``Text``), spelled so
# that Python's and ECMA-262's regular expressions agree on it (their \s differ: \x1c-\x1f and
# \x85 for Python, \ufeff for ECMA).
EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f\x85\ufeff]+@[^@\s\x00-\x1f\x7f\x85\ufeff]+$"

class InboundModel(BaseModel):
    """Base of every inbound payload: unknown fields refused, no coercion, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _whole_number(value: object) -> object:
    """JSON has one kind of number, and JSON Schema counts 3.0 as the integer 3 (3.5 stays a
    float, and is refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer field of an inbound payload: strict, but 3.0 is 3 (JSON clients may send either).
# Bounds go before it (``Annotated[int, Field(ge=1), WHOLE_NUMBER]``), or the OpenAPI document
# loses them.
WHOLE_NUMBER = BeforeValidator(_whole_number)
Integer = Annotated[int, WHOLE_NUMBER]


# A page's id for a request it may send again after a lost connection (a chat message, a
# broadcast, a change of the breakout time): sent again with the same id, it is applied once
# (``rooms.participant.Participant.sent``).
CLIENT_ID_MAX = 40
ClientId = Annotated[str, Field(min_length=1, max_length=CLIENT_ID_MAX,
                                pattern=r"^[A-Za-z0-9_-]+$")]


class EmptyPayload(InboundModel):
    """Events that carry nothing (``leave``, ``help_request``...): anything else is refused."""


@dataclass(frozen=True)
class Inbound(Generic[M, A]):
    """An event clients send: its name, the model its payload is parsed with, and (as a type)
    the acknowledgement its handler returns."""

    name: ClientEvent
    model: type[M]


@dataclass(frozen=True)
class Outbound(Generic[P]):
    """An event the server sends, with the type of its payload: ``SPEC(payload)`` is a message
    ready for ``SocketGateway.emit``, its payload checked against the spec's type."""

    name: ServerEvent

    def __call__(self, payload: P) -> Message:
        return Message(self.name, payload)


class Message(NamedTuple):
    """An event to send: its name and its payload."""

    event: ServerEvent
    payload: object


# -- acknowledgements and errors ------------------------------------------------------------------


class ErrorWire(TypedDict):
    code: str
    message: str


class ErrorAck(TypedDict):
    ok: Literal[False]
    error: ErrorWire


class OkAck(TypedDict):
    ok: Literal[True]


OK: OkAck = {"ok": True}


def error_ack(error: TandemError) -> ErrorAck:
    return {"ok": False, "error": {"code": error.code, "message": error.message}}


# -- shapes shared by REST and socket events ------------------------------------------------------


class ParticipantWire(TypedDict):
    id: str
    name: str
    role: str
    state: str
    audio: bool
    video: bool
    joined_at: float
    room: str
    hand_raised_at: float | None
    screen: bool
    captions: bool
    transcribed: bool
    caption_source: str
    audio_locked: bool  # a mentor muted them until they allow it again
    video_locked: bool


# A chat message as clients see it ("from", a keyword, is the sender's participant id).
ChatMessageWire = TypedDict("ChatMessageWire", {
    "id": int, "from": str, "name": str, "role": str, "text": str, "sent_at": float,
    "room": str, "broadcast": bool,
})


class CheckInWire(TypedDict):
    goal: str
    at: float
    shared: bool  # shown to the person's mentor, by their choice


class PositionWire(TypedDict):
    """Where an event is in its room's history (``server/history.py``): the history's epoch and
    the event's offset in it."""

    room: str
    epoch: str
    offset: int


class RoomWire(TypedDict):
    id: str
    name: str


class RoomMembersWire(TypedDict):
    id: str
    name: str
    members: list[str]
    assigned: list[str]


class HelpWire(TypedDict):
    participant_id: str
    room: str
    asked_at: float


class BreakoutWire(TypedDict):
    """The breakout round: in the join acknowledgement, and in every breakout event."""

    round: int
    state: str
    rooms: list[RoomMembersWire]
    allow_choice: bool
    duration: float | None
    opened_at: float | None
    ends_at: float | None
    closing_ends_at: float | None
    help: list[HelpWire]


# Someone in a session's waiting room, as mentors and the person themselves are told.
class WaiterWire(TypedDict):
    id: str
    name: str
    role: str
    since: float
    returning: bool
    removed_before: bool


def waiter_wire(w: WaiterView) -> WaiterWire:
    return {"id": w.id, "name": w.name, "role": w.role.value, "since": w.since,
            "returning": w.returning, "removed_before": w.removed_before}


def participant_wire(p: ParticipantView) -> ParticipantWire:
    return {
        "id": p.id,
        "name": p.name,
        "role": p.role.value,
        "state": p.presence.value,
        "audio": p.audio,
        "video": p.video,
        "joined_at": p.joined_at,
        "room": p.room,
        "hand_raised_at": p.hand_raised_at,
        "screen": p.screen,
        "captions": p.captions,
        "transcribed": p.transcribed,
        "caption_source": p.caption_source,
        "audio_locked": p.audio_locked,
        "video_locked": p.video_locked,
    }


def message_wire(m: ChatMessage) -> ChatMessageWire:
    return {
        "id": m.id,
        "from": m.sender_id,
        "name": m.sender_name,
        "role": m.sender_role.value,
        "text": m.text,
        "sent_at": m.sent_at,
        "room": m.room,
        "broadcast": m.broadcast,
    }


def room_wire(room: RoomRef) -> RoomWire:
    return {"id": room.id, "name": room.name}


def breakout_wire(v: BreakoutView) -> BreakoutWire:
    return {
        "round": v.round,
        "state": v.state.value,
        "rooms": [
            {"id": r.id, "name": r.name, "members": list(r.members), "assigned": list(r.assigned)}
            for r in v.rooms
        ],
        "allow_choice": v.allow_choice,
        "duration": v.duration,
        "opened_at": v.opened_at,
        "ends_at": v.ends_at,
        "closing_ends_at": v.closing_ends_at,
        "help": [
            {"participant_id": h.participant_id, "room": h.room, "asked_at": h.asked_at}
            for h in v.help
        ],
    }


# -- parsing --------------------------------------------------------------------------------------


def _error_from(exc: ValidationError) -> TandemError:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    message = f"{where}: {first['msg']}"
    if first["type"] in {"string_too_long", "too_long", "bytes_too_long"}:
        return PayloadTooLarge(message)
    if first["type"] == "string_pattern_mismatch" and first["ctx"]["pattern"] == TEXT_PATTERN:
        return InvalidPayload(f"{where}: control characters are not allowed (tab, line feed and "
                              "carriage return are).")
    return InvalidPayload(message)


_FIELDS: dict[type[BaseModel], frozenset[str]] = {}


def _check_keys(model: type[M], data: object) -> None:
    """A map, with no more keys than ``model`` has fields: checked before any field is read."""
    if not isinstance(data, dict):
        raise InvalidPayload("The payload must be a map of named fields.")
    known = _FIELDS.get(model)
    if known is None:
        known = _FIELDS[model] = frozenset(model.model_fields)
    if len(data) > len(known):
        unknown = [str(k)[:40] for k in list(data)[:50] if k not in known]
        raise InvalidPayload(f"{unknown[0] if unknown else 'payload'}: unknown field "
                             f"({len(data)} fields sent, at most {len(known)} known).")


def parse(model: type[M], data: object) -> M:
    """Parse ``data`` into ``model`` or raise a ``TandemError`` that names the bad field. A map
    with more keys than the model has fields is refused before any field is looked at."""
    if data is None:
        data = {}
    _check_keys(model, data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _error_from(exc) from None


@dataclass(frozen=True, slots=True)
class Shape:
    """How far a payload of one model may reach: maps nested at most ``depth`` deep (the top
    map is 1, and a list counts as a level), with at most ``keys`` keys each."""

    depth: int
    keys: int


# Maps and lists a model declares with no bound of their own (dict or Any fields): this many
# keys, nested this deep.
OPEN_KEYS = 64
OPEN_DEPTH = 8
# Schema words that shape a value; a schema with none of them (``Any``) takes any value.
SHAPED = frozenset({"type", "$ref", "anyOf", "allOf", "enum", "const", "properties", "items"})
OPEN_SCHEMA = frozenset({"oneOf", "not"})
NOTES = frozenset({"title", "description", "default", "examples"})
_SHAPES: dict[type[BaseModel], Shape] = {}


def shape(model: type[BaseModel]) -> Shape:
    """The bound of ``model``'s payloads, read from its JSON schema once."""
    found = _SHAPES.get(model)
    if found is None:
        schema = model.model_json_schema()
        defs = schema.get("$defs", {})

        def walk(node: object, seen: frozenset[str]) -> tuple[int, int]:
            if not isinstance(node, dict):
                return 0, 0
            if not OPEN_SCHEMA.isdisjoint(node) or set(node) <= NOTES:
                return OPEN_DEPTH, OPEN_KEYS  # any value at all: no bound of its own
            if not SHAPED.intersection(node):
                return 0, 0  # conditions on values given elsewhere (if/then, pattern...)
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.rsplit("/", 1)[-1]
                return (0, 0) if name in seen else walk(defs[name], seen | {name})
            depth, keys = 0, 0
            for option in [*node.get("anyOf", ()), *node.get("allOf", ())]:
                d, k = walk(option, seen)
                depth, keys = max(depth, d), max(keys, k)
            props = node.get("properties", {})
            if props or node.get("type") == "object":
                closed = props or node.get("additionalProperties") is False
                keys = max(keys, len(props) if closed else OPEN_KEYS)
                inner = [walk(v, seen) for v in props.values()]
                extra = node.get("additionalProperties")
                if isinstance(extra, dict):
                    keys = max(keys, OPEN_KEYS)
                    inner.append(walk(extra, seen))
                depth = max(depth, 1 + max((d for d, _ in inner), default=0))
                keys = max([keys, *(k for _, k in inner)])
            if node.get("type") == "array" or "items" in node:
                d, k = walk(node.get("items"), seen)
                depth, keys = max(depth, 1 + d), max(keys, k)
            return depth, keys

        depth, keys = walk(schema, frozenset())
        found = _SHAPES[model] = Shape(depth=max(depth, 1), keys=max(keys, 1))
    return found


def check_shape(model: type[BaseModel], data: object) -> None:
    """Refuse ``data`` (parsed JSON) if it reaches deeper, or has a map with more keys, than
    ``model`` allows: ``InvalidPayload`` before any field is validated."""
    bound = shape(model)
    level: list[object] = [data]
    depth = 0
    while level:
        depth += 1
        below: list[object] = []
        for value in level:
            if isinstance(value, dict):
                if len(value) > bound.keys:
                    unknown = str(next(iter(value)))[:40]
                    raise InvalidPayload(f"{unknown}: unknown field ({len(value)} fields sent, "
                                         f"at most {bound.keys} in any map of this payload).")
                below.extend(value.values())
            elif isinstance(value, list):
                below.extend(value)
            else:
                continue
            if depth > bound.depth:
                raise InvalidPayload(f"payload: nested too deep (at most {bound.depth} levels "
                                     "of maps and lists).")
        level = below


def parse_json(model: type[M], body: bytes) -> M:
    """Parse a JSON request body into ``model``; JSON mode lets enums take their string values.
    The body is bounded first (``check_shape``), as a socket payload is by ``parse``."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise InvalidPayload("payload: the body is not JSON (or nests too deep).") from None
    _check_keys(model, data)
    check_shape(model, data)
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise _error_from(exc) from None

