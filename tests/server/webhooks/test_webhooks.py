"""Webhooks against a real receiver on 127.0.0.1: registration and its refusals, signed
deliveries of a real session's events, retries with backoff, a hanging receiver that delays
nobody, the bounded queue, deliveries that survive a restart, the test ping and deletion."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from clients.webhook_receiver import verify
from server.app import CONTEXT, create_app
from server.settings import Settings, WebhookSettings
from server.webhooks.install import WEBHOOKS
from server.webhooks.outbox import DELIVERY
from tests.server.webhooks.conftest import Admin, Receiver
from tests.support import ADMIN_KEY, Peer, eventually

ATTENDANCE = ["participant.joined", "participant.left", "session.ended", "rating.given"]


def token(url: str) -> str:
    return url.split("#token=", 1)[1]


async def joined(server: TestServer, link: str, name: str) -> Peer:
    peer = Peer(str(server.make_url("/")))
    await peer.connect(token(link))
    await peer.join(name)
    return peer


@pytest.mark.parametrize("hook_settings", [WebhookSettings()])  # private addresses refused
@pytest.mark.parametrize("url", [
    "ftp://example.com/hook", "http://127.0.0.1/", "http://10.0.0.1/",
    "http://[::ffff:127.0.0.1]/", "http://user:pw@example.com/", "http://[::1]:8080/x",
    "http://169.254.169.254/latest/meta-data", "https://example.com/" + "a" * 2000,
])
async def test_registration_refuses_what_is_not_a_public_http_url(admin: Admin,
                                                                   url: str) -> None:
    refused = await admin.register(url, ["ping"], status=400)
    code = refused["error"]["code"]
    assert code == ("payload_too_large" if len(url) > 2000 else "webhook_url_refused"), refused
    assert (await admin.call("GET", "/api/webhooks"))["webhooks"] == []


async def test_registration_bounds_and_listing_without_secrets(admin: Admin,
                                                               receiver: Receiver) -> None:
    await admin.register(receiver.url + "/hook", ["no.such_event"], status=400)
    made = [await admin.register(f"{receiver.url}/hook?n={i}", ["ping"]) for i in range(20)]
    assert all(m["secret"].startswith("whsec_") for m in made)
    full = await admin.register(receiver.url + "/hook", ["ping"], status=409)
    assert full["error"]["code"] == "too_many_webhooks"
    listed = (await admin.call("GET", "/api/webhooks"))["webhooks"]
    assert sorted(h["id"] for h in listed) == sorted(m["id"] for m in made)
    assert all("secret" not in h for h in listed)
    await admin.call("GET", "/api/webhooks/wh_0000000000000000/deliveries", status=404)
    await admin.call("GET", "/api/webhooks/nonsense/deliveries", status=400)


async def test_join_leave_rating_and_end_are_signed_deliveries(
        server: TestServer, admin: Admin, receiver: Receiver, session: dict[str, Any]) -> None:
    hook = await admin.register(receiver.url + "/hook", ATTENDANCE)
    ana = await joined(server, session["personal_links"][0]["url"], "Ana")
    ben = await joined(server, session["join_urls"]["mentee"], "Ben")
    rated = await ben.call("check_out", {"rating": 4, "comment": "Ben's secret words"})
    assert rated["ok"], rated
    assert (await ben.call("leave", {}))["ok"]
    await admin.call("POST", f"/api/sessions/{session['session_id']}/end")
    await eventually(lambda: len(receiver.of("session.ended")) == 1, what="session.ended")
    await eventually(lambda: len(receiver.of("rating.given")) == 1, what="rating.given")

    for r in receiver.got:
        assert verify(hook["secret"], r.headers, r.body), r.headers
        assert r.headers["Tandem-Webhook-Id"] == r.json["id"]
        assert b"Ana" not in r.body and b"Ben" not in r.body and b"secret" not in r.body
    joins = {r.json["data"]["participant_id"]: r.json["data"]
             for r in receiver.of("participant.joined")}
    assert joins[ana.id] == {"session_id": session["session_id"], "participant_id": ana.id,
                             "person_id": "ana-1", "role": "mentor", "returning": False}
    assert joins[ben.id]["role"] == "mentee" and joins[ben.id]["person_id"] is None
    [left] = receiver.of("participant.left")
    assert left.json["data"]["participant_id"] == ben.id
    assert left.json["data"]["reason"] == "left"
    [rating] = receiver.of("rating.given")
    assert rating.json["data"] == {"session_id": session["session_id"], "anonymous": False,
                                   "participant_id": ben.id, "person_id": None, "rating": 4}
    assert receiver.of("session.ended")[0].json["data"]["ended_by"] == "admin"
    assert len({r.json["id"] for r in receiver.got}) == len(receiver.got) == 5

    async def all_delivered() -> bool:
        return [d["state"] for d in await admin.log(hook["id"])] == ["delivered"] * 5

    await eventually(all_delivered, what="the log's five deliveries")
    log = await admin.log(hook["id"])
    assert all(d["attempts"] == 1 and d["last_status"] == 200 for d in log)
    await ana.close()
    await ben.close()


async def test_an_anonymous_rating_says_nothing_of_who_nor_what(
        server: TestServer, admin: Admin, receiver: Receiver, session: dict[str, Any]) -> None:
    await admin.register(receiver.url + "/hook", ["rating.given"])
    ben = await joined(server, session["join_urls"]["mentee"], "Ben")
    rated = await ben.call("check_out", {"rating": 2, "anonymous": True})
    assert rated["ok"], rated
    await eventually(lambda: len(receiver.of("rating.given")) == 1)
    assert receiver.of("rating.given")[0].json["data"] == {
        "session_id": session["session_id"], "anonymous": True}
    await ben.close()


async def test_a_drop_and_return_within_the_grace_period_is_neither_leave_nor_join(
        server: TestServer, admin: Admin, receiver: Receiver, session: dict[str, Any]) -> None:
    hook = await admin.register(receiver.url + "/hook", ATTENDANCE)
    link = session["join_urls"]["mentee"]
    ben = await joined(server, link, "Ben")
    await ben.sio.disconnect()  # a dropped connection: the leave is held for the grace period
    await eventually(lambda: len(receiver.of("participant.joined")) == 1)

    async def held() -> bool:
        return [d["event"] for d in await admin.log(hook["id"])] == [
            "participant.left", "participant.joined"]

    await eventually(held, what="the held leave")
    assert (await admin.log(hook["id"]))[0]["state"] == "pending"
    back = Peer(str(server.make_url("/")))
    await back.connect(token(link))
    await back.join("Ben", resume=ben.resume)

    async def cancelled() -> bool:
        return [d["event"] for d in await admin.log(hook["id"])] == ["participant.joined"]

    await eventually(cancelled, what="the held leave cancelled")
    await back.close()


async def test_retries_back_off_and_the_log_says_delivered_after_three(
        server: TestServer, admin: Admin, receiver: Receiver) -> None:
    receiver.answers.extend([500, 500])
    hook = await admin.register(receiver.url + "/hook", ["ping"])
    ping = await admin.call("POST", f"/api/webhooks/{hook['id']}/test", status=202)

    async def delivered() -> bool:
        log = await admin.log(hook["id"])
        return log[0]["state"] == "delivered"

    await eventually(delivered, what="delivery after retries")
    [entry] = await admin.log(hook["id"])
    assert (entry["id"], entry["attempts"], entry["last_status"]) == (
        ping["delivery_id"], 3, 200)
    times = [r.at for r in receiver.got]
    assert len(times) == 3 and {r.json["id"] for r in receiver.got} == {ping["delivery_id"]}
    first_wait, second_wait = times[1] - times[0], times[2] - times[1]
    assert first_wait >= 0.05 and second_wait >= 0.2 and second_wait > first_wait


@pytest.mark.parametrize("hook_settings", [WebhookSettings(allow_private=True, backoff=(0.05,),
                                                           timeout=2.0, rescan=3600)])
async def test_a_delivery_fails_once_its_attempts_are_spent(
        server: TestServer, admin: Admin, receiver: Receiver) -> None:
    receiver.answers.extend([503, 503])
    hook = await admin.register(receiver.url + "/hook", ["ping"])
    await admin.call("POST", f"/api/webhooks/{hook['id']}/test", status=202)

    async def failed() -> bool:
        return (await admin.log(hook["id"]))[0]["state"] == "failed"

    await eventually(failed)
    [entry] = await admin.log(hook["id"])
    assert (entry["attempts"], entry["last_status"], entry["last_error"]) == (
        2, 503, "status_503")


async def test_a_hanging_receiver_delays_no_acknowledgement(
        server: TestServer, admin: Admin, receiver: Receiver, session: dict[str, Any]) -> None:
    receiver.hang = asyncio.Event()
    await admin.register(receiver.url + "/hook", ["participant.joined"])
    ana = await joined(server, session["personal_links"][0]["url"], "Ana")
    await asyncio.wait_for(receiver.entered.wait(), 5)  # Ana's delivery is stuck there
    ben = await joined(server, session["join_urls"]["mentee"], "Ben")  # acknowledged meanwhile
    assert not receiver.hang.is_set() and len(receiver.got) == 1
    receiver.hang.set()
    await eventually(lambda: len(receiver.of("participant.joined")) == 2)
    await ana.close()
    await ben.close()


@pytest.mark.parametrize("hook_settings", [WebhookSettings(allow_private=True, queue=2,
                                                           rescan=3600)])
async def test_a_full_queue_drops_and_counts_and_never_blocks(
        server: TestServer, admin: Admin, receiver: Receiver) -> None:
    await admin.register(receiver.url + "/hook", ["pair.at_risk"])
    app = server.app
    for n in range(10):  # synchronous: nothing here can wait
        app[CONTEXT].announcements.announce("pair.at_risk", {"match_id": f"m{n}"}, time.time())
    assert app[WEBHOOKS].stats.dropped == 8
    await eventually(lambda: len(receiver.of("pair.at_risk")) == 2)
    assert sorted(r.json["data"]["match_id"] for r in receiver.got) == ["m0", "m1"]
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/metrics")) as resp:
        assert "tandem_webhook_dropped" in await resp.text()


async def test_pending_deliveries_survive_a_restart(
        aiohttp_server: Callable[..., Awaitable[TestServer]], tmp_path: Path,
        receiver: Receiver) -> None:
    def settings(backoff: float) -> Settings:
        return Settings(data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY,
                        waiting_room="off", webhooks=WebhookSettings(
                            allow_private=True, backoff=(backoff,), rescan=3600))

    receiver.answers.append(503)
    first = await aiohttp_server(create_app(settings(3600), clock=time.time))
    async with aiohttp.ClientSession(base_url=str(first.make_url("/"))) as http:
        admin = Admin(http)
        hook = await admin.register(receiver.url + "/hook", ["ping"])
        ping = await admin.call("POST", f"/api/webhooks/{hook['id']}/test", status=202)

        async def tried() -> bool:
            return (await admin.log(hook["id"]))[0]["attempts"] == 1

        await eventually(tried)
    await first.close()
    assert len(receiver.got) == 1

    # An hour later (the retry's time), another process on the same data directory.
    second = await aiohttp_server(create_app(settings(3600), clock=lambda: time.time() + 5000))
    async with aiohttp.ClientSession(base_url=str(second.make_url("/"))) as http:
        admin = Admin(http)

        async def delivered() -> bool:
            return (await admin.log(hook["id"]))[0]["state"] == "delivered"

        await eventually(delivered, what="the delivery after the restart")
    assert [r.json["id"] for r in receiver.got] == [ping["delivery_id"]] * 2
    assert verify(hook["secret"], receiver.got[1].headers, receiver.got[1].body,
                  tolerance=6000)
    await second.close()


async def test_ping_and_deletion(server: TestServer, admin: Admin, receiver: Receiver,
                                 session: dict[str, Any]) -> None:
    gone = await admin.register(receiver.url + "/gone", ["participant.joined"])
    kept = await admin.register(receiver.url + "/hook", ["participant.joined"])
    await admin.call("POST", f"/api/webhooks/{gone['id']}/test", status=202)
    await eventually(lambda: len(receiver.of("ping", "/gone")) == 1)
    ping = receiver.of("ping", "/gone")[0]
    assert verify(gone["secret"], ping.headers, ping.body)
    assert ping.json["data"] == {"webhook_id": gone["id"]}

    assert (await admin.call("DELETE", f"/api/webhooks/{gone['id']}"))["deleted"] is True
    await admin.call("DELETE", f"/api/webhooks/{gone['id']}", status=404)
    await admin.call("POST", f"/api/webhooks/{gone['id']}/test", status=404)
    ana = await joined(server, session["personal_links"][0]["url"], "Ana")
    await eventually(lambda: len(receiver.of("participant.joined")) == 1)
    # Both would have been written in one batch: the deleted one has no delivery at all.
    documents = server.app[CONTEXT].documents
    assert await documents.find(DELIVERY, gone["id"]) == []
    assert [r.path for r in receiver.got] == ["/gone", "/hook"]
    assert [h["id"] for h in (await admin.call("GET", "/api/webhooks"))["webhooks"]] == [
        kept["id"]]
    await ana.close()


async def test_deleting_a_webhook_stops_its_retries(
        server: TestServer, admin: Admin, receiver: Receiver) -> None:
    receiver.answers.extend([500] * 10)
    hook = await admin.register(receiver.url + "/hook", ["ping"])
    await admin.call("POST", f"/api/webhooks/{hook['id']}/test", status=202)
    await eventually(lambda: len(receiver.got) >= 1)
    await admin.call("DELETE", f"/api/webhooks/{hook['id']}")
    seen = len(receiver.got)
    other = await admin.register(receiver.url + "/other", ["ping"])
    # The other webhook's ping, sent after the deletion, is the barrier: past the retry's
    # longest wait (0.25 s), nothing more came for the deleted one.
    await asyncio.sleep(0)
    await admin.call("POST", f"/api/webhooks/{other['id']}/test", status=202)
    await eventually(lambda: len(receiver.of("ping", "/other")) == 1)
    assert len(receiver.of("ping")) <= seen + 1  # at most the attempt already in flight
    assert await server.app[CONTEXT].documents.find(DELIVERY, hook["id"]) == []
