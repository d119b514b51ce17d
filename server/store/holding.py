"""Looking for texts as whole values in what a store keeps of a session (its snapshot, its
journal's or its log's entries: msgpack, ``server.store.codec``): how a deletion request finds
the sessions whose kept bytes still name a person though their state no longer does.

A msgpack text is its length, then its bytes: a value's encoding found in the bytes is that
value, whole, unless it happens to lie inside something else (a longer text ending in the byte
that starts the encoding, "£ana" for "ana", or binary data). So the bytes are searched first (in
SQL, or in Python), and only those that hold an encoding are decoded, to be sure: a text found
is a string of the data equal to a value sought, never a part of other text ("ana" in "banana"
or in "ana-2026"). Bytes that do not decode count as holding it (a search errs on finding too
much: a session found is given a purging snapshot, nothing worse)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import msgpack

_packb = msgpack.Packer(use_bin_type=True).pack


@dataclass(frozen=True, slots=True)
class Holding:
    """Texts looked for as whole values, and their encodings (``needles``)."""

    values: frozenset[str]
    needles: tuple[bytes, ...]

    @classmethod
    def of(cls, texts: str | Collection[str]) -> Holding:
        values = frozenset([texts] if isinstance(texts, str) else texts)
        return cls(values, tuple(sorted(_packb(v) for v in values)))

    def in_bytes(self, data: bytes) -> bool:
        """Whether this snapshot or entry holds one of the values, whole."""
        return any(n in data for n in self.needles) and self.in_decoded(data)

    def in_decoded(self, data: bytes) -> bool:
        """As ``in_bytes``, for bytes known to hold an encoding (a row a query found by it)."""
        try:
            stack: list[Any] = [msgpack.unpackb(data, raw=False, strict_map_key=False)]
        except (ValueError, msgpack.UnpackException):
            return True
        values = self.values
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                if value in values:
                    return True
            elif isinstance(value, list | tuple):
                stack.extend(value)
            elif isinstance(value, dict):
                stack.extend(value)
                stack.extend(value.values())
        return False
