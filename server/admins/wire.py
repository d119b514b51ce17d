"""The admins feature on the wire: admin accounts (the owner key only) and the audit log (any
admin), over REST."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rooms.participant import NAME_MAX, clean_name
from rooms.roster import EMAIL_MAX
from server.audit import ACTION_PATTERN, KEY_PATTERN, PAGE_MAX
from server.protocol import EMAIL_PATTERN, NOT_BLANK, InboundModel, Text

ADMIN_ID_PATTERN = r"^a-[0-9a-f]{16}$"
_EMAIL = re.compile(EMAIL_PATTERN)


class CreateAdminRequest(InboundModel):
    name: Text = Field(min_length=1, max_length=NAME_MAX, json_schema_extra=NOT_BLANK)
    email: Text | None = Field(default=None, max_length=EMAIL_MAX,
                               json_schema_extra={"pattern": EMAIL_PATTERN})

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return clean_name(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("not an email address")
        return value


class AdminOut(BaseModel):
    """An admin account as the owner sees it: never its key, nor anything derived from it."""

    id: str
    name: str
    email: str | None
    created_at: float
    created_by: str
    disabled: bool


class AdminsOut(BaseModel):
    admins: list[AdminOut]


class AdminKeyOut(BaseModel):
    """A new account, or a new key: the key is shown this once and kept nowhere readable."""

    id: str
    name: str
    email: str | None
    created_at: float
    key: str


class AuditQuery(BaseModel):
    """``?after=<key>&limit=100&action=session.created``"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: str = Field(default="", max_length=40, pattern=KEY_PATTERN)
    limit: int = Field(default=100, ge=1, le=PAGE_MAX)
    action: str | None = Field(default=None, min_length=3, max_length=80, pattern=ACTION_PATTERN)


class AuditEntryOut(BaseModel):
    key: str
    at: float
    admin_id: str
    admin_name: str
    action: str
    target: str
    detail: dict[str, str | int | float | bool | None]


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next: str | None
