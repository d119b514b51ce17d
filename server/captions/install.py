"""Live captions: consent, the CC switch, typed and browser captions, the server's own speech
recognition fed by the media plane, and transcript downloads.

The speech model loads once per process: when the server starts (``speech_preload``), or else
when a room first needs captions. Without it (its packages missing, a damaged model), captions
typed by a captioner or recognised by a page still work, and the server says why in its log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from typing import Protocol

from aiohttp import web

from server.captions.events import CaptionEvents, Recogniser, stream_of
from server.captions.routes import TranscriptRoutes
from server.context import Context

logger = logging.getLogger(__name__)

CAPTIONS = web.AppKey("captions", CaptionEvents)


class _Service(Recogniser, Protocol):
    async def close(self) -> None: ...


class LazyRecogniser:
    """The speech service, started on first use (or at once, to preload it). Audio that comes
    while the model loads is dropped: captions start once it is ready.

    First use is someone to listen to in a session whose media is on this process, or else the
    first audio to recognise. With several processes every replica of a session follows whose
    speech is wanted, but only the session's media owner hears anyone: the others never load
    the model."""

    def __init__(self, ctx: Context, events: CaptionEvents) -> None:
        self.ctx, self.events = ctx, events
        self.service: _Service | None = None
        self.failed = False
        self.starting: asyncio.Task[None] | None = None
        ctx.metrics.gauge("tandem_speech_model_started", "1 once this process has begun to load "
                          "the speech model (it is loaded on first use)",
                          lambda: 0.0 if self.starting is None else 1.0)

    def begin(self) -> None:
        if self.starting is None and not self.failed:
            self.starting = asyncio.get_running_loop().create_task(self._start())

    async def _start(self) -> None:
        try:
            from speech import SpeechConfig, SpeechService, SpeechUnavailable
        except ImportError as exc:
            self.failed = True
            logger.warning("server captions unavailable: the speech package is missing (%s)",
                           exc)
            self.events.recognition_unavailable()
            return
        settings = self.ctx.settings
        service = SpeechService(
            SpeechConfig(model_folder=settings.speech_model, workers=settings.speech_workers),
            on_caption=self.events.on_caption, on_behind=self.events.on_behind)
        try:
            await service.start()
        except SpeechUnavailable as exc:
            self.failed = True
            logger.warning("server captions unavailable: %s", exc)
            self.events.recognition_unavailable()
            return
        self.service = service
        for key, (room, number) in self.events.listening.items():
            service.open(stream_of(key, room, number), (key[0], room))

    def open(self, stream: Hashable, group: Hashable) -> None:
        """``stream`` is (session id, participant id, number, room): ``events.stream_of``."""
        if self.service is not None:
            self.service.open(stream, group)
        elif isinstance(stream, tuple) and self.ctx.audio.serves(stream[0]):
            self.begin()

    def feed(self, stream: Hashable, pcm: bytes, now: float) -> None:
        if self.service is not None:
            self.service.feed(stream, pcm, now)
        else:
            self.begin()

    def end(self, stream: Hashable) -> None:
        if self.service is not None:
            self.service.end(stream)

    async def close(self) -> None:
        if self.starting is not None:
            await asyncio.gather(self.starting, return_exceptions=True)
        if self.service is not None:
            service, self.service = self.service, None
            await service.close()


def install(app: web.Application, ctx: Context) -> None:
    events = CaptionEvents(ctx)
    recogniser = LazyRecogniser(ctx, events)
    events.recogniser, events.tap = recogniser, ctx.audio.tap
    ctx.audio.sink = events.on_audio
    events.register()
    ctx.on_evict.append(events.forget_session)
    TranscriptRoutes(ctx).add_to(app)
    app[CAPTIONS] = events

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        if ctx.settings.speech_preload:
            recogniser.begin()
        yield
        # The recogniser first: its last captions may still start tasks, which events.close
        # then cancels.
        await recogniser.close()
        await events.close()

    app.cleanup_ctx.append(lifecycle)
