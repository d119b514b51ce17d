"""Attendance through the real socket and REST paths: what gets recorded, who may see what, and
what a client cannot do."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.ledger.sqlite import LEDGER_FILE
from server.settings import Limits, Settings
from tests.support import ADMIN_KEY, Api, Clock, Peer

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def report(api: Api, session_id: str) -> dict[str, Any]:
    async with api.http.get(f"/api/attendance/sessions/{session_id}", headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()
        body: dict[str, Any] = await resp.json()
        return body


def row(body: dict[str, Any], person: str) -> dict[str, Any]:
    found = [p for p in body["people"] if p["person_id"] == person]
    assert len(found) == 1, (person, [p["person_id"] for p in body["people"]])
    return found[0]


def ledger_rows(settings: Settings, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(Path(settings.data_dir) / LEDGER_FILE)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


async def rostered(api: Api, clock: Clock, **extra: Any) -> dict[str, Any]:
    return await api.create_session(
        participants=[
            {"name": "Ana", "role": "mentor", "id": "ana-2026", "email": "ana@example.org"},
            {"name": "Ben", "role": "mentee", "id": "ben-2026"},
        ],
        scheduled_start=clock.now + 60, scheduled_end=clock.now + 3660, programme="cohort-1",
        **extra)


async def pair(api: Api, peers: Callable[[], Peer], clock: Clock,
               **extra: Any) -> tuple[dict[str, Any], Peer, Peer]:
    s = await rostered(api, clock, **extra)
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    ana, ben = peers(), peers()
    await ana.connect(api.token(links["ana-2026"]))
    ack = await ana.call("join", {"audio": True, "video": True})
    assert ack["ok"]
    ana.participant, ana.resume = ack["participant"], ack["resume"]
    await ben.connect(api.token(links["ben-2026"]))
    ack = await ben.call("join", {"audio": True, "video": False})
    assert ack["ok"]
    ben.participant, ben.resume = ack["participant"], ack["resume"]
    return s, ana, ben


# -- what is recorded ------------------------------------------------------------------------------


async def test_a_rostered_session_gives_each_person_their_record(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    start = clock.now
    s, ana, ben = await pair(api, peers, clock)
    sid = s["session_id"]
    assert [p["person_id"] for p in s["personal_links"]] == ["ana-2026", "ben-2026"]
    clock.now += 120  # Ben arrived at start (1 min early for a session due at +60)
    assert (await ben.call("check_in", {"goal": "  Plan my first month  "}))["check_in"][
        "goal"] == "Plan my first month"
    assert (await ben.call("chat", {"text": "Hello Ana"}))["ok"]
    assert (await ben.call("speaking", {"speaking": True}))["recorded"] is True
    clock.now += 180
    assert (await ben.call("speaking", {"speaking": False}))["recorded"] is True
    assert (await ana.call("speaking", {"speaking": True}))["ok"]
    clock.now += 60
    assert (await ana.call("speaking", {"speaking": False}))["ok"]
    assert (await ben.call("reaction", {"reaction": "clap"}))["ok"]
    got = await ana.next("reaction")
    assert got == {"participant_id": ben.participant["id"], "reaction": "clap",
                   "at": clock.now}
    assert (await ben.call("hand", {"raised": True}))["recorded"] is True
    assert (await ana.next("hand"))["raised"] is True
    assert (await ben.call("hand", {"raised": True}))["recorded"] is False  # no change
    assert (await ben.call("media_state", {"audio": True, "video": True}))["ok"]
    clock.now += 240
    ack = await ben.call("check_out", {"rating": 4, "comment": "Very useful"})
    assert ack == {"ok": True, "anonymous": False, "shared": False}
    assert (await ben.call("leave", {}))["ok"]
    clock.now += 600
    body = await report(api, sid)
    ben_row, ana_row = row(body, "ben-2026"), row(body, "ana-2026")
    assert ben_row["name"] == "Ben" and ben_row["on_roster"] and ben_row["status"] == "attended"
    assert ben_row["first_join"] == start and ben_row["last_leave"] == start + 600
    assert ben_row["minutes_present"] == 10.0 and ben_row["minutes_by_room"] == {"main": 10.0}
    assert ben_row["lateness_minutes"] == 0.0
    assert ben_row["left_early_minutes"] == pytest.approx(51.0)  # due to end at +61 min
    assert ben_row["speaking_minutes"] == 3.0 and ben_row["talk_share"] == 0.75
    assert ana_row["talk_share"] == 0.25 and ana_row["status"] == "present"
    assert (ben_row["chat_messages"], ben_row["chat_characters"]) == (1, 9)
    assert (ben_row["reactions"], ben_row["hands_raised"]) == (1, 1)
    assert ben_row["camera_minutes"] == 4.0 and ben_row["microphone_minutes"] == 10.0
    assert ben_row["check_in"] == "Plan my first month"
    assert (ben_row["rating"], ben_row["rating_comment"]) == (4, "Very useful")
    assert ana_row["email"] == "ana@example.org" and ana_row["minutes_present"] == 20.0
    assert body["session"]["programme"] == "cohort-1"
    # Chat content is not kept unless the session keeps chat.
    assert ledger_rows(settings, "SELECT value, text FROM records WHERE kind = 'chat'") == [
        (9, None)]


async def test_session_that_keeps_chat_keeps_its_text(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    _, _, ben = await pair(api, peers, clock, keep_chat=True)
    assert (await ben.call("chat", {"text": "kept"}))["ok"]
    assert ledger_rows(settings, "SELECT text FROM records WHERE kind = 'chat'") == [("kept",)]


async def test_acknowledged_means_committed(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    _, _, ben = await pair(api, peers, clock)
    assert (await ben.call("check_in", {"goal": "On disk"}))["ok"]
    # Read straight from the file, as another process would: the ack came after the commit.
    assert ledger_rows(settings, "SELECT text FROM records WHERE kind = 'check_in'") == [
        ("On disk",)]
    assert (await ben.call("chat", {"text": "also on disk"}))["ok"]
    assert ledger_rows(settings, "SELECT count(*) FROM records WHERE kind = 'chat'") == [(1,)]


async def test_reconnect_within_grace_is_one_timeline(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    clock.now += 300
    await ben.sio.disconnect()  # the network drops
    left = await ana.next("participant_left")
    assert left["reason"] == "disconnected"
    clock.now += 30
    again = peers()
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    await again.connect(api.token(links["ben-2026"]))
    assert (await again.call("join", {"resume": ben.resume}))["rejoined"] is True
    clock.now += 270
    assert (await again.call("leave", {}))["ok"]
    ben_row = row(await report(api, s["session_id"]), "ben-2026")
    assert ben_row["minutes_present"] == 10.0 and ben_row["reconnects"] == 1
    assert len(ben_row["participant_ids"]) == 1


async def test_a_person_on_two_devices_is_one_person(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, _, ben = await pair(api, peers, clock)
    links = {p["person_id"]: p["url"] for p in s["personal_links"]}
    phone = peers()
    await phone.connect(api.token(links["ben-2026"]))
    assert (await phone.call("join", {}))["ok"]  # no resume: a new participant, same person
    clock.now += 300
    assert (await phone.call("leave", {}))["ok"]
    clock.now += 300
    assert (await ben.call("leave", {}))["ok"]
    ben_row = row(await report(api, s["session_id"]), "ben-2026")
    assert len(ben_row["participant_ids"]) == 2
    assert ben_row["minutes_present"] == 10.0 and ben_row["reconnects"] == 1


async def test_breakout_minutes_per_room_and_help(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    sid = s["session_id"]
    created = await ana.call("breakout_create", {"names": ["Pair A"]})
    assert created["ok"], created
    assert (await ana.call("breakout_assign", {"participant_id": ben.participant["id"],
                                               "room": "1:b1"}))["ok"]
    clock.now += 120
    assert (await ana.call("breakout_open", {"duration_seconds": None}))["ok"]
    clock.now += 60
    assert (await ben.call("help_request", {}))["ok"]
    assert (await ben.call("reaction", {"reaction": "thinking"}))["ok"]
    clock.now += 540
    assert (await ana.call("breakout_close", {"countdown_seconds": 0}))["ok"]
    clock.now += 60
    assert (await ben.call("leave", {}))["ok"]
    body = await report(api, sid)
    ben_row = row(body, "ben-2026")
    assert ben_row["minutes_by_room"] == {"main": 3.0, "1:b1": 10.0}
    assert ben_row["minutes_breakouts"] == 10.0 and ben_row["help_requests"] == 1
    assert {"id": "1:b1", "name": "Pair A"} in body["rooms"]
    assert [seg["room"] for seg in body["timeline"][1]["segments"]] == ["main", "1:b1", "main"]


async def test_a_session_ended_by_the_admin_closes_everyone(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    clock.now += 900
    async with api.http.post(f"/api/sessions/{s['session_id']}/end", headers=ADMIN) as resp:
        assert resp.status == 200
    clock.now += 900
    body = await report(api, s["session_id"])
    assert body["ended_at"] is not None
    assert [row(body, k)["minutes_present"] for k in ("ana-2026", "ben-2026")] == [15.0, 15.0]
    assert row(body, "ben-2026")["status"] == "attended"


async def test_no_shows_and_unrostered_guests(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await rostered(api, clock)
    guest = peers()
    await guest.connect(api.token(s["join_urls"]["mentee"]))
    await guest.join("Guest")
    clock.now += 4000  # past the scheduled end
    body = await report(api, s["session_id"])
    assert row(body, "ben-2026")["status"] == "no_show"
    assert row(body, guest.id)["on_roster"] is False
    assert row(body, guest.id)["status"] == "present"


# -- privacy: who sees what ------------------------------------------------------------------------


async def test_live_overview_mentor_sees_everyone_mentee_only_themselves(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    observer = peers()
    await observer.connect(api.token(s["join_urls"]["observer"]))
    await observer.join("Olly")
    assert (await ben.call("check_out", {"rating": 2, "comment": "hmm", "anonymous": True}))[
        "anonymous"] is True
    clock.now += 60
    mentor_view = (await ana.call("attendance", {}))["report"]
    assert {p["person_id"] for p in mentor_view["people"]} == {"ana-2026", "ben-2026",
                                                               observer.id}
    assert all(p["email"] is None for p in mentor_view["people"])  # emails: admins only
    # the number and average of the ratings, no anonymous feedback (admins only)
    assert mentor_view["feedback"] == {"ratings": 1, "average_rating": 2.0}
    mentee_view = (await ben.call("attendance", {}))["report"]
    assert [p["person_id"] for p in mentee_view["people"]] == ["ben-2026"]
    assert [t["person_id"] for t in mentee_view["timeline"]] == ["ben-2026"]
    assert mentee_view["people"][0]["minutes_present"] == 1.0
    observer_view = (await observer.call("attendance", {}))["report"]
    assert [p["person_id"] for p in observer_view["people"]] == [observer.id]
    bad = await ben.call("attendance", {"session_id": "another"})
    assert bad["error"]["code"] == "invalid_payload"


async def test_anonymous_rating_is_not_attributed(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    s, _, ben = await pair(api, peers, clock)
    assert (await ben.call("check_out", {"rating": 2, "comment": "Too short",
                                         "anonymous": True}))["ok"]
    again = await ben.call("check_out", {"rating": 5})
    assert again["error"]["code"] == "illegal_transition"
    body = await report(api, s["session_id"])
    assert row(body, "ben-2026")["rating"] is None
    assert body["feedback"]["anonymous"] == [{"rating": 2, "comment": "Too short"}]
    assert ledger_rows(settings, "SELECT COUNT(*) FROM records WHERE kind = 'check_out'") == [
        (0,)]  # kept apart from the records (test_privacy.py)


# -- what a client cannot do -----------------------------------------------------------------------


async def test_a_client_cannot_write_for_someone_else_or_another_room(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    _, ana, ben = await pair(api, peers, clock)
    for event, payload in [
        ("speaking", {"speaking": True, "participant_id": "0123456789abcdef"}),
        ("reaction", {"reaction": "clap", "room": "1:b1"}),
        ("check_in", {"goal": "x", "participant_id": "someone"}),
        ("hand", {"raised": True, "person_id": "ana-2026"}),
    ]:
        ack = await ben.call(event, payload)
        assert ack["error"]["code"] == "invalid_payload", (event, ack)


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("check_in", {"goal": ""}, "invalid_payload"),
        ("check_in", {"goal": "   "}, "invalid_payload"),
        ("check_in", {"goal": "x" * 501}, "payload_too_large"),
        ("check_out", {"rating": 0}, "invalid_payload"),
        ("check_out", {"rating": 6}, "invalid_payload"),
        ("check_out", {"rating": "5"}, "invalid_payload"),
        ("check_out", {"rating": 3, "comment": "x" * 1001}, "payload_too_large"),
        ("speaking", {"speaking": "yes"}, "invalid_payload"),
        ("reaction", {"reaction": "poop"}, "invalid_payload"),
        ("hand", {}, "invalid_payload"),
        ("attendance", ["not", "a", "map"], "invalid_payload"),
    ],
)
async def test_bad_attendance_events_are_refused(
    api: Api, peers: Callable[[], Peer], clock: Clock, event: str, payload: Any, code: str
) -> None:
    _, _, ben = await pair(api, peers, clock)
    ack = await ben.call(event, payload)
    assert ack["error"]["code"] == code, ack
    assert ack["error"]["message"]


async def test_attendance_events_need_a_join(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    for event in ("check_in", "check_out", "speaking", "reaction", "hand", "attendance"):
        assert (await peer.call(event, {}))["error"]["code"] == "not_joined"


async def test_speaking_needs_the_microphone_on_and_muting_ends_it(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    assert (await ben.call("speaking", {"speaking": True}))["ok"]
    clock.now += 60
    assert (await ben.call("media_state", {"audio": False, "video": False}))["ok"]
    clock.now += 60
    ack = await ben.call("speaking", {"speaking": True})
    assert ack["error"]["code"] == "not_allowed"
    assert (await ben.call("speaking", {"speaking": False}))["recorded"] is False
    assert row(await report(api, s["session_id"]), "ben-2026")["speaking_minutes"] == 1.0


@pytest.fixture
def limits() -> Limits:
    return Limits(checkin_rate=0.001, checkin_burst=2, speaking_rate=0.001, speaking_burst=3,
                  reaction_rate=0.001, reaction_burst=4, report_rate=0.001, report_burst=2)


@pytest.mark.parametrize(
    ("event", "payloads", "burst"),
    [
        ("check_in", [{"goal": f"g{i}"} for i in range(3)], 2),
        ("speaking", [{"speaking": i % 2 == 0} for i in range(4)], 3),
        ("reaction", [{"reaction": "heart"} for _ in range(5)], 4),
        ("hand", [{"raised": i % 2 == 0} for i in range(5)], 4),
        ("attendance", [{} for _ in range(3)], 2),
    ],
)
async def test_each_attendance_event_has_its_own_rate_limit(
    api: Api, peers: Callable[[], Peer], clock: Clock, event: str,
    payloads: list[dict[str, Any]], burst: int
) -> None:
    _, ana, ben = await pair(api, peers, clock)
    acks = [await ben.call(event, p) for p in payloads]
    assert [a["ok"] for a in acks] == [True] * burst + [False]
    assert acks[-1]["error"]["code"] == "rate_limited"
    assert (await ana.call(event, payloads[0]))["ok"]  # another connection is not affected


async def test_a_flood_from_one_client_loses_nobody_elses_records(
    api: Api, peers: Callable[[], Peer], clock: Clock, settings: Settings
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    flood = [await ben.call("reaction", {"reaction": "laugh"}) for _ in range(40)]
    assert sum(a["ok"] for a in flood) == 4
    mine = [await ana.call("reaction", {"reaction": "clap"}) for _ in range(4)]
    assert all(a["ok"] for a in mine)
    body = await report(api, s["session_id"])
    assert row(body, "ana-2026")["reactions"] == 4 and row(body, "ben-2026")["reactions"] == 4


# -- rating after leaving (REST, with the participant's own resume credential) ---------------------


async def rate(api: Api, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with api.http.post("/api/attendance/check-out", json=body) as resp:
        return resp.status, await resp.json()


async def test_rating_after_leaving_with_the_resume_credential(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, ana, ben = await pair(api, peers, clock)
    sid = s["session_id"]
    clock.now += 300
    assert (await ben.call("leave", {}))["ok"]
    status, body = await rate(api, {"session_id": sid, "resume": ben.resume, "rating": 3,
                                    "comment": "Good, a bit short"})
    assert (status, body) == (200, {"recorded": True, "anonymous": False, "shared": False})
    status, body = await rate(api, {"session_id": sid, "resume": ben.resume, "rating": 5})
    assert status == 409 and body["error"]["code"] == "illegal_transition"
    ben_row = row(await report(api, sid), "ben-2026")
    assert (ben_row["rating"], ben_row["rating_comment"]) == (3, "Good, a bit short")
    # Someone else's session, a forged credential, a bad rating: refused.
    other = await api.create_session()
    status, body = await rate(api, {"session_id": other["session_id"], "resume": ben.resume,
                                    "rating": 4})
    assert status == 401 and body["error"]["code"] == "token_invalid"
    status, body = await rate(api, {"session_id": sid, "resume": ben.resume[:-2] + "xx",
                                    "rating": 4})
    assert status == 401
    status, body = await rate(api, {"session_id": sid, "resume": ana.resume, "rating": 9})
    assert status == 400 and body["error"]["code"] == "invalid_payload"
    status, body = await rate(api, {"session_id": sid, "resume": ana.resume, "rating": 4,
                                    "participant_id": ben.participant["id"]})
    assert status == 400  # nobody names whose rating it is but their credential


async def test_rating_after_the_session_ended_can_be_anonymous(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s, _, ben = await pair(api, peers, clock)
    sid = s["session_id"]
    async with api.http.post(f"/api/sessions/{sid}/end", headers=ADMIN) as resp:
        assert resp.status == 200
    status, _ = await rate(api, {"session_id": sid, "resume": ben.resume, "rating": 1,
                                 "anonymous": True})
    assert status == 200
    body = await report(api, sid)
    assert row(body, "ben-2026")["rating"] is None
    assert body["feedback"]["anonymous"] == [{"rating": 1, "comment": None}]
    status, _ = await rate(api, {"session_id": sid, "resume": ben.resume, "rating": 1})
    assert status == 409


async def test_whiteboard_edits_count_bursts_of_drawing(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    from tests.server.whiteboard.replica import Replica, send, synced

    s, ana, ben = await pair(api, peers, clock)
    board = Replica()
    await synced(ben, board)
    stroke = board.stroke([1, 2, 3, 4])
    assert all(ack["ok"] for ack in await send(ben, board))
    clock.now += 0.5
    board.extend(stroke, [5, 6])  # the same stroke goes on: the same edit
    assert all(ack["ok"] for ack in await send(ben, board))
    clock.now += 10
    board.shape("rect", 10, 10, 50, 30)  # a new edit
    assert all(ack["ok"] for ack in await send(ben, board))
    body = await report(api, s["session_id"])
    assert row(body, "ben-2026")["whiteboard_edits"] == 2
    assert row(body, "ana-2026")["whiteboard_edits"] == 0
