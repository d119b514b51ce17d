"""Attendance from ledger records: merging segments, grace, rooms, lateness, talk share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rooms.attendance import (
    DAY,
    MEDIA_AUDIO,
    MEDIA_VIDEO,
    AnonymousRating,
    AttendanceStatus,
    Record,
    RecordKind,
    Segment,
    SessionInfo,
)
from rooms.errors import InvalidPayload
from rooms.roles import Role
from rooms.roster import RosterEntry, Schedule, SessionPlan
from rooms.timeline import intersect, measure, still_inside, summarize, union

T0 = 1_800_000_000.0
K = RecordKind
ANA = RosterEntry("ana", "Ana", Role.MENTOR, "ana@example.org")
BEN = RosterEntry("ben", "Ben", Role.MENTEE)


def info(plan: SessionPlan | None = None, ended_at: float | None = None,
         session_id: str = "s1") -> SessionInfo:
    return SessionInfo(session_id, "Weekly", T0 - 3600, plan=plan or SessionPlan(),
                       ended_at=ended_at)


class Log:
    """Records written as a session would produce them; ``t`` is minutes after T0."""

    def __init__(self, session_id: str = "s1") -> None:
        self.session_id = session_id
        self.records: list[Record] = []

    def add(self, minute: float, kind: RecordKind, pid: str = "", **kw: Any) -> Log:
        self.records.append(Record(self.session_id, T0 + minute * 60, kind, pid,
                                   seq=len(self.records) + 1, **kw))
        return self

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 6)


# -- intervals ----------------------------------------------------------------------------------


def test_interval_helpers() -> None:
    assert union([(5, 6), (1, 3), (2, 4), (4, 4.5), (7, 7)]) == [(1, 4.5), (5, 6)]
    assert measure([(0, 10), (5, 15)]) == 15
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]


# -- one person -----------------------------------------------------------------------------------


def test_join_and_leave_gives_first_join_last_leave_and_minutes() -> None:
    log = Log().add(0, K.JOINED, "p1", text="Ana", role=Role.MENTOR).add(30, K.LEFT, "p1")
    a = summarize(info(), log, now=T0 + 7200)
    p = a.person("p1")
    assert p.name == "Ana" and p.role is Role.MENTOR and not p.on_roster
    assert (p.first_join, p.last_leave) == (T0, T0 + 1800)
    assert minutes(p.present_seconds) == 30
    assert p.room_seconds == (("main", 1800.0),)
    assert p.status is AttendanceStatus.ATTENDED and p.reconnects == 0
    assert p.timeline == (Segment(T0, T0 + 1800, "main"),)


def test_a_drop_within_the_grace_period_is_not_a_leave() -> None:
    log = (Log().add(0, K.JOINED, "p1", text="Ben").add(10, K.DROPPED, "p1")
           .add(10.5, K.REJOINED, "p1").add(20, K.LEFT, "p1"))
    p = summarize(info(), log, now=T0 + 7200, grace=60).person("p1")
    assert minutes(p.present_seconds) == 20  # the 30 s gap counts
    assert p.timeline == (Segment(T0, T0 + 1200, "main"),)
    assert p.reconnects == 1


def test_grace_period_boundary() -> None:
    def present(gap_seconds: float) -> float:
        log = (Log().add(0, K.JOINED, "p1").add(10, K.DROPPED, "p1")
               .add(10 + gap_seconds / 60, K.REJOINED, "p1").add(20, K.LEFT, "p1"))
        return summarize(info(), log, now=T0 + 7200, grace=60).person("p1").present_seconds

    assert present(60) == pytest.approx(1200)  # exactly the grace: still one stretch
    assert present(61) == pytest.approx(1200 - 61)  # longer: the gap is absence


def test_a_long_drop_splits_the_timeline_and_counts_the_gap_as_absent() -> None:
    log = (Log().add(0, K.JOINED, "p1").add(10, K.DROPPED, "p1")
           .add(15, K.REJOINED, "p1").add(20, K.LEFT, "p1"))
    p = summarize(info(), log, now=T0 + 7200, grace=60).person("p1")
    assert minutes(p.present_seconds) == 15
    assert [(s.start - T0, s.end - T0) for s in p.timeline] == [(0, 600), (900, 1200)]
    assert p.reconnects == 1 and p.last_leave == T0 + 1200


def test_a_deliberate_leave_is_a_leave_even_when_brief() -> None:
    log = (Log().add(0, K.JOINED, "p1").add(10, K.LEFT, "p1")
           .add(10.25, K.REJOINED, "p1").add(20, K.LEFT, "p1"))
    p = summarize(info(), log, now=T0 + 7200, grace=60).person("p1")
    assert minutes(p.present_seconds) == 19.75


def test_a_drop_with_no_return_ends_at_the_drop() -> None:
    log = Log().add(0, K.JOINED, "p1").add(10, K.DROPPED, "p1")
    p = summarize(info(ended_at=T0 + 3600), log, now=T0 + 7200).person("p1")
    assert minutes(p.present_seconds) == 10 and p.last_leave == T0 + 600


def test_room_moves_give_minutes_per_room() -> None:
    log = (Log().add(0, K.JOINED, "p1").add(5, K.MOVED, "p1", room="r1", text="main")
           .add(25, K.MOVED, "p1", room="main", text="r1").add(30, K.LEFT, "p1"))
    a = summarize(info(), log, now=T0 + 7200)
    p = a.person("p1")
    assert minutes(p.present_seconds) == 30
    assert {r: minutes(s) for r, s in p.room_seconds} == {"main": 10, "r1": 20}
    assert [s.room for s in p.timeline] == ["main", "r1", "main"]
    assert a.rooms == ("main", "r1")
    assert a.room_names == (("main", "Main room"), ("r1", "r1"))


def test_rooms_keep_the_names_people_saw() -> None:
    log = (Log().add(0, K.ROOM_NAMED, room="1:b1", text="Pair A", value=1)
           .add(0, K.JOINED, "p1").add(1, K.MOVED, "p1", room="1:b1").add(2, K.LEFT, "p1"))
    a = summarize(info(), log, now=T0 + 7200)
    assert a.rooms == ("main", "1:b1") and a.room_name("1:b1") == "Pair A"


def test_joining_straight_into_a_breakout_room() -> None:
    log = Log().add(0, K.JOINED, "p1", room="r2").add(10, K.LEFT, "p1")
    p = summarize(info(), log, now=T0 + 7200).person("p1")
    assert p.room_seconds == (("r2", 600.0),)


def test_drop_in_a_breakout_and_return_to_main_within_grace() -> None:
    # Rooms closed while the person was away: the gap counts in the room they dropped from.
    log = (Log().add(0, K.JOINED, "p1", room="r1").add(10, K.DROPPED, "p1")
           .add(10.1, K.MOVED, "p1", room="main").add(10.5, K.REJOINED, "p1", room="main")
           .add(20, K.LEFT, "p1"))
    p = summarize(info(), log, now=T0 + 7200, grace=60).person("p1")
    assert minutes(p.present_seconds) == 20
    assert {r: minutes(s) for r, s in p.room_seconds} == {"r1": 10.5, "main": 9.5}


def test_a_second_tab_replacing_the_first_is_one_presence() -> None:
    log = (Log().add(0, K.JOINED, "p1").add(5, K.REJOINED, "p1")  # same participant, new tab
           .add(10, K.LEFT, "p1"))
    p = summarize(info(), log, now=T0 + 7200).person("p1")
    assert minutes(p.present_seconds) == 10 and p.reconnects == 1
    assert len(p.timeline) == 1


def test_overlapping_joins_of_one_roster_person_from_two_devices_merge() -> None:
    plan = SessionPlan(roster=(ANA, BEN))
    log = (Log().add(0, K.JOINED, "laptop", person_id="ben", text="Ben")
           .add(5, K.JOINED, "phone", person_id="ben", text="Ben (phone)")
           .add(8, K.CHAT, "phone", value=10).add(12, K.LEFT, "laptop")
           .add(15, K.LEFT, "phone").add(20, K.JOINED, "phone2", person_id="ben")
           .add(25, K.LEFT, "phone2"))
    a = summarize(info(plan, ended_at=T0 + 3600), log, now=T0 + 7200)
    ben = a.person("ben")
    assert ben.name == "Ben" and ben.on_roster and ben.participant_ids == (
        "laptop", "phone", "phone2")
    assert minutes(ben.present_seconds) == 20  # 0-15 and 20-25, not 12 + 10 + 5
    assert ben.reconnects == 2 and ben.chat_messages == 1 and ben.chat_characters == 10
    assert a.person("ana").status is AttendanceStatus.NO_SHOW
    assert a.person("ana").first_join is None and a.person("ana").present_seconds == 0


def test_a_participant_bound_to_a_person_later_counts_from_the_start() -> None:
    plan = SessionPlan(roster=(BEN,))
    log = (Log().add(0, K.JOINED, "p1", text="Ben").add(5, K.DROPPED, "p1")
           .add(5.5, K.REJOINED, "p1", person_id="ben").add(10, K.LEFT, "p1"))
    a = summarize(info(plan), log, now=T0 + 7200)
    assert [p.key for p in a.people] == ["ben"]
    assert minutes(a.person("ben").present_seconds) == 10


# -- the session's clock ---------------------------------------------------------------------------


def test_live_session_counts_to_now_and_shows_who_is_present() -> None:
    log = Log().add(0, K.JOINED, "p1").add(0, K.JOINED, "p2").add(5, K.LEFT, "p2")
    a = summarize(info(), log, now=T0 + 600)
    p1, p2 = a.person("p1"), a.person("p2")
    assert p1.status is AttendanceStatus.PRESENT and p1.last_leave is None
    assert minutes(p1.present_seconds) == 10
    assert p2.status is AttendanceStatus.ATTENDED and minutes(p2.present_seconds) == 5
    assert a.ended_at is None and a.started_at == T0


def test_session_end_closes_everyone() -> None:
    log = Log().add(0, K.JOINED, "p1").add(40, K.SESSION_ENDED, text="ended by an admin")
    a = summarize(info(), log, now=T0 + 7200)
    assert a.ended_at == T0 + 2400
    assert minutes(a.person("p1").present_seconds) == 40
    assert a.person("p1").status is AttendanceStatus.ATTENDED


def test_a_clock_that_steps_back_never_gives_negative_time() -> None:
    log = Log().add(10, K.JOINED, "p1").add(9, K.LEFT, "p1")
    p = summarize(info(), log, now=T0 + 7200).person("p1")
    assert p.present_seconds == 0 and p.last_leave == T0 + 600


def test_negative_grace_is_refused() -> None:
    with pytest.raises(InvalidPayload):
        summarize(info(), [], now=T0, grace=-1)


# -- schedule: lateness, leaving early, no-shows ---------------------------------------------------


def test_lateness_early_leaving_and_no_shows_against_the_schedule() -> None:
    plan = SessionPlan(schedule=Schedule(T0, T0 + 3600), roster=(ANA, BEN))
    log = (Log().add(7, K.JOINED, "a1", person_id="ana").add(-2, K.JOINED, "x", text="Guest")
           .add(50, K.LEFT, "a1").add(65, K.LEFT, "x"))
    a = summarize(info(plan, ended_at=T0 + 4000), log, now=T0 + 5000)
    ana, ben, guest = a.person("ana"), a.person("ben"), a.person("x")
    assert [p.key for p in a.people] == ["ana", "ben", "x"]  # roster order, then the others
    assert minutes(ana.lateness_seconds) == 7 and minutes(ana.left_early_seconds) == 10
    assert ben.status is AttendanceStatus.NO_SHOW and ben.lateness_seconds is None
    assert guest.lateness_seconds == 0 and guest.left_early_seconds == 0  # early, stayed late


def test_on_the_roster_but_not_yet_due_is_expected_not_a_no_show() -> None:
    plan = SessionPlan(schedule=Schedule(T0, T0 + 3600), roster=(BEN,))
    a = summarize(info(plan), [], now=T0 + 60)
    assert a.person("ben").status is AttendanceStatus.EXPECTED
    later = summarize(info(plan), [], now=T0 + 3600)
    assert later.person("ben").status is AttendanceStatus.NO_SHOW


def test_leaving_early_is_measured_against_an_earlier_session_end() -> None:
    plan = SessionPlan(schedule=Schedule(T0, T0 + 3600), roster=(BEN,))
    log = (Log().add(0, K.JOINED, "b", person_id="ben").add(20, K.LEFT, "b")
           .add(30, K.SESSION_ENDED))
    ben = summarize(info(plan), log, now=T0 + 7200).person("ben")
    assert minutes(ben.left_early_seconds) == 10


# -- participation ---------------------------------------------------------------------------------


def test_speaking_time_and_talk_share_of_a_pair() -> None:
    log = (Log().add(0, K.JOINED, "a").add(0, K.JOINED, "b")
           .add(1, K.SPEAKING, "a", value=1).add(4, K.SPEAKING, "a", value=0)
           .add(4, K.SPEAKING, "b", value=1).add(5, K.SPEAKING, "b", value=0)
           .add(6, K.SPEAKING, "b", value=0)  # a stop without a start changes nothing
           .add(7, K.SPEAKING, "a", value=1).add(7.5, K.SPEAKING, "a", value=1)  # repeat
           .add(8, K.LEFT, "a")  # leaving ends speaking
           .add(10, K.LEFT, "b"))
    a = summarize(info(), log, now=T0 + 7200)
    assert minutes(a.person("a").speaking_seconds) == 4
    assert minutes(a.person("b").speaking_seconds) == 1
    assert a.person("a").talk_share == pytest.approx(0.8)
    assert a.person("b").talk_share == pytest.approx(0.2)


def test_talk_share_is_within_the_rooms_a_person_was_in() -> None:
    log = (Log().add(0, K.JOINED, "a", room="r1").add(0, K.JOINED, "b", room="r1")
           .add(0, K.JOINED, "c", room="r2").add(0, K.JOINED, "d", room="r2")
           .add(0, K.SPEAKING, "a", value=1).add(3, K.SPEAKING, "a", value=0)
           .add(3, K.SPEAKING, "b", value=1).add(4, K.SPEAKING, "b", value=0)
           .add(0, K.SPEAKING, "c", value=1).add(1, K.SPEAKING, "c", value=0)
           .add(1, K.SPEAKING, "d", value=1).add(2, K.SPEAKING, "d", value=0))
    a = summarize(info(ended_at=T0 + 600), log, now=T0 + 600)
    assert a.person("a").talk_share == pytest.approx(0.75)
    assert a.person("c").talk_share == pytest.approx(0.5)


def test_speaking_before_joining_is_ignored_and_silence_gives_no_share() -> None:
    log = (Log().add(0, K.SPEAKING, "a", value=1).add(1, K.JOINED, "a")
           .add(2, K.SPEAKING, "a", value=0).add(3, K.LEFT, "a"))
    p = summarize(info(), log, now=T0 + 7200).person("a")
    assert p.speaking_seconds == 0 and p.talk_share is None


def test_speaking_split_across_a_room_move() -> None:
    log = (Log().add(0, K.JOINED, "a").add(0, K.JOINED, "b").add(0, K.SPEAKING, "a", value=1)
           .add(2, K.MOVED, "a", room="r1").add(4, K.SPEAKING, "a", value=0)
           .add(4, K.MOVED, "b", room="r1").add(5, K.SPEAKING, "b", value=1)
           .add(6, K.SPEAKING, "b", value=0).add(10, K.SESSION_ENDED))
    a = summarize(info(), log, now=T0 + 7200)
    # a spoke 2 min in main and 2 in r1; b spoke 1 min in r1; b was in main and r1.
    assert a.person("a").talk_share == pytest.approx(4 / 5)
    assert a.person("b").talk_share == pytest.approx(1 / 5)


def test_counts_of_chat_reactions_hands_help_whiteboard_and_captions() -> None:
    log = Log().add(0, K.JOINED, "a")
    for kind, kw in [(K.CHAT, {"value": 5}), (K.CHAT, {"value": 7}),
                     (K.REACTION, {"text": "clap"}), (K.HAND, {"value": 1}),
                     (K.HAND, {"value": 0}), (K.HAND, {"value": 1}), (K.HELP, {}),
                     (K.WHITEBOARD, {}), (K.WHITEBOARD, {}), (K.CAPTION, {"value": 12})]:
        log.add(1, kind, "a", **kw)
    p = summarize(info(), log, now=T0 + 600).person("a")
    assert (p.chat_messages, p.chat_characters, p.reactions, p.hands_raised, p.help_requests,
            p.whiteboard_edits, p.caption_words) == (2, 12, 1, 2, 1, 2, 12)


def test_microphone_and_camera_minutes() -> None:
    log = (Log().add(0, K.JOINED, "a", value=MEDIA_AUDIO | MEDIA_VIDEO)
           .add(5, K.MEDIA, "a", value=MEDIA_AUDIO).add(8, K.MEDIA, "a", value=0)
           .add(10, K.LEFT, "a"))
    p = summarize(info(), log, now=T0 + 7200).person("a")
    assert minutes(p.microphone_seconds) == 8 and minutes(p.camera_seconds) == 5


def test_check_in_and_check_out_named_and_anonymous() -> None:
    log = (Log().add(0, K.JOINED, "a").add(0, K.JOINED, "b")
           .add(1, K.CHECK_IN, "a", text="Plan my thesis").add(2, K.CHECK_IN, "a", text="Thesis")
           .add(9, K.CHECK_OUT, "a", value=4, text="Useful")
           .add(10, K.LEFT, "a").add(10, K.LEFT, "b"))
    anonymous = [AnonymousRating("s1", T0 - T0 % DAY, 2, "Too short")]
    a = summarize(info(), log, now=T0 + 7200, anonymous=anonymous)
    pa, pb = a.person("a"), a.person("b")
    assert (pa.check_in, pa.rating, pa.rating_comment) == ("Thesis", 4, "Useful")
    assert pb.rating is None  # the anonymous rating is nobody's
    assert [(f.rating, f.comment) for f in a.anonymous_feedback] == [(2, "Too short")]
    assert a.ratings == 2 and a.average_rating == 3


# -- records and rosters are checked ---------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"session_id": "", "kind": K.JOINED, "participant_id": "p"},
        {"kind": K.JOINED, "participant_id": ""},
        {"kind": K.CHECK_OUT, "participant_id": "p", "value": 6},
        {"kind": K.CHECK_OUT, "participant_id": "p", "value": None},
        {"kind": K.SPEAKING, "participant_id": "p", "value": 2},
        {"kind": K.CHAT, "participant_id": "p", "text": "x" * 4001},
    ],
)
def test_bad_records_are_refused(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("session_id", "s1")
    with pytest.raises(InvalidPayload):
        Record(at=T0, **kwargs)


def test_roster_rules() -> None:
    with pytest.raises(InvalidPayload):
        SessionPlan(roster=(BEN, RosterEntry("ben", "Benjamin", Role.MENTEE)))
    with pytest.raises(InvalidPayload, match="same role and name"):
        SessionPlan(roster=(BEN, RosterEntry("ben2", "BEN", Role.MENTEE)))
    with pytest.raises(InvalidPayload):
        RosterEntry("has space", "Ben", Role.MENTEE)
    with pytest.raises(InvalidPayload):
        RosterEntry("ben", "Ben", Role.MENTEE, email="not-an-address")
    with pytest.raises(InvalidPayload):
        Schedule(T0, T0)
    with pytest.raises(InvalidPayload):
        Schedule(T0, T0 + 25 * 3600)
    plan = SessionPlan(roster=(ANA, BEN, RosterEntry("ben-m", "Ben", Role.MENTOR)))
    assert plan.person_for_link(Role.MENTEE, "ben") == BEN
    assert plan.person_for_link(Role.MENTOR, "Ben") is not None
    assert plan.person_for_link(Role.OBSERVER, "Ben") is None
    assert plan.person_for_link(Role.MENTEE, None) is None


# -- recovery -----------------------------------------------------------------------


def test_still_inside_lists_who_a_crash_left_in_the_session() -> None:
    log = (Log().add(0, K.JOINED, "a").add(0, K.JOINED, "b").add(1, K.MOVED, "a", room="r1")
           .add(2, K.LEFT, "b").add(3, K.JOINED, "c").add(4, K.DROPPED, "c"))
    inside = still_inside(log)
    assert [(r.participant_id, r.room) for r in inside] == [("a", "r1")]
    assert still_inside(Log().add(0, K.JOINED, "a").add(1, K.SESSION_ENDED)) == []
