"""Socket events of media through the server, and the media plane following the session: who is
in which room, who left, whose media it measured as speaking.

The plane (``media.plane``) owns the peer connections; this adapter keeps only which socket each
participant's server media answers to, so that the plane's offers and slot maps reach them.
With several processes, every plane operation runs on the session's media owner
(``server.media.owner``), wherever the person's socket is: the operations take a ``Caller``
rather than a connection, and their answers are plain data that can cross between processes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any

from media.peers import PeerKey
from media.plane import MediaPlane, Slot
from rooms.commands import (
    MeasuredSpeaking,
    ReportFallback,
    ServerMediaStopped,
    SetScreenPolicy,
    ShareScreen,
    StopScreen,
)
from rooms.errors import InvalidPayload, NotRecorded, SessionNotFound, TandemError
from rooms.events import (
    ConnectionReplaced,
    Event,
    MediaRouteChanged,
    ParticipantLeft,
    ParticipantMoved,
    ParticipantRejoined,
    ParticipantRemoved,
    ParticipantUpdated,
    ScreenPolicyChanged,
    SessionEnded,
)
from rooms.roles import Action
from rooms.views import MemberView, ParticipantView
from server.context import Context
from server.delivery import delivering_here
from server.gateway import Connection, room_key
from server.media import wire as w
from server.media.owner import Caller, MediaOwners
from server.protocol import OK, EmptyPayload, Message, OkAck
from server.tasks import TaskSet

logger = logging.getLogger(__name__)

PUBLISH, SUBSCRIBE, ANSWER, RECEIVE, STOP = "publish", "subscribe", "answer", "receive", "stop"


def slot_wire(slot: Slot) -> w.SlotWire:
    return {"mid": slot.mid, "kind": slot.kind, "participant_id": slot.participant_id,
            "source": slot.source}


@dataclass(slots=True)
class MediaEvents:
    ctx: Context
    plane: MediaPlane = field(init=False)  # made by ``install`` with this adapter's callbacks
    # Whose server media answers to which socket (set on publish and subscribe).
    sockets: dict[PeerKey, str] = field(default_factory=dict)
    tasks: TaskSet = field(default_factory=TaskSet)
    # With several processes: where each session's plane operations run (None: here).
    owners: MediaOwners | None = None

    def register(self) -> None:
        gw, lim = self.ctx.gateway, self.ctx.settings.limits
        gw.on(w.PUBLISH, self.on_publish, lim.media_rate, lim.media_burst)
        gw.on(w.SUBSCRIBE, self.on_subscribe, lim.media_rate, lim.media_burst)
        gw.on(w.ANSWER, self.on_answer, lim.media_rate, lim.media_burst)
        gw.on(w.RECEIVE, self.on_receive, lim.other_rate, lim.other_burst)
        gw.on(w.STOP, self.on_stop, lim.other_rate, lim.other_burst)
        gw.on(w.FALLBACK, self.on_fallback, lim.other_rate, lim.other_burst)
        gw.on(w.SCREEN_SHARE, self.on_screen_share, lim.other_rate, lim.other_burst)
        gw.on(w.SCREEN_STOP, self.on_screen_stop, lim.other_rate, lim.other_burst)
        gw.on(w.SCREEN_POLICY, self.on_screen_policy, lim.other_rate, lim.other_burst)
        self.ctx.delivery.deliver_with(MediaRouteChanged, self._route_changed)
        self.ctx.delivery.deliver_with(ScreenPolicyChanged, self._screen_policy_changed)
        self.ctx.delivery.add_recorder(self.follow)
        self.ctx.delivery.on_applied(ParticipantRemoved, self._removed)

    # -- the plane's callbacks (synchronous: each send is a task of this adapter) -----------------

    def on_offer(self, key: PeerKey, sdp: str, slots: list[Slot]) -> None:
        self._send(key, w.MEDIA_OFFER({"sdp": sdp, "slots": [slot_wire(s) for s in slots]}))

    def on_slots(self, key: PeerKey, slots: list[Slot]) -> None:
        self._send(key, w.MEDIA_SLOTS({"slots": [slot_wire(s) for s in slots]}))

    def on_speaking(self, key: PeerKey, speaking: bool) -> None:
        session_id, pid = key
        self.tasks.spawn(self._measured(session_id, pid, speaking))

    def on_audio(self, key: PeerKey, pcm: bytes, at: float) -> None:
        """Decoded audio of someone listened to, for whoever hears it (``ctx.audio``)."""
        sink = self.ctx.audio.sink
        if sink is not None:
            sink(key, pcm, at)

    def on_closed(self, key: PeerKey, which: str, reason: str) -> None:
        logger.info("server media %s of participant %s in session %s closed (%s)", which,
                    key[1], key[0], reason)

    # -- events -----------------------------------------------------------------------------------

    async def on_publish(self, conn: Connection, payload: w.PublishPayload) -> w.PublishAck:
        answer = await self._plane_call(conn, PUBLISH, [payload.sdp, payload.screen_mid])
        return {"ok": True, "sdp": str(answer)}

    async def on_subscribe(self, conn: Connection,
                           payload: w.SubscribePayload) -> w.SubscribeAck:
        offer, slots = await self._plane_call(conn, SUBSCRIBE, [payload.video])
        return {"ok": True, "sdp": str(offer), "slots": list(slots)}

    async def on_answer(self, conn: Connection, payload: w.AnswerPayload) -> OkAck:
        await self._plane_call(conn, ANSWER, [payload.sdp])
        return OK

    async def on_receive(self, conn: Connection, payload: w.ReceivePayload) -> OkAck:
        await self._plane_call(conn, RECEIVE, [payload.video])
        return OK

    async def on_stop(self, conn: Connection, payload: EmptyPayload) -> OkAck:
        pid = conn.joined_id()
        await self._plane_call(conn, STOP, [])
        await self.ctx.execute(conn.session_id, ServerMediaStopped(pid, self.ctx.clock()),
                               conn.sid)
        return OK

    # -- plane operations (here, or on the session's media owner) ---------------------------------

    def _plane_call(self, conn: Connection, op: str, args: list[Any]) -> Awaitable[Any]:
        caller = Caller(conn.session_id, conn.joined_id(), conn.sid)
        if self.owners is None:
            return self.run(caller, op, args)
        return self.owners.call(caller, op, args)

    async def run(self, caller: Caller, op: str, args: list[Any]) -> Any:
        """One plane operation of ``caller``, on this process's plane; the answer is plain data
        (it may be sent back to another process)."""
        key = (caller.session_id, caller.participant_id)
        if op == PUBLISH:
            sdp, screen_mid = args
            view = await self._member(caller, Action.PUBLISH_MEDIA)
            self.sockets[key] = caller.sid
            self.plane.allow(key, _sends(view.participant))
            return await self.plane.publish(key, view.room.id, sdp, screen_mid)
        if op == SUBSCRIBE:
            (video,) = args
            room = (await self._member(caller, None)).room.id
            self.sockets[key] = caller.sid
            offer, slots = await self.plane.subscribe(key, room, video)
            return [offer, [slot_wire(s) for s in slots]]
        if op == ANSWER:
            await self.plane.answer(key, args[0])
        elif op == RECEIVE:
            self.plane.set_video(key, args[0])
        elif op == STOP:
            await self._stop(key)
        else:
            raise InvalidPayload(f"no media operation {op!r}")
        return None

    def serving(self, session_id: str) -> bool:
        """Whether this process's plane holds anyone of the session."""
        return any(key[0] == session_id for key in self.sockets)

    async def lost(self, session_id: str) -> None:
        """Another process holds the session's media now: close everyone's peers here (their
        pages reconnect to it)."""
        for key in [k for k in self.sockets if k[0] == session_id]:
            await self._stop(key)

    async def on_fallback(self, conn: Connection, payload: w.FallbackPayload) -> w.FallbackAck:
        route = await self.ctx.execute(
            conn.session_id,
            ReportFallback(conn.joined_id(), conn.sid, payload.peer, self.ctx.clock()),
            conn.sid,
        )
        return {"ok": True, "route": route}

    async def on_screen_share(self, conn: Connection, payload: w.ScreenSharePayload) -> OkAck:
        await self.ctx.execute(
            conn.session_id,
            ShareScreen(conn.joined_id(), conn.sid, payload.on, self.ctx.clock()),
            conn.sid,
        )
        return OK

    async def on_screen_stop(self, conn: Connection, payload: w.ScreenStopPayload) -> OkAck:
        await self.ctx.execute(
            conn.session_id,
            StopScreen(conn.joined_id(), conn.sid, payload.participant_id, self.ctx.clock()),
            conn.sid,
        )
        return OK

    async def on_screen_policy(self, conn: Connection,
                               payload: w.ScreenPolicyPayload) -> OkAck:
        await self.ctx.execute(
            conn.session_id,
            SetScreenPolicy(conn.joined_id(), conn.sid, payload.many, self.ctx.clock()),
            conn.sid,
        )
        return OK

    # -- delivery and following the session -------------------------------------------------------

    async def _route_changed(self, e: MediaRouteChanged, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            w.MEDIA_ROUTE({"room": e.room, "route": e.route}), room=room_key(e.session_id, e.room)
        )

    async def _screen_policy_changed(self, e: ScreenPolicyChanged, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            w.SCREEN_POLICY_CHANGED({"room": e.room, "many": e.many}),
            room=room_key(e.session_id, e.room),
        )

    async def follow(self, events: Sequence[Event]) -> None:
        """Moves change what the plane forwards to whom; leaving, a new connection of the same
        person and the session's end close their server media."""
        for e in events:
            match e:
                case ParticipantMoved():
                    key = (e.session_id, e.participant.id)
                    if key in self.sockets:
                        self.plane.allow(key, _sends(e.participant))  # (a share ends)
                        self.plane.move(key, e.participant.room)
                case ParticipantUpdated():
                    # Muted, camera or screen stopped (by themselves or a mentor): what their
                    # page may go on sending is not forwarded.
                    key = (e.session_id, e.participant.id)
                    if key in self.sockets:
                        self.plane.allow(key, _sends(e.participant))
                case ParticipantLeft() | ParticipantRejoined():
                    await self._stop((e.session_id, e.participant.id))
                case ConnectionReplaced():
                    await self._stop((e.session_id, e.participant_id))
                case SessionEnded():
                    for key in [k for k in self.sockets if k[0] == e.session_id]:
                        await self._stop(key)

    def _removed(self, e: ParticipantRemoved) -> None:
        """A removal, as soon as it is applied here (several processes; whichever process gave
        it): nothing more of the room reaches them from this process's plane, nor of them the
        room, at once rather than once the events before it are delivered here too."""
        key = (e.session_id, e.participant_id)
        self.plane.cut(key)
        self.tasks.spawn(self._stop(key))

    # -- helpers ----------------------------------------------------------------------------------

    async def _member(self, caller: Caller, action: Action | None) -> MemberView:
        """The caller as the session has them: connected, may do ``action`` (if given)."""
        pid, sid = caller.participant_id, caller.sid
        return await self.ctx.store.read(caller.session_id,
                                         lambda s: s.member(pid, sid, action=action))

    async def _stop(self, key: PeerKey) -> None:
        self.sockets.pop(key, None)
        await self.plane.stop(key)

    async def _measured(self, session_id: str, pid: str, speaking: bool) -> None:
        try:
            await self.ctx.execute(session_id, MeasuredSpeaking(pid, speaking, self.ctx.clock()))
        except (SessionNotFound, NotRecorded) as exc:
            logger.warning("speaking of %s in session %s not kept: %s", pid, session_id,
                           exc.code)
        except TandemError as exc:
            logger.info("speaking of %s in session %s refused: %s", pid, session_id, exc.code)

    def _send(self, key: PeerKey, message: Message) -> None:
        sid = self.sockets.get(key)
        if sid is not None:
            self.tasks.spawn(self._emit(message, sid))

    async def _emit(self, message: Message, sid: str) -> None:
        # Only this process's plane sends these, even when a delivery (a move) caused them: the
        # socket may be on another process.
        delivering_here.set(False)
        await self.ctx.gateway.emit(message, to=sid)

    async def close(self) -> None:
        await self.tasks.close()
        await self.plane.close()


def _sends(p: ParticipantView) -> frozenset[str]:
    """What of a participant's publication the session lets reach others: their microphone and
    camera while on, their screen while they share it."""
    return frozenset(what for what, on in (("audio", p.audio), ("camera", p.video),
                                           ("screen", p.screen)) if on)
