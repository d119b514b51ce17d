"""The recorder turns a session's events into ledger records, with no state of its own."""

from __future__ import annotations

from rooms import breakout_commands as b
from rooms import commands as c
from rooms.attendance import MEDIA_AUDIO, MEDIA_VIDEO, Record, RecordKind
from rooms.events import Event
from rooms.recorder import writes_for
from rooms.roles import Role
from rooms.roster import RosterEntry, SessionPlan
from rooms.session import Session
from rooms.timeline import summarize

T0 = 9000.0
K = RecordKind


def records(events: list[Event]) -> list[Record]:
    out: list[Record] = []
    for event in events:
        out.extend(writes_for(event).records)
    return out


def run(s: Session, *commands: c.Command[object]) -> list[Record]:
    events: list[Event] = []
    for command in commands:
        events.extend(command.apply(s).events)
    return records(events)


def session(keep_chat: bool = False) -> Session:
    plan = SessionPlan(keep_chat=keep_chat, roster=(RosterEntry("ben-2", "Ben", Role.MENTEE),))
    return Session.create(session_id="s", title="T", max_participants=8, now=T0, plan=plan)


def kinds(rs: list[Record]) -> list[tuple[str, str, str | None, str]]:
    return [(r.kind.value, r.participant_id, r.person_id, r.room) for r in rs]


def test_a_scheduled_session_is_put_in_the_ledger() -> None:
    s = session()
    writes = writes_for(s.scheduled())
    assert writes.session is not None and writes.session.plan == s.plan
    assert writes.records == ()


def test_presence_media_and_moves_with_rooms_named_by_round() -> None:
    s = session()
    rs = run(s,
             c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0),
             c.Join("cb", Role.MENTEE, "Ben", "b", True, False, T0 + 1, None, "Ben"),
             c.SetMedia("b", "cb", False, False, T0 + 2),
             b.BreakoutCreate("m", "cm", None, ("Pair A",), False, False, T0 + 3),
             b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 4),
             b.BreakoutOpen("m", "cm", None, T0 + 5),
             c.Disconnect("b", "cb", T0 + 6),
             c.Leave("m", "cm", T0 + 7))
    assert kinds(rs) == [
        ("joined", "m", None, "main"),
        ("joined", "b", "ben-2", "main"),
        ("media", "b", "ben-2", "main"),
        ("room_named", "", None, "1:b1"),
        ("moved", "b", "ben-2", "1:b1"),
        ("dropped", "b", "ben-2", "1:b1"),
        ("left", "m", None, "main"),
    ]
    assert (rs[0].value, rs[0].text, rs[0].role) == (MEDIA_AUDIO | MEDIA_VIDEO, "Ana", Role.MENTOR)
    assert rs[1].value == MEDIA_AUDIO and rs[2].value == 0
    assert (rs[3].text, rs[3].value) == ("Pair A", 1)
    assert rs[4].text == "main"  # where they came from


def test_chat_text_is_recorded_only_when_the_session_keeps_chat() -> None:
    for keep in (False, True):
        s = session(keep_chat=keep)
        (_, chat) = run(s, c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0),
                        c.PostChat("b", "cb", "hello", T0 + 1))
        assert (chat.kind, chat.value, chat.text) == (K.CHAT, 5, "hello" if keep else None)


def test_a_broadcast_is_one_message_in_the_records() -> None:
    s = session()
    rs = run(s, c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0),
             b.BreakoutCreate("m", "cm", 2, (), False, False, T0),
             b.BreakoutOpen("m", "cm", None, T0),
             b.BreakoutBroadcast("m", "cm", "Five minutes", T0 + 1))
    assert [r.room for r in rs if r.kind is K.CHAT] == ["main"]


def test_activity_records_and_what_is_not_recorded() -> None:
    s = session()
    rs = run(s,
             c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0),
             c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0, None, "Ben"),
             c.RaiseHand("b", "cb", True, T0 + 1),
             c.SetSpeaking("b", "cb", True, T0 + 2),
             c.SetMedia("b", "cb", False, True, T0 + 3),  # muting ends speaking
             c.React("b", "cb", "heart", T0 + 4),
             c.CheckIn("b", "cb", "Plan", T0 + 5),
             c.EditBoard("b", "cb", "main", False, T0 + 6),
             c.EditBoard("b", "cb", "main", False, T0 + 6.5),  # the same burst
             c.ShowBoard("m", "cm", "main", T0 + 7),
             c.Rate("b", "cb", 4, "ok", True, T0 + 8),
             c.ServerRestarted(T0 + 9),  # the ledger's own recovery closes presence
             c.End("over", T0 + 10))
    rs = rs[2:]
    assert [(r.kind.value, r.value, r.text) for r in rs] == [
        ("hand", 1, None),
        ("speaking", 1, "client"),
        ("media", MEDIA_VIDEO, None),
        ("speaking", 0, "server"),
        ("reaction", None, "heart"),
        ("check_in", None, "Plan"),
        ("whiteboard", None, None),
        ("session_ended", None, "over"),  # the anonymous rating is kept apart, not here
    ]
    assert all(r.person_id == "ben-2" for r in rs[:-1])


def test_records_of_a_session_summarise_as_before() -> None:
    s = session()
    rs = run(s,
             c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0),
             c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0, None, "Ben"),
             b.BreakoutCreate("m", "cm", None, ("Pair A",), False, False, T0 + 60),
             b.BreakoutAssign("m", "cm", "b", "1:b1", T0 + 60),
             b.BreakoutOpen("m", "cm", None, T0 + 60),
             b.HelpRequest("b", "cb", T0 + 90),
             b.BreakoutClose("m", "cm", 0, T0 + 180),
             c.End("over", T0 + 240))
    rs = [Record(r.session_id, r.at, r.kind, r.participant_id, r.person_id, r.room, r.role,
                 r.value, r.text, seq) for seq, r in enumerate(rs, 1)]
    info = writes_for(s.scheduled()).session
    assert info is not None
    report = summarize(info, rs, now=T0 + 300)
    ben = report.person("ben-2")
    assert ben.present_seconds == 240 and ben.seconds_in("1:b1") == 120
    assert ben.help_requests == 1
    assert report.room_name("1:b1") == "Pair A"
