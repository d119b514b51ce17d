"""The programme console over REST, with real sessions behind it: a cohort imported from a CSV
(refused whole when a row is wrong), matched, published, scheduled; the personal links carry
each person's id, so a mentee who opens theirs is their roster self whatever name they type and
lands in their own pair's breakout; health, the fit question, a mentor's view and deletion."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from rooms.cohort import SLOTS_MAX
from server.app import CONTEXT
from server.documents import Put
from server.programmes.store import COHORT_KINDS, PROPOSAL
from tests.support import ADMIN_KEY, Api, Clock, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
HEADER = "name,email,role,languages,time_zone,goals,skills_offered,skills_wanted,capacity\n"
GOOD = (
    "Maya Chen,maya@example.org,mentor,English;Spanish,Europe/Madrid,,python;careers,,2\n"
    "Omar Haddad,omar@example.org,mentor,English,Europe/London,,design,,1\n"
    "Lina Park,lina@example.org,mentee,Spanish,Europe/Madrid,careers,,python,\n"
    "Tom Reed,tom@example.org,mentee,English,Europe/London,portfolio,,design,\n"
    "Ada Stone,ada@example.org,mentee,English,America/New_York,careers,,python,\n"
)


async def call(http: aiohttp.ClientSession, method: str, path: str, status: int = 200,
               **kw: Any) -> Any:
    async with http.request(method, path, headers={**AUTH, **kw.pop("headers", {})},
                            **kw) as resp:
        body = await resp.read()
        assert resp.status == status, body[:2000]
        if resp.content_type == "application/json":
            return await resp.json()
        return body.decode()


async def cohort_with_people(http: aiohttp.ClientSession) -> tuple[str, dict[str, str]]:
    cohort = await call(http, "POST", "/api/cohorts", 201,
                        json={"programme": "Peer mentoring 2026", "name": "Spring"})
    done = await call(http, "POST", f"/api/cohorts/{cohort['id']}/import", data=HEADER + GOOD,
                      headers={"Content-Type": "text/csv"})
    assert done == {"created": 5, "updated": 0, "people": 5}
    people = await call(http, "GET", f"/api/cohorts/{cohort['id']}/people")
    return cohort["id"], {p["name"]: p["id"] for p in people["people"]}


async def test_an_import_with_bad_rows_imports_nothing_and_says_which_rows(
        http: aiohttp.ClientSession) -> None:
    cohort = await call(http, "POST", "/api/cohorts", 201,
                        json={"programme": "P", "name": "C"})
    bad = HEADER + GOOD + ("Zed,zed@example.org,boss,English,UTC,,,,\n"
                           "Yan,not-an-email,mentee,English,Mars/Base,,,,\n")
    out = await call(http, "POST", f"/api/cohorts/{cohort['id']}/import", 400, data=bad,
                     headers={"Content-Type": "text/csv"})
    assert out["error"]["code"] == "import_failed"
    assert {(r["row"], r["code"]) for r in out["rows"]} >= {
        (6, "bad_role"), (7, "bad_email"), (7, "bad_time_zone")}
    people = await call(http, "GET", f"/api/cohorts/{cohort['id']}/people")
    assert people["people"] == []
    # fixed, and imported again: an update by email keeps ids
    await call(http, "POST", f"/api/cohorts/{cohort['id']}/import", data=HEADER + GOOD,
               headers={"Content-Type": "text/csv"})
    again = await call(http, "POST", f"/api/cohorts/{cohort['id']}/import",
                       data=HEADER + GOOD.replace("Tom Reed", "Thomas Reed"),
                       headers={"Content-Type": "text/csv"})
    assert again == {"created": 0, "updated": 5, "people": 5}
    exported = await call(http, "GET", f"/api/cohorts/{cohort['id']}/people.csv")
    names = {row["name"] for row in csv.DictReader(io.StringIO(exported))}
    assert "Thomas Reed" in names and "Tom Reed" not in names


async def test_matching_explains_itself_honours_pins_and_forbids_and_publishes(
        http: aiohttp.ClientSession) -> None:
    cohort, ids = await cohort_with_people(http)
    base = f"/api/cohorts/{cohort}"
    proposal = await call(http, "POST", f"{base}/proposal", json={})
    pairs = {(p["mentor_name"], p["mentee_name"]) for p in proposal["pairs"]}
    # Lina speaks only Spanish: only Maya can mentor her
    assert ("Maya Chen", "Lina Park") in pairs
    for p in proposal["pairs"]:
        assert p["reasons"] and abs(sum(r["points"] for r in p["reasons"]) - p["score"]) < 0.05
    forbid = [ids["Maya Chen"], ids["Ada Stone"]]
    again = await call(http, "POST", f"{base}/proposal",
                       json={"forbids": [forbid], "pins": [[ids["Omar Haddad"], ids["Tom Reed"]]],
                             "max_time_zone_hours": None})
    assert all([p["mentor_id"], p["mentee_id"]] != forbid for p in again["pairs"])
    assert any(p["pinned"] and p["mentee_name"] == "Tom Reed" for p in again["pairs"])
    assert await call(http, "GET", f"{base}/proposal") == again
    # nothing is a match until published
    assert (await call(http, "GET", f"{base}/matches"))["matches"] == []
    published = await call(http, "POST", f"{base}/publish",
                           json={"starts_on": "2026-03-02", "weeks": 17, "frequency": "weekly"})
    assert len(published["matches"]) == len({p["mentor_id"] for p in again["pairs"]})
    await call(http, "GET", f"{base}/proposal", 404)
    # those matched are not proposed again
    third = await call(http, "POST", f"{base}/proposal", json={"max_time_zone_hours": None})
    matched = {i for m in published["matches"] for i in (m["mentor_id"], *m["mentee_ids"])}
    assert not matched & {p["mentee_id"] for p in third["pairs"]}
    # until their match ends: a re-match
    omar = next(m for m in published["matches"] if m["mentor_id"] == ids["Omar Haddad"])
    ended = await call(http, "POST", f"{base}/matches/{omar['id']}/end", json={})
    assert ended["state"] == "ended"
    await call(http, "POST", f"{base}/matches/{omar['id']}/end", 409, json={})
    fourth = await call(http, "POST", f"{base}/proposal", json={"max_time_zone_hours": None})
    assert ids["Tom Reed"] in {p["mentee_id"] for p in fourth["pairs"]}


async def test_reasons_unmatched_and_import_errors_carry_codes_and_params(
        http: aiohttp.ClientSession) -> None:
    # Each row error: the English message and, for a page in another language, the params.
    cohort = await call(http, "POST", "/api/cohorts", 201, json={"programme": "P", "name": "C"})
    bad = HEADER + GOOD + "Zed,zed@example.org,boss,English,UTC,,,,\n"
    out = await call(http, "POST", f"/api/cohorts/{cohort['id']}/import", 400, data=bad,
                     headers={"Content-Type": "text/csv"})
    assert out == {"error": {"code": "import_failed",
                             "message": "Nothing was imported: 1 row need fixing."},
                   "rows": [{"row": 6, "column": "role", "code": "bad_role",
                             "message": "The role is mentor or mentee, not 'boss'.",
                             "params": {"value": "boss", "allowed": ["mentor", "mentee"]}}]}

    # Each reason and each explanation: criterion, points, English words, code and params.
    cohort_id, ids = await cohort_with_people(http)
    base = f"/api/cohorts/{cohort_id}"
    proposal = await call(http, "POST", f"{base}/proposal", json={"max_time_zone_hours": 1})
    lina = next(p for p in proposal["pairs"] if p["mentee_name"] == "Lina Park")
    assert lina["reasons"] == [
        {"criterion": "skills", "points": lina["score"],
         "detail": "Offers 1 of the 1 skills wanted: python", "code": "skills_offered",
         "params": {"skills": ["python"], "offered": 1, "wanted": 1}},
        {"criterion": "language", "points": 0.0, "detail": "Both speak: Spanish",
         "code": "shared_languages", "params": {"languages": ["Spanish"]}},
        {"criterion": "time_zone", "points": 0.0, "detail": "Time zones 0 h apart (at most 1 h)",
         "code": "time_zones", "params": {"hours_apart": 0, "max_hours": 1}},
    ]
    ada = next(u for u in proposal["unmatched"] if u["name"] == "Ada Stone")
    assert ada == {"person_id": ids["Ada Stone"], "name": "Ada Stone", "role": "mentee",
                   "why": "No mentor is in a time zone close enough to theirs.",
                   "code": "no_one_meets_rule",
                   "params": {"partner_role": "mentor", "rule": "time_zone"}}
    assert await call(http, "GET", f"{base}/proposal") == proposal
    # a published match keeps its reasons' codes
    published = await call(http, "POST", f"{base}/publish", json={"starts_on": "2026-03-02"})
    maya = next(m for m in published["matches"] if m["mentor_id"] == ids["Maya Chen"])
    assert {r["code"] for r in maya["reasons"]} >= {"shared_languages", "time_zones"}
    listed = await call(http, "GET", f"{base}/matches")
    assert next(m for m in listed["matches"] if m["id"] == maya["id"]) == maya


async def test_a_proposal_kept_before_reasons_had_codes_still_reads(
        http: aiohttp.ClientSession, server: Any, clock: Clock) -> None:
    cohort, ids = await cohort_with_people(http)
    proposal = await call(http, "POST", f"/api/cohorts/{cohort}/proposal", json={})
    for pair in proposal["pairs"]:
        for r in pair["reasons"]:
            del r["code"], r["params"]
    for u in proposal["unmatched"]:
        del u["code"], u["params"]
    documents = server.app[CONTEXT].documents
    await documents.write([Put(PROPOSAL, cohort, proposal, scope=cohort)], clock())
    old = await call(http, "GET", f"/api/cohorts/{cohort}/proposal")
    assert all(r["code"] is None and r["params"] == {} and r["detail"]
               for p in old["pairs"] for r in p["reasons"])
    assert all(u["code"] is None and u["params"] == {} and u["why"] for u in old["unmatched"])
    published = await call(http, "POST", f"/api/cohorts/{cohort}/publish",
                           json={"starts_on": "2026-03-02"})
    assert all(r["code"] is None and r["detail"]
               for m in published["matches"] for r in m["reasons"])


async def published_cohort(http: aiohttp.ClientSession) -> tuple[str, dict[str, str], list[Any]]:
    cohort, ids = await cohort_with_people(http)
    base = f"/api/cohorts/{cohort}"
    await call(http, "POST", f"{base}/proposal",
               json={"pins": [[ids["Maya Chen"], ids["Lina Park"]],
                              [ids["Omar Haddad"], ids["Tom Reed"]]],
                     "max_time_zone_hours": None})
    out = await call(http, "POST", f"{base}/publish",
                     json={"starts_on": "2026-03-02", "weeks": 17})
    return cohort, ids, out["matches"]


async def test_a_weekly_schedule_gives_links_that_carry_the_person(
        http: aiohttp.ClientSession, peers: Callable[[], Peer], api: Api, clock: Clock) -> None:
    cohort, ids, matches = await published_cohort(http)
    omar = next(m for m in matches if m["mentor_id"] == ids["Omar Haddad"])
    schedule = await call(http, "POST", f"/api/cohorts/{cohort}/schedules", 201, json={
        "match_id": omar["id"], "title": "Omar and Tom", "starts": "2027-03-22T18:00",
        "time_zone": "Europe/London", "minutes": 45, "repeat": "weekly", "count": 3})
    starts = [s["start"] for s in schedule["sessions"]]
    # 22 March is GMT, 29 March and 5 April BST: the same 18:00 in London, an hour earlier in UTC
    assert [b - a for a, b in zip(starts, starts[1:], strict=False)] == [7 * 86400 - 3600,
                                                                         7 * 86400]
    first = schedule["sessions"][0]
    links = {link["name"]: link for link in first["links"]}
    assert set(links) == {"Omar Haddad", "Tom Reed"}
    assert links["Tom Reed"]["local_time"].endswith("18:00 (GMT)")
    tom = peers()
    await tom.connect(api.token(links["Tom Reed"]["url"]))
    ack = await tom.join("typed something else")
    assert ack["participant"]["name"] == "Tom Reed" and ack["participant"]["role"] == "mentee"
    ics = await call(http, "GET", f"/api/cohorts/{cohort}/schedules/{schedule['id']}"
                     f"/invites.ics?person={ids['Tom Reed']}")
    assert ics.count("BEGIN:VEVENT") == 3 and "DTSTART:20270322T180000Z" in ics
    assert links["Tom Reed"]["url"].split("#")[0] in ics.replace("\r\n ", "")
    mail = await call(http, "GET", f"/api/cohorts/{cohort}/schedules/{schedule['id']}/links.csv")
    rows = list(csv.DictReader(io.StringIO(mail)))
    assert len(rows) == 6 and {r["email"] for r in rows} == {"omar@example.org",
                                                             "tom@example.org"}
    # a mentor's view: their own mentees' names and goals, and none for a mentee's link; the
    # session has not started yet, so nobody is asked the fit question
    mine = await http.post("/api/mine", json={"token": api.token(links["Omar Haddad"]["url"])})
    assert (await mine.json()) == {"mentees": [{"name": "Tom Reed", "goals": ["portfolio"]}],
                                   "ask_fit": False}
    theirs = await http.post("/api/mine", json={"token": api.token(links["Tom Reed"]["url"])})
    assert (await theirs.json()) == {"mentees": [], "ask_fit": False}
    # the fit question, answered by the mentee who took part
    fit = await http.post("/api/fit", json={"token": api.token(links["Tom Reed"]["url"]),
                                           "resume": tom.resume, "answer": "not_sure"})
    assert fit.status == 200, await fit.text()
    health = await call(http, "GET", f"/api/cohorts/{cohort}/health")
    mine_health = next(p for p in health["pairs"] if p["match_id"] == omar["id"])
    assert mine_health["fit"] == "not_sure" and mine_health["mentees"] == ["Tom Reed"]
    assert mine_health["sessions_planned"] + mine_health["upcoming"] == 3


async def mine(http: aiohttp.ClientSession, url: str, status: int = 200) -> Any:
    async with http.post("/api/mine", json={"token": Api.token(url)}) as resp:
        assert resp.status == status, await resp.text()
        return await resp.json()


async def test_the_pair_is_asked_about_the_fit_after_their_first_session_until_they_answer(
        http: aiohttp.ClientSession, peers: Callable[[], Peer], api: Api, clock: Clock) -> None:
    cohort, ids, matches = await published_cohort(http)
    omar = next(m for m in matches if m["mentor_id"] == ids["Omar Haddad"])
    schedule = await call(http, "POST", f"/api/cohorts/{cohort}/schedules", 201, json={
        "match_id": omar["id"], "title": "Omar and Tom", "starts": "2027-03-22T18:00",
        "time_zone": "Europe/London", "minutes": 45, "repeat": "weekly", "count": 2})
    first, second = ({link["name"]: link["url"] for link in s["links"]}
                     for s in schedule["sessions"])
    assert (await mine(http, first["Tom Reed"]))["ask_fit"] is False  # not started yet
    clock.now = schedule["sessions"][0]["start"] + 60
    tom = peers()
    await tom.connect(api.token(first["Tom Reed"]))
    await tom.join("Tom")
    assert await mine(http, first["Tom Reed"]) == {"mentees": [], "ask_fit": True}
    assert await mine(http, first["Omar Haddad"]) == {
        "mentees": [{"name": "Tom Reed", "goals": ["portfolio"]}], "ask_fit": True}
    # once answered, that person is not asked again; the mentor still is
    fit = await http.post("/api/fit", json={"token": api.token(first["Tom Reed"]),
                                           "resume": tom.resume, "answer": "good"})
    assert fit.status == 200, await fit.text()
    assert (await mine(http, first["Tom Reed"]))["ask_fit"] is False
    assert (await mine(http, first["Omar Haddad"]))["ask_fit"] is True
    # the second session is not the first one, even for the mentor who never answered
    clock.now = schedule["sessions"][1]["start"] + 60
    assert await mine(http, second["Omar Haddad"]) == {
        "mentees": [{"name": "Tom Reed", "goals": ["portfolio"]}], "ask_fit": False}
    assert (await mine(http, second["Tom Reed"]))["ask_fit"] is False
    # a personal link of a session outside any programme, and a link of a role
    plain = await api.create_session(participants=[{"name": "Ana", "role": "mentee"}])
    outside = await mine(http, plain["personal_links"][0]["url"], 404)
    assert outside["error"]["code"] == "not_found"
    made = await call(http, "POST", f"/api/sessions/{plain['session_id']}/links", 201,
                      json={"role": "mentee"})
    await mine(http, made["url"], 403)


async def test_a_group_session_puts_each_pair_in_its_own_breakout(
        http: aiohttp.ClientSession, peers: Callable[[], Peer], api: Api) -> None:
    cohort, ids, matches = await published_cohort(http)
    schedule = await call(http, "POST", f"/api/cohorts/{cohort}/schedules", 201, json={
        "title": "Cohort evening", "starts": "2027-01-20T18:00",
        "time_zone": "Europe/Madrid", "minutes": 90})
    links = {link["name"]: link["url"] for link in schedule["sessions"][0]["links"]}
    assert {"Maya Chen", "Lina Park", "Omar Haddad", "Tom Reed"} <= set(links)
    people = {}
    for name in ("Maya Chen", "Lina Park", "Tom Reed"):
        people[name] = peers()
        await people[name].connect(api.token(links[name]))
        await people[name].join("anything")
    made = await people["Maya Chen"].call("breakout_create", {"from_groups": True})
    assert made["ok"], made
    rooms = {r["name"]: set(r["assigned"]) for r in made["breakouts"]["rooms"]}
    assert rooms["Maya Chen's group"] == {people["Maya Chen"].id, people["Lina Park"].id}
    assert rooms["Omar Haddad's group"] == {people["Tom Reed"].id}


async def test_deleting_a_person_removes_their_profile_and_matches_everywhere(
        http: aiohttp.ClientSession) -> None:
    cohort, ids, matches = await published_cohort(http)
    async with http.delete(f"/api/attendance/people/{ids['Lina Park']}", headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
    people = await call(http, "GET", f"/api/cohorts/{cohort}/people")
    assert ids["Lina Park"] not in {p["id"] for p in people["people"]}
    left = await call(http, "GET", f"/api/cohorts/{cohort}/matches")
    assert all(ids["Lina Park"] not in m["mentee_ids"] for m in left["matches"])
    assert any(m["mentor_id"] == ids["Omar Haddad"] for m in left["matches"])


@pytest.mark.parametrize("path", ["/api/cohorts", "/api/cohorts/c-1/people"])
async def test_everything_needs_the_admin_key(http: aiohttp.ClientSession, path: str) -> None:
    async with http.get(path) as resp:
        assert resp.status == 401


async def test_deleting_a_cohort_deletes_everything_it_kept(
        http: aiohttp.ClientSession, server: Any) -> None:
    cohort, ids, matches = await published_cohort(http)
    await call(http, "POST", f"/api/cohorts/{cohort}/schedules", 201, json={
        "match_id": matches[0]["id"], "title": "Pair", "starts": "2027-03-22T18:00",
        "time_zone": "UTC"})
    other, _ = await cohort_with_people(http)
    gone = await call(http, "DELETE", f"/api/cohorts/{cohort}")
    assert gone["people"] == 5
    await call(http, "GET", f"/api/cohorts/{cohort}", 404)
    documents = server.app[CONTEXT].documents
    for kind in COHORT_KINDS:
        assert await documents.find(kind, cohort) == [], kind
    assert len((await call(http, "GET", f"/api/cohorts/{other}/people"))["people"]) == 5


async def test_as_many_weekly_times_as_allowed_are_kept_when_they_run_past_midnight(
        http: aiohttp.ClientSession) -> None:
    """Each of the 28 slots allowed may run past midnight (kept as two, each within a day): the
    whole profile is taken, and one more slot is refused."""
    cohort = await call(http, "POST", "/api/cohorts", 201,
                        json={"programme": "Peer mentoring 2026", "name": "Night owls"})
    nights = [{"weekday": i % 7, "start": 22 * 60 + i, "end": 30 + i} for i in range(SLOTS_MAX)]
    person = {"name": "Noor", "role": "mentor", "profile": {"availability": nights}}
    made = await call(http, "POST", f"/api/cohorts/{cohort['id']}/people", 201, json=person)
    assert len(made["profile"]["availability"]) == 2 * SLOTS_MAX
    person["profile"]["availability"] = [*nights, nights[0]]  # type: ignore[index]
    refused = await call(http, "POST", f"/api/cohorts/{cohort['id']}/people", 400, json=person)
    assert refused["error"]["code"] == "payload_too_large"
