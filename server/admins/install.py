"""The admins feature: admin accounts, each with a key of its own, so that what admins do is
attributed to them (the server's own admin key stays as the owner's), and the audit log's REST.
Its accounts' keys are known to ``require_admin`` through ``ADMIN_KEYS``."""

from __future__ import annotations

from aiohttp import web

from server.admins.accounts import Accounts
from server.admins.routes import AdminRoutes
from server.context import Context
from server.http import ADMIN_KEYS


def install(app: web.Application, ctx: Context) -> None:
    accounts = Accounts(ctx.documents, ctx.audit, ctx.clock)
    app[ADMIN_KEYS].accounts = accounts.by_key
    AdminRoutes(ctx, accounts).add_to(app)
