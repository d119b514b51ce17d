"""Sessions whose people must not see each other's network addresses, over real sockets: the
server relays no candidate but TURN relay ones there, and in every session an observer gets no
one's candidates unless a direct connection with them carries media."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support import ADMIN_KEY, Api, Peer

# Addresses of the sender as a browser would hand them out: its own interface, its name on the
# local network, and its public address (as STUN and the TURN server see it).
HOST = "192.0.2.10"
MDNS = "4f1a7c2e-8b3d-4e5f-9a6b-1c2d3e4f5a6b.local"
PUBLIC = "203.0.113.7"
TURN = "198.51.100.20"  # the TURN server's relayed address: the only one that may pass

HOST_CANDIDATE = f"candidate:1 1 udp 2122260223 {HOST} 50000 typ host generation 0"
MDNS_CANDIDATE = f"candidate:2 1 udp 2122260223 {MDNS} 50001 typ host generation 0"
SRFLX_CANDIDATE = (f"candidate:3 1 udp 1686052607 {PUBLIC} 61000 typ srflx raddr {HOST} "
                   "rport 50000 generation 0")
PRFLX_CANDIDATE = (f"candidate:4 1 udp 1845501695 {PUBLIC} 61001 typ prflx raddr {HOST} "
                   "rport 50000")
RELAY_CANDIDATE = (f"candidate:5 1 udp 41885439 {TURN} 3478 typ relay raddr {PUBLIC} "
                   "rport 61000 generation 0 network-cost 10")
TCP_HOST_CANDIDATE = f"candidate:6 1 tcp 1518280447 {HOST} 9 typ host tcptype active"

OFFER_SDP = "\r\n".join([
    "v=0",
    f"o=- 4611731400430051336 2 IN IP4 {HOST}",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=audio 61000 UDP/TLS/RTP/SAVPF 111",
    f"c=IN IP4 {PUBLIC}",
    f"a=rtcp:61000 IN IP4 {PUBLIC}",
    f"a={HOST_CANDIDATE}",
    f"a={MDNS_CANDIDATE}",
    f"a={SRFLX_CANDIDATE}",
    f"a={TCP_HOST_CANDIDATE}",
    f"a={RELAY_CANDIDATE}",
    f"a=remote-candidates:1 {HOST} 50000",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:0123456789abcdef01234567",
    "a=mid:0",
    "a=sendrecv",
    "a=rtpmap:111 opus/48000/2",
    "",
])

ADDRESSES = (HOST, MDNS, PUBLIC)


async def joined(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
                 name: str) -> Peer:
    peer, _ = await joined_with_ack(api, peers, s, role, name)
    return peer


async def joined_with_ack(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str,
                          name: str) -> tuple[Peer, dict[str, Any]]:
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    sends = role in ("mentor", "mentee")
    return peer, await peer.join(name, audio=sends, video=sends)


async def private_pair(api: Api, peers: Callable[[], Peer]) -> tuple[dict[str, Any], Peer, Peer]:
    s = await api.create_session(private_addresses=True)
    mentor = await joined(api, peers, s, "mentor", "Ana")
    mentee = await joined(api, peers, s, "mentee", "Ben")
    await mentor.next("participant_joined")
    return s, mentor, mentee


def assert_no_address(text: str) -> None:
    for address in ADDRESSES:
        assert address not in text, f"{address} in {text!r}"


async def test_the_setting_is_kept_shown_and_routes_a_pair_through_the_server(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session(private_addresses=True)
    assert s["private_addresses"] is True
    async with api.http.get(f"/api/sessions/{s['session_id']}",
                            headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
        assert (await resp.json())["private_addresses"] is True
    _, ack = await joined_with_ack(api, peers, s, "mentor", "Ana")
    assert ack["session"]["private_addresses"] is True and ack["media_route"] == "server"
    _, ack = await joined_with_ack(api, peers, s, "mentee", "Ben")
    assert ack["media_route"] == "server"
    # An ordinary session says so too, and a pair there goes peer to peer.
    plain = await api.create_session()
    assert plain["private_addresses"] is False
    _, ack = await joined_with_ack(api, peers, plain, "mentor", "Cem")
    assert ack["session"]["private_addresses"] is False
    _, ack = await joined_with_ack(api, peers, plain, "mentee", "Dee")
    assert ack["media_route"] == "p2p"


async def test_a_description_reaches_the_peer_with_relay_candidates_only(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, mentor, mentee = await private_pair(api, peers)
    ack = await mentor.call("signal", {"to": mentee.id,
                                       "description": {"type": "offer", "sdp": OFFER_SDP}})
    assert ack == {"ok": True}
    got = await mentee.next("signal")
    sdp = got["description"]["sdp"]
    assert got["from"] == mentor.id and got["description"]["type"] == "offer"
    assert_no_address(sdp)
    lines = sdp.split("\r\n")
    assert [x for x in lines if x.startswith("a=candidate:")] == [
        f"a=candidate:5 1 udp 41885439 {TURN} 3478 typ relay raddr 0.0.0.0 rport 0 "
        "generation 0 network-cost 10"]
    assert "c=IN IP4 0.0.0.0" in lines and "a=rtcp:61000 IN IP4 0.0.0.0" in lines
    assert "o=- 4611731400430051336 2 IN IP4 0.0.0.0" in lines
    # The rest of the description is as sent.
    for kept in ("a=ice-ufrag:abcd", "a=mid:0", "a=rtpmap:111 opus/48000/2",
                 "m=audio 61000 UDP/TLS/RTP/SAVPF 111"):
        assert kept in lines


@pytest.mark.parametrize("candidate", [HOST_CANDIDATE, MDNS_CANDIDATE, SRFLX_CANDIDATE,
                                       PRFLX_CANDIDATE, TCP_HOST_CANDIDATE, "garbage"])
async def test_a_candidate_that_is_not_relayed_is_refused_and_never_arrives(
    api: Api, peers: Callable[[], Peer], candidate: str
) -> None:
    _, mentor, mentee = await private_pair(api, peers)
    ack = await mentor.call("signal", {"to": mentee.id, "candidate": {
        "candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}})
    assert ack["ok"] is False and ack["error"]["code"] == "relay_only", ack
    # The relay candidate sent next arrives, and is the first signal the mentee receives.
    ack = await mentor.call("signal", {"to": mentee.id, "candidate": {
        "candidate": RELAY_CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0}})
    assert ack == {"ok": True}
    got = await mentee.next("signal")
    assert got["candidate"]["candidate"] == (
        f"candidate:5 1 udp 41885439 {TURN} 3478 typ relay raddr 0.0.0.0 rport 0 generation 0 "
        "network-cost 10")
    await mentee.nothing("signal")


async def test_the_end_of_candidates_passes(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, mentee = await private_pair(api, peers)
    assert (await mentor.call("signal", {"to": mentee.id, "candidate": None}))["ok"]
    assert (await mentee.next("signal")) == {"from": mentor.id, "candidate": None}
    assert (await mentor.call("signal", {"to": mentee.id, "candidate": {"candidate": ""}}))["ok"]
    assert (await mentee.next("signal"))["candidate"] == {"candidate": ""}


async def test_an_ordinary_session_relays_signalling_as_sent(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    mentor = await joined(api, peers, s, "mentor", "Ana")
    mentee = await joined(api, peers, s, "mentee", "Ben")
    offer = {"type": "offer", "sdp": OFFER_SDP}
    assert (await mentor.call("signal", {"to": mentee.id, "description": offer}))["ok"]
    assert (await mentee.next("signal"))["description"] == offer


# -- observers, in every session ------------------------------------------------------------------


async def test_an_observer_gets_no_candidates_in_a_room_through_the_server(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    mentor = await joined(api, peers, s, "mentor", "Ana")
    mentee = await joined(api, peers, s, "mentee", "Ben")
    observer, ack = await joined_with_ack(api, peers, s, "observer", "Olly")
    assert ack["media_route"] == "server"
    candidate = {"candidate": HOST_CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0}
    # An observer's offer would have the mentor's page answer with its addresses: refused.
    ack = await observer.call("signal", {"to": mentor.id, "description": {"type": "offer",
                                                                          "sdp": OFFER_SDP}})
    assert ack["ok"] is False and ack["error"]["code"] == "no_direct_connection", ack
    # Nor does a page hand its candidates to the observer.
    ack = await mentor.call("signal", {"to": observer.id, "candidate": candidate})
    assert ack["error"]["code"] == "no_direct_connection", ack
    await mentor.nothing("signal")
    await observer.nothing("signal")
    # The two who publish may still connect directly.
    assert (await mentor.call("signal", {"to": mentee.id, "candidate": candidate}))["ok"]
    assert (await mentee.next("signal"))["candidate"] == candidate


async def test_two_observers_never_exchange_candidates_and_an_observer_pair_does(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    olly = await joined(api, peers, s, "observer", "Olly")
    pat = await joined(api, peers, s, "observer", "Pat")
    candidate = {"candidate": HOST_CANDIDATE, "sdpMid": "0", "sdpMLineIndex": 0}
    ack = await olly.call("signal", {"to": pat.id, "candidate": candidate})
    assert ack["error"]["code"] == "no_direct_connection", ack
    await pat.nothing("signal")
    await pat.call("leave", {})
    # An observer alone with a mentor receives the mentor peer to peer.
    mentor, ack = await joined_with_ack(api, peers, s, "mentor", "Ana")
    assert ack["media_route"] == "p2p"
    assert (await mentor.call("signal", {"to": olly.id, "candidate": candidate}))["ok"]
    assert (await olly.next("signal"))["candidate"] == candidate
