"""Admin REST for attendance: exports (CSV, JSON, streamed), programmes, deletion, retention,
and clear errors for bad requests."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from rooms.attendance import Record, RecordKind
from rooms.roles import Role
from rooms.room import MAIN_ROOM
from server.app import CONTEXT, create_app
from server.attendance.reports import PEOPLE_COLUMNS, RECORDS_COLUMNS, ROOMS_COLUMNS
from server.settings import Settings
from tests.server.attendance.test_events import ADMIN, pair, report, row
from tests.support import ADMIN_KEY, Api, Clock, Peer, eventually


async def get(api: Api, path: str, headers: dict[str, str] | None = None,
              **params: Any) -> tuple[int, str, dict[str, str]]:
    async with api.http.get(path, headers=ADMIN if headers is None else headers,
                            params=params) as resp:
        return resp.status, await resp.text(), dict(resp.headers)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def finished_pair(api: Api, peers: Callable[[], Peer], clock: Clock,
                        **extra: Any) -> tuple[str, Peer, Peer]:
    s, ana, ben = await pair(api, peers, clock, **extra)
    clock.now += 600
    assert (await ben.call("chat", {"text": "=HYPERLINK(\"http://evil\")"}))["ok"]
    assert (await ben.call("leave", {}))["ok"]
    return s["session_id"], ana, ben


# -- exports ---------------------------------------------------------------------------------------


async def test_people_export_as_csv(api: Api, peers: Callable[[], Peer], clock: Clock) -> None:
    sid, _, _ = await finished_pair(api, peers, clock)
    status, text, headers = await get(api, f"/api/attendance/sessions/{sid}/export",
                                      format="csv")
    assert status == 200, text
    assert headers["Content-Type"].startswith("text/csv")
    assert f"attendance-{sid}-people.csv" in headers["Content-Disposition"]
    assert text.splitlines()[0].split(",") == list(PEOPLE_COLUMNS)
    rows = {r["person_id"]: r for r in csv_rows(text)}
    ben = rows["ben-2026"]
    assert ben["minutes_present"] == "10.0" and ben["minutes_by_room"] == "main=10.0"
    assert ben["chat_messages"] == "1" and ben["status"] == "attended"
    assert ben["first_join"].endswith("Z") and "T" in ben["first_join"]  # ISO 8601, UTC
    assert ben["on_roster"] == "true" and ben["programme"] == "cohort-1"
    assert rows["ana-2026"]["status"] == "present" and rows["ana-2026"]["last_leave"] == ""


async def test_people_export_as_json_and_the_rooms_view(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    sid, _, _ = await finished_pair(api, peers, clock)
    status, text, headers = await get(api, f"/api/attendance/sessions/{sid}/export",
                                      format="json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    people = json.loads(text)
    assert [set(p) for p in people] == [set(PEOPLE_COLUMNS)] * 2
    ben = next(p for p in people if p["person_id"] == "ben-2026")
    assert ben["minutes_by_room"] == {"main": 10.0} and isinstance(ben["first_join"], float)
    status, text, _ = await get(api, f"/api/attendance/sessions/{sid}/export", format="csv",
                                view="rooms")
    assert text.splitlines()[0].split(",") == list(ROOMS_COLUMNS)
    rooms = csv_rows(text)
    assert {(r["person_id"], r["room"], r["room_name"], r["minutes"]) for r in rooms} == {
        ("ana-2026", "main", "Main room", "10.0"), ("ben-2026", "main", "Main room", "10.0")}


async def test_records_view_is_the_raw_ledger(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    sid, _, ben = await finished_pair(api, peers, clock)
    status, text, _ = await get(api, f"/api/attendance/sessions/{sid}/export", format="json",
                                view="records")
    records = json.loads(text)
    assert status == 200 and set(records[0]) == set(RECORDS_COLUMNS)
    assert [r["kind"] for r in records if r["participant_id"] == ben.id] == [
        "joined", "chat", "left"]
    seqs = [r["seq"] for r in records]
    assert seqs == sorted(seqs)


async def test_csv_cells_cannot_become_spreadsheet_formulas(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    sid, _, ben = await finished_pair(api, peers, clock, keep_chat=True)
    _, text, _ = await get(api, f"/api/attendance/sessions/{sid}/export", format="csv",
                           view="records")
    chat = [r for r in csv_rows(text) if r["kind"] == "chat"]
    assert chat[0]["text"] == "'=HYPERLINK(\"http://evil\")"


async def test_export_across_sessions_filtered_by_programme_and_dates(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    first, _, _ = await finished_pair(api, peers, clock)
    clock.now += 7 * 86400
    second, _, _ = await finished_pair(api, peers, clock)
    other = await api.create_session(title="Elsewhere", programme="cohort-2")
    status, text, _ = await get(api, "/api/attendance/export", format="csv",
                                programme="cohort-1")
    assert status == 200
    rows = csv_rows(text)
    assert [r["session_id"] for r in rows] == [first, first, second, second]
    _, text, _ = await get(api, "/api/attendance/export", format="json",
                           since=str(clock.now - 86400))
    assert {r["session_id"] for r in json.loads(text)} == {second}
    assert other["session_id"] not in text  # no one came: no rows
    _, text, _ = await get(api, "/api/attendance/export", format="json", view="records",
                           programme="cohort-1")
    assert {r["session_id"] for r in json.loads(text)} == {first, second}
    _, text, _ = await get(api, "/api/attendance/export", format="json", programme="none")
    assert json.loads(text) == []


async def test_programme_summary(api: Api, peers: Callable[[], Peer], clock: Clock) -> None:
    for _ in range(3):
        await finished_pair(api, peers, clock)
        clock.now += 7 * 86400
    status, text, _ = await get(api, "/api/attendance/programmes/cohort-1")
    assert status == 200, text
    body = json.loads(text)
    assert body["sessions"] == 3
    ben = next(p for p in body["people"] if p["person_id"] == "ben-2026")
    assert (ben["sessions_scheduled"], ben["sessions_attended"], ben["no_shows"]) == (3, 3, 0)
    assert ben["total_minutes"] == 30.0 and ben["trend_minutes_per_session"] == 0.0
    assert [m["minutes"] for m in ben["minutes_by_session"]] == [10.0, 10.0, 10.0]
    status, text, _ = await get(api, "/api/attendance/programmes/cohort-1", format="csv")
    assert status == 200 and csv_rows(text)[0]["attendance_rate"] == "1.0"


async def test_sessions_list(api: Api, peers: Callable[[], Peer], clock: Clock) -> None:
    sid, _, _ = await finished_pair(api, peers, clock)
    status, text, _ = await get(api, "/api/attendance/sessions")
    listed = json.loads(text)["sessions"]
    assert status == 200 and [s["session_id"] for s in listed] == [sid]
    assert listed[0]["roster"] == 2 and listed[0]["participants"] == 2


# -- privacy: deletion and retention ---------------------------------------------------------------


async def test_deleting_a_person_removes_their_records_everywhere(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    sid, _, _ = await finished_pair(api, peers, clock)
    async with api.http.delete("/api/attendance/people/ben-2026", headers=ADMIN) as resp:
        assert resp.status == 200
        deleted = (await resp.json())["deleted"]
    assert deleted["records"] >= 3 and deleted["roster_entries"] == 1
    body = await report(api, sid)
    assert [p["person_id"] for p in body["people"]] == ["ana-2026"]
    _, text, _ = await get(api, f"/api/attendance/sessions/{sid}/export", format="csv",
                           view="records")
    assert "ben-2026" not in text and "Ben" not in text


async def test_deleting_one_unrostered_participant(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session()
    guest = peers()
    await guest.connect(api.token(s["join_urls"]["mentee"]))
    await guest.join("Guest")
    path = f"/api/attendance/sessions/{s['session_id']}/participants/{guest.id}"
    async with api.http.delete(path, headers=ADMIN) as resp:
        # their joining, and their leaving as they were sent away (the session erased them)
        assert resp.status == 200 and (await resp.json())["deleted"]["records"] == 2
    assert (await guest.next("removed"))["code"] == "removed"
    assert (await report(api, s["session_id"]))["people"] == []


async def test_retention_deletes_old_sessions_at_start(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path, clock: Clock
) -> None:
    settings = Settings(data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY,
                        retention_days=30)
    server = await aiohttp_server(create_app(settings, clock=clock))
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        await Api(http, server).create_session(title="Old")
    await server.close()
    clock.now += 31 * 86400
    server = await aiohttp_server(create_app(settings, clock=clock))
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        async def purged() -> bool:  # the purge runs in the background at start
            async with http.get("/api/attendance/sessions", headers=ADMIN) as resp:
                return bool((await resp.json())["sessions"] == [])

        await eventually(purged, timeout=10, what="the purge of the old session")


async def test_retention_counts_from_last_use_not_creation(
    aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path, clock: Clock
) -> None:
    """A session scheduled further ahead than the period, and one its people used lately, stay
    (the journal's and the ledger's alike); an unused one of the same age goes."""
    settings = Settings(data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY,
                        retention_days=30, waiting_room="off")
    server = await aiohttp_server(create_app(settings, clock=clock))
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        api = Api(http, server)
        ahead = await api.create_session(title="Ahead", scheduled_start=clock.now + 60 * 86400,
                                         scheduled_end=clock.now + 60 * 86400 + 3600)
        used = await api.create_session(title="Used", link_ttl_seconds=40 * 86400)
        unused = await api.create_session(title="Unused")
    await server.close()
    clock.now += 25 * 86400
    server = await aiohttp_server(create_app(settings, clock=clock))
    peer = Peer(str(server.make_url("/")))
    await peer.connect(Api.token(used["join_urls"]["mentee"]))
    await peer.join("Ana")
    await peer.close()
    await server.close()
    clock.now += 10 * 86400  # all three were created 35 days ago; "used" was used 10 days ago
    server = await aiohttp_server(create_app(settings, clock=clock))
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        # The first pass is over before the server serves.
        async with http.get("/api/attendance/sessions", headers=ADMIN) as resp:
            listed = {s["session_id"] for s in (await resp.json())["sessions"]}
        assert listed == {ahead["session_id"], used["session_id"]}
        for s, status in ((ahead, 200), (used, 200), (unused, 404)):
            async with http.get(f"/api/sessions/{s['session_id']}", headers=ADMIN) as resp:
                assert resp.status == status, s["title"]
    await server.close()


# -- bad requests ----------------------------------------------------------------------------------


PATHS = ["/api/attendance/sessions", "/api/attendance/sessions/abc",
         "/api/attendance/sessions/abc/export", "/api/attendance/export",
         "/api/attendance/programmes/cohort"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-key-0123456789", ADMIN_KEY,
                                  "Basic " + ADMIN_KEY])
async def test_everything_needs_the_admin_key(api: Api, path: str, auth: str | None) -> None:
    status, text, _ = await get(api, path, headers={} if auth is None else
                                {"Authorization": auth})
    assert status == 401 and json.loads(text)["error"]["code"] == "unauthorized"


async def test_deletion_needs_the_admin_key(api: Api) -> None:
    async with api.http.delete("/api/attendance/people/ben") as resp:
        assert resp.status == 401


async def test_a_join_link_is_not_an_admin_key(api: Api) -> None:
    s = await api.create_session()
    token = api.token(s["join_urls"]["admin"])
    status, _, _ = await get(api, "/api/attendance/sessions",
                             headers={"Authorization": f"Bearer {token}"})
    assert status == 401


@pytest.mark.parametrize(
    ("path", "params", "status", "code", "words"),
    [
        ("/api/attendance/sessions/no%20such", {}, 400, "invalid_payload", "session_id"),
        ("/api/attendance/sessions/" + "x" * 65, {}, 400, "invalid_payload", "session_id"),
        ("/api/attendance/sessions/unknown", {}, 404, "session_not_found", "session"),
        ("/api/attendance/sessions/unknown/export", {}, 404, "session_not_found", "session"),
        ("/api/attendance/sessions/abc", {"format": "csv"}, 400, "invalid_payload", "query"),
        ("/api/attendance/export", {"format": "xml"}, 400, "invalid_payload", "format"),
        ("/api/attendance/export", {"view": "everything"}, 400, "invalid_payload", "view"),
        ("/api/attendance/export", {"since": "last tuesday"}, 400, "invalid_payload", "since"),
        ("/api/attendance/export", {"until": "2026-13-45"}, 400, "invalid_payload", "until"),
        ("/api/attendance/export", {"since": ""}, 400, "invalid_payload", "since"),
        ("/api/attendance/export", {"limit": "0"}, 400, "invalid_payload", "limit"),
        ("/api/attendance/export", {"limit": "lots"}, 400, "invalid_payload", "limit"),
        ("/api/attendance/export", {"sessionid": "abc"}, 400, "invalid_payload", "sessionid"),
        ("/api/attendance/programmes/cohort", {"programme": "x"}, 400, "invalid_payload",
         "path"),
    ],
)
async def test_bad_export_requests_get_clear_errors(
    api: Api, path: str, params: dict[str, str], status: int, code: str, words: str
) -> None:
    got, text, _ = await get(api, path, **params)
    error = json.loads(text)["error"]
    assert (got, error["code"]) == (status, code), text
    assert words in error["message"]


async def test_a_period_that_ends_before_it_starts_selects_nothing(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    await finished_pair(api, peers, clock)
    status, text, _ = await get(api, "/api/attendance/export", view="records")
    assert status == 200 and json.loads(text), text
    for since, until in (("2020-12-01", "2020-11-01"), ("2020-11-01", "2020-11-01"),
                         (str(clock.now + 86400), str(clock.now - 86400))):
        status, text, _ = await get(api, "/api/attendance/export", view="records",
                                    since=since, until=until)
        assert (status, json.loads(text)) == (200, []), text


async def test_bad_deletion_requests(api: Api) -> None:
    async with api.http.delete("/api/attendance/people/has%20space", headers=ADMIN) as resp:
        assert resp.status == 400
    async with api.http.delete("/api/attendance/sessions/nope/participants/x",
                               headers=ADMIN) as resp:
        assert resp.status == 404


async def test_dates_in_queries_may_be_iso_or_epoch(api: Api, clock: Clock) -> None:
    for since in ("2026-11-01", "2026-11-01T10:00:00Z", "2026-11-01T10:00:00+01:00",
                  "1790000000"):
        status, text, _ = await get(api, "/api/attendance/export", since=since)
        assert status == 200, (since, text)


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x", "scheduled_start": 10.0},
        {"title": "x", "scheduled_start": 20.0, "scheduled_end": 10.0},
        {"title": "x", "participants": [{"name": "Ben", "role": "mentee", "id": "a b"}]},
        {"title": "x", "participants": [{"name": "Ben", "role": "mentee", "email": "nope"}]},
        {"title": "x", "participants": [{"name": "Ben", "role": "mentee"},
                                        {"name": "ben", "role": "mentee"}]},
        {"title": "x", "participants": [{"name": "A", "role": "mentee", "id": "same"},
                                        {"name": "B", "role": "mentor", "id": "same"}]},
        {"title": "x", "programme": "p" * 101},
    ],
)
async def test_bad_rosters_and_schedules_are_refused(api: Api, body: dict[str, Any]) -> None:
    async with api.http.post("/api/sessions", json=body, headers=ADMIN) as resp:
        assert resp.status == 400, await resp.text()
        assert (await resp.json())["error"]["message"]


async def test_the_admin_page_is_served(api: Api) -> None:
    status, text, headers = await get(api, "/admin", headers={})
    assert status == 200 and ">Admin · Tandem</title>" in text
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"


async def test_a_live_session_report_counts_to_now(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, _, _ = await pair(api, peers, clock)
    clock.now += 150
    body = await report(api, s["session_id"])
    assert row(body, "ana-2026")["minutes_present"] == 2.5
    assert row(body, "ana-2026")["status"] == "present" and body["ended_at"] is None


async def test_people_export_as_xlsx(api: Api, peers: Callable[[], Peer], clock: Clock) -> None:
    import datetime as dt

    from openpyxl import load_workbook

    sid, _, _ = await finished_pair(api, peers, clock, keep_chat=True)
    async with api.http.get(f"/api/attendance/sessions/{sid}/export",
                            params={"format": "xlsx"}, headers=ADMIN) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].endswith("spreadsheetml.sheet")
        data = await resp.read()
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    width = len(PEOPLE_COLUMNS)  # a read-only sheet drops empty trailing cells
    rows = [[*r, *[None] * (width - len(r))] for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == list(PEOPLE_COLUMNS)
    ben = dict(zip(PEOPLE_COLUMNS, next(r for r in rows if r[6] == "ben-2026"), strict=True))
    assert ben["minutes_present"] == 10.0 and ben["chat_messages"] == 1
    assert isinstance(ben["first_join"], dt.datetime) and ben["on_roster"] is True
    assert ben["minutes_by_room"] == "main=10.0"
    async with api.http.get(f"/api/attendance/sessions/{sid}/export",
                            params={"format": "xlsx", "view": "records"}, headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()
        data = await resp.read()
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    records = list(sheet.iter_rows(values_only=True))
    assert records[0] == RECORDS_COLUMNS and len(records) > 2
    assert {r[3] for r in records[1:]} >= {"joined", "left"}
    assert all(isinstance(r[2], dt.datetime) for r in records[1:])


async def test_xlsx_text_never_becomes_a_formula(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    from openpyxl import load_workbook

    s, _, ben = await pair(api, peers, clock)
    assert (await ben.call("check_in", {"goal": "=1+1"}))["ok"]
    async with api.http.get("/api/attendance/export", params={"format": "xlsx"},
                            headers=ADMIN) as resp:
        data = await resp.read()
    cells = load_workbook(io.BytesIO(data)).active
    check_in = [c for row in cells.iter_rows() for c in row if c.value == "=1+1"]
    assert len(check_in) == 1 and check_in[0].data_type == "s"


async def test_a_control_character_in_a_check_in_keeps_xlsx_exports_working(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    from openpyxl import load_workbook

    s, _, ben = await pair(api, peers, clock)
    # The wire refuses control characters (tests/server/test_text_controls.py); a ledger written
    # before that rule may still hold them.
    await api.server.app[CONTEXT].ledger.append([Record(
        s["session_id"], clock.now, RecordKind.CHECK_IN, ben.id, "ben-2026", MAIN_ROOM,
        Role.MENTEE, text="bell\x07 and\x1b escape")])
    for path in ("/api/attendance/export", f"/api/attendance/sessions/{s['session_id']}/export"):
        async with api.http.get(path, params={"format": "xlsx"}, headers=ADMIN) as resp:
            assert resp.status == 200, path
            data = await resp.read()
        cells = load_workbook(io.BytesIO(data)).active
        goals = [c.value for row in cells.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith("bell")]
        assert goals == ["bell\ufffd and\ufffd escape"], path


def test_an_xlsx_sheet_refuses_rows_past_its_last(monkeypatch: pytest.MonkeyPatch) -> None:
    from rooms.errors import InvalidPayload
    from server.attendance import exports

    monkeypatch.setattr(exports, "SHEET_ROWS", 4)
    sheet = exports.XlsxWriter(("a",))
    sheet.add([{"a": 1}, {"a": 2}, {"a": 3}])  # with the header: the sheet is full
    with pytest.raises(InvalidPayload, match="csv or json"):
        sheet.add([{"a": 4}])
