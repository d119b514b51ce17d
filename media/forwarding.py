"""Encoded frames from one publisher's track to the slots that carry it, never decoded.

Rules of this module:
- A publisher's track (``Source``) receives reassembled encoded frames from aiortc's receiver
  (see ``aiortc_internals.hook_receiver``). Video frames are cut into VP8 RTP payloads once, and the
  same payload list goes to every slot: the per-subscriber cost is a tuple and aiortc's send path.
- A source being listened to (``audio_tap``) also hands each frame to its decoder (``tap``).
- A subscriber's slot (``SlotTrack``) is the track of one of the server's senders. It yields
  ``(payloads, timestamp)`` items which the sender's packer passes through as they are.
- A slot that switches source drops video until the new source's next keyframe (and asks for it),
  and rebases timestamps so that what its subscriber sees stays monotonic.
- Each slot's queue is bounded: when a slow subscriber's video queue is full the queue is emptied
  and the slot waits for (and asks for) a keyframe; audio drops its oldest frame.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, Literal

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

Kind = Literal["audio", "video"]
Item = tuple[list[bytes], int]

VP8_PAYLOAD_MAX = 1300
# Timestamp step put between two sources on a slot: one frame at 30 fps (90 kHz), 20 ms (48 kHz).
REBASE_STEP = {"audio": 960, "video": 3000}


class Vp8Packetizer:
    """VP8 RTP payloads (RFC 7741) with a 15-bit picture id, one picture id sequence per source."""

    __slots__ = ("picture_id",)

    def __init__(self, picture_id: int) -> None:
        self.picture_id = picture_id & 0x7FFF

    def payloads(self, frame: bytes) -> list[bytes]:
        pid = self.picture_id
        self.picture_id = (pid + 1) & 0x7FFF
        tail = bytes((0x80, 0x80 | (pid >> 8), pid & 0xFF))
        first, rest = b"\x90" + tail, b"\x80" + tail
        step = VP8_PAYLOAD_MAX - 4
        out = [first + frame[:step]]
        for pos in range(step, len(frame), step):
            out.append(rest + frame[pos:pos + step])
        return out


def is_vp8_keyframe(frame: bytes) -> bool:
    # VP8 frame tag: bit 0 of the first byte is 0 for a key frame (RFC 6386 section 9.1).
    return bool(frame) and not frame[0] & 0x01


class PassThroughPacker:
    """Stands in a server sender's encoder: the slot track already yields packed payloads."""

    __slots__ = ()

    def pack(self, item: Any) -> Item:
        payloads, timestamp = item
        return payloads, timestamp


class Source:
    """One track a publisher sends (audio, camera or screen) and the slots currently carrying it."""

    def __init__(self, kind: Kind, mid: str, owner: tuple[str, str], picture_id: int,
                 request_keyframe: Callable[[Source], None],
                 on_audio_level: Callable[[int], None] | None) -> None:
        self.kind = kind
        self.mid = mid
        self.owner = owner
        self.role: Literal["camera", "screen"] | None = None
        self.last_keyframe_request = float("-inf")
        self.ssrc: int | None = None
        self.slots: set[SlotTrack] = set()
        self.frames = 0
        self.tap: Callable[[bytes, int], None] | None = None  # audio_tap's decoder, if listened to
        self._packetizer = Vp8Packetizer(picture_id) if kind == "video" else None
        self._request_keyframe = request_keyframe
        self._on_audio_level = on_audio_level

    # aiortc_internals.PacketObserver
    def packet(self, ssrc: int, audio_level: tuple[bool, int] | None) -> None:
        if self.ssrc is None:
            self.ssrc = ssrc
        if audio_level is not None and self._on_audio_level is not None:
            self._on_audio_level(audio_level[1])

    # aiortc_internals.FrameSink
    def frame(self, data: bytes, timestamp: int) -> None:
        self.frames += 1
        if self.tap is not None:
            self.tap(data, timestamp)
        if not self.slots:
            return
        if self._packetizer is not None:
            payloads = self._packetizer.payloads(data)
            keyframe = is_vp8_keyframe(data)
        else:
            payloads, keyframe = [data], True
        for slot in tuple(self.slots):
            slot.push(payloads, timestamp, keyframe)

    def request_keyframe(self) -> None:
        if self.kind == "video":
            self._request_keyframe(self)


class SlotTrack(MediaStreamTrack):
    """The track of one server sender (one slot of a subscriber's pool)."""

    def __init__(self, kind: Kind, max_queue: int) -> None:
        super().__init__()
        self.kind = kind
        self.media_kind = kind
        self.source: Source | None = None
        self.dropped = 0
        self._max_queue = max_queue
        self._queue: deque[Item] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._consuming = False
        self._awaiting_keyframe = kind == "video"
        self._rebase = True
        self._offset = 0
        self._last_out: int | None = None

    def set_source(self, source: Source | None) -> None:
        if source is self.source:
            return
        if self.source is not None:
            self.source.slots.discard(self)
        self.source = source
        self._queue.clear()
        self._rebase = True
        self._awaiting_keyframe = self.kind == "video"
        if source is not None:
            source.slots.add(self)
            if self._consuming:
                source.request_keyframe()

    def push(self, payloads: list[bytes], timestamp: int, keyframe: bool) -> None:
        if not self._consuming:
            # The sender has not started (not connected yet): nothing would read the frame.
            return
        source = self.source
        if self._awaiting_keyframe:
            if not keyframe:
                self.dropped += 1
                if source is not None:
                    source.request_keyframe()
                return
            self._awaiting_keyframe = False
        if len(self._queue) >= self._max_queue:
            if self.kind == "audio":
                self.dropped += 1
                self._queue.popleft()
            else:
                # later video frames need the dropped ones: start again from a keyframe
                self.dropped += len(self._queue) + (not keyframe)
                self._queue.clear()
                if not keyframe:
                    self._awaiting_keyframe = True
                    if source is not None:
                        source.request_keyframe()
                    return
        if self._rebase:
            previous = self._last_out
            start = 0 if previous is None else previous + REBASE_STEP[self.kind]
            self._offset = start - timestamp
            self._rebase = False
        out = timestamp + self._offset
        self._last_out = out
        self._queue.append((payloads, out & 0xFFFFFFFF))
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def request_keyframe(self) -> None:
        """The subscriber lost the picture (PLI or FIR): ask this slot's source."""
        if self.source is not None:
            self.source.request_keyframe()

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def recv(self) -> Item:  # type: ignore[override]
        if not self._consuming:
            self._consuming = True
            if self.source is not None:
                self.source.request_keyframe()
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def stop(self) -> None:
        self.set_source(None)
        super().stop()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
