"""Tandem's Socket.IO wire format: Socket.IO packets in msgpack, and the websocket frames that carry
them (written straight to a socket's transport by ``server.fanout`` and ``server.websocket``).

What a client sends is read here: a packet that is not a client's Socket.IO packet in msgpack, or
holds a map of more than ``MAP_MAX`` keys or an array of more than ``ARRAY_MAX`` items, raises
``MalformedPacket`` (its connection is closed); an event packet whose name is no string is answered
with ``BAD_EVENT``.
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack
from socketio import packet as sio_packet
from socketio.msgpack_packet import MsgPackPacket

from rooms.errors import InvalidPayload
from server.protocol import error_ack

# A Socket.IO packet ready to send: each Engine.IO message's payload with its websocket frame.
Prepared = list[tuple[bytes | str, bytes]]

_FIN_TEXT, _FIN_BINARY = 0x81, 0x82
_LEN1, _LEN2, _LEN3 = struct.Struct("!BB"), struct.Struct("!BBH"), struct.Struct("!BBQ")


def ws_frame(payload: bytes | str) -> bytes:
    """One unmasked, unfragmented websocket frame (RFC 6455 §5.2) carrying ``payload``: binary
    for bytes (msgpack packets), text for str (Engine.IO's own packets)."""
    if isinstance(payload, str):
        data, first = payload.encode(), _FIN_TEXT
    else:
        data, first = bytes(payload), _FIN_BINARY
    n = len(data)
    if n < 126:
        header = _LEN1.pack(first, n)
    elif n < 65536:
        header = _LEN2.pack(first, 126, n)
    else:
        header = _LEN3.pack(first, 127, n)
    return header + data


def ws_close_frame(code: int) -> bytes:
    """An unmasked websocket close frame with a status ``code`` and no reason (RFC 6455 §5.5.1)."""
    return bytes((0x88, 2)) + code.to_bytes(2, "big")


class MalformedPacket(ValueError):
    """A message that is not a Socket.IO packet in msgpack (its connection is closed)."""


# The most keys of one map, and items of one array, in a client's packet. No payload has more
# than a few dozen; without a bound, decoding a message of 20,000 keys costs the server tens of
# milliseconds before anything can refuse it (load_tests/hostile_clients.py).
MAP_MAX = 1000
ARRAY_MAX = 10_000
# What a client may send: CONNECT, DISCONNECT, EVENT, ACK (msgpack needs no binary packets).
_CLIENT_PACKETS = frozenset({sio_packet.CONNECT, sio_packet.DISCONNECT, sio_packet.EVENT,
                             sio_packet.ACK})
# An event packet's data is its name and one payload; anything else is answered with this.
BAD_EVENT = error_ack(InvalidPayload("An event is its name (a string) and one map of named "
                                      "fields; see docs/PROTOCOL.md."))


# One packer, reused for every packet sent (on the event loop's thread only).
_pack = msgpack.Packer().pack


class Packet(MsgPackPacket):  # type: ignore[misc]
    """Socket.IO packets in msgpack, encoded by one reused packer rather than a new one each.

    Decoding takes map keys of any type (the payload's parser refuses a key that is no field
    name, with an acknowledgement), and raises ``MalformedPacket`` for anything that is not a
    client's Socket.IO packet."""

    def encode(self) -> bytes:
        return _pack(self._to_dict())  # type: ignore[no-any-return]

    def decode(self, encoded_packet: Any) -> None:
        try:
            decoded = msgpack.unpackb(encoded_packet, strict_map_key=False,
                                      max_map_len=MAP_MAX, max_array_len=ARRAY_MAX)
        except Exception as exc:  # noqa: BLE001 - any undecodable input is the same refusal
            raise MalformedPacket(f"not msgpack ({type(exc).__name__})") from None
        if (not isinstance(decoded, dict) or decoded.get("type") not in _CLIENT_PACKETS
                or not isinstance(decoded.get("nsp"), str)):
            raise MalformedPacket("not a Socket.IO packet")
        self.packet_type = decoded["type"]
        self.data = decoded.get("data")
        self.id = decoded.get("id")
        self.namespace = decoded["nsp"]


def packed(kind: int, namespace: str, data: list[Any], id: Any = None) -> bytes:
    """A Socket.IO packet of this server's (``Packet``: msgpack, never binary attachments)
    encoded straight from its fields, without building the packet object."""
    fields = {"type": kind, "data": data, "nsp": namespace}
    if id is not None:
        fields["id"] = id
    payload: bytes = _pack(fields)
    return payload


def packet_sends(kind: int, namespace: str, data: list[Any], id: Any = None) -> Prepared:
    """``packed``, ready to send: what ``TandemSocketServer.prepared`` gives for the packet."""
    payload = packed(kind, namespace, data, id)
    return [(payload, ws_frame(payload))]
