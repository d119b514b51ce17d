"""Hands, speaking, reactions, check-ins, ratings and whiteboard edits belong to the session."""

from __future__ import annotations

import pytest

from rooms import breakout_commands as b
from rooms import commands as c
from rooms.errors import IllegalTransition, InvalidPayload, NotAllowed, NotJoined, NotSameRoom
from rooms.events import (
    BoardEdited,
    BoardShown,
    CheckedIn,
    HandChanged,
    ParticipantMoved,
    Rated,
    Reacted,
    SpeakingChanged,
)
from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan
from rooms.session import Session
from rooms.views import CheckInView
from rooms.whiteboard import BOARD_EDIT_GAP
from tests.rooms.helpers import run

T0 = 5000.0


def setup() -> Session:
    """Mentor Ana ("m" on "cm", a roster person) and mentees Ben ("b") and Cleo ("c")."""
    plan = SessionPlan(roster=(RosterEntry("ana-1", "Ana", Role.MENTOR),))
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0, plan=plan)
    c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0, None, "Ana").apply(s)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0).apply(s)
    c.Join("cc", Role.MENTEE, "Cleo", "c", True, False, T0).apply(s)
    return s


def test_the_person_is_fixed_at_join_from_the_signed_link() -> None:
    s = setup()
    assert s.participants["m"].person_id == "ana-1"
    assert s.participants["b"].person_id is None
    # Coming back under another name does not change who they are.
    c.Disconnect("m", "cm", T0 + 1).apply(s)
    c.Join("cm2", Role.MENTOR, "Someone else", "x", True, True, T0 + 2, "m", None).apply(s)
    assert s.participants["m"].person_id == "ana-1"


def test_a_hand_is_raised_once_survives_a_drop_and_comes_down_on_leaving() -> None:
    s = setup()
    events = run(s, c.RaiseHand("b", "cb", True, T0 + 1))
    assert events == [HandChanged("s", T0 + 1, "b", None, "main", True)]
    assert run(s, c.RaiseHand("b", "cb", True, T0 + 2)) == []  # already up: nothing new
    assert c.RaiseHand("b", "cb", True, T0 + 2).apply(s).value is False
    c.Disconnect("b", "cb", T0 + 3).apply(s)
    assert s.participants["b"].hand_raised_at == T0 + 1
    joined = c.Join("cb2", Role.MENTEE, "Ben", "z", True, True, T0 + 4, "b").apply(s).value
    assert joined.participant.hand_raised_at == T0 + 1  # back, still asking
    c.Leave("b", "cb2", T0 + 5).apply(s)
    assert s.participants["b"].hand_raised_at is None
    with pytest.raises(NotJoined):
        c.RaiseHand("b", "cb2", True, T0 + 6).apply(s)


def test_moving_to_another_room_lowers_the_hand_raised_in_the_old_one() -> None:
    s = setup()
    run(s, c.RaiseHand("b", "cb", True, T0 + 1))
    run(s, b.BreakoutCreate("m", "cm", 1, (), False, False, T0 + 2))
    run(s, b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 3))
    events = run(s, b.BreakoutOpen("m", "cm", None, T0 + 4))
    hands = [e for e in events if isinstance(e, HandChanged)]
    assert hands == [HandChanged("s", T0 + 4, "b", None, "main", False)]
    assert events.index(hands[0]) < next(
        i for i, e in enumerate(events) if isinstance(e, ParticipantMoved))
    assert s.participants["b"].hand_raised_at is None


def test_speaking_needs_a_microphone_and_muting_ends_it() -> None:
    s = setup()
    run(s, c.SetMedia("c", "cc", False, False, T0))
    with pytest.raises(NotAllowed, match="microphone is off"):
        run(s, c.SetSpeaking("c", "cc", True, T0 + 1))
    assert run(s, c.SetSpeaking("b", "cb", True, T0 + 1)) == [
        SpeakingChanged("s", T0 + 1, "b", None, "main", True, "client")]
    assert run(s, c.SetSpeaking("b", "cb", True, T0 + 2)) == []
    events = run(s, c.SetMedia("b", "cb", False, True, T0 + 3))
    assert SpeakingChanged("s", T0 + 3, "b", None, "main", False, "server") in events
    assert s.speaking_ids() == ()


def test_mentors_learn_who_speaks_on_joining_others_do_not() -> None:
    s = setup()
    run(s, c.SetSpeaking("b", "cb", True, T0 + 1))
    c.Disconnect("m", "cm", T0 + 2).apply(s)
    mentor = c.Join("cm2", Role.MENTOR, "Ana", "x", True, True, T0 + 3, "m").apply(s).value
    assert mentor.speaking == ("b",)
    c.Disconnect("c", "cc", T0 + 4).apply(s)
    mentee = c.Join("cc2", Role.MENTEE, "Cleo", "x", True, True, T0 + 5, "c").apply(s).value
    assert mentee.speaking == ()


def test_reactions_and_check_ins_name_the_senders_room() -> None:
    s = setup()
    assert run(s, c.React("m", "cm", "clap", T0 + 1)) == [
        Reacted("s", T0 + 1, "m", "ana-1", "main", "clap")]
    outcome = c.CheckIn("b", "cb", "  Plan my first month ", T0 + 2).apply(s)
    assert outcome.value == CheckInView("Plan my first month", T0 + 2)
    assert outcome.events == (CheckedIn("s", T0 + 2, "b", None, "main", "Plan my first month"),)
    with pytest.raises(InvalidPayload):
        run(s, c.CheckIn("b", "cb", "   ", T0 + 3))
    again = c.Join("cb2", Role.MENTEE, "Ben", "x", True, True, T0 + 4, "b").apply(s).value
    assert again.check_in == CheckInView("Plan my first month", T0 + 2)


def test_a_rating_is_given_once_anonymous_ones_name_nobody() -> None:
    s = setup()
    assert run(s, c.Rate("m", "cm", 5, " Great ", False, T0 + 1)) == [
        Rated("s", T0 + 1, "m", "ana-1", "main", 5, "Great")]
    with pytest.raises(IllegalTransition, match="already rated"):
        run(s, c.Rate("m", "cm", 4, None, True, T0 + 2))
    # After leaving, over REST (no connection): anonymous, so nothing in it says who.
    c.Leave("b", "cb", T0 + 3).apply(s)
    assert run(s, c.Rate("b", None, 3, None, True, T0 + 4)) == [
        Rated("s", T0 + 4, None, None, None, 3, None)]
    assert s.participants["b"].rated
    with pytest.raises(InvalidPayload):
        run(s, c.Rate("c", "cc", 6, None, False, T0 + 5))
    assert not s.participants["c"].rated  # refused: nothing changed


def test_board_edits_come_in_bursts_and_only_in_ones_own_room() -> None:
    s = setup()
    first = run(s, c.EditBoard("b", "cb", "main", False, T0))
    assert first == [BoardEdited("s", T0, "b", None, "main", True)]
    soon = run(s, c.EditBoard("b", "cb", "main", False, T0 + BOARD_EDIT_GAP / 2))
    assert soon == [BoardEdited("s", T0 + BOARD_EDIT_GAP / 2, "b", None, "main", False)]
    later = run(s, c.EditBoard("b", "cb", "main", False, T0 + 3 * BOARD_EDIT_GAP))
    assert later[0].new_burst  # type: ignore[union-attr]
    with pytest.raises(NotSameRoom):
        run(s, c.EditBoard("b", "cb", "1:b1", False, T0))
    with pytest.raises(NotAllowed, match="clear"):
        run(s, c.EditBoard("b", "cb", "main", True, T0))


def test_the_board_on_show_is_the_sessions() -> None:
    s = setup()
    with pytest.raises(NotAllowed):
        run(s, c.ShowBoard("b", "cb", "1:b1", T0))
    assert run(s, c.ShowBoard("m", "cm", "1:b1", T0 + 1)) == [BoardShown("s", T0 + 1, "m", "1:b1")]
    assert s.board_shown == "1:b1"
    run(s, c.End("over", T0 + 2))
    assert s.board_shown is None
