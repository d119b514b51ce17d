"""What a drop took (``Taken``) names erased participants: in memory it is kept no longer than
it serves (entries' age and a margin), gone at the next retention pass after that even when no
other drop comes to push it out."""

from __future__ import annotations

from server.history import TAKEN_MARGIN, MemoryHistory, Taken
from server.settings import HistoryBounds
from tests.support import Clock


async def test_an_erased_participants_mark_is_gone_at_the_first_retention_pass_past_it() -> None:
    clock = Clock()
    h = MemoryHistory(HistoryBounds(seconds=60), clock)
    await h.drop("s", taken=Taken(erased={"ana": 3}))
    clock.now += 60 + TAKEN_MARGIN + 1
    assert await h.sessions() == []  # (a retention pass lists the sessions with a history first)
    assert dict(h.taken) == {}
