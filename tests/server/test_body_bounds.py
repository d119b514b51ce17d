"""Every JSON body of the REST API is bounded in depth and in keys per map before its model
reads it: unknown keys and deep nesting are refused at once with 400 ``invalid_payload``."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest

from server.settings import Limits
from tests.support import ADMIN_KEY, Api

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
MANY_KEYS = json.dumps({"token": "x", **{f"k{i}": 0 for i in range(20_000)}}).encode()
DEEP = b'{"token": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
# Deep inside an allowed field: a roster entry's name nested in lists.
DEEP_FIELD = json.dumps({"title": "x", "participants": [{"name": [[[[[[[["A"]]]]]]]],
                                                         "role": "mentee"}]}).encode()
WIDE_ENTRY = json.dumps({"title": "x", "participants": [
    {"name": "A", "role": "mentee", **{f"k{i}": 0 for i in range(5_000)}}]}).encode()


@pytest.fixture
def limits() -> Limits:
    # Bodies up to 1 MiB here, so that the bounds on keys and depth are what refuses them.
    return Limits(max_request_bytes=1 << 20)


async def _refused(http: aiohttp.ClientSession, path: str, body: bytes, method: str = "POST",
                   ) -> str:
    started = time.perf_counter()
    async with http.request(method, path, data=body, headers=AUTH) as resp:
        text = await resp.text()
        status = resp.status
    print(f"{method} {path}, {len(body):,} bytes: refused in "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")
    assert status == 400, text
    error = json.loads(text)["error"]
    assert error["code"] == "invalid_payload", text
    return str(error["message"])


@pytest.mark.parametrize("path", ["/api/join/preview", "/api/attendance/check-out",
                                  "/api/sessions"])
async def test_a_body_of_twenty_thousand_unknown_keys_is_refused_at_once(
    http: aiohttp.ClientSession, path: str
) -> None:
    message = await _refused(http, path, MANY_KEYS)
    assert "20001 fields" in message or "unknown field" in message


@pytest.mark.parametrize("path", ["/api/join/preview", "/api/sessions"])
async def test_a_deeply_nested_body_is_refused(http: aiohttp.ClientSession, path: str) -> None:
    message = await _refused(http, path, DEEP)
    assert "deep" in message


async def test_nesting_and_keys_are_bounded_inside_fields_too(api: Api) -> None:
    assert "deep" in await _refused(api.http, "/api/sessions", DEEP_FIELD)
    assert "fields" in await _refused(api.http, "/api/sessions", WIDE_ENTRY)
    s = await api.create_session()
    message = await _refused(api.http, f"/api/sessions/{s['session_id']}/links", MANY_KEYS)
    assert "fields" in message
    message = await _refused(api.http, f"/api/sessions/{s['session_id']}/groups", DEEP, "PUT")
    assert "deep" in message


async def test_bodies_within_the_bounds_still_work(api: Api) -> None:
    s = await api.create_session(participants=[{"name": "Ana", "role": "mentor", "id": "ana"}],
                                 groups=[{"name": "Pair 1", "members": ["Ana"]}])
    async with api.http.put(f"/api/sessions/{s['session_id']}/groups", headers=AUTH,
                            json={"groups": [{"name": "Pair 1", "members": ["Ana"]}]}) as resp:
        assert resp.status == 200, await resp.text()


def test_the_bound_is_read_from_the_model() -> None:
    from typing import Any

    from pydantic import BaseModel

    from server.protocol import OPEN_DEPTH, OPEN_KEYS, Shape, shape
    from server.sessions.wire import CreateSessionRequest, PreviewRequest

    class Free(BaseModel):
        data: Any = None

    assert shape(PreviewRequest) == Shape(depth=1, keys=1)
    # a roster entry or a group is a map inside a list inside the top map, with lists inside
    assert shape(CreateSessionRequest) == Shape(
        depth=4, keys=len(CreateSessionRequest.model_fields))
    assert shape(Free) == Shape(depth=1 + OPEN_DEPTH, keys=OPEN_KEYS)
