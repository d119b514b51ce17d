"""What the HTTP edge tells browsers and caches: every API answer (join links, names, e-mail
addresses, goals of people who may be minors, errors) is kept by no cache and never sniffed into
another type; the pages' policy lets them connect to their own origin only and be framed by
nobody; the client's own files are not sniffed either."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.support import ADMIN_KEY, Api

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
PEOPLE = ("name,email,role,languages,time_zone,goals,skills_offered,skills_wanted,capacity\n"
          "Maya Chen,maya@example.org,mentor,English,Europe/Madrid,,python,,2\n"
          "Lina Park,lina@example.org,mentee,English,Europe/Madrid,careers,,python,\n")


def _directives(policy: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


async def _answer(http: aiohttp.ClientSession, method: str, path: str,
                  **kw: Any) -> tuple[int, dict[str, str], Any]:
    async with http.request(method, path, **kw) as resp:
        body = await resp.json() if resp.content_type == "application/json" else None
        return resp.status, dict(resp.headers), body


async def test_every_api_answer_is_kept_by_no_cache_and_not_sniffed(
        api: Api, http: aiohttp.ClientSession) -> None:
    s = await api.create_session(participants=[{"name": "Lina", "role": "mentee"}])
    sid = s["session_id"]
    status, _, cohort = await _answer(http, "POST", "/api/cohorts", headers=AUTH,
                                      json={"programme": "P", "name": "Spring"})
    assert status == 201
    status, _, _ = await _answer(http, "POST", f"/api/cohorts/{cohort['id']}/import",
                                 data=PEOPLE, headers={**AUTH, "Content-Type": "text/csv"})
    assert status == 200
    calls: list[tuple[str, str, dict[str, Any]]] = [
        # join links (credentials) and the names they carry
        ("POST", "/api/sessions", {"headers": AUTH, "json": {"title": "Check-in"}}),
        ("GET", f"/api/sessions/{sid}", {"headers": AUTH}),
        ("POST", f"/api/sessions/{sid}/links", {"headers": AUTH,
                                                "json": {"role": "mentee", "name": "Eve"}}),
        ("POST", "/api/join/preview",
         {"json": {"token": api.token(s["personal_links"][0]["url"])}}),
        # names, e-mail addresses and goals
        ("GET", f"/api/cohorts/{cohort['id']}/people", {"headers": AUTH}),
        ("GET", "/api/cohorts", {"headers": AUTH}),
        ("GET", "/api/admins", {"headers": AUTH}),
        ("GET", "/api/attendance/sessions", {"headers": AUTH}),
        # refusals too
        ("GET", f"/api/sessions/{sid}", {}),
        ("GET", "/api/nothing-here", {}),
    ]
    for method, path, kw in calls:
        status, headers, _ = await _answer(http, method, path, **kw)
        assert status < 500, (method, path, status)
        assert headers.get("Cache-Control") == "no-store", (method, path, headers)
        assert headers.get("X-Content-Type-Options") == "nosniff", (method, path, headers)


async def test_the_pages_connect_to_their_own_origin_only(api: Api,
                                                          http: aiohttp.ClientSession) -> None:
    s = await api.create_session()
    for path in (f"/s/{s['session_id']}", "/admin"):
        async with http.get(path) as resp:
            assert resp.status == 200
            policy = _directives(resp.headers["Content-Security-Policy"])
            frame = resp.headers.get("X-Frame-Options")
        # A scheme alone ("ws:", "wss:", "https:") lets an injected script send what the page
        # holds (its link's token, the admin key, chat) to any host at all.
        for directive, sources in policy.items():
            assert not [x for x in sources if x.endswith(":") and x not in (
                "data:", "blob:", "mediastream:")], (path, directive, sources)
        assert policy["connect-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["object-src"] == ["'none'"], path
        assert policy["form-action"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        # for browsers that know no frame-ancestors
        assert frame == "DENY", path


async def test_the_clients_files_are_not_sniffed(http: aiohttp.ClientSession) -> None:
    for path in ("/client/app.js", "/client/style.css", "/client/admin.js"):
        async with http.get(path) as resp:
            assert resp.status == 200, path
            assert resp.headers.get("X-Content-Type-Options") == "nosniff", path


async def test_no_answer_sets_a_cookie_or_lets_another_origin_read_it(
        api: Api, http: aiohttp.ClientSession) -> None:
    """The admin API takes its key in a header only, so a page of another origin cannot make a
    browser act as an admin (no cookie rides along), nor read an answer (no CORS grant)."""
    s = await api.create_session()
    evil = {"Origin": "https://evil.example", "Cookie": f"key={ADMIN_KEY}"}
    async with http.get("/admin") as resp:
        assert "Set-Cookie" not in resp.headers
    async with http.post(f"/api/sessions/{s['session_id']}/end", headers=evil) as resp:
        assert resp.status == 401
        assert "Access-Control-Allow-Origin" not in resp.headers
    async with http.options("/api/sessions", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization"}) as resp:
        assert "Access-Control-Allow-Origin" not in resp.headers
    async with http.post("/api/sessions", json={"title": "x"},
                         headers={**AUTH, "Origin": "https://evil.example"}) as resp:
        assert "Set-Cookie" not in resp.headers
        assert "Access-Control-Allow-Origin" not in resp.headers
