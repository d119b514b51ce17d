"""``sessions_where(holding=)`` over the journal of SQLite and PostgreSQL: no session changed
since its snapshot (an empty list of sessions), and text in the entries alone."""

from __future__ import annotations

from rooms import commands as c
from rooms.roles import Role
from rooms.session import Session
from tests.server.backends import Backend
from tests.server.store.test_purge import T0, apply, opened


async def test_holding_with_no_session_changed_since_its_snapshot(backend: Backend) -> None:
    """No session has entries since its snapshot (none to read the snapshot of): the search of
    the entries still answers, on either database."""
    store = await opened(backend)
    await store.add(Session.create(session_id="s1", title="Only in a snapshot 7788",
                                   max_participants=8, now=T0))
    assert await store.sessions_where(lambda s: False, holding="Only in a snapshot 7788") == []
    await apply(store, "s1", c.Join("cm", Role.MENTOR, "Ana 6655", "m", True, True, T0))
    assert await store.sessions_where(lambda s: False, holding="Ana 6655") == ["s1"]
    await store.close()
