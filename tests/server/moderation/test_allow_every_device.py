"""A lock a roster person's new device inherits is lifted by ``allow``, on every device of
theirs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server.settings import Limits
from tests.server.moderation.test_credentials_and_devices import (  # noqa: F401  (fixture)
    locked_then_on_her_laptop,
    personal,
    settings,
)
from tests.support import Api, Peer


@pytest.fixture
def limits() -> Limits:
    return Limits(connections_per_address=12, connections_per_person=3)


async def test_allow_lifts_the_lock_a_persons_other_device_inherited(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """PROTOCOL: with lock "the person cannot turn it back on: media_locked, across reconnects
    and on another device of theirs, until allow"; 0fc8f06: allow lifts the locks "so that a new
    device does not take a lock lifted". Dana is locked on her phone, opens her laptop (locked
    too, as she should be); the mentor lets her (allow, on the phone they locked): she can
    turn her microphone on on the laptop, and a third device of hers is not locked."""
    s, mentor, phone, laptop, ack = await locked_then_on_her_laptop(api, peers)
    assert ack["participant"]["audio_locked"] is True
    assert (await mentor.call("moderate", {"participant_id": phone.id, "action": "allow"}))["ok"]
    tablet = peers()
    await tablet.connect(personal(api, s, "Dana"))
    me = (await tablet.join(audio=True, video=True))["participant"]
    on_laptop = await laptop.call("media_state", {"audio": True, "video": True})
    assert (me["audio"], me["audio_locked"], on_laptop["ok"]) == (True, False, True), (
        "after the mentor's allow, Dana's tablet joined with "
        f"audio={me['audio']}, locked={me['audio_locked']}; her laptop's microphone: {on_laptop}")
