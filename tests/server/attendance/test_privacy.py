"""Ratings, check-ins and resume credentials over the real socket and REST paths: private by
default, anonymous means unlinkable, a resume credential ends with its session."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rooms.activity import RATING_WINDOW
from rooms.attendance import DAY
from server.ledger.sqlite import LEDGER_FILE
from server.settings import Settings
from server.tokens import RESUME_LIFETIME, _sign
from tests.server.attendance.test_events import ADMIN, pair, rate, report, row
from tests.support import Api, Clock, Peer


def every_text(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the server's database, by table."""
    db = sqlite3.connect(Path(settings.data_dir) / LEDGER_FILE)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    finally:
        db.close()


def holding(settings: Settings, needle: str) -> set[str]:
    """The tables that hold ``needle`` anywhere (as text or inside bytes)."""
    found = set()
    for table, rows in every_text(settings).items():
        for r in rows:
            for cell in r:
                if (isinstance(cell, str) and needle in cell) or (
                        isinstance(cell, bytes) and needle.encode() in cell):
                    found.add(table)
    return found


async def with_cleo(api: Api, peers: Callable[[], Peer], s: dict[str, Any]) -> Peer:
    cleo = peers()
    await cleo.connect(api.token(s["join_urls"]["mentee"]))
    await cleo.join("Cleo")
    return cleo


# -- what the mentor sees ------------------------------------------------------------------------


async def test_the_mentor_sees_that_a_rating_and_check_in_were_given_not_what_they_say(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    cleo = await with_cleo(api, peers, s)
    ack = await ben.call("check_in", {"goal": "Talk about my exams"})
    assert ack["check_in"] == {"goal": "Talk about my exams", "at": clock.now, "shared": False}
    assert (await cleo.call("check_in", {"goal": "Plan my month", "share": True}))["ok"]
    assert (await ben.call("check_out", {"rating": 2, "comment": "Felt rushed"}))["ok"]
    assert (await cleo.call("check_out", {"rating": 4, "comment": "Kind", "share": True}))[
        "ok"]
    mentor = (await ana.call("attendance", {}))["report"]
    b, c = row(mentor, "ben-2026"), row(mentor, cleo.id)
    assert (b["checked_in"], b["check_in"], b["rated"], b["rating"], b["rating_comment"]) == (
        True, None, True, None, None)
    assert (c["check_in"], c["rating"], c["rating_comment"]) == ("Plan my month", 4, "Kind")
    assert mentor["feedback"] == {"ratings": 2, "average_rating": 3.0}
    # Ben sees his own; the admin sees everyone's, with who shared what.
    own = row((await ben.call("attendance", {}))["report"], "ben-2026")
    assert (own["check_in"], own["rating_comment"]) == ("Talk about my exams", "Felt rushed")
    admin = await report(api, s["session_id"])
    ab = row(admin, "ben-2026")
    assert (ab["check_in"], ab["rating"], ab["rating_comment"]) == (
        "Talk about my exams", 2, "Felt rushed")
    assert (ab["check_in_shared"], ab["rating_shared"]) == (False, False)
    assert row(admin, cleo.id)["rating_shared"] is True


async def test_an_anonymous_rating_cannot_be_shared(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    _, _, ben = await pair(api, peers, clock)
    ack = await ben.call("check_out", {"rating": 3, "anonymous": True, "share": True})
    assert ack["error"]["code"] == "invalid_payload" and "share" in ack["error"]["message"]
    assert (await ben.call("check_out", {"rating": 3}))["ok"]  # nothing was taken before


# -- anonymous means unlinkable --------------------------------------------------------------------


async def test_an_anonymous_rating_is_stored_apart_from_everything_that_names_its_author(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    sid = s["session_id"]
    clock.now += 1234.5
    assert (await ben.call("check_out", {"rating": 2, "comment": "Too short, sorry",
                                         "anonymous": True}))["ok"]
    assert (await ben.call("leave", {}))["ok"]
    # Only the table of anonymous ratings holds it: not the records, not the session journal.
    assert holding(settings, "Too short, sorry") == {"anonymous_ratings"}
    stored = every_text(settings)["anonymous_ratings"]
    assert [(r[1], r[2], r[3]) for r in stored] == [(sid, clock.now - clock.now % DAY, 2)]
    assert ben.id not in str(stored) and "ben-2026" not in str(stored)
    body = await report(api, sid)
    assert body["feedback"]["anonymous"] == [{"rating": 2, "comment": "Too short, sorry"}]
    assert row(body, "ben-2026")["rated"] is False
    async with api.http.get(f"/api/attendance/sessions/{sid}/export?view=records&format=json",
                            headers=ADMIN) as resp:
        records = await resp.json()
    assert not [r for r in records if r["kind"] == "check_out"]


# -- the rating after leaving, and resume credentials ----------------------------------------------


async def test_the_rating_after_leaving_closes_with_the_resume_credential(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    sid = s["session_id"]
    assert (await ben.call("leave", {}))["ok"]
    async with api.http.post(f"/api/sessions/{sid}/end", headers=ADMIN) as resp:
        assert resp.status == 200
    clock.now += RATING_WINDOW
    status, body = await rate(api, {"session_id": sid, "resume": ben.resume, "rating": 5})
    assert (status, body["error"]["code"]) == (401, "resume_expired")
    assert row(await report(api, sid), "ben-2026")["rating"] is None


async def test_a_resume_credential_lasts_its_lifetime_and_an_old_unlimited_one_is_refused(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    sid = s["session_id"]
    first = ben.resume
    assert (await ben.call("leave", {}))["ok"]
    clock.now += RESUME_LIFETIME
    again = peers()
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    await again.connect(api.token(links["ben-2026"]))
    ack = await again.call("join", {"audio": False, "video": False, "resume": first})
    assert ack["error"]["code"] == "resume_expired"
    status, body = await rate(api, {"session_id": sid, "resume": first, "rating": 5})
    assert (status, body["error"]["code"]) == (401, "resume_expired")
    # A credential of the kind that never expired (no expiry in it) is refused the same way.
    unlimited = _sign(settings.secret, "resume", {"s": sid, "p": ben.id})
    ack = await again.call("join", {"audio": False, "video": False, "resume": unlimited})
    assert ack["error"]["code"] == "resume_expired"
    # Without it, Ben's own link still brings him in, as himself.
    ack = await again.call("join", {"audio": False, "video": False})
    assert ack["ok"] and ack["participant"]["name"] == "Ben"


async def test_a_personal_link_with_someone_elses_resume_credential_joins_as_its_own_person(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session(participants=[
        {"name": "Ana", "role": "mentor", "id": "ana-2026"},
        {"name": "Ben", "role": "mentee", "id": "ben-2026"},
        {"name": "Cleo", "role": "mentee", "id": "cleo-2026"}])
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    ben = peers()
    await ben.connect(api.token(links["ben-2026"]))
    ack = await ben.call("join", {"audio": False, "video": False})
    ben_id, ben_resume = ack["participant"]["id"], ack["resume"]
    assert (await ben.call("leave", {}))["ok"]
    cleo = peers()
    await cleo.connect(api.token(links["cleo-2026"]))
    ack = await cleo.call("join", {"audio": False, "video": False, "resume": ben_resume})
    assert ack["ok"] and ack["participant"]["id"] != ben_id
    assert ack["participant"]["name"] == "Cleo" and ack["rejoined"] is False
    assert (await cleo.call("check_out", {"rating": 5}))["ok"]
    body = await report(api, s["session_id"])
    assert row(body, "cleo-2026")["rating"] == 5 and row(body, "ben-2026")["rating"] is None
