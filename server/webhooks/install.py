"""The webhooks feature: an admin registers URLs that hear of attendance and programme events
(docs/PROGRAMMES.md, "Webhooks"), signed, retried with backoff, and logged.

Events reach it two ways, both only enqueueing (``intake``): as a recorder of every batch of
domain events, only in the process where the command was given (each event is announced once
in a cluster), and through ``ctx.announcements``, whose sink it sets, for any feature's own
events (a pair at risk). The outbox (``outbox``) is kept as documents; the sender's lanes post
them (``sender``); a periodic look for due deliveries picks up what another process left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from rooms.errors import TandemError
from rooms.events import Event
from server.announcements import AnnouncementType
from server.context import Context
from server.delivery import origin_here
from server.tasks import TaskSet
from server.webhooks.events import Announced, announcements_for
from server.webhooks.intake import Intake
from server.webhooks.outbox import Outbox, Stats, due_of, people_in
from server.webhooks.routes import WebhookRoutes
from server.webhooks.sender import Sender

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Webhooks:
    ctx: Context
    outbox: Outbox
    sender: Sender
    intake: Intake
    stats: Stats

    async def record(self, events: Sequence[Event]) -> None:
        if not origin_here.get():
            return  # announced where the command was given
        for announced in announcements_for(events):
            self.intake.put(announced)

    def announce(self, type: AnnouncementType, data: Mapping[str, Any], at: float) -> None:
        body = dict(data)
        self.intake.put(Announced(type, at, body, person_ids=people_in(body)))

    async def rescan(self) -> None:
        """Schedule every pending delivery (those of another process included)."""
        async for doc in self.outbox.pending():
            self.sender.schedule(due_of(doc))
        await self.outbox.forget_old_holds(self.ctx.clock())

    async def rescans(self) -> None:
        while True:
            try:
                await self.rescan()
            except (TandemError, OSError):
                logger.exception("webhooks: looking for due deliveries failed; trying later")
            await asyncio.sleep(self.ctx.settings.webhooks.rescan)


WEBHOOKS = web.AppKey("webhooks", Webhooks)


def install(app: web.Application, ctx: Context) -> None:
    settings = ctx.settings.webhooks
    stats = Stats()
    outbox = Outbox(ctx.documents, settings, ctx.settings.attendance_grace, stats)
    sender = Sender(outbox, settings, ctx.clock, stats)
    intake = Intake(outbox, sender, ctx.clock, settings.queue, stats)
    hooks = Webhooks(ctx, outbox, sender, intake, stats)
    app[WEBHOOKS] = hooks
    ctx.delivery.add_recorder(hooks.record)
    ctx.announcements.sink = hooks.announce
    WebhookRoutes(ctx, outbox, sender).add_to(app)
    # (through the intake: what waits there is dropped too, and no batch lands after it)
    ctx.erasure.person.append(lambda person: intake.erase(
        lambda a: person in a.person_ids, lambda: outbox.erase_person(person, ctx.clock())))
    ctx.erasure.participant.append(lambda session, participant: intake.erase(
        lambda a: (a.data.get("session_id"), a.data.get("participant_id")) == (session,
                                                                               participant),
        lambda: outbox.erase_participant(session, participant, ctx.clock())))
    ctx.erasure.expired.append(lambda before: intake.erase(
        lambda a: a.at < before, lambda: outbox.expire(before, ctx.clock())))
    if ctx.metrics.enabled:
        ctx.metrics.gauge("tandem_webhook_dropped", "Webhook announcements or deliveries "
                          "dropped (a full queue or outbox, or the database away)",
                          lambda: stats.dropped)
        ctx.metrics.gauge("tandem_webhook_delivered", "Webhook deliveries delivered",
                          lambda: stats.delivered)
        ctx.metrics.gauge("tandem_webhook_failed", "Webhook deliveries given up after every "
                          "attempt", lambda: stats.failed)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        tasks = TaskSet()
        await sender.start()
        tasks.spawn(intake.run())
        tasks.spawn(hooks.rescans())
        yield
        await tasks.close()
        with contextlib.suppress(TandemError, OSError):
            await intake.flush()  # what waits is kept, to be sent after the restart
        await sender.close()

    app.cleanup_ctx.append(lifecycle)
