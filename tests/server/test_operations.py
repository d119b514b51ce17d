"""The operator's endpoints against a real server: /metrics moves by what clients really did,
/readyz follows a dependency that really fails and recovers while /healthz stays up, and both
answer only the addresses they should."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families

from server.app import CONTEXT, create_app
from server.database import DATABASE_FILE
from server.metrics import UNKNOWN_EVENT, Histogram
from server.operations import LOOPBACK, may_read
from server.settings import Settings
from tests.support import Api, Clock, Peer, eventually

ServerFactory = Callable[..., Awaitable[TestServer]]
PROCESS = "worker-7"
# name -> labels (without ``process``) -> value
Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, process_name=PROCESS)


async def scrape(http: aiohttp.ClientSession, headers: dict[str, str] | None = None) -> Samples:
    async with http.get("/metrics", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await resp.text()
    samples: Samples = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert sample.labels.get("process") == PROCESS, sample
            labels = frozenset((k, v) for k, v in sample.labels.items() if k != "process")
            samples[sample.name][labels] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[name].get(frozenset(labels.items()), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def status(http: aiohttp.ClientSession, path: str) -> tuple[int, Any]:
    async with http.get(path) as resp:
        return resp.status, await resp.json()


# -- /metrics ---------------------------------------------------------------------------------


async def test_metrics_move_by_what_clients_did(api: Api, peers: Callable[[], Peer],
                                                http: aiohttp.ClientSession) -> None:
    s = await api.create_session()
    ana, ben = peers(), peers()
    before = await scrape(http)
    assert value(before, "tandem_connections") == 0
    await ana.connect(api.token(s["join_urls"]["mentor"]))
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    connected = await scrape(http)
    assert value(connected, "tandem_connections") == 2
    assert value(connected, "tandem_connections_joined") == 0
    await ana.join("Ana")
    await ben.join("Ben")
    for _ in range(3):
        assert (await ana.call("chat", {"text": "hello"}))["ok"]
    await ana.barrier()
    await ben.barrier()
    after = await scrape(http)

    assert value(after, "tandem_connections_joined") == 2
    assert moved(before, after, "tandem_events_in_total", event="join") == 2
    assert moved(before, after, "tandem_events_in_total", event="chat") == 3
    # Two barriers: events with no handler, whatever their name.
    assert moved(before, after, "tandem_events_in_total", event=UNKNOWN_EVENT) == 2
    # Every chat reached both members (the sender too): each one written to two sockets.
    chats = ana.inbox["chat"].qsize() + ben.inbox["chat"].qsize()
    assert chats == 6
    assert moved(before, after, "tandem_events_out_total", event="chat") == 3
    assert moved(before, after, "tandem_deliveries_total", event="chat") == chats
    joined_seen = ana.inbox["participant_joined"].qsize() + ben.inbox["participant_joined"].qsize()
    assert moved(before, after, "tandem_deliveries_total", event="participant_joined") \
        >= joined_seen >= 1
    # One acknowledgement latency per event read; a chat is acknowledged after its commit.
    assert moved(before, after, "tandem_ack_seconds_count", event="chat") == 3
    assert moved(before, after, "tandem_ack_seconds_bucket", event="chat", le="+Inf") == 3
    assert moved(before, after, "tandem_ack_seconds_count", event="join") == 2
    assert moved(before, after, "tandem_ack_seconds_sum", event="chat") > 0
    commits = moved(before, after, "tandem_ledger_commit_seconds_count")
    assert commits >= 1 and moved(before, after, "tandem_ledger_commit_seconds_sum") > 0
    assert value(after, "tandem_ledger_commit_seconds_bucket", le="+Inf") == \
        value(after, "tandem_ledger_commit_seconds_count")
    assert value(after, "tandem_ledger_commit_failures_total") == 0
    # The Redis histogram is there for the Redis store to fill; nothing else touches it.
    assert value(after, "tandem_redis_round_trip_seconds_count") == 0
    # prometheus-client's own process figures carry the process label too (scrape checks it).
    assert value(after, "process_cpu_seconds_total") > 0


async def test_the_redis_histogram_counts_what_is_observed(
        server: TestServer, http: aiohttp.ClientSession) -> None:
    metrics = server.app[CONTEXT].metrics
    for seconds in (0.0002, 0.0002, 0.003, 2.0):
        metrics.redis_round_trip.observe(seconds)
    after = await scrape(http)
    assert value(after, "tandem_redis_round_trip_seconds_count") == 4
    assert value(after, "tandem_redis_round_trip_seconds_bucket", le="0.00025") == 2
    assert value(after, "tandem_redis_round_trip_seconds_bucket", le="0.005") == 3
    assert value(after, "tandem_redis_round_trip_seconds_bucket", le="1.0") == 3
    assert value(after, "tandem_redis_round_trip_seconds_bucket", le="+Inf") == 4
    assert value(after, "tandem_redis_round_trip_seconds_sum") == pytest.approx(2.0034)


async def test_a_thousand_event_names_make_one_label(api: Api, peers: Callable[[], Peer],
                                                     http: aiohttp.ClientSession,
                                                     server: TestServer) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    await peer.join("Ana")
    before = await scrape(http)
    for i in range(1000):
        await peer.sio.emit(f"made-up-{i}", {"n": i})
    # A round trip after the thousand on the same connection (the barrier's own event would be
    # rate limited by now, as most of the thousand were: answered all the same, in order).
    ack = await peer.call("made-up-last", {})
    assert ack["error"]["code"] in ("unknown_event", "rate_limited"), ack
    after = await scrape(http)
    assert moved(before, after, "tandem_events_in_total", event=UNKNOWN_EVENT) == 1001
    allowed = {*server.app[CONTEXT].gateway.registered, UNKNOWN_EVENT}
    for name in ("tandem_events_in_total", "tandem_ack_seconds_count"):
        events = {dict(labels)["event"] for labels in after[name]}
        assert events <= allowed, events - allowed
    assert not any("made-up" in dict(labels).get("event", "") for series in after.values()
                   for labels in series)


async def test_without_metrics_nothing_is_counted_or_served(
        aiohttp_server: ServerFactory, settings: Settings, clock: Clock) -> None:
    app = create_app(dataclasses.replace(settings, metrics=False), clock=clock)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        api = Api(http, server)
        s = await api.create_session()
        peer = Peer(str(server.make_url("/")))
        try:
            await peer.connect(api.token(s["join_urls"]["mentee"]))
            await peer.join("Ana")
            assert (await peer.call("chat", {"text": "hello"}))["ok"]
        finally:
            await peer.close()
        async with http.get("/metrics") as resp:
            assert resp.status == 404
        assert await status(http, "/readyz") == (200, {"ok": True, "checks": {"sqlite": "ok"}})
        async with http.get("/api/openapi.json") as resp:
            assert "/metrics" not in (await resp.json())["paths"]
    traffic = app[CONTEXT].metrics.traffic
    assert traffic.events_in == {} and traffic.deliveries == {}
    assert app[CONTEXT].metrics.ledger_commit.count == 0


def test_histogram_buckets_are_cumulative_and_inclusive() -> None:
    histogram = Histogram((0.1, 1.0))
    for seconds in (0.05, 0.1, 0.5, 1.0, 3.0):
        histogram.observe(seconds)
    assert histogram.cumulative() == [("0.1", 2.0), ("1.0", 4.0), ("+Inf", 5.0)]
    assert histogram.count == 5 and histogram.sum == pytest.approx(4.65)


# -- /readyz and /healthz ---------------------------------------------------------------------


async def test_readyz_follows_the_database_and_healthz_stays_up(
        http: aiohttp.ClientSession, settings: Settings) -> None:
    assert await status(http, "/readyz") == (200, {"ok": True, "checks": {"sqlite": "ok"}})
    # Another connection takes the database's write lock (as a backup tool or a stray sqlite3
    # shell can): the writer cannot commit.
    holder = sqlite3.connect(settings.data_dir / DATABASE_FILE, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")

        async def not_ready() -> bool:
            code, body = await status(http, "/readyz")
            return code == 503 and body == {"ok": False, "checks": {"sqlite": "timed_out"}}

        await eventually(not_ready, timeout=15, what="/readyz answering 503")
        assert await status(http, "/healthz") == (200, {"ok": True})
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    async def ready() -> bool:
        return (await status(http, "/readyz"))[0] == 200

    await eventually(ready, timeout=15, what="/readyz answering 200 again")
    assert await status(http, "/healthz") == (200, {"ok": True})


class Upstream:
    """A real TCP service that a readiness check connects to, stopped and started again."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"+PONG\r\n")
            await writer.drain()
            writer.close()

        self.server = await asyncio.start_server(answer, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def check(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            if await reader.readline() != b"+PONG\r\n":
                raise ConnectionError("no PONG")
        finally:
            writer.close()


async def test_a_registered_check_makes_readyz_fail_and_recover(
        aiohttp_server: ServerFactory, settings: Settings, clock: Clock) -> None:
    upstream = Upstream()
    await upstream.start()
    app = create_app(settings, clock=clock)
    app[CONTEXT].health.add_check("upstream", upstream.check)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        assert await status(http, "/readyz") == (
            200, {"ok": True, "checks": {"sqlite": "ok", "upstream": "ok"}})
        await upstream.stop()

        async def answers(code: int, outcome: str) -> bool:
            got, body = await status(http, "/readyz")
            return got == code and body["checks"] == {"sqlite": "ok", "upstream": outcome}

        await eventually(lambda: answers(503, "failed"), what="/readyz answering 503")
        assert await status(http, "/healthz") == (200, {"ok": True})
        await upstream.start()  # on the same port
        await eventually(lambda: answers(200, "ok"), what="/readyz answering 200 again")
        await upstream.stop()


async def test_probes_share_one_run_and_a_hung_check_times_out(
        aiohttp_server: ServerFactory, settings: Settings, clock: Clock) -> None:
    runs = 0
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        nonlocal runs
        runs += 1
        entered.set()
        await release.wait()

    hangs = asyncio.Event()  # never set

    app = create_app(settings, clock=clock)
    health = app[CONTEXT].health
    health.add_check("slow", slow)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        probes = [asyncio.ensure_future(status(http, "/readyz")) for _ in range(50)]
        await entered.wait()
        release.set()
        answers = await asyncio.gather(*probes)
        assert runs == 1  # fifty probes, one run of the checks
        assert all(a == (200, {"ok": True, "checks": {"sqlite": "ok", "slow": "ok"}})
                   for a in answers), answers
        health.timeout = 0.2
        health.add_check("hangs", hangs.wait)  # a new check: the next probe runs them all
        code, body = await status(http, "/readyz")
        assert (code, body["checks"]["hangs"]) == (503, "timed_out")


async def test_a_failing_check_shows_and_logs_no_secret(
        aiohttp_server: ServerFactory, settings: Settings, clock: Clock,
        caplog: pytest.LogCaptureFixture) -> None:
    async def leaky() -> None:
        raise ConnectionError("cannot reach redis://tandem:hunter2@10.1.2.3:6379/0")

    app = create_app(settings, clock=clock)
    app[CONTEXT].health.add_check("redis", leaky)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        with caplog.at_level(logging.DEBUG):
            async with http.get("/readyz") as resp:
                text = await resp.text()
                assert resp.status == 503
    assert json.loads(text) == {"ok": False, "checks": {"sqlite": "ok", "redis": "failed"}}
    assert "hunter2" not in caplog.text and "10.1.2.3" not in caplog.text
    assert "readiness check redis: failed (ConnectionError)" in caplog.text


def test_check_names_are_short_words_and_unique(server: TestServer) -> None:
    health = server.app[CONTEXT].health

    async def fine() -> None:
        return None

    for name in ("", "Redis", "redis url", "x" * 33):
        with pytest.raises(ValueError):
            health.add_check(name, fine)
    with pytest.raises(ValueError):
        health.add_check("sqlite", fine)


# -- who may read them ------------------------------------------------------------------------


async def test_readyz_and_metrics_answer_only_local_proxies_and_ops_from(
        aiohttp_server: ServerFactory, settings: Settings, clock: Clock) -> None:
    outside = {"X-Forwarded-For": "203.0.113.7"}
    for ops_from, allowed in (((), False), ((ipaddress.ip_network("203.0.113.0/24"),), True)):
        app = create_app(dataclasses.replace(
            settings, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
            ops_from=ops_from), clock=clock)
        server = await aiohttp_server(app)
        async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
            for path in ("/readyz", "/metrics"):
                # The proxy asking for itself (a load balancer's probe) may read them ...
                async with http.get(path) as resp:
                    assert resp.status == 200, path
                # ... a client it forwards only from --ops-from.
                async with http.get(path, headers=outside) as resp:
                    assert resp.status == (200 if allowed else 403), path
                    if not allowed:
                        body = await resp.json()
                        assert body["error"]["code"] == "not_allowed"
                        assert "203.0.113.7" not in body["error"]["message"]
            async with http.get("/healthz", headers=outside) as resp:
                assert resp.status == 200  # liveness answers anyone
        await server.close()


def test_who_may_read() -> None:
    proxy = (ipaddress.ip_network("10.0.0.5/32"),)
    assert may_read("127.0.0.1", LOOPBACK) and may_read("127.8.0.1", LOOPBACK)
    assert may_read("::1", LOOPBACK) and may_read("::ffff:127.0.0.1", LOOPBACK)
    assert may_read("10.0.0.5", (*LOOPBACK, *proxy))
    assert not may_read("10.0.0.6", (*LOOPBACK, *proxy))
    assert not may_read("192.0.2.1", LOOPBACK)
    assert not may_read(None, LOOPBACK) and not may_read("not an address", LOOPBACK)
