"""Packets no well-behaved client sends: each is answered when it can be, and one that cannot be
read closes only its own connection, with one log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgpack
import pytest
from aiohttp.test_utils import TestServer

from load_tests.sioclient import EVENT, OP_BINARY, Client
from server.packets import MAP_MAX
from tests.support import Api, eventually

WAIT = 5.0


@pytest.fixture
async def lean(server: TestServer) -> AsyncIterator[Callable[[], Client]]:
    made: list[Client] = []

    def make() -> Client:
        c = Client(str(server.make_url("/")))
        made.append(c)
        return c

    yield make
    for c in made:
        await c.close()


async def joined(api: Api, lean: Callable[[], Client], role: str = "mentor") -> Client:
    s = await api.create_session()
    c = lean()
    await c.connect({"token": api.token(s["join_urls"][role])})
    ack = await c.call("join", {"name": "Mia"}, timeout=WAIT)
    assert ack["ok"], ack
    return c


async def test_keys_that_are_not_strings_are_refused_with_an_acknowledgement(
    api: Api, lean: Callable[[], Client]
) -> None:
    c = await joined(api, lean)
    for payload in ({1: "x"}, {b"text": "hi"}, {"text": "hi", 7: None}):
        ack = await c.call("chat", payload, timeout=WAIT)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", (payload, ack)
    assert (await c.call("chat", {"text": "still here"}, timeout=WAIT))["ok"]


async def test_an_event_with_several_arguments_or_a_name_that_is_no_string_is_answered(
    api: Api, lean: Callable[[], Client]
) -> None:
    c = await joined(api, lean)
    cases: list[list[Any]] = [
        ["chat", {"text": "a"}, {"text": "b"}],
        ["no_such_event", 1, 2, 3],
        [42, {}],
        [b"chat", {"text": "a"}],
        [["chat"], {}],
        [{"event": "chat"}, {}],
        [None],
        [],
    ]
    for data in cases:
        ack = await c.call_packet(data, timeout=WAIT)
        assert isinstance(ack, dict) and ack["ok"] is False, (data, ack)
        assert ack["error"]["code"] in {"invalid_payload", "unknown_event"}, (data, ack)
    assert (await c.call("chat", {"text": "still here"}, timeout=WAIT))["ok"]


async def test_a_packet_that_cannot_be_read_closes_its_connection_alone_with_one_log_line(
    api: Api, lean: Callable[[], Client], caplog: pytest.LogCaptureFixture
) -> None:
    s = await api.create_session()
    other = lean()
    await other.connect({"token": api.token(s["join_urls"]["mentee"])})
    assert (await other.call("join", {"name": "Ben"}, timeout=WAIT))["ok"]
    garbage = [
        b"\xc1",  # never used in msgpack
        msgpack.packb({"type": EVENT, "nsp": "/", "data": ["chat", {"text": "x"}]})[:-3],
        msgpack.packb([EVENT, "/", ["chat"]]),  # no map
        b"\x81\x91\x01\x02",  # a map whose key is a list
        msgpack.packb({"type": 99, "nsp": "/"}),
    ]
    for payload in garbage:
        caplog.clear()
        c = lean()
        await c.connect({"token": api.token(s["join_urls"]["mentor"])})
        with caplog.at_level(logging.DEBUG):
            c._write(OP_BINARY, payload)  # noqa: SLF001
            c._write(OP_BINARY, payload)  # noqa: SLF001
            await eventually(lambda c=c: c.closed, WAIT, what=f"closing after {payload!r}")
        errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
        lines = [r for r in caplog.records if "could not be read" in r.getMessage()]
        assert errors == [] and len(lines) == 1, [r.getMessage() for r in caplog.records]
        assert (await other.call("chat", {"text": "still here"}, timeout=WAIT))["ok"]


async def test_a_map_of_more_keys_than_any_payload_has_closes_the_connection_unread(
    api: Api, lean: Callable[[], Client], caplog: pytest.LogCaptureFixture
) -> None:
    """Decoding 20,000 keys costs the server tens of milliseconds whatever the answer, and a rate
    limit cannot help before the packet is read: such a packet is not read."""
    c = await joined(api, lean)
    many = {f"k{i}": i for i in range(MAP_MAX)}
    ack = await c.call("chat", many, timeout=WAIT)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    with caplog.at_level(logging.INFO):
        c.emit_nowait("join", {f"k{i}": i for i in range(20_000)})
        await eventually(lambda: c.closed, WAIT, what="closing after 20,000 keys")
    assert [r.getMessage() for r in caplog.records if "could not be read" in r.getMessage()]
