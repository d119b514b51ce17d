"""A mentor's mute (locked or not) and stopped camera act on every device of a roster person
in the call, as a removal does; someone with no roster identity is acted on alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.server.moderation.test_credentials_and_devices import (  # noqa: F401  (fixtures)
    ROSTER,
    limits,
    mentor_in,
    personal,
    settings,
)
from tests.support import Api, Peer


async def dana_on_phone_and_laptop(api: Api, peers: Callable[[], Peer]
                                   ) -> tuple[Peer, Peer, Peer]:
    """Dana in the call on her phone and her laptop, microphone and camera on: the mentor,
    the phone and the laptop."""
    s, mentor = await mentor_in(api, peers, waiting_room="off", participants=ROSTER)
    phone, laptop = peers(), peers()
    for device in (phone, laptop):
        await device.connect(personal(api, s, "Dana"))
        await device.join(audio=True, video=True)
        await mentor.next("participant_joined")
    return mentor, phone, laptop


async def updates_of(mentor: Peer, pid: str) -> list[dict[str, Any]]:
    """The mentor's participant_updated about ``pid`` so far (after a barrier)."""
    await mentor.barrier()
    box = mentor.inbox["participant_updated"]
    got = []
    while not box.empty():
        got.append(box.get_nowait()["participant"])
    return [p for p in got if p["id"] == pid]


@pytest.mark.parametrize("lock", [True, False])
async def test_a_mute_reaches_a_roster_persons_other_device(
    api: Api, peers: Callable[[], Peer], lock: bool
) -> None:
    """PROTOCOL: mute "turn[s] the microphone ... off (with lock, the person cannot turn it back
    on ... on another device of theirs)". Dana is in the call on two devices; the mentor mutes
    her (on the phone, the tile they clicked): her laptop's microphone must go off too, her
    laptop is told (``moderated``), and with a lock it cannot turn it back on."""
    mentor, phone, laptop = await dana_on_phone_and_laptop(api, peers)
    assert (await mentor.call("moderate", {"participant_id": phone.id, "action": "mute",
                                           "lock": lock}))["ok"]
    told_phone = await phone.next("moderated")
    assert (told_phone["action"], told_phone["locked"]) == ("mute", lock)
    await laptop.barrier()
    told = laptop.inbox["moderated"]
    assert not told.empty(), "the mentor muted Dana; her laptop was not told and kept its mic"
    told_laptop = told.get_nowait()
    assert (told_laptop["action"], told_laptop["locked"]) == ("mute", lock)
    seen = await updates_of(mentor, laptop.id)
    assert seen and seen[-1]["audio"] is False and seen[-1]["audio_locked"] is lock, (
        f"the room sees Dana's laptop as {seen}")
    again = await laptop.call("media_state", {"audio": True, "video": True})
    if lock:
        assert not again["ok"] and again["error"]["code"] == "media_locked", again
    else:
        assert again["ok"], again


async def test_a_locked_camera_stop_reaches_a_roster_persons_other_device(
    api: Api, peers: Callable[[], Peer]
) -> None:
    mentor, phone, laptop = await dana_on_phone_and_laptop(api, peers)
    assert (await mentor.call("moderate", {"participant_id": laptop.id,
                                           "action": "stop_camera", "lock": True}))["ok"]
    await phone.barrier()
    told = phone.inbox["moderated"]
    assert not told.empty(), "the mentor stopped Dana's camera; her phone's was left on"
    assert told.get_nowait() == {"action": "stop_camera", "locked": True, "by": "mentor"}
    seen = await updates_of(mentor, phone.id)
    assert seen and seen[-1]["video"] is False and seen[-1]["video_locked"] is True, seen
    again = await phone.call("media_state", {"audio": True, "video": True})
    assert not again["ok"] and again["error"]["code"] == "media_locked", again
    # Allowed (on either device): both may turn their camera on again.
    assert (await mentor.call("moderate", {"participant_id": phone.id,
                                           "action": "allow"}))["ok"]
    for device in (phone, laptop):
        assert (await device.call("media_state", {"audio": True, "video": True}))["ok"]


async def test_a_mute_acts_on_one_anonymous_participant_only(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """Two people through the mentee link (no roster identity) are two people: muting one
    leaves the other's microphone on."""
    s, mentor = await mentor_in(api, peers, waiting_room="off")
    ben, cleo = peers(), peers()
    for who, name in ((ben, "Ben"), (cleo, "Cleo")):
        await who.connect(api.token(s["join_urls"]["mentee"]))
        await who.join(name, audio=True, video=True)
        await mentor.next("participant_joined")
    assert (await mentor.call("moderate", {"participant_id": ben.id, "action": "mute",
                                           "lock": True}))["ok"]
    assert (await ben.next("moderated"))["action"] == "mute"
    await cleo.barrier()
    assert cleo.inbox["moderated"].empty()
    assert await updates_of(mentor, cleo.id) == []
