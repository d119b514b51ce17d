"""What a Yjs update (format v1) builds on, read without applying it: the first clock of each
client's run of structs, the items its new items are placed against (origins and parents), and
the ranges it deletes.

A CRDT document keeps an update it cannot integrate yet (a dependency is missing) as *pending*,
in memory, without a bound and outside its encoded state; ``builds_on_known`` tells beforehand
whether a document with a given state vector would integrate the whole update, so a board never
takes one that would stay pending. The reader follows Yjs' ``readClientsStructRefs``,
``readItemContent`` and ``readDeleteSet`` (lib0 encoding); it only walks the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms.errors import InvalidPayload

_GC = 0
_SKIP = 10
# Item content kinds (the low five bits of a struct's info byte).
_DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC = range(1, 10)
_XML_ELEMENT, _XML_HOOK = 3, 5  # type refs followed by a name


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise InvalidPayload("update: it ends in the middle of a value.")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uint(self) -> int:
        num, shift = 0, 0
        while True:
            b = self.byte()
            num |= (b & 0x7F) << shift
            if b < 0x80:
                return num
            shift += 7
            if shift > 63:
                raise InvalidPayload("update: a number is too long.")

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > len(self.data):
            raise InvalidPayload("update: it ends in the middle of a value.")
        self.pos += n

    def skip_string(self) -> None:
        self.skip(self.uint())

    def string_utf16_len(self) -> int:
        n = self.uint()
        start = self.pos
        self.skip(n)
        try:
            text = self.data[start:self.pos].decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidPayload("update: a string is not UTF-8.") from None
        return len(text.encode("utf-16-le")) // 2

    def skip_any(self, depth: int = 0) -> None:
        if depth > 64:
            raise InvalidPayload("update: values nest too deeply.")
        kind = self.byte()
        if kind in (127, 126, 121, 120):  # undefined, null, false, true
            return
        if kind == 125:  # signed varint: same byte structure as an unsigned one
            self.uint()
        elif kind == 124:
            self.skip(4)
        elif kind in (123, 122):
            self.skip(8)
        elif kind in (119, 116):  # string, bytes
            self.skip_string()
        elif kind == 118:  # object
            for _ in range(self.uint()):
                self.skip_string()
                self.skip_any(depth + 1)
        elif kind == 117:  # array
            for _ in range(self.uint()):
                self.skip_any(depth + 1)
        else:
            raise InvalidPayload("update: an unknown kind of value.")


@dataclass(frozen=True, slots=True)
class Needs:
    """What an update builds on. ``runs``: per client, its structs as (clock, length, skip) in
    order; ``refs``: ids (client, clock) of existing items it names; ``deletes``: ranges
    (client, clock, length) it deletes."""

    runs: dict[int, list[tuple[int, int, bool]]]
    refs: list[tuple[int, int]]
    deletes: list[tuple[int, int, int]]

    def builds_on_known(self, state: dict[int, int]) -> bool:
        """Whether a document whose state vector is ``state`` integrates all of it at once."""
        reach = dict(state)
        for client, runs in self.runs.items():
            for clock, length, skip in runs:
                if skip:
                    continue
                if clock > reach.get(client, 0):
                    return False  # a gap: the structs before this one were never sent
                reach[client] = max(reach.get(client, 0), clock + length)
        if any(clock >= reach.get(client, 0) for client, clock in self.refs):
            return False
        return all(clock + length <= reach.get(client, 0)
                   for client, clock, length in self.deletes)


def read_needs(update: bytes) -> Needs:
    """What ``update`` builds on; ``InvalidPayload`` when it is not a v1 update."""
    r = _Reader(update)
    runs: dict[int, list[tuple[int, int, bool]]] = {}
    refs: list[tuple[int, int]] = []
    for _ in range(r.uint()):
        count, client, clock = r.uint(), r.uint(), r.uint()
        run = runs.setdefault(client, [])
        for _ in range(count):
            info = r.byte()
            kind = info & 0x1F
            if kind in (_GC, _SKIP):
                length = r.uint()
                run.append((clock, length, kind == _SKIP))
                clock += length
                continue
            has_origin, has_right = info & 0x80, info & 0x40
            if has_origin:
                refs.append((r.uint(), r.uint()))
            if has_right:
                refs.append((r.uint(), r.uint()))
            if not has_origin and not has_right:
                if r.uint() == 1:
                    r.skip_string()  # a top-level type's name
                else:
                    refs.append((r.uint(), r.uint()))
                if info & 0x20:
                    r.skip_string()  # the key in a map
            length = _content(r, kind)
            run.append((clock, length, False))
            clock += length
    deletes: list[tuple[int, int, int]] = []
    for _ in range(r.uint()):
        client = r.uint()
        for _ in range(r.uint()):
            deletes.append((client, r.uint(), r.uint()))
    return Needs(runs, refs, deletes)


def _content(r: _Reader, kind: int) -> int:
    """Skip an item's content; return its length in clock ticks."""
    if kind == _DELETED:
        return r.uint()
    if kind == _JSON:
        n = r.uint()
        for _ in range(n):
            r.skip_string()
        return n
    if kind == _BINARY:
        r.skip_string()
        return 1
    if kind == _STRING:
        return r.string_utf16_len()
    if kind == _EMBED:
        r.skip_string()
        return 1
    if kind == _FORMAT:
        r.skip_string()
        r.skip_string()
        return 1
    if kind == _TYPE:
        if r.uint() in (_XML_ELEMENT, _XML_HOOK):
            r.skip_string()
        return 1
    if kind == _ANY:
        n = r.uint()
        data, pos = r.data, r.pos
        try:
            for _ in range(n):
                # Numbers are most of a board (a stroke's points): skipped here, without a call.
                k = data[pos]
                if k == 124:  # float32
                    pos += 5
                elif k == 123:  # float64
                    pos += 9
                elif k == 125:  # varint: its first byte, then one more while the high bit is set
                    pos += 2
                    while data[pos - 1] & 0x80:
                        pos += 1
                else:
                    r.pos = pos
                    r.skip_any()
                    pos = r.pos
        except IndexError:
            raise InvalidPayload("update: it ends in the middle of a value.") from None
        if pos > len(data):
            raise InvalidPayload("update: it ends in the middle of a value.")
        r.pos = pos
        return n
    if kind == _DOC:
        r.skip_string()
        r.skip_any()
        return 1
    raise InvalidPayload("update: an unknown kind of content.")


def read_state(state: bytes) -> dict[int, int]:
    """A state vector as client -> next clock."""
    r = _Reader(state)
    return {r.uint(): r.uint() for _ in range(r.uint())}
