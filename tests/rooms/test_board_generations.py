"""A board's generation (``Session.board_generation``): it changes whenever the board is
deleted, a deletion of every board of the session included, and nothing else changes it; the
session keeps it across a snapshot."""

from __future__ import annotations

from rooms import commands as c
from rooms.events import BoardsDeleted
from rooms.snapshot import restore, snapshot
from tests.rooms.test_snapshot import T0, new_session


def test_a_deletion_changes_the_generation_of_the_boards_it_deletes_only() -> None:
    s = new_session()
    first = {room: s.board_generation(room) for room in ("main", "1:b1")}
    events = c.DeleteBoards(("1:b1",), False, T0).apply(s).events
    assert list(events) == [BoardsDeleted("s1", T0, ("1:b1",), False)]
    assert s.board_generation("main") == first["main"]
    after_one = s.board_generation("1:b1")
    assert after_one != first["1:b1"]

    c.DeleteBoards(None, True, T0 + 1).apply(s)
    assert s.board_generation("main") != first["main"]
    assert s.board_generation("1:b1") not in (first["1:b1"], after_one)
    # A room no board was ever deleted in is of a new generation too (all were deleted).
    assert s.board_generation("2:b1") != new_session().board_generation("2:b1")


def test_the_generations_survive_a_snapshot() -> None:
    s = new_session()
    c.DeleteBoards(("main",), True, T0).apply(s)
    c.DeleteBoards(None, False, T0).apply(s)
    again = restore(snapshot(s))
    for room in ("main", "1:b1"):
        assert again.board_generation(room) == s.board_generation(room)
