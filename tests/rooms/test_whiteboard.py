"""The whiteboard's rules, without a document or a socket."""

from __future__ import annotations

import pytest

from rooms.errors import BoardFull, InvalidPayload, NotAllowed, PayloadTooLarge
from rooms.roles import Action, Role, can, require
from rooms.roster import RosterEntry, SessionPlan
from rooms.whiteboard import BoardKey, BoardLimits, pair_key


def test_who_may_do_what() -> None:
    assert can(Role.MENTEE, Action.DRAW_ON_BOARD)
    assert not can(Role.MENTEE, Action.CLEAR_BOARD)
    assert not can(Role.MENTEE, Action.SHOW_BOARDS)
    assert can(Role.OBSERVER, Action.VIEW_BOARD)
    assert not can(Role.OBSERVER, Action.DRAW_ON_BOARD)
    for role in (Role.MENTOR, Role.ADMIN):
        board_actions = (Action.VIEW_BOARD, Action.DRAW_ON_BOARD, Action.CLEAR_BOARD,
                         Action.SHOW_BOARDS)
        assert all(can(role, a) for a in board_actions)
    with pytest.raises(NotAllowed, match="observers watch only"):
        require(Role.OBSERVER, Action.DRAW_ON_BOARD)
    with pytest.raises(NotAllowed, match="only mentors and admins"):
        require(Role.MENTEE, Action.CLEAR_BOARD)


def test_bounds_say_which_one_was_hit() -> None:
    limits = BoardLimits(update_bytes=2048, board_bytes=8192)
    limits.check_update(2048)
    with pytest.raises(PayloadTooLarge, match="at most 2048 bytes"):
        limits.check_update(2049)
    with pytest.raises(InvalidPayload):
        limits.check_update(0)
    assert limits.fits(6000, 2000) and not limits.fits(6000, 2193)
    assert isinstance(limits.full(8000), BoardFull) and limits.full(8000).code == "board_full"
    with pytest.raises(ValueError):
        BoardLimits(update_bytes=10, board_bytes=8192)
    with pytest.raises(ValueError):
        BoardLimits(update_bytes=9000, board_bytes=8192)


def test_board_keys_are_safe_file_names() -> None:
    assert BoardKey("k3v9-_x", "b12").room == "b12"
    for bad in ("../etc", "a/b", "", "x" * 65, "main room"):
        with pytest.raises(InvalidPayload):
            BoardKey(bad, "main")
        with pytest.raises(InvalidPayload):
            BoardKey("s1", bad)


def _plan(*people: tuple[str, Role], programme: str = "Cohort 1") -> SessionPlan:
    return SessionPlan(programme=programme, roster=tuple(
        RosterEntry(pid, pid.title(), role) for pid, role in people))


def test_pair_key_follows_the_mentor_and_mentee_not_the_session() -> None:
    a = _plan(("ana", Role.MENTOR), ("ben", Role.MENTEE))
    same_pair_reordered = _plan(("ben", Role.MENTEE), ("ana", Role.MENTOR))
    with_observer = _plan(("ana", Role.MENTOR), ("ben", Role.MENTEE), ("obs", Role.OBSERVER))
    key = pair_key(a)
    assert key is not None and key.startswith("pair-")
    assert pair_key(same_pair_reordered) == key == pair_key(with_observer)
    assert pair_key(_plan(("ana", Role.MENTOR), ("dee", Role.MENTEE))) != key
    assert pair_key(_plan(("ana", Role.MENTOR), ("ben", Role.MENTEE), programme="Other")) != key
    assert pair_key(_plan(("ana", Role.MENTOR))) is None
    assert pair_key(SessionPlan()) is None
    BoardKey(key, "main")  # usable as a file name
