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
from rooms.breakout_commands import (
    BreakoutAdjust,
    BreakoutAssign,
    BreakoutAutoAssign,
    BreakoutBroadcast,
    BreakoutChoose,
    BreakoutClose,
    BreakoutCreate,
    BreakoutDiscard,
    BreakoutOpen,
    BreakoutVisit,
    HelpRequest,
    HelpWithdraw,
    SetGroups,
    Tick,
)
from rooms.chat import Posted

# Command and Outcome are this module's too: every caller imports them from here.
from rooms.command import Command as Command
from rooms.command import Outcome as Outcome
from rooms.command import done
from rooms.erasure import EraseParticipant, ErasePerson
from rooms.events import CaptionSource, Reaction
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
class ForgetSent(Command[None]):
    """A participant's request (by its page's id) took effect but its records could not be
    kept (``not_recorded``): the same request sent again is applied again, so that it is
    recorded, rather than answered as done (``Participant.forget_sent``)."""

    participant_id: str
    client_id: str

    def outcome(self, s: Session) -> Outcome[None]:
        p = s.participants.get(self.participant_id)
        if p is not None:
            p.forget_sent(self.client_id)
        return Outcome(None, ())


@dataclass(frozen=True, slots=True)
class UnsentChat(Command[None]):
    """A participant's chat message (by its page's id) was posted and recorded, but its room's
    history was out of reach as it was kept there: whether the room received it is not known
    (with several processes the reply can be lost after Redis kept and sent it). Sent again
    with the id, it is not posted again but handed back to be sent to its room once more
    (``PostChat``; ``server.history.Once`` keeps it from being kept or sent twice). Marked as
    the negative of the message's number among their page's ids (``Participant.sent``)."""

    participant_id: str
    client_id: str

    def outcome(self, s: Session) -> Outcome[None]:
        p = s.participants.get(self.participant_id)
        posted = None if p is None else p.sent_before(self.client_id)
        if p is not None and posted:  # (0: the id posted no message)
            p.remember_sent(self.client_id, -abs(posted))
        return Outcome(None, ())


@dataclass(frozen=True, slots=True)
class PostChat(Command[Posted]):
    can_move_media: ClassVar[bool] = False
    participant_id: str
    connection_id: str
    text: str
    at: float
    client_id: str | None = None  # the page's id for the message (``Session.post_chat``)

    def outcome(self, s: Session) -> Outcome[Posted]:
        p = s.connected(self.participant_id, self.connection_id, action=Action.CHAT)
        posted = p.sent_before(self.client_id)
        if posted is not None and posted < 0:  # its room may not have received it (UnsentChat)
            p.remember_sent(self.client_id, -posted)  # sent now (marked again if that fails)
            message = s.chat.find(-posted)
            return Outcome(Posted(message, again=message is not None), ())
        message, events = s.post_chat(self.participant_id, self.connection_id, self.text, self.at,
                                      self.client_id)
        return Outcome(Posted(message), tuple(events))


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


@dataclass(frozen=True, slots=True)
class DeleteBoards(Command[None]):
    """The server deletes boards of the session (``activity.delete_boards``)."""

    rooms: tuple[str, ...] | None
    final: bool
    at: float

    def outcome(self, s: Session) -> Outcome[None]:
        return done(activity.delete_boards(s, self.rooms, self.final, self.at))


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
    heard_in: str | None = None  # the room it was said in, when known (``captions.attribute``)

    def outcome(self, s: Session) -> Outcome[None]:
        return done(captions.post_caption(s, self.actor_id, self.connection_id,
                                           self.speaker_id, self.utterance, self.text,
                                           self.source, self.start, self.at, self.heard_in))


@dataclass(frozen=True, slots=True)
class EnterRoom(Command[None]):
    """Where ``room``'s history was as the participant entered it: the position their page was
    handed with the room (on joining, or moved there). ``replay`` hands them nothing of the room
    from before it (``Participant.entered_at``: a page back after a dropped connection keeps the
    first one of its stay)."""

    participant_id: str
    room: str
    epoch: str
    offset: int

    def changes(self, s: Session) -> bool:
        """Whether applying it would change ``s`` (asked first of a copy that may lag, so as not
        to write the session for nothing: a page back after a dropped connection)."""
        p = s.participants.get(self.participant_id)
        return p is not None and p.room == self.room and (
            p.entered is None or p.entered[0] != self.room)

    def outcome(self, s: Session) -> Outcome[None]:
        p = s.participants.get(self.participant_id)
        if p is not None:
            p.entered_at(self.room, self.epoch, self.offset)
        return done([])


COMMAND_TYPES: tuple[type[Command[object]], ...] = (
    Join, Leave, Disconnect, ServerRestarted, End, PostChat, SetMedia, SetGroups,
    BreakoutCreate, BreakoutAssign, BreakoutAutoAssign, BreakoutOpen, BreakoutAdjust,
    BreakoutClose, BreakoutDiscard, BreakoutBroadcast, BreakoutVisit, BreakoutChoose,
    HelpRequest, HelpWithdraw, Tick, RaiseHand, SetSpeaking, React, CheckIn, Rate, EditBoard,
    ShowBoard, DeleteBoards, ShareScreen, StopScreen, SetScreenPolicy, ReportFallback,
    MeasuredSpeaking, ServerMediaStopped, ViewCaptions, SetTranscribed, SetRecognition, PostCaption,
    StopWaiting, Admit, Decline, Moderate, SetLocked, EndForEveryone, RevokeLink, ForgetSent,
    UnsentChat, ErasePerson, EraseParticipant, EnterRoom,
)
