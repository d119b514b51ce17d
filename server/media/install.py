"""Media through the server: the media plane (``media/``, aiortc's forwarding unit) running with
the app, its socket events, and the plane following who is in which room. With several
processes, each session's server media lives on one of them (``server.media.owner``). Every
server peer connection is closed when the app stops."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from media.plane import MediaLimits, MediaPlane
from server.context import Context
from server.media.events import MediaEvents
from server.media.owner import MediaOwners

MEDIA = web.AppKey("media", MediaEvents)


def install(app: web.Application, ctx: Context) -> None:
    settings = ctx.settings
    events = MediaEvents(ctx)
    events.plane = MediaPlane(
        MediaLimits(max_peers=settings.media_max_peers, last_n=settings.media_last_n,
                    max_publishers_per_room=settings.max_session_size),
        host_addresses=settings.media_addresses,
        on_offer=events.on_offer,
        on_slots=events.on_slots,
        on_speaking=events.on_speaking,
        on_closed=events.on_closed,
        on_audio=events.on_audio,
    )
    if ctx.cluster is not None:
        events.owners = MediaOwners(ctx.cluster, prefix=settings.redis_prefix, run=events.run,
                                    serving=events.serving, lost=events.lost)
    events.register()
    ctx.audio.tap = events.plane
    if events.owners is not None:
        ctx.audio.serves = events.owners.held.__contains__
        ctx.holds.append(events.owners.held.__contains__)  # its media is served here
    app[MEDIA] = events

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        owners = events.owners
        if owners is not None:
            owners.start()
        yield
        if owners is not None:
            await owners.close()
        await events.close()

    app.cleanup_ctx.append(lifecycle)
