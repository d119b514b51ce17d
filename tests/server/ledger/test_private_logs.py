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
from tests.support import Api, Peer

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
