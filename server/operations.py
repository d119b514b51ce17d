"""The operator's endpoints: ``/healthz`` (the process is alive), ``/readyz`` (its dependencies
answer: ``server/health.py``) and ``/metrics`` (Prometheus: ``server/metrics.py``).

``/healthz`` answers anyone: it says nothing but that the event loop runs, and load balancers,
orchestrators and the test harness probe it. ``/readyz`` and ``/metrics`` hold no personal data,
but they do describe the server's load and its dependencies, so they answer only loopback, the
trusted proxies (``--trusted-proxies``, asking for themselves: a client they forward keeps its
own address) and the addresses of ``--ops-from``; anyone else gets 403 ``not_allowed``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, Literal

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import BaseModel

from rooms.errors import NotAllowed
from server.health import Health, Outcome
from server.http import ErrorBody
from server.metrics import CONTENT_TYPE, Metrics
from server.openapi import OpenApi
from server.settings import IpNetwork, Settings

LOOPBACK: tuple[IpNetwork, ...] = (ipaddress.ip_network("127.0.0.0/8"),
                                   ipaddress.ip_network("::1/128"))


class HealthOut(BaseModel):
    ok: Literal[True]


class ReadinessOut(BaseModel):
    ok: bool
    checks: dict[str, Outcome]


def may_read(remote: str | None, allowed: Sequence[IpNetwork]) -> bool:
    """Whether a client at ``remote`` (the request's address, after ``X-Forwarded-For`` from a
    trusted proxy) may read ``/readyz`` and ``/metrics``."""
    try:
        address = ipaddress.ip_address(remote or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in net for net in allowed)


def install(app: web.Application, settings: Settings, health: Health, metrics: Metrics,
            openapi: OpenApi) -> None:
    allowed = (*LOOPBACK, *settings.trusted_proxies, *settings.ops_from)
    registry: CollectorRegistry | None = metrics.registry() if metrics.enabled else None

    def guard(request: web.Request) -> None:
        if not may_read(request.remote, allowed):
            raise NotAllowed("This is served to the server's own machine, its trusted "
                                 "proxies and the --ops-from addresses only.")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response(HealthOut(ok=True).model_dump())

    async def readyz(request: web.Request) -> web.Response:
        guard(request)
        readiness = await health.readiness()
        body = ReadinessOut(ok=readiness.ready, checks=readiness.checks)
        return web.json_response(body.model_dump(), status=200 if readiness.ready else 503,
                                 headers={"Cache-Control": "no-store"})

    async def metrics_text(request: web.Request) -> web.Response:
        guard(request)
        assert registry is not None
        return web.Response(body=generate_latest(registry), headers={
            "Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if registry is not None:
        app.router.add_get("/metrics", metrics_text)
    _document(openapi, metrics_served=registry is not None)


def _document(openapi: OpenApi, *, metrics_served: bool) -> None:
    refused = {"403": {"description": "not_allowed: the client's address is not loopback, a "
                       "trusted proxy or one of --ops-from",
                       "content": {"application/json": {"schema": {
                           "$ref": "#/components/schemas/ErrorBody"}}}}}
    openapi.add("/healthz", "get", {
        "summary": "Liveness: answers while the server's event loop runs, whatever its "
                   "dependencies",
        "responses": {"200": {"description": "alive", "content": _json(HealthOut)}},
    }, (HealthOut, ErrorBody))
    openapi.add("/readyz", "get", {
        "summary": "Readiness: every registered dependency answered within the last second or "
                   "so (loopback, trusted proxies and --ops-from only)",
        "responses": {
            "200": {"description": "ready: every check is ok", "content": _json(ReadinessOut)},
            "503": {"description": "not ready: a check failed or timed out",
                    "content": _json(ReadinessOut)},
            **refused,
        },
    }, (ReadinessOut,))
    if metrics_served:
        openapi.add("/metrics", "get", {
            "summary": "This process's metrics in the Prometheus text format (loopback, "
                       "trusted proxies and --ops-from only)",
            "responses": {
                "200": {"description": "the exposition (README, Operations, lists the metrics)",
                        "content": {CONTENT_TYPE: {"schema": {"type": "string"}}}},
                **refused,
            },
        }, ())


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
