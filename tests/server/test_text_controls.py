"""Control characters in inbound text: refused at the edge with ``invalid_payload``, before the
domain or a database sees them. PostgreSQL's ``text`` cannot hold a NUL, so a chat message with
one used to reach the room and then fail to be recorded: a way to keep one's words out of a
session's record."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import aiohttp
import msgpack
import pytest
from aiohttp.test_utils import TestServer
from pydantic import BaseModel

import server.app  # noqa: F401  every feature's wire module, so that every model is defined
from rooms.errors import InvalidPayload
from server import writer
from server.app import CONTEXT, create_app
from server.attendance.wire import AttendanceQuery
from server.packets import MalformedPacket, Packet
from server.protocol import TEXT_PATTERN, InboundModel, parse
from server.sessions.wire import ChatPayload
from server.settings import Settings
from tests.server.sessions.test_events import pair
from tests.support import ADMIN_KEY, Api, Clock, Peer

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
# Refused: C0 controls but tab, line feed and carriage return; DEL.
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1b", "\x1f", "\x7f"]
# Kept: the three controls that are part of ordinary text.
ORDINARY = ["\t", "\n", "\r"]


def _models(base: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _models(sub)


def _str_schemas(node: object, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every string validator of a pydantic core schema, with where it is."""
    if isinstance(node, dict):
        if node.get("type") == "str":
            yield where, node
        for key, value in node.items():
            yield from _str_schemas(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _str_schemas(value, f"{where}[{i}]")


def test_every_string_of_an_inbound_payload_refuses_control_characters() -> None:
    models = [m for m in _models(InboundModel) if m.__module__.startswith("server.")]
    assert ChatPayload in models and len(models) > 40, models  # every feature was imported
    unchecked = []
    for model in [*models, AttendanceQuery]:
        found = list(_str_schemas(model.__pydantic_core_schema__, model.__qualname__))
        for where, schema in found:
            pattern = schema.get("pattern")
            if pattern is None or any(re.search(pattern, f"a{c}b") for c in CONTROLS):
                unchecked.append(where)
    assert unchecked == []


@pytest.mark.parametrize("control", CONTROLS)
async def test_a_chat_message_with_a_control_character_is_refused_and_reaches_nobody(
    api: Api, peers: Callable[[], Peer], control: str
) -> None:
    _, mentor, mentee = await pair(api, peers, keep_chat=True)
    ack = await mentee.call("chat", {"text": f"meet me{control} after school"})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    assert ack["error"]["message"].startswith("text: ") and control not in ack["error"]["message"]
    # The barrier: the next message is the first the room gets.
    assert (await mentee.call("chat", {"text": "fine"}))["ok"]
    assert (await mentor.next("chat"))["message"]["text"] == "fine"


async def test_tab_line_feed_and_carriage_return_are_ordinary_text(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, mentor, mentee = await pair(api, peers)
    text = "a" + "b".join(ORDINARY) + "c"
    ack = await mentee.call("chat", {"text": text})
    assert ack["ok"], ack
    assert (await mentor.next("chat"))["message"]["text"] == text


@pytest.mark.parametrize(("event", "payload"), [
    ("check_in", {"goal": "Talk about\x00 my exam"}),
    ("check_out", {"rating": 4, "comment": "good\x7f"}),
    ("caption_text", {"speaker_id": "", "utterance": "u1", "text": "hello\x00", "final": True}),
    ("caption_text", {"speaker_id": "x\x00", "utterance": "u1", "text": "hello", "final": True}),
    ("breakout_broadcast", {"text": "come back\x1b"}),
    ("breakout_create", {"count": 2, "names": ["Room\x00"]}),
    ("signal", {"to": "p\x00", "candidate": {"candidate": "c"}}),
    ("media_publish", {"sdp": "v=0\x00"}),
])
async def test_every_text_event_refuses_control_characters(
    api: Api, peers: Callable[[], Peer], event: str, payload: dict[str, Any]
) -> None:
    _, mentor, _ = await pair(api, peers)
    ack = await mentor.call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack


async def test_a_name_with_a_control_character_is_refused_at_join(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    ack = await peer.call("join", {"name": "Ben\x00"})
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack


@pytest.mark.parametrize(("path", "body"), [
    ("/api/sessions", {"title": "Weekly\x00"}),
    ("/api/sessions", {"title": "Weekly", "goal": "exams\x07"}),
    ("/api/sessions", {"title": "Weekly", "participants": [
        {"name": "Ana", "role": "mentor", "email": "ana\x00@example.org"}]}),
])
async def test_rest_bodies_refuse_control_characters(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    async with api.http.post(path, json=body, headers=ADMIN) as resp:
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["error"]["code"] == "invalid_payload"


async def test_a_query_refuses_control_characters(api: Api) -> None:
    async with api.http.get("/api/attendance/sessions", params={"programme": "a\x00"},
                            headers=ADMIN) as resp:
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["error"]["code"] == "invalid_payload"


async def test_a_programme_in_the_path_refuses_control_characters(api: Api) -> None:
    async with api.http.get("/api/attendance/programmes/a%00b", headers=ADMIN) as resp:
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["error"]["code"] == "invalid_payload"
    async with api.http.get("/api/attendance/programmes/Spring%20cohort", params={
            "format": "json"}, headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()


# -- lone surrogates: they cannot arrive, and would be refused if they did -------------------------


async def test_a_lone_surrogate_in_a_rest_body_is_refused(api: Api) -> None:
    async with api.http.post("/api/sessions", data=b'{"title": "a\\ud800"}',
                             headers={**ADMIN, "Content-Type": "application/json"}) as resp:
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["error"]["code"] == "invalid_payload"


def test_a_lone_surrogate_in_a_socket_message_is_not_a_packet() -> None:
    # msgpack carries UTF-8, which has no surrogates: their bytes (as CESU-8 would write them)
    # do not decode.
    packet = msgpack.packb({"type": 2, "nsp": "/", "data": ["chat", {"text": "x"}]})
    assert b"\xa1x" in packet
    with pytest.raises(MalformedPacket):
        Packet().decode(packet.replace(b"\xa1x", b"\xa3\xed\xa0\x80"))


def test_a_lone_surrogate_handed_to_the_parser_is_refused() -> None:
    with pytest.raises(InvalidPayload):
        parse(ChatPayload, {"text": "a\ud800"})


def test_the_rule_is_one_pattern() -> None:
    rule = re.compile(TEXT_PATTERN)
    assert all(rule.search(f"a{c}b") is None for c in CONTROLS)
    assert rule.search("a\t\n\rb é 漢 😀") is not None


# -- PostgreSQL: such text never reaches it --------------------------------------------------------


async def test_postgresql_is_not_reached_with_a_nul(
    aiohttp_server: Callable[..., Any], settings: Settings, clock: Clock, postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    srv: TestServer = await aiohttp_server(
        create_app(replace(settings, database_url=postgres_url), clock=clock))
    database = srv.app[CONTEXT].ledger.database  # type: ignore[attr-defined]
    applied: list[str] = []  # what each commit was handed, as text (text stays readable in it)
    apply = database._apply

    async def seen(batch: list[writer.Op], buffered: list[writer.Rows]) -> list[Any]:
        applied.append(repr(batch) + repr(buffered))
        return await apply(batch, buffered)

    monkeypatch.setattr(database, "_apply", seen)
    failed: list[writer.Op] = []
    database.on_failure.append(failed.extend)
    made: list[Peer] = []

    def peers() -> Peer:
        made.append(Peer(str(srv.make_url("/"))))
        return made[-1]

    async with aiohttp.ClientSession(base_url=str(srv.make_url("/"))) as http:
        try:
            s, mentor, mentee = await pair(Api(http, srv), peers, keep_chat=True)
            ack = await mentee.call("chat", {"text": "meet me\x00 after school"})
            assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
            # The barrier: a message after it is recorded (acknowledged means committed).
            assert (await mentee.call("chat", {"text": "see you"}))["ok"]
            assert (await mentor.next("chat"))["message"]["text"] == "see you"
        finally:
            for peer in made:
                await peer.close()
    records = await srv.app[CONTEXT].ledger.session_records(s["session_id"])
    assert [r.kind.value for r in records].count("chat") == 1
    # The refused words were never handed to PostgreSQL (the journal's commands included).
    assert [batch for batch in applied if "see you" in batch]  # words can be seen there
    assert not [batch for batch in applied if "after school" in batch]
    assert failed == []
