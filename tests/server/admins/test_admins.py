"""Admin accounts and the audit log over REST: the owner key manages admins, each admin's own key
works (and stops working when rotated or disabled, on every process sharing the database), keys
are kept nowhere readable, and what admins do is in the audit log under their names."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from server.app import CONTEXT, create_app
from server.audit import AUDIT, person_ref
from server.database import DATABASE_FILE
from server.retention import DAY, purge
from server.settings import Settings
from tests.server.backends import Backend, PostgresBackend
from tests.server.captions.test_captions import joined, say
from tests.server.whiteboard.replica import Replica as BoardClient
from tests.server.whiteboard.replica import send, synced
from tests.support import ADMIN_KEY, Api, Clock, Peer

OWNER = {"Authorization": f"Bearer {ADMIN_KEY}"}
MakeServer = Callable[..., Awaitable[TestServer]]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class Client:
    """REST calls to one server, each answered with its status and JSON body."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def call(self, method: str, path: str, headers: dict[str, str] | None = None,
                   **kw: Any) -> tuple[int, Any]:
        async with self.http.request(method, path, headers=OWNER if headers is None else headers,
                                     **kw) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    async def admin(self, name: str, email: str | None = None) -> dict[str, Any]:
        status, body = await self.call("POST", "/api/admins", json={"name": name, "email": email})
        assert status == 201, body
        return dict(body)

    async def session(self, key: str, title: str = "Weekly check-in") -> str:
        status, body = await self.call("POST", "/api/sessions", bearer(key), json={"title": title})
        assert status == 201, body
        return str(body["session_id"])

    async def audit(self, key: str = ADMIN_KEY, **params: Any) -> dict[str, Any]:
        status, body = await self.call("GET", "/api/audit", bearer(key), params=params)
        assert status == 200, body
        return dict(body)


@pytest.fixture
async def client(http: aiohttp.ClientSession) -> Client:
    return Client(http)


async def _client_of(server: TestServer) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        yield Client(http)


# -- accounts --------------------------------------------------------------------------------------


async def test_each_admin_has_a_key_of_their_own(client: Client) -> None:
    ana = await client.admin("Ana Admin", "ana@example.org")
    ben = await client.admin("Ben Admin")
    assert ana["id"] != ben["id"] and ana["key"] != ben["key"]
    assert ana["name"] == "Ana Admin" and ana["email"] == "ana@example.org"
    assert len(ana["key"]) >= 43  # 32 random bytes
    for who in (ana, ben):
        status, body = await client.call("GET", "/api/attendance/sessions", bearer(who["key"]))
        assert status == 200, body
    status, body = await client.call("GET", "/api/admins")
    assert status == 200
    assert [(a["id"], a["name"], a["email"], a["created_by"], a["disabled"])
            for a in body["admins"]] == sorted([
                (ana["id"], "Ana Admin", "ana@example.org", "owner", False),
                (ben["id"], "Ben Admin", None, "owner", False)])
    assert all(set(a) == {"id", "name", "email", "created_at", "created_by", "disabled"}
               for a in body["admins"])


async def test_only_the_owner_manages_admins(client: Client) -> None:
    ana = await client.admin("Ana Admin")
    ben = await client.admin("Ben Admin")
    key = bearer(ana["key"])
    for method, path, kw in (("POST", "/api/admins", {"json": {"name": "Eve"}}),
                             ("GET", "/api/admins", {}),
                             ("POST", f"/api/admins/{ben['id']}/key", {}),
                             ("DELETE", f"/api/admins/{ben['id']}", {})):
        status, body = await client.call(method, path, key, **kw)
        assert status == 403 and body["error"]["code"] == "not_allowed", (method, path, body)
    # Nothing changed: Ben's key still works, and nobody new was made.
    assert (await client.call("GET", "/api/audit", bearer(ben["key"])))[0] == 200
    assert len((await client.call("GET", "/api/admins"))[1]["admins"]) == 2


async def test_a_rotated_key_stops_working_and_the_new_one_works(client: Client) -> None:
    ana = await client.admin("Ana Admin")
    status, rotated = await client.call("POST", f"/api/admins/{ana['id']}/key")
    assert status == 200 and rotated["id"] == ana["id"] and rotated["key"] != ana["key"]
    status, body = await client.call("GET", "/api/audit", bearer(ana["key"]))
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert (await client.call("GET", "/api/audit", bearer(rotated["key"])))[0] == 200


async def test_a_disabled_admin_is_refused_and_keeps_their_name_in_the_log(
        client: Client) -> None:
    ana = await client.admin("Ana Admin")
    sid = await client.session(ana["key"])
    status, body = await client.call("DELETE", f"/api/admins/{ana['id']}")
    assert status == 200 and body["disabled"] is True and "key" not in body
    assert (await client.call("GET", "/api/audit", bearer(ana["key"])))[0] == 401
    # Disabling again changes nothing; a disabled admin gets no new key.
    assert (await client.call("DELETE", f"/api/admins/{ana['id']}"))[0] == 200
    status, body = await client.call("POST", f"/api/admins/{ana['id']}/key")
    assert status == 409 and body["error"]["code"] == "conflict"
    entries = (await client.audit(action="session.created"))["entries"]
    assert [(e["admin_id"], e["admin_name"], e["target"]) for e in entries] == [
        (ana["id"], "Ana Admin", f"sessions/{sid}")]
    listed = (await client.call("GET", "/api/admins"))[1]["admins"]
    assert [(a["id"], a["disabled"]) for a in listed] == [(ana["id"], True)]


async def test_unknown_and_malformed_admin_ids(client: Client) -> None:
    status, body = await client.call("DELETE", "/api/admins/a-0000000000000000")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await client.call("POST", "/api/admins/owner/key")  # no account's id
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await client.call("POST", "/api/admins", json={"name": "Ana", "key": "mine"})
    assert status == 400
    status, body = await client.call("POST", "/api/admins", json={"name": "Ana\x07"})
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    status, body = await client.call("POST", "/api/admins", json={"name": "Ana", "email": "x"})
    assert status == 400


async def test_wrong_keys_are_refused_and_throttled_as_before(client: Client) -> None:
    ana = await client.admin("Ana Admin")
    await client.call("POST", f"/api/admins/{ana['id']}/key")  # Ana's first key is now wrong
    for i in range(10):
        wrong = ana["key"] if i % 2 else "not-a-key-of-this-server"
        status, body = await client.call("GET", "/api/audit", bearer(wrong))
        assert status == 401 and body["error"]["code"] == "unauthorized"
    # The address is throttled now, whatever key it sends, the owner's included.
    status, body = await client.call("GET", "/api/audit", OWNER)
    assert status == 429 and body["error"]["code"] == "rate_limited"


async def test_keys_are_kept_nowhere_readable(client: Client, server: TestServer,
                                              settings: Settings,
                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        ana = await client.admin("Ana Admin", "ana@example.org")
        status, rotated = await client.call("POST", f"/api/admins/{ana['id']}/key")
        await client.session(rotated["key"])
        await client.call("GET", "/api/audit", bearer(ana["key"]))  # a wrong key, logged
        await client.call("DELETE", f"/api/admins/{ana['id']}")
    keys = (ana["key"], rotated["key"])
    ctx = server.app[CONTEXT]
    documents = [d for kind in ("admin", "admin_key", AUDIT)
                 for d in await ctx.documents.find(kind)]
    stored = json.dumps([(d.kind, d.key, d.body) for d in documents])
    listed = json.dumps((await client.call("GET", "/api/admins"))[1])
    audit = json.dumps(await client.audit())
    for key in keys:
        assert key not in stored and key not in listed and key not in audit
        assert key not in caplog.text
    # The raw table too, every column.
    db = sqlite3.connect(settings.data_dir / DATABASE_FILE)
    try:
        rows = json.dumps(db.execute("SELECT * FROM documents").fetchall())
    finally:
        db.close()
    assert ana["id"] in rows
    assert all(key not in rows for key in keys)
    # Nor any personal data in the log: not the admin's email.
    assert "ana@example.org" not in audit and "ana@example.org" not in caplog.text


# -- the audit log ------------------------------------------------------------------------------


async def test_what_two_admins_do_is_in_the_log_in_order(client: Client, clock: Clock,
                                                          settings: Settings) -> None:
    ana = await client.admin("Ana Admin")
    ben = await client.admin("Ben Admin")
    clock.now += 1
    first = await client.session(ana["key"], title="Ana & Zoe (private)")
    clock.now += 1
    status, _ = await client.call("POST", f"/api/sessions/{first}/links", bearer(ben["key"]),
                                  json={"role": "mentee", "name": "Zoe Person"})
    assert status == 201
    clock.now += 1
    status, _ = await client.call("PUT", f"/api/sessions/{first}/groups", bearer(ana["key"]),
                                  json={"groups": []})
    assert status == 200
    clock.now += 1
    status, _ = await client.call("POST", f"/api/sessions/{first}/end", bearer(ben["key"]))
    assert status == 200
    clock.now += 1
    status, _ = await client.call("GET", "/api/attendance/export", bearer(ana["key"]),
                                  params={"format": "csv"})
    assert status == 200
    clock.now += 1
    status, _ = await client.call("DELETE", "/api/attendance/people/zoe-2026",
                                  bearer(ben["key"]))
    assert status == 200

    log = await client.audit(ben["key"])  # any admin reads the log
    assert log["next"] is None
    assert [(e["admin_name"], e["action"], e["target"]) for e in log["entries"]] == [
        ("owner", "admin.created", f"admins/{ana['id']}"),
        ("owner", "admin.created", f"admins/{ben['id']}"),
        ("Ana Admin", "session.created", f"sessions/{first}"),
        ("Ben Admin", "link.created", f"sessions/{first}/links"),
        ("Ana Admin", "groups.set", f"sessions/{first}/groups"),
        ("Ben Admin", "session.ended", f"sessions/{first}"),
        ("Ana Admin", "attendance.exported", "attendance/export"),
        # the person by a keyed hash of their id (it may be their address: a deletion keeps
        # nothing that names them)
        ("Ben Admin", "person.deleted",
         f"attendance/people/ref:{person_ref(settings.secret, 'zoe-2026')}"),
    ]
    by_action = {e["action"]: e for e in log["entries"]}
    assert by_action["attendance.exported"]["detail"]["format"] == "csv"
    assert by_action["person.deleted"]["detail"]["records"] == 0
    assert by_action["link.created"]["detail"] == {"role": "mentee", "personal": True}
    assert [e["admin_id"] for e in log["entries"]][2:4] == [ana["id"], ben["id"]]
    times = [e["at"] for e in log["entries"]]
    assert times == sorted(times)
    # Names of participants and titles are no part of it.
    text = json.dumps(log)
    assert "Zoe Person" not in text and "private" not in text

    # Paging: two at a time, each page after the last key of the one before.
    pages, after = [], ""
    while True:
        page = await client.audit(limit=2, after=after)
        pages.append([e["action"] for e in page["entries"]])
        if page["next"] is None:
            break
        after = page["next"]
    assert sum(pages, []) == [e["action"] for e in log["entries"]]
    assert [len(p) for p in pages] == [2, 2, 2, 2]
    # One action alone.
    only = await client.audit(action="session.created")
    assert [e["target"] for e in only["entries"]] == [f"sessions/{first}"]
    status, body = await client.call("GET", "/api/audit", params={"limit": 501})
    assert status == 400


async def test_each_export_and_deletion_is_audited(client: Client) -> None:
    ana = await client.admin("Ana Admin")
    key = bearer(ana["key"])
    sid = await client.session(ana["key"])
    calls = [
        ("GET", f"/api/attendance/sessions/{sid}/export", {"format": "json"}),
        ("GET", "/api/attendance/export", {"view": "rooms"}),
        ("GET", "/api/attendance/programmes/cohort-1", {"format": "csv"}),
        ("DELETE", f"/api/attendance/sessions/{sid}/participants/p-1", {}),
        ("DELETE", f"/api/sessions/{sid}/boards", {}),
    ]
    for method, path, params in calls:
        status, body = await client.call(method, path, key, params=params)
        assert status == 200, (path, body)
    entries = (await client.audit())["entries"][2:]
    assert [(e["admin_name"], e["action"], e["target"]) for e in entries] == [
        ("Ana Admin", "attendance.exported", f"attendance/sessions/{sid}/export"),
        ("Ana Admin", "attendance.exported", "attendance/export"),
        ("Ana Admin", "attendance.exported", "attendance/programmes/cohort-1"),
        ("Ana Admin", "participant.deleted", f"attendance/sessions/{sid}/participants/p-1"),
        ("Ana Admin", "boards.deleted", f"sessions/{sid}/boards"),
    ]
    assert entries[0]["detail"]["format"] == "json" and entries[1]["detail"]["view"] == "rooms"


async def test_a_refused_action_is_not_audited(client: Client) -> None:
    ana = await client.admin("Ana Admin")
    status, _ = await client.call("POST", "/api/sessions/nosuchsession/end", bearer(ana["key"]))
    assert status == 404
    status, _ = await client.call("GET", "/api/attendance/sessions/nosuch/export",
                                  bearer(ana["key"]))
    assert status == 404
    assert [e["action"] for e in (await client.audit())["entries"]] == ["admin.created"]


async def test_the_retention_rule_deletes_old_entries(client: Client, server: TestServer,
                                                      clock: Clock) -> None:
    await client.admin("Ana Admin")
    clock.now += 400 * DAY
    await client.admin("Ben Admin")
    ctx = server.app[CONTEXT]
    await purge(ctx)  # 365 days by default
    entries = (await client.audit())["entries"]
    assert [e["action"] for e in entries] == ["admin.created"]
    assert entries[0]["at"] == clock.now
    # The accounts themselves are no audit entries: both stay.
    assert len((await client.call("GET", "/api/admins"))[1]["admins"]) == 2


# -- several processes, and PostgreSQL ---------------------------------------------------------


async def test_an_admin_made_on_one_process_works_on_another(
        aiohttp_server: MakeServer, settings: Settings, clock: Clock) -> None:
    one = await aiohttp_server(create_app(settings, clock=clock))
    two = await aiohttp_server(create_app(settings, clock=clock))
    async for a in _client_of(one):
        async for b in _client_of(two):
            ana = await a.admin("Ana Admin")
            clock.now += 1  # the two processes' entries are ordered by time
            await b.session(ana["key"])
            clock.now += 1
            status, rotated = await a.call("POST", f"/api/admins/{ana['id']}/key")
            assert status == 200
            assert (await b.call("GET", "/api/audit", bearer(ana["key"])))[0] == 401
            assert (await b.call("GET", "/api/audit", bearer(rotated["key"])))[0] == 200
            clock.now += 1
            assert (await a.call("DELETE", f"/api/admins/{ana['id']}"))[0] == 200
            assert (await b.call("GET", "/api/audit", bearer(rotated["key"])))[0] == 401
            actions = [e["action"] for e in (await a.audit())["entries"]]
            assert actions == ["admin.created", "session.created", "admin.key_rotated",
                               "admin.disabled"]


async def test_accounts_and_the_log_on_either_database(
        aiohttp_server: MakeServer, settings: Settings, clock: Clock, backend: Backend) -> None:
    if isinstance(backend, PostgresBackend):
        settings = replace(settings, database_url=backend.url)
    server = await aiohttp_server(create_app(settings, clock=clock))
    async for client in _client_of(server):
        ana = await client.admin("Ana Admin")
        sid = await client.session(ana["key"])
        status, rotated = await client.call("POST", f"/api/admins/{ana['id']}/key")
        assert status == 200
        assert (await client.call("GET", "/api/audit", bearer(ana["key"])))[0] == 401
        log = await client.audit(rotated["key"], limit=2)
        assert [(e["admin_name"], e["action"]) for e in log["entries"]] == [
            ("owner", "admin.created"), ("Ana Admin", "session.created")]
        assert log["entries"][1]["target"] == f"sessions/{sid}"
        rest = await client.audit(after=log["next"])
        assert [e["action"] for e in rest["entries"]] == ["admin.key_rotated"]
        rows = json.dumps(await backend.raw("SELECT kind, key, body FROM documents"))
        assert ana["key"] not in rows and rotated["key"] not in rows


async def test_downloads_and_revoked_links_are_audited(
        client: Client, api: Api, peers: Callable[[], Peer]) -> None:
    ana = await client.admin("Ana Admin")
    key = bearer(ana["key"])
    s = await api.create_session(captions="keep")
    sid = s["session_id"]
    mentor, mentor_ack = await joined(api, peers, s, "mentor", "Mia", transcript_notice=True)
    captioner, _ = await joined(api, peers, s, "captioner", "Carl")
    await say(captioner, mentor.id, "1", "Let us start")
    board = BoardClient()
    await synced(mentor, board)
    board.shape("arrow", 10, 10, 100, 40)
    assert (await send(mentor, board))[0]["ok"]
    await mentor.barrier()

    status, _ = await client.call("GET", f"/api/sessions/{sid}/transcript", key,
                                  params={"format": "srt"})
    assert status == 200
    # A mentor's own download is theirs, not an admin's: not in the log.
    status, _ = await client.call("GET", f"/api/sessions/{sid}/transcript",
                                  {"X-Tandem-Resume": mentor_ack["resume"]})
    assert status == 200
    status, _ = await client.call("GET", f"/api/sessions/{sid}/boards/main", key)
    assert status == 200
    status, body = await client.call("POST", f"/api/sessions/{sid}/links/revoke", key,
                                     json={"role": "mentee"})
    assert status == 200, body
    entries = (await client.audit(action="transcript.downloaded"))["entries"]
    assert [(e["admin_name"], e["detail"]) for e in entries] == [
        ("Ana Admin", {"format": "srt", "room": None})]
    entries = (await client.audit())["entries"][-3:]
    assert [(e["admin_name"], e["action"], e["target"]) for e in entries] == [
        ("Ana Admin", "transcript.downloaded", f"sessions/{sid}/transcript"),
        ("Ana Admin", "board.downloaded", f"sessions/{sid}/boards/main"),
        ("Ana Admin", "link.revoked", f"sessions/{sid}/links"),
    ]
    assert entries[2]["detail"] == {"role": "mentee", "person_id": None, "reissued": True}
