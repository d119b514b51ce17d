"""What the webhooks feature keeps, as documents (``server/documents.py``): the webhooks
themselves, the outbox of their deliveries (the log the admin page shows) and the drops held for
the grace period.

Rules of this module: a delivery is a document written (``pending``) before its first attempt,
so a restart resumes it; every change to one requires the version it was read at, so a delivery
deleted meanwhile (its webhook, a deletion request, the retention rule) is never written back,
and two processes never both claim one attempt. Each webhook keeps at most ``kept`` finished
deliveries (the oldest go first) and ``pending`` waiting ones (more are dropped and counted).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from rooms.errors import TooManyWebhooks
from server.documents import Change, Conflict, Delete, Document, Documents, Put
from server.settings import WebhookSettings
from server.webhooks.events import Announced

logger = logging.getLogger(__name__)

HOOK, DELIVERY, HOLD = "webhook", "webhook_delivery", "webhook_hold"
PAGE = 1000
State = Literal["pending", "delivered", "failed"]
# Keys of a payload's data that name roster people (for deletion requests).
PERSON_KEYS = ("person_id", "mentor_id", "mentee_id")
PEOPLE_KEYS = ("person_ids", "mentee_ids")


@dataclass(frozen=True, slots=True)
class Hook:
    id: str
    url: str
    events: tuple[str, ...]
    description: str
    created_at: float
    secret: str = field(repr=False)

    @classmethod
    def from_doc(cls, doc: Document) -> Hook:
        b = doc.body
        return cls(b["id"], b["url"], tuple(b["events"]), b.get("description") or "",
                   float(b["created_at"]), b["secret"])

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events),
                "description": self.description, "created_at": self.created_at,
                "secret": self.secret}


@dataclass(frozen=True, slots=True)
class Due:
    """A pending delivery to (re)schedule: its key, webhook, and when it may next be tried."""

    key: str
    hook_id: str
    at: float


@dataclass(slots=True)
class Stats:
    dropped: int = 0  # announcements or deliveries not kept (a bound, or the database away)
    delivered: int = 0
    failed: int = 0
    attempts: int = 0


def people_in(data: dict[str, Any]) -> tuple[str, ...]:
    found = [str(data[k]) for k in PERSON_KEYS if isinstance(data.get(k), str)]
    for k in PEOPLE_KEYS:
        if isinstance(data.get(k), list):
            found.extend(str(v) for v in data[k] if isinstance(v, str))
    return tuple(dict.fromkeys(found))


def due_of(doc: Document) -> Due:
    b = doc.body
    lease = b.get("lease_until")
    return Due(doc.key, doc.scope, float(lease if lease is not None else b["next_at"]))


class Outbox:
    def __init__(self, documents: Documents, settings: WebhookSettings, grace: float,
                 stats: Stats) -> None:
        self.documents, self.settings, self.grace, self.stats = documents, settings, grace, stats

    # -- webhooks ---------------------------------------------------------------------------------

    async def hooks(self) -> list[Hook]:
        return [Hook.from_doc(d) for d in await self.documents.find(HOOK)]

    async def hook(self, hook_id: str) -> Hook | None:
        doc = await self.documents.get(HOOK, hook_id)
        return None if doc is None else Hook.from_doc(doc)

    async def add_hook(self, url: str, events: Iterable[str], description: str,
                       now: float) -> Hook:
        if len(await self.documents.find(HOOK, limit=self.settings.max_hooks)) >= \
                self.settings.max_hooks:
            raise TooManyWebhooks(f"This server allows {self.settings.max_hooks} webhooks; "
                                  "delete one first.")
        hook = Hook("wh_" + secrets.token_hex(8), url, tuple(dict.fromkeys(events)),
                    description, now, "whsec_" + secrets.token_urlsafe(32))
        await self.documents.write([Put(HOOK, hook.id, hook.body(), expect=0)], now)
        return hook

    async def delete_hook(self, hook_id: str, now: float) -> bool:
        if await self.documents.get(HOOK, hook_id) is None:
            return False
        await self.documents.write([Delete(HOOK, key=hook_id),
                                    Delete(DELIVERY, scope=hook_id)], now)
        return True

    # -- deliveries -------------------------------------------------------------------------------

    async def deliveries(self, hook_id: str) -> list[Document]:
        """The webhook's deliveries, oldest first (keys sort by time)."""
        return await self.documents.find(DELIVERY, hook_id)

    async def delivery(self, key: str) -> Document | None:
        return await self.documents.get(DELIVERY, key)

    def new_delivery(self, hook: Hook, type: str, at: float, data: dict[str, Any],
                     next_at: float, *, person_ids: tuple[str, ...] = (),
                     hold: str | None = None) -> Put:
        delivery_id = "dl_" + secrets.token_hex(12)
        payload = json.dumps({"id": delivery_id, "type": type, "at": at, "data": data},
                             separators=(",", ":"), ensure_ascii=False)
        body = {"id": delivery_id, "hook_id": hook.id, "event": type, "at": at,
                "payload": payload, "attempts": 0, "state": "pending", "last_status": None,
                "last_error": None, "next_at": next_at, "lease_until": None,
                "session_id": data.get("session_id"),
                "participant_id": data.get("participant_id"),
                "person_ids": list(person_ids or people_in(data)), "hold": hold}
        key = f"{hook.id}:{int(at * 1000):015d}:{delivery_id}"
        return Put(DELIVERY, key, body, scope=hook.id, expect=0)

    async def change(self, doc: Document, body: dict[str, Any], now: float,
                     also: tuple[Change, ...] = ()) -> Document | None:
        """Write ``body`` over ``doc`` if nobody changed or deleted it meanwhile."""
        try:  # a deleted document has no version: a conflict too, so it is never written back
            version = (await self.documents.write(
                [Put(DELIVERY, doc.key, body, scope=doc.scope, expect=doc.version), *also],
                now))[0]
        except Conflict:
            return None
        return Document(doc.kind, doc.key, doc.scope, version, now, body)

    async def add(self, puts: list[Put], now: float) -> list[Due]:
        """Write new deliveries (their webhooks' bounds applied) and return them to schedule."""
        changes: list[Change] = []
        kept: list[Put] = []
        by_hook: dict[str, list[Put]] = {}
        for put in puts:
            by_hook.setdefault(put.scope, []).append(put)
        for hook_id, new in by_hook.items():
            docs = await self.deliveries(hook_id)
            waiting = sum(1 for d in docs if d.body["state"] == "pending")
            room = max(0, self.settings.pending - waiting)
            if len(new) > room:
                self.stats.dropped += len(new) - room
                logger.warning("webhook %s: %d deliveries waiting; %d new ones dropped",
                               hook_id, waiting, len(new) - room)
            kept.extend(new[:room])
            finished = [d for d in docs if d.body["state"] != "pending"]
            over = len(finished) - self.settings.kept
            changes.extend(Delete(DELIVERY, key=d.key) for d in finished[:max(0, over)])
        await self.documents.write([*kept, *changes], now)
        return [Due(p.key, p.scope, float(p.body["next_at"])) for p in kept]

    async def record(self, batch: list[Announced], now: float) -> list[Due]:
        """Turn announcements into deliveries, in one write: each goes to every webhook that
        subscribed to its type; a drop is held for the grace period, a return within it
        cancels the held leave (``server/webhooks/events.py``)."""
        hooks = await self.hooks()
        puts: list[Put] = []
        changes: list[Change] = []
        holds: dict[str, dict[str, Any] | None] = {}
        for a in batch:
            if a.returned is not None:
                hold = holds[a.returned] if a.returned in holds else await self._hold(a.returned)
                if hold is not None:
                    holds[a.returned] = None
                    changes.append(Delete(HOLD, key=a.returned))
                    if a.at - float(hold["dropped_at"]) <= self.grace:
                        # Back within the grace period: they never left, nor joined anew.
                        changes.extend(Delete(DELIVERY, key=k) for k in hold["deliveries"])
                        puts = [p for p in puts if p.key not in hold["deliveries"]]
                        continue
            next_at = a.at + self.grace if a.hold is not None else now
            made = [self.new_delivery(h, a.type, a.at, a.data, next_at, person_ids=a.person_ids,
                                      hold=a.hold)
                    for h in hooks if a.type in h.events]
            puts.extend(made)
            if a.hold is not None:
                holds[a.hold] = {"dropped_at": a.at, "deliveries": [p.key for p in made],
                                 "person_ids": list(a.person_ids)}
        changes.extend(Put(HOLD, key, body) for key, body in holds.items() if body is not None)
        if changes:
            await self.documents.write(changes, now)
        if not puts:
            return []
        return await self.add(puts, now)

    async def _hold(self, key: str) -> dict[str, Any] | None:
        doc = await self.documents.get(HOLD, key)
        return None if doc is None else doc.body

    async def pending(self) -> AsyncIterator[Document]:
        async for doc in self._all(DELIVERY):
            if doc.body["state"] == "pending":
                yield doc

    async def _all(self, kind: str) -> AsyncIterator[Document]:
        after = ""
        while True:
            docs = await self.documents.find(kind, after=after, limit=PAGE)
            for doc in docs:
                yield doc
            if len(docs) < PAGE:
                return
            after = docs[-1].key

    # -- deletion ---------------------------------------------------------------------------------

    async def _erase(self, now: float, delivery: Any, hold: Any) -> dict[str, int]:
        gone = [d.key async for d in self._all(DELIVERY) if delivery(d.body)]
        held = [d.key async for d in self._all(HOLD) if hold(d.key, d.body)]
        changes: list[Change] = [*(Delete(DELIVERY, key=k) for k in gone),
                                 *(Delete(HOLD, key=k) for k in held)]
        if changes:
            await self.documents.write(changes, now)
        return {"webhook deliveries": len(gone)}

    async def erase_person(self, person_id: str, now: float) -> dict[str, int]:
        return await self._erase(
            now, lambda b: person_id in b.get("person_ids", ()),
            lambda _k, b: person_id in b.get("person_ids", ()))

    async def erase_participant(self, session_id: str, participant_id: str,
                                now: float) -> dict[str, int]:
        return await self._erase(
            now, lambda b: (b.get("session_id"), b.get("participant_id")) == (session_id,
                                                                             participant_id),
            lambda k, _b: k == f"{session_id}:{participant_id}")

    async def expire(self, before: float, now: float) -> dict[str, int]:
        return await self._erase(now, lambda b: float(b["at"]) < before,
                                 lambda _k, b: float(b["dropped_at"]) < before)

    async def forget_old_holds(self, now: float) -> None:
        """Holds whose grace period is long past (the person never came back)."""
        old = [d.key async for d in self._all(HOLD)
               if float(d.body["dropped_at"]) + self.grace < now - 3600]
        if old:
            await self.documents.write([Delete(HOLD, key=k) for k in old], now)
