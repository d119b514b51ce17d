"""Transcripts after a deletion request (one process): nothing of the person erased is left in
the transcript a session's mentors and admins download, its headings included."""

from __future__ import annotations

from collections.abc import Callable

from tests.server.captions.test_captions import ADMIN, get, joined, say
from tests.server.cluster.apps import ok
from tests.support import Api, Clock, Peer

PERSON = "ben-2026"
NAME = "Benedikt Quill"


async def test_a_deleted_persons_name_is_not_a_transcript_heading(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    """A breakout room named after Ben (the session renames it on his deletion: ``rooms.
    erasure``); Cleo speaks there. After Ben's deletion request the transcript of that room
    still has its lines, under a heading that no longer names him."""
    s = await api.create_session(
        captions="keep",
        participants=[{"name": "Ana", "role": "mentor", "id": "ana-2026"},
                      {"name": NAME, "role": "mentee", "id": PERSON}])
    sid = s["session_id"]
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    ana = peers()
    await ana.connect(api.token(links["ana-2026"]))
    assert (await ana.call("join", {"transcript_notice": True}))["ok"]
    ben = peers()
    await ben.connect(api.token(links[PERSON]))
    assert (await ben.call("join", {"transcript_notice": True}))["ok"]
    cleo, _ = await joined(api, peers, s, "mentee", "Cleo", transcript_notice=True)
    created = await ok(ana, "breakout_create", {"names": [f"{NAME}'s pair"]})
    room = created["breakouts"]["rooms"][0]["id"]  # type: ignore[index]
    await ok(ana, "breakout_assign", {"participant_id": cleo.id, "room": room})
    await ok(ana, "breakout_open", {})
    clock.now += 10
    await say(cleo, cleo.id, "c1", "Cleo talks about her week")
    await ok(ana, "breakout_close", {"countdown_seconds": 0})
    status, before = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert status == 200 and NAME in before and "Cleo talks" in before, before

    async with api.http.delete(f"/api/attendance/people/{PERSON}", headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()
    status, after = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert status == 200 and "Cleo talks" in after, after
    status, listed = await get(api, f"/api/sessions/{sid}/transcript/rooms")
    assert NAME not in after and NAME not in listed, (after, listed)


async def test_a_transcript_request_without_a_valid_credential_learns_nothing(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """Someone with no valid credential is refused alike whether the session exists or not:
    before, an unknown session id was answered 404 (and a known one 401), which told anyone
    which session ids exist, after reading the session's ledger for them."""
    s = await api.create_session(captions="keep")
    ana, ana_ack = await joined(api, peers, s, "mentor", "Ana", transcript_notice=True)
    known, unknown = s["session_id"], "f" * len(s["session_id"])
    for header in ("not-a-credential", ana_ack["resume"]):
        for session_id in (known, unknown):
            if header == ana_ack["resume"] and session_id == known:
                continue  # (hers: allowed)
            for path in ("transcript", "transcript/rooms"):
                status, text = await get(api, f"/api/sessions/{session_id}/{path}",
                                         {"X-Tandem-Resume": header})
                assert status == 401 and "unauthorized" in text, (session_id, path, text)


async def test_a_mentor_an_admin_removed_cannot_download_the_transcript(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """A mentor's resume credential downloads the session's transcript; once an admin removed
    that mentor from the session, it no longer does (until they are let in again)."""
    s = await api.create_session(captions="keep")
    sid = s["session_id"]
    ana, ana_ack = await joined(api, peers, s, "mentor", "Ana", transcript_notice=True)
    adam, _ = await joined(api, peers, s, "admin", "Adam", transcript_notice=True)
    cleo, _ = await joined(api, peers, s, "captioner", "Cleo")
    await say(cleo, ana.id, "a1", "Ana opens the session")
    mine = {"X-Tandem-Resume": ana_ack["resume"]}
    status, text = await get(api, f"/api/sessions/{sid}/transcript", mine, format="txt")
    assert status == 200 and "Ana opens the session" in text, text
    await ok(adam, "moderate", {"participant_id": ana.id, "action": "remove"})
    await ana.next("removed")
    for path, query in (("transcript", {"format": "txt"}), ("transcript/rooms", {})):
        status, text = await get(api, f"/api/sessions/{sid}/{path}", mine, **query)
        assert status == 403 and "not_allowed" in text, (path, text)
