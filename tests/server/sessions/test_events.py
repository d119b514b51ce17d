from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import socketio

from tests.support import Api, Clock, Peer

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host",
             "sdpMid": "0", "sdpMLineIndex": 0}


async def pair(api: Api, peers: Callable[[], Peer], **session: Any) -> tuple[dict, Peer, Peer]:
    s = await api.create_session(**session)
    mentor, mentee = peers(), peers()
    await mentor.connect(api.token(s["join_urls"]["mentor"]))
    await mentor.join("Ana", audio=True, video=True)
    await mentee.connect(api.token(s["join_urls"]["mentee"]))
    await mentee.join("Ben", audio=True, video=False)
    await mentor.next("participant_joined")
    return s, mentor, mentee


# -- connecting -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "code"),
    [(None, "token_missing"), ("garbage", "token_invalid"), ("abc.def", "token_invalid")],
)
async def test_connect_refuses_bad_tokens_with_reason(
    peers: Callable[[], Peer], token: str | None, code: str
) -> None:
    peer = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(token)
    assert peer.connect_error["code"] == code
    assert peer.connect_error["message"]


async def test_connect_refuses_forged_token(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    token = api.token(s["join_urls"]["mentee"])
    body, mac = token.split(".")
    # claim the mentor role with the mentee's signature
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["r"] = "mentor"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    peer = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(f"{forged_body}.{mac}")
    assert peer.connect_error["code"] == "token_invalid"


async def test_connect_refuses_expired_token(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session(link_ttl_seconds=60)
    clock.now += 61
    peer = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await peer.connect(api.token(s["join_urls"]["mentee"]))
    assert peer.connect_error["code"] == "token_expired"
    assert "expired" in peer.connect_error["message"]


async def test_events_before_join_are_refused(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    ack = await peer.call("chat", {"text": "hi"})
    assert ack == {
        "ok": False, "error": {"code": "not_joined", "message": "Join the session first."}
    }


# -- joining --------------------------------------------------------------------------------------


async def test_join_ack_carries_everything_a_client_needs(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor, mentee = await pair(api, peers, goal="Plan the month")
    late = peers()
    await late.connect(api.token(s["join_urls"]["observer"]))
    ack = await late.join("Cleo", audio=True, video=True)
    assert ack["participant"]["role"] == "observer"
    assert ack["participant"]["audio"] is False  # observers watch only
    assert ack["session"]["title"] == "Weekly check-in"
    assert ack["session"]["goal"] == "Plan the month"
    assert ack["session"]["state"] == "live"
    assert {p["name"] for p in ack["participants"]} == {"Ana", "Ben", "Cleo"}
    assert ack["rejoined"] is False and ack["resume"]
    assert ack["ice_servers"] == []
    assert ack["limits"] == {"chat_text": 2000, "max_participants": 8}
    joined = await mentor.next("participant_joined")
    assert joined["participant"]["name"] == "Cleo"
    assert (await mentee.next("participant_joined"))["participant"]["id"] == late.id
    await late.nothing("participant_joined")


async def test_join_uses_name_from_personal_link(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session(participants=[{"name": "Dana", "role": "mentee"}])
    peer = peers()
    await peer.connect(api.token(s["personal_links"][0]["url"]))
    ack = await peer.call("join", {})
    assert ack["ok"] and ack["participant"]["name"] == "Dana"


async def test_join_without_any_name_is_refused(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    ack = await peer.call("join", {})
    assert ack["error"]["code"] == "invalid_payload" and "name" in ack["error"]["message"]
    ack = await peer.call("join", {"name": "Ok", "audio": "yes"})
    assert ack["error"]["code"] == "invalid_payload" and "audio" in ack["error"]["message"]
    ack = await peer.call("join", {"name": "Ok", "extra": 1})
    assert ack["error"]["code"] == "invalid_payload"
    ack = await peer.call("join", ["not", "a", "map"])
    assert ack["error"]["code"] == "invalid_payload"
    assert (await peer.call("join", {"name": "Ok"}))["ok"]
    assert (await peer.call("join", {"name": "Ok"}))["error"]["code"] == "already_joined"


async def test_session_full(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session(max_participants=2)
    for name in ("A", "B"):
        p = peers()
        await p.connect(api.token(s["join_urls"]["mentee"]))
        await p.join(name)
    third = peers()
    await third.connect(api.token(s["join_urls"]["mentee"]))
    ack = await third.call("join", {"name": "C"})
    assert ack["error"]["code"] == "session_full"


# -- chat -----------------------------------------------------------------------------------------


async def test_chat_reaches_room_and_history_reaches_late_joiner(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor, mentee = await pair(api, peers)
    ack = await mentee.call("chat", {"text": "Hello Ana"})
    assert ack["ok"] and ack["message"]["text"] == "Hello Ana" and ack["message"]["id"] == 1
    got = (await mentor.next("chat"))["message"]
    assert got["from"] == mentee.id and got["name"] == "Ben" and got["role"] == "mentee"
    assert (await mentee.next("chat"))["message"]["id"] == 1  # the sender sees it too
    late = peers()
    await late.connect(api.token(s["join_urls"]["mentee"]))
    ack = await late.join("Cleo")
    assert [m["text"] for m in ack["chat"]] == ["Hello Ana"]


async def test_a_chat_sent_again_with_its_client_id_is_posted_once(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor, mentee = await pair(api, peers)
    first = await mentee.call("chat", {"text": "Did this go?", "client_id": "pg7-1"})
    assert first["ok"] and (await mentor.next("chat"))["message"] == first["message"]
    # The page lost its connection before the answer: it rejoins and sends the message again.
    await mentee.close()
    again = peers()
    await again.connect(api.token(s["join_urls"]["mentee"]))
    ack = await again.join("Ben", resume=mentee.resume)
    assert [m["text"] for m in ack["chat"]] == ["Did this go?"]
    second = await again.call("chat", {"text": "Did this go?", "client_id": "pg7-1"})
    assert second == first
    await mentor.nothing("chat")
    # Another message, or the same text without an id, is posted.
    assert (await again.call("chat", {"text": "Did this go?"}))["message"]["id"] == 2
    assert (await again.call("chat", {"text": "Next", "client_id": "pg7-2"}))["message"]["id"] == 3
    for bad, code in (("", "invalid_payload"), ("x" * 41, "payload_too_large"),
                      ("no spaces", "invalid_payload"), ("ünï", "invalid_payload"),
                      (7, "invalid_payload")):
        refused = await again.call("chat", {"text": "hi", "client_id": bad})
        assert refused["error"]["code"] == code, bad
    assert [(await mentor.next("chat"))["message"]["id"] for _ in range(2)] == [2, 3]
    await mentor.nothing("chat")


async def test_bad_chat_gets_error_and_room_carries_on(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, mentor, mentee = await pair(api, peers)
    assert (await mentee.call("chat", {"text": ""}))["error"]["code"] == "invalid_payload"
    assert (await mentee.call("chat", {"text": "   "}))["error"]["code"] == "invalid_payload"
    assert (await mentee.call("chat", {"text": 5}))["error"]["code"] == "invalid_payload"
    too_long = await mentee.call("chat", {"text": "x" * 2001})
    assert too_long["error"]["code"] == "payload_too_large"
    await mentor.nothing("chat")
    assert (await mentor.call("chat", {"text": "still here"}))["ok"]
    assert (await mentee.next("chat"))["message"]["text"] == "still here"


# -- media state and signalling --------------------------------------------------------------------


async def test_media_state_is_announced(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, mentee = await pair(api, peers)
    ack = await mentee.call("media_state", {"audio": False, "video": False})
    assert ack["ok"] and ack["participant"]["audio"] is False
    update = await mentor.next("participant_updated")
    assert update["participant"]["id"] == mentee.id and update["participant"]["audio"] is False
    bad = await mentee.call("media_state", {"audio": False})
    assert bad["error"]["code"] == "invalid_payload"


async def test_observer_cannot_turn_media_on(api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    obs = peers()
    await obs.connect(api.token(s["join_urls"]["observer"]))
    await obs.join("Olly")
    ack = await obs.call("media_state", {"audio": True, "video": False})
    assert ack["error"]["code"] == "not_allowed"


async def test_signal_is_relayed_only_to_its_target(api: Api, peers: Callable[[], Peer]) -> None:
    s, mentor, mentee = await pair(api, peers)
    third = peers()
    await third.connect(api.token(s["join_urls"]["mentee"]))
    await third.join("Cleo")
    ack = await mentor.call("signal", {"to": mentee.id, "description": OFFER})
    assert ack == {"ok": True}
    got = await mentee.next("signal")
    assert got == {"from": mentor.id, "description": OFFER}
    assert (await mentee.call("signal", {"to": mentor.id, "candidate": CANDIDATE}))["ok"]
    assert (await mentor.next("signal")) == {"from": mentee.id, "candidate": CANDIDATE}
    assert (await mentee.call("signal", {"to": mentor.id, "candidate": None}))["ok"]
    assert (await mentor.next("signal")) == {"from": mentee.id, "candidate": None}
    await third.nothing("signal")


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"to": "0123456789abcdef", "description": OFFER}, "unknown_participant"),
        ({"to": "SELF", "description": OFFER}, "invalid_payload"),
        ({"to": "PEER"}, "invalid_payload"),
        ({"to": "PEER", "description": OFFER, "candidate": CANDIDATE}, "invalid_payload"),
        ({"to": "PEER", "description": None}, "invalid_payload"),
        ({"to": "PEER", "description": {"type": "bogus", "sdp": ""}}, "invalid_payload"),
        ({"to": "PEER", "description": {"type": "offer", "sdp": "x" * 70000}}, "payload_too_large"),
        ({"to": "PEER", "candidate": {"candidate": "c" * 2000}}, "payload_too_large"),
        ({"to": "PEER", "description": OFFER, "script": "<x>"}, "invalid_payload"),
    ],
)
async def test_bad_signals_are_refused(
    api: Api, peers: Callable[[], Peer], payload: dict[str, Any], code: str
) -> None:
    _, mentor, mentee = await pair(api, peers)
    if payload["to"] == "SELF":
        payload = {**payload, "to": mentor.id}
    elif payload["to"] == "PEER":
        payload = {**payload, "to": mentee.id}
    ack = await mentor.call("signal", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    await mentee.nothing("signal")


async def test_signal_to_other_session_is_refused(api: Api, peers: Callable[[], Peer]) -> None:
    _, a_mentor, _ = await pair(api, peers)
    _, _, b_mentee = await pair(api, peers)
    ack = await a_mentor.call("signal", {"to": b_mentee.id, "description": OFFER})
    assert ack["error"]["code"] == "unknown_participant"
    await b_mentee.nothing("signal")


# -- leaving, dropping and coming back ------------------------------------------------------------


async def test_drop_and_resume_keeps_identity_and_chat(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s, mentor, mentee = await pair(api, peers)
    await mentor.call("chat", {"text": "before the drop"})
    old_id, resume = mentee.id, mentee.resume
    await mentee.close()
    left = await mentor.next("participant_left")
    assert left == {"participant_id": old_id, "reason": "disconnected"}
    back = peers()
    await back.connect(api.token(s["join_urls"]["mentee"]))
    ack = await back.join("Ben", resume=resume)
    assert ack["rejoined"] is True and ack["participant"]["id"] == old_id
    assert [m["text"] for m in ack["chat"]] == ["before the drop"]
    rejoined = await mentor.next("participant_rejoined")
    assert rejoined["participant"]["id"] == old_id
    assert rejoined["participant"]["state"] == "connected"


async def test_second_connection_replaces_the_first(api: Api, peers: Callable[[], Peer]) -> None:
    s, mentor, mentee = await pair(api, peers)
    second = peers()
    await second.connect(api.token(s["join_urls"]["mentee"]))
    ack = await second.join("Ben", resume=mentee.resume)
    assert ack["participant"]["id"] == mentee.id
    replaced = await mentee.next("replaced")
    assert replaced["code"] == "replaced"
    await asyncio.wait_for(mentee.disconnected.wait(), 5)
    assert (await mentor.next("participant_rejoined"))["participant"]["id"] == mentee.id
    # the old connection's disconnect did not mark the person as gone
    await mentor.nothing("participant_left")
    assert (await second.call("chat", {"text": "from the new tab"}))["ok"]


async def test_resume_token_from_another_session_makes_a_new_person(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, _, a_mentee = await pair(api, peers)
    s2 = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s2["join_urls"]["mentee"]))
    ack = await peer.join("Ben", resume=a_mentee.resume)
    assert ack["rejoined"] is False and ack["participant"]["id"] != a_mentee.id


async def test_leave_announces_and_closes(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, mentee = await pair(api, peers)
    assert (await mentee.call("leave", {})) == {"ok": True}
    left = await mentor.next("participant_left")
    assert left == {"participant_id": mentee.id, "reason": "left"}
    # acknowledged once sent to everyone still in: before the mentee's connection closes
    assert (await mentor.call("chat", {"text": "after you left"}))["ok"]
    await asyncio.wait_for(mentee.disconnected.wait(), 5)
    await mentor.nothing("participant_left")
    assert mentee.inbox["chat"].empty()  # nothing of the session once they left


async def test_oversized_message_closes_only_that_connection(
    api: Api, peers: Callable[[], Peer]
) -> None:
    _, mentor, mentee = await pair(api, peers)
    await mentee.sio.emit("chat", {"text": "x" * 300_000})
    await asyncio.wait_for(mentee.disconnected.wait(), 5)
    assert (await mentor.next("participant_left"))["reason"] == "disconnected"
    assert (await mentor.call("chat", {"text": "still fine"}))["ok"]


async def test_admin_ending_session_disconnects_everyone(
    api: Api, peers: Callable[[], Peer]
) -> None:
    from tests.support import ADMIN_KEY

    s, mentor, mentee = await pair(api, peers)
    async with api.http.post(
        f"/api/sessions/{s['session_id']}/end", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    ) as resp:
        assert resp.status == 200
        assert (await resp.json())["state"] == "ended"
    for peer in (mentor, mentee):
        assert (await peer.next("session_ended"))["reason"]
        await asyncio.wait_for(peer.disconnected.wait(), 5)
    late = peers()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await late.connect(api.token(s["join_urls"]["mentee"]))
    assert late.connect_error["code"] == "session_ended"


async def test_a_failing_listener_does_not_stop_delivery(
    api: Api, peers: Callable[[], Peer], server: Any
) -> None:
    from rooms.events import ChatPosted
    from server.app import CONTEXT

    seen: list[object] = []

    async def broken(events: Sequence[object]) -> None:
        raise RuntimeError("recorder is down")

    async def recorder(events: Sequence[object]) -> None:
        seen.extend(events)

    delivery = server.app[CONTEXT].delivery
    delivery.add_recorder(broken)
    delivery.add_recorder(recorder)
    _, mentor, mentee = await pair(api, peers)
    assert (await mentee.call("chat", {"text": "hello"}))["ok"]
    assert (await mentor.next("chat"))["message"]["text"] == "hello"
    chats = [e for e in seen if isinstance(e, ChatPosted)]
    assert [c.message.text for c in chats] == ["hello"]


async def test_a_failing_required_recorder_turns_the_ack_into_not_recorded(
    api: Api, peers: Callable[[], Peer], server: Any
) -> None:
    from server.app import CONTEXT

    async def broken(events: Sequence[object]) -> None:
        raise OSError("disk full")

    _, mentor, mentee = await pair(api, peers)
    server.app[CONTEXT].delivery.add_recorder(broken, required=True)
    ack = await mentee.call("chat", {"text": "said, but not recorded"})
    assert ack["ok"] is False and ack["error"]["code"] == "not_recorded"
    # the room still got it: the action happened, only its record is missing
    assert (await mentor.next("chat"))["message"]["text"] == "said, but not recorded"


async def test_a_message_not_recorded_sent_again_with_its_id_is_posted_and_recorded(
    api: Api, peers: Callable[[], Peer], server: Any
) -> None:
    from rooms.events import ChatPosted
    from server.app import CONTEXT

    recorded: list[str] = []
    failures = [OSError("disk full")]

    async def fails_once(events: Sequence[object]) -> None:
        if failures:
            raise failures.pop()
        recorded.extend(e.message.text for e in events if isinstance(e, ChatPosted))

    _, mentor, mentee = await pair(api, peers)
    server.app[CONTEXT].delivery.add_recorder(fails_once, required=True)
    said = {"text": "kept at last", "client_id": "page-1"}
    ack = await mentee.call("chat", said)
    assert ack["error"]["code"] == "not_recorded"
    first = await mentor.next("chat")
    # The page sends it again with its id: posted again, and this time recorded.
    again = await mentee.call("chat", said)
    assert again["ok"] and again["message"]["id"] != first["message"]["id"], again
    assert recorded == ["kept at last"]
    assert (await mentor.next("chat"))["message"]["id"] == again["message"]["id"]
    # A third time, with the same id, it is the one just posted: nothing new.
    third = await mentee.call("chat", said)
    assert third["ok"] and third["message"]["id"] == again["message"]["id"]
    await mentor.nothing("chat")
    assert recorded == ["kept at last"]


async def test_unknown_events_are_answered(api: Api, peers: Callable[[], Peer]) -> None:
    _, mentor, _ = await pair(api, peers)
    ack = await mentor.call("no_such_event", {"x": 1})
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_event"
    assert "no_such_event" in ack["error"]["message"]
    assert (await mentor.call("chat", {"text": "still fine"}))["ok"]
