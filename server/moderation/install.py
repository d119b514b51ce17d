"""The moderation feature: mentors keep their session safe (the waiting room, mute, remove, lock,
end for everyone); the domain's rules are in ``rooms.moderation``."""

from __future__ import annotations

from aiohttp import web

from server.context import Context
from server.moderation.events import ModerationEvents


def install(app: web.Application, ctx: Context) -> None:
    ModerationEvents(ctx).register()
