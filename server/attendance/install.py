"""The attendance feature: every domain event recorded in the ledger, the participants' own
attendance events, and REST reports and exports for admins (the retention rule is the core's:
``server.retention``)."""

from __future__ import annotations

import logging

from aiohttp import web

from server.attendance.events import AttendanceEvents
from server.attendance.routes import AttendanceRoutes
from server.context import Context

logger = logging.getLogger(__name__)

def install(app: web.Application, ctx: Context) -> None:
    AttendanceEvents(ctx).register()
    AttendanceRoutes(ctx).add_to(app)
