"""Mentors keeping a session safe: the waiting room, mutes, removals, the lock, revoked links."""

from __future__ import annotations

import pytest

from rooms.attendance import RecordKind
from rooms.commands import Join, SetMedia
from rooms.errors import (
    InvalidPayload,
    LinkRevoked,
    MediaLocked,
    NotAllowed,
    SessionLocked,
    UnknownParticipant,
)
from rooms.events import (
    Admitted,
    Declined,
    Moderated,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantRemoved,
    SessionEnded,
    SessionLockChanged,
    WaitingChanged,
)
from rooms.lifecycles import Presence
from rooms.moderation import (
    Admit,
    Decline,
    EndForEveryone,
    Moderate,
    RevokeLink,
    SetLocked,
    StopWaiting,
)
from rooms.recorder import writes_for
from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan, WaitingRoom
from rooms.session import Session
from rooms.snapshot import restore, snapshot
from rooms.views import JoinView, WaitingView
from tests.rooms.helpers import run

ROSTER = (RosterEntry("p-ana", "Ana", Role.MENTEE), RosterEntry("p-mo", "Mo", Role.MENTOR))


def make(waiting: WaitingRoom = WaitingRoom.ROLE_LINKS) -> Session:
    return Session.create(session_id="s1", title="Check-in", max_participants=6, now=0.0,
                          plan=SessionPlan(roster=ROSTER, waiting_room=waiting))


def join(s: Session, pid: str, *, role: Role = Role.MENTEE, link: str | None = None,
         resume: str | None = None, at: float = 1.0, gen: int = 0,
         audio: bool = True) -> JoinView | WaitingView:
    return Join(connection_id=f"c-{pid}-{at}", role=role, name=link or f"Person {pid}",
                new_participant_id=pid, audio=audio, video=True, at=at,
                resume_participant_id=resume, link_name=link,
                link_generation=gen).apply(s).value


def mentor(s: Session) -> str:
    view = join(s, "m", role=Role.MENTOR)
    assert isinstance(view, JoinView)
    return "m"


def test_role_link_joiners_wait_and_roster_people_go_straight_in() -> None:
    s = make()
    mentor(s)
    waiting = join(s, "x")
    assert isinstance(waiting, WaitingView) and waiting.waiter.id == "x"
    assert "x" not in s.participants
    assert isinstance(join(s, "a", link="Ana"), JoinView)  # Ana's personal link


def test_waiting_room_everyone_and_off() -> None:
    s = make(WaitingRoom.EVERYONE)
    assert isinstance(join(s, "m", role=Role.MENTOR), JoinView)  # mentors never wait
    assert isinstance(join(s, "a", link="Ana"), WaitingView)
    s = make(WaitingRoom.OFF)
    assert isinstance(join(s, "x"), JoinView)


def test_admitting_lets_the_waiter_in_on_their_own_connection() -> None:
    s = make()
    m = mentor(s)
    join(s, "x", at=2.0)
    events = run(s, Admit(m, "c-m-1.0", "x", 3.0))
    admitted = next(e for e in events if isinstance(e, Admitted))
    assert admitted.connection_id == "c-x-2.0" and admitted.view.participant.id == "x"
    assert any(isinstance(e, ParticipantJoined) for e in events)
    assert s.participants["x"].connection_id == "c-x-2.0" and not s.waiting
    assert [e.waiting for e in events if isinstance(e, WaitingChanged)] == [()]
    record = next(e for e in events if isinstance(e, Moderated))
    assert (record.action, record.actor_id, record.target_id) == ("admit", "m", "x")


def test_declining_and_leaving_the_waiting_room() -> None:
    s = make()
    m = mentor(s)
    join(s, "x", at=2.0)
    join(s, "y", at=2.0)
    events = run(s, Decline(m, "c-m-1.0", "x", 3.0))
    declined = next(e for e in events if isinstance(e, Declined))
    assert (declined.connection_id, declined.reason) == ("c-x-2.0", "declined")
    assert list(s.waiting) == ["y"]
    assert run(s, StopWaiting("y", "another connection", 4.0)) == []
    assert len(run(s, StopWaiting("y", "c-y-2.0", 4.0))) == 1 and not s.waiting
    with pytest.raises(UnknownParticipant):
        run(s, Admit(m, "c-m-1.0", "y", 5.0))


def test_only_mentors_and_admins_moderate() -> None:
    s = make(WaitingRoom.OFF)
    mentor(s)
    join(s, "a")
    join(s, "b")
    with pytest.raises(NotAllowed):
        run(s, Moderate("a", "c-a-1.0", "b", "mute", False, 2.0))
    with pytest.raises(NotAllowed):
        run(s, SetLocked("a", "c-a-1.0", True, 2.0))
    join(s, "m2", role=Role.MENTOR)
    with pytest.raises(NotAllowed):  # a mentor does not moderate another mentor
        run(s, Moderate("m", "c-m-1.0", "m2", "remove", False, 2.0))
    join(s, "admin", role=Role.ADMIN)
    run(s, Moderate("admin", "c-admin-1.0", "m2", "mute", False, 2.0))  # an admin does
    with pytest.raises(InvalidPayload):
        run(s, Moderate("m", "c-m-1.0", "m", "mute", False, 2.0))


def test_a_locked_mute_holds_until_allowed_even_across_a_reconnect() -> None:
    s = make(WaitingRoom.OFF)
    m = mentor(s)
    join(s, "a")
    events = run(s, Moderate(m, "c-m-1.0", "a", "mute", True, 2.0))
    record = next(e for e in events if isinstance(e, Moderated))
    assert record.locked and record.target_connection_id == "c-a-1.0"
    assert not s.participants["a"].audio and s.participants["a"].audio_locked
    with pytest.raises(MediaLocked):
        run(s, SetMedia("a", "c-a-1.0", True, True, 3.0))
    join(s, "new", resume="a", at=4.0, audio=True)  # back on a new connection, asking for audio
    assert not s.participants["a"].audio
    run(s, Moderate(m, "c-m-1.0", "a", "allow", False, 5.0))
    run(s, SetMedia("a", "c-new-4.0", True, True, 6.0))
    assert s.participants["a"].audio


def test_an_unlocked_mute_can_be_undone_by_the_person() -> None:
    s = make(WaitingRoom.OFF)
    m = mentor(s)
    join(s, "a")
    run(s, Moderate(m, "c-m-1.0", "a", "stop_camera", False, 2.0))
    assert not s.participants["a"].video and not s.participants["a"].video_locked
    run(s, SetMedia("a", "c-a-1.0", True, True, 3.0))
    assert s.participants["a"].video


def test_removed_people_leave_and_wait_however_they_come_back() -> None:
    s = make(WaitingRoom.OFF)
    m = mentor(s)
    join(s, "a", link="Ana")
    events = run(s, Moderate(m, "c-m-1.0", "a", "remove", False, 2.0))
    left = next(e for e in events if isinstance(e, ParticipantLeft))
    assert left.reason == "removed"
    removed = next(e for e in events if isinstance(e, ParticipantRemoved))
    assert removed.connection_id == "c-a-1.0"
    assert s.participants["a"].presence is Presence.LEFT
    # with their resume credential, or with their personal link on a new device: they wait
    back = join(s, "a2", resume="a", link="Ana", at=3.0)
    assert isinstance(back, WaitingView) and back.waiter.removed_before
    fresh = join(s, "a3", link="Ana", at=3.5)
    assert isinstance(fresh, WaitingView)
    # admitted: they are the same participant again, and no longer removed
    run(s, Admit(m, "c-m-1.0", "a2", 4.0))
    assert s.participants["a"].connected and not s.removed


def test_the_lock_refuses_newcomers_but_not_people_coming_back() -> None:
    s = make(WaitingRoom.OFF)
    m = mentor(s)
    join(s, "a")
    events = run(s, SetLocked(m, "c-m-1.0", True, 2.0))
    assert [type(e) for e in events] == [SessionLockChanged, Moderated]
    assert s.view().locked
    with pytest.raises(SessionLocked):
        join(s, "b", at=3.0)
    assert isinstance(join(s, "a-again", resume="a", at=3.0), JoinView)
    assert isinstance(join(s, "m2", role=Role.MENTOR, at=3.0), JoinView)
    run(s, SetLocked(m, "c-m-1.0", False, 4.0))
    assert isinstance(join(s, "b", at=5.0), JoinView)


def test_ending_for_everyone_turns_away_the_waiting_room_too() -> None:
    s = make()
    m = mentor(s)
    join(s, "x", at=2.0)
    join(s, "a", link="Ana", at=2.0)
    with pytest.raises(NotAllowed):
        run(s, EndForEveryone("a", "c-a-2.0", 3.0))
    events = run(s, EndForEveryone(m, "c-m-1.0", 3.0))
    assert [type(e) for e in events] == [Moderated, Declined, SessionEnded]
    assert not s.waiting


def test_revoked_links_are_refused_and_a_newer_one_works() -> None:
    s = make(WaitingRoom.OFF)
    assert RevokeLink("person:p-ana").apply(s).value == 1
    with pytest.raises(LinkRevoked):
        join(s, "a", link="Ana")
    assert isinstance(join(s, "a", link="Ana", gen=1), JoinView)
    RevokeLink("role:mentee").apply(s)
    with pytest.raises(LinkRevoked):
        join(s, "b")
    with pytest.raises(UnknownParticipant):
        RevokeLink("person:nobody").apply(s)


def test_moderation_is_recorded_with_who_did_it() -> None:
    s = make(WaitingRoom.OFF)
    m = mentor(s)
    join(s, "a", link="Ana")
    events = run(s, Moderate(m, "c-m-1.0", "a", "mute", True, 2.0))
    (record,) = writes_for(next(e for e in events if isinstance(e, Moderated))).records
    assert record.kind is RecordKind.MODERATION
    assert (record.participant_id, record.person_id, record.text, record.value) == (
        "a", "p-ana", "mute by m", 1)


def test_moderation_state_survives_a_snapshot() -> None:
    s = make()
    m = mentor(s)
    join(s, "a", link="Ana")
    join(s, "x", at=2.0)
    run(s, Moderate(m, "c-m-1.0", "a", "mute", True, 2.0))
    run(s, SetLocked(m, "c-m-1.0", True, 2.0))
    RevokeLink("role:observer").apply(s)
    run(s, Moderate(m, "c-m-1.0", "a", "remove", False, 3.0))
    back = restore(snapshot(s))
    assert back.locked and back.removed == s.removed and back.waiting == s.waiting
    assert back.link_generations == {"role:observer": 1}
    assert back.participants["a"].audio_locked
    assert back.plan.waiting_room is WaitingRoom.ROLE_LINKS
