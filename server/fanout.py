"""Sending to sockets: each packet encoded once, written to every recipient without a task each.

python-socketio sends a room event by starting one task per recipient, each putting the packet
on that socket's Engine.IO queue, whose own writer task then wakes up, waits on the queue with a
timer and writes one websocket frame. At tens of thousands of deliveries a second that machinery,
not the sending, is what fills the core. Here:

- a socket that opened as a websocket (the web client's first choice, and every load-test
  client's) gets an ``Outbox`` and is served by Tandem's own loop (``server.websocket``): every
  Socket.IO packet for it becomes a websocket frame once per fan-out, and the frames it is sent
  during one turn of the event loop leave in one write to its transport, in the order sent (under
  load a turn handles many events, so writes, the main cost left, grow fewer per delivery); a
  room's outboxes are kept beside it (``IndexedRooms.targets``) for sending to walk;
- any other socket (long-polling, or a websocket upgraded from polling) keeps Engine.IO's own
  handler and queue, fed without a task per recipient.

Engine.IO's own packets (open, ping, close) go out after whatever messages are waiting for the
same socket. Frames are sent uncompressed: per-message deflate is not offered, as compressing
small events costs more than it saves.

Bound: a client that does not read what it is sent has its transport's buffer (or, long-polling,
its queue) grow; past ``send_buffer_bytes`` the server drops the connection (``slow_consumer`` in
the log) rather than hold an unbounded backlog for it. The client reconnects and catches up
through ``join`` and ``replay``.

What a client sends is read here too (its packets decoded by ``server.packets``, the wire format):
a packet that is not a client's Socket.IO packet in msgpack,
or holds a map of more than ``MAP_MAX`` keys or an array of more than ``ARRAY_MAX`` items, is not
read and closes its connection (one log line); an event packet whose name is no string gets an
``invalid_payload`` acknowledgement. An Engine.IO connection that has not opened the Socket.IO
namespace ``connect_within`` seconds after it opened is closed.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

import socketio
from aiohttp import web
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from server import liveness
from server.membership import IndexedRooms
from server.metrics import Traffic
from server.packets import (
    BAD_EVENT,
    MalformedPacket,
    Packet,
    Prepared,
    packed,
    packet_sends,
    ws_frame,
)
from server.tasks import TaskSet
from server.websocket import DirectWebSocket, Flusher, Outbox

logger = logging.getLogger(__name__)

class FanoutManager(IndexedRooms):
    """Room emits encoded once and handed to every recipient in one loop, with no task each.
    With ``traffic`` set, each emit is counted with its number of recipients, once per emit
    rather than once per recipient."""

    server: TandemSocketServer
    traffic: Traffic | None = None

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        traffic = self.traffic
        if callback is not None:  # a distinct ack id per recipient: the library's own way
            if traffic is not None:  # its deliveries are counted as they are sent
                traffic.emitted(event, 0)
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                               callback=callback, to=to, **kwargs)
            return
        if namespace not in self.rooms:
            return
        if isinstance(data, tuple):
            args = list(data)
        else:
            args = [] if data is None else [data]
        self.send_event(event, args, namespace, to or room, skip_sid)

    def pre_disconnect(self, sid: str, namespace: str) -> Any:
        """A connection being closed leaves its rooms (its own included) at once, so that
        Socket.IO's disconnect packet is the last it is sent: the library keeps it in them while
        the disconnect handler runs, which waits for commits, and the room's events went on
        reaching someone already told they were disconnected (a removed participant, the room's
        chat)."""
        eio_sid = super().pre_disconnect(sid, namespace)
        self.leave_rooms(sid, namespace, own=True)
        return eio_sid

    def send_event(self, event: str, args: list[Any], namespace: str, room: Any,
                   skip_sid: Any = None) -> None:
        """``send`` an event with these arguments, encoded once here."""
        self.send(event, packet_sends(sio_packet.EVENT, namespace, [event, *args]), namespace,
                  room, skip_sid)

    def send(self, event: str, sends: Prepared, namespace: str, room: Any,
             skip_sid: Any = None) -> None:
        """Write an encoded event to the members of ``room`` (a room, a connection's own room,
        or a list of them) in this process, but ``skip_sid``."""
        of_rooms = self.targets.get(namespace)
        if of_rooms is None:
            return
        skip = () if skip_sid is None else skip_sid if isinstance(skip_sid, list) else [skip_sid]
        server = self.server
        targets: Any
        excluded: list[Any] = []
        if isinstance(room, list | tuple | set):
            targets = [self._target(eio_sid) for sid, eio_sid
                       in self.get_participants(namespace, room) if sid not in skip]
        else:  # one room, read in place: nothing below can change it while the loop runs
            in_room = of_rooms.get(room, {})
            targets = in_room.values()
            # The members not sent to, as targets: compared by identity in the loop.
            for sid in skip:
                if sid in in_room:
                    excluded.append(in_room[sid])
        if self.traffic is not None:
            self.traffic.emitted(event, len(targets) - len(excluded))
        if len(sends) != 1:
            for target in targets:
                if excluded and target in excluded:
                    continue
                if target.__class__ is Outbox:
                    for _part, frame in sends:
                        target.write(frame)
                else:  # a socket Engine.IO serves (long-polling)
                    server.send_prepared(target, sends)
            return
        frame = sends[0][1]
        flusher = server.flusher
        dirty = flusher.dirty
        # Outbox.write and Flusher.mark, inlined: this runs once per recipient of every event.
        for target in targets:
            if excluded and target in excluded:
                continue
            if target.__class__ is not Outbox:  # a socket Engine.IO serves (long-polling)
                server.send_prepared(target, sends)
                continue
            pending = target.pending
            if pending:
                pending.append(frame)
            elif target.open:
                pending.append(frame)
                dirty.append(target)
        if dirty and not flusher.scheduled:  # (a marked outbox otherwise has its turn's write)
            flusher.schedule()

    def _target(self, eio_sid: str) -> Any:
        """A member's outbox (a socket that opened as a websocket), or its Engine.IO sid."""
        outbox = self.server.outboxes.get(eio_sid)
        return eio_sid if outbox is None else outbox


# A long-polling socket's queue is measured once it holds this many packets.
QUEUE_COUNT_FROM = 32



class TandemSocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, sending through :mod:`server.fanout` (see the module's doc)."""

    def __init__(self, *, send_buffer_bytes: int, connect_within: float = 15.0,
                 node: str | None = None, **kwargs: Any) -> None:
        # Events of one connection are handled one after another, in the order they came, inside
        # its reader rather than in a task each; different connections still run concurrently.
        # So a handler must never wait for something its own connection has yet to send (a
        # server-to-client call's acknowledgement): that connection is not read meanwhile.
        super().__init__(client_manager=FanoutManager(), async_handlers=False,
                         serializer=Packet, **kwargs)
        self.send_buffer_bytes = send_buffer_bytes
        self.dropping: set[str] = set()  # long-polling sockets being dropped (_bound_queue)
        self.drops: set[asyncio.Task[None]] = set()
        self.outboxes: dict[str, Outbox] = {}
        self.draining = False  # a graceful stop: each websocket closes (``server.draining``)
        self.on_backlog: Callable[[], None] | None = None  # ``_serve``'s; the app: hurry
        # An Engine.IO connection that has not opened the Socket.IO namespace this many seconds
        # after it opened is closed (the gateway gives a Socket.IO connection as long to join).
        self.connect_within = connect_within
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._tasks = TaskSet()
        # Whether each registered handler is a coroutine function (asked once, not per event).
        self._coroutines: dict[Any, bool] = {}
        self.flusher = Flusher()
        websocket = type("ServerWebSocket", (DirectWebSocket,), {
            "outboxes": self.outboxes, "limit": send_buffer_bytes, "flusher": self.flusher,
            "sio": self})
        # Engine.IO picks its websocket class from this per-server table of its async driver.
        self.eio._async = {**self.eio._async, "websocket": websocket}
        # Engine.IO's check of ping timeouts: one sweep a second (server/liveness.py).
        self.eio._service_task = lambda: liveness.sweep(self.eio)
        if node is not None:  # with several processes, a connection's id names its process
            generate = self.eio.generate_id
            self.eio.generate_id = lambda: f"{node}.{generate()}"

    def emit_now(self, event: str, data: Any, room: str | None, to: str | None,
                 skip_sid: str | None) -> None:
        """``emit`` (no callback) to this process's connections, without its two coroutines
        and log call: encoded once and written by the fan-out, ``to`` one connection or to the
        members of ``room`` but ``skip_sid``."""
        self.manager.send_event(event, [data], "/", to or room, skip_sid)

    def encoded(self, event: str, data: Any) -> list[bytes]:
        """An event as the Engine.IO messages that carry it (for another process to send)."""
        return [packed(sio_packet.EVENT, "/", [event, data])]

    def emit_parts(self, event: str, parts: list[bytes], room: str | None, to: str | None,
                   skip_sid: str | None) -> None:
        """Send an event another process encoded (``encoded``) to this process's connections:
        ``to`` one of them, or every member of ``room`` here but ``skip_sid``."""
        sends: Prepared = [(part, ws_frame(part)) for part in parts]
        self.manager.send(event, sends, "/", to or room, skip_sid)

    @staticmethod
    def prepared(pkt: Any) -> Prepared:
        encoded = pkt.encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        # An Engine.IO message is its payload as is when binary, "4" + payload when text.
        return [(part, ws_frame(part if isinstance(part, bytes) else "4" + part))
                for part in parts]

    def send_prepared(self, eio_sid: str, sends: Prepared) -> None:
        outbox = self.outboxes.get(eio_sid)
        if outbox is not None:
            for _part, frame in sends:
                outbox.write(frame)
            return
        socket = self.eio.sockets.get(eio_sid)
        if socket is not None and not socket.closed:
            # A packet of its own: Engine.IO caches a packet's encoding, which differs between
            # long-polling (base64) and websocket (raw bytes).
            for part, _frame in sends:
                socket.queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, part))
            self._bound_queue(socket)

    def _bound_queue(self, socket: Any) -> None:
        """A long-polling client that stops polling gets the websocket's bound: past
        ``send_buffer_bytes`` waiting for it, it is dropped. Counted only once a backlog has
        formed (a client that polls takes its queue every time)."""
        queue = socket.queue
        if queue.qsize() < QUEUE_COUNT_FROM or socket.closing or socket.sid in self.dropping:
            return
        waiting = sum(len(pkt.data) if isinstance(pkt.data, bytes | str) else 0
                      for pkt in queue._queue)  # noqa: SLF001 (asyncio.Queue's own deque)
        if waiting > self.send_buffer_bytes:
            logger.warning("slow_consumer: dropping connection %s, %d bytes unsent (limit %d)",
                           socket.sid, waiting, self.send_buffer_bytes)
            self.dropping.add(socket.sid)
            task = asyncio.get_running_loop().create_task(self.drop(socket.sid))
            self.drops.add(task)  # held until done, so that it is not collected meanwhile
            task.add_done_callback(self.drops.discard)

    async def drop(self, eio_sid: str) -> None:
        """Close an Engine.IO socket at once, without waiting for its client to take what is
        queued for it (Engine.IO's own disconnect waits for that, for ever if it never polls)."""
        socket = self.eio.sockets.pop(eio_sid, None)
        try:
            if socket is not None:
                await socket.close(wait=False, abort=True)
        finally:
            self.dropping.discard(eio_sid)

    def polling_bounds(self) -> Any:
        """An aiohttp middleware: a long-polling POST announcing more than a message may hold
        (or not saying how much) is answered 413 at once and its socket closed, instead of
        Engine.IO's handling of it, which waits for ever on a client that does not poll."""
        limit = self.eio.max_http_buffer_size

        @web.middleware
        async def bound(request: web.Request, handler: Any) -> web.StreamResponse:
            if (request.method == "POST" and request.path.startswith("/socket.io/")
                    and request.query.get("transport") == "polling"
                    and (request.content_length is None or request.content_length > limit)):
                sid = request.query.get("sid")
                if sid:
                    await self.drop(sid)
                return web.json_response(
                    {"error": {"code": "payload_too_large",
                               "message": "A message can be at most 256 KiB."}}, status=413)
            response: web.StreamResponse = await handler(request)
            return response

        return bound

    async def _send_packet(self, eio_sid: str, pkt: Any) -> None:
        # Room emits are counted by FanoutManager.send; an event sent here is one of an emit
        # with an acknowledgement, sent to each recipient with an id of its own.
        traffic = self.manager.traffic
        if traffic is not None and pkt.packet_type == sio_packet.EVENT and pkt.data:
            event = pkt.data[0]
            traffic.deliveries[event] = traffic.deliveries.get(event, 0) + 1
        self.send_prepared(eio_sid, self.prepared(pkt))

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        self._deadlines[eio_sid] = asyncio.get_running_loop().call_later(
            self.connect_within, self._close_if_bare, eio_sid)
        return await super()._handle_eio_connect(eio_sid, environ)

    def _close_if_bare(self, eio_sid: str) -> None:
        self._deadlines.pop(eio_sid, None)
        if eio_sid in self.eio.sockets and self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            logger.debug("connection %s closed: it opened no Socket.IO connection in time",
                         eio_sid)
            self._tasks.spawn(self._drop(eio_sid))

    async def disconnect(self, sid: str, namespace: str | None = None,
                         ignore_queue: bool = False) -> None:
        """Close a Socket.IO connection and its Engine.IO connection with it: python-socketio
        only sends DISCONNECT, which a client that ignores it answers by keeping its socket."""
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        await super().disconnect(sid, namespace=namespace, ignore_queue=ignore_queue)
        if eio_sid is not None and (namespace or "/") == "/":
            await self._drop(eio_sid)

    async def _drop(self, eio_sid: str) -> None:
        """Close an Engine.IO connection, and its websocket at once: a client that ignores
        Engine.IO's close packet would otherwise hold it until its pings time out."""
        outbox = self.outboxes.get(eio_sid)
        await self.eio.disconnect(eio_sid)
        if outbox is not None:
            outbox.flush()
            outbox.transport.close()

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        # Engine.IO's socket is closing from now on: its outbox takes nothing more.
        outbox = self.outboxes.get(eio_sid)
        if outbox is not None:
            outbox.open = False
        deadline = self._deadlines.pop(eio_sid, None)
        if deadline is not None:
            deadline.cancel()
        await super()._handle_eio_disconnect(eio_sid, reason)

    async def close(self) -> None:
        for deadline in self._deadlines.values():
            deadline.cancel()
        self._deadlines.clear()
        await self._tasks.close()

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        """python-socketio's dispatch of an Engine.IO message, for the packets a client may send
        (``server.packets.Packet.decode`` refuses binary ones, so none is ever half received)."""
        socket = self.eio.sockets.get(eio_sid)
        if socket is None or socket.closing or socket.closed:
            return  # closed by an earlier packet that was read in the same turn
        try:
            pkt = self.packet_class(encoded_packet=data)
        except MalformedPacket as exc:
            # No acknowledgement can be addressed; the client is not one of ours.
            logger.info("connection %s closed: a packet could not be read (%s)", eio_sid, exc)
            await self.eio.disconnect(eio_sid)
            return
        kind = pkt.packet_type
        if kind == sio_packet.EVENT:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif kind == sio_packet.ACK:
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif kind == sio_packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        else:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: Any,
                            data: Any) -> None:
        if isinstance(data, list) and data and isinstance(data[0], str):
            namespace = namespace or "/"
            handler = self.handlers.get(namespace, {}).get(data[0])
            if handler is not None and (coroutine := self._coroutines.get(handler)) is None:
                coroutine = self._coroutines[handler] = inspect.iscoroutinefunction(handler)
            if handler is None or not coroutine:
                # an event without a handler of its own (the catch-all), or a plain function
                await super()._handle_event(eio_sid, namespace, id, data)
                return
            # python-socketio's own path (``_handle_event``, ``_handle_event_internal``,
            # ``_trigger_event``) for a coroutine handler, in one step.
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
            if not self.manager.is_connected(sid, namespace):
                return
            answer = await handler(sid, *data[1:])
            if id is not None:
                self.send_prepared(eio_sid, packet_sends(
                    sio_packet.ACK, namespace, list(answer) if isinstance(answer, tuple)
                    else [] if answer is None else [answer], id))
            return
        namespace = namespace or "/"
        if id is not None and self.manager.sid_from_eio_sid(eio_sid, namespace) is not None:
            await self._send_packet(eio_sid, self.packet_class(
                sio_packet.ACK, namespace=namespace, id=id, data=[BAD_EVENT]))
