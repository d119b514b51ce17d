"""A breakout room's caption lines do not reach, through ``replay``, someone who was not in the
room when they were said: someone moved into the room, or back into it, or who left the session
and joined again, asking from offset 0 of the epoch their ``room_changed`` (or ``join``) gives,
is answered from where the room's history was as they entered it (``server.replay.events``)."""

from __future__ import annotations

from collections.abc import Callable

from tests.server.captions.test_captions import joined, say
from tests.server.captions.test_recognition_rooms import ok
from tests.support import Api, Peer


async def test_someone_moved_into_a_breakout_room_cannot_replay_what_was_said_before(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    mia, _ = await joined(api, peers, s, "mentor", "Mia")
    ana, _ = await joined(api, peers, s, "mentee", "Ana")
    ben, _ = await joined(api, peers, s, "mentee", "Ben")
    carl, _ = await joined(api, peers, s, "captioner", "Carl")
    await ok(mia, "breakout_create", {"count": 2})
    for peer, room in ((ana, "1:b1"), (carl, "1:b1"), (ben, "1:b2")):
        await ok(mia, "breakout_assign", {"participant_id": peer.id, "room": room})
    await ok(mia, "breakout_open", {})
    await ok(ana, "captions_view", {"on": True})
    await say(carl, ana.id, "a1", "something Ana says to Carl alone")
    assert (await ana.next("caption"))["text"] == "something Ana says to Carl alone"

    await ok(mia, "breakout_assign", {"participant_id": ben.id, "room": "1:b1"})
    moved = await ben.next("room_changed")
    while moved["room"]["id"] != "1:b1":  # (first, the opening took him to room two)
        moved = await ben.next("room_changed")
    epoch = moved["position"]["epoch"]
    answer = await ben.call("replay", {"room": "1:b1", "epoch": epoch, "offset": 0})
    said = [e["payload"].get("text") for e in answer.get("events", [])
            if e["event"] == "caption"]
    assert "something Ana says to Carl alone" not in said, answer
