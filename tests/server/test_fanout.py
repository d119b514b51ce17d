"""Sending (server/fanout.py): websocket clients are written directly, long-polling and upgraded
clients through Engine.IO's queue; every client sees one sender's events in the order sent, and
a client that stops reading is dropped without holding up the room."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from socketio import packet as sio_packet

from load_tests.sioclient import Client
from server.app import CONTEXT, SIO
from server.fanout import TandemSocketServer
from server.packets import packet_sends, ws_frame
from server.sessions.wire import REMOVED
from server.settings import Limits, Settings
from tests.support import WAIT, Api, Peer, eventually


@pytest.fixture
def limits() -> Limits:
    return Limits(chat_rate=1000.0, chat_burst=5000.0, send_buffer_bytes=64 * 1024)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, long_polling=True)  # these tests mix transports


def test_frames_carry_their_length_in_the_three_rfc_6455_forms() -> None:
    assert ws_frame(b"abc") == b"\x82\x03abc"
    assert ws_frame("2") == b"\x81\x012"
    assert ws_frame(b"x" * 126)[:4] == b"\x82\x7e\x00\x7e"
    assert ws_frame(b"x" * 65536)[:10] == b"\x82\x7f" + (65536).to_bytes(8, "big")
    assert len(ws_frame(b"x" * 65536)) == 10 + 65536


async def _chats(peer: Peer, n: int) -> list[dict[str, Any]]:
    return [(await peer.next("chat"))["message"] for _ in range(n)]


async def _joined(api: Api, peers: Callable[[], Peer],
                  *names: str) -> tuple[dict[str, Any], list[Peer]]:
    """A new session, and a mentee peer connected and joined under each of ``names``."""
    s = await api.create_session()
    joined = [peers() for _ in names]
    for name, peer in zip(names, joined, strict=True):
        await peer.connect(api.token(s["join_urls"]["mentee"]))
        await peer.join(name)
    return s, joined


async def test_websocket_polling_and_upgraded_clients_share_a_room_in_order(
    api: Api, server: TestServer
) -> None:
    s = await api.create_session(max_participants=8)
    url = str(server.make_url("/"))
    kinds = {"websocket": ("websocket",), "polling": ("polling",),
             "upgraded": ("polling", "websocket")}
    peers = {kind: Peer(url, transports) for kind, transports in kinds.items()}
    try:
        for kind, peer in peers.items():
            await peer.connect(api.token(s["join_urls"]["mentee"]))
            await peer.join(kind)
        sio = server.app[SIO]
        assert isinstance(sio, TandemSocketServer)
        # Only the client that opened as a websocket is written directly.
        assert len(sio.outboxes) == 1
        assert peers["upgraded"].sio.transport() == "websocket"
        assert peers["polling"].sio.transport() == "polling"

        n = 15
        for i in range(n):
            await asyncio.gather(*(
                peer.call("chat", {"text": f"{kind} {i}"}) for kind, peer in peers.items()
            ))
        for peer in peers.values():
            got = await _chats(peer, n * len(peers))
            for kind in kinds:
                texts = [m["text"] for m in got if m["name"] == kind]
                assert texts == [f"{kind} {i}" for i in range(n)]
            ids = [m["id"] for m in got]
            assert ids == sorted(ids)
    finally:
        for peer in peers.values():
            await peer.close()


async def test_a_room_event_arrives_before_the_acknowledgement_of_what_caused_it(
    api: Api, server: TestServer
) -> None:
    s = await api.create_session()
    log: list[tuple[str, Any]] = []

    def on_event(client: Client, name: str, data: Any) -> None:
        if name == "chat":
            log.append(("chat", data["message"]["text"]))

    client = Client(str(server.make_url("/")), on_event=on_event)
    await client.connect({"token": api.token(s["join_urls"]["mentee"])})
    try:
        assert (await client.call("join", {"name": "Ana"}))["ok"]
        done = asyncio.get_running_loop().create_future()
        n = 50

        def acked(i: int) -> Callable[[Any], None]:
            def record(ack: Any) -> None:
                assert ack["ok"], ack
                log.append(("ack", f"m{i}"))
                if i == n - 1:
                    done.set_result(None)
            return record

        for i in range(n):
            client.emit_nowait("chat", {"text": f"m{i}"}, acked(i))
        await asyncio.wait_for(done, WAIT)
        assert [x for x in log if x[0] == "chat"] == [("chat", f"m{i}") for i in range(n)]
        for i in range(n):
            assert log.index(("chat", f"m{i}")) < log.index(("ack", f"m{i}"))
    finally:
        await client.close()


async def test_a_client_that_stops_reading_is_dropped_and_the_room_carries_on(
    api: Api, server: TestServer, peers: Callable[[], Peer], caplog: pytest.LogCaptureFixture
) -> None:
    s, (writer, reader) = await _joined(api, peers, "Writer", "Reader")
    stuck = Client(str(server.make_url("/")))
    await stuck.connect({"token": api.token(s["join_urls"]["mentee"])})
    try:
        joined = await stuck.call("join", {"name": "Stuck"})
        assert joined["ok"]
        assert stuck.transport is not None
        sio = server.app[SIO]
        # Small kernel buffers at both ends (loopback's grow to megabytes), so that what the
        # stuck client does not read piles up in the server's transport soon.
        for transport in (stuck.transport, sio.outboxes[stuck.eio_sid].transport):
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        stuck.transport.pause_reading()

        text = "x" * 1990
        n = 300  # about 600 KB to every member: past the bound of 64 KiB and the socket buffers
        with caplog.at_level(logging.WARNING, logger="server.websocket"):
            for batch in range(0, n, 100):
                acks = await asyncio.gather(*(
                    writer.call("chat", {"text": f"{i} {text}"})
                    for i in range(batch, min(n, batch + 100))
                ))
                assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:1]
            got = await _chats(reader, n)
        assert [int(m["text"].split()[0]) for m in got] == list(range(n))
        assert any("slow_consumer" in r.getMessage() for r in caplog.records)
        assert stuck.eio_sid not in sio.outboxes
        left = await reader.next("participant_left")
        assert left["participant_id"] == joined["participant"]["id"]
        assert left["reason"] == "disconnected"
        # The writer and the reader carry on.
        assert len(await _chats(writer, n)) == n
        assert (await reader.call("chat", {"text": "still here"}))["ok"]
        assert (await writer.next("chat"))["message"]["text"] == "still here"
    finally:
        await stuck.close()


async def test_a_client_that_stops_answering_pings_is_dropped(
    api: Api, server: TestServer, peers: Callable[[], Peer]
) -> None:
    # The websocket loop keeps no timer per message; Engine.IO's ping check ends a silent client
    # (the tests' settings ping every second and wait one more for the answer).
    s = await api.create_session()
    watcher = peers()
    await watcher.connect(api.token(s["join_urls"]["mentor"]))
    await watcher.join("Ana")
    silent = Client(str(server.make_url("/")))
    await silent.connect({"token": api.token(s["join_urls"]["mentee"])})
    try:
        joined = await silent.call("join", {"name": "Ben"})
        assert joined["ok"]
        await watcher.next("participant_joined")
        silent._on_text = lambda payload: None  # type: ignore[method-assign]  # no more pongs
        left = await watcher.next("participant_left", timeout=6.0)
        assert left["participant_id"] == joined["participant"]["id"]
        assert left["reason"] == "disconnected"
    finally:
        await silent.close()


async def test_a_connection_the_server_closes_gets_nothing_after_being_told(
    api: Api, server: TestServer, peers: Callable[[], Peer]
) -> None:
    # The server ends a connection while the room's events are being written to it: the client
    # is told (Socket.IO's disconnect, then Engine.IO's close) and gets no event after that. The
    # barrier is the end of the TCP connection: nothing can arrive once the server has closed it.
    s = await api.create_session()
    writer = peers()
    await writer.connect(api.token(s["join_urls"]["mentor"]))
    await writer.join("Ana")
    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    seen: list[str] = []  # what reached the client, in order: event names, "disconnect", "close"

    def on_event(c: Client, name: str, data: Any) -> None:
        seen.append("disconnect" if name == "__disconnect__" else name)

    victim = Client(str(server.make_url("/")), on_event=on_event,
                    on_close=lambda c: closed.done() or closed.set_result(None))
    answer_pings = victim._on_text

    def on_text(payload: bytes) -> None:
        if payload[:1] == b"1":
            seen.append("close")  # and read on: anything after it is counted too
        else:
            answer_pings(payload)

    victim._on_text = on_text  # type: ignore[method-assign]
    await victim.connect({"token": api.token(s["join_urls"]["mentee"])})
    try:
        assert (await victim.call("join", {"name": "Ben"}))["ok"]
        sio = server.app[SIO]
        assert isinstance(sio, TandemSocketServer)
        n = 60  # one connection's events are handled in turn, each acknowledged once committed
        sending = asyncio.gather(*(writer.call("chat", {"text": f"{i}"}) for i in range(n)))
        # the server is writing the room's chat to the victim
        await eventually(lambda: seen.count("chat") >= 10, what="ten chat messages")
        assert victim.sid is not None
        await sio.disconnect(victim.sid)
        await asyncio.wait_for(closed, WAIT)
        assert all(a["ok"] for a in await sending)
    finally:
        await victim.close()
    assert "disconnect" in seen, seen[-5:]
    told = seen.index("disconnect")
    assert seen[told + 1:] in ([], ["close"]), seen[told:]
    # the room carried on: the writer got every one of its chats back
    assert len(await _chats(writer, n)) == n


async def test_a_connection_out_of_its_rooms_gets_only_what_is_sent_to_it(
    api: Api, server: TestServer, peers: Callable[[], Peer]
) -> None:
    # What the removal of a participant does before telling them (server/sessions/events.py).
    _, (ana, ben) = await _joined(api, peers, "Ana", "Ben")
    await ana.next("participant_joined")
    gw = server.app[CONTEXT].gateway
    ben_sid = ben.sio.get_sid("/")
    assert ben_sid is not None
    gw.leave_rooms(ben_sid)
    assert (await ana.call("chat", {"text": "after"}))["ok"]
    await gw.emit(REMOVED({"code": "removed", "message": "gone"}), to=ben_sid)
    # The notice was sent after the chat: once it is in, the chat would have been too.
    assert (await ben.next("removed"))["code"] == "removed"
    assert ben.inbox["chat"].empty()
    assert (await ana.next("chat"))["message"]["text"] == "after"


async def test_a_client_busy_with_a_burst_longer_than_the_ping_timeout_stays(
    api: Api, server: TestServer, peers: Callable[[], Peer], settings: Settings
) -> None:
    # One connection's events are handled in turn, each acknowledged once committed, and its
    # pongs are read after the events that came before them: a burst that takes longer to
    # handle than the ping interval and timeout (1 + 1 s here) holds its pongs back. The ping
    # check leaves a connection alone while its reader is handling one of its events.
    # Here each event of the burst waits for the commit interval: its backlog does not hurry
    # the writer (tests/server/test_backlog.py), as when commits are slow.
    server.app[SIO].on_backlog = None  # (read by each connection as it opens)
    _, (writer, watcher) = await _joined(api, peers, "Ana", "Ben")
    loop = asyncio.get_running_loop()
    started = loop.time()
    acks = await asyncio.gather(*(writer.call("chat", {"text": f"{i}"}) for i in range(60)))
    took = loop.time() - started
    assert all(a["ok"] for a in acks)
    # the burst did outlast the check (60 commits, one every 50 ms at most)
    assert took > settings.ping_interval + settings.ping_timeout, took
    assert not writer.disconnected.is_set()
    await watcher.nothing("participant_left")
    assert (await writer.call("chat", {"text": "still here"}))["ok"]


async def test_a_socket_that_is_closing_is_queued_nothing_more(
    api: Api, server: TestServer, peers: Callable[[], Peer]
) -> None:
    # From the moment Engine.IO starts closing a socket, a send addressed to it (the answer to an
    # event read before, a notice to that connection alone) is dropped, not queued behind the
    # close. The check runs inside the disconnect hooks, which Engine.IO's close awaits.
    _, (ben,) = await _joined(api, peers, "Ben")
    sio = server.app[SIO]
    assert isinstance(sio, TandemSocketServer)
    sid = ben.sio.get_sid("/")
    eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
    outbox = sio.outboxes[eio_sid]
    assert outbox.open
    sio.send_prepared(eio_sid, packet_sends(sio_packet.EVENT, "/", ["notice", {}]))
    assert outbox.pending and outbox in sio.flusher.dirty  # an open socket's send is queued
    outbox.flush()
    sio.flusher.dirty.remove(outbox)
    during_close: asyncio.Future[tuple[list[bytes], bool, bool]] = (
        asyncio.get_running_loop().create_future())

    async def hook(conn: Any, reason: object) -> None:
        if conn.sid == sid and not during_close.done():
            sio.send_prepared(eio_sid, packet_sends(sio_packet.EVENT, "/", ["notice", {}]))
            during_close.set_result((list(outbox.pending), outbox in sio.flusher.dirty,
                                     outbox.open))

    server.app[CONTEXT].gateway.on_disconnect(hook)
    await sio.eio.sockets[eio_sid].close(wait=False, abort=True)
    pending, marked, still_open = await asyncio.wait_for(during_close, WAIT)
    assert (pending, marked, still_open) == ([], False, False)
