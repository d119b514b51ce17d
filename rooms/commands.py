"""Commands of a session as data: what adapters ask the domain to do.

Rules of this module: a command is a frozen value holding every input it needs (the time, the
connection, new ids, a shuffled order), so applying it is a pure function of the session and the
command: applied again to a copy of the session (restored from a snapshot), it gives the same
outcome. That is what lets a store keep a session as a snapshot plus the commands applied since.
Only a command that succeeded changed the session; a refused one raises a ``TandemError`` and
leaves the session as it was. Command class names and the order of their fields are part of the
stored format: change them only together with ``rooms.snapshot``'s version.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

from rooms import activity, captions, media, moderation
from rooms.attendance import RATING_MIN
from rooms.breakout import BreakoutRound, Group
from rooms.chat import ChatMessage

# Command and Outcome are this module's too: every caller imports them from here.
from rooms.command import Command as Command
from rooms.command import Outcome as Outcome
from rooms.command import done
from rooms.errors import IllegalTransition, InvalidPayload
from rooms.events import CaptionSource, Event, Reaction, RoomsCreated
from rooms.moderation import (
    Admit,
    Decline,
    EndForEveryone,
    Moderate,
    RevokeLink,
    SetLocked,
    StopWaiting,
)
from rooms.roles import Action, Role
from rooms.session import Session
from rooms.views import (
    BreakoutView,
    CheckInView,
    JoinView,
    ParticipantView,
    SessionView,
    WaitingView,
)

# -- presence -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join(Command[JoinView | WaitingView]):
    """Join, or wait until a mentor lets one in (``rooms.moderation``)."""

    connection_id: str
    role: Role
    name: str
    new_participant_id: str
    audio: bool
    video: bool
    at: float
    resume_participant_id: str | None = None
    link_name: str | None = None
    transcript_notice: bool = False  # their page showed that a transcript is kept
    link_generation: int = 0  # of their join link: an older one than the session's is revoked

    def outcome(self, s: Session) -> Outcome[JoinView | WaitingView]:
        view, events = moderation.join(
            s, connection_id=self.connection_id, role=self.role, name=self.name,
            new_participant_id=self.new_participant_id, audio=self.audio, video=self.video,
            now=self.at, resume_participant_id=self.resume_participant_id,
            link_name=self.link_name, transcript_notice=self.transcript_notice,
            link_generation=self.link_generation,
        )
        return Outcome(view, tuple(events))


@dataclass(frozen=True, slots=True)
class Leave(Command[None]):
    participant_id: str
    connection_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(s.leave(self.participant_id, self.connection_id, self.at))


@dataclass(frozen=True, slots=True)
class Disconnect(Command[None]):
    participant_id: str
    connection_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(s.disconnect(self.participant_id, self.connection_id, self.at))


@dataclass(frozen=True, slots=True)
class ServerRestarted(Command[None]):
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(s.server_restarted(self.at))


@dataclass(frozen=True, slots=True)
class End(Command[SessionView]):
    reason: str
    at: float

    def outcome(self, s: Session) -> Outcome[SessionView]:
        events = s.end(self.reason, self.at)
        return Outcome(s.view(), tuple(events))


# -- chat and media -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostChat(Command[ChatMessage]):
    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    text: str
    at: float

    def outcome(self, s: Session) -> Outcome[ChatMessage]:
        message, events = s.post_chat(self.participant_id, self.connection_id, self.text, self.at)
        return Outcome(message, tuple(events))


@dataclass(frozen=True, slots=True)
class SetMedia(Command[ParticipantView]):
    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    audio: bool
    video: bool
    at: float

    def outcome(self, s: Session) -> Outcome[ParticipantView]:
        view, events = s.set_media(self.participant_id, self.connection_id, audio=self.audio,
                                   video=self.video, now=self.at)
        return Outcome(view, tuple(events))


# -- breakout rooms -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetGroups(Command[None]):
    groups: tuple[Group, ...]

    def outcome(self, s: Session) -> Outcome[None]:
        return done(s.set_groups(self.groups))


class _Breakouts(Command["BreakoutView | None"]):
    """A breakout command: its value is the round as it now is."""

    __slots__ = ()

    def outcome(self, s: Session) -> Outcome[BreakoutView | None]:
        events = self.run(s)
        return Outcome(s.breakout_view(), tuple(events))

    def run(self, s: Session) -> list[Event]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class BreakoutCreate(_Breakouts):
    participant_id: str
    connection_id: str
    count: int | None
    names: tuple[str, ...]
    allow_choice: bool
    from_groups: bool
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        if s.breakouts is not None and s.breakouts.active:
            raise IllegalTransition(
                "Breakout rooms already exist; close or discard them before creating new ones."
            )
        names = list(self.names)
        if self.from_groups:
            if not s.groups:
                raise InvalidPayload("This session has no pre-defined groups to make rooms from.")
            if self.count is not None or names:
                raise InvalidPayload("Rooms made from groups take the groups' names.")
            names = [g.name for g in s.groups]
        round_ = BreakoutRound.create(session_id=s.id, number=s.next_round(), count=self.count,
                                      names=names, allow_choice=self.allow_choice)
        created = RoomsCreated(s.id, self.at, round_.number,
                               tuple((r.id, r.name) for r in round_.rooms.values()))
        if self.from_groups and len(s.groups) > len(round_.rooms):
            raise InvalidPayload(
                f"There are {len(s.groups)} groups but only {len(round_.rooms)} rooms.")
        s.breakouts = round_
        media.rooms_replaced(s)
        if self.from_groups:
            return [created, *round_.assign_groups(s.participants, s.groups, self.at,
                                                   s.plan.roster)]
        return [created, round_.changed(s.participants, self.at)]


@dataclass(frozen=True, slots=True)
class BreakoutAssign(_Breakouts):
    participant_id: str
    connection_id: str
    target_id: str
    room: str | None
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().assign(s.participants, self.target_id, self.room, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutAutoAssign(_Breakouts):
    """Everyone who can join breakouts, except the mentor doing it, spread evenly in ``order``
    (participant ids, shuffled by the caller)."""

    participant_id: str
    connection_id: str
    order: tuple[str, ...]
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        order = [pid for pid in self.order if pid != self.participant_id]
        return s.round().auto_assign(s.participants, order, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutOpen(_Breakouts):
    participant_id: str
    connection_id: str
    duration: float | None
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().open(s.participants, self.duration, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutAdjust(_Breakouts):
    participant_id: str
    connection_id: str
    add_seconds: float
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().adjust(s.participants, self.add_seconds, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutClose(_Breakouts):
    participant_id: str
    connection_id: str
    countdown: float
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().close(s.participants, self.countdown, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutDiscard(_Breakouts):
    participant_id: str
    connection_id: str
    at: float

    def run(self, s: Session) -> list[Event]:
        s.manager(self.participant_id, self.connection_id)
        return s.round().discard(s.participants, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutBroadcast(_Breakouts):
    participant_id: str
    connection_id: str
    text: str
    at: float

    def run(self, s: Session) -> list[Event]:
        return s.breakout_broadcast(self.participant_id, self.connection_id, self.text, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutVisit(_Breakouts):
    participant_id: str
    connection_id: str
    room: str
    at: float

    def run(self, s: Session) -> list[Event]:
        actor = s.manager(self.participant_id, self.connection_id)
        return s.round().visit(s.participants, actor, self.room, self.at)


@dataclass(frozen=True, slots=True)
class BreakoutChoose(_Breakouts):
    participant_id: str
    connection_id: str
    room: str
    at: float

    def run(self, s: Session) -> list[Event]:
        p = s.connected(self.participant_id, self.connection_id, action=Action.JOIN_BREAKOUTS)
        return s.round().choose(s.participants, p.id, self.room, self.at)


@dataclass(frozen=True, slots=True)
class HelpRequest(_Breakouts):
    participant_id: str
    connection_id: str
    at: float

    def run(self, s: Session) -> list[Event]:
        p = s.connected(self.participant_id, self.connection_id, action=Action.JOIN_BREAKOUTS)
        return s.round().ask_help(s.participants, p, self.at)


@dataclass(frozen=True, slots=True)
class HelpWithdraw(_Breakouts):
    participant_id: str
    connection_id: str
    at: float

    def run(self, s: Session) -> list[Event]:
        p = s.connected(self.participant_id, self.connection_id)
        return s.round().withdraw_help(s.participants, p, self.at)


@dataclass(frozen=True, slots=True)
class Tick(Command[None]):
    """The breakout timer's turn: warn, start closing, bring everyone back."""

    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(s.tick(self.at))


# -- activity -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaiseHand(Command[bool]):
    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    raised: bool
    at: float

    def outcome(self, s: Session) -> Outcome[bool]:
        changed, events = activity.raise_hand(s, self.participant_id, self.connection_id,
                                              self.raised, self.at)
        return Outcome(changed, tuple(events))


@dataclass(frozen=True, slots=True)
class SetSpeaking(Command[bool]):
    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    speaking: bool
    at: float

    def outcome(self, s: Session) -> Outcome[bool]:
        changed, events = activity.set_speaking(s, self.participant_id, self.connection_id,
                                                self.speaking, self.at)
        return Outcome(changed, tuple(events))


@dataclass(frozen=True, slots=True)
class React(Command[None]):
    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    reaction: Reaction
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(activity.react(s, self.participant_id, self.connection_id, self.reaction,
                                    self.at))


@dataclass(frozen=True, slots=True)
class CheckIn(Command[CheckInView]):
    participant_id: str
    connection_id: str
    goal: str
    at: float
    shared: bool = False

    def outcome(self, s: Session) -> Outcome[CheckInView]:
        view, events = activity.check_in(s, self.participant_id, self.connection_id, self.goal,
                                         self.at, self.shared)
        return Outcome(view, tuple(events))


@dataclass(frozen=True, slots=True)
class Rate(Command[None]):
    """A rating; without ``connection_id`` when given after leaving (over REST)."""

    participant_id: str
    connection_id: str | None
    rating: int
    comment: str | None
    anonymous: bool
    at: float
    shared: bool = False

    def outcome(self, s: Session) -> Outcome[None]:
        return done(activity.rate(s, self.participant_id, self.connection_id, self.rating,
                                   self.comment, self.anonymous, self.at, self.shared))

    def for_journal(self) -> Rate:
        """What replays it is that the participant rated; what they said is the ledger's (an
        anonymous rating is kept apart from them there), never the journal's."""
        return replace(self, rating=RATING_MIN, comment=None, anonymous=False, shared=False)


@dataclass(frozen=True, slots=True)
class EditBoard(Command[None]):
    """A board change (or, with ``clear``, a mentor clearing the board) in the sender's room."""

    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    room: str
    clear: bool
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(activity.edit_board(s, self.participant_id, self.connection_id, self.room,
                                         self.clear, self.at))


@dataclass(frozen=True, slots=True)
class ShowBoard(Command[None]):
    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    room: str | None
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(activity.show_board(s, self.participant_id, self.connection_id, self.room,
                                         self.at))


# -- media ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareScreen(Command[ParticipantView]):
    participant_id: str
    connection_id: str
    on: bool
    at: float

    def outcome(self, s: Session) -> Outcome[ParticipantView]:
        view, events = media.share_screen(s, self.participant_id, self.connection_id, self.on,
                                          self.at)
        return Outcome(view, tuple(events))


@dataclass(frozen=True, slots=True)
class StopScreen(Command[None]):
    participant_id: str
    connection_id: str
    target_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(media.stop_screen(s, self.participant_id, self.connection_id,
                                       self.target_id, self.at))


@dataclass(frozen=True, slots=True)
class SetScreenPolicy(Command[None]):
    participant_id: str
    connection_id: str
    many: bool
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(media.screen_policy(s, self.participant_id, self.connection_id, self.many,
                                        self.at))


@dataclass(frozen=True, slots=True)
class ReportFallback(Command[str]):
    """A direct connection failed; the value is the room's route now."""

    participant_id: str
    connection_id: str
    peer_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[str]:
        route = media.report_fallback(s, self.participant_id, self.connection_id, self.peer_id,
                                      self.at)
        return Outcome(route.value, ())


@dataclass(frozen=True, slots=True)
class MeasuredSpeaking(Command[None]):
    """The server's measure of someone's speaking, from their audio packets."""

    can_move_media: ClassVar[bool] = False
    participant_id: str
    speaking: bool
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(media.measured_speaking(s, self.participant_id, self.speaking, self.at))


@dataclass(frozen=True, slots=True)
class ServerMediaStopped(Command[None]):
    participant_id: str
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(media.server_media_stopped(s, self.participant_id, self.at))


# -- captions -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewCaptions(Command[ParticipantView]):
    participant_id: str
    connection_id: str
    on: bool
    at: float

    def outcome(self, s: Session) -> Outcome[ParticipantView]:
        view, events = captions.view_captions(s, self.participant_id, self.connection_id,
                                              self.on, self.at)
        return Outcome(view, tuple(events))


@dataclass(frozen=True, slots=True)
class SetTranscribed(Command[ParticipantView]):
    participant_id: str
    connection_id: str
    on: bool
    at: float

    def outcome(self, s: Session) -> Outcome[ParticipantView]:
        view, events = captions.set_transcribed(s, self.participant_id, self.connection_id,
                                                self.on, self.at)
        return Outcome(view, tuple(events))


@dataclass(frozen=True, slots=True)
class SetRecognition(Command[ParticipantView]):
    participant_id: str
    connection_id: str
    source: str
    at: float

    def outcome(self, s: Session) -> Outcome[ParticipantView]:
        view, events = captions.set_recognition(s, self.participant_id, self.connection_id,
                                                self.source, self.at)
        return Outcome(view, tuple(events))


@dataclass(frozen=True, slots=True)
class PostCaption(Command[None]):
    """A final caption line; ``actor_id`` and ``connection_id`` are None when the server
    recognised it. The session stays as it was, so no store keeps the line's text."""

    changes_session: ClassVar[bool] = False
    can_move_media: ClassVar[bool] = False

    actor_id: str | None
    connection_id: str | None
    speaker_id: str
    utterance: str
    text: str
    source: CaptionSource
    start: float
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(captions.post_caption(s, self.actor_id, self.connection_id,
                                           self.speaker_id, self.utterance, self.text,
                                           self.source, self.start, self.at))


COMMAND_TYPES: tuple[type[Command[object]], ...] = (
    Join, Leave, Disconnect, ServerRestarted, End, PostChat, SetMedia, SetGroups,
    BreakoutCreate, BreakoutAssign, BreakoutAutoAssign, BreakoutOpen, BreakoutAdjust,
    BreakoutClose, BreakoutDiscard, BreakoutBroadcast, BreakoutVisit, BreakoutChoose,
    HelpRequest, HelpWithdraw, Tick, RaiseHand, SetSpeaking, React, CheckIn, Rate, EditBoard,
    ShowBoard, ShareScreen, StopScreen, SetScreenPolicy, ReportFallback, MeasuredSpeaking,
    ServerMediaStopped, ViewCaptions, SetTranscribed, SetRecognition, PostCaption,
    StopWaiting, Admit, Decline, Moderate, SetLocked, EndForEveryone, RevokeLink,
)
