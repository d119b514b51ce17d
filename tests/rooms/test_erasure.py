"""A deletion request erasing a person, or one participant, from a session (``rooms.erasure``):
nothing of them is left in the session's state, nobody else is touched, the request can be made
again, and their personal link no longer brings them back."""

from __future__ import annotations

import dataclasses

import pytest

from rooms.breakout import Group
from rooms.breakout_commands import (
    BreakoutAssign,
    BreakoutCreate,
    BreakoutOpen,
    HelpRequest,
    SetGroups,
)
from rooms.commands import CheckIn, End, Join, Leave, PostChat
from rooms.erasure import EraseParticipant, ErasePerson, holds_name, names_person
from rooms.errors import LinkRevoked
from rooms.events import (
    Declined,
    ParticipantErased,
    ParticipantLeft,
    ParticipantRemoved,
    WaitingChanged,
)
from rooms.moderation import Moderate
from rooms.recorder import writes_for
from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan, WaitingRoom, person_link
from rooms.session import Session
from rooms.snapshot import restore, snapshot
from rooms.views import JoinView, WaitingView
from tests.rooms.helpers import run

BEN = RosterEntry("p-ben", "Benedikt Quill", Role.MENTEE, "ben@example.org")
ANA = RosterEntry("p-ana", "Ana", Role.MENTOR, "ana@example.org")
CAL = RosterEntry("p-cal", "Cal", Role.MENTEE)


def make() -> Session:
    return Session.create(session_id="s1", title="Check-in", max_participants=8, now=0.0,
                          plan=SessionPlan(roster=(ANA, BEN, CAL),
                                           waiting_room=WaitingRoom.ROLE_LINKS))


def join(s: Session, pid: str, entry: RosterEntry | None, *, at: float = 1.0,
         resume: str | None = None) -> JoinView | WaitingView:
    role = entry.role if entry is not None else Role.MENTEE
    return Join(connection_id=f"c-{pid}", role=role,
                name=entry.name if entry is not None else f"Guest {pid}",
                new_participant_id=pid, audio=True, video=True, at=at,
                resume_participant_id=resume,
                link_name=person_link(entry.person_id) if entry is not None else None,
                ).apply(s).value


def text_of(s: Session) -> str:
    """Everything the session keeps, as its snapshot (what a store writes) spelt out."""
    return repr(snapshot(s))


def busy_session() -> Session:
    """Ana (mentor), Ben (twice: he left, and came back on another device), Cal, and a guest,
    with chat, a check-in, groups and a breakout round in which Ben asked for help."""
    s = make()
    join(s, "a", ANA)
    join(s, "ben1", BEN)
    run(s, PostChat("ben1", "c-ben1", "I go to Hillcrest Primary", 2.0))
    run(s, CheckIn("ben1", "c-ben1", "Talk about the bullying", 2.5))
    run(s, Leave("ben1", "c-ben1", 3.0))
    join(s, "ben2", BEN, at=4.0)
    join(s, "c", CAL, at=4.0)
    run(s, PostChat("c", "c-c", "Hello all", 5.0))
    run(s, PostChat("ben2", "c-ben2", "Me again", 6.0))
    run(s, SetGroups((Group("Pair", ("person:p-ben", "person:p-ana")),
                      Group("Ben alone", ("benedikt quill",)),
                      Group("Cal", ("person:p-cal",)))))
    run(s, BreakoutCreate("a", "c-a", 2, (), False, False, 7.0))
    run(s, BreakoutAssign("a", "c-a", "ben2", "1:b1", 7.0))
    run(s, BreakoutAssign("a", "c-a", "c", "1:b2", 7.0))
    return s


def test_erasing_a_person_leaves_nothing_of_them_and_touches_nobody_else() -> None:
    s = busy_session()
    run(s, BreakoutOpen("a", "c-a", 600.0, 8.0))
    run(s, HelpRequest("ben2", "c-ben2", 9.0))
    assert names_person(s, "p-ben") and "Hillcrest" in text_of(s)
    next_id = s.chat.next_id

    events = run(s, ErasePerson("p-ben", 10.0))

    assert not names_person(s, "p-ben")
    for needle in ("Benedikt", "ben@example.org", "Hillcrest", "bullying", "Me again", "p-ben",
                   "ben1", "ben2"):
        assert needle not in text_of(s), needle
    assert [e.person_id for e in s.plan.roster] == ["p-ana", "p-cal"]
    assert set(s.participants) == {"a", "c"}
    assert [m.text for m in s.chat] == ["Hello all"]
    assert [g.name for g in s.groups] == ["Pair", "Cal"]  # his lone group is gone
    assert s.groups[0].members == ("person:p-ana",)
    assert s.breakouts is not None and "ben2" not in s.breakouts.assignments
    assert not s.breakouts.help and s.breakouts.assignments == {"c": "1:b2"}
    # He was in the call on his second device: that connection is closed.
    removed = [e for e in events if isinstance(e, ParticipantRemoved)]
    assert [(e.participant_id, e.connection_id) for e in removed] == [("ben2", "c-ben2")]
    assert [e.participant.id for e in events if isinstance(e, ParticipantLeft)] == ["ben2"]
    erased = {e.participant_id: e.message_ids for e in events
              if isinstance(e, ParticipantErased)}
    assert erased == {"ben1": (1,), "ben2": (3,)}
    # The ledger's records are erased apart: the erasure itself writes none but his leaving.
    assert [r.kind.value for e in events for r in writes_for(e).records] == ["left"]
    # Message numbers are not given again.
    run(s, PostChat("c", "c-c", "Still here", 11.0))
    assert s.chat.next_id == next_id + 1 and [m.id for m in s.chat] == [2, 4]
    # Made again: nothing to do.
    before = snapshot(s)
    assert run(s, ErasePerson("p-ben", 12.0)) == []
    assert snapshot(s) == before
    # and the snapshot of the erased session comes back as it is
    assert snapshot(restore(snapshot(s))) == before


def test_their_personal_link_no_longer_lets_them_in_nor_do_they_wait() -> None:
    s = busy_session()
    join(s, "ben3", BEN, at=8.0)  # (a third device: he is let in)
    run(s, Moderate("a", "c-a", "ben3", "remove", False, 8.5))
    back = join(s, "ben4", BEN, at=9.0, resume="ben3")  # a removed person comes back to wait
    assert isinstance(back, WaitingView)
    events = run(s, ErasePerson("p-ben", 10.0))
    declined = [e for e in events if isinstance(e, Declined)]
    assert [(e.waiter_id, e.connection_id) for e in declined] == [("ben4", "c-ben4")]
    assert any(isinstance(e, WaitingChanged) and e.waiting == () for e in events)
    assert not s.waiting and not s.removed
    with pytest.raises(LinkRevoked):
        join(s, "ben5", BEN, at=11.0)
    # Others' personal links still work.
    assert isinstance(join(s, "c2", CAL, at=11.0), JoinView)


def test_erasing_one_participant_a_guest() -> None:
    s = busy_session()
    s.plan = dataclasses.replace(s.plan, waiting_room=WaitingRoom.OFF)
    assert isinstance(join(s, "g", None, at=8.0), JoinView)
    run(s, PostChat("g", "c-g", "A guest's words", 8.5))
    run(s, Leave("g", "c-g", 9.0))
    events = run(s, EraseParticipant("g", 10.0))
    assert "g" not in s.participants and "A guest's words" not in text_of(s)
    assert [e for e in events if isinstance(e, ParticipantRemoved)] == []  # had left
    assert [(e.participant_id, e.message_ids) for e in events
            if isinstance(e, ParticipantErased)] == [("g", (4,))]
    # Ben is still all there.
    assert names_person(s, "p-ben") and "Me again" in text_of(s)
    assert run(s, EraseParticipant("g", 11.0)) == []


def test_an_ended_session_is_erased_too() -> None:
    s = busy_session()
    run(s, End("ended", 12.0))
    run(s, ErasePerson("p-ben", 13.0))
    assert not names_person(s, "p-ben") and "Benedikt" not in text_of(s)


def test_the_erasure_commands_are_never_journal_entries() -> None:
    assert not ErasePerson.journaled and not EraseParticipant.journaled
    assert PostChat.journaled


# -- a programme's group sessions -----------------------------------------------------------------

ORTIZ = RosterEntry("ana@example.org", "Ana Ortiz", Role.MENTOR)
QUILL = RosterEntry("ben@example.org", "Benedikt Quill", Role.MENTEE)
BENCH_FAN = RosterEntry("ben2@example.org", "Ben", Role.MENTEE)


def group_session() -> Session:
    """As a programme schedules a group session: its group names its members by bare person id
    (which may be an email address), and is named after its mentor."""
    s = Session.create(session_id="s1", title="Cohort", max_participants=8, now=0.0,
                       plan=SessionPlan(roster=(ORTIZ, QUILL)))
    s.set_groups((Group("Ana Ortiz's group", (ORTIZ.person_id, QUILL.person_id)),))
    return s


def test_a_group_sessions_bare_ids_and_names_after_a_person_go_too() -> None:
    s = group_session()
    run(s, ErasePerson(QUILL.person_id, 1.0))
    assert QUILL.person_id not in text_of(s)
    assert s.groups == (Group("Ana Ortiz's group", (ORTIZ.person_id,)),)
    # The mentor: the group named after her, and the breakout room made from it, are named by
    # their number.
    run(s, Join(connection_id="c-a", role=Role.MENTOR, name="Ana Ortiz", new_participant_id="a",
                audio=False, video=False, at=2.0, link_name=person_link(ORTIZ.person_id)))
    run(s, BreakoutCreate("a", "c-a", None, (), False, True, 3.0))
    assert s.breakouts is not None and [r.name for r in s.breakouts.rooms.values()] == [
        "Ana Ortiz's group"]
    run(s, ErasePerson(ORTIZ.person_id, 4.0))
    assert "Ortiz" not in text_of(s) and ORTIZ.person_id not in text_of(s)
    assert [r.name for r in s.breakouts.rooms.values()] == ["Room 1"]


def test_a_room_named_by_one_word_of_a_persons_name_goes_and_a_word_holding_it_stays() -> None:
    """A room named by a first name alone is named by its number; one whose name merely holds
    the letters of a name ("Bench" for "Ben") keeps its name."""
    s = Session.create(session_id="s1", title="Cohort", max_participants=8, now=0.0,
                       plan=SessionPlan(roster=(ORTIZ, QUILL, BENCH_FAN)))
    s.set_groups((Group("ana's pair", (QUILL.person_id,)), Group("Bench", (ORTIZ.person_id,))))
    run(s, ErasePerson(BENCH_FAN.person_id, 1.0))  # "Ben"
    assert [g.name for g in s.groups] == ["ana's pair", "Bench"]
    run(s, ErasePerson(ORTIZ.person_id, 2.0))  # "Ana Ortiz": her group, left empty, goes
    assert [g.name for g in s.groups] == ["Group 1"]


def test_holds_name_matches_whole_words_of_the_name() -> None:
    quill = holds_name("Benedikt Quill")
    assert [quill(t) for t in ("Benedikt's pair", "QUILL & Ana", "Quillan", "Bench")] == [
        True, True, False, False]
    assert holds_name("Ben")("Ana-Ben") and not holds_name("Ben")("Benben")
    assert holds_name("J")("J's room") and not holds_name("J")("Jo's room")
    assert not holds_name("  ")("anything")


def test_a_bare_id_in_a_group_is_found_by_a_request_made_again() -> None:
    s = group_session()
    s.plan = SessionPlan()  # (as if a first request had gone half way)
    assert names_person(s, QUILL.person_id)


def test_a_guest_erased_leaves_another_of_the_same_name_in_their_group() -> None:
    s = make()
    s.plan = dataclasses.replace(s.plan, waiting_room=WaitingRoom.OFF)
    join(s, "g1", None, at=1.0)
    Join(connection_id="c-g2", role=Role.MENTEE, name="Guest g1", new_participant_id="g2",
         audio=True, video=True, at=1.0).apply(s)  # another guest who goes by the same name
    run(s, SetGroups((Group("Pair", ("guest g1", "person:p-ana")),)))
    run(s, EraseParticipant("g1", 2.0))
    assert s.groups[0].members == ("guest g1", "person:p-ana")  # the other guest's place
    run(s, EraseParticipant("g2", 3.0))
    assert s.groups[0].members == ("person:p-ana",)
