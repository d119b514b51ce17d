"""A session as plain data and back, and commands as plain data and back.

Rules of this module: "plain data" is what any serializer takes (dicts with string keys, lists
or tuples, str and its subclasses such as the domain's ``StrEnum``s, int, float, bool, None); the
store turns it into bytes. A snapshot is complete: a session restored from it answers every query
and every later command exactly as the original would.
``SNAPSHOT_VERSION`` changes whenever the format does; ``restore`` refuses a version it does not
know rather than guess.
"""

from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Callable
from enum import Enum
from functools import cache
from typing import Any, Literal, Union

from rooms.breakout import BreakoutRoom, BreakoutRound, Group
from rooms.chat import ChatLog, ChatMessage
from rooms.commands import COMMAND_TYPES, Command
from rooms.errors import InvalidPayload
from rooms.lifecycles import BreakoutState, Presence, SessionState
from rooms.participant import Participant, Waiter
from rooms.roles import Role
from rooms.roster import CaptionConsent, RosterEntry, Schedule, SessionPlan, WaitingRoom
from rooms.session import Session
from rooms.views import CheckInView, HelpView

SNAPSHOT_VERSION = 7
# Versions this one reads: 1 had no screen shares, server-measured speaking or media fallbacks
# (all absent then, so they read as off); 2 had no captions (a session then reads as "live", its
# people as not viewing captions, transcribed, recognised by the server and not told). A stored
# command of an older version may lack fields added at the end since, which take their defaults.
# 3 had no moderation (a session then reads as unlocked, nobody waiting, removed or revoked, its
# waiting room off (as sessions were then), nobody's microphone or camera locked). 4 kept no ids
# of the requests people's pages sent (``sent``; absent when there are none); 5 only those of
# chat messages, under ``sent_chats``. 6 counted no board deletions (none then).
READABLE_VERSIONS = (1, 2, 3, 4, 5, 6, 7)
Data = dict[str, Any]


class SnapshotError(InvalidPayload):
    """Stored data that this version of the domain cannot read."""


# -- sessions -------------------------------------------------------------------------------------


def snapshot(s: Session, *, with_chat: bool = True) -> Data:
    """The whole session as plain data (``with_chat=False`` leaves the chat history out)."""
    return {
        "v": SNAPSHOT_VERSION,
        "id": s.id,
        "title": s.title,
        "goal": s.goal,
        "created_at": s.created_at,
        "max_participants": s.max_participants,
        "state": s.state.value,
        "ended_at": s.ended_at,
        "plan": _plan(s.plan),
        "participants": [_participant(p) for p in s.participants.values()],
        "chat": {
            "next_id": s.chat.next_id,
            "messages": list(map(_message, s.chat)) if with_chat else [],
        },
        "groups": [[g.name, list(g.members)] for g in s.groups],
        "breakouts": None if s.breakouts is None else _round(s.breakouts),
        "board_shown": s.board_shown,
        "media_fallback": sorted(s.media_fallback),
        "screens_many": sorted(s.screens_many),
        "locked": s.locked,
        "waiting": [_waiter(w) for w in s.waiting.values()],
        "removed": sorted(s.removed),
        "link_generations": dict(sorted(s.link_generations.items())),
        "board_deletions": dict(sorted(s.board_deletions.items())),
    }


def restore(data: Data) -> Session:
    """The session a snapshot was taken of."""
    version = data.get("v") if isinstance(data, dict) else None
    if version not in READABLE_VERSIONS:
        raise SnapshotError(f"A session snapshot of version {version!r} cannot be read here "
                            f"(this server reads version {SNAPSHOT_VERSION}).")
    try:
        chat = data["chat"]
        return Session(
            id=data["id"],
            title=data["title"],
            goal=data["goal"],
            created_at=data["created_at"],
            max_participants=data["max_participants"],
            state=SessionState(data["state"]),
            ended_at=data["ended_at"],
            participants={p.id: p for p in map(_participant_from, data["participants"])},
            chat=ChatLog.restore(map(_message_from, chat["messages"]), chat["next_id"]),
            groups=tuple(Group(name, tuple(members)) for name, members in data["groups"]),
            breakouts=None if data["breakouts"] is None else _round_from(data["breakouts"]),
            plan=_plan_from(data["plan"]),
            board_shown=data["board_shown"],
            media_fallback=set(data.get("media_fallback", ())),
            screens_many=set(data.get("screens_many", ())),
            locked=data.get("locked", False),
            waiting={w.id: w for w in map(_waiter_from, data.get("waiting", ()))},
            removed=set(data.get("removed", ())),
            link_generations=dict(data.get("link_generations", {})),
            board_deletions=dict(data.get("board_deletions", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(f"A session snapshot is damaged: {exc!r}") from None


def _plan(plan: SessionPlan) -> Data:
    return {
        "programme": plan.programme,
        "schedule": None if plan.schedule is None else [plan.schedule.start, plan.schedule.end],
        "roster": [[e.person_id, e.name, e.role.value, e.email] for e in plan.roster],
        "keep_chat": plan.keep_chat,
        "captions": plan.captions.value,
        "waiting_room": plan.waiting_room.value,
        "private_addresses": plan.private_addresses,
    }


def _plan_from(data: Data) -> SessionPlan:
    schedule = data["schedule"]
    return SessionPlan(
        programme=data["programme"],
        schedule=None if schedule is None else Schedule(schedule[0], schedule[1]),
        roster=tuple(RosterEntry(pid, name, Role(role), email)
                     for pid, name, role, email in data["roster"]),
        keep_chat=data["keep_chat"],
        captions=CaptionConsent(data.get("captions", CaptionConsent.LIVE.value)),
        waiting_room=WaitingRoom(data.get("waiting_room", WaitingRoom.OFF.value)),
        private_addresses=data.get("private_addresses", False),
    )


_PARTICIPANT_FIELDS = ("id", "name", "joined_at", "connection_id", "person_id", "audio", "video",
                       "room", "changed_at", "reconnects", "hand_raised_at", "speaking", "rated",
                       "board_edit_at")
_PARTICIPANT_FIELDS_SINCE_2 = ("screen", "speaking_by_server")
_PARTICIPANT_DEFAULTS_SINCE_3 = {"captions": False, "transcribed": True,
                                 "caption_source": "server", "told_transcript": False,
                                 "audio_locked": False, "video_locked": False}
_WAITER_FIELDS = ("id", "name", "connection_id", "since", "person_id", "resume_id", "link_name",
                  "audio", "video", "transcript_notice", "removed_before")


def _waiter(w: Waiter) -> Data:
    out: Data = {name: getattr(w, name) for name in _WAITER_FIELDS}
    out["role"] = w.role.value
    return out


def _waiter_from(data: Data) -> Waiter:
    return Waiter(**{name: data[name] for name in _WAITER_FIELDS}, role=Role(data["role"]))


def _participant(p: Participant) -> Data:
    out: Data = {name: getattr(p, name) for name in _PARTICIPANT_FIELDS}
    out.update((name, getattr(p, name)) for name in _PARTICIPANT_FIELDS_SINCE_2)
    out.update((name, getattr(p, name)) for name in _PARTICIPANT_DEFAULTS_SINCE_3)
    out["role"] = p.role.value
    out["presence"] = p.presence.value
    out["check_in"] = None if p.check_in is None else [p.check_in.goal, p.check_in.at,
                                                        p.check_in.shared]
    if p.sent:
        out["sent"] = list(p.sent.items())
    # (None: not known yet; absent, written by older code: the stay began before entries were kept)
    out["entered"] = None if p.entered is None else list(p.entered)
    return out


def _participant_from(data: Data) -> Participant:
    p = Participant(**{name: data[name] for name in _PARTICIPANT_FIELDS},
                    **{name: data.get(name, False) for name in _PARTICIPANT_FIELDS_SINCE_2},
                    **{name: data.get(name, default)
                       for name, default in _PARTICIPANT_DEFAULTS_SINCE_3.items()},
                    role=Role(data["role"]), presence=Presence(data["presence"]),
                    sent={str(cid): int(mid) for cid, mid in _sent(data)})
    if data["check_in"] is not None:
        p.check_in = CheckInView(*data["check_in"])
    if "entered" not in data:
        # Older code kept no entry: its stay is replayed as then (no epoch matches "", so a
        # page back is answered from where it asks, not from where its new connection joined).
        if p.presence is not Presence.LEFT:
            p.entered = (p.room, "", 0)
    elif (entered := data["entered"]) is not None:
        room, epoch, offset = entered
        p.entered = (str(room), str(epoch), int(offset))
    return p


def _sent(data: Data) -> list[Any]:
    """A participant's sent requests (version 5: chat messages alone, under another name)."""
    sent: list[Any] = data.get("sent") or data.get("sent_chats") or []
    return sent


def _message(m: ChatMessage) -> tuple[Any, ...]:
    # The role is a StrEnum, so a str already: a serializer takes it as it is.
    return (m.id, m.sender_id, m.sender_name, m.sender_role, m.room, m.text, m.sent_at,
            m.broadcast)


def _message_from(data: list[Any]) -> ChatMessage:
    mid, sender, name, role, room, text, sent_at, broadcast = data
    return ChatMessage(mid, sender, name, Role(role), room, text, sent_at, broadcast)


def _round(r: BreakoutRound) -> Data:
    return {
        "number": r.number,
        "rooms": [[room.id, room.name] for room in r.rooms.values()],
        "allow_choice": r.allow_choice,
        "state": r.state.value,
        "assignments": [[pid, room] for pid, room in r.assignments.items()],
        "pending_names": [[name, room] for name, room in r.pending_names.items()],
        "help": [[h.participant_id, h.room, h.asked_at] for h in r.help.values()],
        "duration": r.duration,
        "opened_at": r.opened_at,
        "ends_at": r.ends_at,
        "warned": r.warned,
        "closing_ends_at": r.closing_ends_at,
        "session_id": r.session_id,
    }


def _round_from(data: Data) -> BreakoutRound:
    return BreakoutRound(
        session_id=data["session_id"],
        number=data["number"],
        rooms={rid: BreakoutRoom(rid, name) for rid, name in data["rooms"]},
        allow_choice=data["allow_choice"],
        state=BreakoutState(data["state"]),
        assignments=dict(map(tuple, data["assignments"])),
        pending_names=dict(map(tuple, data["pending_names"])),
        help={pid: HelpView(pid, room, at) for pid, room, at in data["help"]},
        duration=data["duration"],
        opened_at=data["opened_at"],
        ends_at=data["ends_at"],
        warned=data["warned"],
        closing_ends_at=data["closing_ends_at"],
    )


# -- commands -------------------------------------------------------------------------------------

_COMMANDS: dict[str, type[Command[object]]] = {c.__name__: c for c in COMMAND_TYPES}


def command_data(command: Command[object]) -> tuple[Any, ...]:
    """A command as ``(its class name, its fields' values in order)``."""
    plan = _PLANS.get(type(command))
    if plan is None:
        raise TypeError(f"{type(command).__name__} is not a command of the domain")
    name, values, fields = plan
    if fields is None:  # every field already plain (str, float, bool, None): the usual case
        return (name, *values(command))
    return (name, *[getattr(command, f) if plain else _plain(getattr(command, f))
                    for f, plain in fields])


def _is_plain(tp: Any) -> bool:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return all(_is_plain(t) for t in typing.get_args(tp))
    if typing.get_origin(tp) is Literal:
        return True
    return tp in (str, int, float, bool, type(None))


_Plan = tuple[str, Callable[[Any], tuple[Any, ...]], tuple[tuple[str, bool], ...] | None]


def _command_plan(cls: type[Command[object]]) -> _Plan:
    hints = typing.get_type_hints(cls)
    fields = tuple((f.name, _is_plain(hints[f.name]))
                   for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    names = [f for f, _ in fields]
    values = operator.attrgetter(*names) if len(names) > 1 else (
        lambda c, n=names[0]: (getattr(c, n),))
    return cls.__name__, values, None if all(p for _, p in fields) else fields


_PLANS = {cls: _command_plan(cls) for cls in COMMAND_TYPES}


def command_from(data: Any) -> Command[object]:
    try:
        name, *values = data
        cls = _COMMANDS[name]
    except (KeyError, TypeError, ValueError):
        raise SnapshotError(f"Not a stored command: {str(data)[:80]}") from None
    value = _typed(cls, values)
    assert isinstance(value, Command)
    return value


def _plain(value: Any) -> Any:
    """Plain data; a dataclass as the list of its fields' values, in order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [_plain(getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _typed(tp: Any, value: Any) -> Any:
    """``value`` (plain data) as an instance of the type ``tp``."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        (inner,) = [o for o in options if o is not type(None)]
        return _typed(inner, value)
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return tuple(_typed(item, v) for v in value)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise SnapshotError(f"{value!r} is not one of {typing.get_args(tp)}")
        return value
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(value)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints, fields = _hints(tp), dataclasses.fields(tp)
        if (not isinstance(value, list) or len(value) > len(fields)
                or any(f.default is dataclasses.MISSING for f in fields[len(value):])):
            raise SnapshotError(f"{str(value)[:80]} is not a stored {tp.__name__}")
        return tp(*(_typed(hints[f.name], v) for f, v in zip(fields, value, strict=False)))
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, tp):
        raise SnapshotError(f"{value!r} is not a {tp.__name__}")
    return value
