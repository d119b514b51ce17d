"""Socket events of a session: joining, chat, media state, signalling and leaving, and the
delivery of presence, chat and the session's end."""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass

from media.ice import ice_servers_for
from rooms.chat import ChatMessage
from rooms.commands import (
    Disconnect,
    EnterRoom,
    ForgetSent,
    Join,
    Leave,
    PostChat,
    SetMedia,
    UnsentChat,
)
from rooms.errors import (
    AlreadyJoined,
    InvalidPayload,
    NotJoined,
    NotRecorded,
    SessionNotFound,
    TandemError,
)
from rooms.events import (
    Admitted,
    ChatPosted,
    ConnectionReplaced,
    Declined,
    ParticipantErased,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantRejoined,
    ParticipantRemoved,
    ParticipantUpdated,
    SessionEnded,
)
from rooms.moderation import StopWaiting
from rooms.roles import Action, can
from rooms.room import MAIN_ROOM
from rooms.session import Session
from rooms.views import JoinView, WaitingView
from server.context import Context
from server.gateway import Connection, managers_key, room_key, session_key
from server.history import (
    HistoryUnavailable,
    Once,
    Position,
    Said,
    position_wire,
    send_replayable,
)
from server.protocol import OK, EmptyPayload, OkAck, message_wire, participant_wire
from server.sessions.addresses import relay_only
from server.sessions.wire import (
    ADMITTED,
    CHAT,
    CHAT_MESSAGE,
    DECLINED,
    JOIN,
    LEAVE,
    MEDIA_STATE,
    PARTICIPANT_ERASED,
    PARTICIPANT_JOINED,
    PARTICIPANT_LEFT,
    PARTICIPANT_REJOINED,
    PARTICIPANT_UPDATED,
    REMOVED,
    REMOVED_MESSAGE,
    REPLACED,
    SESSION_ENDED,
    SIGNAL,
    SIGNAL_RELAYED,
    ChatAck,
    ChatPayload,
    JoinAck,
    JoinPayload,
    MediaStateAck,
    MediaStatePayload,
    SignalPayload,
    WaitingAck,
    join_ack,
    waiting_ack,
)
from server.store import Applied
from server.tokens import issue_resume_token, verify_resume_token

logger = logging.getLogger(__name__)

# After acknowledging `leave`, the server closes the connection if the client has not already.
LEAVE_CLOSE_DELAY = 1.0
# How many times joining reads their room's position and state again when they were moved
# meanwhile.
ENTER_TRIES = 3


@dataclass(slots=True)
class SessionEvents:
    ctx: Context

    def register(self) -> None:
        gw, d, lim = self.ctx.gateway, self.ctx.delivery, self.ctx.settings.limits
        gw.on(JOIN, self.on_join, lim.other_rate, lim.other_burst, needs_join=False)
        gw.on(CHAT, self.on_chat, lim.chat_rate, lim.chat_burst)
        gw.on(MEDIA_STATE, self.on_media_state, lim.other_rate, lim.other_burst)
        gw.on(SIGNAL, self.on_signal, lim.signal_rate, lim.signal_burst)
        gw.on(LEAVE, self.on_leave, lim.other_rate, lim.other_burst)
        gw.on_disconnect(self.on_disconnect)
        d.deliver_with(ParticipantJoined, self._joined)
        d.deliver_with(ParticipantRejoined, self._rejoined)
        d.deliver_with(ParticipantLeft, self._left)
        d.deliver_with(ParticipantUpdated, self._updated)
        d.deliver_with(ChatPosted, self._chat)
        d.deliver_with(ConnectionReplaced, self._replaced)
        d.deliver_with(SessionEnded, self._ended)
        d.deliver_with(Admitted, self._admitted)
        d.deliver_with(Declined, self._declined)
        d.deliver_with(ParticipantRemoved, self._removed)
        d.deliver_with(ParticipantErased, self._erased)

    # -- events -----------------------------------------------------------------------------------

    async def on_join(self, conn: Connection, payload: JoinPayload) -> JoinAck | WaitingAck:
        if conn.participant_id is not None or conn.waiting_id is not None:
            raise AlreadyJoined("This connection has already joined the session.")
        # A personal link's name is the person's: it is not replaced by a typed one.
        name = conn.claims.name if conn.claims.name is not None else payload.name
        if name is None:
            raise InvalidPayload("name: a display name is needed (1 to 60 characters).")
        ctx, session_id = self.ctx, conn.session_id
        secret = ctx.settings.secret
        now = ctx.clock()
        resume_id = (
            verify_resume_token(secret, payload.resume, session_id, now)
            if payload.resume else None
        )
        # Where their room's history is, read before the Join is applied (their room as it
        # will most likely be: the one they come back to, else the main room): whatever the
        # room said before it is in the state the join answers with, and what it says after
        # reaches them live or by replay (chat ids remove what is both).
        room = await ctx.store.read(session_id, lambda s: likely_room(s, resume_id))
        before = (room, await ctx.history.position(session_id, room))
        applied = await ctx.store.update(
            session_id,
            Join(
                connection_id=conn.sid,
                role=conn.claims.role,
                name=name,
                new_participant_id=secrets.token_hex(8),
                audio=payload.audio,
                video=payload.video,
                at=now,
                resume_participant_id=resume_id,
                link_name=conn.claims.link,
                transcript_notice=payload.transcript_notice,
                link_generation=conn.claims.generation,
            ),
        )
        view = applied.value
        if conn.sid not in ctx.gateway.connections:
            # The connection closed while the join was applied: its disconnect found it not
            # joined yet, so it is disconnected from what it joined as now (else that person
            # stayed connected, through a connection that is gone, or waiting for good).
            # (In a task of the gateway's: this handler's may be cancelled with its socket.)
            if isinstance(view, WaitingView):
                conn.waiting_id = view.waiter.id
            else:
                conn.participant_id = view.participant.id
            ctx.gateway.spawn(self._closed_while_joining(conn, applied))
            raise NotJoined("This connection closed while it joined.")
        if isinstance(view, WaitingView):
            conn.waiting_id = view.waiter.id
            logger.info("someone (%s) waits to be let in to session %s", view.waiter.role.value,
                        session_id)
            await ctx.settle(applied, conn.sid)
            return waiting_ack(view)
        ack = await self._enter(conn, view, now, before)
        await ctx.settle(applied, conn.sid)
        return ack

    async def _closed_while_joining(self, conn: Connection, applied: Applied[object]) -> None:
        try:
            await self.ctx.settle(applied, conn.sid)
        finally:
            await self.on_disconnect(conn, "closed while joining")

    async def _enter(self, conn: Connection, view: JoinView, now: float,
                     known: tuple[str, Position] | None = None) -> JoinAck:
        """Bind a connection to the participant it joined (or was let in) as. ``known`` is a
        room's history position read before ``view`` was."""
        ctx, session_id = self.ctx, conn.session_id
        pid, rejoined = view.participant.id, view.rejoined
        conn.participant_id = pid
        conn.waiting_id = None
        gw = ctx.gateway
        room, position = known if known is not None else ("", None)
        for _ in range(ENTER_TRIES):
            if view.participant.room != room:
                # Read before the state they are given, and before they enter the room: an
                # event after it reaches this connection live, or is after this position.
                room = view.participant.room
                position = await ctx.history.position(session_id, room)
                view = await ctx.store.read(session_id,
                                            lambda s: s.join_view(pid, rejoined=rejoined))
                continue
            # Moved while this was awaited? (Then they enter the room they are in now, with
            # its state, and their move's notice finds them there.)
            now_in = await ctx.store.read(session_id, lambda s: room_of(s, pid))
            if now_in == room:
                break
            view = await ctx.store.read(session_id,
                                        lambda s: s.join_view(pid, rejoined=rejoined))
        me = view.participant
        if me.room != room or position is None:  # moved again and again: as before, at least
            room, position = me.room, await ctx.history.position(session_id, me.room)
        # Where they entered the room, for ``replay`` (before their page can ask it). The
        # store out of reach just then, they join all the same: their entry is not known, and
        # ``replay`` answers ``history_gone`` (the page loads the room again).
        entry = EnterRoom(pid, room, position.epoch, position.offset)
        try:
            if await ctx.store.read(session_id, entry.changes):
                await ctx.store.update(session_id, entry)
        except NotRecorded:
            logger.warning("entry of participant %s in session %s not kept", pid, session_id)
        await gw.enter_room(conn.sid, session_key(session_id))
        await gw.enter_room(conn.sid, room_key(session_id, me.room))
        if can(me.role, Action.MANAGE_BREAKOUTS):
            await gw.enter_room(conn.sid, managers_key(session_id))
        logger.info(
            "participant %s (%s) %s session %s",
            me.id,
            me.role.value,
            "rejoined" if view.rejoined else "joined",
            session_id,
        )
        ice = [s.to_wire() for s in ice_servers_for(ctx.settings.ice, me.id, now)]
        resume = issue_resume_token(ctx.settings.secret, session_id, me.id, now)
        return join_ack(view, resume=resume, now=now, ice_servers=ice,
                        position=position_wire(room, position))

    async def on_chat(self, conn: Connection, payload: ChatPayload) -> ChatAck:
        pid = conn.joined_id()
        try:
            posted = await self.ctx.execute(
                conn.session_id,
                PostChat(pid, conn.sid, payload.text, self.ctx.clock(), payload.client_id),
                conn.sid,
            )
            if posted.again and posted.message is not None:
                # Sent again after its room's history was out of reach: the room may not have
                # received it. Under its id it is kept and sent once, whether it did or not.
                await self._send_chat(conn.session_id, posted.message)
        except NotRecorded as exc:
            if payload.client_id is not None:
                await self._not_recorded(conn.session_id, pid, payload.client_id, exc)
            raise
        if posted.message is None:  # sent again, and the first posting is no longer held
            return {"ok": True}
        return {"ok": True, "message": message_wire(posted.message)}

    async def _not_recorded(self, session_id: str, pid: str, client_id: str,
                            exc: NotRecorded) -> None:
        """What a message sent again with its page's id does after ``exc``. Its room's history
        out of reach, it is sent to its room again (``UnsentChat``: the session holds it, and
        whether the room received it is not known). Its records not kept, it is posted and
        recorded again rather than answered as posted (a message missing from the record
        matters more than one shown twice)."""
        command: UnsentChat | ForgetSent = (UnsentChat(pid, client_id)
                                            if isinstance(exc, HistoryUnavailable)
                                            else ForgetSent(pid, client_id))
        with contextlib.suppress(TandemError):
            await self.ctx.store.update(session_id, command)

    async def on_media_state(self, conn: Connection, payload: MediaStatePayload) -> MediaStateAck:
        view = await self.ctx.execute(
            conn.session_id,
            SetMedia(conn.joined_id(), conn.sid, payload.audio, payload.video, self.ctx.clock()),
            conn.sid,
        )
        return {"ok": True, "participant": participant_wire(view)}

    async def on_signal(self, conn: Connection, payload: SignalPayload) -> OkAck:
        pid = conn.joined_id()
        route = await self.ctx.store.read(
            conn.session_id, lambda s: s.route_signal(pid, conn.sid, payload.to)
        )
        out = payload.relayed(pid)
        if route.relay_only:
            out = relay_only(out)
        await self.ctx.gateway.emit(SIGNAL_RELAYED(out), to=route.connection_id)
        return OK

    async def on_leave(self, conn: Connection, payload: EmptyPayload) -> OkAck:
        pid = conn.joined_id()
        applied = await self.ctx.store.update(
            conn.session_id, Leave(pid, conn.sid, self.ctx.clock())
        )
        conn.participant_id = None
        # Nothing more of the session reaches them (their connection stays open a moment, for
        # this acknowledgement).
        self.ctx.gateway.leave_rooms(conn.sid)
        logger.info("participant %s left session %s", pid, conn.session_id)
        await self.ctx.settle(applied, conn.sid)
        self.ctx.gateway.close_later(conn.sid, LEAVE_CLOSE_DELAY)
        return OK

    async def on_disconnect(self, conn: Connection, reason: object) -> None:
        pid = conn.participant_id
        if conn.waiting_id is not None:
            with contextlib.suppress(SessionNotFound):
                await self.ctx.execute(conn.session_id, StopWaiting(
                    conn.waiting_id, conn.sid, self.ctx.clock()), conn.sid)
            return
        if pid is None:
            return
        try:
            await self.ctx.execute(
                conn.session_id, Disconnect(pid, conn.sid, self.ctx.clock()), conn.sid
            )
        except SessionNotFound:
            return
        except NotRecorded:
            logger.error(
                "the disconnect of %s from session %s was not recorded", pid, conn.session_id
            )
        logger.info(
            "participant %s disconnected from session %s (%s)", pid, conn.session_id, reason
        )

    # -- delivery ---------------------------------------------------------------------------------

    # Presence goes to the whole session, so that everyone knows who is where (a mentor's
    # overview spans every room); each client connects media only to those in its own room. The
    # actor learns of its own join, leave or rejoin from its acknowledgement, so notices skip it.

    async def _joined(self, e: ParticipantJoined, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            PARTICIPANT_JOINED({"participant": participant_wire(e.participant)}),
            room=session_key(e.session_id),
            skip_sid=self._if_self(actor_sid, e.participant.id),
        )

    async def _rejoined(self, e: ParticipantRejoined, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            PARTICIPANT_REJOINED({"participant": participant_wire(e.participant)}),
            room=session_key(e.session_id),
            skip_sid=self._if_self(actor_sid, e.participant.id),
        )

    def _if_self(self, actor_sid: str | None, participant_id: str) -> str | None:
        """The actor's connection if it is this participant's (someone joining learns of it
        from their acknowledgement); a mentor letting someone in is told like everyone else."""
        conn = self.ctx.gateway.connections.get(actor_sid or "")
        return actor_sid if conn is not None and conn.participant_id == participant_id else None

    async def _left(self, e: ParticipantLeft, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            PARTICIPANT_LEFT({"participant_id": e.participant.id, "reason": e.reason}),
            room=session_key(e.session_id),
            skip_sid=self._if_self(actor_sid, e.participant.id),
        )

    async def _updated(self, e: ParticipantUpdated, actor_sid: str | None) -> None:
        await self.ctx.gateway.emit(
            PARTICIPANT_UPDATED({"participant": participant_wire(e.participant)}),
            room=session_key(e.session_id),
        )

    async def _chat(self, e: ChatPosted, actor_sid: str | None) -> None:
        await self._send_chat(e.session_id, e.message)

    async def _send_chat(self, session_id: str, message: ChatMessage) -> None:
        """Appends the message to its room's history (replayable), then sends it; under its
        number for its sender (``Once``), so that sending it again after the history was out
        of reach neither keeps nor sends it twice."""
        await send_replayable(self.ctx.history, self.ctx.gateway, session_id, message.room,
                              CHAT_MESSAGE({"message": message_wire(message)}),
                              said=Said(message.sender_id, message.id),
                              once=Once(f"chat:{message.sender_id}", str(message.id)))

    async def _replaced(self, e: ConnectionReplaced, actor_sid: str | None) -> None:
        gw = self.ctx.gateway
        old = gw.connections.get(e.connection_id)
        if old is not None:
            old.participant_id = None
        logger.info(
            "participant %s in session %s replaced connection %s",
            e.participant_id,
            e.session_id,
            e.connection_id,
        )
        gw.leave_rooms(e.connection_id)
        await gw.emit(
            REPLACED(
                {
                    "code": "replaced",
                    "message": "You joined this session from another window or device.",
                }
            ),
            to=e.connection_id,
        )
        gw.close_later(e.connection_id, 0.0)

    async def _ended(self, e: SessionEnded, actor_sid: str | None) -> None:
        gw = self.ctx.gateway
        for sid in e.connection_ids:
            conn = gw.connections.get(sid)
            if conn is not None:
                conn.participant_id = None
            await gw.emit(SESSION_ENDED({"reason": e.reason}), to=sid)
            # a mentor who ended it still gets their acknowledgement
            gw.close_later(sid, LEAVE_CLOSE_DELAY if sid == actor_sid else 0.0)

    async def _admitted(self, e: Admitted, actor_sid: str | None) -> None:
        """Someone waiting was let in: their connection becomes the participant's, and their
        page gets what joining gives."""
        gw = self.ctx.gateway
        conn = gw.connections.get(e.connection_id)
        if conn is None:
            if gw.cluster is None or gw.cluster.is_local(e.connection_id):
                # Gone as they were let in: its disconnect found them no longer waiting (and
                # not joined on it), so they are disconnected from what they were let in as,
                # else shown connected for good. (In a task: a delivery cannot wait for
                # another command's.)
                gw.spawn(self._gone_when_admitted(e))
            return
        if conn.waiting_id != e.waiter_id:
            return  # gone meanwhile: their disconnect is on its way
        ack = await self._enter(conn, e.view, e.at)
        await gw.emit(ADMITTED(ack), to=conn.sid)

    async def _gone_when_admitted(self, e: Admitted) -> None:
        pid = e.view.participant.id
        try:
            await self.ctx.execute(e.session_id,
                                   Disconnect(pid, e.connection_id, self.ctx.clock()))
        except NotRecorded:
            logger.error("the disconnect of %s from session %s was not recorded", pid,
                         e.session_id)
        except TandemError:
            return  # the session went, or they came back on another connection meanwhile

    async def _declined(self, e: Declined, actor_sid: str | None) -> None:
        gw = self.ctx.gateway
        conn = gw.connections.get(e.connection_id)
        if conn is None or conn.waiting_id != e.waiter_id:
            return
        conn.waiting_id = None
        await gw.emit(DECLINED({"reason": e.reason}), to=conn.sid)
        gw.close_later(conn.sid, 0.0)

    async def _removed(self, e: ParticipantRemoved, actor_sid: str | None) -> None:
        gw = self.ctx.gateway
        if e.connection_id is None:
            return
        conn = gw.connections.get(e.connection_id)
        if conn is None:
            return
        conn.participant_id = None
        # Out of the session's rooms first: from the notice on, nothing of the session reaches
        # the person removed, in the moment before their connection is closed.
        gw.leave_rooms(conn.sid)
        await gw.emit(REMOVED({"code": "removed", "message": REMOVED_MESSAGE}), to=conn.sid)
        gw.close_later(conn.sid, 0.0)

    async def _erased(self, e: ParticipantErased, actor_sid: str | None) -> None:
        """A deletion request erased them: every page drops what it shows of them."""
        await self.ctx.gateway.emit(
            PARTICIPANT_ERASED({"participant_id": e.participant_id,
                                "message_ids": list(e.message_ids)}),
            room=session_key(e.session_id))


def likely_room(s: Session, returning_id: str | None) -> str:
    """The room someone joining will most likely be in: the one they come back to, else the
    main room."""
    p = s.participants.get(returning_id) if returning_id else None
    return p.room if p is not None else MAIN_ROOM


def room_of(s: Session, participant_id: str) -> str | None:
    p = s.participants.get(participant_id)
    return None if p is None else p.room
