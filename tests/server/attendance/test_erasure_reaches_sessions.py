"""A deletion request reaches the sessions too: after ``DELETE /api/attendance/people/{id}`` the
session store (its live state and its SQLite journal) holds nothing of the person, neither
what it serves nor what it keeps on disk.

Before, only the ledger and the features (``ctx.erasure``) were cleaned."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import socketio

from server.settings import Settings
from tests.server.attendance.test_events import ADMIN
from tests.server.attendance.test_privacy import holding
from tests.support import Api, Clock, Peer

PERSON = "ben-2026"
NAME = "Benedikt Quill"
EMAIL = "benedikt.quill@example.org"
CHAT = "I go to Hillcrest Primary, year 6"
CHECK_IN = "Talk about the bullying at Hillcrest"
# Everything of Ben's the session store may hold.
HIS = {"name": NAME, "email": EMAIL, "chat": CHAT, "check-in": CHECK_IN}


async def a_session_with_ben(api: Api, peers: Callable[[], Peer],
                             clock: Clock) -> dict[str, Any]:
    """A rostered session where Ben (a mentee, with an email on the roster) joined by his
    personal link, chatted, checked in and left; Ana, his mentor, is still there."""
    s = await api.create_session(
        participants=[
            {"name": "Ana", "role": "mentor", "id": "ana-2026", "email": "ana@example.org"},
            {"name": NAME, "role": "mentee", "id": PERSON, "email": EMAIL},
        ],
        scheduled_start=clock.now + 60, scheduled_end=clock.now + 3660, programme="cohort-1")
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    ana, ben = peers(), peers()
    await ana.connect(api.token(links["ana-2026"]))
    assert (await ana.call("join", {"audio": True, "video": False}))["ok"]
    await ben.connect(api.token(links[PERSON]))
    assert (await ben.call("join", {"audio": True, "video": False}))["ok"]
    clock.now += 60
    assert (await ben.call("chat", {"text": CHAT}))["ok"]
    assert (await ana.call("chat", {"text": "Welcome, everyone"}))["ok"]
    assert (await ben.call("check_in", {"goal": CHECK_IN}))["ok"]
    clock.now += 600
    assert (await ben.call("leave", {}))["ok"]
    return s


async def delete_ben(api: Api) -> dict[str, Any]:
    async with api.http.delete(f"/api/attendance/people/{PERSON}", headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()
        body: dict[str, Any] = await resp.json()
    assert body["deleted"]["roster_entries"] == 1  # the ledger's part is done
    return body


async def admin_read(api: Api, session_id: str) -> str:
    async with api.http.get(f"/api/sessions/{session_id}", headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.text()


def named(text: str) -> list[str]:
    return [what for what, needle in HIS.items() if needle in text]


# -- (a) what the session serves ------------------------------------------------------------------


async def test_a_deleted_person_is_not_in_the_state_served_to_someone_joining(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await a_session_with_ben(api, peers, clock)
    sid = s["session_id"]
    assert named(await admin_read(api, sid)) == ["name"]  # he is there before
    await delete_ben(api)

    newcomer = peers()
    await newcomer.connect(api.token(s["join_urls"]["mentee"]))
    ack = await newcomer.join("Cleo")
    read = await admin_read(api, sid)
    served = json.dumps(ack)
    assert named(served) == [], f"a newcomer's join state still holds his {named(served)}"
    assert named(read) == [], f"the admin's read still holds his {named(read)}"


# -- (b) what the journal keeps on disk ----------------------------------------------------------


async def test_a_deleted_person_is_in_no_table_of_the_database(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    await a_session_with_ben(api, peers, clock)
    assert holding(settings, CHAT)  # the journal holds his chat before (no snapshot yet)
    await delete_ben(api)
    # Every table, read through SQLite: the ledger's are clean; the session journal's are not.
    left = {what: holding(settings, needle) for what, needle in HIS.items()}
    assert left == {what: set() for what in HIS}, f"still held after the deletion: {left}"


async def test_a_deleted_person_is_in_no_byte_of_the_data_directory(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    await a_session_with_ben(api, peers, clock)
    await delete_ben(api)
    # The files themselves (the database and its write-ahead log): what SQLite deleted is
    # overwritten (secure_delete), but only once it is deleted.
    left = {}
    for path in sorted(Path(settings.data_dir).rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found = [what for what, needle in HIS.items() if needle.encode() in data]
            if found:
                left[path.name] = found
    assert left == {}, f"files that still hold his data: {left}"


# -- (c) someone in the call, the others' pages, their link, a second request ---------------------


async def test_a_person_deleted_while_in_the_call_is_sent_away_and_dropped_by_every_page(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session(participants=[
        {"name": "Ana", "role": "mentor", "id": "ana-2026"},
        {"name": NAME, "role": "mentee", "id": PERSON, "email": EMAIL}])
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    ana, ben = peers(), peers()
    await ana.connect(api.token(links["ana-2026"]))
    assert (await ana.call("join", {"audio": True, "video": False}))["ok"]
    await ben.connect(api.token(links[PERSON]))
    joined = await ben.call("join", {"audio": True, "video": False})
    assert joined["ok"]
    ben_id = joined["participant"]["id"]
    said = await ben.call("chat", {"text": CHAT})
    assert (await ana.next("chat"))["message"]["text"] == CHAT

    # an admin also made him a link by his name (a roster person's: it names him by his id)
    async with api.http.post(f"/api/sessions/{s['session_id']}/links", headers=ADMIN,
                             json={"role": "mentee", "name": NAME}) as resp:
        assert resp.status == 201, await resp.text()
        by_name = api.token((await resp.json())["url"])
    body = await delete_ben(api)
    assert body["deleted"]["sessions"] == 1
    # His page is told and his connection closed; Ana's page drops him and his message.
    assert (await ben.next("removed"))["code"] == "removed"
    assert (await ana.next("participant_left"))["participant_id"] == ben_id
    assert await ana.next("participant_erased") == {"participant_id": ben_id,
                                                    "message_ids": [said["message"]["id"]]}
    # His personal link no longer lets him in (its preview, its connection).
    async with api.http.post("/api/join/preview", json={"token": api.token(links[PERSON])}) as r:
        assert r.status == 401 and (await r.json())["error"]["code"] == "link_revoked"
    again = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(api.token(links[PERSON]))
    assert again.connect_error["code"] == "link_revoked"
    named = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await named.connect(by_name)
    assert named.connect_error["code"] == "link_revoked"
    # A second request finds nothing more to erase, and says so.
    assert (await delete_ben_again(api))["sessions"] == 0
    await ana.nothing("participant_erased")


async def delete_ben_again(api: Api) -> dict[str, Any]:
    async with api.http.delete(f"/api/attendance/people/{PERSON}", headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()
        return dict((await resp.json())["deleted"])
