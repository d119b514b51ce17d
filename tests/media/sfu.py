"""Test clients of the media plane: real aiortc peers on loopback. Publishers send VP8 frames
encoded once (no encoder at send time) and Opus audio whose level the test chooses; subscribers
count the frames each slot receives without decoding them."""

from __future__ import annotations

import asyncio
import fractions
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import av
import numpy as np
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack

from media import aiortc_internals as internals
from media.forwarding import is_vp8_keyframe
from media.plane import MediaPlane, PeerKey, Slot

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)


def client_pc() -> RTCPeerConnection:
    # aiortc, unlike browsers, binds later transceivers of a kind to a discarded transport unless
    # everything is bundled
    return RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))


@cache
def vp8_frames(width: int = 320, height: int = 180, count: int = 30,
               noise: bool = False) -> tuple[bytes, ...]:
    """``count`` VP8 frames, the first a keyframe, the others not."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = 800_000
    codec.time_base = fractions.Fraction(1, 30)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = np.random.default_rng(1)
    frames: list[bytes] = []
    for i in range(count):
        if noise:
            plane = rng.integers(0, 255, (height * 3 // 2, width), dtype=np.uint8)
        else:
            plane = np.full((height * 3 // 2, width), (i * 4) % 255, dtype=np.uint8)
            plane[:, (i * 8) % (width - 40):(i * 8) % (width - 40) + 40] = 255
        frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
        frame.pts = i
        frames += [bytes(p) for p in codec.encode(frame)]
    assert is_vp8_keyframe(frames[0]) and not any(map(is_vp8_keyframe, frames[1:]))
    return tuple(frames)


class LoopedVideo(MediaStreamTrack):
    """30 fps of pre-encoded VP8, looping over delta frames; a keyframe first and whenever the
    peer asks for one (``keyframe_requested``)."""

    kind = "video"

    def __init__(self, frames: tuple[bytes, ...], fps: float = 30.0) -> None:
        super().__init__()
        self.frames = frames
        self.fps = fps
        self.keyframes_sent = 0
        self.keyframe_requests = 0
        self._want_keyframe = True
        self._i = 0
        self._start: float | None = None

    def keyframe_requested(self) -> None:
        self.keyframe_requests += 1
        self._want_keyframe = True

    async def recv(self) -> av.Packet:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        self._i += 1
        await asyncio.sleep(max(0.0, self._start + self._i / self.fps - loop.time()))
        if self._want_keyframe:
            self._want_keyframe = False
            self.keyframes_sent += 1
            data = self.frames[0]
        else:
            data = self.frames[1 + self._i % (len(self.frames) - 1)]
        packet = av.Packet(data)
        packet.pts = int(self._i * 90000 / self.fps)
        packet.time_base = VIDEO_TIME_BASE
        return packet


class Tone(MediaStreamTrack):
    """20 ms frames of 48 kHz audio, loud (a tone of ``frequency``, 440 Hz unless changed, near
    -10 dBov, its phase continuous from frame to frame) or silent."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0) -> None:
        super().__init__()
        self.loud = False
        self.frequency = frequency
        self._pts = 0
        self._start: float | None = None
        self._silence = np.zeros((1, 960), dtype=np.int16)

    @property
    def _tone(self) -> np.ndarray:
        t = (self._pts + np.arange(960)) / 48000
        return (np.sin(2 * math.pi * self.frequency * t) * 10000).astype(np.int16).reshape(1, -1)

    async def recv(self) -> av.AudioFrame:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        await asyncio.sleep(max(0.0, self._start + self._pts / 48000 - loop.time()))
        frame = av.AudioFrame.from_ndarray(self._tone if self.loud else self._silence,
                                           format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, 48000)
        self._pts += 960
        return frame


class Publisher:
    def __init__(self, plane: MediaPlane, key: PeerKey, room: str = "main",
                 frames: tuple[bytes, ...] | None = None) -> None:
        self.plane, self.key, self.room = plane, key, room
        self.pc = client_pc()
        self.audio = Tone()
        self.video = LoopedVideo(frames or vp8_frames())
        self.screen: LoopedVideo | None = None
        self.pc.addTransceiver(self.audio, direction="sendonly")
        video = self.pc.addTransceiver(self.video, direction="sendonly")
        internals.watch_keyframe_requests(video.sender, self.video.keyframe_requested)

    async def publish(self, screen: bool = False) -> None:
        screen_mid = None
        if screen and self.screen is None:
            self.screen = LoopedVideo(vp8_frames())
            t = self.pc.addTransceiver(self.screen, direction="sendonly")
            internals.watch_keyframe_requests(t.sender, self.screen.keyframe_requested)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        if self.screen is not None:
            screen_mid = self.pc.getTransceivers()[-1].mid
        answer = await self.plane.publish(self.key, self.room, self.pc.localDescription.sdp,
                                          screen_mid)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))


@dataclass
class Counter:
    frames: int = 0
    keyframes: int = 0


class _Sink:
    def __init__(self, counter: Counter, kind: str) -> None:
        self.counter, self.kind = counter, kind

    def frame(self, data: bytes, timestamp: int) -> None:
        self.counter.frames += 1
        self.counter.keyframes += self.kind == "video" and is_vp8_keyframe(data)

    def packet(self, ssrc: int, audio_level: tuple[bool, int] | None) -> None:
        pass


@dataclass
class Subscriber:
    """Receives the plane's offers and counts encoded frames per mid (no decoding)."""

    plane: MediaPlane
    key: PeerKey
    room: str = "main"
    pc: RTCPeerConnection = field(default_factory=client_pc)
    slots: list[Slot] = field(default_factory=list)
    counters: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    offers: int = 0
    hooked: set[str] = field(default_factory=set)

    async def subscribe(self, video: bool = True) -> None:
        offer, self.slots = await self.plane.subscribe(self.key, self.room, video)
        await self.accept(offer)

    async def accept(self, offer: str) -> None:
        self.offers += 1
        await self.pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        for t in self.pc.getTransceivers():
            if t.mid is not None and t.mid not in self.hooked:
                self.hooked.add(t.mid)
                sink = _Sink(self.counters[t.mid], t.kind)
                internals.hook_receiver(t.receiver, t.kind, sink, sink)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.plane.answer(self.key, self.pc.localDescription.sdp)

    def carried(self, kind: str, source: str | None = None) -> dict[str, Counter]:
        """participant id -> frame counter of the slots now carrying their ``kind``."""
        return {s.participant_id: self.counters[s.mid] for s in self.slots
                if s.kind == kind and s.participant_id is not None
                and (source is None or s.source == source)}


@dataclass
class Events:
    """What the plane reported through its callbacks."""

    offers: list[tuple[PeerKey, str, list[Slot]]] = field(default_factory=list)
    slots: list[tuple[PeerKey, list[Slot]]] = field(default_factory=list)
    speaking: list[tuple[PeerKey, bool]] = field(default_factory=list)
    closed: list[tuple[PeerKey, str, str]] = field(default_factory=list)
    subscribers: dict[PeerKey, Subscriber] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def callbacks(self) -> dict[str, Callable[..., None]]:
        def on_slots(key: PeerKey, slots: list[Slot]) -> None:
            self.slots.append((key, slots))
            if key in self.subscribers:
                self.subscribers[key].slots = slots

        def on_offer(key: PeerKey, sdp: str, slots: list[Slot]) -> None:
            self.offers.append((key, sdp, slots))
            if key in self.subscribers:
                sub = self.subscribers[key]
                sub.slots = slots
                task = asyncio.get_running_loop().create_task(sub.accept(sdp))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

        return {"on_offer": on_offer, "on_slots": on_slots,
                "on_speaking": lambda k, s: self.speaking.append((k, s)),
                "on_closed": lambda k, w, r: self.closed.append((k, w, r))}
