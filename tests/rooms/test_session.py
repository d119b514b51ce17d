from __future__ import annotations

import pytest

from rooms.chat import HISTORY_BYTES, TEXT_MAX, ChatLog
from rooms.errors import (
    AlreadyJoined,
    IllegalTransition,
    InvalidPayload,
    NotAllowed,
    NotJoined,
    NotSameRoom,
    PayloadTooLarge,
    SessionEnded,
    SessionFull,
    UnknownParticipant,
)
from rooms.events import (
    ChatPosted,
    ConnectionReplaced,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantRejoined,
    ParticipantUpdated,
)
from rooms.events import SessionEnded as SessionEndedEvent
from rooms.lifecycles import Presence, SessionState
from rooms.participant import Waiter
from rooms.roles import Role
from rooms.roster import Schedule, SessionPlan
from rooms.session import PARTICIPANTS_KEPT_MAX, SEAT_HOLD_SECONDS, Session
from rooms.snapshot import restore, snapshot


def make_session(max_participants: int = 4) -> Session:
    return Session.create(
        session_id="s1", title="  Weekly   check-in ", goal="Plan",
        max_participants=max_participants, now=100.0,
    )


def join(s: Session, pid: str, conn: str, *, role: Role = Role.MENTEE, now: float = 110.0,
         resume: str | None = None, audio: bool = True, video: bool = True):
    view, events = s.join(connection_id=conn, role=role, name=f"Person {pid}",
                          new_participant_id=pid, audio=audio, video=video, now=now,
                          resume_participant_id=resume)
    return view.participant, events


def test_create_cleans_and_checks_fields() -> None:
    s = make_session()
    assert s.title == "Weekly check-in"
    assert s.state is SessionState.SCHEDULED
    with pytest.raises(InvalidPayload):
        Session.create(session_id="x", title="   ", max_participants=4, now=0)
    with pytest.raises(InvalidPayload):
        Session.create(session_id="x", title="t" * 201, max_participants=4, now=0)
    with pytest.raises(InvalidPayload):
        Session.create(session_id="x", title="t", max_participants=1, now=0)


def test_first_join_makes_session_live_and_announces_participant() -> None:
    s = make_session()
    view, events = join(s, "a", "c1", role=Role.MENTOR)
    assert s.state is SessionState.LIVE
    assert view.id == "a" and view.role is Role.MENTOR and view.presence is Presence.CONNECTED
    assert view.joined_at == 110.0 and view.room == "main"
    assert events == [ParticipantJoined("s1", 110.0, view)]


def test_same_connection_cannot_join_twice() -> None:
    s = make_session()
    join(s, "a", "c1")
    with pytest.raises(AlreadyJoined):
        join(s, "b", "c1")


def test_names_are_trimmed_and_bounded() -> None:
    s = make_session()
    joined, _ = s.join(connection_id="c", role=Role.MENTEE, name="  Ana   Lee ",
                       new_participant_id="a", audio=False, video=False, now=1)
    assert joined.participant.name == "Ana Lee"
    for bad in ["", "   ", "x" * 61, "bad\x00name"]:
        with pytest.raises(InvalidPayload):
            s.join(connection_id="d", role=Role.MENTEE, name=bad, new_participant_id="b",
                   audio=False, video=False, now=1)


def test_observer_never_sends_media() -> None:
    s = make_session()
    view, _ = join(s, "o", "c1", role=Role.OBSERVER, audio=True, video=True)
    assert (view.audio, view.video) == (False, False)
    with pytest.raises(NotAllowed):
        s.set_media("o", "c1", audio=True, video=False, now=120)
    # turning media off is always allowed, and a no-op announces nothing
    assert s.set_media("o", "c1", audio=False, video=False, now=120)[1] == []


def test_session_full_counts_only_people_present() -> None:
    s = make_session(max_participants=2)
    join(s, "a", "c1")
    join(s, "b", "c2")
    with pytest.raises(SessionFull):
        join(s, "c", "c3")
    s.leave("b", "c2", now=120)
    view, _ = join(s, "c", "c3", now=121)
    assert view.id == "c"


def test_dropped_participant_holds_seat_for_a_while() -> None:
    s = make_session(max_participants=2)
    join(s, "a", "c1")
    join(s, "b", "c2")
    s.disconnect("b", "c2", now=200)
    with pytest.raises(SessionFull):
        join(s, "c", "c3", now=200 + SEAT_HOLD_SECONDS - 1)
    # b can always come back within the hold
    view, events = join(s, "ignored", "c4", now=210, resume="b")
    assert view.id == "b" and isinstance(events[0], ParticipantRejoined)
    s.disconnect("b", "c4", now=220)
    view, _ = join(s, "c", "c5", now=220 + SEAT_HOLD_SECONDS)
    assert view.id == "c"


def test_disconnect_then_resume_is_the_same_participant() -> None:
    s = make_session()
    join(s, "a", "c1", role=Role.MENTOR)
    join(s, "b", "c2")
    events = s.disconnect("b", "c2", now=130)
    assert len(events) == 1 and isinstance(events[0], ParticipantLeft)
    assert events[0].reason == "disconnected"
    assert s.participants["b"].presence is Presence.DISCONNECTED
    view, events = join(s, "new-id-unused", "c3", now=140, resume="b")
    assert view.id == "b" and view.joined_at == 110.0
    assert events == [ParticipantRejoined("s1", 140, view)]
    assert s.participants["b"].reconnects == 1
    assert "new-id-unused" not in s.participants


def test_resume_while_still_connected_replaces_old_connection() -> None:
    s = make_session()
    join(s, "b", "c1")
    view, events = join(s, "x", "c2", resume="b", now=150)
    assert events == [
        ConnectionReplaced("s1", 150, "b", "c1"), ParticipantRejoined("s1", 150, view)
    ]
    # the late notice that c1 dropped must not disturb the newer connection
    assert s.disconnect("b", "c1", now=151) == []
    assert s.participants["b"].presence is Presence.CONNECTED
    assert s.participants["b"].connection_id == "c2"


def test_resume_with_other_role_joins_as_new_person() -> None:
    s = make_session()
    join(s, "a", "c1", role=Role.MENTOR)
    s.leave("a", "c1", now=120)
    view, events = join(s, "m", "c2", role=Role.MENTEE, resume="a")
    assert view.id == "m" and isinstance(events[0], ParticipantJoined)


def test_resume_of_an_id_the_session_no_longer_knows_keeps_that_id() -> None:
    # after a restart the session is restored without its participants: a person coming back
    # with a (verified) resume credential keeps their id, so their records stay one timeline
    s = make_session()
    view, events = join(s, "fresh-id", "c1", resume="from-before")
    assert view.id == "from-before" and isinstance(events[0], ParticipantJoined)
    assert "fresh-id" not in s.participants


def test_leave_then_come_back_and_leave_twice_is_refused() -> None:
    s = make_session()
    join(s, "a", "c1")
    events = s.leave("a", "c1", now=120)
    assert isinstance(events[0], ParticipantLeft) and events[0].reason == "left"
    with pytest.raises(NotJoined):
        s.leave("a", "c1", now=121)
    view, _ = join(s, "q", "c2", resume="a", now=130)
    assert view.presence is Presence.CONNECTED


def test_presence_transition_table_rejects_illegal_moves() -> None:
    s = make_session()
    join(s, "a", "c1")
    p = s.participants["a"]
    p.move_to(Presence.LEFT, 1)
    with pytest.raises(IllegalTransition) as err:
        p.move_to(Presence.DISCONNECTED, 2)
    assert "'left'" in err.value.message and "'disconnected'" in err.value.message


def test_chat_is_kept_numbered_and_bounded() -> None:
    s = make_session()
    join(s, "a", "c1")
    m1, events = s.post_chat("a", "c1", "Hello", now=120)
    m2, _ = s.post_chat("a", "c1", "Again", now=121)
    assert m1 is not None and m2 is not None
    assert (m1.id, m2.id) == (1, 2) and events == [ChatPosted("s1", 120, m1, None, False)]
    assert [m.text for m in s.room_entered("a").chat] == ["Hello", "Again"]
    with pytest.raises(InvalidPayload):
        s.post_chat("a", "c1", "   ", now=122)
    with pytest.raises(PayloadTooLarge):
        s.post_chat("a", "c1", "x" * 2001, now=122)
    with pytest.raises(NotJoined):
        s.post_chat("a", "wrong-connection", "hi", now=122)


def test_a_chat_message_sent_again_with_its_id_is_posted_once() -> None:
    s = make_session()
    join(s, "a", "c1")
    join(s, "b", "c2")
    first, events = s.post_chat("a", "c1", "Hello", now=120, client_id="p-1")
    assert first is not None and len(events) == 1
    # The page lost its connection before the acknowledgement, rejoined, and sends it again.
    s.disconnect("a", "c1", now=121)
    join(s, "a2", "c3", now=122, resume="a")
    again, events = s.post_chat("a", "c3", "Hello", now=123, client_id="p-1")
    assert again == first and events == []
    assert [m.text for m in s.chat] == ["Hello"]
    # Ids are each participant's own, and a message without one is always posted.
    other, events = s.post_chat("b", "c2", "Hi", now=124, client_id="p-1")
    assert other is not None and other.id == 2 and len(events) == 1
    s.post_chat("a", "c3", "Hello", now=125)
    assert [m.text for m in s.chat] == ["Hello", "Hi", "Hello"]


def test_chat_ids_are_remembered_for_the_last_eight_messages() -> None:
    s = make_session()
    s.chat = ChatLog(limit=3)
    join(s, "a", "c1")
    for i in range(9):
        s.post_chat("a", "c1", f"m{i}", now=120 + i, client_id=f"p-{i}")
    assert list(s.participants["a"].sent) == [f"p-{i}" for i in range(1, 9)]
    # Remembered, but gone from the history: nothing is posted, and there is no message to give.
    assert s.post_chat("a", "c1", "m2", now=130, client_id="p-2") == (None, [])
    assert s.post_chat("a", "c1", "m8", now=130, client_id="p-8")[0] == s.chat.find(9)
    # The oldest id is forgotten: its message is posted again.
    again, events = s.post_chat("a", "c1", "m0", now=131, client_id="p-0")
    assert again is not None and again.id == 10 and len(events) == 1


def test_chat_history_drops_oldest_beyond_limit() -> None:
    s = make_session()
    s.chat = ChatLog(limit=3)  # a small log to see the bound
    join(s, "a", "c1")
    for i in range(5):
        s.post_chat("a", "c1", f"m{i}", now=120 + i)
    assert [m.text for m in s.room_entered("a").chat] == ["m2", "m3", "m4"]
    assert [m.id for m in s.chat] == [3, 4, 5]


def test_chat_history_keeps_a_bounded_amount_of_text_the_oldest_going_first() -> None:
    """2,000 messages of 2,000 four-byte characters would be 16 MB in a joiner's
    acknowledgement: the log keeps at most HISTORY_BYTES of text, however few the messages."""
    s = make_session()
    join(s, "a", "c1")
    long = "\U0001f600" * TEXT_MAX  # 8,000 bytes of UTF-8
    for i in range(300):
        s.post_chat("a", "c1", f"{i}{long}"[:TEXT_MAX], now=120 + i)
    kept = s.room_entered("a").chat
    assert sum(len(m.text.encode()) for m in kept) <= HISTORY_BYTES
    assert len(kept) == HISTORY_BYTES // len(kept[-1].text.encode()) < 300
    assert kept[-1].text.startswith("299") and kept[0].id == 300 - len(kept) + 1
    # kept as they were after a snapshot
    assert [m.id for m in restore(snapshot(s)).chat] == [m.id for m in kept]
    s.post_chat("a", "c1", "short", now=500)  # fits in what is left
    after = s.room_entered("a").chat
    assert after[-1].text == "short" and after[:-1] == kept
    s.post_chat("a", "c1", long, now=501)  # does not: the oldest makes room for it
    after = s.room_entered("a").chat
    assert after[-1].text == long and after[0] == kept[1]
    assert sum(len(m.text.encode()) for m in after) <= HISTORY_BYTES


def test_a_session_keeps_a_bounded_number_of_people_those_kept_may_come_back() -> None:
    """Someone holding a link who joins and leaves over and over as someone new (no resume
    credential) grew the participants kept, which every join's acknowledgement lists."""
    s = make_session()
    for n in range(PARTICIPANTS_KEPT_MAX):
        pid = f"p{n}"
        join(s, pid, f"c{n}", now=110.0 + n)
        s.leave(pid, f"c{n}", now=110.5 + n)
    with pytest.raises(SessionFull):
        join(s, "one-more", "c-new", now=2000.0)
    assert len(s.participants) == PARTICIPANTS_KEPT_MAX
    participant, _ = join(s, "unused", "c-back", now=2001.0, resume="p7")  # one kept: back in
    assert participant.id == "p7"


def test_a_session_of_more_seats_than_people_kept_fills_its_seats() -> None:
    """The server may make sessions of more than 500 seats (``--max-session-size``): each keeps
    twice its seats, so every seat can be taken by someone new."""
    seats = PARTICIPANTS_KEPT_MAX + 100
    s = make_session(max_participants=seats)
    for n in range(seats):
        join(s, f"p{n}", f"c{n}", now=110.0 + n)
    assert sum(1 for p in s.participants.values() if p.connected) == seats


def test_media_state_change_is_announced_once() -> None:
    s = make_session()
    join(s, "a", "c1")
    view, events = s.set_media("a", "c1", audio=False, video=True, now=120)
    assert view.audio is False and events == [ParticipantUpdated("s1", 120, view)]
    assert s.set_media("a", "c1", audio=False, video=True, now=121)[1] == []


def test_signal_routes_only_within_room_to_connected_people() -> None:
    s = make_session()
    join(s, "a", "c1")
    join(s, "b", "c2")
    assert s.route_signal("a", "c1", "b").connection_id == "c2"
    with pytest.raises(InvalidPayload):
        s.route_signal("a", "c1", "a")
    with pytest.raises(UnknownParticipant):
        s.route_signal("a", "c1", "ghost")
    s.participants["b"].room = "breakout-1"
    with pytest.raises(NotSameRoom):
        s.route_signal("a", "c1", "b")
    s.participants["b"].room = "main"
    s.disconnect("b", "c2", now=130)
    with pytest.raises(NotSameRoom):
        s.route_signal("a", "c1", "b")
    with pytest.raises(NotJoined):
        s.route_signal("b", "c2", "a")


def test_end_closes_everyone_and_refuses_joins() -> None:
    s = make_session()
    join(s, "a", "c1")
    join(s, "b", "c2")
    s.disconnect("b", "c2", now=120)
    events = s.end("over", now=130)
    assert events == [SessionEndedEvent("s1", 130, "over", ("c1",))]
    assert s.state is SessionState.ENDED and s.ended_at == 130
    assert all(p.presence is Presence.LEFT for p in s.participants.values())
    with pytest.raises(SessionEnded):
        join(s, "c", "c3")
    with pytest.raises(SessionEnded, match="already ended"):
        s.end("again", now=131)


def test_view_lists_everyone_including_those_who_left() -> None:
    s = make_session()
    join(s, "a", "c1")
    join(s, "b", "c2")
    s.leave("b", "c2", now=120)
    view = s.view()
    assert [(p.id, p.presence) for p in view.participants] == [
        ("a", Presence.CONNECTED), ("b", Presence.LEFT)
    ]
    assert s.present_count(now=121) == 1


def test_last_used_counts_from_its_latest_use_or_its_schedule() -> None:
    s = make_session()  # created at 100
    assert s.last_used() == 100.0
    join(s, "a", "ca", now=110.0)
    assert s.last_used() == float("inf")  # someone is connected: in use now
    s.post_chat("a", "ca", "hello", 120.0)
    s.disconnect("a", "ca", 130.0)  # dropped: not connected any more
    assert s.last_used() == 130.0
    join(s, "b", "cb", now=140.0)
    s.post_chat("b", "cb", "later", 150.0)
    s.leave("b", "cb", 145.0)  # (a leave stamped before the message it follows)
    assert s.last_used() == 150.0  # the last message
    ahead = Session.create(session_id="s2", title="Ahead", max_participants=4, now=100.0,
                           plan=SessionPlan(schedule=Schedule(10_000.0, 13_600.0)))
    assert ahead.last_used() == 13_600.0  # meant to end then


def test_someone_in_the_waiting_room_keeps_a_session_in_use() -> None:
    s = make_session()
    join(s, "m", "cm", role=Role.MENTOR, now=110.0)
    s.leave("m", "cm", 120.0)
    assert s.last_used() == 120.0
    s.waiting["w"] = Waiter(id="w", name="Wai", role=Role.MENTEE, connection_id="cw", since=130.0)
    assert s.last_used() == float("inf")
