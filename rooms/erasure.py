"""Erasing a person, or one participant, from a session: what a deletion request does to the
session's state (the ledger's records and what features keep are erased apart).

Rules of this module: what is erased is removed, not anonymised (a nameless participant would
still say when someone came, for how long, that they checked in; a blanked message, who spoke and
when): a person's roster entry, each of their participants (name, check-in, settings), their chat
messages (numbers are not given again), their places in groups, in the breakout round and in the
waiting room, and their entries in the removed list and the links' generations. Someone erased
while connected is disconnected (``ParticipantRemoved``: their connection is closed), and
everyone's page drops what it showed of them (``ParticipantErased``, with ids only). Erasing what
is not there changes nothing, so a request can be made again; an ended session is erased too.
The commands are never journal entries (``journaled``): a store keeps them as a snapshot that
deletes the session's earlier entries, which name the person as well.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rooms.breakout import BreakoutRoom, Group, member_key, name_key
from rooms.command import Command, Outcome, done
from rooms.events import (
    Declined,
    Event,
    ParticipantErased,
    ParticipantLeft,
    ParticipantRemoved,
    WaitingChanged,
)
from rooms.lifecycles import Presence
from rooms.moderation import person_key
from rooms.participant import Waiter
from rooms.session import Session


def names_person(s: Session, person_id: str) -> bool:
    """Whether the session holds anything of this roster person."""
    key = person_key(person_id)
    return (any(e.person_id == person_id for e in s.plan.roster)
            or any(p.person_id == person_id for p in s.participants.values())
            or any(w.person_id == person_id for w in s.waiting.values())
            or key in s.removed or key in s.link_generations
            or any(key in g.members or person_id in g.members for g in s.groups)
            or (s.breakouts is not None and key in s.breakouts.pending_names))


def erase_person(s: Session, person_id: str, now: float) -> list[Event]:
    """Erase a roster person: their roster entry and every participant they were."""
    key = person_key(person_id)
    entry = next((e for e in s.plan.roster if e.person_id == person_id), None)
    ids = {p.id for p in s.participants.values() if p.person_id == person_id}
    events = _decline(s, lambda w: w.person_id == person_id or w.resume_id in ids, now)
    for participant_id in sorted(ids):
        events += _erase_participant(s, participant_id, now)
    if entry is not None:
        s.plan = dataclasses.replace(
            s.plan, roster=tuple(e for e in s.plan.roster if e.person_id != person_id))
    s.removed.discard(key)
    s.link_generations.pop(key, None)
    # What groups held of them: their person id (bare, as a programme's group sessions name
    # their members, or as ``person:<id>``), or the name the roster gave them; and a group or
    # breakout room named after them (a programme's "Ana's group") is named by its number.
    _forget_members(s, {key, person_id} | ({name_key(entry.name)} if entry else set()))
    if entry is not None:
        _unname(s, entry.name)
    return events + s.breakouts_refreshed(now) if events or entry else events


def erase_participant(s: Session, participant_id: str, now: float) -> list[Event]:
    """Erase one participant of the session (a guest, or one of a person's participants); a
    waiter is known by the id they get once admitted, or returns as the participant."""
    events = _decline(s, lambda w: participant_id in (w.id, w.resume_id), now)
    events += _erase_participant(s, participant_id, now)
    return events + s.breakouts_refreshed(now) if events else events


def _erase_participant(s: Session, participant_id: str, now: float) -> list[Event]:
    events: list[Event] = []
    s.removed.discard(participant_id)
    p = s.participants.get(participant_id)
    if p is None:
        return events
    if p.presence is not Presence.LEFT:  # in the call, or holding their seat: they go now
        connection = p.connection_id
        p.move_to(Presence.LEFT, now)
        p.connection_id = None
        p.hand_raised_at = None
        p.off_air()
        events.append(ParticipantLeft(s.id, now, p.view(), "removed"))
        events.append(ParticipantRemoved(s.id, now, p.id, connection))
    del s.participants[participant_id]
    # their place in groups by name too, unless someone else here goes by the same name
    keys = {participant_id} | ({member_key(p)} - {member_key(q) for q in s.participants.values()})
    if s.breakouts is not None:
        s.breakouts.assignments.pop(participant_id, None)
        s.breakouts.help.pop(participant_id, None)
    _forget_members(s, keys)
    events.append(ParticipantErased(s.id, now, participant_id,
                                    s.chat.remove_sender(participant_id)))
    return events


def _forget_members(s: Session, keys: set[str]) -> None:
    """Take these member keys out of the groups (a group left empty goes) and out of the
    breakout round's places kept for names."""
    groups = []
    for g in s.groups:
        members = tuple(m for m in g.members if m not in keys and name_key(m) not in keys)
        if members:
            groups.append(g if members == g.members else Group(g.name, members))
    s.groups = tuple(groups)
    if s.breakouts is not None:
        for k in keys:
            s.breakouts.pending_names.pop(k, None)


def holds_name(name: str) -> Callable[[str], bool]:
    """Whether a text (a group's or a room's name) holds a person's name: any word of it of two
    letters or more (any word, for a name of none), as a word of its own, in any case. For
    "Benedikt Quill": "Benedikt's pair", "Quill & Ana"; not "Bench" for "Ben". A first name
    shared with someone else names them too: such a room is named by its number, which tells
    nothing. A word in a script written without spaces between words (Chinese, Japanese,
    Thai...) counts anywhere: "山田太郎のグループ" holds "山田太郎"."""
    every = set(re.findall(r"\w+", name.casefold()))
    words = sorted({w for w in every if len(w) >= 2} or every, key=len, reverse=True)
    if not words:
        return lambda text: False
    pattern = re.compile("|".join(
        re.escape(w) if _unspaced(w) else r"(?<!\w)" + re.escape(w) + r"(?!\w)"
        for w in words))
    return lambda text: pattern.search(text.casefold()) is not None


# Scripts written without spaces between words: no word boundary follows a name there.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "THAI", "LAO", "KHMER",
             "MYANMAR", "TIBETAN", "YI ", "BALINESE", "JAVANESE")


def _unspaced(word: str) -> bool:
    return any(unicodedata.name(c, "").startswith(_UNSPACED) for c in word)


def _unname(s: Session, name: str) -> None:
    """Groups and breakout rooms whose name holds this person's are named by their number."""
    named = holds_name(name)
    s.groups = tuple(Group(f"Group {n}", g.members) if named(g.name) else g
                     for n, g in enumerate(s.groups, 1))
    if s.breakouts is not None:
        for n, (room_id, room) in enumerate(list(s.breakouts.rooms.items()), 1):
            if named(room.name):
                s.breakouts.rooms[room_id] = BreakoutRoom(room.id, f"Room {n}")


def _decline(s: Session, whom: Callable[[Waiter], bool], now: float) -> list[Event]:
    """Send away whoever of them waits (their connection is told it was declined)."""
    events: list[Event] = []
    for w in [w for w in s.waiting.values() if whom(w)]:
        del s.waiting[w.id]
        events.append(Declined(s.id, now, w.id, w.connection_id, "declined"))
    if events:
        events.append(WaitingChanged(s.id, now, tuple(w.view() for w in s.waiting.values())))
    return events


@dataclass(frozen=True, slots=True)
class ErasePerson(Command[None]):
    """A deletion request of a roster person (by the admin: no participant gives it)."""

    person_id: str
    at: float
    journaled: ClassVar[bool] = False

    def outcome(self, s: Session) -> Outcome[None]:
        return done(erase_person(s, self.person_id, self.at))


@dataclass(frozen=True, slots=True)
class EraseParticipant(Command[None]):
    """A deletion request of one participant of the session."""

    participant_id: str
    at: float
    journaled: ClassVar[bool] = False

    def outcome(self, s: Session) -> Outcome[None]:
        return done(erase_participant(s, self.participant_id, self.at))
