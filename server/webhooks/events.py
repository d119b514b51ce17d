"""Which domain events the outside world hears of, and what it is told: ids, roles and numbers,
never a name, an email, chat or a comment.

"Joined" and "left" follow the attendance rule (``rooms/timeline.py``): a dropped connection
that comes back within the grace period is no leave. So a drop is announced as
``participant.left`` (reason ``dropped``) only once the grace period has passed without a
return (it is *held*: ``Announced.hold``), and a return within it cancels that and announces
nothing; a return after a deliberate leave, or after the grace, is a new
``participant.joined``. A second tab or a replaced connection is neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rooms.events import (
    ConnectionReplaced,
    Event,
    ParticipantErased,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantRejoined,
    Rated,
    SessionEnded,
)
from rooms.views import ParticipantView
from server.announcements import AnnouncementType

# Who ended a session, from the domain's reasons (anything else: "server").
ENDED_BY = {"ended by an admin": "admin", "ended by a mentor": "mentor"}


@dataclass(frozen=True, slots=True)
class Announced:
    """One thing to tell every webhook subscribed to ``type``. ``hold``: a drop's key (session
    and participant), sent after the grace period unless they return; ``returned``: a return,
    which cancels the hold of that key when within the grace period."""

    type: AnnouncementType
    at: float
    data: dict[str, Any]
    hold: str | None = None
    returned: str | None = None
    person_ids: tuple[str, ...] = field(default=())


def hold_key(session_id: str, participant_id: str) -> str:
    return f"{session_id}:{participant_id}"


def _participant(session_id: str, p: ParticipantView) -> dict[str, Any]:
    return {"session_id": session_id, "participant_id": p.id, "person_id": p.person_id,
            "role": str(p.role)}


def _people(p: ParticipantView) -> tuple[str, ...]:
    return (p.person_id,) if p.person_id else ()


def announcements_for(events: Sequence[Event]) -> list[Announced]:
    """What one batch of domain events (one command's) announces."""
    replaced = {e.participant_id for e in events if isinstance(e, ConnectionReplaced)}
    erased = {e.participant_id for e in events if isinstance(e, ParticipantErased)}
    out: list[Announced] = []
    for e in events:
        if isinstance(e, ParticipantJoined):
            out.append(Announced("participant.joined", e.at,
                                 {**_participant(e.session_id, e.participant),
                                  "returning": False}, person_ids=_people(e.participant)))
        elif isinstance(e, ParticipantRejoined):
            if e.participant.id in replaced:
                continue  # was connected all along (another tab, a replaced connection)
            out.append(Announced("participant.joined", e.at,
                                 {**_participant(e.session_id, e.participant),
                                  "returning": True},
                                 returned=hold_key(e.session_id, e.participant.id),
                                 person_ids=_people(e.participant)))
        elif isinstance(e, ParticipantLeft):
            if e.participant.id in erased:
                continue  # sent away by a deletion request: nothing of them is announced
            dropped = e.reason in ("disconnected", "server_restart")
            out.append(Announced("participant.left", e.at,
                                 {**_participant(e.session_id, e.participant),
                                  "reason": "dropped" if dropped else e.reason},
                                 hold=hold_key(e.session_id, e.participant.id) if dropped
                                 else None, person_ids=_people(e.participant)))
        elif isinstance(e, SessionEnded):
            out.append(Announced("session.ended", e.at, {
                "session_id": e.session_id, "ended_by": ENDED_BY.get(e.reason, "server")}))
        elif isinstance(e, Rated):
            if e.participant_id is None:  # anonymous: nobody, and not the rating either
                data: dict[str, Any] = {"session_id": e.session_id, "anonymous": True}
                out.append(Announced("rating.given", e.at, data))
            else:
                out.append(Announced("rating.given", e.at, {
                    "session_id": e.session_id, "anonymous": False,
                    "participant_id": e.participant_id, "person_id": e.person_id,
                    "rating": e.rating},
                    person_ids=(e.person_id,) if e.person_id else ()))
    return out
