"""Reading what a Yjs update builds on (server/whiteboard/yjs.py), checked against pycrdt: an
update the reader says builds on known changes integrates at once, one it says does not would
stay pending in the document."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from rooms.errors import InvalidPayload
from server.whiteboard.yjs import read_needs, read_state
from tests.server.whiteboard.replica import Replica


def _state(doc: Doc[Any]) -> dict[int, int]:
    return read_state(doc.get_state())


def test_in_order_updates_build_on_known_and_out_of_order_ones_do_not() -> None:
    a = Replica()
    stroke = a.stroke([1, 2])
    create = a.take()[0]
    a.extend(stroke, [3, 4])
    extend = a.take()[0]
    a.move(stroke, 5, 5)
    move = a.take()[0]
    a.delete(stroke)
    delete = a.take()[0]
    with a.doc.transaction(origin="local"):
        a.items["note"] = Map({"text": Text("héllo 😀 wörld")})
    text = a.take()[0]
    server: Doc[Any] = Doc()
    for later in (extend, move, delete):
        assert not read_needs(later).builds_on_known(_state(server))
    for update in (create, extend, move, delete, text):
        assert read_needs(update).builds_on_known(_state(server))
        server.apply_update(update)
    assert server.get_update() != b"\x00\x00"


def test_what_pycrdt_keeps_pending_is_what_the_reader_holds_back() -> None:
    a, b = Replica(), Replica()
    stroke = a.stroke([1, 2])
    b.receive(a.take()[0])
    b.extend(stroke, [3, 4])
    b.delete(stroke)
    for update in b.take():
        doc: Doc[Any] = Doc()
        assert not read_needs(update).builds_on_known(_state(doc))
        doc.apply_update(update)
        assert doc.get_update() == b"\x00\x00"  # kept, but pending: invisible in its encoding


def test_a_delete_of_something_unknown_is_held_back() -> None:
    a = Replica()
    stroke = a.stroke([1])
    create = a.take()[0]
    a.delete(stroke)
    delete = a.take()[0]
    needs = read_needs(delete)
    assert needs.deletes and not needs.runs
    assert not needs.builds_on_known({})
    server: Doc[Any] = Doc()
    server.apply_update(create)
    assert needs.builds_on_known(_state(server))


@pytest.mark.parametrize("junk", [b"\x01", b"\x01\x01\x80", b"\x01\x01\x05\x00\x28", b"\x05" * 3])
def test_truncated_or_unknown_content_is_invalid(junk: bytes) -> None:
    with pytest.raises(InvalidPayload):
        read_needs(junk)
