"""Media routes, screen shares and server-measured speaking belong to the session."""

from __future__ import annotations

import pytest

from rooms import breakout_commands as b
from rooms import commands as c
from rooms.errors import NotAllowed, NotSameRoom, ScreenBusy, UnknownParticipant
from rooms.events import (
    MediaRouteChanged,
    ParticipantUpdated,
    ScreenPolicyChanged,
    SpeakingChanged,
)
from rooms.recorder import writes_for
from rooms.roles import Role
from rooms.room import MAIN_ROOM, MediaRoute
from rooms.session import Session
from rooms.snapshot import restore, snapshot
from tests.rooms.helpers import run

T0 = 7000.0


def pair() -> Session:
    """Mentor Ana ("m" on "cm") and mentee Ben ("b" on "cb") in the main room."""
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0)
    c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0).apply(s)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0).apply(s)
    return s


def routes(events: list[object]) -> list[tuple[str, str]]:
    return [(e.room, e.route) for e in events if isinstance(e, MediaRouteChanged)]


def test_a_third_person_moves_the_room_to_the_server_and_the_room_comes_back_at_two() -> None:
    s = pair()
    assert s.media_route(MAIN_ROOM) is MediaRoute.P2P
    joined = c.Join("cc", Role.MENTEE, "Cleo", "c", True, True, T0 + 1).apply(s)
    assert routes(list(joined.events)) == [(MAIN_ROOM, "server")]
    assert joined.value.media_route == "server"  # the newcomer learns it from their join
    # The route is announced after the join itself, so everybody knows who is there first.
    assert isinstance(joined.events[-1], MediaRouteChanged)
    # A drop counts like a leave: two people connected are a pair again.
    assert routes(run(s, c.Disconnect("c", "cc", T0 + 2))) == [(MAIN_ROOM, "p2p")]
    assert routes(run(s, c.Join("cc2", Role.MENTEE, "Cleo", "z", True, True, T0 + 3, "c"))) == [
        (MAIN_ROOM, "server")]
    assert routes(run(s, c.Leave("c", "cc2", T0 + 4))) == [(MAIN_ROOM, "p2p")]
    # Nothing else announces a route: a chat message changes none.
    assert routes(run(s, c.PostChat("m", "cm", "hi", T0 + 5))) == []


def test_breakout_rooms_have_their_own_routes() -> None:
    s = pair()
    c.Join("cc", Role.MENTEE, "Cleo", "c", True, True, T0).apply(s)
    c.Join("cd", Role.MENTEE, "Dan", "d", True, True, T0).apply(s)
    b.BreakoutCreate("m", "cm", 2, (), False, False, T0 + 1).apply(s)
    b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 1).apply(s)
    b.BreakoutAssign("m", "cm", "c", "1:b1", T0 + 1).apply(s)
    b.BreakoutAssign("m", "cm", "d", "1:b2", T0 + 1).apply(s)
    opened = run(s, b.BreakoutOpen("m", "cm", None, T0 + 2))
    # Ana stays alone in main; Ben and Cleo are a pair; Dan is alone: every room peer to peer.
    assert sorted(routes(opened)) == [(MAIN_ROOM, "p2p")]
    assert s.room_entered("b").media_route == "p2p"
    # Ana visits the first pair: three there now.
    visited = run(s, b.BreakoutVisit("m", "cm", "1:b1", T0 + 3))
    assert routes(visited) == [("1:b1", "server")]


def test_a_failed_direct_connection_moves_a_pair_to_the_server_until_the_room_empties() -> None:
    s = pair()
    applied = c.ReportFallback("b", "cb", "m", T0 + 1).apply(s)
    assert applied.value == "server"
    assert routes(list(applied.events)) == [(MAIN_ROOM, "server")]
    # Holds while both are there, through a third coming and going.
    run(s, c.Join("cc", Role.MENTEE, "Cleo", "c", True, True, T0 + 2))
    assert routes(run(s, c.Leave("c", "cc", T0 + 3))) == []
    assert s.media_route(MAIN_ROOM) is MediaRoute.SERVER
    # Once fewer than two are connected, the room is a plain pair again when they are back.
    assert routes(run(s, c.Disconnect("b", "cb", T0 + 4))) == [(MAIN_ROOM, "p2p")]
    run(s, c.Join("cb2", Role.MENTEE, "Ben", "y", True, True, T0 + 5, "b"))
    assert s.media_route(MAIN_ROOM) is MediaRoute.P2P
    with pytest.raises(UnknownParticipant):
        c.ReportFallback("b", "cb2", "b", T0 + 6).apply(s)
    with pytest.raises(UnknownParticipant):
        c.ReportFallback("b", "cb2", "nobody", T0 + 6).apply(s)


def test_a_fallback_names_a_peer_in_the_senders_room() -> None:
    s = pair()
    c.Join("cc", Role.MENTEE, "Cleo", "c", True, True, T0).apply(s)
    c.Disconnect("c", "cc", T0 + 1).apply(s)
    with pytest.raises(NotSameRoom):
        c.ReportFallback("b", "cb", "c", T0 + 2).apply(s)


def test_one_screen_share_per_room_unless_the_mentor_allows_more() -> None:
    s = pair()
    c.Join("cc", Role.MENTEE, "Cleo", "c", True, True, T0).apply(s)
    shared = c.ShareScreen("b", "cb", True, T0 + 1).apply(s)
    assert shared.value.screen
    assert [type(e) for e in shared.events] == [ParticipantUpdated]
    with pytest.raises(ScreenBusy, match="Ben is already sharing"):
        c.ShareScreen("c", "cc", True, T0 + 2).apply(s)
    with pytest.raises(NotAllowed):
        c.SetScreenPolicy("b", "cb", True, T0 + 2).apply(s)  # mentees cannot allow more
    c.SetScreenPolicy("m", "cm", True, T0 + 3).apply(s)
    assert c.ShareScreen("c", "cc", True, T0 + 4).apply(s).value.screen
    # The mentor stops Ben's share; stopping it again changes nothing.
    stopped = run(s, c.StopScreen("m", "cm", "b", T0 + 5))
    assert [e.participant.screen for e in stopped if isinstance(e, ParticipantUpdated)] == [
        False]
    assert run(s, c.StopScreen("m", "cm", "b", T0 + 6)) == []
    with pytest.raises(NotAllowed):
        c.StopScreen("b", "cb", "c", T0 + 7).apply(s)


def test_the_screen_policy_is_told_to_the_room_once_and_handed_to_who_joins_or_moves_in() -> None:
    s = pair()
    assert not s.join_view("b", rejoined=False).screens_many
    allowed = run(s, c.SetScreenPolicy("m", "cm", True, T0 + 1))
    assert allowed == [ScreenPolicyChanged("s", T0 + 1, MAIN_ROOM, True)]
    assert run(s, c.SetScreenPolicy("m", "cm", True, T0 + 2)) == []  # no change, no news
    c.Join("cc", Role.MENTEE, "Cleo", "c", True, True, T0 + 3).apply(s)
    assert s.join_view("c", rejoined=False).screens_many
    # A breakout room starts at one sharer; the mentor visiting it allows more there only.
    b.BreakoutCreate("m", "cm", 1, (), False, False, T0 + 4).apply(s)
    b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 4).apply(s)
    b.BreakoutOpen("m", "cm", None, T0 + 5).apply(s)
    assert not s.room_entered("b").screens_many
    b.BreakoutVisit("m", "cm", "1:b1", T0 + 6).apply(s)
    assert run(s, c.SetScreenPolicy("m", "cm", True, T0 + 7)) == [
        ScreenPolicyChanged("s", T0 + 7, "1:b1", True)]
    assert s.room_entered("b").screens_many and s.join_view("c", rejoined=False).screens_many
    # A new round's rooms start at one again; the main room keeps its setting.
    b.BreakoutClose("m", "cm", 0, T0 + 8).apply(s)
    b.Tick(T0 + 9).apply(s)
    b.BreakoutCreate("m", "cm", 1, (), False, False, T0 + 10).apply(s)
    assert s.screens_many == {MAIN_ROOM}
    assert run(s, c.SetScreenPolicy("m", "cm", False, T0 + 11)) == [
        ScreenPolicyChanged("s", T0 + 11, MAIN_ROOM, False)]
    assert writes_for(allowed[0]).records == ()  # nothing for the attendance ledger


def test_observers_do_not_share_and_a_share_ends_with_a_drop_or_a_move() -> None:
    s = pair()
    c.Join("co", Role.OBSERVER, "Olga", "o", False, False, T0).apply(s)
    with pytest.raises(NotAllowed):
        c.ShareScreen("o", "co", True, T0 + 1).apply(s)
    c.ShareScreen("b", "cb", True, T0 + 1).apply(s)
    c.Disconnect("b", "cb", T0 + 2).apply(s)
    assert not s.participants["b"].screen
    back = c.Join("cb2", Role.MENTEE, "Ben", "y", True, True, T0 + 3, "b").apply(s)
    assert not back.value.participant.screen
    c.ShareScreen("b", "cb2", True, T0 + 4).apply(s)
    b.BreakoutCreate("m", "cm", 1, (), False, False, T0 + 5).apply(s)
    b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 5).apply(s)
    b.BreakoutOpen("m", "cm", None, T0 + 6).apply(s)
    assert s.participants["b"].room == "1:b1"
    assert not s.participants["b"].screen


def test_speaking_measured_by_the_server_replaces_the_pages_reports() -> None:
    s = pair()
    assert run(s, c.SetSpeaking("b", "cb", True, T0 + 1)) == [
        SpeakingChanged("s", T0 + 1, "b", None, MAIN_ROOM, True, "client")]
    assert run(s, c.MeasuredSpeaking("b", False, T0 + 2)) == [
        SpeakingChanged("s", T0 + 2, "b", None, MAIN_ROOM, False, "measured")]
    # The page's report is ignored now; the server's counts.
    assert c.SetSpeaking("b", "cb", True, T0 + 3).apply(s).value is False
    assert not s.participants["b"].speaking
    measured = run(s, c.MeasuredSpeaking("b", True, T0 + 4))
    assert measured == [SpeakingChanged("s", T0 + 4, "b", None, MAIN_ROOM, True, "measured")]
    # The ledger keeps who measured it.
    assert [r.text for r in writes_for(measured[0]).records] == ["measured"]
    # Back to peer to peer: what the server measured ends, and the page measures again.
    assert run(s, c.ServerMediaStopped("b", T0 + 5)) == [
        SpeakingChanged("s", T0 + 5, "b", None, MAIN_ROOM, False, "measured")]
    assert c.SetSpeaking("b", "cb", True, T0 + 6).apply(s).value is True


def test_the_server_does_not_measure_a_muted_or_absent_person_as_speaking() -> None:
    s = pair()
    c.SetMedia("b", "cb", False, True, T0 + 1).apply(s)
    assert run(s, c.MeasuredSpeaking("b", True, T0 + 2)) == []
    c.Disconnect("m", "cm", T0 + 3).apply(s)
    assert run(s, c.MeasuredSpeaking("m", True, T0 + 4)) == []
    with pytest.raises(UnknownParticipant):
        c.MeasuredSpeaking("nobody", True, T0 + 4).apply(s)


def test_shares_fallbacks_and_the_server_measure_survive_a_snapshot() -> None:
    s = pair()
    c.ReportFallback("b", "cb", "m", T0 + 1).apply(s)
    c.SetScreenPolicy("m", "cm", True, T0 + 1).apply(s)
    c.ShareScreen("b", "cb", True, T0 + 2).apply(s)
    c.MeasuredSpeaking("m", True, T0 + 3).apply(s)
    back = restore(snapshot(s))
    assert back.media_fallback == {MAIN_ROOM} and back.screens_many == {MAIN_ROOM}
    assert back.participants["b"].screen and back.participants["m"].speaking_by_server
    # A snapshot written before screen shares existed (version 1) reads with them all off.
    old = snapshot(s)
    old["v"] = 1
    for key in ("media_fallback", "screens_many"):
        del old[key]
    for p in old["participants"]:
        del p["screen"], p["speaking_by_server"]
    legacy = restore(old)
    assert legacy.media_fallback == set() and not legacy.participants["b"].screen
