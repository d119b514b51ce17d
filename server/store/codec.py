"""Sessions and commands as bytes (msgpack over ``rooms.snapshot``'s plain data)."""

from __future__ import annotations

from typing import Any

import msgpack

from rooms.commands import Command
from rooms.session import Session
from rooms.snapshot import SnapshotError, command_data, command_from, restore, snapshot

_packb = msgpack.Packer(use_bin_type=True).pack


def encode_session(session: Session, *, with_chat: bool = True) -> bytes:
    return _packb(snapshot(session, with_chat=with_chat))  # type: ignore[no-any-return]


def decode_session(data: bytes) -> Session:
    return restore(_unpack(data))


def encode_command(command: Command[object]) -> bytes:
    return _packb(command_data(command))  # type: ignore[no-any-return]


def decode_command(data: bytes) -> Command[object]:
    return command_from(_unpack(data))


def _unpack(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=True)
    except (ValueError, msgpack.UnpackException) as exc:
        raise SnapshotError(f"stored bytes that do not decode: {exc}") from None
