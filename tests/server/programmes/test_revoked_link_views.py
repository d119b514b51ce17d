"""People see only what their role needs (docs/PROTOCOL.md, docs/PROGRAMMES.md): a personal
link an admin revoked is no credential for a mentor's view of their mentees either."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.server.programmes.test_console import published_cohort
from tests.support import ADMIN_KEY, Api

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def _scheduled_pair(http: aiohttp.ClientSession) -> tuple[str, dict[str, Any]]:
    """A published cohort's pair (Omar and Tom) with one scheduled session: its id and its
    personal links by name."""
    cohort, ids, matches = await published_cohort(http)
    omar = next(m for m in matches if m["mentor_id"] == ids["Omar Haddad"])
    async with http.post(f"/api/cohorts/{cohort}/schedules", headers=AUTH, json={
            "match_id": omar["id"], "title": "Omar and Tom", "starts": "2027-03-22T18:00",
            "time_zone": "Europe/London", "minutes": 45, "repeat": "weekly",
            "count": 1}) as resp:
        assert resp.status == 201, await resp.text()
        first = (await resp.json())["sessions"][0]
    return first["session_id"], {link["name"]: link for link in first["links"]}


async def test_a_revoked_mentor_link_no_longer_shows_their_mentees(
        http: aiohttp.ClientSession) -> None:
    """PROTOCOL.md, revoking a link: "Every link issued before for that role or person stops
    working". A mentor's leaked personal link, revoked and reissued, must not go on handing
    whoever holds it the names and goals of the mentor's mentees (who may be minors) through
    ``POST /api/mine``, whose only credential is that link (PROGRAMMES.md, "What a personal
    link sees")."""
    session_id, links = await _scheduled_pair(http)
    old = Api.token(links["Omar Haddad"]["url"])
    async with http.post("/api/mine", json={"token": old}) as resp:
        assert resp.status == 200 and (await resp.json())["mentees"][0]["name"] == "Tom Reed"
    async with http.post(f"/api/sessions/{session_id}/links/revoke", headers=AUTH,
                         json={"person_id": links["Omar Haddad"]["person_id"]}) as resp:
        assert resp.status == 200, await resp.text()
        new = Api.token((await resp.json())["url"])
    async with http.post("/api/join/preview", json={"token": old}) as resp:
        assert resp.status == 401 and (await resp.json())["error"]["code"] == "link_revoked"
    async with http.post("/api/mine", json={"token": old}) as resp:
        status, body = resp.status, await resp.json()
    assert status == 401 and body.get("error", {}).get("code") == "link_revoked", (
        f"the revoked link still answered {status} {body}")
    async with http.post("/api/mine", json={"token": new}) as resp:
        assert resp.status == 200 and (await resp.json())["mentees"][0]["name"] == "Tom Reed"
