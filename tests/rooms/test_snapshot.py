"""A session snapshotted and restored at any moment behaves exactly as the original from then on.

Hypothesis drives random sequences of commands (joins, drops, chat, breakout rounds and their
timer, hands, ratings, boards, the end...), many of them refused, takes snapshots at random points
through the same bytes the store writes, and checks that:
- a session restored from a snapshot answers every later command as the original did: the same
  value and events, or the same refusal;
- a session restored from a snapshot and given only the commands that succeeded after it (what
  the journal keeps) ends exactly where the original ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms import breakout_commands as b
from rooms import commands as c
from rooms.breakout import Group
from rooms.errors import TandemError
from rooms.roles import Role
from rooms.roster import RosterEntry, Schedule, SessionPlan, WaitingRoom
from rooms.session import Session
from rooms.snapshot import SNAPSHOT_VERSION, SnapshotError, command_data, command_from, restore
from server.store.codec import decode_session, encode_command, encode_session

T0 = 1_800_000_000.0
ROLES = {"m": Role.MENTOR, "a": Role.MENTEE, "b": Role.MENTEE, "c": Role.MENTEE,
         "o": Role.OBSERVER}
NAMES = {"m": "Ana", "a": "Ben", "b": "Cleo", "c": "Dev", "o": "Olu"}


def new_session() -> Session:
    plan = SessionPlan(programme="cohort", schedule=Schedule(T0, T0 + 3600), keep_chat=False,
                       roster=(RosterEntry("ana-1", "Ana", Role.MENTOR),
                               RosterEntry("ben-2", "Ben", Role.MENTEE)),
                       waiting_room=WaitingRoom.ROLE_LINKS)
    s = Session.create(session_id="s1", title="Group", max_participants=5, now=T0, plan=plan)
    s.set_groups((Group("Pair 1", ("Ana", "Ben")), Group("Pair 2", ("Cleo",))))
    return s


@dataclass
class Script:
    """Draws commands that fit the session as it is, often enough to succeed."""

    data: st.DataObject
    now: float = T0
    joins: int = 0
    step: int = 0
    used: list[str] = field(default_factory=list)

    def draw(self, s: Session) -> c.Command[object]:
        self.step += 1
        self.now += self.data.draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 30.0, 61.0, 400.0]))
        kind = self.data.draw(st.sampled_from(KINDS))
        return kind(self, s)

    def who(self, s: Session) -> tuple[str, str]:
        """A participant and a connection: theirs, or a stale one."""
        pid = self.data.draw(st.sampled_from([*ROLES, *self.used]))
        p = s.participants.get(pid)
        conn = p.connection_id if p is not None and p.connection_id else f"{pid}-old"
        if self.data.draw(st.integers(0, 9)) == 0:
            conn = f"{pid}-stale"
        return pid, conn

    def room(self, s: Session) -> str:
        rooms = ["main", "9:b9"]
        if s.breakouts is not None:
            rooms += list(s.breakouts.rooms)
        return self.data.draw(st.sampled_from(rooms))


def join(x: Script, s: Session) -> c.Command[object]:
    pid = x.data.draw(st.sampled_from(list(ROLES)))
    x.joins += 1
    fresh = x.data.draw(st.integers(0, 9)) == 0
    new_id = f"n{x.joins}" if fresh else pid
    if fresh:
        x.used.append(new_id)
    link = NAMES[pid] if x.data.draw(st.booleans()) else None
    return c.Join(f"{pid}-{x.joins}", ROLES[pid], NAMES[pid], new_id,
                  x.data.draw(st.booleans()), x.data.draw(st.booleans()), x.now,
                  None if fresh else pid, link, False, x.data.draw(st.integers(0, 1)))


def leave(x: Script, s: Session) -> c.Command[object]:
    return c.Leave(*x.who(s), x.now)


def drop(x: Script, s: Session) -> c.Command[object]:
    return c.Disconnect(*x.who(s), x.now)


# A few page ids, so that some requests are sent again (applied once) across snapshots; chats,
# broadcasts and changes of the time draw from overlapping ones (a person's ids are shared).
def page_id(x: Script, ids: list[str | None]) -> str | None:
    return x.data.draw(st.sampled_from(ids))


def chat(x: Script, s: Session) -> c.Command[object]:
    return c.PostChat(*x.who(s), x.data.draw(st.sampled_from(["hi", "hello there", " "])), x.now,
                      page_id(x, [None, "p-1", "p-2", "p-3"]))


def media(x: Script, s: Session) -> c.Command[object]:
    return c.SetMedia(*x.who(s), x.data.draw(st.booleans()), x.data.draw(st.booleans()), x.now)


def create(x: Script, s: Session) -> c.Command[object]:
    pid, conn = x.who(s)
    how = x.data.draw(st.integers(0, 3))
    if how == 0:
        return b.BreakoutCreate(pid, conn, None, (), False, True, x.now)
    names = ("Garden", "Library") if how == 1 else ()
    count = None if names else x.data.draw(st.integers(1, 3))
    return b.BreakoutCreate(pid, conn, count, names, x.data.draw(st.booleans()), False, x.now)


def assign(x: Script, s: Session) -> c.Command[object]:
    pid, conn = x.who(s)
    target = x.data.draw(st.sampled_from(list(ROLES)))
    room = None if x.data.draw(st.integers(0, 4)) == 0 else x.room(s)
    return b.BreakoutAssign(pid, conn, target, room, x.now)


def shuffle(x: Script, s: Session) -> c.Command[object]:
    order = x.data.draw(st.permutations(list(s.participants)))
    return b.BreakoutAutoAssign(*x.who(s), tuple(order), x.now)


def open_(x: Script, s: Session) -> c.Command[object]:
    duration = x.data.draw(st.sampled_from([None, 60.0, 120.0, 600.0, 10.0]))
    return b.BreakoutOpen(*x.who(s), duration, x.now)


def adjust(x: Script, s: Session) -> c.Command[object]:
    return b.BreakoutAdjust(*x.who(s), x.data.draw(st.sampled_from([300.0, -60.0, -9999.0])),
                            x.now, page_id(x, [None, "p-3", "p-4"]))


def close(x: Script, s: Session) -> c.Command[object]:
    return b.BreakoutClose(*x.who(s), x.data.draw(st.sampled_from([0.0, 10.0, 99.0])), x.now)


def discard(x: Script, s: Session) -> c.Command[object]:
    return b.BreakoutDiscard(*x.who(s), x.now)


def broadcast(x: Script, s: Session) -> c.Command[object]:
    return b.BreakoutBroadcast(*x.who(s), "Five minutes left", x.now,
                               page_id(x, [None, "p-2", "p-5"]))


def visit(x: Script, s: Session) -> c.Command[object]:
    return b.BreakoutVisit(*x.who(s), x.room(s), x.now)


def choose(x: Script, s: Session) -> c.Command[object]:
    return b.BreakoutChoose(*x.who(s), x.room(s), x.now)


def help_(x: Script, s: Session) -> c.Command[object]:
    if x.data.draw(st.booleans()):
        return b.HelpRequest(*x.who(s), x.now)
    return b.HelpWithdraw(*x.who(s), x.now)


def tick(x: Script, s: Session) -> c.Command[object]:
    return b.Tick(x.now)


def hand(x: Script, s: Session) -> c.Command[object]:
    return c.RaiseHand(*x.who(s), x.data.draw(st.booleans()), x.now)


def speaking(x: Script, s: Session) -> c.Command[object]:
    return c.SetSpeaking(*x.who(s), x.data.draw(st.booleans()), x.now)


def react(x: Script, s: Session) -> c.Command[object]:
    return c.React(*x.who(s), x.data.draw(st.sampled_from(["clap", "heart"])), x.now)


def check_in(x: Script, s: Session) -> c.Command[object]:
    return c.CheckIn(*x.who(s), x.data.draw(st.sampled_from(["Plan my month", " "])), x.now,
                     x.data.draw(st.booleans()))


def rate(x: Script, s: Session) -> c.Command[object]:
    pid, conn = x.who(s)
    return c.Rate(pid, None if x.data.draw(st.booleans()) else conn,
                  x.data.draw(st.integers(0, 5)), "Useful", x.data.draw(st.booleans()), x.now,
                  x.data.draw(st.booleans()))


def board(x: Script, s: Session) -> c.Command[object]:
    return c.EditBoard(*x.who(s), x.room(s), x.data.draw(st.booleans()), x.now)


def delete_boards(x: Script, s: Session) -> c.Command[object]:
    rooms = None if x.data.draw(st.booleans()) else (x.room(s),)
    return c.DeleteBoards(rooms, x.data.draw(st.booleans()), x.now)


def show(x: Script, s: Session) -> c.Command[object]:
    room = None if x.data.draw(st.booleans()) else x.room(s)
    return c.ShowBoard(*x.who(s), room, x.now)


def screen(x: Script, s: Session) -> c.Command[object]:
    how = x.data.draw(st.integers(0, 3))
    if how == 0:
        return c.StopScreen(*x.who(s), x.data.draw(st.sampled_from(list(ROLES))), x.now)
    if how == 1:
        return c.SetScreenPolicy(*x.who(s), x.data.draw(st.booleans()), x.now)
    return c.ShareScreen(*x.who(s), x.data.draw(st.booleans()), x.now)


def server_media(x: Script, s: Session) -> c.Command[object]:
    pid = x.data.draw(st.sampled_from(list(ROLES)))
    how = x.data.draw(st.integers(0, 2))
    if how == 0:
        return c.ReportFallback(*x.who(s), pid, x.now)
    if how == 1:
        return c.MeasuredSpeaking(pid, x.data.draw(st.booleans()), x.now)
    return c.ServerMediaStopped(pid, x.now)


def groups(x: Script, s: Session) -> c.Command[object]:
    return b.SetGroups((Group("Trio", ("Cleo", "Dev", "Olu")),))


def restart(x: Script, s: Session) -> c.Command[object]:
    return c.ServerRestarted(x.now)


def end(x: Script, s: Session) -> c.Command[object]:
    return c.End("over", x.now)


def moderate(x: Script, s: Session) -> c.Command[object]:
    how = x.data.draw(st.integers(0, 7))
    waiter = x.data.draw(st.sampled_from([*s.waiting, "nobody"]))
    if how == 0:
        return c.Admit(*x.who(s), waiter, x.now)
    if how == 1:
        return c.Decline(*x.who(s), waiter, x.now)
    if how == 2:
        w = s.waiting.get(waiter)
        return c.StopWaiting(waiter, w.connection_id if w else "gone", x.now)
    if how == 3:
        return c.SetLocked(*x.who(s), x.data.draw(st.booleans()), x.now)
    if how == 4:
        return c.RevokeLink(x.data.draw(st.sampled_from(
            ["role:mentee", "role:observer", "person:ben-2", "person:nobody"])))
    if how == 5 and x.data.draw(st.integers(0, 4)) == 0:
        return c.EndForEveryone(*x.who(s), x.now)
    action = x.data.draw(st.sampled_from(["mute", "stop_camera", "stop_screen", "allow",
                                          "remove"]))
    return c.Moderate(*x.who(s), x.data.draw(st.sampled_from(list(ROLES))), action,
                      x.data.draw(st.booleans()), x.now)


# Joins, chat and the round's steps come up often; the end rarely (it stops almost everything).
KINDS = [join] * 6 + [leave, drop, chat, chat, media, create, create, assign, assign, shuffle,
                      open_, open_, adjust, close, discard, broadcast, visit, choose, help_,
                      tick, tick, hand, hand, speaking, react, check_in, rate, board, show,
                      delete_boards,
                      groups, restart, end, screen, server_media, moderate, moderate]


@dataclass(frozen=True)
class Refused:
    error: type[TandemError]
    message: str


@dataclass(frozen=True)
class Step:
    command: c.Command[object]
    result: object  # the outcome, or how it was refused


def apply(s: Session, command: c.Command[object]) -> object:
    try:
        return command.apply(s)
    except TandemError as exc:
        return Refused(type(exc), exc.message)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_restored_session_behaves_as_the_original(data: st.DataObject) -> None:
    s = new_session()
    script = Script(data)
    steps: list[Step] = []
    snapshots: list[tuple[int, bytes]] = [(0, encode_session(s))]
    for first in (c.Join("m-0", Role.MENTOR, "Ana", "m", True, True, T0, None, "Ana"),
                  c.Join("a-0", Role.MENTEE, "Ben", "a", True, False, T0, None, "Ben")):
        steps.append(Step(first, first.apply(s)))
    for _ in range(data.draw(st.integers(5, 60), label="commands")):
        command = script.draw(s)
        assert command_from(command_data(command)) == command  # commands survive storage
        steps.append(Step(command, apply(s, command)))
        if data.draw(st.integers(0, 3)) == 0:
            snapshots.append((len(steps), encode_session(s)))
    final = encode_session(s)

    for at, kept in snapshots:
        # Everything after the snapshot is answered as the original answered it.
        restored = decode_session(kept)
        for step in steps[at:]:
            assert apply(restored, step.command) == step.result, step.command
        assert encode_session(restored) == final
        # What the journal keeps (the commands that succeeded, as they are kept: a rating
        # without what it said) brings it to the same place.
        replayed = decode_session(kept)
        for step in steps[at:]:
            if not isinstance(step.result, Refused):
                stored = command_from(command_data(step.command.for_journal()))
                outcome = apply(replayed, stored)
                assert not isinstance(outcome, Refused), (step.command, outcome)
                if stored == step.command:
                    assert outcome == step.result, step.command
        assert encode_session(replayed) == final


def test_a_snapshot_of_an_unknown_version_is_refused() -> None:
    from rooms.snapshot import snapshot

    data = snapshot(new_session())
    assert data["v"] == SNAPSHOT_VERSION
    with pytest.raises(SnapshotError, match="version 99"):
        restore({**data, "v": 99})
    with pytest.raises(SnapshotError, match="damaged"):
        restore({**data, "participants": [{"id": "x"}]})


def test_a_version_5_snapshot_reads_its_chat_ids_as_sent_requests() -> None:
    from rooms.snapshot import snapshot

    s = new_session()
    c.Join("m-1", Role.MENTOR, "Ana", "m", True, True, T0, None, "Ana").apply(s)
    c.PostChat("m", "m-1", "hello", T0 + 1, "p-1").apply(s)
    data = snapshot(s)
    assert data["participants"][0]["sent"] == [("p-1", 1)]
    older = {**data, "v": 5, "participants": [
        {**{k: v for k, v in p.items() if k != "sent"}, "sent_chats": p["sent"]}
        for p in data["participants"]]}
    restored = restore(older)
    assert restored.participants["m"].sent == {"p-1": 1}
    # The message sent again is given back, not posted again.
    outcome = c.PostChat("m", "m-1", "hello", T0 + 2, "p-1").apply(restored)
    assert outcome.events == () and len(restored.chat) == 1


def test_commands_stored_before_they_carried_a_client_id_read_without_one() -> None:
    for command in (c.PostChat("m", "m-1", "hi", T0), b.BreakoutAdjust("m", "m-1", 300.0, T0),
                    b.BreakoutBroadcast("m", "m-1", "Wrap up", T0)):
        stored = command_data(command)
        assert stored[-1] is None  # the client id, the last field
        assert command_from(list(stored[:-1])) == command


def test_a_session_that_ended_is_kept_without_its_chat() -> None:
    s = new_session()
    c.Join("m-1", Role.MENTOR, "Ana", "m", True, True, T0, None, "Ana").apply(s)
    c.PostChat("m", "m-1", "something private", T0 + 1).apply(s)
    kept = decode_session(encode_session(s, with_chat=False))
    assert len(kept.chat) == 0 and kept.chat.next_id == s.chat.next_id
    assert kept.participants["m"].person_id == "ana-1"


def test_commands_encode_small() -> None:
    command = c.PostChat("0123456789abcdef", "sid-0123456789", "hello", T0)
    assert len(encode_command(command)) < 80
