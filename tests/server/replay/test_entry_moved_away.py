"""Someone moved by a mentor while their connection was down enters the new room as their page
comes back: ``replay`` hands them what it said from then on, nothing from before."""

from __future__ import annotations

from collections.abc import Callable

from tests.server.replay.test_entry import moved, rooms, said, start
from tests.server.replay.test_replay import back, caption, member, replay
from tests.support import Api, Peer


async def test_someone_moved_while_away_enters_the_room_as_their_page_comes_back(
        api: Api, peers: Callable[[], Peer]) -> None:
    s = await api.create_session()
    mia = await member(api, peers, s, "mentor", "Mia")
    ana = await member(api, peers, s, "mentee", "Ana")
    ben = await member(api, peers, s, "mentee", "Ben")
    carl = await member(api, peers, s, "captioner", "Carl")
    await rooms(mia, {ana: "1:b1", carl: "1:b1", ben: "1:b2"})
    await moved(ben, "1:b2")
    await ben.close()
    await mia.next("participant_left")
    assert (await mia.call("breakout_assign", {"participant_id": ben.id, "room": "1:b1"}))["ok"]
    await caption(carl, ana.id, "a1", "before Ben is back")
    ben2, ack = await back(api, peers, s, "mentee", ben)
    assert ack["participant"]["room"] == "1:b1"
    await caption(carl, ana.id, "a2", "once Ben is back")
    assert said(await replay(ben2, start(ack))) == ["once Ben is back"]
