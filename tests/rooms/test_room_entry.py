"""Where a participant entered their room, in its history (``EnterRoom``): the first position of
a stay is kept, through a dropped connection; moving, or leaving, ends the stay; it survives a
snapshot and a stored command."""

from __future__ import annotations

from rooms import breakout_commands as b
from rooms import commands as c
from rooms.roles import Role
from rooms.room import MAIN_ROOM
from rooms.session import Session
from rooms.snapshot import command_data, command_from, restore, snapshot
from tests.rooms.helpers import run

T0 = 9000.0


def session() -> Session:
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0)
    c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0).apply(s)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0).apply(s)
    return s


def test_the_first_entry_of_a_stay_is_kept_through_a_dropped_connection() -> None:
    s = session()
    ben = s.participants["b"]
    assert ben.entered is None
    assert run(s, c.EnterRoom("b", MAIN_ROOM, "e1", 3)) == []
    run(s, c.Disconnect("b", "cb", T0 + 1))
    c.Join("cb2", Role.MENTEE, "Ben", "x", True, True, T0 + 2,
           resume_participant_id="b").apply(s)
    run(s, c.EnterRoom("b", MAIN_ROOM, "e1", 9))  # (the position the new connection was handed)
    assert ben.entered == (MAIN_ROOM, "e1", 3)
    # Kept in a snapshot and as a stored command.
    assert restore(snapshot(s)).participants["b"].entered == (MAIN_ROOM, "e1", 3)
    assert restore(snapshot(session())).participants["b"].entered is None
    command = c.EnterRoom("b", MAIN_ROOM, "e1", 3)
    assert command_from(command_data(command)) == command


def test_moving_or_leaving_ends_the_stay_and_an_entry_of_a_room_left_changes_nothing() -> None:
    s = session()
    ben = s.participants["b"]
    run(s, c.EnterRoom("b", MAIN_ROOM, "e1", 3))
    run(s, b.BreakoutCreate("m", "cm", 1, (), False, False, T0 + 1))
    run(s, b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 2))
    run(s, b.BreakoutOpen("m", "cm", None, T0 + 3))
    assert ben.room == "1:b1" and ben.entered is None
    run(s, c.EnterRoom("b", MAIN_ROOM, "e1", 5))  # (late: he is no longer there)
    assert ben.entered is None
    run(s, c.EnterRoom("b", "1:b1", "e2", 0))
    assert ben.entered == ("1:b1", "e2", 0)
    run(s, c.Leave("b", "cb", T0 + 4))
    assert ben.entered is None
    run(s, c.EnterRoom("b", "1:b1", "e2", 7))  # (he has left: nothing to enter)
    assert ben.entered is None
