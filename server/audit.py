"""The audit log: who (which admin) did what to what, kept as documents of kind ``audit`` in the
server's database beside everything else the programme console keeps.

Rules of this module: an entry names the admin by id and by the name they had then, the action
(``session.created``), its target (the thing's path below ``/api/``: ``sessions/3f2a…``) and a
small flat ``detail``. Entries hold ids, counts and choices only, never personal data (no
participant names, emails, chat or captions) and never a secret: that is the caller's rule, and
``detail``'s shape (flat, short scalar values) keeps it easy to follow. An entry's key starts with
its time in microseconds, zero-padded (one process's entries never share one), then a random
part (two processes' entries may), so entries list in the order they were made; its scope is
its action, so listing one action reads the index alone. A person id may be an email address:
a deletion request has the entries that named a person by it name them by a keyed hash instead
(``erase_person``, ``person_ref``). An action that writes documents puts
its entry in the same write (``put``); any other awaits ``record`` before it answers, so an
acknowledged action has its entry on disk. Entries older than the retention period are deleted
with the rest (``expire``, on ``ctx.erasure``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.documents import Delete, Documents, Put
from server.http import Admin

AUDIT = "audit"  # the documents' kind
ACTION_PATTERN = r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$"
KEY_PATTERN = r"^[0-9a-f-]{0,40}$"
_ACTION = re.compile(ACTION_PATTERN)
DETAIL_FIELDS_MAX = 16
DETAIL_VALUE_MAX = 200
TARGET_MAX = 300
PAGE_MAX = 500
_EXPIRE_BATCH = 1000

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    key: str
    at: float
    admin_id: str
    admin_name: str
    action: str
    target: str
    detail: dict[str, Scalar]

    def wire(self) -> dict[str, Any]:
        return {"key": self.key, "at": self.at, "admin_id": self.admin_id,
                "admin_name": self.admin_name, "action": self.action, "target": self.target,
                "detail": dict(self.detail)}


def _checked(action: str, target: str, detail: Mapping[str, Scalar] | None
             ) -> dict[str, Scalar]:
    # A wrong entry is a fault of the calling code, not of the request: it must not pass quietly.
    if not _ACTION.fullmatch(action):
        raise ValueError(f"audit action {action!r} is not of the form noun.verb")
    if len(target) > TARGET_MAX:
        raise ValueError("audit target too long")
    out = dict(detail or {})
    if len(out) > DETAIL_FIELDS_MAX:
        raise ValueError("audit detail has too many fields")
    for name, value in out.items():
        if not isinstance(value, str | int | float | bool | type(None)):
            raise ValueError(f"audit detail {name!r} is not a scalar")
        if isinstance(value, str) and len(value) > DETAIL_VALUE_MAX:
            raise ValueError(f"audit detail {name!r} is too long")
    return out


class Audit:
    """How any feature records what an admin did, without knowing who reads the log."""

    def __init__(self, documents: Documents, clock: Callable[[], float]) -> None:
        self.documents, self.clock = documents, clock
        self._last = 0  # the last key's microseconds: this process's entries keep their order

    def _key(self, at: float) -> str:
        micros = max(0, round(at * 1_000_000), self._last + 1)
        self._last = micros
        return f"{micros:017d}-{secrets.token_hex(4)}"

    def put(self, admin: Admin, action: str, target: str,
            detail: Mapping[str, Scalar] | None = None) -> Put:
        """The entry as a change to write with the action's own documents, in one write."""
        checked = _checked(action, target, detail)
        at = self.clock()
        return Put(AUDIT, self._key(at), {"at": at, "admin_id": admin.id, "admin_name": admin.name,
                                "action": action, "target": target, "detail": checked},
                   scope=action, expect=0)

    async def record(self, admin: Admin, action: str, target: str,
                     detail: Mapping[str, Scalar] | None = None) -> None:
        """Write the entry now; once this returns it is on disk (else ``NotRecorded``)."""
        await self.documents.write([self.put(admin, action, target, detail)], self.clock())

    async def entries(self, *, after: str = "", limit: int = 100,
                      action: str | None = None) -> tuple[list[AuditEntry], str | None]:
        """Entries after the key ``after``, oldest first, and the key to ask after for the next
        page (None when there is none)."""
        limit = max(1, min(limit, PAGE_MAX))
        docs = await self.documents.find(AUDIT, action, after=after, limit=limit + 1)
        page = [_entry(d.key, d.body) for d in docs[:limit]]
        return page, page[-1].key if len(docs) > limit else None

    async def expire(self, before: float) -> dict[str, int]:
        """Delete the entries made before ``before`` (the retention rule), oldest first."""
        gone = 0
        while True:
            docs = await self.documents.find(AUDIT, limit=_EXPIRE_BATCH)
            old = [d.key for d in docs if float(d.body["at"]) < before]
            if old:
                await self.documents.write([Delete(AUDIT, key) for key in old], self.clock())
                gone += len(old)
            if len(old) < _EXPIRE_BATCH:
                return {"audit entries": gone}

    async def erase_person(self, person_id: str, secret: bytes) -> dict[str, int]:
        """A deletion request: the entries that name the person by their id (in their target
        or a detail) name them by ``ref:`` and their keyed hash (``person_ref``) instead."""
        ref = f"ref:{person_ref(secret, person_id)}"
        renamed, after = 0, ""
        while True:
            docs = await self.documents.find(AUDIT, after=after, limit=_EXPIRE_BATCH)
            puts = [Put(AUDIT, d.key, body, scope=d.scope, expect=d.version) for d in docs
                    if (body := _renamed(d.body, person_id, ref)) is not None]
            if puts:
                await self.documents.write(puts, self.clock())
                renamed += len(puts)
            if len(docs) < _EXPIRE_BATCH:
                return {"audit entries renamed": renamed}
            after = docs[-1].key


def person_ref(secret: bytes, person_id: str) -> str:
    """What the log and the audit say for a person: a person id may be an email address, and a
    line that named the person a deletion removed would keep them. A keyed hash (the server's
    secret), so that nobody without the secret can test guessed addresses against it; an
    operator who has it can still find a given person's lines."""
    key = hmac.new(secret, b"tandem-log:person", hashlib.sha256).digest()
    return hmac.new(key, person_id.encode(), hashlib.sha256).hexdigest()[:12]


def _renamed(body: dict[str, Any], person_id: str, ref: str) -> dict[str, Any] | None:
    """The entry with ``person_id`` (a segment of its target, or a detail's value) replaced by
    ``ref``; None if it does not name them."""
    target = str(body["target"])
    parts = [ref if part == person_id else part for part in target.split("/")]
    detail = {k: ref if v == person_id else v for k, v in (body.get("detail") or {}).items()}
    if "/".join(parts) == target and detail == (body.get("detail") or {}):
        return None
    return {**body, "target": "/".join(parts), "detail": detail}


def _entry(key: str, body: dict[str, Any]) -> AuditEntry:
    return AuditEntry(key, float(body["at"]), str(body["admin_id"]), str(body["admin_name"]),
                      str(body["action"]), str(body["target"]), dict(body.get("detail") or {}))
