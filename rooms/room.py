"""Rooms of a session: the main room, and breakout rooms whose ids carry their round.

Rules of this module: a room id is unique within its session for the session's whole life. A
breakout room's id names its round (``"2:b1"`` is the first room of round 2), so everything keyed
by room (chat history, boards, cursors, help requests, attendance) starts clean in a new round and
never mixes one round's pair with the next one's.
"""

from __future__ import annotations

import re
from enum import StrEnum

from rooms.errors import InvalidPayload

MAIN_ROOM = "main"
MAIN_ROOM_NAME = "Main room"
ROOM_NAME_MAX = 60
ROOM_ID_MAX = 16
_BREAKOUT_ID = re.compile(r"([1-9][0-9]{0,5}):b([1-9][0-9]{0,2})")


def breakout_room_id(round_number: int, index: int) -> str:
    """The id of the ``index``-th room (from 1) of breakout round ``round_number``."""
    if round_number < 1 or index < 1:
        raise InvalidPayload("Breakout rounds and rooms are numbered from 1.")
    return f"{round_number}:b{index}"


def breakout_parts(room: str) -> tuple[int, int] | None:
    """A breakout room id's round and room number (``"2:b1"``: ``(2, 1)``); None for the main
    room, or an id that is not a breakout room's."""
    match = _BREAKOUT_ID.fullmatch(room)
    return (int(match.group(1)), int(match.group(2))) if match else None


class MediaRoute(StrEnum):
    """How a room's media travels: directly between browsers, or through the server."""

    P2P = "p2p"
    SERVER = "server"


# A room of this many connected people goes through the server: in a mesh each browser would
# encode its camera once per other person.
SERVER_ROUTE_FROM = 3


def media_route(connected: int, fallback: bool, captioned: bool = False,
                private: bool = False) -> MediaRoute:
    """The route of a room with ``connected`` people in it; ``fallback``: a direct connection
    between two of them failed, so the room goes through the server whatever its size;
    ``captioned``: someone there sees captions, which the server makes from the room's audio;
    ``private``: its people must not see each other's network addresses, and through the server
    each of them sees only the server's."""
    if connected >= SERVER_ROUTE_FROM or fallback or captioned or private:
        return MediaRoute.SERVER
    return MediaRoute.P2P
