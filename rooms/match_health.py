"""How each match (a mentor and their mentee, or a small group) is doing, and which need help.

Rules of this module: everything is derived from the attendance reports of the sessions
scheduled for the pair (``rooms.timeline``), with ``now`` passed in; nothing is stored.

- A session is held when the mentor and at least one of the mentees attended it; its minutes
  are the time the mentor and a mentee were in the same room at once.
- A session is upcoming while no one has come and it is not over; every other session is
  planned (started or over). A no-show is an over session that someone of the pair missed.
- Talk balance is the mentees' share of the pair's speaking time over the held sessions.
- Ratings are the mentees' own ratings (check-outs), in session order.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.attendance import AttendanceStatus, Interval, PersonAttendance, SessionAttendance
from rooms.errors import InvalidPayload
from rooms.timeline import intersect, measure, union

WEEK = 7 * 86_400.0
_CAME = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.ATTENDED})


class Fit(StrEnum):
    """What the mentee said of the match when asked."""

    GOOD = "good"
    NOT_SURE = "not_sure"
    NOT_A_GOOD_FIT = "not_a_good_fit"


@dataclass(frozen=True, slots=True)
class PairSessions:
    """A match and the reports of the sessions scheduled for it (their rosters list the pair)."""

    match_id: str
    mentor_id: str
    mentee_ids: tuple[str, ...]
    reports: tuple[SessionAttendance, ...]

    def __post_init__(self) -> None:
        if not self.match_id or not self.mentor_id:
            raise InvalidPayload("A match needs an id and a mentor.")
        if not self.mentee_ids or len(set(self.mentee_ids)) != len(self.mentee_ids):
            raise InvalidPayload("A match needs one or more different mentees.")
        if self.mentor_id in self.mentee_ids:
            raise InvalidPayload("A mentor cannot be their own mentee.")


@dataclass(frozen=True, slots=True)
class Risk:
    """A reason to look at a match: ``code`` is one of ``RISK_CODES``."""

    code: str
    detail: str


RISK_CODES = ("no_contact", "falling_ratings", "repeated_no_shows", "not_a_good_fit")


@dataclass(frozen=True, slots=True)
class RiskRules:
    """When a match is at risk: no held session for ``no_contact_weeks``; ``no_shows`` sessions
    or more that someone missed; the mean of the last two ratings ``rating_drop`` or more below
    the mean of the first two (with three ratings or more)."""

    no_contact_weeks: float = 3.0
    no_shows: int = 2
    rating_drop: float = 1.0

    def __post_init__(self) -> None:
        if not self.no_contact_weeks > 0 or self.no_shows < 1 or not self.rating_drop > 0:
            raise InvalidPayload("Risk rules: weeks and rating drop above 0, no-shows 1 or more.")


@dataclass(frozen=True, slots=True)
class PairHealth:
    """One match as its sessions show it; times in seconds since the epoch."""

    match_id: str
    sessions_planned: int  # started or over
    sessions_held: int  # the mentor and a mentee both came
    upcoming: int
    minutes: float  # together, over the held sessions
    last_contact: float | None  # the end of the last time together
    no_shows: int  # over sessions someone of the pair missed
    talk_balance: float | None  # the mentees' share of the pair's speaking time, 0..1
    ratings: tuple[int, ...]  # the mentees' ratings, in session order
    fit: Fit | None
    risks: tuple[Risk, ...]

    @property
    def at_risk(self) -> bool:
        return bool(self.risks)


def _when(report: SessionAttendance) -> float:
    schedule = report.info.plan.schedule
    if schedule is not None:
        return schedule.start
    return report.started_at if report.started_at is not None else report.info.created_at


def _find(report: SessionAttendance, person_id: str) -> PersonAttendance | None:
    for p in report.people:
        if p.person_id == person_id:
            return p
    return None


def _over(report: SessionAttendance) -> bool:
    schedule = report.info.plan.schedule
    return report.ended_at is not None or (schedule is not None
                                           and report.as_of >= schedule.end)


def _came(p: PersonAttendance | None) -> bool:
    return p is not None and p.status in _CAME


def _together(mentor: PersonAttendance, mentees: list[PersonAttendance]) -> list[Interval]:
    """When the mentor and at least one mentee were in the same room."""
    spans: list[Interval] = []
    for room in {s.room for s in mentor.timeline}:
        mine = union((s.start, s.end) for s in mentor.timeline if s.room == room)
        theirs = union((s.start, s.end) for m in mentees for s in m.timeline if s.room == room)
        spans += intersect(mine, theirs)
    return union(spans)


DEFAULT_RULES = RiskRules()


def pair_health(pair: PairSessions, fit: Fit | None, now: float,
                rules: RiskRules = DEFAULT_RULES) -> PairHealth:
    """How a match is doing as of ``now``, with the risks ``rules`` see in it. ``fit`` is what
    the mentee last said of the match, if asked."""
    planned = held = upcoming = no_shows = 0
    seconds = 0.0
    last_contact: float | None = None
    first_planned: float | None = None
    spoken_mentor = spoken_mentees = 0.0
    ratings: list[int] = []
    for report in sorted(pair.reports, key=lambda r: (_when(r), r.info.session_id)):
        mentor = _find(report, pair.mentor_id)
        mentees = [_find(report, m) for m in pair.mentee_ids]
        ratings += [m.rating for m in mentees if m is not None and m.rating is not None]
        members = [mentor, *mentees]
        over = _over(report)
        if not over and not any(_came(p) for p in members):
            upcoming += 1
            continue
        planned += 1
        start = _when(report)
        first_planned = start if first_planned is None else min(first_planned, start)
        if over and not all(_came(p) for p in members):
            no_shows += 1
        came = [m for m in mentees if m is not None and _came(m)]
        if mentor is None or not _came(mentor) or not came:
            continue
        held += 1
        together = _together(mentor, came)
        seconds += measure(together)
        # both came but never at once: the contact is when the last of them left
        end = together[-1][1] if together else max(
            p.last_leave if p.last_leave is not None else report.as_of for p in [mentor, *came])
        last_contact = end if last_contact is None else max(last_contact, end)
        spoken_mentor += mentor.speaking_seconds
        spoken_mentees += sum(m.speaking_seconds for m in came)
    spoken = spoken_mentor + spoken_mentees
    risks = _risks(rules, now, last_contact, first_planned, no_shows, ratings, fit)
    return PairHealth(
        match_id=pair.match_id,
        sessions_planned=planned,
        sessions_held=held,
        upcoming=upcoming,
        minutes=seconds / 60.0,
        last_contact=last_contact,
        no_shows=no_shows,
        talk_balance=spoken_mentees / spoken if spoken > 0 else None,
        ratings=tuple(ratings),
        fit=fit,
        risks=risks,
    )


def _risks(rules: RiskRules, now: float, last_contact: float | None,
           first_planned: float | None, no_shows: int, ratings: list[int],
           fit: Fit | None) -> tuple[Risk, ...]:
    risks = []
    since = last_contact if last_contact is not None else first_planned
    if since is not None and since <= now and now - since >= rules.no_contact_weeks * WEEK:
        weeks = (now - since) / WEEK
        what = "the last session together" if last_contact is not None else (
            "the first planned session, and none was held")
        risks.append(Risk("no_contact", f"{weeks:.1f} weeks since {what}."))
    if len(ratings) >= 3:
        first, last = sum(ratings[:2]) / 2, sum(ratings[-2:]) / 2
        if first - last >= rules.rating_drop:
            risks.append(Risk("falling_ratings",
                              f"Ratings fell from {first:g} to {last:g} on average."))
    if no_shows >= rules.no_shows:
        risks.append(Risk("repeated_no_shows", f"{no_shows} sessions someone missed."))
    if fit is Fit.NOT_A_GOOD_FIT:
        risks.append(Risk("not_a_good_fit", "The mentee said the match is not a good fit."))
    return tuple(risks)
