"""Ratings and check-ins are private by default; anonymous ratings are unlinkable; a personal
link always opens as the person it was issued for."""

from __future__ import annotations

import pytest

from rooms import commands as c
from rooms.activity import RATING_WINDOW
from rooms.attendance import DAY, AnonymousRating, Feedback, Record, RecordKind, SessionInfo
from rooms.errors import InvalidPayload, RatingClosed
from rooms.events import CheckedIn, Event, Rated
from rooms.recorder import writes_for
from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan
from rooms.session import Session
from rooms.snapshot import command_data, command_from, restore, snapshot
from rooms.timeline import summarize
from rooms.views import CheckInView
from tests.rooms.helpers import run

T0 = 86_400.0 * 20_000 + 3_600 * 10 + 1_234.5  # a day's 10:20:34.5 UTC
K = RecordKind


def setup() -> Session:
    """Mentor Ana ("m"), mentees Ben ("b") and Cleo ("c"), each through their personal link."""
    plan = SessionPlan(roster=(RosterEntry("ana-1", "Ana", Role.MENTOR),
                               RosterEntry("ben-1", "Ben", Role.MENTEE),
                               RosterEntry("cleo-1", "Cleo", Role.MENTEE)))
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0, plan=plan)
    c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0, None, "Ana").apply(s)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0, None, "Ben").apply(s)
    return s


# -- a personal link is always its own person ------------------------------------------------------


def test_a_personal_link_never_resumes_someone_elses_participant() -> None:
    s = setup()
    c.Leave("b", "cb", T0 + 60).apply(s)
    # Cleo opens her own link on the computer Ben used: his resume credential comes along.
    view = c.Join("cc", Role.MENTEE, "Ben", "c", True, True, T0 + 70, "b", "Cleo").apply(s).value
    assert view.participant.id == "c" and not view.rejoined
    assert s.participants["c"].person_id == "cleo-1"
    assert s.participants["b"].connection_id is None  # Ben stays out
    # Ben's own link with his credential still brings him back.
    back = c.Join("cb2", Role.MENTEE, "Ben", "x", True, True, T0 + 80, "b", "Ben").apply(s).value
    assert back.participant.id == "b" and back.rejoined


# -- ratings: once, by someone who took part, within the window ------------------------------------


def test_a_rating_after_leaving_is_taken_once_and_only_within_the_window() -> None:
    s = setup()
    c.Leave("b", "cb", T0 + 60).apply(s)
    with pytest.raises(InvalidPayload, match="no such participant"):
        run(s, c.Rate("nobody", None, 4, None, False, T0 + 61))
    c.End("over", T0 + 100).apply(s)
    with pytest.raises(RatingClosed):
        run(s, c.Rate("b", None, 4, None, False, T0 + 100 + RATING_WINDOW))
    assert not s.participants["b"].rated
    assert run(s, c.Rate("b", None, 4, None, False, T0 + 99 + RATING_WINDOW)) == [
        Rated("s", T0 + 99 + RATING_WINDOW, "b", "ben-1", "main", 4, None, False)]


def test_an_anonymous_rating_cannot_also_be_shared() -> None:
    s = setup()
    with pytest.raises(InvalidPayload, match="share"):
        run(s, c.Rate("b", "cb", 4, "x", True, T0 + 1, True))
    assert not s.participants["b"].rated


def test_sharing_is_the_persons_choice_and_off_by_default() -> None:
    s = setup()
    assert run(s, c.CheckIn("b", "cb", "Plan", T0 + 1)) == [
        CheckedIn("s", T0 + 1, "b", "ben-1", "main", "Plan", False)]
    outcome = c.CheckIn("b", "cb", "Plan B", T0 + 2, True).apply(s)
    assert outcome.value == CheckInView("Plan B", T0 + 2, True)
    assert run(s, c.Rate("b", "cb", 5, "Great", False, T0 + 3, True)) == [
        Rated("s", T0 + 3, "b", "ben-1", "main", 5, "Great", True)]
    restored = restore(snapshot(s))
    assert restored.participants["b"].check_in == CheckInView("Plan B", T0 + 2, True)


def test_the_journal_keeps_that_someone_rated_not_what_they_said() -> None:
    rate = c.Rate("b", None, 2, "Too short", True, T0 + 5)
    kept = command_from(command_data(rate.for_journal()))
    assert isinstance(kept, c.Rate)
    assert (kept.participant_id, kept.comment) == ("b", None)
    assert kept.rating == 1 and not kept.anonymous
    s = setup()
    kept.apply(s)
    assert s.participants["b"].rated  # replayed, it still counts as rated
    check_in = c.CheckIn("b", "cb", "Plan", T0)
    assert check_in.for_journal() is check_in  # the session keeps the goal itself


# -- what the ledger keeps -------------------------------------------------------------------------


def writes(events: list[Event]) -> tuple[list[Record], list[AnonymousRating]]:
    rs: list[Record] = []
    anon: list[AnonymousRating] = []
    for e in events:
        w = writes_for(e)
        rs.extend(w.records)
        anon.extend(w.anonymous)
    return rs, anon


def test_an_anonymous_rating_is_kept_apart_with_only_its_day() -> None:
    s = setup()
    rs, anon = writes(run(s, c.Rate("b", "cb", 2, "Too short", True, T0 + 7)))
    assert rs == []  # nothing next to the presence records
    assert anon == [AnonymousRating("s", T0 - T0 % DAY, 2, "Too short")]
    rs, anon = writes(run(s, c.CheckIn("b", "cb", "Plan", T0 + 8, True)))
    assert [(r.kind, r.participant_id, r.text, r.shared) for r in rs] == [
        (K.CHECK_IN, "b", "Plan", True)]
    with pytest.raises(InvalidPayload):
        Record("s", T0, K.CHECK_OUT, value=3)  # a rating in the records always has its author


def test_reports_take_anonymous_ratings_from_apart_in_an_order_that_says_nothing() -> None:
    info = SessionInfo("s", "T", T0)
    records = [Record("s", T0, K.JOINED, "a", role=Role.MENTEE),
               Record("s", T0, K.JOINED, "b", role=Role.MENTEE),
               Record("s", T0 + 1, K.CHECK_IN, "a", text="Plan", shared=True),
               Record("s", T0 + 2, K.CHECK_IN, "b", text="Mine"),
               Record("s", T0 + 3, K.CHECK_OUT, "a", value=4, text="Useful"),
               Record("s", T0 + 4, K.CHECK_OUT, "b", value=5, text="Kind", shared=True)]
    anonymous = [AnonymousRating("s", T0 - T0 % DAY, 5, "zz"),
                 AnonymousRating("s", T0 - T0 % DAY, 1, "aa")]
    a = summarize(info, records, now=T0 + 60, anonymous=anonymous)
    pa, pb = a.person("a"), a.person("b")
    assert (pa.check_in, pa.check_in_shared, pb.check_in_shared) == ("Plan", True, False)
    assert (pa.rating, pa.rating_shared, pb.rating, pb.rating_shared) == (4, False, 5, True)
    assert a.anonymous_feedback == (Feedback(1, "aa"), Feedback(5, "zz"))
    assert a.ratings == 4 and a.average_rating == 3.75
