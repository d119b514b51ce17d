"""The attendance recorder: what each domain event means for the ledger.

Rules of this module: a pure function of one event. Everything a record needs (the person, the
room, whether the session keeps chat text) travels in the event, so the recorder keeps no state
and a restarted server records exactly as the one before it. Every kind of event is matched, so a
new kind of event that is not handled here is a type error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from rooms.attendance import (
    MEDIA_AUDIO,
    MEDIA_VIDEO,
    AnonymousRating,
    Record,
    RecordKind,
    SessionInfo,
    day_of,
)
from rooms.events import (
    Admitted,
    BoardEdited,
    BoardsDeleted,
    BoardShown,
    BreakoutsChanged,
    BreakoutWarning,
    CaptionPosted,
    ChatPosted,
    CheckedIn,
    ConnectionReplaced,
    Declined,
    Event,
    HandChanged,
    HelpRequested,
    MediaRouteChanged,
    Moderated,
    ParticipantErased,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantMoved,
    ParticipantRejoined,
    ParticipantRemoved,
    ParticipantUpdated,
    Rated,
    Reacted,
    RoomsCreated,
    ScreenPolicyChanged,
    SessionEnded,
    SessionLockChanged,
    SessionScheduled,
    SpeakingChanged,
    WaitingChanged,
)
from rooms.room import MAIN_ROOM
from rooms.views import ParticipantView

REASON_MAX = 200


@dataclass(frozen=True, slots=True)
class Writes:
    """What to keep for one event: a session's metadata, records, an anonymous rating (kept
    apart from the records), or nothing."""

    session: SessionInfo | None = None
    records: tuple[Record, ...] = ()
    anonymous: tuple[AnonymousRating, ...] = ()

    def __bool__(self) -> bool:
        return self.session is not None or bool(self.records) or bool(self.anonymous)


NOTHING = Writes()


def media_bits(p: ParticipantView) -> int:
    return (MEDIA_AUDIO if p.audio else 0) | (MEDIA_VIDEO if p.video else 0)


def _one(*records: Record) -> Writes:
    return Writes(records=records)


def writes_for(event: Event) -> Writes:
    """The ledger writes ``event`` calls for."""
    sid, at = event.session_id, event.at
    match event:  # the most frequent kinds first
        case ChatPosted():
            m = event.message
            if m.broadcast and m.room != MAIN_ROOM:
                return NOTHING  # a broadcast is one message, posted once in every room
            return _one(Record(sid, at, RecordKind.CHAT, m.sender_id, event.person_id, m.room,
                               value=len(m.text), text=m.text if event.keep_text else None))
        case CaptionPosted():
            if not event.speaker_id:
                return NOTHING  # an unknown speaker: nobody's words, and never kept
            return _one(Record(sid, event.start, RecordKind.CAPTION, event.speaker_id,
                               event.person_id, event.room, value=event.words,
                               text=event.text if event.keep else None, ends_at=at))
        case SessionScheduled():
            return Writes(session=SessionInfo(
                sid, event.title, at, goal=event.goal,
                max_participants=event.max_participants, plan=event.plan))
        case SessionEnded():
            return _one(Record(sid, at, RecordKind.SESSION_ENDED, text=event.reason[:REASON_MAX]))
        case ParticipantJoined() | ParticipantRejoined():
            p = event.participant
            kind = (RecordKind.JOINED if isinstance(event, ParticipantJoined)
                    else RecordKind.REJOINED)
            return _one(Record(sid, at, kind, p.id, p.person_id, p.room, p.role, media_bits(p),
                               p.name))
        case ParticipantLeft():
            p = event.participant
            if event.reason == "server_restart":  # closed by the ledger's own recovery
                return NOTHING
            kind = (RecordKind.LEFT if event.reason in ("left", "removed")
                    else RecordKind.DROPPED)
            return _one(Record(sid, at, kind, p.id, p.person_id, p.room))
        case ParticipantUpdated():
            p = event.participant
            return _one(Record(sid, at, RecordKind.MEDIA, p.id, p.person_id, p.room,
                               value=media_bits(p)))
        case ParticipantMoved():
            p = event.participant
            return _one(Record(sid, at, RecordKind.MOVED, p.id, p.person_id, p.room,
                               text=event.from_room))
        case RoomsCreated():
            return Writes(records=tuple(
                Record(sid, at, RecordKind.ROOM_NAMED, room=room, text=name, value=event.round)
                for room, name in event.rooms))
        case HelpRequested():
            return _one(Record(sid, at, RecordKind.HELP, event.participant_id, event.person_id,
                               event.room))
        case HandChanged():
            return _one(Record(sid, at, RecordKind.HAND, event.participant_id, event.person_id,
                               event.room, value=int(event.raised)))
        case SpeakingChanged():
            return _one(Record(sid, at, RecordKind.SPEAKING, event.participant_id,
                               event.person_id, event.room, value=int(event.speaking),
                               text=event.source))
        case Reacted():
            return _one(Record(sid, at, RecordKind.REACTION, event.participant_id,
                               event.person_id, event.room, text=event.reaction))
        case CheckedIn():
            return _one(Record(sid, at, RecordKind.CHECK_IN, event.participant_id,
                               event.person_id, event.room, text=event.goal,
                               shared=event.shared))
        case Rated():
            if event.participant_id is None:  # anonymous: apart, with its day only
                return Writes(anonymous=(AnonymousRating(sid, day_of(at), event.rating,
                                                         event.comment),))
            return _one(Record(sid, at, RecordKind.CHECK_OUT, event.participant_id,
                               event.person_id, event.room or MAIN_ROOM, value=event.rating,
                               text=event.comment, shared=event.shared))
        case BoardEdited():
            if not event.new_burst:
                return NOTHING
            return _one(Record(sid, at, RecordKind.WHITEBOARD, event.participant_id,
                               event.person_id, event.room))
        case Moderated():
            return _one(Record(sid, at, RecordKind.MODERATION, event.target_id,
                               event.target_person_id, value=int(event.locked),
                               text=f"{event.action} by {event.actor_id}"))
        case (ConnectionReplaced() | BreakoutsChanged() | BreakoutWarning() | BoardShown()
              | BoardsDeleted() | MediaRouteChanged() | ParticipantRemoved() | WaitingChanged()
              | Admitted() | Declined() | SessionLockChanged() | ScreenPolicyChanged()
              | ParticipantErased()):  # (the ledger's records are erased apart)
            return NOTHING
        case _:
            assert_never(event)
