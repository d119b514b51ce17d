"""Media through the server with two real processes and a real Redis: people of one room whose
sockets are on different processes publish to and receive from one plane, the session's media
owner (``server.media.owner``), with real aiortc peers counting the frames they decode. When the
owner is killed, the media comes back through the other process once the clients publish again."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.asyncio import Redis

from clients.admin import join_token
from clients.server import ServerProcess
from clients.server_media import ServerMedia
from media.aiortc_internals import host_addresses
from tests.server.cluster.conftest import Pair, metric
from tests.server.media.test_through_server import Person
from tests.support import Peer, eventually

WAIT = 20.0


class Someone(Person):
    """A participant on one process, whose server media can start again from scratch."""

    @classmethod
    async def on(cls, server: ServerProcess, token: str, name: str, session_id: str,
                 resume: str | None = None) -> Someone:
        peer = Peer(server.url)
        await peer.connect(token)
        await peer.join(name, audio=True, video=True, **({"resume": resume} if resume else {}))
        return cls(peer, session_id)

    @property
    def node(self) -> str:
        """The process this person's socket is on (a socket id starts with it)."""
        return str(self.peer.sio.get_sid()).partition(".")[0]

    async def afresh(self) -> None:
        """Drop the server media (its process is gone) and publish and subscribe again."""
        await self.media.stop()
        self.media = ServerMedia(self.peer.call)
        self.peer.sio.on("media_offer", self.media.offered)
        await self.connect()


def everyone_gets_everyone(people: list[Someone], kind: str) -> bool:
    return all(p.media.frames[(o.peer.id, kind)] >= 3
               for p in people for o in people if o is not p)


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    # The clients' peers, in this process, must offer 127.0.0.1 too (aioice leaves it out).
    with host_addresses(("127.0.0.1",)):
        yield


@pytest.fixture
async def made(pair: Pair) -> AsyncIterator[dict[str, Any]]:
    async with pair.a.admin_async() as api:
        s = await api.create_session(title="Group", max_participants=8)
    tokens = {role: join_token(url) for role, url in s["join_urls"].items()}
    redis = Redis.from_url(pair.redis.url)
    made: dict[str, Any] = {"session": s["session_id"], "tokens": tokens, "redis": redis,
                            "people": []}
    yield made
    for person in made["people"]:
        await person.media.stop()
        await person.peer.close()
    await redis.aclose()


async def media_owner(made: dict[str, Any]) -> str:
    value = await made["redis"].get(f"tandem:media:{made['session']}")
    return value.decode() if value else ""


async def ana_on_a_ben_and_cleo_on_b(pair: Pair, made: dict[str, Any]) -> list[Someone]:
    """Ana on process a, Ben and Cleo on b, each publishing and subscribing; Ana's process, the
    first to need the session's media, holds it."""
    session, tokens = made["session"], made["tokens"]
    people = [await Someone.on(pair.a, tokens["mentor"], "Ana", session),
              await Someone.on(pair.b, tokens["mentee"], "Ben", session),
              await Someone.on(pair.b, tokens["mentee"], "Cleo", session)]
    made["people"].extend(people)
    for person in people:
        await person.connect()
    assert await media_owner(made) == people[0].node
    return people


async def test_people_on_two_processes_receive_each_other_through_one_plane(
    pair: Pair, made: dict[str, Any]
) -> None:
    session, tokens = made["session"], made["tokens"]
    ana = await Someone.on(pair.a, tokens["mentor"], "Ana", session)
    ben = await Someone.on(pair.b, tokens["mentee"], "Ben", session)
    cleo = await Someone.on(pair.b, tokens["mentee"], "Cleo", session)
    people = [ana, ben, cleo]
    made["people"].extend(people)
    assert ana.node != ben.node == cleo.node
    # Ana's process is the first to need the session's media: it holds everyone's, and Ben's
    # and Cleo's offers and answers go there from the other process.
    for person in people:
        await person.connect()
    assert await media_owner(made) == ana.node
    await eventually(lambda: everyone_gets_everyone(people, "video"), WAIT,
                     what="video from everyone")
    await eventually(lambda: everyone_gets_everyone(people, "audio"), WAIT,
                     what="audio from everyone")
    assert all((p.peer.id, "video") not in p.media.frames for p in people)
    # A move given on the owner's process changes what Ben, on the other, is sent: the slot
    # map reaches his socket there, and Cleo's frames keep coming on the same connection.
    for ack in [await ana.peer.call("breakout_create", {"names": ["Pair"]}),
                *[await ana.peer.call("breakout_assign", {"participant_id": p.peer.id,
                                                          "room": "1:b1"}) for p in (ben, cleo)],
                await ana.peer.call("breakout_open", {})]:
        assert ack["ok"], ack
    await eventually(lambda: ben.media.carrying("video") == {cleo.peer.id}, WAIT,
                     what="Ben's slot map in the breakout")
    before = ben.media.frames[(cleo.peer.id, "video")]
    await eventually(lambda: ben.media.frames[(cleo.peer.id, "video")] > before + 5, WAIT,
                     what="Cleo's video in the breakout")
    # A refusal of the owner comes back as it is: an observer may not publish.
    watcher = await Someone.on(pair.b, tokens["observer"], "Dan", session)
    made["people"].append(watcher)
    ack = await watcher.peer.call("media_publish", {"sdp": "v=0"})
    assert ack["ok"] is False and ack["error"]["code"] == "not_allowed", ack


async def test_when_the_owner_dies_the_media_comes_back_through_the_other_process(
    pair: Pair, made: dict[str, Any]
) -> None:
    session, tokens = made["session"], made["tokens"]
    ana, ben, cleo = people = await ana_on_a_ben_and_cleo_on_b(pair, made)
    await eventually(lambda: everyone_gets_everyone(people, "video"), WAIT, what="video")
    first = ana.node
    pair.a.kill()
    # Everyone's server media failed with the owner. Ben and Cleo, whose sockets are on the
    # other process, publish again at once: the claim still names the dead process, whose
    # channel nobody listens on any more, so the process that is left takes the media over.
    for person in (ben, cleo):
        await person.afresh()
    assert await media_owner(made) == ben.node != first
    assert "held its server media and is gone" in pair.b.log_tail(200)
    await eventually(lambda: everyone_gets_everyone([ben, cleo], "video"), WAIT,
                     what="video between Ben and Cleo after the failover")
    # Ana's socket went with her process: once the other process has closed her connection,
    # she comes back through it as herself, and publishes there too.
    left = await ben.peer.next("participant_left", timeout=30)
    assert left["participant_id"] == ana.peer.id
    again = await Someone.on(pair.b, tokens["mentor"], "Ana", session, resume=ana.peer.resume)
    assert again.peer.id == ana.peer.id
    await ana.media.stop()
    made["people"].remove(ana)
    made["people"].append(again)
    await again.connect()
    people = [again, ben, cleo]
    await eventually(lambda: everyone_gets_everyone(people, "video"), WAIT,
                     what="video from everyone after the failover")
    await eventually(lambda: everyone_gets_everyone(people, "audio"), WAIT,
                     what="audio from everyone after the failover")


async def test_only_the_media_owner_loads_the_speech_model(
    pair: Pair, made: dict[str, Any]
) -> None:
    """Every process holding the session follows whose speech captions want, but only the one
    that receives the audio (the media owner) loads the speech model."""
    ana, ben, cleo = people = await ana_on_a_ben_and_cleo_on_b(pair, made)
    await eventually(lambda: everyone_gets_everyone(people, "audio"), WAIT, what="audio")
    assert (await ben.peer.call("captions_view", {"on": True}))["ok"]

    async def owner_started() -> bool:
        return await metric(pair.a, "tandem_speech_model_started") == 1.0

    await eventually(owner_started, WAIT, what="the owner loading the speech model")
    # Barrier: a command given on Ben's process returns only once that process has delivered,
    # and followed, everything given before it elsewhere; Cleo's view was given there too.
    assert (await cleo.peer.call("captions_view", {"on": True}))["ok"]
    ack = await ben.peer.call("chat", {"text": "after captions"})
    assert ack["ok"], ack
    assert await metric(pair.b, "tandem_speech_model_started") == 0.0
