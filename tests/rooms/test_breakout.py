from __future__ import annotations

import pytest

from rooms.breakout import WARNING_SECONDS, Group
from rooms.breakout_commands import (
    BreakoutAdjust,
    BreakoutAssign,
    BreakoutAutoAssign,
    BreakoutBroadcast,
    BreakoutChoose,
    BreakoutClose,
    BreakoutCreate,
    BreakoutDiscard,
    BreakoutOpen,
    BreakoutVisit,
    HelpRequest,
    HelpWithdraw,
)
from rooms.errors import IllegalTransition, InvalidPayload, NotAllowed, NotSameRoom
from rooms.events import (
    BreakoutsChanged,
    BreakoutWarning,
    ChatPosted,
    ParticipantJoined,
    ParticipantMoved,
    RoomsCreated,
)
from rooms.lifecycles import BREAKOUT_TRANSITIONS, BreakoutState, SessionState
from rooms.roles import Role
from rooms.room import MAIN_ROOM
from rooms.roster import RosterEntry, SessionPlan
from rooms.session import Session
from tests.rooms.helpers import run

T0 = 1000.0


def setup(*mentees: str, max_participants: int = 25) -> Session:
    """A live session: mentor "m" on connection "cm", mentees "<id>" on connections "c<id>"."""
    s = Session.create(session_id="s", title="Group", max_participants=max_participants, now=T0)
    s.join(connection_id="cm", role=Role.MENTOR, name="Mentor", new_participant_id="m",
           audio=True, video=True, now=T0)
    for pid in mentees:
        s.join(connection_id=f"c{pid}", role=Role.MENTEE, name=f"Name {pid}",
               new_participant_id=pid, audio=True, video=True, now=T0)
    return s


def rooms_of(s: Session) -> dict[str, str]:
    return {pid: p.room for pid, p in s.participants.items()}


def moves(events: list[object]) -> list[tuple[str, str, str]]:
    return [(e.participant.id, e.from_room, e.participant.room)
            for e in events if isinstance(e, ParticipantMoved)]


def create(s: Session, count: int | None = 2, names: list[str] | None = None,
           allow_choice: bool = False, from_groups: bool = False) -> list[object]:
    """A round's creation: the events after ``RoomsCreated`` (which only names the rooms)."""
    events = run(s, BreakoutCreate("m", "cm", count, tuple(names or []), allow_choice,
                                   from_groups, T0))
    assert isinstance(events[0], RoomsCreated)
    return events[1:]


def test_transition_table_is_complete_and_closed_is_final() -> None:
    assert set(BREAKOUT_TRANSITIONS) == set(BreakoutState)
    assert BREAKOUT_TRANSITIONS[BreakoutState.CLOSED] == frozenset()


def test_create_numbered_or_named_rooms() -> None:
    s = setup("a")
    (changed,) = create(s, count=3)
    assert isinstance(changed, BreakoutsChanged)
    assert [(r.id, r.name) for r in changed.view.rooms] == [
        ("1:b1", "Room 1"), ("1:b2", "Room 2"), ("1:b3", "Room 3")]
    assert changed.view.state is BreakoutState.DRAFT and changed.view.round == 1
    run(s, BreakoutDiscard("m", "cm", T0))
    created, changed = run(s, BreakoutCreate("m", "cm", None, ("  Pair  A ", "Pair B"), False,
                                             False, T0))
    # Room ids name their round: nothing of round 1's rooms is found under round 2's.
    assert created == RoomsCreated("s", T0, 2, (("2:b1", "Pair A"), ("2:b2", "Pair B")))
    assert isinstance(changed, BreakoutsChanged)
    assert [r.name for r in changed.view.rooms] == ["Pair A", "Pair B"]
    assert changed.view.round == 2


@pytest.mark.parametrize(
    ("count", "names"),
    [(0, []), (51, []), (None, []), (None, ["A", "a"]), (None, [""]), (None, ["x" * 61]),
     (3, ["A", "B"])],
)
def test_create_rejects_bad_rooms(count: int | None, names: list[str]) -> None:
    with pytest.raises(InvalidPayload):
        create(setup(), count=count, names=names)


def test_only_one_active_round() -> None:
    s = setup()
    create(s)
    with pytest.raises(IllegalTransition, match="already exist"):
        create(s)


def test_mentees_cannot_run_breakouts() -> None:
    s = setup("a")
    with pytest.raises(NotAllowed, match="only mentors and admins"):
        run(s, BreakoutCreate("a", "ca", 2, tuple([]), False, False, T0))
    create(s)
    for attempt in (
        lambda: run(s, BreakoutAssign("a", "ca", "a", "1:b1", T0)),
        lambda: run(s, BreakoutAutoAssign("a", "ca", tuple(["a"]), T0)),
        lambda: run(s, BreakoutOpen("a", "ca", None, T0)),
        lambda: run(s, BreakoutBroadcast("a", "ca", "hi", T0)),
        lambda: run(s, BreakoutClose("a", "ca", 0, T0)),
        lambda: run(s, BreakoutVisit("a", "ca", "1:b1", T0)),
        lambda: run(s, BreakoutDiscard("a", "ca", T0)),
        lambda: run(s, BreakoutAdjust("a", "ca", 60, T0)),
    ):
        with pytest.raises(NotAllowed):
            attempt()


def test_draft_assignments_move_nobody_until_open() -> None:
    s = setup("a", "b", "c")
    create(s)
    events = run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    events += run(s, BreakoutAssign("m", "cm", "b", "1:b2", T0))
    assert moves(events) == []
    assert set(rooms_of(s).values()) == {MAIN_ROOM}
    events = run(s, BreakoutOpen("m", "cm", None, T0 + 1))
    assert sorted(moves(events)) == [("a", "main", "1:b1"), ("b", "main", "1:b2")]
    assert rooms_of(s) == {"m": "main", "a": "1:b1", "b": "1:b2", "c": "main"}
    view = s.breakout_view()
    assert view is not None and view.state is BreakoutState.OPEN and view.ends_at is None
    assert [r.members for r in view.rooms] == [("a",), ("b",)]


def test_reassign_while_open_moves_at_once_and_unassign_returns_to_main() -> None:
    s = setup("a", "b")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    assert moves(run(s, BreakoutAssign("m", "cm", "a", "1:b2", T0))) == [("a", "1:b1", "1:b2")]
    assert moves(run(s, BreakoutAssign("m", "cm", "b", "1:b2", T0))) == [("b", "main", "1:b2")]
    assert moves(run(s, BreakoutAssign("m", "cm", "a", None, T0))) == [("a", "1:b2", "main")]
    with pytest.raises(InvalidPayload, match="no breakout room"):
        run(s, BreakoutAssign("m", "cm", "a", "1:b9", T0))


def test_auto_assign_is_balanced_and_skips_who_should_stay() -> None:
    s = setup("a", "b", "c", "d", "e")
    s.join(connection_id="co", role=Role.OBSERVER, name="Obs", new_participant_id="o",
           audio=False, video=False, now=T0)
    s.join(connection_id="cx", role=Role.ADMIN, name="Adm", new_participant_id="x",
           audio=False, video=False, now=T0)
    s.disconnect("e", "ce", now=T0)
    create(s)
    run(s, BreakoutAutoAssign("m", "cm", tuple(["o", "x", "m", "d", "a", "c", "b", "e"]), T0))
    view = s.breakout_view()
    assert view is not None
    assigned = [set(r.assigned) for r in view.rooms]
    assert assigned == [{"d", "c"}, {"a", "b"}]  # round robin over the given order


def test_auto_assign_sizes_differ_by_at_most_one() -> None:
    people = [f"p{i}" for i in range(7)]
    s = setup(*people)
    create(s, count=3)
    run(s, BreakoutAutoAssign("m", "cm", tuple(people), T0))
    view = s.breakout_view()
    assert view is not None
    assert sorted(len(r.assigned) for r in view.rooms) == [2, 2, 3]


def test_groups_assign_present_people_and_remember_the_rest() -> None:
    s = setup("a")
    s.participants["a"].name = "Ana Lee"
    s.set_groups([Group("Pair 1", ("ana lee", "m")), Group("Pair 2", ("Ben", "Cleo"))])
    events = create(s, count=None, from_groups=True)
    view = events[-1].view  # type: ignore[attr-defined]
    assert [r.name for r in view.rooms] == ["Pair 1", "Pair 2"]
    assert [set(r.assigned) for r in view.rooms] == [{"a", "m"}, set()]
    run(s, BreakoutOpen("m", "cm", None, T0))
    assert rooms_of(s) == {"m": "1:b1", "a": "1:b1"}
    # Ben joins late: straight into his group's room, with one join event carrying the room
    view_b, events = s.join(connection_id="cb", role=Role.MENTEE, name="ben",
                            new_participant_id="b", audio=True, video=True, now=T0 + 5)
    assert view_b.participant.room == "1:b2" and view_b.room.id == "1:b2"
    assert isinstance(events[0], ParticipantJoined) and events[0].participant.room == "1:b2"
    assert moves(events) == []


def test_a_roster_person_is_placed_by_their_link_never_by_a_typed_name() -> None:
    plan = SessionPlan(roster=(RosterEntry("p-ana", "Ana", Role.MENTEE),
                               RosterEntry("p-ben", "Ben", Role.MENTEE)))
    s = Session.create(session_id="s", title="Pairs", max_participants=8, now=T0, plan=plan)
    s.join(connection_id="cm", role=Role.MENTOR, name="Mentor", new_participant_id="m",
           audio=True, video=True, now=T0)
    s.set_groups([Group("Ana's pair", ("Ana", "m")), Group("Ben's pair", ("p-ben",))])
    create(s, count=None, from_groups=True)
    run(s, BreakoutOpen("m", "cm", None, T0))
    # someone with the role link calling themselves Ana stays out of Ana's private room
    impostor, _ = s.join(connection_id="cx", role=Role.MENTEE, name="Ana",
                         new_participant_id="x", audio=True, video=True, now=T0 + 1)
    assert impostor.participant.room == MAIN_ROOM
    # Ana with her personal link goes in, and so does Ben, named by his person id
    ana, _ = s.join(connection_id="ca", role=Role.MENTEE, name="Ana", new_participant_id="a",
                    audio=True, video=True, now=T0 + 2, link_name="Ana")
    ben, _ = s.join(connection_id="cb", role=Role.MENTEE, name="Ben", new_participant_id="b",
                    audio=True, video=True, now=T0 + 3, link_name="Ben")
    assert (ana.participant.room, ben.participant.room) == ("1:b1", "1:b2")


def test_groups_need_groups_and_enough_rooms() -> None:
    s = setup()
    with pytest.raises(InvalidPayload, match="no pre-defined groups"):
        create(s, count=None, from_groups=True)
    with pytest.raises(InvalidPayload):
        Group("", ("a",))
    with pytest.raises(InvalidPayload):
        Group("G", ())


def test_late_joiner_without_assignment_goes_to_main() -> None:
    s = setup("a")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    view, events = s.join(connection_id="cz", role=Role.MENTEE, name="Zed",
                          new_participant_id="z", audio=True, video=True, now=T0 + 1)
    assert view.participant.room == MAIN_ROOM
    assert any(isinstance(e, BreakoutsChanged) for e in events)


def test_reconnect_returns_to_the_same_breakout() -> None:
    s = setup("a", "b")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    s.disconnect("a", "ca", now=T0 + 10)
    view, events = s.join(connection_id="ca2", role=Role.MENTEE, name="Name a",
                          new_participant_id="ignored", audio=True, video=True, now=T0 + 20,
                          resume_participant_id="a")
    assert view.participant.id == "a" and view.participant.room == "1:b1"
    assert moves(events) == []
    # someone who left on purpose and comes back also returns to their room
    s.leave("a", "ca2", now=T0 + 30)
    view, _ = s.join(connection_id="ca3", role=Role.MENTEE, name="Name a",
                     new_participant_id="ignored", audio=True, video=True, now=T0 + 40,
                     resume_participant_id="a")
    assert view.participant.room == "1:b1"


def test_timer_warns_once_then_closes_then_brings_everyone_back() -> None:
    s = setup("a", "b")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutAssign("m", "cm", "b", "1:b2", T0))
    run(s, BreakoutOpen("m", "cm", 300, T0))
    ends = T0 + 300
    assert s.next_deadline() == ends - WARNING_SECONDS
    assert s.tick(ends - WARNING_SECONDS - 1) == []
    events = s.tick(ends - WARNING_SECONDS)
    assert events == [BreakoutWarning("s", ends - WARNING_SECONDS, ends)]
    assert s.tick(ends - 30) == []  # warned once only
    assert s.next_deadline() == ends
    events = s.tick(ends)
    view = s.breakout_view()
    assert view is not None and view.state is BreakoutState.CLOSING
    assert view.closing_ends_at == ends + 10
    assert moves(events) == [] and rooms_of(s)["a"] == "1:b1"
    assert s.next_deadline() == ends + 10
    events = s.tick(ends + 10)
    assert sorted(moves(events)) == [("a", "1:b1", "main"), ("b", "1:b2", "main")]
    assert set(rooms_of(s).values()) == {MAIN_ROOM}
    view = s.breakout_view()
    assert view is not None and view.state is BreakoutState.CLOSED
    assert s.next_deadline() is None and s.tick(ends + 100) == []


def test_a_late_tick_does_everything_that_is_due() -> None:
    s = setup("a")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", 120, T0))
    events = s.tick(T0 + 10_000)
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "BreakoutWarning" and "ParticipantMoved" in kinds
    view = s.breakout_view()
    assert view is not None and view.state is BreakoutState.CLOSED


def test_extend_and_shorten() -> None:
    s = setup("a")
    create(s)
    run(s, BreakoutOpen("m", "cm", 120, T0))
    s.tick(T0 + 60)  # warned
    run(s, BreakoutAdjust("m", "cm", 300, T0 + 70))
    view = s.breakout_view()
    assert view is not None and view.ends_at == T0 + 420
    assert s.next_deadline() == T0 + 420 - WARNING_SECONDS  # a new warning will come
    events = run(s, BreakoutAdjust("m", "cm", -10_000, T0 + 80))  # shorten to now: closing starts
    assert any(isinstance(e, BreakoutWarning) for e in events)
    view = s.breakout_view()
    assert view is not None and view.state is BreakoutState.CLOSING
    with pytest.raises(IllegalTransition):
        run(s, BreakoutAdjust("m", "cm", 60, T0 + 81))


@pytest.mark.parametrize("duration", [10, 4 * 3600 + 1])
def test_duration_bounds(duration: float) -> None:
    s = setup()
    create(s)
    with pytest.raises(InvalidPayload):
        run(s, BreakoutOpen("m", "cm", duration, T0))


def test_close_by_mentor_with_countdown_and_immediately() -> None:
    s = setup("a")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    run(s, BreakoutClose("m", "cm", 15, T0 + 5))
    assert rooms_of(s)["a"] == "1:b1" and s.next_deadline() == T0 + 20
    assert moves(s.tick(T0 + 20)) == [("a", "1:b1", "main")]
    s2 = setup("a")
    create(s2)
    run(s2, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s2, BreakoutOpen("m", "cm", None, T0))
    assert moves(run(s2, BreakoutClose("m", "cm", 0, T0))) == [("a", "1:b1", "main")]


def test_return_countdown_is_bounded() -> None:
    s = setup()
    create(s)
    run(s, BreakoutOpen("m", "cm", None, T0))
    with pytest.raises(InvalidPayload, match="countdown"):
        run(s, BreakoutClose("m", "cm", 61, T0))
    view = s.breakout_view()
    assert view is not None and view.state is BreakoutState.OPEN


def test_illegal_transitions_are_errors_not_no_ops() -> None:
    s = setup()
    with pytest.raises(IllegalTransition, match="create them first"):
        run(s, BreakoutOpen("m", "cm", None, T0))
    create(s)
    with pytest.raises(IllegalTransition, match="not open"):
        run(s, BreakoutClose("m", "cm", 0, T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    with pytest.raises(IllegalTransition, match="'open' to 'open'"):
        run(s, BreakoutOpen("m", "cm", None, T0))
    with pytest.raises(IllegalTransition, match="draft"):
        run(s, BreakoutDiscard("m", "cm", T0))
    run(s, BreakoutClose("m", "cm", 10, T0))
    with pytest.raises(IllegalTransition, match="assigned while"):
        run(s, BreakoutAssign("m", "cm", "m", "1:b1", T0))
    with pytest.raises(IllegalTransition, match="'closing' to 'closing'"):
        run(s, BreakoutClose("m", "cm", 10, T0))


def test_visit_and_help() -> None:
    s = setup("a", "b")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutAssign("m", "cm", "b", "1:b2", T0))
    with pytest.raises(IllegalTransition, match="open"):
        run(s, HelpRequest("a", "ca", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    with pytest.raises(IllegalTransition, match="inside"):
        run(s, HelpRequest("m", "cm", T0))  # the mentor is in the main room
    run(s, HelpRequest("a", "ca", T0 + 1))
    assert run(s, HelpRequest("a", "ca", T0 + 2)) == []  # asking twice is one request
    run(s, HelpRequest("b", "cb", T0 + 3))
    view = s.breakout_view()
    assert view is not None
    assert [(h.participant_id, h.room, h.asked_at) for h in view.help] == [
        ("a", "1:b1", T0 + 1), ("b", "1:b2", T0 + 3)]
    run(s, HelpWithdraw("b", "cb", T0 + 4))
    assert run(s, HelpWithdraw("b", "cb", T0 + 5)) == []
    events = run(s, BreakoutVisit("m", "cm", "1:b1", T0 + 6))  # going there answers it
    assert moves(events) == [("m", "main", "1:b1")]
    view = s.breakout_view()
    assert view is not None and view.help == ()
    assert s.route_signal("m", "cm", "a").connection_id == "ca"  # the visitor meets the room
    with pytest.raises(NotSameRoom):
        s.route_signal("m", "cm", "b")
    assert moves(run(s, BreakoutVisit("m", "cm", "main", T0 + 7))) == [("m", "1:b1", "main")]


def test_choosing_a_room_needs_permission_from_the_round() -> None:
    s = setup("a")
    create(s)
    with pytest.raises(NotAllowed, match="cannot choose"):
        run(s, BreakoutChoose("a", "ca", "1:b1", T0))
    run(s, BreakoutDiscard("m", "cm", T0))
    create(s, allow_choice=True)
    assert moves(run(s, BreakoutChoose("a", "ca", "2:b2", T0))) == []
    run(s, BreakoutOpen("m", "cm", None, T0))
    assert rooms_of(s)["a"] == "2:b2"
    assert moves(run(s, BreakoutChoose("a", "ca", "2:b1", T0))) == [("a", "2:b2", "2:b1")]


def test_broadcast_reaches_every_room_and_stays_in_its_chat() -> None:
    s = setup("a", "b")
    create(s)
    with pytest.raises(IllegalTransition):
        run(s, BreakoutBroadcast("m", "cm", "Five minutes left", T0))
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    events = run(s, BreakoutBroadcast("m", "cm", "Five minutes left", T0 + 1))
    assert [e.message.room for e in events if isinstance(e, ChatPosted)] == ["main", "1:b1", "1:b2"]
    assert all(e.message.broadcast for e in events if isinstance(e, ChatPosted))
    assert [m.text for m in s.room_entered("a").chat] == ["Five minutes left"]


def rejoin_mentor(s: Session, connection_id: str, now: float) -> None:
    """The mentor's page lost its connection and is back on another."""
    s.disconnect("m", "cm", now)
    s.join(connection_id=connection_id, role=Role.MENTOR, name="Mentor", new_participant_id="m2",
           audio=True, video=True, now=now, resume_participant_id="m")


def test_a_broadcast_sent_again_with_its_id_is_posted_once() -> None:
    s = setup("a", "b")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    assert len(run(s, BreakoutBroadcast("m", "cm", "Wrap up", T0 + 1, "p-1"))) == 3
    # Its answer was lost with the connection; the page sends it again once back, after the
    # rooms started closing: nothing is posted, and nothing refused.
    rejoin_mentor(s, "cm2", T0 + 2)
    run(s, BreakoutClose("m", "cm2", 10, T0 + 3))
    assert run(s, BreakoutBroadcast("m", "cm2", "Wrap up", T0 + 4, "p-1")) == []
    assert [m.text for m in s.room_entered("a").chat] == ["Wrap up"]
    # Another id is another broadcast; one without an id is always posted.
    assert len(run(s, BreakoutBroadcast("m", "cm2", "Wrap up", T0 + 5, "p-2"))) == 3
    run(s, BreakoutBroadcast("m", "cm2", "Wrap up", T0 + 6))
    assert [m.text for m in s.room_entered("a").chat] == ["Wrap up"] * 3


def test_a_time_change_sent_again_with_its_id_is_applied_once() -> None:
    s = setup("a")
    create(s)
    run(s, BreakoutOpen("m", "cm", 600, T0))
    events = run(s, BreakoutAdjust("m", "cm", 300, T0 + 10, "p-1"))
    assert any(isinstance(e, BreakoutsChanged) for e in events)
    rejoin_mentor(s, "cm2", T0 + 11)
    assert run(s, BreakoutAdjust("m", "cm2", 300, T0 + 12, "p-1")) == []
    view = s.breakout_view()
    assert view is not None and view.ends_at == T0 + 900
    run(s, BreakoutAdjust("m", "cm2", 300, T0 + 13, "p-2"))
    run(s, BreakoutAdjust("m", "cm2", -60, T0 + 14))
    view = s.breakout_view()
    assert view is not None and view.ends_at == T0 + 1140
    # The ids applied are kept for the person (with those of their chat messages: the page's ids
    # are unique), the latest few of them.
    s.post_chat("m", "cm2", "Hello", T0 + 15, "p-9")
    assert list(s.participants["m"].sent) == ["p-1", "p-2", "p-9"]
    with pytest.raises(NotAllowed):  # a mentee's id changes nothing, and is refused as before
        run(s, BreakoutAdjust("a", "ca", 300, T0 + 16, "p-3"))
    assert "p-3" not in s.participants["a"].sent


def test_chat_stays_in_its_room() -> None:
    s = setup("a", "b")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    s.post_chat("a", "ca", "in the breakout", T0)
    s.post_chat("b", "cb", "in the main room", T0)
    assert [m.text for m in s.room_entered("a").chat] == ["in the breakout"]
    assert [m.text for m in s.room_entered("b").chat] == ["in the main room"]


def test_ending_the_session_ends_the_round() -> None:
    s = setup("a")
    create(s)
    run(s, BreakoutOpen("m", "cm", 600, T0))
    s.end("over", T0 + 1)
    view = s.breakout_view()
    assert s.state is SessionState.ENDED
    assert view is not None and view.state is BreakoutState.CLOSED and s.next_deadline() is None


def test_overview_membership_follows_presence() -> None:
    s = setup("a")
    create(s)
    run(s, BreakoutAssign("m", "cm", "a", "1:b1", T0))
    run(s, BreakoutOpen("m", "cm", None, T0))
    events = s.disconnect("a", "ca", T0 + 1)
    changed = [e for e in events if isinstance(e, BreakoutsChanged)]
    assert changed and changed[0].view.rooms[0].members == ()
    assert changed[0].view.rooms[0].assigned == ("a",)
