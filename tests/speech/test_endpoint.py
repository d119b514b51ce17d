"""The endpointer alone, with voiced/unvoiced decisions given and a simulated clock."""

from __future__ import annotations

import numpy as np

from speech.endpoint import Endpointer, EndpointRules, Segment

FRAME = np.ones(320, np.int16)


def run(ep: Endpointer, pattern: list[bool], t0: float = 0.0) -> tuple[list[Segment], float]:
    out: list[Segment] = []
    now = t0
    for voiced in pattern:
        now += 0.02
        out.extend(ep.push(FRAME, voiced, now))
    return out, now


def test_utterance_ends_after_the_hangover_of_the_callers_clock() -> None:
    ep = Endpointer(EndpointRules(hangover=0.3, partial_every=0))
    out, _ = run(ep, [False] * 10 + [True] * 50 + [False] * 14)
    assert out == []
    out, now = run(ep, [False], t0=(10 + 50 + 14) * 0.02)
    [final] = out
    assert final.final and final.utterance == 1
    assert abs(final.end - 1.2) < 1e-6
    assert abs(now - final.end - 0.3) < 1e-6
    # preroll (0.2 s) + speech (1.0 s) + tail (0.2 s) of audio
    assert len(final.audio) == (10 + 50 + 10) * 320


def test_a_click_shorter_than_min_speech_is_dropped() -> None:
    ep = Endpointer(EndpointRules(min_speech=0.25, partial_every=0))
    out, _ = run(ep, [False] * 5 + [True] * 5 + [False] * 40)
    assert out == []


def test_max_utterance_cuts_and_speech_continues_as_a_new_utterance() -> None:
    ep = Endpointer(EndpointRules(max_utterance=2.0, partial_every=0))
    out, _ = run(ep, [True] * 250 + [False] * 20)
    assert [s.utterance for s in out] == [1, 2, 3]
    assert all(s.final for s in out)
    assert all(s.end - s.start <= 2.0 + 0.05 for s in out)
    assert ep.buffered_samples <= ep.rules.max_samples


def test_partials_once_a_second_while_speaking() -> None:
    ep = Endpointer(EndpointRules(partial_every=1.0))
    out, _ = run(ep, [True] * 175 + [False] * 20)
    partials = [s for s in out if not s.final]
    assert [round(s.end - s.start) for s in partials] == [1, 2, 3]
    assert out[-1].final and len(partials) == 3


def test_flush_finalises_the_open_utterance() -> None:
    ep = Endpointer(EndpointRules(partial_every=0))
    run(ep, [True] * 30)
    final = ep.flush()
    assert final is not None and final.final
    assert ep.flush() is None


def test_memory_is_bounded_whatever_is_fed() -> None:
    rules = EndpointRules(max_utterance=30.0, partial_every=0)
    ep = Endpointer(rules)
    peak = 0
    now = 0.0
    for _ in range(3000):
        now += 0.02
        ep.push(FRAME, True, now)
        peak = max(peak, ep.buffered_samples)
    assert peak <= rules.max_samples == int(30.2 * 16_000) + 320
