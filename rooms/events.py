"""Everything the domain says happened: one closed union of frozen events.

Commands return these; adapters deliver them to the people they concern, and the recorder turns
them into attendance records. Each carries its session and the time it happened. ``Event`` is
closed: code that must handle every kind (the recorder, the delivery table) matches on it
exhaustively, so a new kind left unhandled is a type error.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Literal

from rooms.chat import ChatMessage
from rooms.roles import Role
from rooms.roster import SessionPlan
from rooms.views import BreakoutView, JoinView, ParticipantView, WaiterView

# "server_restart": the server stopped while the person was connected; their presence is closed
# by the ledger's own recovery, at its last sign of life.
# "removed": a mentor removed them.
LeaveReason = Literal["left", "disconnected", "server_restart", "removed"]
# "client": the person's page measured it; "measured": the server measured it from the audio
# levels their packets carry (their media goes through the server); "server": the server ended it
# (muting ends speaking).
SpeakingSource = Literal["client", "measured", "server"]
Reaction = Literal["thumbs_up", "clap", "heart", "laugh", "surprised", "thinking"]
REACTIONS: tuple[Reaction, ...] = typing.get_args(Reaction)


# -- the session itself ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionScheduled:
    """A session was created; recorders keep its plan so reports outlive the process."""

    session_id: str
    at: float
    title: str
    goal: str
    max_participants: int
    plan: SessionPlan


@dataclass(frozen=True, slots=True)
class SessionEnded:
    session_id: str
    at: float
    reason: str
    connection_ids: tuple[str, ...]


# -- presence -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    session_id: str
    at: float
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantRejoined:
    session_id: str
    at: float
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantLeft:
    session_id: str
    at: float
    participant: ParticipantView
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class ParticipantUpdated:
    """A participant's microphone or camera changed."""

    session_id: str
    at: float
    participant: ParticipantView


@dataclass(frozen=True, slots=True)
class ParticipantMoved:
    """A participant changed room (breakouts, a mentor's visit, everyone coming back)."""

    session_id: str
    at: float
    participant: ParticipantView
    from_room: str
    connection_id: str | None


@dataclass(frozen=True, slots=True)
class MediaRouteChanged:
    """A room's media now goes directly between browsers, or through the server."""

    session_id: str
    at: float
    room: str
    route: str  # a ``rooms.room.MediaRoute``


@dataclass(frozen=True, slots=True)
class ScreenPolicyChanged:
    """A mentor let several people share their screens at once in a room, or back to one."""

    session_id: str
    at: float
    room: str
    many: bool


@dataclass(frozen=True, slots=True)
class ConnectionReplaced:
    """A participant connected again; their older connection must be closed."""

    session_id: str
    at: float
    participant_id: str
    connection_id: str


# -- chat -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatPosted:
    """A message, with whether the session keeps chat text in its records."""

    session_id: str
    at: float
    message: ChatMessage
    person_id: str | None
    keep_text: bool


# -- breakout rooms -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BreakoutsChanged:
    """The breakout round changed; everyone in the session gets the new view, help requests
    included (a participant sees their own request answered; mentors see them all)."""

    session_id: str
    at: float
    view: BreakoutView


@dataclass(frozen=True, slots=True)
class BreakoutWarning:
    """One minute (or less) is left before the rooms close."""

    session_id: str
    at: float
    ends_at: float


@dataclass(frozen=True, slots=True)
class RoomsCreated:
    """A breakout round was created with these rooms (id, name), in order."""

    session_id: str
    at: float
    round: int
    rooms: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class HelpRequested:
    session_id: str
    at: float
    participant_id: str
    person_id: str | None
    room: str


# -- engagement -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HandChanged:
    """A hand went up or down in ``room`` (moving to another room lowers it)."""

    session_id: str
    at: float
    participant_id: str
    person_id: str | None
    room: str
    raised: bool


@dataclass(frozen=True, slots=True)
class SpeakingChanged:
    """Someone started or stopped speaking: measured by their page (``client``), or decided by
    the server (``server``: muting ends speaking)."""

    session_id: str
    at: float
    participant_id: str
    person_id: str | None
    room: str
    speaking: bool
    source: SpeakingSource


CaptionSource = Literal["server", "browser", "captioner"]


@dataclass(frozen=True, slots=True)
class CaptionPosted:
    """A final caption: what ``speaker_id`` said from ``start`` to ``at`` (``speaker_id`` empty:
    a captioner did not know who spoke). ``keep``: the line goes into the transcript."""

    session_id: str
    at: float
    room: str
    speaker_id: str
    person_id: str | None
    speaker_name: str
    utterance: str
    text: str
    words: int
    source: CaptionSource
    start: float
    keep: bool


@dataclass(frozen=True, slots=True)
class Reacted:
    session_id: str
    at: float
    participant_id: str
    person_id: str | None
    room: str
    reaction: Reaction


@dataclass(frozen=True, slots=True)
class CheckedIn:
    session_id: str
    at: float
    participant_id: str
    person_id: str | None
    room: str
    goal: str
    shared: bool = False  # the person chose to show it to their mentor


@dataclass(frozen=True, slots=True)
class Rated:
    """A rating. An anonymous one names nobody: no participant, person or room."""

    session_id: str
    at: float
    participant_id: str | None
    person_id: str | None
    room: str | None
    rating: int
    comment: str | None
    shared: bool = False  # the person chose to show it (and their comment) to their mentor


# -- whiteboard -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardEdited:
    """Someone changed a board; ``new_burst`` when it is their first change in a while (edits
    less than ``BOARD_EDIT_GAP`` apart are one edit in the records)."""

    session_id: str
    at: float
    participant_id: str
    person_id: str | None
    room: str
    new_burst: bool


@dataclass(frozen=True, slots=True)
class BoardShown:
    """A mentor shows a room's board (``room``) to everyone in the main room, or stops
    (``room`` None)."""

    session_id: str
    at: float
    participant_id: str
    room: str | None


@dataclass(frozen=True, slots=True)
class BoardsDeleted:
    """Boards of the session (of ``rooms``; every one when None) are being deleted from the
    store, or (``final``) were: each is of a new generation from now on
    (``Session.board_generation``), so that a copy of it read before is known as deleted."""

    session_id: str
    at: float
    rooms: tuple[str, ...] | None
    final: bool


# -- moderation -----------------------------------------------------------------------------------

# What a mentor (or admin) did: to a participant (mute, stop_camera, stop_screen, allow: lift a
# mute or camera lock; remove), to someone waiting (admit, decline), or to the session (lock,
# unlock, end).
ModerationAction = Literal["mute", "stop_camera", "stop_screen", "allow", "remove", "admit",
                           "decline", "lock", "unlock", "end"]
MODERATION_ACTIONS: tuple[ModerationAction, ...] = typing.get_args(ModerationAction)


@dataclass(frozen=True, slots=True)
class Moderated:
    """A moderation action, for the person it concerns and the ledger. ``target_id`` is the
    participant (or waiter) acted on; empty for the session as a whole."""

    session_id: str
    at: float
    action: ModerationAction
    actor_id: str
    actor_person_id: str | None
    actor_role: Role  # what the person acted on is told: a mentor or an admin
    target_id: str
    target_person_id: str | None
    target_connection_id: str | None
    locked: bool = False  # a mute or stopped camera they cannot undo themselves


@dataclass(frozen=True, slots=True)
class ParticipantRemoved:
    """A mentor removed someone: their connection (if any) is told and closed."""

    session_id: str
    at: float
    participant_id: str
    connection_id: str | None


@dataclass(frozen=True, slots=True)
class ParticipantErased:
    """A deletion request erased a participant: everything the session held of them is gone,
    their chat messages (by number) included. Carries ids only: pages drop what they show."""

    session_id: str
    at: float
    participant_id: str
    message_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WaitingChanged:
    """Who is in the waiting room now, for those who admit people."""

    session_id: str
    at: float
    waiting: tuple[WaiterView, ...]


@dataclass(frozen=True, slots=True)
class Admitted:
    """Someone waiting was let in over their connection: ``view`` is what joining gives them."""

    session_id: str
    at: float
    waiter_id: str
    connection_id: str
    view: JoinView


@dataclass(frozen=True, slots=True)
class Declined:
    """Someone waiting was not let in (a mentor declined, or the session ended or locked)."""

    session_id: str
    at: float
    waiter_id: str
    connection_id: str
    reason: Literal["declined", "session_ended"]


@dataclass(frozen=True, slots=True)
class SessionLockChanged:
    session_id: str
    at: float
    locked: bool


Event = (
    SessionScheduled
    | SessionEnded
    | ParticipantJoined
    | ParticipantRejoined
    | ParticipantLeft
    | ParticipantUpdated
    | ParticipantMoved
    | MediaRouteChanged
    | ScreenPolicyChanged
    | ConnectionReplaced
    | ChatPosted
    | CaptionPosted
    | BreakoutsChanged
    | BreakoutWarning
    | RoomsCreated
    | HelpRequested
    | HandChanged
    | SpeakingChanged
    | Reacted
    | CheckedIn
    | Rated
    | BoardEdited
    | BoardShown
    | BoardsDeleted
    | Moderated
    | ParticipantRemoved
    | ParticipantErased
    | WaitingChanged
    | Admitted
    | Declined
    | SessionLockChanged
)
# Every kind, from the union itself, so that no kind can be left out.
EVENT_TYPES: tuple[type[Event], ...] = typing.get_args(Event)
