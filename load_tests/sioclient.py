"""A lean Socket.IO v5 / Engine.IO v4 client: websocket transport only, msgpack serializer.

Speaks the wire format directly on aiohttp's websocket client, so that one process can hold a
thousand connections (python-socketio's AsyncClient costs several times more per connection and per
message). What it does, and nothing more:

- ``GET /socket.io/?EIO=4&transport=websocket``; the server's Engine.IO OPEN packet
  (text ``0{...}``) arrives first; PINGs (text ``2``) are answered with PONG (text ``3``).
- Socket.IO packets travel as binary websocket frames holding one msgpack map
  ``{"type", "nsp", "data", "id"?}`` (socket.io-msgpack-parser / python-socketio msgpack format):
  CONNECT 0 (with ``auth`` as data), DISCONNECT 1, EVENT 2, ACK 3, CONNECT_ERROR 4.
- Events go to ``on_event(client, name, payload)`` (a plain function, called on the reader
  task, so it must be quick); acknowledgements go to the callback given to :meth:`emit`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import msgpack

CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR = 0, 1, 2, 3, 4

_packb = msgpack.packb
_unpackb = msgpack.unpackb
_BINARY = aiohttp.WSMsgType.BINARY
_TEXT = aiohttp.WSMsgType.TEXT


class ConnectRefused(Exception):
    """The server answered the Socket.IO CONNECT with CONNECT_ERROR."""

    def __init__(self, data: Any):
        super().__init__(f"connect refused: {data!r}")
        self.data = data


class Client:
    __slots__ = (
        "url",
        "session",
        "ws",
        "on_event",
        "on_close",
        "sid",
        "eio_sid",
        "_acks",
        "_next_id",
        "_reader",
        "_connected",
        "closed",
        "close_reason",
        "tag",
    )

    def __init__(
        self,
        url: str,
        session: aiohttp.ClientSession,
        on_event: Callable[[Client, str, Any], None],
        on_close: Callable[[Client], None] | None = None,
        tag: Any = None,
    ):
        self.url = url.rstrip("/")
        self.session = session
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.on_event = on_event
        self.on_close = on_close
        self.sid: str | None = None
        self.eio_sid: str | None = None
        self._acks: dict[int, Callable[[Any], None]] = {}
        self._next_id = 0
        self._reader: asyncio.Task | None = None
        self._connected: asyncio.Future | None = None
        self.closed = False
        self.close_reason: str | None = None
        self.tag = tag

    async def connect(self, auth: dict | None = None, timeout: float = 20.0) -> None:
        """Open the websocket and the default namespace; raises ConnectRefused, OSError or
        TimeoutError."""
        ws_url = self.url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.session.ws_connect(
            ws_url,
            autoping=False,
            autoclose=True,
            max_msg_size=0,
            compress=0,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
        )
        loop = asyncio.get_running_loop()
        self._connected = loop.create_future()
        self._reader = loop.create_task(self._read())
        pkt: dict[str, Any] = {"type": CONNECT, "nsp": "/"}
        if auth is not None:
            pkt["data"] = auth
        await self.ws.send_bytes(_packb(pkt))
        try:
            await asyncio.wait_for(asyncio.shield(self._connected), timeout)
        except BaseException:
            await self.close()
            raise

    async def _read(self) -> None:
        ws = self.ws
        assert ws is not None
        try:
            while True:
                msg = await ws.receive()
                t = msg.type
                if t is _BINARY:
                    self._on_packet(_unpackb(msg.data))
                elif t is _TEXT:
                    data = msg.data
                    if data == "2":
                        await ws.send_str("3")
                    elif data[:1] == "0":
                        self.eio_sid = json.loads(data[1:]).get("sid")
                    elif data[:1] == "1":
                        self.close_reason = "engine.io close"
                        break
                    elif data[:1] == "4":  # a text socket.io packet: not expected with msgpack
                        self.close_reason = "unexpected text packet"
                else:
                    if self.close_reason is None:
                        code = ws.close_code
                        self.close_reason = (
                            f"websocket closed ({code})" if code is not None else str(t)
                        )
                    break
        except Exception as exc:  # noqa: BLE001 - a load client records why it died, it does not crash
            self.close_reason = f"reader error: {exc!r}"
        finally:
            self.closed = True
            fut = self._connected
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionError(self.close_reason or "closed before connect"))
            if self.on_close is not None:
                self.on_close(self)

    def _on_packet(self, pkt: dict) -> None:
        ptype = pkt.get("type")
        if ptype == EVENT:
            data = pkt.get("data")
            if isinstance(data, list) and data:
                self.on_event(self, data[0], data[1] if len(data) > 1 else None)
        elif ptype == ACK:
            cb = self._acks.pop(pkt.get("id"), None)
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

    async def emit(self, event: str, data: Any, ack: Callable[[Any], None] | None = None) -> None:
        """Send an event; ``ack`` (if given) is called with the server's acknowledgement value."""
        pkt: dict[str, Any] = {"type": EVENT, "nsp": "/", "data": [event, data]}
        if ack is not None:
            self._next_id += 1
            pkt["id"] = self._next_id
            self._acks[self._next_id] = ack
        await self.ws.send_bytes(_packb(pkt))  # type: ignore[union-attr]

    async def send_raw(self, payload: bytes | str) -> None:
        """Send a raw websocket frame (used by the abuse scenario for malformed traffic)."""
        if isinstance(payload, str):
            await self.ws.send_str(payload)  # type: ignore[union-attr]
        else:
            await self.ws.send_bytes(payload)  # type: ignore[union-attr]

    def call(self, event: str, data: Any, timeout: float = 20.0) -> asyncio.Future:
        """Emit with an acknowledgement; returns a future of the ack value."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future = loop.create_future()

        def done(value: Any) -> None:
            if not fut.done():
                fut.set_result(value)

        async def go() -> Any:
            await self.emit(event, data, done)
            return await asyncio.wait_for(fut, timeout)

        return asyncio.ensure_future(go())

    def pending_acks(self) -> int:
        return len(self._acks)

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.close()
            except Exception:  # noqa: BLE001
                pass
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            try:
                await self._reader
            except BaseException:  # noqa: BLE001
                pass
        self.closed = True
