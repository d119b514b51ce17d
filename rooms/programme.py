"""A programme: each roster person followed over many sessions (attendance out of scheduled,
minutes, lateness, ratings and their trend), from the sessions' attendance reports.

Rules of this module: reports may come in any order and one at a time, so a large programme is
summarised without holding every session; only roster people (with their stable ids) are followed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rooms.attendance import AttendanceStatus, SessionAttendance
from rooms.roles import Role
from rooms.roster import RosterEntry


@dataclass(frozen=True, slots=True)
class ProgrammePerson:
    """One roster person over the sessions of a programme."""

    person_id: str
    name: str
    role: Role
    email: str | None
    sessions_scheduled: int  # sessions listing them that have started or are over
    sessions_attended: int
    sessions_upcoming: int
    no_shows: int
    total_seconds: float
    average_lateness_seconds: float | None
    average_rating: float | None
    minutes_by_session: tuple[tuple[str, float, float], ...]  # (session id, when, minutes)
    trend_minutes_per_session: float | None  # least-squares slope over the held sessions

    @property
    def attendance_rate(self) -> float | None:
        if not self.sessions_scheduled:
            return None
        return self.sessions_attended / self.sessions_scheduled


@dataclass(slots=True)
class _Follow:
    entry: RosterEntry
    upcoming: int = 0
    attended: int = 0
    no_shows: int = 0
    seconds: float = 0.0
    lateness: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    series: list[tuple[str, float, float]] = field(default_factory=list)


def programme_summary(reports: Iterable[SessionAttendance]) -> list[ProgrammePerson]:
    """Each roster person's attendance over many sessions. Reports may come in any order and
    one at a time, so a large programme is summarised without holding every session."""
    follows: dict[str, _Follow] = {}
    for report in reports:
        schedule = report.info.plan.schedule
        when = schedule.start if schedule is not None else report.info.created_at
        for p in report.people:
            if not p.on_roster or p.person_id is None:
                continue
            entry = next(e for e in report.info.plan.roster if e.person_id == p.person_id)
            f = follows.get(p.person_id)
            if f is None:
                f = follows[p.person_id] = _Follow(entry)
            elif when >= max((s[1] for s in f.series), default=when):
                f.entry = entry  # the most recent roster name and email win
            if p.status is AttendanceStatus.EXPECTED:
                f.upcoming += 1
                continue
            f.series.append((report.info.session_id, when, p.present_seconds / 60.0))
            f.seconds += p.present_seconds
            if p.status is AttendanceStatus.NO_SHOW:
                f.no_shows += 1
            else:
                f.attended += 1
            if p.lateness_seconds is not None:
                f.lateness.append(p.lateness_seconds)
            if p.rating is not None:
                f.ratings.append(p.rating)
    out = []
    for f in follows.values():
        series = tuple(sorted(f.series, key=lambda s: (s[1], s[0])))
        out.append(ProgrammePerson(
            person_id=f.entry.person_id,
            name=f.entry.name,
            role=f.entry.role,
            email=f.entry.email,
            sessions_scheduled=len(series),
            sessions_attended=f.attended,
            sessions_upcoming=f.upcoming,
            no_shows=f.no_shows,
            total_seconds=f.seconds,
            average_lateness_seconds=sum(f.lateness) / len(f.lateness) if f.lateness else None,
            average_rating=sum(f.ratings) / len(f.ratings) if f.ratings else None,
            minutes_by_session=series,
            trend_minutes_per_session=_slope([m for _, _, m in series]),
        ))
    out.sort(key=lambda p: (p.name.casefold(), p.person_id))
    return out


def _slope(values: Sequence[float]) -> float | None:
    n = len(values)
    if n < 2:
        return None
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den
