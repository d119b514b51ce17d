"""PROTOCOL.md, Limits: a display name is 1 to 60 characters after trimming, and one too long is
``invalid_payload``, however long it is (a name of 201 characters was ``payload_too_large``, one
of 61 to 200 ``invalid_payload``); a field of the join over its own bound (``resume``) stays
``payload_too_large``."""

from __future__ import annotations

from collections.abc import Callable

from server.tokens import TOKEN_MAX
from tests.support import Api, Peer


async def test_a_display_name_too_long_is_an_invalid_payload_whatever_its_length(
        api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    peer = peers()
    await peer.connect(api.token(s["join_urls"]["mentee"]))
    answers = {}
    for length in (61, 200, 201, 100_000):
        ack = await peer.call("join", {"name": "n" * length})
        answers[length] = (ack["error"]["code"], "60 characters" in ack["error"]["message"])
    assert answers == {n: ("invalid_payload", True) for n in (61, 200, 201, 100_000)}
    # (padded with spaces past 60 and trimmed to a name within it, it joins)
    ack = await peer.call("join", {"name": " " * 150 + "Ben" + " " * 40,
                                   "resume": "r" * (TOKEN_MAX + 1)})
    assert ack["error"]["code"] == "payload_too_large" and "resume" in ack["error"]["message"]
    ack = await peer.call("join", {"name": " " * 150 + "Ben" + " " * 40})
    assert ack["ok"] and ack["participant"]["name"] == "Ben"
