"""Commands marked ``can_move_media = False`` skip comparing the media routes before and after
them (``rooms.command.Command.apply``); this checks, over random sessions, that none of them
changes a route or a fallback, so the skipped comparison would have found nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms import commands as c
from rooms.errors import TandemError
from rooms.roles import Role
from tests.rooms.test_snapshot import T0, Script, new_session

SKIPPING = {c.PostChat, c.SetMedia, c.RaiseHand, c.SetSpeaking, c.React, c.EditBoard,
            c.ShowBoard, c.MeasuredSpeaking, c.PostCaption}


def test_the_commands_that_skip_the_comparison_are_these() -> None:
    # A command newly marked must be drawn by the script below (or be a PostCaption, which
    # changes nothing at all) before it joins this list.
    marked = {cls for cls in vars(c).values()
              if isinstance(cls, type) and issubclass(cls, c.Command) and not cls.can_move_media}
    assert marked == SKIPPING
    assert not c.PostCaption.changes_session


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_command_that_cannot_move_media_changes_no_route(data: st.DataObject) -> None:
    s = new_session()
    script = Script(data)
    for first in (c.Join("m-0", Role.MENTOR, "Ana", "m", True, True, T0, None, "Ana"),
                  c.Join("a-0", Role.MENTEE, "Ben", "a", True, False, T0, None, "Ben"),
                  c.Join("b-0", Role.MENTEE, "Cleo", "b", True, False, T0, None, "Cleo")):
        first.apply(s)
    for _ in range(data.draw(st.integers(5, 60), label="commands")):
        command = script.draw(s)
        routes, fallback = s.media_routes(), set(s.media_fallback)
        try:
            command.apply(s)
        except TandemError:
            continue
        if not command.can_move_media:
            assert s.media_routes() == routes, command
            assert s.media_fallback == fallback, command
