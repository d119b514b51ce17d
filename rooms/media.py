"""How media travels in each room, screen shares, and speaking measured by the server.

Rules of this module: a room's media route follows from the room alone (``rooms.room.media_route``:
how many people are connected in it, and whether a direct connection failed there); commands do
not set it, they change who is where, and ``route_changes`` tells what that did to the routes.
A screen share belongs to a room: moving, leaving or dropping ends it. While a participant's
media goes through the server, the server's measure of their speaking replaces their page's.
"""

from __future__ import annotations

from collections.abc import Mapping

from rooms.errors import NotSameRoom, ScreenBusy, UnknownParticipant
from rooms.events import (
    Event,
    MediaRouteChanged,
    ParticipantUpdated,
    ScreenPolicyChanged,
    SpeakingChanged,
)
from rooms.roles import Action, require
from rooms.room import MAIN_ROOM, MediaRoute
from rooms.session import Session
from rooms.views import ParticipantView

# A fallback to the server holds while the room has at least this many people connected.
FALLBACK_HOLDS_FROM = 2


def route_changes(s: Session, before: Mapping[str, MediaRoute], now: float) -> list[Event]:
    """The rooms whose route differs from ``before`` (a room nobody is connected in has no
    route). A fallback ends once its room has fewer than two people connected."""
    for room in [r for r in s.media_fallback if s.connected_in(r) < FALLBACK_HOLDS_FROM]:
        s.media_fallback.discard(room)
    after = s.media_routes()
    events: list[Event] = []
    for room, route in after.items():
        if before.get(room, MediaRoute.P2P) is not route:
            events.append(MediaRouteChanged(s.id, now, room, route.value))
    for room, route in before.items():
        if room not in after and route is MediaRoute.SERVER:
            events.append(MediaRouteChanged(s.id, now, room, MediaRoute.P2P.value))
    return events


def report_fallback(s: Session, participant_id: str, connection_id: str, peer_id: str,
                    now: float) -> MediaRoute:
    """A direct connection from the sender to ``peer_id`` failed: their room goes through the
    server (the route change itself is announced by ``route_changes``)."""
    p = s.connected(participant_id, connection_id, action=Action.SIGNAL)
    peer = s.participants.get(peer_id)
    if peer is None or peer_id == participant_id:
        raise UnknownParticipant("There is no such other participant in this session.")
    if not peer.connected or peer.room != p.room:
        raise NotSameRoom("That participant is not connected in your room.")
    s.media_fallback.add(p.room)
    return s.media_route(p.room)


def share_screen(s: Session, participant_id: str, connection_id: str, on: bool,
                 now: float) -> tuple[ParticipantView, list[Event]]:
    """Start or stop sharing one's screen in one's room: one sharer at a time unless a mentor
    lets several share there."""
    p = s.connected(participant_id, connection_id)
    if on:
        require(p.role, Action.SHARE_SCREEN)
    if p.screen == on:
        return p.view(), []
    if on and p.room not in s.screens_many:
        sharer = next((o for o in s.participants.values()
                       if o.screen and o.connected and o.room == p.room), None)
        if sharer is not None:
            raise ScreenBusy(f"{sharer.name} is already sharing their screen here; "
                             "ask them or the mentor first.")
    p.screen = on
    p.changed_at = now
    view = p.view()
    return view, [ParticipantUpdated(s.id, now, view)]


def stop_screen(s: Session, participant_id: str, connection_id: str, target_id: str,
                now: float) -> list[Event]:
    """A mentor stops someone's screen share."""
    s.connected(participant_id, connection_id, action=Action.MANAGE_SCREENS)
    target = s.participant(target_id)
    if not target.screen:
        return []
    target.screen = False
    target.changed_at = now
    return [ParticipantUpdated(s.id, now, target.view())]


def screen_policy(s: Session, participant_id: str, connection_id: str, many: bool,
                  now: float) -> list[Event]:
    """A mentor lets several people share at once in their room, or back to one (shares already
    on stay on); the room is told when that changes."""
    p = s.connected(participant_id, connection_id, action=Action.MANAGE_SCREENS)
    if (p.room in s.screens_many) == many:
        return []
    if many:
        s.screens_many.add(p.room)
    else:
        s.screens_many.discard(p.room)
    return [ScreenPolicyChanged(s.id, now, p.room, many)]


def rooms_replaced(s: Session) -> None:
    """A new breakout round: the earlier round's rooms are gone, and so is what was allowed
    in them."""
    s.screens_many &= {MAIN_ROOM}


def measured_speaking(s: Session, participant_id: str, speaking: bool,
                      now: float) -> list[Event]:
    """The server measured from a participant's audio packets that they started or stopped
    speaking. From now on their page's own reports are ignored (``ignores_page``)."""
    p = s.participant(participant_id)
    if not p.connected:
        return []
    p.speaking_by_server = True
    speaking = speaking and p.audio
    if p.speaking == speaking:
        return []
    p.speaking = speaking
    return [SpeakingChanged(s.id, now, p.id, p.person_id, p.room, speaking, "measured")]


def server_media_stopped(s: Session, participant_id: str, now: float) -> list[Event]:
    """A participant's media no longer goes through the server: their page measures speaking
    again (speaking the server measured ends here)."""
    p = s.participant(participant_id)
    if not p.speaking_by_server:
        return []
    p.speaking_by_server = False
    if not p.speaking or not p.connected:
        return []
    p.speaking = False
    return [SpeakingChanged(s.id, now, p.id, p.person_id, p.room, False, "measured")]


def ignores_page(s: Session, participant_id: str) -> bool:
    """Whether a page's own speaking report for this participant is ignored."""
    p = s.participants.get(participant_id)
    return p is not None and p.speaking_by_server
