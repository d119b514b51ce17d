"""The media route of each room and screen shares over the socket: announced to the room,
refused with clear codes, and nobody else affected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support import Api, Peer


async def joined(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
                 name: str) -> Peer:
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    await peer.join(name, audio=True, video=True)
    return peer


async def test_a_third_person_moves_the_room_to_the_server_and_leaving_moves_it_back(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await joined(api, peers, s, "mentor", "Ana")
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    assert (await ben.join("Ben"))["media_route"] == "p2p"
    cleo = peers()
    await cleo.connect(api.token(s["join_urls"]["mentee"]))
    ack = await cleo.join("Cleo")
    assert ack["media_route"] == "server"
    for peer in (ana, ben, cleo):
        assert await peer.next("media_route") == {"room": "main", "route": "server"}
    # Everybody learnt of Cleo before the route changed.
    assert not ana.inbox["participant_joined"].empty()
    assert (await cleo.call("leave", {}))["ok"]
    for peer in (ana, ben):
        assert await peer.next("media_route") == {"room": "main", "route": "p2p"}


async def test_a_failed_direct_connection_moves_a_pair_to_the_server(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await joined(api, peers, s, "mentor", "Ana")
    ben = await joined(api, peers, s, "mentee", "Ben")
    ack = await ben.call("media_fallback", {"peer": ana.id})
    assert ack == {"ok": True, "route": "server"}
    assert await ana.next("media_route") == {"room": "main", "route": "server"}
    bad = await ben.call("media_fallback", {"peer": "0" * 16})
    assert bad["error"]["code"] == "unknown_participant"
    bad = await ben.call("media_fallback", {"peer": ana.id, "extra": 1})
    assert bad["error"]["code"] == "invalid_payload"


async def test_one_screen_share_per_room_and_the_mentor_stops_it(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await joined(api, peers, s, "mentor", "Ana")
    ben = await joined(api, peers, s, "mentee", "Ben")
    cleo = await joined(api, peers, s, "mentee", "Cleo")
    assert (await ben.call("screen_share", {"on": True}))["ok"]
    update = await ana.next("participant_updated")
    assert update["participant"]["id"] == ben.id and update["participant"]["screen"] is True
    busy = await cleo.call("screen_share", {"on": True})
    assert busy["error"]["code"] == "screen_busy" and "Ben" in busy["error"]["message"]
    refused = await ben.call("screen_stop", {"participant_id": cleo.id})
    assert refused["error"]["code"] == "not_allowed"
    assert (await ana.call("screen_policy", {"many": True}))["ok"]
    assert (await cleo.call("screen_share", {"on": True}))["ok"]
    assert (await ana.call("screen_stop", {"participant_id": ben.id}))["ok"]
    updates = [(await cleo.next("participant_updated"))["participant"] for _ in range(3)]
    # Ben sharing, Cleo sharing, Ben stopped by the mentor: in that order.
    assert [(p["id"], p["screen"]) for p in updates] == [
        (ben.id, True), (cleo.id, True), (ben.id, False)]
    bad = await ana.call("screen_share", {"on": "yes"})
    assert bad["error"]["code"] == "invalid_payload"


async def test_the_room_hears_when_several_may_share_and_newcomers_are_told(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana = await joined(api, peers, s, "mentor", "Ana")
    ben = await joined(api, peers, s, "mentee", "Ben")
    assert (await ana.call("screen_policy", {"many": True}))["ok"]
    for peer in (ana, ben):
        assert await peer.next("screen_policy_changed") == {"room": "main", "many": True}
    # The same setting again is no news: Ben's barrier comes back with nothing new before it.
    assert (await ana.call("screen_policy", {"many": True}))["ok"]
    await ana.barrier()
    await ben.barrier()
    assert ben.inbox["screen_policy_changed"].empty()
    cleo = peers()
    await cleo.connect(api.token(s["join_urls"]["mentee"]))
    assert (await cleo.join("Cleo"))["screens_many"] is True
    # A breakout room starts at one sharer: its room_changed says so.
    created = await ana.call("breakout_create", {"names": ["Pair"]})
    room = created["breakouts"]["rooms"][0]["id"]
    assert (await ana.call("breakout_assign", {"participant_id": ben.id, "room": room}))["ok"]
    assert (await ana.call("breakout_open", {"duration_seconds": None}))["ok"]
    changed = await ben.next("room_changed")
    assert changed["room"]["id"] == room and changed["screens_many"] is False


async def test_observers_neither_share_nor_publish(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    await joined(api, peers, s, "mentor", "Ana")
    olga = peers()
    await olga.connect(api.token(s["join_urls"]["observer"]))
    await olga.join("Olga")
    assert (await olga.call("screen_share", {"on": True}))["error"]["code"] == "not_allowed"
    ack = await olga.call("media_publish", {"sdp": "v=0\r\n"})
    assert ack["error"]["code"] == "not_allowed"


async def test_media_events_need_a_join_and_bounded_payloads(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    assert (await peer.call("media_subscribe", {"video": True}))["error"]["code"] == "not_joined"
    await peer.join("Ben")
    huge = await peer.call("media_publish", {"sdp": "v" * (64 * 1024 + 1)})
    assert huge["error"]["code"] == "payload_too_large"
    none_waiting = await peer.call("media_answer", {"sdp": "v=0\r\n"})
    assert none_waiting["error"]["code"] == "illegal_transition"
