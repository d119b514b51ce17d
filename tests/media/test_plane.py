"""The media plane with real aiortc publishers and subscribers on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import aiortc.codecs.h264
import aiortc.codecs.vpx
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

from media.aiortc_internals import close_peer_connection
from media.plane import MediaLimits, MediaPlane, PeerKey
from tests.media.sfu import Events, Publisher, Subscriber, client_pc, vp8_frames
from tests.support import eventually

SESSION = "s1"


def key(name: str) -> PeerKey:
    return SESSION, name


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def limits() -> MediaLimits:
    return MediaLimits()


@pytest.fixture
async def plane(events: Events, limits: MediaLimits) -> AsyncIterator[MediaPlane]:
    vp8_frames()  # encoded before any test counts codecs
    plane = MediaPlane(limits, **events.callbacks())
    yield plane
    await plane.close()


class Call:
    """Publishers and subscribers of one test, all closed at the end."""

    def __init__(self, plane: MediaPlane, events: Events) -> None:
        self.plane, self.events = plane, events
        self.publishers: dict[str, Publisher] = {}
        self.subscribers: dict[str, Subscriber] = {}

    async def publisher(self, name: str, room: str = "main", screen: bool = False) -> Publisher:
        p = self.publishers[name] = Publisher(self.plane, key(name), room)
        await p.publish(screen)
        return p

    async def subscriber(self, name: str, room: str = "main", video: bool = True) -> Subscriber:
        s = self.subscribers[name] = Subscriber(self.plane, key(name), room)
        self.events.subscribers[key(name)] = s
        await s.subscribe(video)
        return s

    async def close(self) -> None:
        for peer in [*self.publishers.values(), *self.subscribers.values()]:
            await close_peer_connection(peer.pc)


@pytest.fixture
async def call(plane: MediaPlane, events: Events) -> AsyncIterator[Call]:
    c = Call(plane, events)
    yield c
    await c.close()


async def frames_flow(sub: Subscriber, kind: str, names: set[str], count: int = 5,
                      source: str | None = None) -> None:
    """Wait until the slots carrying ``names``'s ``kind`` each received ``count`` more frames."""
    await eventually(lambda: set(sub.carried(kind, source)) == names, 10,
                     what=f"{sub.key[1]} carries {kind} of {sorted(names)}")
    start = {n: c.frames for n, c in sub.carried(kind, source).items()}
    await eventually(lambda: all(c.frames >= start[n] + count
                                 for n, c in sub.carried(kind, source).items()), 10,
                     what=f"{kind} frames of {sorted(names)} reach {sub.key[1]}")


class CodecCount:
    """Counts every VP8 and H.264 codec context aiortc creates in this process."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.created: list[str] = []
        real = aiortc.codecs.vpx.CodecContext

        def create(name: str, mode: str) -> Any:
            self.created.append(f"{name}/{mode}")
            return real.create(name, mode)

        counting = SimpleNamespace(create=create)
        monkeypatch.setattr(aiortc.codecs.vpx, "CodecContext", counting)
        monkeypatch.setattr(aiortc.codecs.vpx, "av", SimpleNamespace(CodecContext=counting,
                                                                     video=aiortc.codecs.vpx.av.video))
        monkeypatch.setattr(aiortc.codecs.h264, "av", SimpleNamespace(CodecContext=counting,
                                                                      video=aiortc.codecs.h264.av.video))


@pytest.fixture
def codecs(monkeypatch: pytest.MonkeyPatch) -> Iterator[CodecCount]:
    yield CodecCount(monkeypatch)


async def test_the_codec_count_sees_an_ordinary_aiortc_call(codecs: CodecCount) -> None:
    # the control: the count below is honest only if it can see aiortc creating codecs
    a, b = RTCPeerConnection(), RTCPeerConnection()
    got: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    b.on("track", lambda track: got.done() or got.set_result(track))
    a.addTrack(VideoStreamTrack())
    try:
        await a.setLocalDescription(await a.createOffer())
        await b.setRemoteDescription(a.localDescription)
        await b.setLocalDescription(await b.createAnswer())
        await a.setRemoteDescription(b.localDescription)
        await asyncio.wait_for((await got).recv(), 10)
        assert "libvpx/w" in codecs.created and "libvpx/r" in codecs.created
    finally:
        await a.close()
        await b.close()


async def test_every_publisher_reaches_every_subscriber_and_no_video_codec_is_made(
    plane: MediaPlane, call: Call, codecs: CodecCount
) -> None:
    names = ["ana", "ben", "cy"]
    for name in names:
        await call.publisher(name)
    subs = [await call.subscriber(name) for name in names]
    for sub in subs:
        others = set(names) - {sub.key[1]}
        await frames_flow(sub, "video", others, count=15)
        await frames_flow(sub, "audio", others, count=15)
        assert all(c.keyframes >= 1 for c in sub.carried("video").values())
    assert codecs.created == []
    stats = plane.stats()
    assert (stats.peers, stats.publishers, stats.subscribers) == (6, 3, 3)
    assert stats.forwarded_tracks == 12  # 3 subscribers x 2 others x (audio + camera)


async def test_forwarded_video_decodes_on_the_subscriber(call: Call) -> None:
    await call.publisher("ana")
    offer, slots = await call.plane.subscribe(key("ben"), "main", True)
    pc = client_pc()
    call.subscribers["ben"] = Subscriber(call.plane, key("ben"), pc=pc)
    tracks: dict[str, Any] = {}
    pc.on("track", lambda track: tracks.setdefault(track.id, track))
    await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    await call.plane.answer(key("ben"), pc.localDescription.sdp)
    video_mid = next(s.mid for s in slots if s.kind == "video" and s.participant_id == "ana")
    track = next(t.receiver.track for t in pc.getTransceivers() if t.mid == video_mid)
    for _ in range(5):
        frame = await asyncio.wait_for(track.recv(), 10)
    assert (frame.width, frame.height) == (320, 180)


async def test_a_subscribers_keyframe_request_reaches_the_publisher(call: Call) -> None:
    ana = await call.publisher("ana")
    ben = await call.subscriber("ben")
    await frames_flow(ben, "video", {"ana"})
    before = ben.carried("video")["ana"].keyframes
    requests = ana.video.keyframe_requests
    # the subscriber's own receiver asks for a picture (PLI), as a browser does after loss
    slot = next(s for s in ben.slots if s.kind == "video" and s.participant_id == "ana")
    receiver = next(t.receiver for t in ben.pc.getTransceivers() if t.mid == slot.mid)
    ssrc = receiver.getSynchronizationSources()[0].source
    from media import aiortc_internals
    await asyncio.sleep(0.35)  # past the plane's keyframe request interval
    await aiortc_internals.request_keyframe(receiver, ssrc)
    await eventually(lambda: ana.video.keyframe_requests > requests, 5,
                     what="the publisher is asked for a keyframe")
    await eventually(lambda: ben.carried("video")["ana"].keyframes > before, 5,
                     what="a new keyframe is forwarded")


async def test_audio_level_turns_speaking_on_and_off(call: Call, events: Events) -> None:
    ana = await call.publisher("ana")
    ben = await call.subscriber("ben")
    # Silence is not speech: once Ben has 25 of Ana's audio frames (0.5 s, past the 150 ms it
    # takes to start speaking), the plane has read the levels of those packets first.
    await eventually(lambda: "ana" in ben.carried("audio")
                     and ben.carried("audio")["ana"].frames >= 25, 5,
                     what="half a second of Ana's silence forwarded")
    assert (key("ana"), True) not in events.speaking
    ana.audio.loud = True
    await eventually(lambda: events.speaking == [(key("ana"), True)], 5,
                     what="ana starts speaking")
    ana.audio.loud = False
    await eventually(lambda: events.speaking[-1] == (key("ana"), False), 5,
                     what="ana stops speaking")


@pytest.mark.parametrize("limits", [MediaLimits(last_n=2)])
async def test_last_n_forwards_the_cameras_of_the_latest_speakers(call: Call) -> None:
    pubs = [await call.publisher(n) for n in ("p1", "p2", "p3", "p4")]
    watcher = await call.subscriber("watcher")
    await frames_flow(watcher, "video", {"p1", "p2"})  # nobody spoke: joining order
    await frames_flow(watcher, "audio", {"p1", "p2", "p3", "p4"})
    pubs[3].audio.loud = True
    await frames_flow(watcher, "video", {"p4", "p1"})  # p4 spoke; p2 had the oldest place
    pubs[3].audio.loud = False
    pubs[2].audio.loud = True
    await frames_flow(watcher, "video", {"p3", "p4"})


async def test_move_and_audio_only_change_what_arrives_on_the_same_connection(
    call: Call
) -> None:
    await call.publisher("ana", room="main")
    await call.publisher("ben", room="b1")
    cy = await call.subscriber("cy", room="main")
    await frames_flow(cy, "video", {"ana"})
    offers = cy.offers
    call.plane.move(key("cy"), "b1")
    await frames_flow(cy, "video", {"ben"})
    await frames_flow(cy, "audio", {"ben"})
    assert "ana" not in cy.carried("audio")
    call.plane.set_video(key("cy"), False)
    assert cy.carried("video") == {}
    # barrier: audio that left the plane after the switch arrives; video sent before it has
    # arrived by then too, so the video count is final
    await frames_flow(cy, "audio", {"ben"}, count=3)
    video = sum(c.frames for s, c in cy.counters.items()
                if any(x.mid == s and x.kind == "video" for x in cy.slots))
    await frames_flow(cy, "audio", {"ben"}, count=20)
    assert sum(c.frames for s, c in cy.counters.items()
               if any(x.mid == s and x.kind == "video" for x in cy.slots)) == video
    assert cy.offers == offers and call.plane.stats().peers == 3


async def test_a_screen_share_renegotiates_and_a_growing_pool_offers_again(
    call: Call, events: Events
) -> None:
    for name in ("p1", "p2", "p3", "p4"):
        await call.publisher(name)
    watcher = await call.subscriber("watcher")
    await frames_flow(watcher, "video", {"p1", "p2", "p3", "p4"})
    assert not events.offers  # 4 video slots fit the first batch
    await call.publishers["p1"].publish(screen=True)
    await eventually(lambda: len(events.offers) == 1, 10, what="the pool grows")
    await frames_flow(watcher, "video", {"p1"}, source="screen")
    await frames_flow(watcher, "video", {"p1", "p2", "p3", "p4"}, source="camera")
    assert watcher.offers == 2 and call.plane.stats().peers == 5
