"""What the admin decides about a cohort's matching: the hard rules, the weights of the soft
criteria, the objective, and the pairs they pin or forbid. ``rooms.match_scores`` applies these
rules to a pair; ``rooms.matching`` to the whole cohort.

Rules of this module: values validate themselves and raise ``InvalidPayload`` naming the field;
a pair is always written (mentor id, mentee id).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rooms.cohort import COHORT_MAX
from rooms.errors import InvalidPayload
from rooms.roster import is_person_id

MINUTES_PER_WEEK = 7 * 24 * 60
TIME_ZONE_HOURS_MAX = 26.0  # UTC-12 to UTC+14: every cap above this is no cap
WEIGHT_MAX = 100.0


class Objective(StrEnum):
    """``BEST_FIT`` maximises the total score (it may leave someone unmatched when matching them
    would cost a better pair); ``MOST_MATCHED`` matches as many people as the hard rules allow,
    and among those matchings takes the best total score."""

    BEST_FIT = "best_fit"
    MOST_MATCHED = "most_matched"


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each soft criterion counts. Only the ratios matter: a pair's score is the
    weighted mean of the criteria, on 0..100."""

    goals: float = 3.0
    interests: float = 1.0
    skills: float = 3.0
    availability: float = 2.0

    def __post_init__(self) -> None:
        for name in ("goals", "interests", "skills", "availability"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidPayload(f"weights.{name}: a number.")
            if not math.isfinite(value) or not 0 <= value <= WEIGHT_MAX:
                raise InvalidPayload(f"weights.{name}: 0 to {WEIGHT_MAX:g}.")
            object.__setattr__(self, name, float(value))

    @property
    def total(self) -> float:
        return self.goals + self.interests + self.skills + self.availability


def _pairs(value: frozenset[tuple[str, str]], what: str) -> frozenset[tuple[str, str]]:
    pairs = frozenset(value)
    if len(pairs) > COHORT_MAX:
        raise InvalidPayload(f"{what}: at most {COHORT_MAX} pairs.")
    for pair in pairs:
        if (not isinstance(pair, tuple) or len(pair) != 2
                or not all(isinstance(p, str) and is_person_id(p) for p in pair)):
            raise InvalidPayload(f"{what}: each is a (mentor id, mentee id) pair.")
    return pairs


@dataclass(frozen=True, slots=True)
class MatchRules:
    """The rules of one matching run.

    Hard rules (never broken by a proposal): a language in common (a person who lists no
    language is taken to speak any: an import with an empty column must not block everyone),
    UTC offsets at most ``max_time_zone_hours`` apart at the reference instant (``None``: no
    cap), different departments when ``exclude_same_department`` (an empty department is
    nobody's), at least ``min_availability_minutes`` a week free at the same time, nobody in the
    other's ``never_pair``, and no pair in ``forbids``. ``pins`` must be in the result; a pin
    that breaks a hard rule or a mentor's capacity is refused.

    ``full_availability_minutes`` is the weekly overlap that earns the availability criterion in
    full (less earns it pro rata): beyond an hour or two a week more overlap does not make a
    better pair."""

    objective: Objective = Objective.BEST_FIT
    common_language: bool = True
    max_time_zone_hours: float | None = 6.0
    exclude_same_department: bool = False
    min_availability_minutes: int = 0
    weights: Weights = field(default_factory=Weights)
    pins: frozenset[tuple[str, str]] = frozenset()
    forbids: frozenset[tuple[str, str]] = frozenset()
    full_availability_minutes: int = 120

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "objective", Objective(self.objective))
        except ValueError:
            raise InvalidPayload("objective: best_fit or most_matched.") from None
        cap = self.max_time_zone_hours
        if cap is not None:
            if isinstance(cap, bool) or not isinstance(cap, int | float) or not math.isfinite(cap):
                raise InvalidPayload("max_time_zone_hours: a number of hours, or none.")
            if not 0 <= cap <= TIME_ZONE_HOURS_MAX:
                raise InvalidPayload(f"max_time_zone_hours: 0 to {TIME_ZONE_HOURS_MAX:g}.")
            object.__setattr__(self, "max_time_zone_hours", float(cap))
        for name in ("min_availability_minutes", "full_availability_minutes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidPayload(f"{name}: whole minutes.")
        if not 0 <= self.min_availability_minutes <= MINUTES_PER_WEEK:
            raise InvalidPayload(f"min_availability_minutes: 0 to {MINUTES_PER_WEEK}.")
        if not 1 <= self.full_availability_minutes <= MINUTES_PER_WEEK:
            raise InvalidPayload(f"full_availability_minutes: 1 to {MINUTES_PER_WEEK}.")
        if not isinstance(self.weights, Weights):
            raise InvalidPayload("weights: a Weights value.")
        object.__setattr__(self, "pins", _pairs(self.pins, "pins"))
        object.__setattr__(self, "forbids", _pairs(self.forbids, "forbids"))


@dataclass(frozen=True, slots=True)
class Reason:
    """One criterion of a pair's score: its points (the criteria's points add up to the score;
    a hard rule that holds is listed with 0 points), what matched in English words (``detail``)
    and the same as data, for a page to put in its own language: a stable ``code`` and its
    ``params`` (``REASON_CODES``; docs/PROGRAMMES.md lists them)."""

    criterion: str  # goals | interests | skills | availability | language | time_zone
    points: float
    detail: str
    code: str
    params: dict[str, Any]


# Each reason's code, its criterion and its params (terms as the mentee wrote them).
REASON_CODES = {
    "shared_goals": ("goals", "goals: [str]"),
    "shared_interests": ("interests", "interests: [str]"),
    "skills_offered": ("skills", "skills: [str], offered: int, wanted: int"),
    "availability_overlap": ("availability", "minutes: int (a week)"),
    "shared_languages": ("language", "languages: [str]"),
    "time_zones": ("time_zone", "hours_apart: number, max_hours: number"),
}
