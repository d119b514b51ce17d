"""Mentors keeping a session safe: the waiting room, muting, removing, locking, revoked links.

Rules of this module: mentors and admins moderate (``Action.MODERATE``); a mentor moderates
mentees, observers and captioners, an admin anyone but themselves. Who waits is decided when a
person joins (``join``): mentors and admins never wait; someone a mentor removed always waits,
however they come back; someone coming back to the participant they were (or a roster person
already let in) goes straight in; otherwise a locked session refuses them, and the session's
``WaitingRoom`` setting says who waits. A mute or stopped camera may be locked: the person cannot
turn it back on until a mentor allows it, across reconnects too. A mute, a stopped camera, a
removal and an allow act on every participant of a roster person (each of their devices).
Every action is a ``Moderated`` event, which the ledger keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rooms.command import Command, Outcome, done
from rooms.errors import (
    AlreadyJoined,
    InvalidPayload,
    LinkRevoked,
    NotAllowed,
    SessionEnded,
    SessionFull,
    SessionLocked,
    UnknownParticipant,
)
from rooms.events import (
    Admitted,
    Declined,
    Event,
    Moderated,
    ModerationAction,
    ParticipantLeft,
    ParticipantRemoved,
    ParticipantUpdated,
    SessionLockChanged,
    SpeakingChanged,
    WaitingChanged,
)
from rooms.lifecycles import Presence, SessionState
from rooms.participant import Participant, Waiter, clean_name
from rooms.roles import Action, Role, can
from rooms.roster import PERSON_LINK, WaitingRoom
from rooms.session import Session
from rooms.views import JoinView, SessionView, WaitingView

# At most this many people wait at once; more are told the session is full.
WAITING_MAX = 50

ParticipantAction = Literal["mute", "stop_camera", "stop_screen", "allow", "remove"]


def person_key(person_id: str) -> str:
    return f"person:{person_id}"


def link_key(s: Session, role: Role, link_name: str | None) -> str:
    """Which link a join token is: a roster person's personal link, or the link of a role."""
    entry = s.plan.person_for_link(role, link_name)
    return person_key(entry.person_id) if entry is not None else f"role:{role.value}"


def check_link(s: Session, role: Role, link_name: str | None, generation: int) -> None:
    """``LinkRevoked`` when an admin revoked this link (a newer one was issued or none is), or
    when it is a personal link of someone the roster no longer lists (a deletion request
    erased them: their link would bring them back under their name)."""
    if link_name is not None and link_name.startswith(PERSON_LINK) and not any(
            e.person_id == link_name[len(PERSON_LINK):] for e in s.plan.roster):
        raise LinkRevoked("This link was withdrawn by the programme's organisers. Ask them for "
                          "a new one if you should still take part.")
    if generation < s.link_generations.get(link_key(s, role, link_name), 0):
        raise LinkRevoked("This link was withdrawn by the programme's organisers. Ask them for "
                          "a new one if you should still take part.")


def revoke_link(s: Session, key: str) -> int:
    """Revoke the link ``key`` names (``role:<role>`` or ``person:<id>``): links issued before
    stop working. Returns the generation a new link for it carries."""
    role_keys = {f"role:{r.value}" for r in Role}
    people = {person_key(e.person_id) for e in s.plan.roster}
    if key not in role_keys and key not in people:
        raise UnknownParticipant("This session has no such link (a role or a roster person).")
    s.link_generations[key] = s.link_generations.get(key, 0) + 1
    return s.link_generations[key]


def join(s: Session, *, connection_id: str, role: Role, name: str, new_participant_id: str,
         audio: bool, video: bool, now: float, resume_participant_id: str | None,
         link_name: str | None, transcript_notice: bool, link_generation: int
         ) -> tuple[JoinView | WaitingView, list[Event]]:
    """Let a person in, or into the waiting room (see the module's rules)."""
    if s.state is SessionState.ENDED:
        raise SessionEnded("This session has ended.")
    check_link(s, role, link_name, link_generation)
    if any(w.connection_id == connection_id for w in s.waiting.values()):
        raise AlreadyJoined("This connection is already waiting to be let in.")
    returning = s.participants.get(resume_participant_id or "")
    if returning is not None and returning.role is not role:
        returning = None
    entry = s.plan.person_for_link(role, link_name)
    if returning is not None and entry is not None and returning.person_id != entry.person_id:
        # As ``Session.join`` decides: through a personal link, another person's credential
        # does not make its holder someone coming back (nor get them past the lock or the
        # waiting room); the link's person joins as themselves.
        returning = None
    removed = ((returning is not None and returning.id in s.removed)
               or (entry is not None and person_key(entry.person_id) in s.removed))
    if not removed and _goes_in(s, role, returning, entry.person_id if entry else None):
        return s.join(connection_id=connection_id, role=role, name=name,
                      new_participant_id=new_participant_id, audio=audio, video=video, now=now,
                      resume_participant_id=resume_participant_id, link_name=link_name,
                      transcript_notice=transcript_notice)
    if len(s.waiting) >= WAITING_MAX:
        raise SessionFull("The waiting room of this session is full. Try again in a while.")
    waiter = Waiter(
        id=new_participant_id, name=clean_name(name), role=role, connection_id=connection_id,
        since=now, person_id=entry.person_id if entry else None,
        resume_id=returning.id if returning is not None else None, link_name=link_name,
        audio=audio and can(role, Action.PUBLISH_MEDIA),
        video=video and can(role, Action.PUBLISH_MEDIA),
        transcript_notice=transcript_notice, removed_before=removed)
    s.waiting[waiter.id] = waiter
    return WaitingView(waiter.view(), s.view()), [_waiting(s, now)]


def _goes_in(s: Session, role: Role, returning: Participant | None,
             person_id: str | None) -> bool:
    if can(role, Action.MODERATE) or returning is not None:
        return True
    if person_id is not None and any(p.person_id == person_id for p in s.participants.values()):
        return True  # a roster person let in before, on another device or after clearing data
    if s.locked:
        raise SessionLocked("This session is locked: the mentor is not letting anyone new in "
                            "right now. Try again later, or contact your programme coordinator.")
    policy = s.plan.waiting_room
    if policy is WaitingRoom.OFF:
        return True
    return policy is WaitingRoom.ROLE_LINKS and person_id is not None


def stop_waiting(s: Session, waiter_id: str, connection_id: str, now: float) -> list[Event]:
    """Someone waiting left or dropped; a notice about another connection changes nothing."""
    w = s.waiting.get(waiter_id)
    if w is None or w.connection_id != connection_id:
        return []
    del s.waiting[waiter_id]
    return [_waiting(s, now)]


def admit(s: Session, actor_id: str, connection_id: str, waiter_id: str,
          now: float) -> list[Event]:
    """Let someone in from the waiting room (a removal of theirs is lifted)."""
    actor = s.connected(actor_id, connection_id, action=Action.MODERATE)
    w = _waiter(s, waiter_id)
    view, events = s.join(connection_id=w.connection_id, role=w.role, name=w.name,
                          new_participant_id=w.id, audio=w.audio, video=w.video, now=now,
                          resume_participant_id=w.resume_id, link_name=w.link_name,
                          transcript_notice=w.transcript_notice)
    del s.waiting[w.id]
    me = view.participant
    s.removed.discard(me.id)
    if me.person_id is not None:  # the person is let in again, on each of their devices
        s.removed.discard(person_key(me.person_id))
        s.removed.difference_update(
            [p.id for p in s.participants.values() if p.person_id == me.person_id])
    return [*events, Admitted(s.id, now, w.id, w.connection_id, view), _waiting(s, now),
            _record(s, now, "admit", actor, me.id, me.person_id, None)]


def decline(s: Session, actor_id: str, connection_id: str, waiter_id: str,
            now: float) -> list[Event]:
    actor = s.connected(actor_id, connection_id, action=Action.MODERATE)
    w = _waiter(s, waiter_id)
    del s.waiting[w.id]
    return [Declined(s.id, now, w.id, w.connection_id, "declined"), _waiting(s, now),
            _record(s, now, "decline", actor, w.id, w.person_id, None)]


def moderate(s: Session, actor_id: str, connection_id: str, target_id: str,
             action: ParticipantAction, lock: bool, now: float) -> list[Event]:
    """A mentor acts on a participant: mute, stop their camera or screen share (``lock``: they
    cannot turn it back on until allowed), allow them again, or remove them."""
    actor = s.connected(actor_id, connection_id, action=Action.MODERATE)
    target = s.participant(target_id)
    if target.id == actor.id:
        raise InvalidPayload("You cannot moderate yourself.")
    if can(target.role, Action.MODERATE) and actor.role is not Role.ADMIN:
        raise NotAllowed("Only an admin can moderate a mentor.")
    if action == "remove":
        return _remove(s, actor, target, now)
    if not target.connected:
        raise UnknownParticipant(f"{target.name} is not in the call right now.")
    if not can(target.role, Action.PUBLISH_MEDIA):
        raise InvalidPayload(f"{target.name} sends no camera, microphone or screen.")
    if action in ("mute", "stop_camera"):
        return _turn_off(s, actor, target, action, lock, now)
    events: list[Event] = []
    before = (target.audio, target.video, target.screen, target.audio_locked,
              target.video_locked)
    if action == "stop_screen":
        target.screen = False
    else:  # allow (on each of a roster person's participants: a new one takes their locks)
        target.audio_locked = target.video_locked = False
        if target.person_id is not None:
            for p in s.participants.values():
                if (p is target or p.person_id != target.person_id
                        or not (p.audio_locked or p.video_locked)):
                    continue
                p.audio_locked = p.video_locked = False
                if p.connected:  # another device of theirs, locked as it joined: told too
                    p.changed_at = now
                    events.append(ParticipantUpdated(s.id, now, p.view()))
    if before != (target.audio, target.video, target.screen, target.audio_locked,
                  target.video_locked):
        target.changed_at = now
        events.insert(0, ParticipantUpdated(s.id, now, target.view()))
    events.append(_record(s, now, action, actor, target.id, target.person_id,
                          target.connection_id))
    return events


def _turn_off(s: Session, actor: Participant, target: Participant,
              action: Literal["mute", "stop_camera"], lock: bool, now: float) -> list[Event]:
    """Mute, or stop the camera: a roster person's every participant in the call (their other
    tab or device) is acted on and told as the one the mentor chose; one not in the call takes
    the lock (or its lifting) for when it comes back."""
    kin = [p for p in s.participants.values()
           if target.person_id is not None and p.person_id == target.person_id
           and p.id not in (target.id, actor.id) and can(p.role, Action.PUBLISH_MEDIA)]
    events: list[Event] = []
    for p in [target, *kin]:
        before = (p.audio, p.video, p.audio_locked, p.video_locked)
        if action == "mute":
            p.audio_locked = lock
        else:
            p.video_locked = lock
        if not p.connected:
            continue
        changed: list[Event] = []
        if action == "mute":
            if p.speaking:
                p.speaking = False
                changed.append(SpeakingChanged(s.id, now, p.id, p.person_id, p.room, False,
                                               "server"))
            p.audio = False
        else:
            p.video = False
        if before != (p.audio, p.video, p.audio_locked, p.video_locked):
            p.changed_at = now
            changed.insert(0, ParticipantUpdated(s.id, now, p.view()))
        events.extend(changed)
        events.append(_record(s, now, action, actor, p.id, p.person_id, p.connection_id,
                              locked=lock))
    return events


def _remove(s: Session, actor: Participant, target: Participant, now: float) -> list[Event]:
    """Take the person out: a roster person's every participant (their other tab or device,
    through their personal link) goes with the one the mentor acted on."""
    if target.person_id is not None:
        s.removed.add(person_key(target.person_id))
    going = [target] + [p for p in s.participants.values()
                        if target.person_id is not None and p.person_id == target.person_id
                        and p.id not in (target.id, actor.id)]
    events: list[Event] = []
    left = False
    for p in going:
        s.removed.add(p.id)
        connection = p.connection_id
        if p.presence is not Presence.LEFT:
            p.move_to(Presence.LEFT, now)
            p.connection_id = None
            p.hand_raised_at = None
            p.off_air()
            events.append(ParticipantLeft(s.id, now, p.view(), "removed"))
            left = True
        if p is target or connection is not None:
            events.append(ParticipantRemoved(s.id, now, p.id, connection))
    if left:
        events.extend(s.breakouts_refreshed(now))
    events.append(_record(s, now, "remove", actor, target.id, target.person_id, None))
    return events


def set_locked(s: Session, actor_id: str, connection_id: str, locked: bool,
               now: float) -> list[Event]:
    actor = s.connected(actor_id, connection_id, action=Action.MODERATE)
    if s.locked == locked:
        return []
    s.locked = locked
    return [SessionLockChanged(s.id, now, locked),
            _record(s, now, "lock" if locked else "unlock", actor, "", None, None)]


def end_for_everyone(s: Session, actor_id: str, connection_id: str, now: float) -> list[Event]:
    actor = s.connected(actor_id, connection_id, action=Action.MODERATE)
    record = _record(s, now, "end", actor, "", None, None)
    return [record, *s.end("ended by a mentor", now)]


def _waiting(s: Session, now: float) -> WaitingChanged:
    return WaitingChanged(s.id, now, tuple(w.view() for w in s.waiting.values()))


def _waiter(s: Session, waiter_id: str) -> Waiter:
    w = s.waiting.get(waiter_id)
    if w is None:
        raise UnknownParticipant("That person is no longer waiting.")
    return w


def _record(s: Session, now: float, action: ModerationAction, actor: Participant,
            target_id: str, target_person: str | None, target_connection: str | None, *,
            locked: bool = False) -> Moderated:
    return Moderated(s.id, now, action, actor.id, actor.person_id, actor.role, target_id,
                     target_person, target_connection, locked)


# -- moderation -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StopWaiting(Command[None]):
    """Someone in the waiting room left or dropped."""

    waiter_id: str
    connection_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(stop_waiting(s, self.waiter_id, self.connection_id, self.at))


@dataclass(frozen=True, slots=True)
class Admit(Command[None]):
    participant_id: str
    connection_id: str
    waiter_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(admit(s, self.participant_id, self.connection_id,
                                      self.waiter_id, self.at))


@dataclass(frozen=True, slots=True)
class Decline(Command[None]):
    participant_id: str
    connection_id: str
    waiter_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(decline(s, self.participant_id, self.connection_id,
                                        self.waiter_id, self.at))


@dataclass(frozen=True, slots=True)
class Moderate(Command[None]):
    participant_id: str
    connection_id: str
    target_id: str
    action: ParticipantAction
    lock: bool
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(moderate(s, self.participant_id, self.connection_id,
                                         self.target_id, self.action, self.lock, self.at))


@dataclass(frozen=True, slots=True)
class SetLocked(Command[None]):
    participant_id: str
    connection_id: str
    locked: bool
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(set_locked(s, self.participant_id, self.connection_id,
                                           self.locked, self.at))


@dataclass(frozen=True, slots=True)
class EndForEveryone(Command[SessionView]):
    participant_id: str
    connection_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[SessionView]:
        events = end_for_everyone(s, self.participant_id, self.connection_id, self.at)
        return Outcome(s.view(), tuple(events))


@dataclass(frozen=True, slots=True)
class RevokeLink(Command[int]):
    """An admin revokes a join link (``role:<role>`` or ``person:<id>``); the value is the
    generation a new link for it carries."""

    key: str

    def outcome(self, s: Session) -> Outcome[int]:
        return Outcome(revoke_link(s, self.key), ())
