"""Schemathesis hooks for the contract test (tests/server/test_openapi_contract.py): the rules of
a body that JSON Schema cannot state, given to the generated data. Everything else about the
body is left as generated, valid or not.

- A session's schedule ends after it starts and lasts at most 24 hours (two fields compared).
- The people on a roster have different ids, and different names within one role (a rule
  across the items of a list).
- A display name has no control characters: Python's ``str.isprintable``, which no regular
  expression of JSON Schema spells out portably.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from server.sessions.wire import EPOCH_MAX

DAY = 86400.0
HOUR = 3600.0


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _printable(name: object) -> object:
    if not isinstance(name, str):
        return name
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
    return body
