"""Posting deliveries: one lane per webhook (one attempt at a time, in the order they fall due),
at most ``concurrency`` attempts in flight in all, so a slow or hanging receiver delays only its
own deliveries, and each attempt ends within ``timeout``.

An attempt first claims the delivery (its attempt count goes up and it is leased for the
attempt's time, a change that requires the version it read), then posts the signed payload
(redirects not followed, the answer's body read up to 64 KiB and ignored), then keeps the outcome:
``delivered`` on a 2xx, else another try after the next wait of ``backoff`` (lengthened by up to
a quarter at random), or ``failed`` when none is left. A process that stops mid-attempt leaves
the lease, after which the delivery is tried again.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from rooms.errors import WebhookUrlRefused
from server.documents import Change, Delete, Document
from server.settings import WebhookSettings
from server.tasks import TaskSet
from server.webhooks.guard import AddressRefused, GuardedResolver, is_public, parse_url
from server.webhooks.outbox import HOLD, Due, Outbox, Stats
from server.webhooks.signing import headers

logger = logging.getLogger(__name__)

READ_AT_MOST = 64 * 1024
LEASE_MARGIN = 30.0  # seconds beyond an attempt's timeout before another process may retry it
NOT_YET = 1.0  # the least wait before looking again at a delivery leased by another attempt


@dataclass(slots=True)
class Lane:
    """One webhook's deliveries, by when each falls due (loop time)."""

    due: list[tuple[float, str]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Sender:
    def __init__(self, outbox: Outbox, settings: WebhookSettings, clock: Callable[[], float],
                 stats: Stats) -> None:
        self.outbox, self.settings, self.clock, self.stats = outbox, settings, clock, stats
        self.lanes: dict[str, Lane] = {}
        self.tasks = TaskSet()
        self.slots = asyncio.Semaphore(settings.concurrency)
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private=self.settings.allow_private),
            use_dns_cache=False, limit=self.settings.concurrency)
        self.http = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            trust_env=False, auto_decompress=False)

    async def close(self) -> None:
        await self.tasks.close()
        if self.http is not None:
            await self.http.close()

    # -- scheduling -------------------------------------------------------------------------------

    def schedule(self, due: Due) -> None:
        lane = self.lanes.setdefault(due.hook_id, Lane())
        if due.key in lane.keys:
            return
        loop = asyncio.get_running_loop()
        heapq.heappush(lane.due, (loop.time() + max(0.0, due.at - self.clock()), due.key))
        lane.keys.add(due.key)
        lane.wake.set()
        if lane.task is None or lane.task.done():
            lane.task = self.tasks.spawn(self._run(lane))

    def forget(self, hook_id: str) -> None:
        """The webhook is gone: stop its lane (an attempt in flight is cancelled)."""
        lane = self.lanes.pop(hook_id, None)
        if lane is not None and lane.task is not None:
            lane.task.cancel()

    async def _run(self, lane: Lane) -> None:
        loop = asyncio.get_running_loop()
        while lane.due:
            deadline, key = lane.due[0]
            wait = deadline - loop.time()
            if wait > 0:
                lane.wake.clear()
                try:
                    await asyncio.wait_for(lane.wake.wait(), wait)
                except TimeoutError:
                    pass
                continue
            heapq.heappop(lane.due)
            lane.keys.discard(key)
            async with self.slots:
                try:
                    await self.attempt(key)
                except Exception:  # one delivery's fault never stops its lane
                    logger.exception("webhook delivery %s: attempt failed unexpectedly", key)

    # -- one attempt ------------------------------------------------------------------------------

    async def attempt(self, key: str) -> None:
        doc = await self.outbox.delivery(key)
        if doc is None or doc.body["state"] != "pending":
            return
        now = self.clock()
        lease = doc.body.get("lease_until")
        if lease is not None and lease > now:  # another attempt holds it
            self.schedule(Due(key, doc.scope, max(float(lease), now + NOT_YET)))
            return
        hook = await self.outbox.hook(doc.scope)
        if hook is None:
            return  # deleted with its deliveries
        attempts = int(doc.body["attempts"]) + 1
        also: tuple[Change, ...] = ()
        if doc.body.get("hold") and attempts == 1:
            also = (Delete(HOLD, key=doc.body["hold"]),)  # the grace is over: the leave stands
        claimed = await self.outbox.change(
            doc, {**doc.body, "attempts": attempts,
                  "lease_until": now + self.settings.timeout + LEASE_MARGIN}, now, also)
        if claimed is None:
            return  # deleted or claimed meanwhile
        self.stats.attempts += 1
        status, error = await self._post(hook.url, hook.secret, claimed)
        await self._outcome(claimed, attempts, status, error)

    async def _post(self, url: str, secret: str, doc: Document) -> tuple[int | None, str | None]:
        assert self.http is not None
        body = doc.body["payload"].encode()
        try:
            target = parse_url(url)
        except WebhookUrlRefused:
            return None, "url_refused"
        if target.literal and not self.settings.allow_private and not is_public(target.host):
            return None, "address_refused"
        sent = headers(secret, doc.body["id"], int(self.clock()), body)
        try:
            async with self.http.post(target.url, data=body, headers=sent,
                                      allow_redirects=False) as resp:
                await resp.content.read(READ_AT_MOST)
                return resp.status, None if 200 <= resp.status < 300 else f"status_{resp.status}"
        except TimeoutError:
            return None, "timeout"
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, AddressRefused):
                return None, "address_refused"
            return None, "connection_failed"
        except aiohttp.ClientError:
            return None, "connection_failed"

    async def _outcome(self, doc: Document, attempts: int, status: int | None,
                       error: str | None) -> None:
        now = self.clock()
        body = {**doc.body, "last_status": status, "last_error": error, "lease_until": None}
        hook_id, delivery_id = doc.scope, doc.body["id"]
        if error is None:
            body.update(state="delivered", next_at=None)
            self.stats.delivered += 1
        elif attempts > len(self.settings.backoff):
            body.update(state="failed", next_at=None)
            self.stats.failed += 1
            logger.warning("webhook %s: delivery %s failed after %d attempts (%s)", hook_id,
                           delivery_id, attempts, error)
        else:
            wait = self.settings.backoff[attempts - 1] * (1 + random.random() / 4)
            body.update(next_at=now + wait)
            logger.info("webhook %s: delivery %s attempt %d failed (%s); next in %.0f s",
                        hook_id, delivery_id, attempts, error, wait)
        kept = await self.outbox.change(doc, body, now)
        if kept is not None and body["state"] == "pending":
            self.schedule(Due(doc.key, hook_id, float(body["next_at"])))
