"""The audio tap: chosen publishers' Opus decoded to 20 ms of mono PCM, with real aiortc peers on
loopback; nobody else decoded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiortc.codecs.opus
import av
import numpy as np
import pytest

from media.aiortc_internals import close_peer_connection
from media.audio_tap import FRAME_BYTES, AudioTap
from media.forwarding import Source
from media.plane import MediaLimits, MediaPlane, PeerKey
from tests.media.sfu import Events, Publisher, Subscriber
from tests.support import eventually

ANA: PeerKey = ("s1", "ana")
BEN: PeerKey = ("s1", "ben")


class Heard:
    """What the plane's on_audio received."""

    def __init__(self) -> None:
        self.frames: list[tuple[PeerKey, bytes, float]] = []

    def __call__(self, key: PeerKey, pcm: bytes, now: float) -> None:
        self.frames.append((key, pcm, now))

    def pcm(self, last: int) -> bytes:
        return b"".join(pcm for _, pcm, _ in self.frames[-last:])


class OpusDecoders:
    """Counts the Opus decoders aiortc creates in this process (each still a real one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made = 0
        real = aiortc.codecs.opus.CodecContext

        def create(name: str, mode: str) -> Any:
            self.made += (name, mode) == ("libopus", "r")
            return real.create(name, mode)

        monkeypatch.setattr(aiortc.codecs.opus, "CodecContext", SimpleNamespace(create=create))


@pytest.fixture
def decoders(monkeypatch: pytest.MonkeyPatch) -> OpusDecoders:
    return OpusDecoders(monkeypatch)


@pytest.fixture
def heard() -> Heard:
    return Heard()


class Call:
    def __init__(self, plane: MediaPlane, events: Events) -> None:
        self.plane, self.events = plane, events
        self.pcs: list[Any] = []

    async def publisher(self, key: PeerKey, frequency: float = 440.0,
                        screen: bool = False) -> Publisher:
        p = Publisher(self.plane, key)
        p.audio.loud, p.audio.frequency = True, frequency
        self.pcs.append(p.pc)
        await p.publish(screen)
        return p

    async def subscriber(self, key: PeerKey) -> Subscriber:
        s = Subscriber(self.plane, key)
        self.events.subscribers[key] = s
        self.pcs.append(s.pc)
        await s.subscribe(video=False)
        return s


@pytest.fixture
async def call(heard: Heard) -> AsyncIterator[Call]:
    events = Events()
    plane = MediaPlane(MediaLimits(), **events.callbacks(), on_audio=heard)
    c = Call(plane, events)
    yield c
    for pc in c.pcs:
        await close_peer_connection(pc)
    await plane.close()


def dominant_hz(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, "<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / 48000)[spectrum.argmax()])


async def heard_more(heard: Heard, count: int) -> None:
    start = len(heard.frames)
    await eventually(lambda: len(heard.frames) >= start + count, 10,
                     what=f"{count} more PCM frames reach on_audio")


async def forwarded_more(sub: Subscriber, name: str, count: int = 25) -> None:
    """Barrier: ``count`` more of ``name``'s audio frames went through the plane to ``sub``
    (the tap sees each frame before it is forwarded)."""
    await eventually(lambda: name in sub.carried("audio"), 10, what=f"{name}'s audio carried")
    start = sub.carried("audio")[name].frames
    await eventually(lambda: sub.carried("audio")[name].frames >= start + count, 10,
                     what=f"{count} more of {name}'s audio frames forwarded")


async def test_a_listened_publisher_arrives_as_20ms_mono_pcm_of_its_tone(
    call: Call, heard: Heard, decoders: OpusDecoders
) -> None:
    call.plane.listen(ANA, True)  # before publishing
    assert call.plane.listening(ANA)
    await call.publisher(ANA)
    await heard_more(heard, 75)
    assert {key for key, _, _ in heard.frames} == {ANA}
    assert {len(pcm) for _, pcm, _ in heard.frames} == {FRAME_BYTES}
    # about 50 a second, from the loop clock the frames were handed over with
    times = [t for _, _, t in heard.frames[-50:]]
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert 40 < rate < 60, rate
    assert times == sorted(times) and abs(times[-1] - asyncio.get_running_loop().time()) < 1
    pcm = heard.pcm(25)
    assert abs(dominant_hz(pcm) - 440) < 5
    rms = float(np.sqrt(np.mean(np.frombuffer(pcm, "<i2").astype(np.float64) ** 2)))
    assert 5000 < rms < 9000  # the tone's amplitude is 10000: RMS 7071
    assert decoders.made == 1
    assert call.plane.stats().tapped == 1 and call.plane.stats().undecodable_frames == 0


async def test_nobody_listened_to_is_never_decoded(
    call: Call, heard: Heard, decoders: OpusDecoders
) -> None:
    await call.publisher(ANA)
    ben = await call.subscriber(BEN)
    call.plane.listen(("s1", "cy"), True)  # listened to, but publishes nothing
    await forwarded_more(ben, "ana")
    assert heard.frames == [] and decoders.made == 0 and call.plane.stats().tapped == 0
    assert not call.plane.listening(ANA)


async def test_listening_stops_when_turned_off(
    call: Call, heard: Heard, decoders: OpusDecoders
) -> None:
    await call.publisher(ANA)
    ben = await call.subscriber(BEN)
    call.plane.listen(ANA, True)  # after publishing
    await heard_more(heard, 10)
    call.plane.listen(ANA, False)
    count = len(heard.frames)
    await forwarded_more(ben, "ana")
    assert len(heard.frames) == count
    assert call.plane.stats().tapped == 0 and not call.plane.listening(ANA)
    call.plane.listen(ANA, True)  # and on again: a new decoder
    await heard_more(heard, 10)
    assert decoders.made == 2


async def test_listening_follows_a_renegotiation_and_a_republish(
    call: Call, heard: Heard, decoders: OpusDecoders
) -> None:
    call.plane.listen(ANA, True)
    first = await call.publisher(ANA)
    await heard_more(heard, 10)
    await first.publish(screen=True)  # the same connection renegotiated: the same decoder
    await heard_more(heard, 10)
    assert decoders.made == 1
    # a new connection (another certificate) replaces the publication; it sends 660 Hz
    await call.publisher(ANA, frequency=660.0)
    await close_peer_connection(first.pc)
    await eventually(lambda: decoders.made == 2, 10, what="the new publication is decoded")
    await heard_more(heard, 40)
    assert abs(dominant_hz(heard.pcm(25)) - 660) < 5
    assert call.plane.stats().tapped == 1


async def test_stop_forgets_listening(call: Call, heard: Heard, decoders: OpusDecoders) -> None:
    call.plane.listen(ANA, True)
    first = await call.publisher(ANA)
    await heard_more(heard, 10)
    await call.plane.stop(ANA)
    await close_peer_connection(first.pc)
    assert not call.plane.listening(ANA) and call.plane.stats().tapped == 0
    count = len(heard.frames)
    await call.publisher(ANA)  # publishes again: nobody listens any more
    ben = await call.subscriber(BEN)
    await forwarded_more(ben, "ana")
    assert len(heard.frames) == count and decoders.made == 1


async def test_close_forgets_listening_and_a_plane_without_on_audio_refuses_to_listen() -> None:
    plane = MediaPlane(MediaLimits(), **Events().callbacks(), on_audio=Heard())
    plane.listen(ANA, True)
    await plane.close()
    assert not plane.listening(ANA)
    deaf = MediaPlane(MediaLimits(), **Events().callbacks())
    with pytest.raises(ValueError):
        deaf.listen(ANA, True)
    assert not deaf.listening(ANA)
    await deaf.close()


def opus_packets(count: int) -> list[bytes]:
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.format, codec.layout = 48000, "s16", "mono"
    packets: list[bytes] = []
    for i in range(count):
        t = (i * 960 + np.arange(960)) / 48000
        samples = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, i * 960
        packets += [bytes(p) for p in codec.encode(frame)]
    return packets


async def test_bad_packets_are_counted_and_skipped_and_short_ones_make_whole_frames() -> None:
    heard = Heard()
    tap = AudioTap(heard)
    source = Source("audio", "0", ANA, 0, lambda s: None, None)
    tap.listen(ANA, True, source)
    assert source.tap is not None and tap.tapped == 1
    packets = opus_packets(5)
    source.frame(packets[0], 0)
    for bad in (b"", b"\xff" * 5, b"\x03\xff"):  # empty, invalid, truncated
        source.frame(bad, 960)  # never raises into aiortc's receive path
    assert tap.undecodable == 3
    for i, packet in enumerate(packets[1:], 1):
        source.frame(packet, i * 960)
    assert len(heard.frames) == 5 and {len(pcm) for _, pcm, _ in heard.frames} == {FRAME_BYTES}
    # a 10 ms packet (TOC config 0: SILK narrowband, 10 ms) fills half a frame
    source.frame(b"\x00", 0)
    assert len(heard.frames) == 5
    source.frame(b"\x00", 480)
    assert len(heard.frames) == 6 and len(heard.frames[-1][1]) == FRAME_BYTES
    tap.close()
    assert source.tap is None and tap.tapped == 0 and not tap.listening(ANA)
