"""REST for admin accounts (the owner key only: create, list, rotate a key, disable) and the
audit log (any admin)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from server.admins.accounts import Account, Accounts
from server.admins.wire import (
    ADMIN_ID_PATTERN,
    AdminKeyOut,
    AdminOut,
    AdminsOut,
    AuditOut,
    AuditQuery,
    CreateAdminRequest,
)
from server.context import Context
from server.http import NotFound, json_body, require_admin, require_owner
from server.openapi import query_params
from server.protocol import parse, parse_json

logger = logging.getLogger(__name__)

_ADMIN_ID = re.compile(ADMIN_ID_PATTERN)
ADMIN_PARAM = [{"name": "admin_id", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": ADMIN_ID_PATTERN}}]


def _admin_id(request: web.Request) -> str:
    # Not an account's id (the owner's, "owner", included): no such account.
    admin_id = request.match_info["admin_id"]
    if not _ADMIN_ID.fullmatch(admin_id):
        raise NotFound(f"There is no admin account {admin_id[:80]!r}.")
    return admin_id


def _with_key(account: Account, key: str) -> dict[str, Any]:
    return AdminKeyOut(id=account.id, name=account.name, email=account.email,
                       created_at=account.created_at, key=key).model_dump(mode="json")


@dataclass(slots=True)
class AdminRoutes:
    ctx: Context
    accounts: Accounts

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/admins", self.create)
        r.add_get("/api/admins", self.list)
        r.add_post("/api/admins/{admin_id}/key", self.rotate)
        r.add_delete("/api/admins/{admin_id}", self.disable)
        r.add_get("/api/audit", self.audit)
        doc = self.ctx.openapi
        doc.operation("/api/admins", "post",
                      "Create an admin account (owner key only); its key is in this answer only",
                      (201, AdminKeyOut), (400, 401, 403, 413), body=CreateAdminRequest)
        doc.operation("/api/admins", "get", "The admin accounts (owner key only; no keys)",
                      (200, AdminsOut), (401, 403))
        doc.operation("/api/admins/{admin_id}/key", "post",
                      "A new key for an admin (owner key only); the old one stops working",
                      (200, AdminKeyOut), (400, 401, 403, 404, 409), parameters=ADMIN_PARAM)
        doc.operation("/api/admins/{admin_id}", "delete",
                      "Disable an admin (owner key only): their key stops working, their entries "
                      "in the audit log stay", (200, AdminOut), (400, 401, 403, 404),
                      parameters=ADMIN_PARAM)
        doc.operation("/api/audit", "get",
                      "The audit log, oldest first: who did what to what (any admin)",
                      (200, AuditOut), (400, 401), parameters=query_params(AuditQuery))

    async def create(self, request: web.Request) -> web.Response:
        owner = await require_owner(request)
        body = parse_json(CreateAdminRequest, await json_body(request))
        account, key = await self.accounts.create(owner, body.name, body.email)
        logger.info("admin %s created by %s", account.id, owner.id)
        return web.json_response(_with_key(account, key), status=201,
                                 headers={"Cache-Control": "no-store"})

    async def list(self, request: web.Request) -> web.Response:
        await require_owner(request)
        out = AdminsOut(admins=[AdminOut(**a.wire()) for a in await self.accounts.all()])
        return web.json_response(out.model_dump(mode="json"))

    async def rotate(self, request: web.Request) -> web.Response:
        owner = await require_owner(request)
        account, key = await self.accounts.rotate(owner, _admin_id(request))
        logger.info("admin %s has a new key, made by %s", account.id, owner.id)
        return web.json_response(_with_key(account, key), headers={"Cache-Control": "no-store"})

    async def disable(self, request: web.Request) -> web.Response:
        owner = await require_owner(request)
        account = await self.accounts.disable(owner, _admin_id(request))
        logger.info("admin %s disabled by %s", account.id, owner.id)
        return web.json_response(AdminOut(**account.wire()).model_dump(mode="json"))

    async def audit(self, request: web.Request) -> web.Response:
        await require_admin(request)
        query = parse(AuditQuery, dict(request.query))
        entries, after = await self.ctx.audit.entries(after=query.after, limit=query.limit,
                                                      action=query.action)
        return web.json_response({"entries": [e.wire() for e in entries], "next": after},
                                 headers={"Cache-Control": "no-store"})
