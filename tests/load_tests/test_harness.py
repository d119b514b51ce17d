"""The load-test harness at a tiny size: every scenario against every target, checking that the
harness's counts add up (every expected delivery arrives, no errors). No timing is asserted: these
runs only show that the harness works; the figures come from ``python -m load_tests compare``.
"""

from __future__ import annotations

import shutil

import msgpack
import pytest
from socketio import packet as sio_packet
from socketio.msgpack_packet import MsgPackPacket

from load_tests.runner import RunResult, Scenario, make_scenario, offered, plan_clients, run_once
from load_tests.tags import parse_tag, raw_chat_tag, tag
from load_tests.targets import tandem_available

TINY: dict[str, dict] = {
    "many-rooms": dict(clients=8, rooms=2, rate=2.0, duration=1.0, warmup=0.3),
    "big-room": dict(clients=8, rate=6.0, duration=1.0, warmup=0.3),
    "join-storm": dict(clients=8, rooms=2, duration=1.0),
    "pairs": dict(clients=8, duration=0.5, candidates=3),
}
COMMON = dict(drain=10.0, quiet=0.5)


def _targets() -> list:
    out = [pytest.param("bare", id="bare")]
    out.append(
        pytest.param(
            "reference",
            id="reference",
            marks=pytest.mark.skipif(
                shutil.which("node") is None or shutil.which("npm") is None,
                reason="node/npm are not installed: the Node socket.io reference server cannot run",
            ),
        )
    )
    out.append(
        pytest.param(
            "tandem",
            id="tandem",
            marks=pytest.mark.skipif(
                not tandem_available(), reason="Tandem's server package is not there"
            ),
        )
    )
    return out


def _scenario(name: str) -> Scenario:
    return make_scenario(name, **TINY[name], **COMMON)


def _check_consistent(r: RunResult, sc: Scenario) -> None:
    assert r.errors == {}, r.notes
    assert r.error_count == 0
    assert r.expected > 0
    assert r.delivered == r.expected, r.notes
    assert r.drops == 0
    assert r.server_cpu_pct >= 0 and r.server_peak_mb > 0
    assert len(r.gen_cpu_pct) == 2


@pytest.mark.parametrize("target", _targets())
async def test_many_rooms(target: str) -> None:
    sc = _scenario("many-rooms")
    r = await run_once(target, sc, workers=2)
    _check_consistent(r, sc)
    assert r.joined == 8
    # every acknowledged event reaches the 4 members of its room, the sender included
    assert r.expected % 4 == 0
    assert r.samples > 0 and r.deliveries_per_s > 0


@pytest.mark.parametrize("target", _targets())
async def test_big_room(target: str) -> None:
    sc = _scenario("big-room")
    r = await run_once(target, sc, workers=2)
    _check_consistent(r, sc)
    assert r.joined == 8
    assert r.expected % 8 == 0  # each event reaches all 8
    assert any("presenter connections" in n for n in r.notes)  # 6/s is spread over 2 presenters


@pytest.mark.parametrize("target", _targets())
async def test_join_storm(target: str) -> None:
    sc = _scenario("join-storm")
    r = await run_once(target, sc, workers=2)
    _check_consistent(r, sc)
    assert r.extra["joined"] == 8
    assert r.extra["join_latency_ms"]["n"] == 8
    # 2 rooms of 4: each joiner is announced to those already in: 2 * (0 + 1 + 2 + 3)
    assert r.expected == 12


@pytest.mark.parametrize("target", _targets())
async def test_pairs(target: str) -> None:
    sc = _scenario("pairs")
    r = await run_once(target, sc, workers=2)
    _check_consistent(r, sc)
    # 4 pairs, each: offer + answer + 3 candidates from each side
    assert r.expected == 4 * (2 + 2 * 3)
    assert r.extra["exchange_complete_ms"]["pairs_complete"] == 4


@pytest.mark.skipif(not tandem_available(), reason="Tandem's server package is not there")
async def test_abusers_are_refused_or_disconnected_and_others_unaffected() -> None:
    sc = make_scenario(
        "abuse", clients=8, rooms=2, rate=2.0, duration=1.5, warmup=0.3, abusers=3, **COMMON
    )
    r = await run_once("tandem", sc, workers=2)
    _check_consistent(r, sc)  # well-behaved clients: every delivery, no error
    abusers = r.extra["abusers"]
    assert sorted(a["kind"] for a in abusers.values()) == ["flood", "malformed", "oversized"]
    for a in abusers.values():
        refused = {k: v for k, v in a["acks"].items() if k != "ok"}
        assert refused or a["disconnected"], a
    by_kind = {a["kind"]: a for a in abusers.values()}
    assert by_kind["flood"]["acks"].get("rate_limited", 0) > 0
    assert by_kind["malformed"]["acks"].get("invalid_payload", 0) > 0
    assert (
        by_kind["oversized"]["acks"].get("payload_too_large", 0) > 0
        or by_kind["oversized"]["disconnected"]
    )


def test_tag_round_trip() -> None:
    t = tag("m", 7, 3)
    ns, flag = parse_tag("candidate:1 1 udp 1 127.0.0.1 9 typ host " + t + "xxxx")  # type: ignore[misc]
    assert flag == "m" and ns > 0
    assert parse_tag("no tag here") is None
    assert parse_tag(123) is None


def test_chat_tags_read_from_raw_bytes_match_the_decoded_ones() -> None:
    t = tag("m", 7, 3)
    message = {"id": 12, "from": "ab12", "name": "c7", "text": t + "x" * 50, "sent_at": 1.5}
    event = MsgPackPacket(sio_packet.EVENT, namespace="/", data=["chat", {"message": message}])
    assert raw_chat_tag(event.encode()) == parse_tag(message["text"])
    # Anything else is left to the decoder: acks, other events, other key orders, two tags.
    ack = MsgPackPacket(sio_packet.ACK, namespace="/", id=3, data=[{"message": message}])
    other = MsgPackPacket(sio_packet.EVENT, namespace="/", data=["signal", {"sdp": t}])
    node_style = msgpack.packb({"data": ["chat", {"message": message}], "type": 2, "nsp": "/"})
    twice = MsgPackPacket(sio_packet.EVENT, namespace="/",
                          data=["chat", {"message": {**message, "name": t}}])
    for pkt in (ack.encode(), other.encode(), node_style, twice.encode()):
        assert raw_chat_tag(pkt) is None


def test_plans_match_the_presets() -> None:
    clients, rooms, _ = plan_clients(make_scenario("many-rooms"))
    assert len(clients) == 1000 and len(rooms) == 50 and set(rooms.values()) == {20}
    assert offered(make_scenario("many-rooms"), rooms) == (2000.0, 40000.0)
    clients, rooms, notes = plan_clients(make_scenario("big-room"))
    assert rooms == {"big": 500}
    assert sum(c.role == "sender" for c in clients) == 3 and notes
    clients, rooms, _ = plan_clients(make_scenario("pairs"))
    assert len(rooms) == 500 and all(n == 2 for n in rooms.values())
    clients, rooms, _ = plan_clients(make_scenario("join-storm"))
    assert len(clients) == 1000 and max(c.at for c in clients) < 10.0
    clients, rooms, _ = plan_clients(make_scenario("abuse"))
    assert sum(c.role == "abuser" for c in clients) == 6
