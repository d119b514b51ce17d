"""Deletion requests (one process): after a deletion request for a person, nothing the server
keeps may still name them. A person id may be an email address (``PERSON_ID_PATTERN``),
so the id itself is personal data: the deletion request's own audit entry and log line name the
person by a keyed hash of it (``server.audit.person_ref``)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from rooms.erasure import ErasePerson
from server.app import CONTEXT
from server.database import DATABASE_FILE
from server.settings import Settings
from server.store.memory import MemoryStore
from tests.support import ADMIN_KEY, Api, Peer

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
PERSON = "ana.smith@example.org"
SECRET = "I live at Elm Road 12"
GUEST = "Benedikt Quill"


async def _call(http: aiohttp.ClientSession, method: str, path: str, status: int,
                **kw: object) -> object:
    async with http.request(method, path, headers=AUTH, **kw) as resp:  # type: ignore[arg-type]
        text = await resp.text()
        assert resp.status == status, text
        return json.loads(text)


async def test_after_a_deletion_request_the_audit_log_no_longer_holds_the_persons_id(
        api: Api) -> None:
    """An admin revokes Ana's personal link and adds her to a cohort, then a deletion request
    erases her: every earlier audit entry that named her by her id (an email address) still
    does (``link.revoked``'s detail, ``person.added``'s target), and ``GET /api/audit`` hands it
    to any admin."""
    s = await api.create_session(participants=[{"name": "Ana Smith", "role": "mentee",
                                                "id": PERSON}])
    sid = s["session_id"]
    await _call(api.http, "POST", f"/api/sessions/{sid}/links/revoke", 200,
                json={"person_id": PERSON})
    cohort = await _call(api.http, "POST", "/api/cohorts", 201,
                         json={"programme": "Peer mentoring 2026", "name": "Spring"})
    await _call(api.http, "POST", f"/api/cohorts/{cohort['id']}/people", 201,  # type: ignore[index]
                json={"id": PERSON, "name": "Ana Smith", "role": "mentee"})

    await _call(api.http, "DELETE", f"/api/attendance/people/{PERSON}", 200)

    log = await _call(api.http, "GET", "/api/audit", 200, params={"limit": 500})
    entries = log["entries"]  # type: ignore[index]
    assert [e["action"] for e in entries][-1] == "person.deleted"
    naming = [(e["action"], e["target"], e["detail"]) for e in entries
              if PERSON in json.dumps(e)]
    assert not naming, f"the audit log still names the erased person: {naming}"


def _journal_rows(settings: Settings) -> list[bytes]:
    """Every entry and snapshot the SQLite session journal holds (read from the file)."""
    db = sqlite3.connect(f"file:{settings.data_dir / DATABASE_FILE}?mode=ro", uri=True)
    try:
        return ([bytes(r[0]) for r in db.execute("SELECT command FROM session_commands")]
                + [bytes(r[0]) for r in db.execute("SELECT snapshot FROM session_snapshots")])
    finally:
        db.close()


async def test_a_deletion_request_reaches_journal_entries_of_a_session_that_no_longer_names_them(
        api: Api, settings: Settings) -> None:
    """An admin sets a session's groups naming Ana by her person id (as a programme's group
    sessions do), then sets them again without her. The session's state no longer names her,
    but the journal's entry of the first ``SetGroups`` does, until the session's next snapshot
    (which a quiet session may never need). The deletion request looks for sessions by their
    state alone (``names_person``), so it neither finds this one nor purges its entries: her
    id stays on disk."""
    s = await api.create_session(title="Group session")
    sid = s["session_id"]
    await _call(api.http, "PUT", f"/api/sessions/{sid}/groups", 200,
                json={"groups": [{"name": "Pair 1", "members": [PERSON, "ben-2026"]}]})
    await _call(api.http, "PUT", f"/api/sessions/{sid}/groups", 200,
                json={"groups": [{"name": "Pair 1", "members": ["cleo-2026", "ben-2026"]}]})
    assert any(PERSON.encode() in row for row in _journal_rows(settings))  # (the premise)

    await _call(api.http, "DELETE", f"/api/attendance/people/{PERSON}", 200)

    left = [row for row in _journal_rows(settings) if PERSON.encode() in row]
    assert not left, f"the session journal still holds the erased person's id: {left}"


async def test_once_a_session_is_erased_a_replay_there_no_longer_returns_the_persons_chat(
        api: Api, server: TestServer, peers: Callable[[], Peer]) -> None:
    """Ana is on the roster of two sessions and chatted in the first, where Cleo is. A
    deletion request erases her from the first (Cleo is told: ``participant_erased``) and is
    still at the second (its journal write waits its turn). Cleo's page asks for what it
    missed since it joined: the answer holds Ana's message, which the session no longer has.
    The rooms' histories are dropped only once every session is erased (``ctx.erasure``
    comes after), however long that takes."""
    first = await api.create_session(participants=[{"name": "Ana Smith", "role": "mentee",
                                                    "id": PERSON}])
    await api.create_session(participants=[{"name": "Ana Smith", "role": "mentee",
                                            "id": PERSON}])
    cleo = peers()
    await cleo.connect(api.token(first["join_urls"]["mentee"]))
    seen = (await cleo.join("Cleo"))["position"]
    ana = peers()
    await ana.connect(api.token(first["personal_links"][0]["url"]))
    assert (await ana.call("join", {}))["ok"]
    assert (await ana.call("chat", {"text": SECRET}))["ok"]

    ctx = server.app[CONTEXT]
    update = ctx.store.update
    erased: list[str] = []
    at_second, go = asyncio.Event(), asyncio.Event()

    async def slow_update(session_id: str, command: Any) -> Any:
        if isinstance(command, ErasePerson):
            erased.append(session_id)
            if len(erased) == 2:
                at_second.set()
                await go.wait()  # (the second session's erasure waits for the database)
        return await update(session_id, command)

    ctx.store.update = slow_update  # type: ignore[method-assign]
    deletion = asyncio.create_task(_call(api.http, "DELETE", f"/api/attendance/people/{PERSON}",
                                         200))
    try:
        await asyncio.wait_for(at_second.wait(), 5)
        assert erased[0] == first["session_id"]
        gone = await cleo.next("participant_erased")  # (the first session is erased)
        answer = await cleo.call("replay", {k: seen[k] for k in ("room", "epoch", "offset")})
    finally:
        go.set()
        await deletion
    replayed = [e["payload"]["message"]["text"] for e in answer.get("events", [])
                if e["event"] == "chat"]
    assert replayed == [], (f"after participant_erased {gone}, a replay returned the erased "
                            f"person's chat: {replayed}")


async def test_a_deletion_request_takes_the_person_out_of_everyone_elses_never_pair(
        api: Api) -> None:
    """Cleo's profile says she must never be matched with Ana (``never_pair``, by Ana's id: a
    safeguarding note, perhaps). A deletion request for Ana removes Ana's own profile, fit
    answers and matches, but Cleo's profile still names Ana by her id (an email address),
    and the cohort's people list hands it out."""
    cohort = await _call(api.http, "POST", "/api/cohorts", 201,
                         json={"programme": "Peer mentoring 2026", "name": "Spring"})
    people = f"/api/cohorts/{cohort['id']}/people"  # type: ignore[index]
    await _call(api.http, "POST", people, 201,
                json={"id": PERSON, "name": "Ana Smith", "role": "mentee"})
    await _call(api.http, "POST", people, 201,
                json={"id": "cleo-2026", "name": "Cleo", "role": "mentor",
                      "never_pair": [PERSON]})

    await _call(api.http, "DELETE", f"/api/attendance/people/{PERSON}", 200)

    listed = await _call(api.http, "GET", people, 200)
    naming = [p for p in listed["people"] if PERSON in json.dumps(p)]  # type: ignore[index]
    assert not naming, f"the cohort still names the erased person: {naming}"


async def test_deleting_a_participant_who_waits_to_be_let_in_erases_them(
        api: Api, server: TestServer, settings: Settings, peers: Callable[[], Peer]) -> None:
    """A guest waits in the waiting room, known by the id they will have once admitted (the
    id the mentors' list shows, and their records'). A deletion request for that participant
    answers 200, but ``EraseParticipant`` sends away only a waiter who *returns* as that
    participant (``resume_id``), not one who *is* that participant: the guest keeps waiting
    under their name, which the session's purging snapshot now writes to disk."""
    s = await api.create_session(waiting_room="everyone")
    sid = s["session_id"]
    mentor = peers()
    await mentor.connect(api.token(s["join_urls"]["mentor"]))
    await mentor.join("Mo")
    guest = peers()
    await guest.connect(api.token(s["join_urls"]["mentee"]))
    ack = await guest.call("join", {"name": GUEST})
    assert ack["ok"] and ack["waiting"] is True, ack
    assert [w["name"] for w in (await mentor.next("waiting"))["waiting"]] == [GUEST]

    await _call(api.http, "DELETE",
                f"/api/attendance/sessions/{sid}/participants/{ack['waiter']['id']}", 200)

    ctx = server.app[CONTEXT]
    waiting = await ctx.store.read(sid, lambda s: [w.name for w in s.waiting.values()])
    on_disk = [row for row in _journal_rows(settings) if GUEST.encode() in row]
    assert (waiting, on_disk) == ([], []), (
        f"the erased participant still waits as {waiting}; on disk: {on_disk}")


async def test_a_deletion_request_leaves_sessions_that_never_named_the_person_alone(
        api: Api, peers: Callable[[], Peer], server: TestServer) -> None:
    """A deletion request for someone who was never in a session (nor named in its journal)
    rewrites none of the live sessions (it gives each session it finds a purging snapshot of
    the whole session, written and fsynced): the journal is searched, not every session with
    entries since its snapshot taken."""
    store = server.app[CONTEXT].store
    assert isinstance(store, MemoryStore)
    s = await api.create_session(title="Unrelated")
    sid = s["session_id"]
    ana = peers()
    await ana.connect(api.token(s["join_urls"]["mentee"]))
    await ana.join("Ana")
    assert (await ana.call("chat", {"text": "hello"}))["ok"]
    before = store._kept[sid].seq, store._kept[sid].since_snapshot
    assert before[1] > 0
    async with api.http.delete("/api/attendance/people/nobody-at-all", headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["deleted"].get("sessions") == 0
    after = store._kept[sid].seq, store._kept[sid].since_snapshot
    assert after == before, (
        f"a session that never named the person was given the erasure (entry, bytes since its "
        f"snapshot: {before} -> {after}: a purging snapshot of it was written)")
