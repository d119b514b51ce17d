"""Transcript downloads with a resume credential are held to a rate: each reads the session's
whole ledger (before the credential's role is known), and anyone of the session holds such a
credential, so one page or script in a loop must not keep the server busy for everyone."""

from __future__ import annotations

from collections.abc import Callable

from server.captions.routes import DOWNLOAD_BURST, DOWNLOAD_RATE
from tests.server.captions.test_captions import get, joined, say
from tests.support import Api, Clock, Peer


async def test_downloads_with_one_credential_are_rate_limited(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session(captions="keep")
    sid = s["session_id"]
    ana, ana_ack = await joined(api, peers, s, "mentor", "Ana", transcript_notice=True)
    _, ben_ack = await joined(api, peers, s, "mentee", "Ben", transcript_notice=True)
    _, max_ack = await joined(api, peers, s, "mentor", "Max", transcript_notice=True)
    cleo, _ = await joined(api, peers, s, "captioner", "Cleo")
    await say(cleo, ana.id, "a1", "Ana opens the session")
    path = f"/api/sessions/{sid}/transcript"
    ana_h, ben_h = {"X-Tandem-Resume": ana_ack["resume"]}, {"X-Tandem-Resume": ben_ack["resume"]}
    for _ in range(int(DOWNLOAD_BURST)):
        status, text = await get(api, path, ana_h, format="txt")
        assert status == 200, text
    status, text = await get(api, path, ana_h, format="txt")
    assert status == 429 and "rate_limited" in text, (status, text)
    status, text = await get(api, f"{path}/rooms", ana_h)
    assert status == 429 and "rate_limited" in text, (status, text)
    # A mentee's credential is refused, and held to the same rate (its refusal reads the ledger).
    for _ in range(int(DOWNLOAD_BURST)):
        status, text = await get(api, path, ben_h)
        assert status == 403, text
    status, text = await get(api, path, ben_h)
    assert status == 429, text
    # Others are not affected: another mentor, and the admin key.
    status, _ = await get(api, path, {"X-Tandem-Resume": max_ack["resume"]}, format="txt")
    assert status == 200
    status, _ = await get(api, path, format="txt")
    assert status == 200
    clock.now += 1 / DOWNLOAD_RATE
    status, text = await get(api, path, ana_h, format="txt")
    assert status == 200, text
