"""Which rooms each connection is in, kept beside python-socketio's rooms so that a connection
leaves its rooms in time proportional to its own rooms, not to everyone's.

python-socketio keeps ``rooms[namespace][room] = {sid: eio_sid}`` only. To find a connection's
rooms it walks every room of the namespace, and every connection has a room of its own, so each
disconnect costs time in proportion to the number of connections (the library's also copies the
namespace's rooms first), and a process whose connections all drop at once (a network blip, a
load balancer draining it) spends time in proportion to their square with its event loop held:
8.7 s for 10,000 connections here before this index, 0.048 s with it
(``python -m load_tests.disconnect_storm``).

:class:`IndexedRooms` updates ``rooms_of[namespace][sid]`` wherever a connection enters or leaves
a room (every path goes through ``basic_enter_room`` and ``basic_leave_room``) and answers
``get_rooms``, ``leave_rooms`` and ``basic_disconnect`` from it. It also keeps, beside each room,
``targets[namespace][room][sid]``: what a fan-out writes to for that member (``_target``; the
socket's own outbox, in ``server.websocket``), in the room's order, so that sending to a room's
members need not look each one up.

The library also keeps the connections that are connecting or disconnecting in a list per
namespace, which it searches (``in``, ``remove``) on every connect, disconnect and inbound event.
When every connection drops at once, all of them are disconnecting while their handlers wait for
their commits, and each search walks thousands. Here those lists are :class:`Pending` (a dict
used as an ordered set, with the list methods the library calls): each search takes the same time
whatever their number. With 8,000 connections disconnecting, ``is_connected`` took 96 us before
and takes 0.2 us now.
"""

from __future__ import annotations

from typing import Any

import socketio


class Pending(dict[str, None]):
    """The sids of one namespace that are connecting (or disconnecting), in the order they
    came, with the ``list`` methods python-socketio calls: ``append``, ``remove``, ``in``,
    ``len`` and iteration, each in constant time."""

    def append(self, sid: str) -> None:
        self[sid] = None

    def remove(self, sid: str) -> None:
        del self[sid]


class PendingByNamespace(dict[str, Pending]):
    """``pending_connect`` and ``pending_disconnect``: the library sets a namespace's entry to
    a new list (``[]``); it is kept as a :class:`Pending` with the same sids."""

    def __setitem__(self, namespace: str, sids: Any) -> None:
        super().__setitem__(namespace, sids if isinstance(sids, Pending)
                            else Pending((sid, None) for sid in sids))


class IndexedRooms(socketio.AsyncManager):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.pending_connect: dict[str, Any] = PendingByNamespace()
        self.pending_disconnect: dict[str, Any] = PendingByNamespace()
        # rooms_of[namespace][sid]: the rooms ``sid`` is in (None: connected to the namespace).
        self.rooms_of: dict[str, dict[str, set[Any]]] = {}
        # targets[namespace][room][sid]: ``_target`` of the member's Engine.IO sid.
        self.targets: dict[str, dict[Any, dict[str, Any]]] = {}

    def _target(self, eio_sid: str) -> Any:
        """What a room's sends go to for a member on ``eio_sid``."""
        return eio_sid

    def basic_enter_room(self, sid: str, namespace: str, room: Any,
                         eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # may refuse: first
        self.rooms_of.setdefault(namespace, {}).setdefault(sid, set()).add(room)
        members = self.targets.setdefault(namespace, {}).setdefault(room, {})
        if sid not in members:
            members[sid] = self._target(self.rooms[namespace][room][sid])

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)
        of_rooms = self.targets.get(namespace)
        members = None if of_rooms is None else of_rooms.get(room)
        if members is not None and members.pop(sid, None) is not None and not members:
            del of_rooms[room]  # type: ignore[union-attr]
            if not of_rooms:
                del self.targets[namespace]
        of_namespace = self.rooms_of.get(namespace)
        if of_namespace is None:
            return
        rooms = of_namespace.get(sid)
        if rooms is None:
            return
        rooms.discard(room)
        if not rooms:
            del of_namespace[sid]
            if not of_namespace:
                del self.rooms_of[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        """The named rooms ``sid`` is in (its own included), as the library's."""
        return [room for room in self._rooms(sid, namespace) if room is not None]

    def leave_rooms(self, sid: str, namespace: str, *, own: bool) -> None:
        """Take ``sid`` out of every room it is in (its own too when ``own``): nothing sent to
        those rooms reaches it any more. It stays connected to the namespace."""
        for room in self._rooms(sid, namespace):
            if room is not None and (own or room != sid):
                self.basic_leave_room(sid, namespace, room)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """The library's, with the connection's rooms taken from the index."""
        for room in self._rooms(sid, namespace):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    def _rooms(self, sid: str, namespace: str) -> list[Any]:
        """A copy of ``sid``'s rooms: leaving them changes the index."""
        return list(self.rooms_of.get(namespace, {}).get(sid, ()))
