"""Match health: a pair's sessions (attendance reports made from ledger records) and its risks."""

from __future__ import annotations

import pytest

from rooms.attendance import DAY, Record, RecordKind, SessionAttendance
from rooms.errors import InvalidPayload
from rooms.match_health import DEFAULT_RULES, WEEK, Fit, PairSessions, RiskRules, pair_health
from rooms.roles import Role
from rooms.roster import RosterEntry, Schedule, SessionPlan
from rooms.timeline import summarize
from tests.rooms.test_attendance import T0, info

K = RecordKind
ANA = RosterEntry("ana", "Ana", Role.MENTOR)
BEN = RosterEntry("ben", "Ben", Role.MENTEE)
CY = RosterEntry("cy", "Cy", Role.MENTEE)
Stay = tuple[float, float] | None  # minutes after the scheduled start: joined, left


def session(day: float, ana: Stay = (0, 60), ben: Stay = (0, 60), *, cy: Stay = None,
            talk: dict[str, float] | None = None, rating: int | None = None,
            ben_room: tuple[float, str] | None = None, as_of: float | None = None,
            roster: tuple[RosterEntry, ...] = (ANA, BEN)) -> SessionAttendance:
    """One hour-long session ``day`` days after T0, as its report shows it after it ended (or
    as of ``as_of``: then it has not ended)."""
    start = T0 + day * DAY
    sid = f"s{day:g}"
    records: list[Record] = []

    def add(minute: float, kind: RecordKind, pid: str, **kw: object) -> None:
        records.append(Record(sid, start + minute * 60, kind, pid, **kw))  # type: ignore[arg-type]

    for entry, stay in ((ANA, ana), (BEN, ben), (CY, cy)):
        if stay is None:
            continue
        pid = f"{entry.person_id}-{sid}"
        add(stay[0], K.JOINED, pid, person_id=entry.person_id, role=entry.role)
        spoken = (talk or {}).get(entry.person_id)
        if spoken:
            add(stay[0], K.SPEAKING, pid, value=1)
            add(stay[0] + spoken, K.SPEAKING, pid, value=0)
        if entry is BEN and ben_room is not None:
            add(ben_room[0], K.MOVED, pid, room=ben_room[1])
        if entry is BEN and rating is not None:
            add(stay[1], K.CHECK_OUT, pid, value=rating)
        add(stay[1], K.LEFT, pid)
    records.sort(key=lambda r: r.at)
    plan = SessionPlan(schedule=Schedule(start, start + 3600), roster=roster)
    ended = None if as_of is not None else start + 3600
    return summarize(info(plan, ended_at=ended, session_id=sid), records,
                     now=as_of if as_of is not None else start + 4000)


def pair(*reports: SessionAttendance, mentees: tuple[str, ...] = ("ben",)) -> PairSessions:
    return PairSessions("m1", "ana", mentees, reports)


def codes(*reports: SessionAttendance, now: float, fit: Fit | None = None,
          rules: RiskRules = DEFAULT_RULES) -> list[str]:
    return [r.code for r in pair_health(pair(*reports), fit, now, rules).risks]


def test_held_planned_upcoming_minutes_contact_and_talk() -> None:
    reports = (
        session(0, ana=(0, 60), ben=(10, 60), talk={"ana": 10, "ben": 30}, rating=4),
        session(7, ben=None),  # Ben did not come
        session(14, ana=(0, 30), ben=(0, 30), talk={"ana": 10, "ben": 10}, rating=5),
        session(21, ana=None, ben=None, as_of=T0 + 20 * DAY),  # not yet
    )
    h = pair_health(pair(*reversed(reports)), Fit.GOOD, now=T0 + 20 * DAY)
    assert (h.match_id, h.sessions_planned, h.sessions_held, h.upcoming) == ("m1", 3, 2, 1)
    assert h.minutes == pytest.approx(80)
    assert h.no_shows == 1
    assert h.last_contact == T0 + 14 * DAY + 1800
    assert h.talk_balance == pytest.approx(40 / 60)
    assert h.ratings == (4, 5) and h.fit is Fit.GOOD
    assert h.risks == () and not h.at_risk


def test_a_session_in_progress_is_planned_but_neither_held_nor_missed_yet() -> None:
    live = session(0, ana=(0, 60), ben=None, as_of=T0 + 600)
    h = pair_health(pair(live), None, now=T0 + 600)
    assert (h.sessions_planned, h.sessions_held, h.upcoming, h.no_shows) == (1, 0, 0, 0)


def test_minutes_count_only_time_in_the_same_room() -> None:
    h = pair_health(pair(session(0, ben_room=(20, "breakout-1"))), None, now=T0 + DAY)
    assert h.minutes == pytest.approx(20) and h.sessions_held == 1
    assert h.last_contact == T0 + 20 * 60


def test_talk_balance_is_none_when_no_one_spoke() -> None:
    assert pair_health(pair(session(0)), None, now=T0 + DAY).talk_balance is None


def test_no_contact_since_the_last_session_together() -> None:
    last = session(0)
    end = T0 + 3600
    assert codes(last, now=end + 3 * WEEK) == ["no_contact"]
    assert codes(last, now=end + 3 * WEEK - 60) == []
    assert codes(last, now=end + 2 * WEEK, rules=RiskRules(no_contact_weeks=2)) == [
        "no_contact"]


def test_no_contact_since_the_first_planned_session_when_none_was_held() -> None:
    missed = session(0, ben=None)
    h = pair_health(pair(missed), None, now=T0 + 3 * WEEK)
    assert [r.code for r in h.risks] == ["no_contact"] and "none was held" in h.risks[0].detail
    assert codes(missed, now=T0 + 2 * WEEK) == []
    # only future sessions: nothing planned in the past, so no contact is not yet a risk
    future = session(60, ana=None, ben=None, as_of=T0)
    assert codes(future, now=T0 + 8 * WEEK) == []
    assert codes(now=T0 + 52 * WEEK) == []  # no sessions at all


def test_falling_ratings() -> None:
    def ratings(*values: int) -> list[SessionAttendance]:
        return [session(i, rating=v) for i, v in enumerate(values)]

    now = T0 + 5 * DAY
    assert codes(*ratings(5, 5, 4, 3), now=now) == ["falling_ratings"]  # 5 -> 3.5
    assert codes(*ratings(5, 4, 4), now=now) == []  # 4.5 -> 4
    assert codes(*ratings(5, 4, 3), now=now) == ["falling_ratings"]  # 4.5 -> 3.5
    assert codes(*ratings(5, 1), now=now) == []  # two ratings are not a trend
    assert codes(*ratings(5, 4, 3), now=now, rules=RiskRules(rating_drop=1.5)) == []
    assert pair_health(pair(*ratings(5, 4, 3)), None, now).risks[0].detail == (
        "Ratings fell from 4.5 to 3.5 on average.")


def test_repeated_no_shows_on_either_side() -> None:
    now = T0 + 15 * DAY
    assert codes(session(0, ben=None), session(7), now=now) == []
    assert codes(session(0, ben=None), session(7, ana=None), now=now) == ["repeated_no_shows"]
    assert codes(session(0, ben=None), session(7, ana=None), now=now,
                 rules=RiskRules(no_shows=3)) == []


def test_not_a_good_fit() -> None:
    now = T0 + DAY
    assert codes(session(0), now=now, fit=Fit.NOT_A_GOOD_FIT) == ["not_a_good_fit"]
    assert codes(session(0), now=now, fit=Fit.NOT_SURE) == []


def test_every_risk_at_once() -> None:
    reports = [session(0, rating=5), session(7, rating=5), session(14, ben=None),
               session(21, ana=None), session(28, rating=3), session(35, rating=3, ana=None)]
    assert codes(*reports, now=T0 + 60 * DAY, fit=Fit.NOT_A_GOOD_FIT) == [
        "no_contact", "falling_ratings", "repeated_no_shows", "not_a_good_fit"]


def test_a_small_group_is_held_when_one_mentee_comes() -> None:
    group = session(0, ben=(0, 60), cy=None, talk={"ana": 20, "ben": 20},
                    roster=(ANA, BEN, CY))
    h = pair_health(pair(group, mentees=("ben", "cy")), None, now=T0 + DAY)
    assert (h.sessions_held, h.no_shows, h.minutes) == (1, 1, pytest.approx(60))
    assert h.talk_balance == pytest.approx(0.5)


@pytest.mark.parametrize("args", [
    ("", "ana", ("ben",)), ("m", "", ("ben",)), ("m", "ana", ()), ("m", "ana", ("ben", "ben")),
    ("m", "ana", ("ana",)),
])
def test_a_pair_is_checked(args: tuple[str, str, tuple[str, ...]]) -> None:
    with pytest.raises(InvalidPayload):
        PairSessions(*args, ())


@pytest.mark.parametrize("kw", [{"no_contact_weeks": 0}, {"no_shows": 0}, {"rating_drop": 0}])
def test_risk_rules_are_checked(kw: dict[str, float]) -> None:
    with pytest.raises(InvalidPayload):
        RiskRules(**kw)  # type: ignore[arg-type]
