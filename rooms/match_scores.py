"""The criteria of matching: which hard rules a (mentor, mentee) pair breaks, and how well it
fits, for one pair (with the reasons, in words and as codes) and for a whole cohort at once (as
matrices).

Rules of this module: both forms compute the same thing and are tested against each other. A
soft criterion is a fraction in 0..1; a pair's score is ``100 * sum(weight * fraction) /
sum(weights)``, so the points of its reasons add up to it.
- goals, interests: Dice's overlap of the two lists, ``2 * shared / (len(a) + len(b))``;
- skills: the share of the skills the mentee wants that the mentor offers;
- availability: weekly minutes free at the same time, over ``full_availability_minutes``, at
  most 1.
Terms compare ignoring case. Time is evaluated at ``at``, an epoch second the caller passes:
each person's UTC offset at that instant decides the time-zone rule and turns their weekly
slots (in their own zone) into minutes of the UTC week.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from scipy import sparse

from rooms.cohort import MINUTES_PER_DAY, Person
from rooms.errors import InvalidPayload
from rooms.match_rules import MINUTES_PER_WEEK, MatchRules, Reason
from rooms.roles import Role

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
TERM_CRITERIA = ("goals", "interests", "languages")  # compared list with list


def offset_minutes(zone: str, at: float) -> int:
    """``zone``'s UTC offset at the instant ``at``, in whole minutes."""
    offset = datetime.fromtimestamp(at, UTC).astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return round(offset.total_seconds() / 60)


def _folded(values: tuple[str, ...]) -> dict[str, str]:
    return {v.casefold(): v for v in values}


@dataclass(frozen=True, slots=True)
class Traits:
    """A person made ready for comparison: terms folded, free time in minutes of the UTC week
    (sorted, disjoint, half-open intervals)."""

    person: Person
    goals: dict[str, str]
    interests: dict[str, str]
    offered: dict[str, str]
    wanted: dict[str, str]
    languages: dict[str, str]
    department: str
    offset: int
    free: tuple[tuple[int, int], ...]


def traits(person: Person, at: float, offsets: dict[str, int] | None = None) -> Traits:
    """``person`` ready for comparison at the instant ``at`` (``offsets`` caches zones)."""
    p = person.profile
    offsets = {} if offsets is None else offsets
    offset = offsets.get(p.time_zone)
    if offset is None:
        offset = offsets[p.time_zone] = offset_minutes(p.time_zone, at)
    pieces: list[tuple[int, int]] = []
    for slot in p.availability:
        start = (slot.weekday * MINUTES_PER_DAY + slot.start - offset) % MINUTES_PER_WEEK
        end = start + slot.end - slot.start
        if end <= MINUTES_PER_WEEK:
            pieces.append((start, end))
        else:  # wraps past the end of the UTC week into its beginning
            pieces += [(start, MINUTES_PER_WEEK), (0, end - MINUTES_PER_WEEK)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return Traits(person=person, goals=_folded(p.goals), interests=_folded(p.interests),
                  offered=_folded(p.skills_offered), wanted=_folded(p.skills_wanted),
                  languages=_folded(p.languages), department=p.department.casefold(),
                  offset=offset, free=tuple(merged))


def overlap_minutes(a: Traits, b: Traits) -> int:
    """Minutes a week both are free."""
    total, i, j = 0, 0, 0
    while i < len(a.free) and j < len(b.free):
        (s1, e1), (s2, e2) = a.free[i], b.free[j]
        total += max(0, min(e1, e2) - max(s1, s2))
        if e1 <= e2:
            i += 1
        else:
            j += 1
    return total


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "")
                    if part) or "0 min"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g} h"


def _hours_apart(m: Traits, e: Traits) -> float:
    return round(abs(m.offset - e.offset) / 60, 2)


def _check_roles(mentor: Person, mentee: Person) -> None:
    if mentor.role is not Role.MENTOR or mentee.role is not Role.MENTEE:
        raise InvalidPayload(f"A pair is a mentor and a mentee: {mentor.id!r} is a "
                             f"{mentor.role}, {mentee.id!r} a {mentee.role}.")


def pair_violations(m: Traits, e: Traits, rules: MatchRules) -> tuple[str, ...]:
    """The hard rules the pair of ``m`` (mentor) and ``e`` (mentee) breaks, in words."""
    mentor, mentee = m.person, e.person
    broken: list[str] = []
    if rules.common_language and m.languages and e.languages and not m.languages.keys() & \
            e.languages.keys():
        broken.append(f"No language in common ({', '.join(m.languages.values())} / "
                      f"{', '.join(e.languages.values())})")
    cap = rules.max_time_zone_hours
    if cap is not None and abs(m.offset - e.offset) > cap * 60:
        broken.append(f"Time zones {_hours(abs(m.offset - e.offset))} apart "
                      f"(at most {cap:g} h)")
    if rules.exclude_same_department and m.department and m.department == e.department:
        broken.append(f"Same department ({mentor.profile.department})")
    if mentee.id in mentor.never_pair:
        broken.append(f"{mentor.name} is never to be paired with {mentee.name}")
    if mentor.id in mentee.never_pair:
        broken.append(f"{mentee.name} is never to be paired with {mentor.name}")
    if rules.min_availability_minutes:
        overlap = overlap_minutes(m, e)
        if overlap < rules.min_availability_minutes:
            broken.append(f"{_duration(overlap)} a week free at the same time (at least "
                          f"{_duration(rules.min_availability_minutes)} needed)")
    if (mentor.id, mentee.id) in rules.forbids:
        broken.append("The admin forbade this pair")
    return tuple(broken)


def _dice(a: dict[str, str], b: dict[str, str]) -> tuple[float, list[str]]:
    shared = [b[k] for k in b if k in a]
    return (2 * len(shared) / (len(a) + len(b)) if shared else 0.0), shared


def reason_detail(code: str, params: dict[str, Any]) -> str:
    """A reason's ``code`` and ``params`` in English, as ``Reason.detail`` gives them."""
    if code == "shared_goals":
        return "Both want: " + ", ".join(params["goals"])
    if code == "shared_interests":
        return "Both like: " + ", ".join(params["interests"])
    if code == "skills_offered":
        return (f"Offers {params['offered']} of the {params['wanted']} skills wanted: "
                + ", ".join(params["skills"]))
    if code == "availability_overlap":
        return f"{_duration(params['minutes'])} a week free at the same time"
    if code == "shared_languages":
        return "Both speak: " + ", ".join(params["languages"])
    if code == "time_zones":
        return (f"Time zones {params['hours_apart']:g} h apart "
                f"(at most {params['max_hours']:g} h)")
    raise ValueError(f"no reason has the code {code!r}")


def _reason(criterion: str, points: float, code: str, params: dict[str, Any]) -> Reason:
    return Reason(criterion, points, reason_detail(code, params), code, params)


def pair_score(m: Traits, e: Traits, rules: MatchRules) -> tuple[float, tuple[Reason, ...]]:
    """The score of ``m`` (mentor) with ``e`` (mentee), 0..100, and its reasons."""
    w = rules.weights
    total = w.total
    goals, shared_goals = _dice(m.goals, e.goals)
    interests, shared_interests = _dice(m.interests, e.interests)
    offered = [e.wanted[k] for k in e.wanted if k in m.offered]
    skills = len(offered) / len(e.wanted) if offered else 0.0
    overlap = overlap_minutes(m, e)
    availability = min(1.0, overlap / rules.full_availability_minutes)
    reasons: list[Reason] = []
    for criterion, weight, fraction, code, params in (
        ("goals", w.goals, goals, "shared_goals", {"goals": shared_goals}),
        ("interests", w.interests, interests, "shared_interests",
         {"interests": shared_interests}),
        ("skills", w.skills, skills, "skills_offered",
         {"skills": offered, "offered": len(offered), "wanted": len(e.wanted)}),
        ("availability", w.availability, availability, "availability_overlap",
         {"minutes": overlap}),
    ):
        if fraction > 0 and weight > 0:
            reasons.append(_reason(criterion, 100 * weight * fraction / total, code, params))
    shared_languages = [e.languages[k] for k in e.languages if k in m.languages]
    if shared_languages:
        reasons.append(_reason("language", 0.0, "shared_languages",
                               {"languages": shared_languages}))
    cap = rules.max_time_zone_hours
    if cap is not None and abs(m.offset - e.offset) <= cap * 60:
        reasons.append(_reason("time_zone", 0.0, "time_zones",
                               {"hours_apart": _hours_apart(m, e), "max_hours": cap}))
    return math.fsum(r.points for r in reasons), tuple(reasons)


def violations(mentor: Person, mentee: Person, rules: MatchRules, at: float
               ) -> tuple[str, ...]:
    """The hard rules that pairing ``mentor`` with ``mentee`` breaks, in words; empty when the
    pair is allowed. Time zones and availability are compared at the instant ``at``."""
    _check_roles(mentor, mentee)
    offsets: dict[str, int] = {}
    return pair_violations(traits(mentor, at, offsets), traits(mentee, at, offsets), rules)


def score_pair(mentor: Person, mentee: Person, rules: MatchRules, at: float
               ) -> tuple[float, tuple[Reason, ...]]:
    """How well ``mentee`` fits ``mentor`` (0..100) and why: one reason per criterion that
    matched; the reasons' points add up to the score. Hard rules are not checked here (see
    ``violations``)."""
    _check_roles(mentor, mentee)
    offsets: dict[str, int] = {}
    return pair_score(traits(mentor, at, offsets), traits(mentee, at, offsets), rules)


# The whole cohort at once -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairTable:
    """Every (mentor, mentee) pair of a cohort: row i is ``mentors[i]``, column j ``mentees[j]``.
    Each ``*_ok`` matrix says that pair keeps that hard rule."""

    scores: Floats
    language_ok: Bools
    time_zone_ok: Bools
    department_ok: Bools
    never_ok: Bools
    availability_ok: Bools
    forbid_ok: Bools

    @property
    def feasible(self) -> Bools:
        return (self.language_ok & self.time_zone_ok & self.department_ok & self.never_ok
                & self.availability_ok & self.forbid_ok)

    def rules(self) -> tuple[tuple[str, Bools], ...]:
        """Each hard rule with its matrix, for saying why someone is left unmatched."""
        return (("language", self.language_ok), ("time_zone", self.time_zone_ok),
                ("department", self.department_ok), ("never_pair", self.never_ok),
                ("availability", self.availability_ok), ("forbids", self.forbid_ok))


def _incidence(rows: Sequence[dict[str, str]], vocabulary: dict[str, int]
               ) -> sparse.csr_array:
    indptr = [0]
    indices: list[int] = []
    for terms_ in rows:
        for term in terms_:
            indices.append(vocabulary.setdefault(term, len(vocabulary)))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_array((data, np.array(indices, dtype=np.int64), np.array(indptr)),
                            shape=(len(rows), max(len(vocabulary), 1)))


def _shared(a: Sequence[dict[str, str]], b: Sequence[dict[str, str]]) -> Floats:
    """How many terms each row of ``a`` shares with each row of ``b``."""
    vocabulary: dict[str, int] = {}
    left = _incidence(a, vocabulary)
    right = _incidence(b, vocabulary)
    left.resize((len(a), max(len(vocabulary), 1)))
    right.resize((len(b), max(len(vocabulary), 1)))
    product = (left @ right.T).toarray()
    return np.asarray(product, dtype=np.float64)


def _sizes(rows: Sequence[dict[str, str]]) -> Floats:
    return np.array([len(r) for r in rows], dtype=np.float64)


def _membership(people: Sequence[Traits], breaks: npt.NDArray[np.int64]) -> npt.NDArray[
        np.float32]:
    """For each person and each span between consecutive break points of the week, 1 when the
    person is free for the whole span (break points include every interval's ends, so a span
    is all free or all busy)."""
    marks = np.zeros((len(people), len(breaks)), dtype=np.int32)
    rows: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, t in enumerate(people):
        for start, end in t.free:
            rows.append(i)
            starts.append(start)
            ends.append(end)
    if rows:
        np.add.at(marks, (np.array(rows), np.searchsorted(breaks, starts)), 1)
        np.add.at(marks, (np.array(rows), np.searchsorted(breaks, ends)), -1)
    return (np.cumsum(marks, axis=1)[:, :-1] > 0).astype(np.float32)


def overlap_matrix(mentors: Sequence[Traits], mentees: Sequence[Traits]) -> Floats:
    """Minutes a week each mentor and each mentee are both free (exact: spans of the week cut
    at every slot's ends, in float32 only whole minutes under 2**24 are summed)."""
    ends = {0, MINUTES_PER_WEEK}
    for t in (*mentors, *mentees):
        for start, end in t.free:
            ends.update((start, end))
    breaks = np.array(sorted(ends), dtype=np.int64)
    spans = np.diff(breaks).astype(np.float32)
    left = _membership(mentors, breaks) * spans
    right = _membership(mentees, breaks)
    return np.asarray(left @ right.T, dtype=np.float64)


def _divide(top: Floats, bottom: Floats) -> Floats:
    out = np.zeros(np.broadcast_shapes(top.shape, bottom.shape), dtype=np.float64)
    np.divide(top, bottom, out=out, where=(bottom > 0) & (top > 0))
    return out


def pair_table(mentors: Sequence[Traits], mentees: Sequence[Traits], rules: MatchRules
               ) -> PairTable:
    """Scores and hard rules of every pair, vectorised (the same values as ``pair_score`` and
    ``pair_violations`` give one pair at a time)."""
    shape = (len(mentors), len(mentees))
    w = rules.weights
    weighted = np.zeros(shape, dtype=np.float64)
    fractions: list[tuple[float, Floats]] = []
    for weight, mine, theirs in (
        (w.goals, [m.goals for m in mentors], [e.goals for e in mentees]),
        (w.interests, [m.interests for m in mentors], [e.interests for e in mentees]),
    ):
        if weight > 0:
            both = _sizes(mine)[:, None] + _sizes(theirs)[None, :]
            fractions.append((weight, _divide(2 * _shared(mine, theirs), both)))
    if w.skills > 0:
        wanted = [e.wanted for e in mentees]
        offered = _shared([m.offered for m in mentors], wanted)
        fractions.append((w.skills, _divide(offered, _sizes(wanted)[None, :])))
    overlap = overlap_matrix(mentors, mentees)
    if w.availability > 0:
        fractions.append((w.availability,
                          np.minimum(1.0, overlap / rules.full_availability_minutes)))
    for weight, fraction in fractions:
        weighted += 100 * weight * fraction / w.total

    languages_m = [m.languages for m in mentors]
    languages_e = [e.languages for e in mentees]
    if rules.common_language:
        spoken = ((_sizes(languages_m)[:, None] == 0) | (_sizes(languages_e)[None, :] == 0))
        language_ok = spoken | (_shared(languages_m, languages_e) > 0)
    else:
        language_ok = np.ones(shape, dtype=np.bool_)
    if rules.max_time_zone_hours is None:
        time_zone_ok = np.ones(shape, dtype=np.bool_)
    else:
        gap = np.abs(np.array([m.offset for m in mentors], dtype=np.float64)[:, None]
                     - np.array([e.offset for e in mentees], dtype=np.float64)[None, :])
        time_zone_ok = gap <= rules.max_time_zone_hours * 60
    if rules.exclude_same_department:
        codes: dict[str, int] = {"": -1}
        dm = np.array([codes.setdefault(m.department, len(codes)) for m in mentors])
        de = np.array([codes.setdefault(e.department, len(codes)) for e in mentees])
        department_ok = (dm[:, None] != de[None, :]) | (dm[:, None] < 0)
    else:
        department_ok = np.ones(shape, dtype=np.bool_)
    row = {m.person.id: i for i, m in enumerate(mentors)}
    column = {e.person.id: j for j, e in enumerate(mentees)}
    never_ok = np.ones(shape, dtype=np.bool_)
    for i, m in enumerate(mentors):
        for other in m.person.never_pair:
            if other in column:
                never_ok[i, column[other]] = False
    for j, e in enumerate(mentees):
        for other in e.person.never_pair:
            if other in row:
                never_ok[row[other], j] = False
    availability_ok = overlap >= rules.min_availability_minutes
    forbid_ok = np.ones(shape, dtype=np.bool_)
    for mentor_id, mentee_id in rules.forbids:
        if mentor_id in row and mentee_id in column:
            forbid_ok[row[mentor_id], column[mentee_id]] = False
    return PairTable(scores=weighted, language_ok=language_ok, time_zone_ok=time_zone_ok,
                     department_ok=department_ok, never_ok=never_ok,
                     availability_ok=availability_ok, forbid_ok=forbid_ok)
