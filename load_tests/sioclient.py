"""A lean Socket.IO v5 / Engine.IO v4 client: websocket transport only, msgpack serializer.

It speaks the websocket protocol (RFC 6455) on a plain asyncio protocol and the Socket.IO wire
format directly, so that one process can hold a thousand connections and receive tens of thousands
of messages per second: frames are parsed straight out of ``data_received`` and handed to the
callback, with no per-message task, queue or future (python-socketio's AsyncClient, and even
aiohttp's websocket client, cost several times more per message). What it does, and nothing more:

- ``GET /socket.io/?EIO=4&transport=websocket`` with a websocket upgrade; the server's Engine.IO
  OPEN packet (text ``0{...}``) arrives first; PINGs (text ``2``) are answered with PONG (text
  ``3``); websocket-level pings with pongs.
- Socket.IO packets travel as binary websocket frames holding one msgpack map
  ``{"type", "nsp", "data", "id"?}`` (socket.io-msgpack-parser / python-socketio msgpack format):
  CONNECT 0 (with ``auth`` as data), DISCONNECT 1, EVENT 2, ACK 3, CONNECT_ERROR 4.
- Client frames are masked with a random key, as the RFC requires (aiohttp's C masking routine).
- ``on_raw(client, payload)``, if given, sees each binary packet first and returns True when it
  took care of it (the load generator counts its own chat events without decoding them).
- Events go to ``on_event(client, name, payload)`` (a plain function, called from
  ``data_received``, so it must be quick); acknowledgements go to the callback given to
  :meth:`emit`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msgpack

try:  # aiohttp's C masking routine (a private module: fall back to Python if it moves)
    from aiohttp._websocket.helpers import websocket_mask
except ImportError:  # pragma: no cover

    def websocket_mask(mask: bytes, data: bytearray) -> None:
        n = len(data)
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "little")
        data[:] = (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")


CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = 0, 1, 2, 3, 4
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

_packb = msgpack.packb
_unpackb = msgpack.unpackb
_getrandbits = random.getrandbits


class ConnectRefused(Exception):
    """The server answered the Socket.IO CONNECT with CONNECT_ERROR."""

    def __init__(self, data: Any):
        super().__init__(f"connect refused: {data!r}")
        self.data = data


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One masked, final websocket frame."""
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    mask = _getrandbits(32).to_bytes(4, "little")
    data = bytearray(payload)
    websocket_mask(mask, data)
    return head + mask + data


class Client(asyncio.Protocol):
    def __init__(
        self,
        url: str,
        session: Any = None,
        on_event: Callable[[Client, str, Any], None] | None = None,
        on_close: Callable[[Client], None] | None = None,
        tag: Any = None,
        on_raw: Callable[[Client, bytes], bool] | None = None,
        source: str | None = None,
    ):
        parts = urlsplit(url)
        # The local address to connect from (another loopback address is another client address
        # to the server), or the system's choice.
        self.source = source
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.on_event = on_event or (lambda c, n, d: None)
        self.on_close = on_close
        self.on_raw = on_raw
        self.tag = tag
        self.sid: str | None = None
        self.eio_sid: str | None = None
        self.closed = False
        self.close_reason: str | None = None
        self.transport: asyncio.Transport | None = None
        self._acks: dict[int, Callable[[Any], None]] = {}
        # ``call``'s answers still awaited: failed with ConnectionError when the connection
        # closes (as socket.io's own client does), rather than waiting for their timeout.
        self._calls: set[asyncio.Future[Any]] = set()
        self._next_id = 0
        self._buf = b""
        self._upgraded = False
        self._upgrade: asyncio.Future | None = None
        self._connected: asyncio.Future | None = None
        self._fragments: list[bytes] = []
        self._frag_op = 0

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.close_reason is None:
            self.close_reason = f"connection lost ({exc!r})" if exc else "connection closed"
        self._finish()

    def _finish(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fut in (self._upgrade, self._connected, *self._calls):
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionError(self.close_reason or "closed"))
        if self.on_close is not None:
            self.on_close(self)

    def data_received(self, data: bytes) -> None:
        if self._buf:
            data = self._buf + data
            self._buf = b""
        if not self._upgraded:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                self._buf = data
                return
            head, data = data[:end], data[end + 4 :]
            status = head.split(b"\r\n", 1)[0]
            if b" 101 " not in status + b" ":
                self.close_reason = f"upgrade refused: {status.decode(errors='replace')}"
                if self._upgrade is not None and not self._upgrade.done():
                    self._upgrade.set_exception(ConnectionError(self.close_reason))
                if self.transport is not None:
                    self.transport.close()
                return
            self._upgraded = True
            if self._upgrade is not None and not self._upgrade.done():
                self._upgrade.set_result(True)
        pos = 0
        n = len(data)
        while n - pos >= 2:
            b0 = data[pos]
            b1 = data[pos + 1]
            ln = b1 & 0x7F
            hdr = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln = int.from_bytes(data[pos + 2 : pos + 4], "big")
                hdr = 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln = int.from_bytes(data[pos + 2 : pos + 10], "big")
                hdr = 10
            if b1 & 0x80:  # servers must not mask; read past the key anyway
                hdr += 4
            end = pos + hdr + ln
            if end > n:
                break
            payload = data[pos + hdr : end]
            pos = end
            op = b0 & 0x0F
            if not b0 & 0x80:  # a fragment: keep until the final one
                if op != OP_CONT:
                    self._frag_op = op
                self._fragments.append(payload)
                continue
            if op == OP_CONT:
                self._fragments.append(payload)
                payload = b"".join(self._fragments)
                self._fragments = []
                op = self._frag_op
            if op == OP_BINARY:
                if self.on_raw is None or not self.on_raw(self, payload):
                    self._on_packet(_unpackb(payload))
            elif op == OP_TEXT:
                self._on_text(payload)
            elif op == OP_PING:
                self._write(OP_PONG, payload)
            elif op == OP_CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self.close_reason = f"websocket closed ({code})"
                self._write(OP_CLOSE, payload[:2])
                if self.transport is not None:
                    self.transport.close()
                self._finish()
                return
        if pos < n:
            self._buf = data[pos:]

    # ------------------------------------------------------------------ engine.io / socket.io

    def _on_text(self, payload: bytes) -> None:
        if payload == b"2":
            self._write(OP_TEXT, b"3")
        elif payload[:1] == b"0":
            try:
                self.eio_sid = json.loads(payload[1:]).get("sid")
            except ValueError:
                pass
        elif payload[:1] == b"1":
            self.close_reason = "engine.io close"
            if self.transport is not None:
                self.transport.close()

    def _on_packet(self, pkt: Any) -> None:
        if not isinstance(pkt, dict):
            return
        ptype = pkt.get("type")
        if ptype == EVENT:
            data = pkt.get("data")
            if isinstance(data, list) and data:
                self.on_event(self, data[0], data[1] if len(data) > 1 else None)
        elif ptype == ACK:
            cb = self._acks.pop(pkt.get("id"), None)  # type: ignore[arg-type]
            if cb is not None:
                data = pkt.get("data")
                cb(data[0] if isinstance(data, list) and data else data)
        elif ptype == CONNECT:
            data = pkt.get("data") or {}
            self.sid = data.get("sid") if isinstance(data, dict) else None
            if self._connected is not None and not self._connected.done():
                self._connected.set_result(True)
        elif ptype == CONNECT_ERROR:
            if self._connected is not None and not self._connected.done():
                self._connected.set_exception(ConnectRefused(pkt.get("data")))
        elif ptype == DISCONNECT:
            self.close_reason = "server disconnect"
            self.on_event(self, "__disconnect__", None)

    def _write(self, opcode: int, payload: bytes) -> None:
        t = self.transport
        if t is None or t.is_closing():
            raise ConnectionError(self.close_reason or "connection closed")
        t.write(encode_frame(opcode, payload))

    # ------------------------------------------------------------------ public API

    async def connect(self, auth: dict | None = None, timeout: float = 20.0) -> None:
        """Open the websocket and the default namespace; raises ConnectRefused, OSError or
        TimeoutError."""
        loop = asyncio.get_running_loop()
        self._upgrade = loop.create_future()
        self._connected = loop.create_future()
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(
                    lambda: self, self.host, self.port,
                    local_addr=None if self.source is None else (self.source, 0))
                key = base64.b64encode(os.urandom(16)).decode()
                req = (
                    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                    f"Host: {self.host}:{self.port}\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                )
                assert self.transport is not None
                self.transport.write(req.encode())
                await self._upgrade
                pkt: dict[str, Any] = {"type": CONNECT, "nsp": "/"}
                if auth is not None:
                    pkt["data"] = auth
                self._write(OP_BINARY, _packb(pkt))
                await self._connected
        except BaseException:
            await self.close()
            for fut in (self._upgrade, self._connected):  # nobody else awaits them now
                if fut.done() and not fut.cancelled():
                    fut.exception()
            raise

    def emit_nowait(self, event: str, data: Any, ack: Callable[[Any], None] | None = None) -> None:
        pkt: dict[str, Any] = {"type": EVENT, "nsp": "/", "data": [event, data]}
        if ack is not None:
            self._next_id += 1
            pkt["id"] = self._next_id
            self._acks[self._next_id] = ack
        self._write(OP_BINARY, _packb(pkt))

    async def emit(self, event: str, data: Any, ack: Callable[[Any], None] | None = None) -> None:
        """Send an event; ``ack`` (if given) is called with the server's acknowledgement."""
        self.emit_nowait(event, data, ack)

    async def send_raw(self, payload: bytes | str) -> None:
        """Send a raw websocket frame (the abuse scenario's malformed traffic)."""
        if isinstance(payload, str):
            self._write(OP_TEXT, payload.encode())
        else:
            self._write(OP_BINARY, payload)

    def call(self, event: str, data: Any, timeout: float = 20.0) -> asyncio.Future:
        """Emit with an acknowledgement; returns a future of the ack value."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future = loop.create_future()

        def done(value: Any) -> None:
            if not fut.done():
                fut.set_result(value)

        async def go() -> Any:
            if self.closed:
                raise ConnectionError(self.close_reason or "connection closed")
            self._calls.add(fut)
            fut.add_done_callback(self._calls.discard)
            self.emit_nowait(event, data, done)
            return await asyncio.wait_for(fut, timeout)

        return asyncio.ensure_future(go())

    def call_packet(self, data: list[Any], timeout: float = 20.0) -> asyncio.Future:
        """Emit an EVENT packet whose ``data`` is given as is (an event name and its arguments,
        or anything else a hostile client might send), with an acknowledgement id."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future = loop.create_future()
        self._next_id += 1
        self._acks[self._next_id] = lambda value: fut.done() or fut.set_result(value)
        self._write(OP_BINARY, _packb({"type": EVENT, "nsp": "/", "data": data,
                                       "id": self._next_id}))
        return asyncio.ensure_future(asyncio.wait_for(fut, timeout))

    def pending_acks(self) -> int:
        return len(self._acks)

    async def close(self) -> None:
        t = self.transport
        if t is not None and not t.is_closing():
            try:
                t.write(encode_frame(OP_CLOSE, (1000).to_bytes(2, "big")))
            except Exception:  # noqa: BLE001
                pass
            t.close()
        if self.close_reason is None:
            self.close_reason = "closed by client"
        self._finish()
