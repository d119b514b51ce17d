"""A cohort's published matches and the sessions scheduled for them.

Rules of this module: a proposal (``rooms.matching``) is a draft that no participant sees; a
match exists only once an admin publishes it, and from then on it is what a mentor's view, the
schedules and the pair's health are about. A published match may end (a re-match frees its
people for the next proposal); it never goes back. A schedule belongs to one match (a pair or a
small group) or to the whole cohort (a group session whose breakout groups are the published
matches).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from rooms.breakout import GROUP_SIZE_MAX, GROUPS_MAX, Group
from rooms.cohort import Person
from rooms.errors import IllegalTransition, InvalidPayload
from rooms.roles import Role
from rooms.roster import ROSTER_MAX, RosterEntry

MATCH_YEARS_MAX = 5  # a planned end at most this many years after the start
REASON_MAX = 20  # reasons kept with a match


class MatchState(StrEnum):
    PUBLISHED = "published"
    ENDED = "ended"


class Frequency(StrEnum):
    """How often a pair plans to meet (shown to the admin; schedules repeat by their own rule)."""

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class MatchReason:
    """A reason of the proposal a match was published from (``rooms.match_rules.Reason``);
    a match published before reasons had codes has ``code`` None and only its words."""

    criterion: str
    points: float
    detail: str
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Match:
    """A published mentor and their mentee (or small group of mentees)."""

    id: str
    cohort_id: str
    mentor_id: str
    mentee_ids: tuple[str, ...]
    score: float
    reasons: tuple[MatchReason, ...]
    starts_on: date
    ends_on: date
    frequency: Frequency
    published_at: float
    state: MatchState = MatchState.PUBLISHED
    ended_at: float | None = None

    def __post_init__(self) -> None:
        if not self.mentee_ids:
            raise InvalidPayload("A match needs at least one mentee.")
        if self.ends_on <= self.starts_on:
            raise InvalidPayload("ends_on: a match's planned end comes after its start.")
        if (self.ends_on - self.starts_on).days > 366 * MATCH_YEARS_MAX:
            raise InvalidPayload(f"ends_on: at most {MATCH_YEARS_MAX} years after the start.")

    @property
    def people(self) -> tuple[str, ...]:
        return (self.mentor_id, *self.mentee_ids)

    @property
    def live(self) -> bool:
        return self.state is MatchState.PUBLISHED

    def end(self, now: float) -> Match:
        if self.state is MatchState.ENDED:
            raise IllegalTransition("This match has already ended.")
        return replace(self, state=MatchState.ENDED, ended_at=now)


def matched_people(matches: Iterable[Match]) -> set[str]:
    """Everyone in a live match: they are not proposed again until it ends."""
    return {p for m in matches if m.live for p in m.people}


def pair_roster(match: Match, people: dict[str, Person]) -> tuple[RosterEntry, ...]:
    """The roster of a session for one match: its mentor and mentees."""
    missing = [p for p in match.people if p not in people]
    if missing:
        raise InvalidPayload("Someone in this match is no longer in the cohort; end the match "
                             "and match again.")
    return tuple(people[p].roster_entry() for p in match.people)


def group_roster(matches: Sequence[Match], people: dict[str, Person]
                 ) -> tuple[tuple[RosterEntry, ...], tuple[Group, ...]]:
    """The roster and breakout groups of a group session for the cohort: everyone in a live
    match, and one group per match (named after its mentor), so that "use the programme's
    pairs" puts each pair in a room of its own."""
    live = [m for m in matches if m.live and all(p in people for p in m.people)]
    if not live:
        raise IllegalTransition("There is no published match to hold a group session for.")
    entries: dict[str, RosterEntry] = {}
    groups: list[Group] = []
    for m in sorted(live, key=lambda m: (people[m.mentor_id].name.casefold(), m.id)):
        for p in m.people:
            entries.setdefault(p, people[p].roster_entry())
        if len(m.people) > GROUP_SIZE_MAX:
            raise InvalidPayload("A match is larger than a breakout room takes.")
        groups.append(Group(f"{people[m.mentor_id].name}'s group"[:60], m.people))
    if len(entries) > ROSTER_MAX:
        raise InvalidPayload(f"A group session takes at most {ROSTER_MAX} people; this cohort's "
                             f"matches have {len(entries)}. Schedule sessions per pair instead.")
    if len(groups) > GROUPS_MAX:
        raise InvalidPayload(f"A group session has at most {GROUPS_MAX} breakout groups.")
    mentors = [e for e in entries.values() if e.role is Role.MENTOR]
    return (*mentors, *(e for e in entries.values() if e.role is not Role.MENTOR)), tuple(groups)
