"""The replay feature: clients that reconnect ask for the events of their room they missed
(``server/history.py`` keeps them; the deliverers of chat, captions and whiteboard updates
append to it)."""

from __future__ import annotations

from aiohttp import web

from server.context import Context
from server.replay.events import ReplayEvents


def install(app: web.Application, ctx: Context) -> None:
    ReplayEvents(ctx).register()
