"""Admin accounts, kept as documents: one ``admin`` document per account, and one ``admin_key``
document per live key, keyed by the key's SHA-256 so that finding who a key belongs to is one
read by primary key. The key itself is kept nowhere: it is shown once, when made.

Every change to an account is one write with its audit entry, so an account never changes
without the log saying who changed it. A key is 32 random bytes: a plain hash is enough to keep
it from being read back (no password stretching is needed for a value nobody can guess).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from server.audit import Audit
from server.documents import Change, Conflict, Delete, Documents, Put
from server.http import Admin, NotFound

ACCOUNT = "admin"  # the documents' kinds
KEY = "admin_key"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    email: str | None
    created_at: float
    created_by: str
    disabled: bool
    key_hash: str | None  # the live key's hash (None once disabled)
    version: int = 0

    def body(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email,
                "created_at": self.created_at, "created_by": self.created_by,
                "disabled": self.disabled, "key_hash": self.key_hash}

    def wire(self) -> dict[str, Any]:
        """What the owner sees: no key, no hash."""
        return {"id": self.id, "name": self.name, "email": self.email,
                "created_at": self.created_at, "created_by": self.created_by,
                "disabled": self.disabled}

    def admin(self) -> Admin:
        return Admin(self.id, self.name)


def _account(body: dict[str, Any], version: int) -> Account:
    return Account(str(body["id"]), str(body["name"]), body.get("email"),
                   float(body["created_at"]), str(body["created_by"]), bool(body["disabled"]),
                   body.get("key_hash"), version)


def _key_put(account: Account, hashed: str) -> Put:
    # Enough to name the admin without a second read.
    return Put(KEY, hashed, {"admin_id": account.id, "name": account.name}, expect=0)


class Accounts:
    def __init__(self, documents: Documents, audit: Audit, clock: Callable[[], float]) -> None:
        self.documents, self.audit, self.clock = documents, audit, clock

    async def by_key(self, key: str) -> Admin | None:
        """The live account whose key this is (a disabled account's key is deleted with it)."""
        doc = await self.documents.get(KEY, key_hash(key))
        if doc is None:
            return None
        return Admin(str(doc.body["admin_id"]), str(doc.body["name"]))

    async def all(self) -> list[Account]:
        return [_account(d.body, d.version) for d in await self.documents.find(ACCOUNT)]

    async def get(self, admin_id: str) -> Account:
        doc = await self.documents.get(ACCOUNT, admin_id)
        if doc is None:
            raise NotFound(f"There is no admin {admin_id}.")
        return _account(doc.body, doc.version)

    async def create(self, by: Admin, name: str, email: str | None) -> tuple[Account, str]:
        key, now = new_key(), self.clock()
        account = Account("a-" + secrets.token_hex(8), name, email, now, by.id, False,
                          key_hash(key))
        assert account.key_hash is not None
        await self.documents.write([
            Put(ACCOUNT, account.id, account.body(), expect=0),
            _key_put(account, account.key_hash),
            self.audit.put(by, "admin.created", f"admins/{account.id}"),
        ], now)
        return replace(account, version=1), key

    async def rotate(self, by: Admin, admin_id: str) -> tuple[Account, str]:
        """A new key for the account; the old one stops working in the same commit."""
        account = await self.get(admin_id)
        if account.disabled:
            raise Conflict(f"Admin {admin_id} is disabled; create a new admin instead.")
        key = new_key()
        rotated = replace(account, key_hash=key_hash(key))
        assert rotated.key_hash is not None
        changes: list[Change] = [Put(ACCOUNT, account.id, rotated.body(), expect=account.version),
                   _key_put(rotated, rotated.key_hash),
                   self.audit.put(by, "admin.key_rotated", f"admins/{account.id}")]
        if account.key_hash is not None:
            changes.insert(1, Delete(KEY, account.key_hash))
        (version, *_) = await self.documents.write(changes, self.clock())
        return replace(rotated, version=version), key

    async def disable(self, by: Admin, admin_id: str) -> Account:
        """The account's key stops working; the account stays, so that the audit log's entries
        keep naming it (an already disabled account is answered as it is)."""
        account = await self.get(admin_id)
        if account.disabled:
            return account
        disabled = replace(account, disabled=True, key_hash=None)
        changes: list[Change] = [Put(ACCOUNT, account.id, disabled.body(), expect=account.version),
                   self.audit.put(by, "admin.disabled", f"admins/{account.id}")]
        if account.key_hash is not None:
            changes.insert(1, Delete(KEY, account.key_hash))
        (version, *_) = await self.documents.write(changes, self.clock())
        return replace(disabled, version=version)
