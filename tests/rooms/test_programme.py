"""A programme: roster people followed across sessions."""

from __future__ import annotations

import pytest

from rooms.attendance import Record, RecordKind
from rooms.programme import programme_summary
from rooms.roster import Schedule, SessionPlan
from rooms.timeline import summarize
from tests.rooms.test_attendance import ANA, BEN, T0, Log, info

K = RecordKind


def test_programme_summary_follows_roster_people_across_sessions() -> None:
    reports = []
    for i, (ben_minutes, ana_comes) in enumerate([(30, True), (40, True), (0, False),
                                                  (50, True)]):
        start = T0 + i * 7 * 86400
        sid = f"s{i}"
        plan = SessionPlan(programme="cohort", schedule=Schedule(start, start + 3600),
                           roster=(ANA, BEN))
        log = Log(sid)
        if ben_minutes:
            log.records.append(Record(sid, start + 120, K.JOINED, f"b{i}", person_id="ben"))
            log.records.append(Record(sid, start + 120 + ben_minutes * 60, K.LEFT, f"b{i}"))
        if ana_comes:
            log.records.append(Record(sid, start, K.JOINED, f"a{i}", person_id="ana"))
            log.records.append(Record(sid, start + 3600, K.LEFT, f"a{i}"))
        reports.append(summarize(info(plan, ended_at=start + 3600, session_id=sid), log,
                                 now=start + 4000))
    upcoming_plan = SessionPlan(schedule=Schedule(T0 + 90 * 86400, T0 + 90 * 86400 + 60),
                                roster=(BEN,))
    reports.append(summarize(info(upcoming_plan, session_id="later"), [], now=T0))
    people = {p.person_id: p for p in programme_summary(reversed(reports))}
    ben = people["ben"]
    assert (ben.sessions_scheduled, ben.sessions_attended, ben.no_shows,
            ben.sessions_upcoming) == (4, 3, 1, 1)
    assert [round(m) for _, _, m in ben.minutes_by_session] == [30, 40, 0, 50]
    assert ben.total_seconds == 120 * 60 and ben.attendance_rate == 0.75
    assert ben.average_lateness_seconds == 120
    assert ben.trend_minutes_per_session == pytest.approx(2.0)  # least squares of 30,40,0,50
    assert people["ana"].sessions_attended == 3 and people["ana"].email == "ana@example.org"
