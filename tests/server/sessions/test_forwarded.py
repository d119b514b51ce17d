"""Join links behind a reverse proxy: ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` are honoured
from the proxies the ``trusted_proxies`` setting names, and ignored from anyone else."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from server.app import create_app
from server.settings import Settings
from tests.support import ADMIN_KEY, Clock

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
FORWARDED = {**AUTH, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "mentoring.example.org"}
ServerFactory = Callable[..., Awaitable[TestServer]]


async def _links(aiohttp_server: ServerFactory, settings: Settings, clock: Clock,
                 headers: dict[str, str], **changes: Any) -> tuple[str, list[str]]:
    """The server's own origin, and every join link it made for a request with ``headers``."""
    server = await aiohttp_server(create_app(dataclasses.replace(settings, **changes),
                                             clock=clock))
    origin = str(server.make_url("/")).rstrip("/")
    async with aiohttp.ClientSession(base_url=origin) as http:
        async with http.post("/api/sessions", headers=headers, json={
                "title": "x", "participants": [{"name": "Ana", "role": "mentor"}]}) as resp:
            assert resp.status == 201, await resp.text()
            created = await resp.json()
        async with http.post(f"/api/sessions/{created['session_id']}/links", headers=headers,
                             json={"role": "mentee"}) as resp:
            assert resp.status == 201, await resp.text()
            link = (await resp.json())["url"]
    urls = [*created["join_urls"].values(), created["personal_links"][0]["url"], link]
    return origin, urls


def _nets(*texts: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(t) for t in texts)


@pytest.mark.parametrize("trusted", [("127.0.0.1",), ("10.0.0.0/8", "127.0.0.0/8"),
                                     ("::1", "127.0.0.1/32")])
async def test_a_trusted_proxy_sets_the_scheme_and_host_of_join_links(
    aiohttp_server: ServerFactory, settings: Settings, clock: Clock, trusted: tuple[str, ...]
) -> None:
    _, urls = await _links(aiohttp_server, settings, clock, FORWARDED,
                           trusted_proxies=_nets(*trusted))
    assert all(u.startswith("https://mentoring.example.org/s/") for u in urls), urls


@pytest.mark.parametrize("trusted", [(), ("10.0.0.0/8", "::1")])
async def test_forwarded_headers_from_any_other_peer_are_ignored(
    aiohttp_server: ServerFactory, settings: Settings, clock: Clock, trusted: tuple[str, ...]
) -> None:
    origin, urls = await _links(aiohttp_server, settings, clock, FORWARDED,
                                trusted_proxies=_nets(*trusted))
    assert origin.startswith("http://127.0.0.1:")
    assert all(u.startswith(origin + "/s/") for u in urls), urls


async def test_the_public_url_wins_over_a_trusted_proxy(
    aiohttp_server: ServerFactory, settings: Settings, clock: Clock
) -> None:
    _, urls = await _links(aiohttp_server, settings, clock, FORWARDED,
                           trusted_proxies=_nets("127.0.0.1"),
                           public_url="https://tandem.example.net")
    assert all(u.startswith("https://tandem.example.net/s/") for u in urls), urls


@pytest.mark.parametrize("bad", [{"X-Forwarded-Host": "evil.example/path"},
                                 {"X-Forwarded-Host": "a b"},
                                 {"X-Forwarded-Proto": "javascript"}])
async def test_malformed_forwarded_values_are_ignored_even_from_a_trusted_proxy(
    aiohttp_server: ServerFactory, settings: Settings, clock: Clock, bad: dict[str, str]
) -> None:
    origin, urls = await _links(aiohttp_server, settings, clock, {**AUTH, **bad},
                                trusted_proxies=_nets("127.0.0.1"))
    assert all(u.startswith(origin + "/s/") for u in urls), urls


async def test_the_first_of_several_forwarded_values_is_the_client_facing_one(
    aiohttp_server: ServerFactory, settings: Settings, clock: Clock
) -> None:
    headers = {**AUTH, "X-Forwarded-Proto": "https, http",
               "X-Forwarded-Host": "mentoring.example.org:8443, internal:8080"}
    _, urls = await _links(aiohttp_server, settings, clock, headers,
                           trusted_proxies=_nets("127.0.0.1"))
    assert all(u.startswith("https://mentoring.example.org:8443/s/") for u in urls), urls


@pytest.mark.parametrize("trusted", [True, False])
async def test_the_client_address_comes_from_x_forwarded_for_of_a_trusted_proxy_only(
    aiohttp_server: ServerFactory, settings: Settings, clock: Clock, trusted: bool
) -> None:
    """Behind a proxy every client arrives from the proxy's address: the per-address connection
    cap (here 1) must count the address the proxy saw, and only a trusted proxy may say it."""
    limits = dataclasses.replace(settings.limits, connections_per_address=1)
    server = await aiohttp_server(create_app(dataclasses.replace(
        settings, limits=limits,
        trusted_proxies=_nets("127.0.0.0/8") if trusted else _nets("192.0.2.0/24")),
        clock=clock))
    origin = str(server.make_url("/")).rstrip("/")
    async with aiohttp.ClientSession(base_url=origin) as http:
        async with http.post("/api/sessions", headers=AUTH, json={"title": "x"}) as resp:
            token = (await resp.json())["join_urls"]["mentee"].split("#token=")[1]
    clients: list[socketio.AsyncClient] = []

    async def connect(forwarded_for: str) -> str | None:
        client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        clients.append(client)
        try:
            await client.connect(origin, auth={"token": token}, transports=["websocket"],
                                 headers={"X-Forwarded-For": forwarded_for}, wait_timeout=5)
        except socketio.exceptions.ConnectionError as exc:
            return str(exc)
        return None

    try:
        assert await connect("203.0.113.7") is None
        # another client of the same proxy: its own address when the proxy is trusted
        second = await connect("198.51.100.4, 127.0.0.1")
        assert (second is None) is trusted, second
        # the same client again is over the cap either way
        assert await connect("203.0.113.7") is not None
    finally:
        for client in clients:
            await client.disconnect()
