"""What people do in a session besides talking: raised hands, speaking, reactions, the check-in
goal, the rating when leaving, whiteboard edits and the board on show in the main room.

Rules of this module: each function is a command of the session (``rooms.commands`` calls them):
it checks who is asking over which connection, changes the session, and returns what changed and
the events. A client never says who or where it is: the person and room of every event are the
session's own.
"""

from __future__ import annotations

from rooms.attendance import RATING_MAX, RATING_MIN
from rooms.errors import IllegalTransition, InvalidPayload, NotAllowed, RatingClosed
from rooms.events import (
    BoardEdited,
    BoardsDeleted,
    BoardShown,
    CheckedIn,
    Event,
    HandChanged,
    Rated,
    Reacted,
    Reaction,
    SpeakingChanged,
)
from rooms.roles import Action
from rooms.session import Session
from rooms.views import CheckInView
from rooms.whiteboard import ALL_BOARDS, BOARD_EDIT_GAP

GOAL_TEXT_MAX = 500
COMMENT_MAX = 1000
# How long after the session's end the after-call rating is still taken (and a resume credential
# still accepted for it: ``server.tokens``).
RATING_WINDOW = 60 * 60.0


def raise_hand(s: Session, participant_id: str, connection_id: str, raised: bool,
               now: float) -> tuple[bool, list[Event]]:
    """Raise or lower a hand in one's room; says whether anything changed."""
    p = s.connected(participant_id, connection_id)
    if (p.hand_raised_at is not None) == raised:
        return False, []
    p.hand_raised_at = now if raised else None
    return True, [HandChanged(s.id, now, p.id, p.person_id, p.room, raised)]


def set_speaking(s: Session, participant_id: str, connection_id: str, speaking: bool,
                 now: float) -> tuple[bool, list[Event]]:
    """A page says its person started or stopped speaking; says whether that changed."""
    p = s.connected(participant_id, connection_id)
    if speaking and not p.audio:
        raise NotAllowed("Your microphone is off, so you cannot be speaking.")
    if p.speaking_by_server:  # the server measures it from their packets (rooms.media)
        return False, []
    if p.speaking == speaking:
        return False, []
    p.speaking = speaking
    return True, [SpeakingChanged(s.id, now, p.id, p.person_id, p.room, speaking, "client")]


def react(s: Session, participant_id: str, connection_id: str, reaction: Reaction,
          now: float) -> list[Event]:
    p = s.connected(participant_id, connection_id)
    return [Reacted(s.id, now, p.id, p.person_id, p.room, reaction)]


def check_in(s: Session, participant_id: str, connection_id: str, goal: str,
             now: float, shared: bool = False) -> tuple[CheckInView, list[Event]]:
    """What the person wants from the session (the latest one counts). Their mentor reads it
    only when they chose to ``share`` it; otherwise it is theirs and the programme admins'."""
    p = s.connected(participant_id, connection_id)
    goal = goal.strip()
    if not goal:
        raise InvalidPayload("goal: write what you want from this session, or skip it.")
    if len(goal) > GOAL_TEXT_MAX:
        raise InvalidPayload(f"goal: at most {GOAL_TEXT_MAX} characters.")
    p.check_in = CheckInView(goal, now, shared)
    return p.check_in, [CheckedIn(s.id, now, p.id, p.person_id, p.room, goal, shared)]


def rate(s: Session, participant_id: str, connection_id: str | None, rating: int,
         comment: str | None, anonymous: bool, now: float, shared: bool = False) -> list[Event]:
    """Rate the session once: during it (over one's connection) or after leaving it (no
    connection: the caller has checked the person's resume credential), until ``RATING_WINDOW``
    after the session's end. Only someone who joined the session is a participant of it.

    Named, the rating goes to the programme admins; the mentor sees that it was given (and the
    average) unless the person ``shared`` it. Anonymous, it names nobody, so it cannot be shared.
    """
    p = s.connected(participant_id, connection_id) if connection_id is not None else (
        s.participants.get(participant_id))
    if p is None:
        raise InvalidPayload("There is no such participant in this session.")
    if s.ended_at is not None and now >= s.ended_at + RATING_WINDOW:
        raise RatingClosed("The rating of this session closed an hour after it ended.")
    if anonymous and shared:
        raise InvalidPayload("share: an anonymous rating is shown to nobody by name; send it "
                             "anonymously or share it with your mentor, not both.")
    if not RATING_MIN <= rating <= RATING_MAX:
        raise InvalidPayload(f"rating: a whole number from {RATING_MIN} to {RATING_MAX}.")
    if p.rated:
        raise IllegalTransition("You have already rated this session.")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > COMMENT_MAX:
        raise InvalidPayload(f"comment: at most {COMMENT_MAX} characters.")
    p.rated = True
    if anonymous:  # nothing in it says who gave it: not the participant, person or room
        return [Rated(s.id, now, None, None, None, rating, comment)]
    return [Rated(s.id, now, p.id, p.person_id, p.room, rating, comment, shared)]


def edit_board(s: Session, participant_id: str, connection_id: str, room: str, clear: bool,
               now: float) -> list[Event]:
    """Someone changes the board of ``room`` (or a mentor clears it): they must be in that room
    and allowed to. Changes less than ``BOARD_EDIT_GAP`` apart make one edit."""
    p = s.connected(participant_id, connection_id, room=room,
                    action=Action.CLEAR_BOARD if clear else Action.DRAW_ON_BOARD)
    new_burst = p.board_edit_at is None or now - p.board_edit_at >= BOARD_EDIT_GAP
    p.board_edit_at = now
    return [BoardEdited(s.id, now, p.id, p.person_id, room, new_burst)]


def show_board(s: Session, participant_id: str, connection_id: str, room: str | None,
               now: float) -> list[Event]:
    """A mentor shows a room's board to everyone in the main room (``None``: stops). Which
    rooms have a board is the caller's to check (boards live outside the session)."""
    p = s.connected(participant_id, connection_id, action=Action.SHOW_BOARDS)
    s.board_shown = room
    return [BoardShown(s.id, now, p.id, room)]


def delete_boards(s: Session, rooms: tuple[str, ...] | None, final: bool,
                  now: float) -> list[Event]:
    """Boards of the session (of ``rooms``; every one when None) are being deleted, or
    (``final``) were: each becomes of a new generation. The server issues this before it
    deletes them and again after, so a copy read while they were being deleted is of neither."""
    for key in (ALL_BOARDS,) if rooms is None else rooms:
        s.board_deletions[key] = s.board_deletions.get(key, 0) + 1
    return [BoardsDeleted(s.id, now, rooms, final)]
