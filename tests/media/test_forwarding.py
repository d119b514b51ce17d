"""Slots and sources without a network: queue bounds, keyframe waits, timestamp rebasing,
speaking hysteresis."""

from __future__ import annotations

import asyncio

import pytest

from media.forwarding import SlotTrack, Source, Vp8Packetizer, is_vp8_keyframe
from media.speaking import SpeakingDetector, SpeakingThresholds

KEY, DELTA = b"\x10" + b"k" * 10, b"\x11" + b"d" * 10


def source(requests: list[Source], kind: str = "video") -> Source:
    return Source(kind, "1", ("s", "p"), 7, requests.append, None)  # type: ignore[arg-type]


async def started(slot: SlotTrack, src: Source) -> None:
    # the sender's first recv starts the slot; a keyframe gets it going
    slot.set_source(src)
    pending = asyncio.ensure_future(slot.recv())
    await asyncio.sleep(0)
    src.frame(KEY, 0)
    await pending


def test_vp8_payloads_carry_the_whole_frame_and_a_picture_id() -> None:
    frame = bytes(range(256)) * 12
    payloads = Vp8Packetizer(0x7FFF).payloads(frame)
    assert len(payloads) == 3 and all(len(p) <= 1300 for p in payloads)
    assert payloads[0][:4] == b"\x90\x80\xff\xff" and payloads[1][:4] == b"\x80\x80\xff\xff"
    assert b"".join(p[4:] for p in payloads) == frame
    assert is_vp8_keyframe(KEY) and not is_vp8_keyframe(DELTA) and not is_vp8_keyframe(b"")


async def test_a_full_video_queue_drops_until_a_keyframe_and_asks_for_one() -> None:
    requests: list[Source] = []
    src, slot = source(requests), SlotTrack("video", max_queue=3)
    await started(slot, src)
    requests.clear()
    for i in range(3):
        src.frame(DELTA, 3000 * (i + 1))
    assert slot.queued == 3 and not requests
    src.frame(DELTA, 12000)  # the subscriber is not reading: the bound is hit
    assert slot.queued == 0 and requests == [src]
    for i in range(10):
        src.frame(DELTA, 15000 + 3000 * i)
    assert slot.queued == 0 and slot.dropped == 14
    src.frame(KEY, 50000)
    assert slot.queued == 1


async def test_a_full_audio_queue_drops_its_oldest_frame() -> None:
    src, slot = source([], "audio"), SlotTrack("audio", max_queue=2)
    await started(slot, src)
    for i in range(5):
        src.frame(bytes([i]), 960 * (i + 1))
    assert slot.queued == 2
    assert (await slot.recv())[0] == [b"\x03"]


async def test_a_new_source_waits_for_its_keyframe_and_timestamps_keep_rising() -> None:
    requests: list[Source] = []
    a, b = source(requests), source(requests)
    slot = SlotTrack("video", max_queue=10)
    await started(slot, a)
    a.frame(DELTA, 3000)
    assert (await slot.recv())[1] == 3000
    a.frame(DELTA, 6000)  # still queued when the slot switches: dropped with its source
    slot.set_source(b)
    assert requests[-1] is b  # the slot asks its new source for a picture at once
    b.frame(DELTA, 900_000)  # not decodable without its keyframe
    b.frame(KEY, 903_000)
    b.frame(DELTA, 906_000)
    stamps = [(await asyncio.wait_for(slot.recv(), 1))[1] for _ in range(2)]
    assert stamps == [9000, 12000] and slot.queued == 0


def test_speaking_needs_loudness_for_a_while_and_ends_after_quiet() -> None:
    d = SpeakingDetector(SpeakingThresholds())
    assert d.level(20, 0.0) is None and d.level(20, 0.1) is None
    assert d.level(90, 0.12) is None and d.level(20, 0.16) is True  # a short gap is speech
    assert d.level(90, 0.5) is None and d.level(90, 0.8) is None
    assert d.level(90, 0.87) is False
    assert [d.level(20, t) for t in (1.0, 1.05, 1.1)] == [None] * 3  # 100 ms is not enough
    assert d.level(20, 1.16) is True
    assert d.tick(1.5) is None and d.tick(1.9) is False  # no packets at all: silence


def test_speaking_thresholds_are_checked() -> None:
    with pytest.raises(ValueError):
        SpeakingThresholds(loud_dbov=200)
