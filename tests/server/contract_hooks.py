"""Schemathesis hooks for the contract test (tests/server/test_openapi_contract.py): the rules of
a body that JSON Schema cannot state, given to the generated data. Everything else about the
body is left as generated, valid or not.

- A session's schedule ends after it starts and lasts at most 24 hours (two fields compared).
- The people on a roster have different ids, and different names within one role (a rule
  across the items of a list).
- A display name has no control characters: Python's ``str.isprintable``, which no regular
  expression of JSON Schema spells out portably.
- A cohort's person's name and a schedule's title are display text (no control characters),
  as above.
- A webhook's URL must resolve to an address the server may post to: the server under test
  allows private ones, and every generated URL becomes one on loopback where nothing listens
  (a test ping is refused at once, and nothing leaves the machine).
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

from server.sessions.wire import EPOCH_MAX

DAY = 86400.0
HOUR = 3600.0
WEBHOOK_URL = "http://127.0.0.1:9/contract"  # the discard port: nothing listens there


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _printable(name: object) -> object:
    if not isinstance(name, str) or re.search(r"[^\s\x1c-\x1f]", name) is None:
        return name  # blank: invalid by the schema, and left so
    kept = "".join(ch for ch in name if ch.isprintable())
    return kept if kept.strip() else "Someone"


def _session(body: dict[str, Any]) -> dict[str, Any]:
    body = dict(body)
    start, end = body.get("scheduled_start"), body.get("scheduled_end")
    if _number(start) and _number(end) and not 0 < end - start <= DAY:
        start = min(start, EPOCH_MAX - HOUR)  # an hour from the start, within the schema
        body["scheduled_start"], body["scheduled_end"] = start, start + HOUR
    people = body.get("participants")
    if isinstance(people, list):
        body["participants"] = [
            {**p, "name": f"{i} {_printable(p['name'])}"[:60],
             **({"id": f"{i}{p['id']}"[:64]} if isinstance(p.get("id"), str) else {})}
            if isinstance(p, dict) and isinstance(p.get("name"), str) else p
            for i, p in enumerate(people)
        ]
    return body


def _named(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {**body, field: _printable(body[field])} if field in body else body


@schemathesis.hook
def map_body(context: schemathesis.HookContext, body: Any) -> Any:
    operation = context.operation
    if operation is None or not isinstance(body, dict):
        return body
    method, path = operation.method.lower(), operation.path
    if (method, path) == ("post", "/api/sessions"):
        return _session(body)
    if (method, path) in (("post", "/api/sessions/{session_id}/links"),
                          ("post", "/api/admins")):
        return {**body, "name": _printable(body.get("name"))} if "name" in body else body
    if path in ("/api/cohorts/{cohort}/people", "/api/cohorts/{cohort}/people/{person}"):
        return _named(body, "name")
    if path == "/api/cohorts/{cohort}/schedules":
        return _named(body, "title")
    return body


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: Any, kwargs: dict[str, Any]) -> None:
    """Every webhook URL sent becomes one the server accepts (schemathesis checks the case
    again after this, so a case whose only fault was its URL counts as a valid one)."""
    operation = context.operation
    if operation is None or (operation.method.lower(), operation.path) != ("post",
                                                                           "/api/webhooks"):
        return
    if isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
        case.body = {**case.body, "url": WEBHOOK_URL}
