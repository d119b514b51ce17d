"""Rooms indexed by connection (server/membership.py): the same operations on python-socketio's
own manager and on Tandem's leave both in the same state, Tandem's index always says exactly
which rooms each connection is in, and its pending connects and disconnects (kept as ordered
sets) answer as the library's lists do."""

from __future__ import annotations

import random
from typing import Any

import pytest
import socketio

from server.fanout import FanoutManager, TandemSocketServer
from server.membership import IndexedRooms, Pending

NAMESPACES = ("/", "/other")


def _state(m: socketio.AsyncManager) -> dict[str, Any]:
    return {
        "rooms": {ns: {room: dict(members) for room, members in rooms.items()}
                  for ns, rooms in m.rooms.items()},
        "callbacks": dict(m.callbacks),
        "pending_connect": {ns: list(s) for ns, s in m.pending_connect.items()},
        "pending_disconnect": {ns: list(s) for ns, s in m.pending_disconnect.items()},
    }


def _walked(m: IndexedRooms) -> dict[str, dict[str, set[Any]]]:
    """Each connection's rooms, found the library's way: by walking every room."""
    out: dict[str, dict[str, set[Any]]] = {}
    for ns, rooms in m.rooms.items():
        for room, members in rooms.items():
            for sid in members:
                out.setdefault(ns, {}).setdefault(sid, set()).add(room)
    return out


def _in_order(rooms_by_namespace: dict[str, Any]) -> dict[str, dict[Any, list[Any]]]:
    """Each room's (member, value) pairs in the room's order: the library's rooms (values:
    Engine.IO sids) and the fan-out's targets beside them (here an Engine.IO sid each) alike."""
    return {ns: {room: list(members.items()) for room, members in rooms.items()}
            for ns, rooms in rooms_by_namespace.items()}


def _run(seed: int, steps: int = 600) -> None:
    rng = random.Random(seed)
    library, ours = socketio.AsyncManager(), IndexedRooms()
    managers = (library, ours)
    connected: dict[str, list[str]] = {ns: [] for ns in NAMESPACES}
    serial = 0
    for _ in range(steps):
        ns = rng.choice(NAMESPACES)
        sids = connected[ns]
        op = rng.random()
        if op < 0.25 or not sids:  # a connection, as pre_connect makes it
            serial += 1
            sid, eio_sid = f"s{serial}", f"e{serial}"
            for m in managers:
                m.basic_enter_room(sid, ns, None, eio_sid=eio_sid)
                m.basic_enter_room(sid, ns, sid, eio_sid=eio_sid)
                # the rest of the library's pre_connect, as it is written there
                if ns not in m.pending_connect:
                    m.pending_connect[ns] = []
                m.pending_connect[ns].append(sid)
            sids.append(sid)
            continue
        sid = rng.choice(sids)
        room = f"r{rng.randrange(6)}"
        if op < 0.45:
            for m in managers:
                m.basic_enter_room(sid, ns, room)
        elif op < 0.55:
            for m in managers:
                m.basic_leave_room(sid, ns, room)
        elif op < 0.6:
            for m in managers:
                m.basic_close_room(room, ns)
        elif op < 0.65:
            for m in managers:
                m.callbacks[sid] = {1: print}
        elif op < 0.7:  # out of every room but its own, done the library's way on its side
            for name in library.get_rooms(sid, ns):
                if name != sid:
                    library.basic_leave_room(sid, ns, name)
            ours.leave_rooms(sid, ns, own=False)
        elif op < 0.75:  # its connect handler accepted it (the library's own, synchronous)
            if library.is_pre_connected(sid, ns):
                for m in managers:
                    socketio.base_manager.BaseManager.connect(m, sid, ns)
        elif op < 0.8:  # a disconnect begins (the library's servers check this first)
            if library.is_connected(sid, ns):
                for m in managers:
                    m.pre_disconnect(sid, ns)
        else:
            for m in managers:
                m.basic_disconnect(sid, ns)
            sids.remove(sid)
        assert _state(ours) == _state(library)
        assert ours.rooms_of == _walked(ours)
        assert _in_order(ours.targets) == _in_order(ours.rooms)
        assert all(isinstance(p, Pending) for p in (*ours.pending_connect.values(),
                                                    *ours.pending_disconnect.values()))
        for ns_ in NAMESPACES:
            for s in connected[ns_]:
                assert sorted(map(str, ours.get_rooms(s, ns_))) == sorted(
                    map(str, library.get_rooms(s, ns_)))
                assert ours.is_connected(s, ns_) == library.is_connected(s, ns_)
                assert ours.is_pre_connected(s, ns_) == library.is_pre_connected(s, ns_)
    for ns, sids in connected.items():  # everyone leaves: nothing is left behind
        for sid in list(sids):
            for m in managers:
                m.basic_disconnect(sid, ns)
    assert _state(ours) == _state(library)
    assert ours.rooms_of == {}
    assert ours.targets == {}


@pytest.mark.parametrize("seed", range(8))
def test_the_same_operations_leave_the_library_and_the_index_alike(seed: int) -> None:
    _run(seed)


def test_a_refused_entry_is_not_indexed() -> None:
    m = IndexedRooms()
    m.basic_enter_room("a", "/", None, eio_sid="e1")
    with pytest.raises(Exception):  # noqa: B017 - bidict's ValueDuplicationError
        m.basic_enter_room("b", "/", None, eio_sid="e1")  # that Engine.IO socket is taken
    assert m.rooms_of == {"/": {"a": {None}}}
    assert m.targets == {"/": {None: {"a": "e1"}}}


async def test_the_servers_manager_indexes_what_connecting_and_disconnecting_do() -> None:
    sio = TandemSocketServer(send_buffer_bytes=1 << 16)
    m = sio.manager
    assert isinstance(m, FanoutManager)
    sid = await m.connect("eio-1", "/")
    await m.enter_room(sid, "/", "session")
    assert m.rooms_of == {"/": {sid: {None, sid, "session"}}}
    # No websocket of its own here (no outbox): its sends go through Engine.IO's socket.
    assert m.targets == {"/": {None: {sid: "eio-1"}, sid: {sid: "eio-1"},
                               "session": {sid: "eio-1"}}}
    m.pre_disconnect(sid, "/")  # out of every room at once, its own too
    assert m.rooms_of == {"/": {sid: {None}}}
    assert not m.is_connected(sid, "/")
    await m.disconnect(sid, "/")
    assert m.rooms_of == {}
    assert m.targets == {}
    assert _state(m) == {"rooms": {}, "callbacks": {}, "pending_connect": {},
                         "pending_disconnect": {}}
