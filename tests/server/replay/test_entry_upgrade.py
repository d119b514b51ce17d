"""A snapshot written before entries were kept (``Participant.entered``) holds none: a page of
such a stay that comes back after a dropped connection is answered what it missed, as before,
not from where its new connection joined (which would pass over what the room said while it was
away, without a ``history_gone`` to tell the page)."""

from __future__ import annotations

from rooms import commands as c
from rooms.roles import Role
from rooms.room import MAIN_ROOM
from rooms.session import Session
from rooms.snapshot import restore, snapshot
from server.replay.events import replay_from

T0 = 9000.0


def written_by_older_code(s: Session) -> Session:
    data = snapshot(s)
    for p in data["participants"]:
        p.pop("entered", None)  # (older code knew no entries)
    return restore(data)


def test_a_page_back_whose_stay_began_before_entries_were_kept_gets_what_it_missed() -> None:
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0).apply(s)
    s = written_by_older_code(s)
    c.Disconnect("b", "cb", T0 + 1).apply(s)
    c.Join("cb2", Role.MENTEE, "Ben", "x", True, True, T0 + 2,
           resume_participant_id="b").apply(s)
    entry = c.EnterRoom("b", MAIN_ROOM, "e1", 9)  # where the new connection joined
    if entry.changes(s):
        entry.apply(s)
    # His page last saw offset 3: it is answered from there (offsets 4 to 9: while he was away).
    assert replay_from(MAIN_ROOM, "e1", 3, s.participants["b"].entered) == 3


def test_a_snapshot_of_newer_code_without_an_entry_keeps_none() -> None:
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0).apply(s)
    assert restore(snapshot(s)).participants["b"].entered is None
    c.EnterRoom("b", MAIN_ROOM, "e1", 4).apply(s)
    assert restore(snapshot(s)).participants["b"].entered == (MAIN_ROOM, "e1", 4)
