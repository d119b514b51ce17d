"""A ledger that cannot write says so in the log without anyone's name, email or a credential."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from media.ice import IceSettings
from server.app import CONTEXT
from server.settings import Settings
from tests.support import ADMIN_KEY, Api, Peer

TURN_CREDENTIAL = "turn-credential-7c1f"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, ice=IceSettings(turn_urls=("turn:127.0.0.1:3478",),
                                             turn_username="tandem-turn",
                                             turn_credential=TURN_CREDENTIAL))


async def test_a_failed_ledger_write_logs_no_personal_data_or_secret(
    api: Api, peers: Callable[[], Peer], server: TestServer, caplog: pytest.LogCaptureFixture
) -> None:
    s = await api.create_session(participants=[
        {"name": "Zuleika Quorn", "role": "mentee", "email": "zuleika@example.org"},
        {"name": "Ana Mentor", "role": "mentor", "email": "ana.mentor@example.org"}])
    ledger = server.app[CONTEXT].ledger

    async def full_disk(records: Sequence[Any]) -> None:
        raise OSError("disk full")

    ledger.append = full_disk  # type: ignore[method-assign]
    link = next(p["url"] for p in s["personal_links"] if p["role"] == "mentee")
    peer = peers()
    with caplog.at_level(logging.DEBUG):
        await peer.connect(api.token(link))
        ack = await peer.call("join", {"name": "Zuleika Quorn"})
        assert ack["ok"] is False and ack["error"]["code"] == "not_recorded"
        refused = await peer.call("check_in", {"goal": "secret plans of Zuleika"})
        assert refused["ok"] is False
    logged = caplog.text  # every line as formatted, tracebacks included
    assert "recorder" in logged  # the failure itself is logged
    for private in ("Zuleika", "Quorn", "zuleika@example.org", "ana.mentor@example.org",
                    "Ana Mentor", TURN_CREDENTIAL, "secret plans"):
        lines = [line[:300] for line in logged.splitlines() if private in line]
        assert not lines, lines


async def test_a_whole_session_logs_no_personal_data_or_secret(
    api: Api, peers: Callable[[], Peer], caplog: pytest.LogCaptureFixture
) -> None:
    """Everything a session does, logged at DEBUG: no name, email, text anyone wrote, link,
    resume credential, admin key or TURN credential appears in any line."""
    with caplog.at_level(logging.DEBUG):
        s = await api.create_session(
            title="Zuleika's mentoring", waiting_room="role_links",
            participants=[
                {"name": "Zuleika Quorn", "role": "mentee", "email": "zuleika@example.org"},
                {"name": "Ana Mentor", "role": "mentor", "email": "ana.mentor@example.org"}])
        links = {p["role"]: p["url"] for p in s["personal_links"]}
        ana, zul, guest = peers(), peers(), peers()
        await ana.connect(api.token(links["mentor"]))
        await ana.join()
        await zul.connect(api.token(links["mentee"]))
        await zul.join()
        await zul.call("chat", {"text": "my private worries"})
        await zul.call("check_in", {"goal": "secret plans of Zuleika"})
        await zul.call("media_state", {"audio": True, "video": False})
        await zul.call("signal", {"to": ana.id, "candidate": {"candidate": "candidate:1 1 udp 1 "
                                  "192.0.2.7 5000 typ host", "sdpMid": "0"}})
        await guest.connect(api.token(s["join_urls"]["mentee"]))
        waiting = await guest.call("join", {"name": "Quentin Guestly"})
        await ana.call("admit", {"waiting_id": waiting["waiter"]["id"]})
        await guest.next("admitted")
        await ana.call("moderate", {"participant_id": zul.id, "action": "mute", "lock": True})
        await ana.call("moderate", {"participant_id": zul.id, "action": "remove"})
        await guest.call("join", {"name": "again"})  # refused: already joined
        await guest.call("chat", {"text": ""})  # refused: invalid
        async with api.http.post(f"/api/sessions/{s['session_id']}/links/revoke",
                                 json={"role": "mentee"},
                                 headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as resp:
            revoked = await resp.json()
        await ana.call("end_session", {})
    logged = caplog.text
    secrets = ("Zuleika", "Quorn", "zuleika@example.org", "ana.mentor@example.org", "Ana Mentor",
               "Quentin", "Guestly", "private worries", "secret plans", "192.0.2.7",
               TURN_CREDENTIAL, ADMIN_KEY, zul.resume, ana.resume, api.token(links["mentee"]),
               api.token(s["join_urls"]["mentee"]), api.token(revoked["url"]))
    for private in secrets:
        assert private
        lines = [line[:300] for line in logged.splitlines() if private in line]
        assert not lines, (private, lines)
    assert "moderation in session" in logged  # the session was logged, just not its people
