"""Overload, with a recogniser that decodes only when the test lets it: bounded memory, rooms
reported behind and caught up, partials given up first. Needs espeak-ng, not the model."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from pathlib import Path

import pytest

from load_tests.speech_audio import SENTENCES, have_espeak, silence, speak
from speech import SpeechConfig
from speech.audio import Int16
from tests.speech.conftest import running
from tests.support import eventually

if not have_espeak():
    pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): these tests need it to "
                "make speech", allow_module_level=True)


class GatedRecogniser:
    """Answers "words" for every decode, each only once the gate is open."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.decoded: list[int] = []
        self.lock = threading.Lock()

    def recognise(self, audio: Int16) -> str:
        self.gate.wait()
        with self.lock:
            self.decoded.append(len(audio))
        return "words"


async def test_a_stream_holds_bounded_audio_when_decoding_stalls(tmp_path: Path) -> None:
    cfg = SpeechConfig(workers=1, max_finals=2, max_utterance=4.0)
    fake = GatedRecogniser()
    async for run in running(cfg, fake, release=fake.gate):
        run.svc.open("ann", "room-1")
        peak = 0
        for i in range(12):
            await run.clock.feed("ann", speak(SENTENCES[i % 4], tmp_path) + silence(0.5))
            peak = max(peak, run.svc.buffered_bytes("ann"))
        assert 0 < peak <= cfg.memory_bound
        fake.gate.set()
        run.svc.end("ann")
        await run.svc.drained()
        finals = run.seen.finals("ann")
        # the decode that was running when the gate closed, then the newest waiting finals
        assert cfg.max_finals <= len(finals) <= cfg.max_finals + 1
        assert finals[-1].utterance == max(c.utterance for c in run.seen.captions)
        assert run.svc.buffered_bytes("ann") == 0


async def test_a_room_is_reported_behind_then_caught_up_and_partials_wait(tmp_path: Path) -> None:
    cfg = SpeechConfig(workers=1, behind_after=0.05, partial_every=0.5, max_finals=8)
    fake = GatedRecogniser()
    async for run in running(cfg, fake, release=fake.gate):
        run.svc.open("bob", "room-1")
        run.svc.open("cy", "room-2")
        await run.clock.feed("bob", speak(SENTENCES[0], tmp_path) + silence(0.5))
        await run.clock.feed("bob", speak(SENTENCES[1], tmp_path) + silence(0.5))
        await eventually(run.seen.any_behind, timeout=5, what="a behind report")
        await run.clock.feed("cy", speak(SENTENCES[2], tmp_path)[:100])
        fake.gate.set()
        await run.svc.drained()
        behind: list[tuple[Hashable, bool]] = run.seen.behind
        assert behind[0] == ("room-1", True)
        assert behind[-1] == ("room-1", False)
        assert ("room-2", True) not in behind
        kinds = [(c.stream, c.final) for c in run.seen.captions]
        assert kinds.count(("bob", True)) == 2
        assert ("cy", False) in kinds
        last_final = max(i for i, kind in enumerate(kinds) if kind == ("bob", True))
        assert kinds.index(("cy", False)) > last_final, "waiting finals before partials"
        run.svc.end("bob")
        run.svc.end("cy")
        await run.svc.drained()
