"""The service with Whisper base: espeak-ng speech in as 20 ms frames, captions out."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from load_tests.speech_audio import (
    LONG,
    MORE,
    SENTENCES,
    corpus_wer,
    have_espeak,
    pink_noise,
    silence,
    speak,
    wer,
    white_noise,
)
from speech import SpeechConfig, SpeechService, SpeechUnavailable, model_folder
from tests.speech.conftest import Running, running

if not have_espeak():
    pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): these tests need it to "
                "make speech", allow_module_level=True)
try:
    MODEL = model_folder(None)
except SpeechUnavailable as exc:
    pytest.skip(f"no speech model: {exc}", allow_module_level=True)

# Fed faster than real time, so finals may queue up: the per-stream bound is raised here (the
# bound itself is tested with a fake recogniser in test_overload.py).
CFG = SpeechConfig(max_finals=32)


@pytest.fixture
async def run() -> AsyncIterator[Running]:
    async for r in running(CFG):
        yield r


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voices")


async def test_finals_match_the_sentences(run: Running, voices: Path) -> None:
    run.svc.open("ana", "room-1")
    sentences = SENTENCES + MORE
    for sentence in sentences:
        await run.clock.feed("ana", silence(0.5) + speak(sentence, voices) + silence(0.6))
    run.svc.end("ana")
    await run.svc.drained()
    finals = run.seen.finals("ana")
    assert [c.utterance for c in finals] == sorted({c.utterance for c in finals})
    for caption in finals:
        assert caption.start < caption.end <= run.clock.now
    pairs = list(zip(sentences, [c.text for c in finals], strict=True))
    assert corpus_wer(pairs) <= 0.15, pairs
    # One sentence may be worse than the rest: alone this test gives at most 0.18 on a
    # sentence, whatever instruction set CTranslate2 uses, yet one run of the whole suite gave
    # 0.4 on one sentence (cause not found). None may lose half its words.
    errors = sorted(wer(ref, hyp) for ref, hyp in pairs)
    assert errors[-1] <= 0.5 and errors[-2] <= 0.3, pairs


async def test_silence_and_noise_make_no_captions(run: Running) -> None:
    run.svc.open("quiet", "room-1")
    await run.clock.feed("quiet", silence(3) + white_noise(3) + silence(1) + pink_noise(3)
                         + white_noise(2, level=800) + silence(1))
    run.svc.end("quiet")
    await run.svc.drained()
    assert run.seen.captions == []


async def test_partials_come_before_the_final_of_a_long_sentence(run: Running,
                                                                  voices: Path) -> None:
    run.svc.open("ben", "room-1")
    frames = silence(0.3) + speak(LONG, voices) + silence(0.6)
    for i in range(0, len(frames), 50):
        await run.clock.feed("ben", frames[i:i + 50])
        await run.svc.drained()
    run.svc.end("ben")
    await run.svc.drained()
    kinds = [c.final for c in run.seen.captions]
    assert kinds.count(False) >= 3 and kinds[-1] is True and kinds.count(True) == 1
    partials = [c for c in run.seen.captions if not c.final]
    assert all(c.utterance == run.seen.captions[-1].utterance for c in partials)
    assert all(c.text.startswith(c.stable) for c in partials)
    assert any(c.stable for c in partials[1:]), "later passes agree on a prefix"
    assert wer(LONG, run.seen.captions[-1].text) <= 0.15


async def test_a_long_utterance_is_cut_at_max_utterance(voices: Path) -> None:
    async for run in running(SpeechConfig(max_utterance=3.0, partial_every=0, max_finals=32)):
        run.svc.open("cat", "room-1")
        await run.clock.feed("cat", speak(LONG, voices) + silence(0.6))
        run.svc.end("cat")
        await run.svc.drained()
        finals = run.seen.finals("cat")
        assert len(finals) >= 2
        assert all(c.end - c.start <= 3.0 + 0.25 for c in finals)
        assert [c.utterance for c in finals] == list(range(finals[0].utterance,
                                                           finals[0].utterance + len(finals)))
        assert wer(LONG, " ".join(c.text for c in finals)) <= 0.35


async def test_two_rooms_speaking_at_once_both_get_their_captions(run: Running,
                                                                  voices: Path) -> None:
    run.svc.open("dan", "room-1")
    run.svc.open("eve", "room-2")
    dan = [speak(s, voices) + silence(0.5) for s in SENTENCES[:2]]
    eve = [speak(s, voices) + silence(0.5) for s in SENTENCES[2:]]
    await run.clock.feed_together({"dan": dan[0] + dan[1], "eve": eve[0] + eve[1]})
    run.svc.end("dan")
    run.svc.end("eve")
    await run.svc.drained()
    for stream, sentences in (("dan", SENTENCES[:2]), ("eve", SENTENCES[2:])):
        texts = [c.text for c in run.seen.finals(stream)]
        assert len(texts) == 2
        assert corpus_wer(list(zip(sentences, texts, strict=True))) <= 0.15, texts
    assert run.seen.threads == {threading.get_ident()}, "callbacks run on the loop thread"


async def test_close_leaves_no_thread(threads_before: set[threading.Thread],
                                      voices: Path) -> None:
    seen: list[object] = []
    svc = SpeechService(CFG, seen.append, lambda group, behind: None)
    await svc.start()
    assert len(set(threading.enumerate()) - threads_before) == CFG.workers
    svc.open("fay", "room-1")
    for i, frame in enumerate(speak(SENTENCES[0], voices) + silence(0.5)):
        svc.feed("fay", frame, 10 + i * 0.02)
    await svc.close()
    assert set(threading.enumerate()) - threads_before == set()
    svc.feed("fay", silence(0.02)[0], 100.0)
