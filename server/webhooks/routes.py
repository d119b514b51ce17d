"""REST for webhooks (admin key): register, list, delete, the delivery log, and a test ping."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from rooms.errors import InvalidPayload, RateLimited
from server.context import Context
from server.documents import Document
from server.http import Admin, NotFound, json_body, require_admin
from server.openapi import query_params
from server.protocol import parse, parse_json
from server.webhooks.guard import check_url
from server.webhooks.outbox import Hook, Outbox
from server.webhooks.sender import Sender
from server.webhooks.wire import (
    HOOK_ID_PATTERN,
    DeliveriesQuery,
    DeliveryList,
    DeliveryOut,
    PingQueued,
    WebhookCreated,
    WebhookDeleted,
    WebhookIn,
    WebhookList,
    WebhookOut,
)

ERRORS = {
    400: "invalid_payload (the body or a parameter does not fit the schema), or "
         "webhook_url_refused: not http(s), credentials in the URL, or a host that is not "
         "public",
    401: "unauthorized: the admin key is missing or wrong",
    404: "not_found: no such webhook",
    409: "too_many_webhooks: the server's limit (20) is reached",
    413: "payload_too_large: the body is over the request bound (64 KiB)",
    429: "rate_limited: too many wrong admin keys from this address within a minute, or too "
         "many of this webhook's deliveries are waiting",
}
HOOK_PARAM = [{"name": "webhook_id", "in": "path", "required": True,
               "schema": {"type": "string", "pattern": HOOK_ID_PATTERN}}]


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}


def _op(summary: str, ok: tuple[int, type[BaseModel]], errors: tuple[int, ...],
        body: type[BaseModel] | None = None,
        parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": [{"adminKey": []}],
        "responses": {str(ok[0]): {"description": "success", "content": _ref(ok[1])},
                      **{str(s): {"description": ERRORS[s], "content": _ref_error()}
                         for s in sorted({*errors, 401, 429})}},
    }
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": _ref(body)}
    return op


def _ref_error() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _out(hook: Hook) -> WebhookOut:
    return WebhookOut(id=hook.id, url=hook.url, events=list(hook.events),  # type: ignore[arg-type]
                      description=hook.description, created_at=hook.created_at)


def _delivery(doc: Document) -> DeliveryOut:
    b = doc.body
    return DeliveryOut(id=b["id"], event=b["event"], at=b["at"], attempts=b["attempts"],
                       state=b["state"], last_status=b["last_status"],
                       last_error=b["last_error"], next_at=b["next_at"])


@dataclass(slots=True)
class WebhookRoutes:
    ctx: Context
    outbox: Outbox
    sender: Sender

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/webhooks", self.create)
        r.add_get("/api/webhooks", self.list)
        r.add_delete("/api/webhooks/{webhook_id}", self.delete)
        r.add_get("/api/webhooks/{webhook_id}/deliveries", self.deliveries)
        r.add_post("/api/webhooks/{webhook_id}/test", self.test)
        doc = self.ctx.openapi
        doc.add("/api/webhooks", "post", _op(
            "Register a webhook (its signing secret is in this answer only)",
            (201, WebhookCreated), (400, 409, 413), body=WebhookIn), (WebhookCreated, WebhookIn))
        doc.add("/api/webhooks", "get", _op("The webhooks (without their secrets)",
                                            (200, WebhookList), ()), (WebhookList,))
        doc.add("/api/webhooks/{webhook_id}", "delete", _op(
            "Delete a webhook and its deliveries", (200, WebhookDeleted), (400, 404),
            parameters=HOOK_PARAM), (WebhookDeleted,))
        doc.add("/api/webhooks/{webhook_id}/deliveries", "get", _op(
            "A webhook's latest deliveries, newest first", (200, DeliveryList), (400, 404),
            parameters=HOOK_PARAM + query_params(DeliveriesQuery)), (DeliveryList,))
        doc.add("/api/webhooks/{webhook_id}/test", "post", _op(
            "Send the webhook a ping delivery", (202, PingQueued), (400, 404),
            parameters=HOOK_PARAM), (PingQueued,))

    async def _admin(self, request: web.Request) -> Admin:
        return await require_admin(request)

    async def _hook(self, request: web.Request) -> Hook:
        hook_id = request.match_info["webhook_id"]
        if not re.fullmatch(HOOK_ID_PATTERN, hook_id):
            raise InvalidPayload("webhook_id: not a webhook id.")
        hook = await self.outbox.hook(hook_id)
        if hook is None:
            raise NotFound(f"There is no webhook {hook_id}.")
        return hook

    async def create(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        body = parse_json(WebhookIn, await json_body(request))
        await check_url(body.url, allow_private=self.ctx.settings.webhooks.allow_private)
        hook = await self.outbox.add_hook(body.url, body.events, body.description or "",
                                          self.ctx.clock())
        await self.ctx.audit.record(admin, "webhook.created", f"webhooks/{hook.id}",
                                    {"events": len(hook.events)})
        created = WebhookCreated(**_out(hook).model_dump(), secret=hook.secret)
        return web.json_response(created.model_dump(), status=201)

    async def list(self, request: web.Request) -> web.Response:
        await self._admin(request)
        hooks = [_out(h) for h in await self.outbox.hooks()]
        return web.json_response(WebhookList(webhooks=hooks).model_dump())

    async def delete(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        hook = await self._hook(request)
        if not await self.outbox.delete_hook(hook.id, self.ctx.clock()):
            raise NotFound(f"There is no webhook {hook.id}.")
        self.sender.forget(hook.id)
        await self.ctx.audit.record(admin, "webhook.deleted", f"webhooks/{hook.id}")
        return web.json_response(WebhookDeleted(id=hook.id, deleted=True).model_dump())

    async def deliveries(self, request: web.Request) -> web.Response:
        await self._admin(request)
        hook = await self._hook(request)
        query = parse(DeliveriesQuery, dict(request.query))
        docs = (await self.outbox.deliveries(hook.id))[-query.limit:]
        log = DeliveryList(deliveries=[_delivery(d) for d in reversed(docs)])
        return web.json_response(log.model_dump())

    async def test(self, request: web.Request) -> web.Response:
        await self._admin(request)
        hook = await self._hook(request)
        now = self.ctx.clock()
        put = self.outbox.new_delivery(hook, "ping", now, {"webhook_id": hook.id}, now)
        dues = await self.outbox.add([put], now)
        if not dues:
            raise RateLimited("Too many of this webhook's deliveries are waiting; try later.")
        for due in dues:
            self.sender.schedule(due)
        return web.json_response(PingQueued(delivery_id=put.body["id"]).model_dump(),
                                 status=202)
