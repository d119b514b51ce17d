"""Reading what a Yjs update builds on (server/whiteboard/yjs.py), checked against pycrdt: an
update the reader says builds on known changes integrates at once, one it says does not would
stay pending in the document."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map, Text, get_state

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


VALUES: list[Any] = [0, 1, -1, 63, 64, -64, 127, 128, 300, -70000, 2**40, -(2**52), 2**60, 0.5,
                     -1e300, 3.25, float(2**31), "", "text", "ünï 😀 code", True, False, None,
                     b"\x00\xff", [1, "a", [2.5, None]], {"k": {"n": -5, "s": "v"}, "l": []}]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_every_kind_of_value_is_walked_to_its_end(value: Any) -> None:
    a = Replica()
    with a.doc.transaction(origin="local"):
        a.items["it"] = Map({"before": 1.5, "value": value, "list": [value, value, 7],
                             "after": "end"})
    update = a.take()[0]
    needs = read_needs(update)  # raises if it lost its place in the bytes
    (client, runs), = needs.runs.items()
    end = max(clock + length for clock, length, _ in runs)
    assert read_state(get_state(update)) == {client: end}
    assert needs.builds_on_known({})


def _from_the_page() -> list[tuple[str, bytes]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is needed to run the page's Yjs (apt-get install nodejs)")
    script = Path(__file__).with_name("yjs_updates.mjs")
    out = subprocess.run([node, str(script)], check=True, capture_output=True, text=True,
                         timeout=60).stdout
    return [(e["name"], bytes.fromhex(e["update"])) for e in json.loads(out)]


def test_updates_of_the_pages_yjs_are_read_to_their_end() -> None:
    """The page's Yjs writes whole numbers as varints (pycrdt never does) and strings with
    characters outside the BMP; every update must be read exactly."""
    updates = _from_the_page()
    assert [name for name, _ in updates] == ["stroke", "extend", "text", "move", "edit_text",
                                             "delete"]
    server: Doc[Any] = Doc()
    for i, (name, update) in enumerate(updates):
        needs = read_needs(update)
        if i:
            assert not needs.builds_on_known({}), name  # each builds on the ones before
        assert needs.builds_on_known(_state(server)), name
        server.apply_update(update)
        ends = {c: max(k + n for k, n, _ in runs) for c, runs in needs.runs.items()}
        assert all(_state(server)[c] >= end for c, end in ends.items()), name
    items = server.get("items", type=Map).to_py()
    assert set(items) == {"p1-2"} and items["p1-2"]["text"] == "ünï 😀 code"
