"""The decode backlog is bounded per room and in all, not only per stream: a stream is one
stretch of listening to one speaker, and anyone in a room can start a new one at will (turning
captions of the room on and off ends the speaker's stream, with its open utterance as a final,
and opens another), so a bound per stream alone lets one client queue audio without end."""

from __future__ import annotations

import threading
from collections.abc import Hashable

import numpy as np

from speech import SpeechConfig
from speech.audio import IN_FRAME_SAMPLES, IN_RATE, Int16
from speech.endpoint import Segment
from speech.scheduler import Job, Scheduler
from tests.speech.conftest import running


def buzz(seconds: float) -> list[bytes]:
    """A voiced, speech-like buzz (a glottal pulse train with a syllable rhythm) that the VAD
    takes for speech: no espeak needed."""
    t = np.arange(int(IN_RATE * seconds)) / IN_RATE
    phase = np.cumsum(2 * np.pi * (120 + 20 * np.sin(2 * np.pi * 3 * t)) / IN_RATE)
    wave = sum(np.sin(k * phase) / k for k in range(1, 30))
    samples = (wave * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)) * 6000).astype("<i2")
    return [samples[i:i + IN_FRAME_SAMPLES].tobytes()
            for i in range(0, len(samples) - IN_FRAME_SAMPLES + 1, IN_FRAME_SAMPLES)]


class GatedRecogniser:
    def __init__(self) -> None:
        self.gate = threading.Event()
        self.decoded = 0
        self.lock = threading.Lock()

    def recognise(self, audio: Int16) -> str:
        self.gate.wait()
        with self.lock:
            self.decoded += 1
        return "words"


async def test_streams_opened_again_and_again_in_one_room_hold_bounded_audio() -> None:
    cfg = SpeechConfig(workers=1, partial_every=0)
    fake = GatedRecogniser()
    speech = buzz(1.0)
    async for run in running(cfg, fake, release=fake.gate):
        streams = [("ann", n, "room-1") for n in range(40)]
        for stream in streams:  # captions of the room toggled 40 times while Ann talks
            run.svc.open(stream, "room-1")
            await run.clock.feed(stream, speech)
            run.svc.end(stream)
        held = sum(run.svc.buffered_bytes(s) for s in streams)
        # Each churned stream left a one second final (32 kB at 16 kHz) waiting: the room's
        # backlog must stay within its own bound (plus the decode running), not grow with them.
        assert held <= (cfg.max_room_finals + cfg.workers) * 2 * 16_000 * 1.3, held
        assert ("room-1", True) in run.seen.behind, "a room that lost audio is told it is behind"
        fake.gate.set()
        await run.svc.drained()
        assert fake.decoded <= cfg.max_room_finals + cfg.workers, fake.decoded
        finals = run.seen.finals()
        assert finals[-1].stream == streams[-1], "the newest audio is kept, the oldest dropped"
        assert sum(run.svc.buffered_bytes(s) for s in streams) == 0


async def test_many_rooms_together_hold_bounded_audio() -> None:
    cfg = SpeechConfig(workers=1, partial_every=0)
    fake = GatedRecogniser()
    speech = buzz(1.0)
    async for run in running(cfg, fake, release=fake.gate):
        streams = [(f"p{n}", 1, f"room-{n}") for n in range(cfg.max_finals_waiting + 20)]
        for stream in streams:
            run.svc.open(stream, stream[2])
            await run.clock.feed(stream, speech)
            run.svc.end(stream)
        assert run.svc.waiting() <= cfg.max_finals_waiting, run.svc.waiting()
        assert any(behind for _, behind in run.seen.behind), "a room that lost audio is told"
        fake.gate.set()
        await run.svc.drained()
        assert fake.decoded <= cfg.max_finals_waiting + cfg.workers, fake.decoded


def test_the_scheduler_drops_a_rooms_oldest_final_and_reports_it_behind_at_once() -> None:
    reports: list[tuple[Hashable, bool]] = []
    s = Scheduler(max_finals=2, behind_after=60.0, max_group_finals=3, max_waiting=5,
                  report=lambda group, behind: reports.append((group, behind)))
    jobs = [job(("ann", n), "A", queued=n) for n in range(4)]
    for j in jobs[:3]:
        assert s.put(j) == []
    assert s.put(jobs[3]) == [jobs[0]], "the room's oldest goes, whoever spoke it"
    assert reports == [("A", True)]
    b = [job(("ben", n), "B", queued=10 + n) for n in range(3)]
    assert s.put(b[0]) == [] and s.put(b[1]) == []
    assert s.waiting() == 5
    # Full in all: the room with most waiting (A) loses its oldest, not the newcomer's room.
    assert s.put(b[2]) == [jobs[1]]
    assert s.waiting() == 5 and reports == [("A", True)]
    taken = [s.take(20.0, timeout=0) for _ in range(5)]
    assert all(t is not None for t in taken)
    for t in taken:
        assert t is not None
        s.done(t, 20.0)
    assert reports == [("A", True), ("A", False)]


def job(stream: Hashable, group: Hashable, queued: float = 0.0) -> Job:
    return Job(stream, group, Segment(1, np.zeros(10, np.int16), 0, 1, True), queued)
