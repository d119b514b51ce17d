from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from tests.support import ADMIN_KEY, Api, Clock

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def test_create_session_returns_a_link_per_role(api: Api) -> None:
    s = await api.create_session(
        title="Check-in", goal="Goals", max_participants=3,
        participants=[{"name": "Ana", "role": "mentor"}, {"name": "Ben", "role": "mentee"}],
    )
    assert set(s["join_urls"]) == {"mentor", "mentee", "observer", "admin", "captioner"}
    for url in s["join_urls"].values():
        assert f"/s/{s['session_id']}#token=" in url
    assert [(p["name"], p["role"]) for p in s["personal_links"]] == [
        ("Ana", "mentor"), ("Ben", "mentee")
    ]
    assert s["state"] == "scheduled" and s["max_participants"] == 3
    assert s["links_expire_at"] - s["created_at"] == pytest.approx(7 * 86400)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": ADMIN_KEY}])
async def test_admin_endpoints_need_the_key(http: aiohttp.ClientSession,
                                            headers: dict[str, str]) -> None:
    async with http.post("/api/sessions", json={"title": "x"}, headers=headers) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "unauthorized"
    async with http.get("/api/sessions/whatever", headers=headers) as resp:
        assert resp.status == 401


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({}, 400, "invalid_payload", "title"),
        ({"title": ""}, 400, "invalid_payload", "title"),
        ({"title": "x", "max_participants": 1}, 400, "invalid_payload", "max_participants"),
        ({"title": "x", "max_participants": 26}, 400, "invalid_payload", "max_participants"),
        ({"title": "x", "link_ttl_seconds": 10}, 400, "invalid_payload", "link_ttl_seconds"),
        ({"title": "x", "link_ttl_seconds": 91 * 86400}, 400, "invalid_payload", "link_ttl"),
        ({"title": "x", "participants": [{"name": "A", "role": "boss"}]}, 400,
         "invalid_payload", "role"),
        ({"title": "x", "surprise": True}, 400, "invalid_payload", "surprise"),
        ({"title": "t" * 201}, 400, "payload_too_large", "title"),
    ],
)
async def test_create_session_rejects_bad_bodies(
    http: aiohttp.ClientSession, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    async with http.post("/api/sessions", json=body, headers=AUTH) as resp:
        assert resp.status == status
        error = (await resp.json())["error"]
        assert error["code"] == code and field in error["message"]


async def test_create_session_rejects_non_json_and_huge_bodies(http: aiohttp.ClientSession) -> None:
    async with http.post("/api/sessions", data=b"{not json", headers={
        **AUTH, "Content-Type": "application/json"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_payload"
    async with http.post("/api/sessions", data=b"x", headers={
        **AUTH, "Content-Type": "text/plain"}) as resp:
        assert resp.status == 400
    big = b'{"title": "' + b"x" * 70_000 + b'"}'
    async with http.post("/api/sessions", data=big, headers={
        **AUTH, "Content-Type": "application/json"}) as resp:
        assert resp.status == 413
        assert (await resp.json())["error"]["code"] == "payload_too_large"


async def test_get_session(api: Api, http: aiohttp.ClientSession) -> None:
    s = await api.create_session(goal="Plan")
    async with http.get(f"/api/sessions/{s['session_id']}", headers=AUTH) as resp:
        assert resp.status == 200
        got = await resp.json()
    assert got["title"] == "Weekly check-in" and got["participants"] == []
    assert got["chat_messages"] == 0 and got["state"] == "scheduled"
    async with http.get("/api/sessions/nope", headers=AUTH) as resp:
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "session_not_found"


async def test_new_link_for_a_role(api: Api, http: aiohttp.ClientSession) -> None:
    s = await api.create_session()
    sid = s["session_id"]
    async with http.post(f"/api/sessions/{sid}/links", json={"role": "mentee", "name": "Eve",
                                                             "link_ttl_seconds": 3600},
                         headers=AUTH) as resp:
        assert resp.status == 201
        link = await resp.json()
    assert link["role"] == "mentee" and link["name"] == "Eve" and f"/s/{sid}#token=" in link["url"]
    async with http.post("/api/join/preview", json={"token": api.token(link["url"])}) as resp:
        preview = await resp.json()
    assert preview["name"] == "Eve" and preview["role"] == "mentee"
    async with http.post(f"/api/sessions/{sid}/links", json={"role": "boss"},
                         headers=AUTH) as resp:
        assert resp.status == 400


async def test_preview_greets_or_explains(api: Api, http: aiohttp.ClientSession,
                                          clock: Clock) -> None:
    s = await api.create_session(title="Career chat", goal="CV review", link_ttl_seconds=120)
    token = api.token(s["join_urls"]["mentor"])
    async with http.post("/api/join/preview", json={"token": token}) as resp:
        assert resp.status == 200
        got = await resp.json()
    assert (got["title"], got["goal"], got["role"], got["name"], got["state"]) == (
        "Career chat", "CV review", "mentor", None, "scheduled")
    # A signature changed in the middle (its last character also holds padding bits, so a
    # change there may decode to the same bytes).
    middle = len(token) - 10
    forged = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    async with http.post("/api/join/preview", json={"token": forged}) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "token_invalid"
    clock.now += 121
    async with http.post("/api/join/preview", json={"token": token}) as resp:
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "token_expired"


async def test_ended_session_refuses_links_and_previews(api: Api,
                                                        http: aiohttp.ClientSession) -> None:
    s = await api.create_session()
    sid = s["session_id"]
    async with http.post(f"/api/sessions/{sid}/end", headers=AUTH) as resp:
        assert resp.status == 200
    async with http.post(f"/api/sessions/{sid}/end", headers=AUTH) as resp:
        assert resp.status == 409
        assert (await resp.json())["error"]["code"] == "session_ended"
    async with http.post(f"/api/sessions/{sid}/links", json={"role": "mentee"},
                         headers=AUTH) as resp:
        assert resp.status == 409
    async with http.post("/api/join/preview",
                         json={"token": api.token(s["join_urls"]["mentee"])}) as resp:
        assert resp.status == 409


async def test_page_is_served_with_protective_headers(api: Api,
                                                      http: aiohttp.ClientSession) -> None:
    s = await api.create_session()
    async with http.get(f"/s/{s['session_id']}") as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
        assert "<html" in (await resp.text()).lower()
    # The same pages reached as the client's files carry the same headers.
    for path in ("/client/index.html", "/client/admin.html", "/admin"):
        async with http.get(path) as resp:
            assert resp.status == 200 and resp.content_type == "text/html", path
            assert resp.headers["Referrer-Policy"] == "no-referrer", path
            assert resp.headers["Cache-Control"] == "no-store", path
            assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], path


async def test_unknown_api_path_and_method_get_json_errors(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/nothing-here") as resp:
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "not_found"
    async with http.delete("/api/sessions", headers=AUTH) as resp:
        assert resp.status == 405
        assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_openapi_document_describes_every_endpoint(
    http: aiohttp.ClientSession, server: Any
) -> None:
    async with http.get("/api/openapi.json") as resp:
        doc = await resp.json()
    assert doc["openapi"].startswith("3.1")
    # every REST route the app serves under /api/, and the operator's endpoints, are in the
    # document, with their methods
    served: dict[str, set[str]] = {}
    operator = ("/healthz", "/readyz", "/metrics")
    for route in server.app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if ((path.startswith("/api/") or path in operator) and path != "/api/openapi.json"
                and route.method != "HEAD"):
            served.setdefault(path, set()).add(route.method.lower())
    documented = {path: set(ops) for path, ops in doc["paths"].items()}
    assert documented == served
    schemas = doc["components"]["schemas"]
    assert "title" in schemas["CreateSessionRequest"]["properties"]
    assert schemas["CreateSessionRequest"]["properties"]["title"]["maxLength"] == 200
    for path in doc["paths"].values():
        for op in path.values():
            for response in op["responses"].values():
                for content in response["content"].values():
                    ref = content["schema"].get("$ref")
                    assert ref is None or ref.split("/")[-1] in schemas


async def test_health(http: aiohttp.ClientSession) -> None:
    async with http.get("/healthz") as resp:
        assert await resp.json() == {"ok": True}


async def test_session_ids_are_safe_in_spreadsheets(api: Api) -> None:
    # an id starting with "-" (or "=", "+", "@") would be read as a formula and guarded in CSV
    ids = [(await api.create_session())["session_id"] for _ in range(40)]
    assert all(len(i) == 24 and all(c in "0123456789abcdef" for c in i) for i in ids)


async def test_wrong_admin_keys_are_logged_and_then_throttled(
    http: aiohttp.ClientSession, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    guess = {"Authorization": "Bearer not-the-key-guess-0042"}
    with caplog.at_level(logging.WARNING, logger="server.http"):
        for _ in range(10):
            async with http.get("/api/attendance/sessions", headers=guess) as resp:
                assert resp.status == 401
        # The eleventh try from that address is refused whatever the key, the right one too.
        for headers in (guess, AUTH):
            async with http.get("/api/attendance/sessions", headers=headers) as resp:
                assert resp.status == 429
                assert (await resp.json())["error"]["code"] == "rate_limited"
    warnings = [r.getMessage() for r in caplog.records if "wrong admin key" in r.getMessage()]
    assert len(warnings) == 10 and warnings[-1].endswith("(10 in the last 60 s)")
    assert not any("guess-0042" in r.getMessage() for r in caplog.records)
    clock.now += 61  # a minute later the address may try again
    async with http.get("/api/attendance/sessions", headers=AUTH) as resp:
        assert resp.status == 200
