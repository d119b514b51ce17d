"""Moderation over real sockets: the waiting room, mute and remove, the lock, ending for everyone,
revoked links and connection caps."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
import socketio

from server.settings import Limits, Settings
from tests.support import ADMIN_KEY, Api, Peer, eventually

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def limits() -> Limits:
    return Limits(connections_per_address=12, connections_per_person=2)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, waiting_room="role_links")  # the default of `tandem serve`


async def mentor_in(api: Api, peers: Callable[[], Peer], **session: Any
                    ) -> tuple[dict[str, Any], Peer]:
    s = await api.create_session(**session)
    mentor = peers()
    await mentor.connect(api.token(s["join_urls"]["mentor"]))
    ack = await mentor.join("Mo")
    assert ack["waiters"] == [] and "waiting" not in ack
    return s, mentor


async def waiting(api: Api, peers: Callable[[], Peer], s: dict[str, Any], name: str = "Ben",
                  **extra: Any) -> tuple[Peer, dict[str, Any]]:
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    ack = await peer.call("join", {"name": name, "audio": True, "video": True, **extra})
    assert ack["ok"] and ack["waiting"] is True, ack
    return peer, ack


async def test_role_link_joiners_wait_until_a_mentor_admits_them(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor = await mentor_in(api, peers)
    ben, ack = await waiting(api, peers, s)
    assert ack["session"]["title"] == "Weekly check-in" and "participants" not in ack
    listed = await mentor.next("waiting")
    assert [(w["id"], w["name"], w["role"]) for w in listed["waiting"]] == [
        (ack["waiter"]["id"], "Ben", "mentee")]
    # waiting is not being in: nothing of the session reaches them, and they can do nothing
    assert (await ben.call("chat", {"text": "hi"}))["error"]["code"] == "not_joined"
    await mentor.call("chat", {"text": "private"})
    await ben.nothing("chat")
    assert (await mentor.call("admit", {"waiting_id": ack["waiter"]["id"]}))["ok"]
    admitted = await ben.next("admitted")
    assert admitted["ok"] and admitted["participant"]["name"] == "Ben" and admitted["resume"]
    assert [m["text"] for m in admitted["chat"]] == ["private"]
    assert (await mentor.next("participant_joined"))["participant"]["id"] == admitted[
        "participant"]["id"]
    assert (await mentor.next("waiting"))["waiting"] == []
    assert (await ben.call("chat", {"text": "thanks"}))["ok"]


async def test_a_declined_person_is_told_and_disconnected(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor = await mentor_in(api, peers)
    ben, ack = await waiting(api, peers, s)
    await mentor.next("waiting")
    assert (await ben.call("join", {"name": "Ben"}))["error"]["code"] == "already_joined"
    assert (await mentor.call("decline", {"waiting_id": ack["waiter"]["id"]}))["ok"]
    assert (await ben.next("declined"))["reason"] == "declined"
    await ben.disconnected.wait()
    assert (await mentor.next("waiting"))["waiting"] == []


async def test_leaving_the_waiting_room_takes_them_off_the_list(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor = await mentor_in(api, peers)
    ben, _ = await waiting(api, peers, s)
    await mentor.next("waiting")
    await ben.close()
    assert (await mentor.next("waiting"))["waiting"] == []


async def test_roster_people_go_straight_in_under_their_own_name(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor = await mentor_in(api, peers, participants=[{"name": "Dana", "role": "mentee"}])
    dana = peers()
    await dana.connect(api.token(s["personal_links"][0]["url"]))
    ack = await dana.call("join", {"name": "Somebody Else"})
    assert ack["ok"] and ack["waiters"] == [] and "waiting" not in ack
    assert ack["participant"]["name"] == "Dana"  # a personal link's name is not replaced
    await mentor.nothing("waiting")


async def test_a_locked_mute_is_told_and_holds_until_allowed(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor = await mentor_in(api, peers, waiting_room="off")
    ben = peers()
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    await ben.join("Ben", audio=True, video=True)
    await mentor.next("participant_joined")
    assert (await ben.call("moderate", {"participant_id": mentor.id, "action": "mute"})
            )["error"]["code"] == "not_allowed"
    ack = await mentor.call("moderate", {"participant_id": ben.id, "action": "mute",
                                         "lock": True})
    assert ack["ok"], ack
    assert await ben.next("moderated") == {"action": "mute", "locked": True, "by": "mentor"}
    updated = (await mentor.next("participant_updated"))["participant"]
    assert (updated["audio"], updated["audio_locked"]) == (False, True)
    refused = await ben.call("media_state", {"audio": True, "video": True})
    assert refused["error"]["code"] == "media_locked"
    await mentor.call("moderate", {"participant_id": ben.id, "action": "allow"})
    assert (await ben.next("moderated"))["action"] == "allow"
    assert (await ben.call("media_state", {"audio": True, "video": True}))["ok"]


async def test_a_removed_person_is_told_and_waits_if_they_come_back(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor = await mentor_in(api, peers, waiting_room="off",
                                participants=[{"name": "Dana", "role": "mentee"}])
    dana = peers()
    await dana.connect(api.token(s["personal_links"][0]["url"]))
    await dana.join()
    await mentor.next("participant_joined")
    assert (await mentor.call("moderate", {"participant_id": dana.id, "action": "remove"}))["ok"]
    removed = await dana.next("removed")
    assert removed["code"] == "removed" and "removed you" in removed["message"]
    await dana.disconnected.wait()
    left = await mentor.next("participant_left")
    assert (left["participant_id"], left["reason"]) == (dana.id, "removed")
    # back with their resume credential and their personal link: they wait, marked as removed
    again = peers()
    await again.connect(api.token(s["personal_links"][0]["url"]))
    ack = await again.call("join", {"resume": dana.resume})
    assert ack["waiting"] and ack["waiter"]["removed_before"] and ack["waiter"]["returning"]
    assert (await mentor.next("waiting"))["waiting"][0]["removed_before"]
    await mentor.call("admit", {"waiting_id": ack["waiter"]["id"]})
    assert (await again.next("admitted"))["participant"]["id"] == dana.id


async def test_the_lock_refuses_newcomers(api: Api, peers: Callable[[], Peer]) -> None:
    s, mentor = await mentor_in(api, peers, waiting_room="off")
    assert (await mentor.call("session_lock", {"locked": True}))["ok"]
    assert await mentor.next("session_locked") == {"locked": True}
    late = peers()
    await late.connect(api.token(s["join_urls"]["mentee"]))
    refused = await late.call("join", {"name": "Late"})
    assert refused["error"]["code"] == "session_locked"
    async with api.http.get(f"/api/sessions/{s['session_id']}", headers=AUTH) as resp:
        assert (await resp.json())["locked"] is True
    await mentor.call("session_lock", {"locked": False})
    assert (await late.call("join", {"name": "Late"}))["ok"]


async def test_a_mentor_ends_the_session_for_everyone(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor = await mentor_in(api, peers)
    ben, _ = await waiting(api, peers, s)
    assert (await ben.call("end_session", {}))["error"]["code"] == "not_joined"
    assert (await mentor.call("end_session", {}))["ok"]
    assert (await ben.next("declined"))["reason"] == "session_ended"
    assert (await mentor.next("session_ended"))["reason"] == "ended by a mentor"


async def test_moderation_goes_to_the_ledger(api: Api, peers: Callable[[], Peer]) -> None:
    s, mentor = await mentor_in(api, peers)
    ben, ack = await waiting(api, peers, s)
    await mentor.call("admit", {"waiting_id": ack["waiter"]["id"]})
    ben_id = (await ben.next("admitted"))["participant"]["id"]
    await mentor.call("moderate", {"participant_id": ben_id, "action": "stop_camera",
                                   "lock": True})
    await mentor.call("session_lock", {"locked": True})
    async with api.http.get(f"/api/attendance/sessions/{s['session_id']}/export",
                            params={"view": "records", "format": "csv"}, headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    moderation = [(r["participant_id"], r["text"], r["value"]) for r in rows
                  if r["kind"] == "moderation"]
    assert moderation == [(ben_id, f"admit by {mentor.id}", "0"),
                          (ben_id, f"stop_camera by {mentor.id}", "1"),
                          ("", f"lock by {mentor.id}", "0")]


async def test_a_revoked_link_is_refused_and_its_replacement_works(
    api: Api, peers: Callable[[], Peer], http: aiohttp.ClientSession
) -> None:
    s, mentor = await mentor_in(api, peers, waiting_room="off",
                                participants=[{"name": "Dana", "role": "mentee", "id": "d-1"}])
    old = api.token(s["personal_links"][0]["url"])
    async with http.post(f"/api/sessions/{s['session_id']}/links/revoke",
                         json={"person_id": "d-1"}, headers=AUTH) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    assert body["revoked"] == "person:d-1" and body["url"]
    async with http.post("/api/join/preview", json={"token": old}) as resp:
        assert resp.status == 401 and (await resp.json())["error"]["code"] == "link_revoked"
    stale = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await stale.connect(old)
    assert stale.connect_error["code"] == "link_revoked"
    fresh = peers()
    await fresh.connect(api.token(body["url"]))
    assert (await fresh.join())["participant"]["name"] == "Dana"
    async with http.post(f"/api/sessions/{s['session_id']}/links/revoke",
                         json={"person_id": "nobody"}, headers=AUTH) as resp:
        assert resp.status == 404
    async with http.post(f"/api/sessions/{s['session_id']}/links/revoke",
                         json={"role": "mentee", "person_id": "d-1"}, headers=AUTH) as resp:
        assert resp.status == 400


async def test_a_role_link_lasts_until_a_day_after_the_scheduled_end(api: Api) -> None:
    s = await api.create_session(scheduled_start=2_000_000_000, scheduled_end=2_000_003_600)
    assert s["role_links_expire_at"] == 2_000_003_600 + 86400


async def test_connections_are_capped_per_person_and_per_address(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session(participants=[{"name": "Dana", "role": "mentee"}])
    personal = api.token(s["personal_links"][0]["url"])
    tabs = [peers(), peers()]
    for tab in tabs:
        await tab.connect(personal)
    third = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await third.connect(personal)
    assert third.connect_error["code"] == "too_many_connections"
    await tabs[0].close()

    async def place_free() -> bool:
        again = peers()
        try:
            await again.connect(personal)
        except socketio.exceptions.ConnectionError:
            return False
        return True

    await eventually(place_free, what="a place freed by a closed tab")
    many = []
    for _ in range(9):  # 12 per address in this test: 2 open + 9 = 11, one more fits
        peer = peers()
        await peer.connect(api.token(s["join_urls"]["observer"]))
        many.append(peer)
    last = peers()
    await last.connect(api.token(s["join_urls"]["observer"]))
    over = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await over.connect(api.token(s["join_urls"]["observer"]))
    assert over.connect_error["code"] == "too_many_connections"
