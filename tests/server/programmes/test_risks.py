"""A pair that shows a new risk is announced once as ``pair.at_risk`` (ids and risk codes only),
not again at the next look, and again only when another risk appears."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from server.app import CONTEXT
from server.programmes.install import WATCH
from tests.server.programmes.test_console import call, published_cohort
from tests.support import Clock

WEEK = 7 * 86400.0


async def test_a_pair_newly_at_risk_is_announced_once(
        http: aiohttp.ClientSession, server: TestServer, clock: Clock) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []

    def sink(kind: str, data: Mapping[str, Any], at: float) -> None:
        heard.append((kind, dict(data)))

    server.app[CONTEXT].announcements.sink = sink  # type: ignore[assignment]
    cohort, ids, matches = await published_cohort(http)
    omar = next(m for m in matches if m["mentor_id"] == ids["Omar Haddad"])
    await call(http, "POST", f"/api/cohorts/{cohort}/schedules", 201, json={
        "match_id": omar["id"], "title": "Omar and Tom", "starts": "2027-01-16T18:00",
        "time_zone": "UTC", "minutes": 45, "repeat": "weekly", "count": 6})
    watch = server.app[WATCH]
    assert await watch.look() == 0 and heard == []  # nothing planned has happened yet
    clock.now += 4 * WEEK  # four sessions came and went, and nobody came
    assert await watch.look() == 1
    [(kind, data)] = heard
    assert kind == "pair.at_risk" and data["match_id"] == omar["id"]
    assert data["mentor_id"] == ids["Omar Haddad"] and data["mentee_ids"] == [ids["Tom Reed"]]
    assert "repeated_no_shows" in data["risks"] and data["new"] == data["risks"]
    assert all(isinstance(v, str) and "@" not in v for v in (data["cohort_id"], data["match_id"]))
    assert await watch.look() == 0 and len(heard) == 1  # the same risks: not again
