"""Sessions whose people must not see each other's network addresses, and who may set up a
direct connection with whom (observers included) in every session."""

from __future__ import annotations

import pytest

from rooms import breakout_commands as b
from rooms import commands as c
from rooms.errors import NoDirectConnection
from rooms.events import MediaRouteChanged
from rooms.roles import Role
from rooms.room import MAIN_ROOM, MediaRoute, media_route
from rooms.roster import SessionPlan
from rooms.session import Session
from rooms.snapshot import restore, snapshot
from tests.rooms.helpers import run

T0 = 9000.0


def session(*, private: bool) -> Session:
    return Session.create(session_id="s", title="T", max_participants=8, now=T0,
                          plan=SessionPlan(private_addresses=private))


def join(s: Session, pid: str, role: Role = Role.MENTEE, at: float = T0) -> list[object]:
    publishes = role in (Role.MENTOR, Role.MENTEE, Role.ADMIN)
    return run(s, c.Join(f"c{pid}", role, pid.upper(), pid, publishes, publishes, at))


def routes(events: list[object]) -> list[tuple[str, str]]:
    return [(e.room, e.route) for e in events if isinstance(e, MediaRouteChanged)]


def test_a_private_room_goes_through_the_server_whatever_its_size() -> None:
    assert media_route(1, False, private=True) is MediaRoute.SERVER
    assert media_route(2, False, private=True) is MediaRoute.SERVER
    assert media_route(2, False) is MediaRoute.P2P


def test_a_private_pair_never_goes_peer_to_peer() -> None:
    s = session(private=True)
    # The first person in the room already goes through the server.
    assert routes(join(s, "a", Role.MENTOR)) == [(MAIN_ROOM, "server")]
    joined = c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0 + 1).apply(s)
    assert joined.value.media_route == "server" and routes(list(joined.events)) == []
    # A pair in a breakout room too, and the main room left with one person.
    b.BreakoutCreate("a", "ca", 1, (), False, False, T0 + 2).apply(s)
    b.BreakoutAssign("a", "ca", "b", "1:b1", T0 + 2).apply(s)
    run(s, b.BreakoutOpen("a", "ca", None, T0 + 3))
    assert s.media_routes() == {MAIN_ROOM: MediaRoute.SERVER, "1:b1": MediaRoute.SERVER}
    assert s.room_entered("b").media_route == "server"
    # Someone leaving changes nothing for the one who stays.
    run(s, c.Disconnect("b", "cb", T0 + 5))
    assert s.media_route(MAIN_ROOM) is MediaRoute.SERVER


def test_the_same_pair_in_an_ordinary_session_goes_peer_to_peer() -> None:
    s = session(private=False)
    join(s, "a", Role.MENTOR)
    join(s, "b")
    assert s.media_route(MAIN_ROOM) is MediaRoute.P2P


def test_signalling_in_a_private_session_is_relay_only() -> None:
    s = session(private=True)
    join(s, "a", Role.MENTOR)
    join(s, "b")
    route = s.route_signal("a", "ca", "b")
    assert route.connection_id == "cb" and route.relay_only
    ordinary = session(private=False)
    join(ordinary, "a", Role.MENTOR)
    join(ordinary, "b")
    route = ordinary.route_signal("a", "ca", "b")
    assert route.connection_id == "cb" and not route.relay_only


def test_an_observer_alone_with_a_publisher_connects_directly_but_not_with_another_observer(
) -> None:
    s = session(private=False)
    join(s, "o", Role.OBSERVER)
    join(s, "p", Role.OBSERVER)
    # Two people who send no media have nothing to connect for: no addresses are exchanged.
    for sender, target in (("o", "p"), ("p", "o")):
        with pytest.raises(NoDirectConnection) as refused:
            s.route_signal(sender, f"c{sender}", target)
        assert refused.value.code == "no_direct_connection"
    c.Leave("p", "cp", T0 + 1).apply(s)
    join(s, "m", Role.MENTOR, T0 + 2)
    # A pair of a mentor and an observer goes peer to peer: the observer receives the mentor.
    assert s.media_route(MAIN_ROOM) is MediaRoute.P2P
    assert s.route_signal("o", "co", "m").connection_id == "cm"
    assert s.route_signal("m", "cm", "o").connection_id == "co"


def test_in_a_room_through_the_server_an_observer_signals_nobody_and_nobody_signals_them(
) -> None:
    s = session(private=False)
    join(s, "a", Role.MENTOR)
    join(s, "b")
    join(s, "o", Role.OBSERVER)
    join(s, "t", Role.CAPTIONER)
    assert s.media_route(MAIN_ROOM) is MediaRoute.SERVER
    for sender, target in (("o", "a"), ("a", "o"), ("t", "b"), ("b", "t")):
        with pytest.raises(NoDirectConnection):
            s.route_signal(sender, f"c{sender}", target)
    # Two who publish may still connect directly (when the server cannot carry their media,
    # and while a pair swaps to the server).
    assert s.route_signal("a", "ca", "b").connection_id == "cb"


def test_the_setting_survives_a_snapshot_and_an_older_snapshot_reads_as_ordinary() -> None:
    s = session(private=True)
    join(s, "a", Role.MENTOR)
    data = snapshot(s)
    assert restore(data).plan.private_addresses is True
    older = {**data, "plan": {k: v for k, v in data["plan"].items()
                              if k != "private_addresses"}}
    assert restore(older).plan.private_addresses is False
