"""The websockets Tandem serves itself (``server.fanout``'s first kind of socket): each one's
:class:`Outbox`, written once per turn of the event loop by the :class:`Flusher`, and its reader
(``DirectWebSocket._serve``), which hands each message straight to Socket.IO.

Bound: a client that does not read what it is sent has its transport's buffer grow; past the
server's ``send_buffer_bytes`` the connection is dropped (``slow_consumer`` in the log).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import WSMsgType, web
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp

from server import liveness
from server.packets import ws_frame

logger = logging.getLogger(__name__)


class SocketServer(Protocol):
    """What a websocket reads of its server (``server.fanout.TandemSocketServer``)."""

    draining: bool  # a graceful stop: each websocket closes once its event is answered
    on_backlog: Callable[[], None] | None  # called when a message is read with more behind it


class Flusher:
    """Writes what was queued for each outbox once per turn of the event loop: the frames a
    socket is sent while the loop handles one batch of inbound events leave in one write."""

    def __init__(self) -> None:
        self.dirty: list[Outbox] = []
        self.scheduled = False
        # The loop's call_soon, taken once: asyncio.get_running_loop() makes a getpid() system
        # call on every call, and this runs for every socket written in a turn.
        self._call_soon: Any = None

    def mark(self, outbox: Outbox) -> None:
        self.dirty.append(outbox)
        if not self.scheduled:
            self.schedule()

    def schedule(self) -> None:
        """Write the outboxes marked dirty at the end of this turn of the loop (once a turn)."""
        self.scheduled = True
        call_soon = self._call_soon
        if call_soon is None:
            call_soon = self._call_soon = asyncio.get_running_loop().call_soon
        call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        dirty, self.dirty = self.dirty, []
        for outbox in dirty:
            outbox.flush()


@dataclass(slots=True, eq=False)
class Outbox:
    """The websocket of one Engine.IO socket, written directly. ``open`` until its socket
    starts closing (``TandemSocketServer._handle_eio_disconnect``): nothing is queued after."""

    socket: Any  # engineio.async_socket.AsyncSocket
    transport: asyncio.Transport
    limit: int
    flusher: Flusher
    pending: list[bytes] = field(default_factory=list)
    open: bool = True

    def write(self, frame: bytes) -> None:
        # (FanoutManager.send does the same for each recipient of an event, inlined.)
        if self.pending:
            self.pending.append(frame)
        elif self.open:
            self.pending.append(frame)
            self.flusher.mark(self)

    def flush(self) -> None:
        frames = self.pending
        if not frames:
            return
        self.pending = []
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(frames[0] if len(frames) == 1 else b"".join(frames))
        backlog = transport.get_write_buffer_size()
        if backlog > self.limit:
            logger.warning(
                "slow_consumer: dropping connection %s, %d bytes unsent (limit %d)",
                self.socket.sid, backlog, self.limit,
            )
            transport.abort()


class DirectWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """Engine.IO's aiohttp websocket, without compression. A socket that opens as a websocket
    gets an :class:`Outbox` and is served by :meth:`_serve`; one upgraded from polling keeps
    Engine.IO's own handler and queue, which may still hold packets sent while it polled."""

    outboxes: dict[str, Outbox]
    limit: int
    flusher: Flusher
    sio: SocketServer
    outbox: Outbox | None = None

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request: web.Request = environ["aiohttp.request"]
        self._sock = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(request)
        self.environ = environ
        socket = getattr(self.handler, "__self__", None)
        if socket is None or socket.connected or request.transport is None:
            await self.handler(self)
            return self._sock
        self.outbox = Outbox(socket, request.transport, self.limit, self.flusher)
        self.outboxes[socket.sid] = self.outbox
        try:
            await self._serve(socket, self.outbox)
        finally:
            self.outboxes.pop(socket.sid, None)
        return self._sock

    async def _serve(self, socket: Any, outbox: Outbox) -> None:
        """Engine.IO's websocket loop (``AsyncSocket._websocket_handler``) for a socket that
        opened as a websocket: each frame is read from aiohttp and handed to the socket directly,
        where Engine.IO's loop spends a task and a timer on every message."""
        server = self.server
        socket.connected = True
        socket.upgraded = True
        writer = asyncio.ensure_future(self._send_queue(socket))
        # A binary websocket message is an Engine.IO message (Engine.IO 4 gives binary frames no
        # type byte): handed straight to Socket.IO, as Engine.IO's ``receive`` would, without
        # its packet, log call and handler lookup on every message.
        on_message = server.handlers.get("message")
        sid = socket.sid
        loop = asyncio.get_running_loop()
        # A message read with another behind it in aiohttp's queue (``_size``) hurries a commit.
        received = self._sock._reader
        on_backlog = self.sio.on_backlog if hasattr(received, "_size") else None
        # No timer per message: a client that goes quiet misses its pongs and is closed by the
        # check of ping timeouts (server/liveness.py), which ends this loop.
        try:
            while True:
                msg = await self._sock.receive()
                kind = msg.type
                if kind is not WSMsgType.BINARY and kind is not WSMsgType.TEXT:
                    break  # closed, or an error such as a message over max_msg_size
                try:
                    if kind is WSMsgType.BINARY and on_message is not None:
                        if on_backlog is not None and received._size:  # type: ignore[union-attr]
                            on_backlog()
                        # Its pongs wait behind this event (and those queued after it), which
                        # may wait for a commit: the ping check leaves it alone meanwhile.
                        socket.handling = True
                        try:
                            await on_message(sid, msg.data)
                        finally:
                            socket.handling = False
                        if self.sio.draining:  # a graceful stop: closed once it is answered
                            break
                    elif msg.data == liveness.PONG:
                        liveness.pong(socket, outbox.write, loop)
                    else:
                        await socket.receive(eio_packet.Packet(encoded_packet=msg.data))
                except eio_exceptions.UnknownPacketError:
                    pass
                except eio_exceptions.SocketIsClosedError:
                    break
                except Exception:
                    logger.exception("error on a packet from %s", socket.sid)
        finally:
            socket.queue.put_nowait(None)  # ends the writer
            await asyncio.gather(writer, return_exceptions=True)
            await socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)

    async def _send_queue(self, socket: Any) -> None:
        """Engine.IO's own packets (open, first ping, noop, close) off its queue; unlike its
        ``poll``, with no timeout: pings pass here no more (server/liveness.py)."""
        queue = socket.queue
        while True:
            first = await queue.get()
            queue.task_done()
            if first is None:  # the end
                break
            packets = [first]
            while True:
                try:
                    pkt = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                queue.task_done()
                if pkt is None:  # the end, once what came before it is sent
                    queue.put_nowait(None)
                    break
                packets.append(pkt)
            try:
                for pkt in packets:
                    await self.send(pkt.encode())
            except Exception:  # noqa: BLE001 - the connection is gone; the reader ends too
                break
        await self.close()

    # Engine.IO's own packets go after the messages already queued for the socket.

    async def send(self, message: bytes | str) -> None:
        outbox = self.outbox
        if outbox is None:
            await super().send(message)
        elif outbox.socket.closing or outbox.socket.closed:  # the last packet (close)
            outbox.flush()
            await super().send(message)
        else:  # a ping: one more frame of this turn's write
            outbox.write(ws_frame(message))

    async def close(self) -> None:
        if self.outbox is not None:
            self.outbox.flush()
        await super().close()
