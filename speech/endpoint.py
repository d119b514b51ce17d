"""Endpointing: where an utterance starts and ends, decided frame by frame by voice activity.

Rules of this module:
- It sees 16 kHz int16 frames of 20 ms with the caller's clock (``now``: the time the frame
  arrived, seconds) and a voiced/unvoiced decision per frame; it reads no clock of its own.
- A voiced frame opens an utterance, which takes the ``preroll`` of audio just before it so
  that the first syllable is not clipped. The utterance ends once ``hangover`` seconds of the
  stream's clock have passed without a voiced frame; its audio ends a ``tail`` after the last
  voiced frame.
- An utterance with less than ``min_speech`` seconds of voiced frames is a click or a cough:
  it is dropped, never decoded.
- An utterance reaching ``max_utterance`` seconds is cut: it becomes final there, and the speech
  that follows is a new utterance.
- While an utterance is open, a partial is asked for every ``partial_every`` seconds (never
  when ``partial_every`` is 0).
- Memory is bounded: an utterance holds at most ``max_utterance + preroll`` seconds of audio,
  the idle ring buffer ``preroll`` seconds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from .audio import FRAME, FRAME_SAMPLES, RATE, Int16


@dataclass(frozen=True, slots=True)
class EndpointRules:
    hangover: float = 0.3
    min_speech: float = 0.25
    max_utterance: float = 8.0
    preroll: float = 0.2
    tail: float = 0.2
    partial_every: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.hangover <= 5:
            raise ValueError(f"hangover must be in (0, 5] s, got {self.hangover}")
        if not 1 <= self.max_utterance <= 30:
            raise ValueError(f"max_utterance must be in [1, 30] s, got {self.max_utterance}")
        if self.partial_every < 0:
            raise ValueError(f"partial_every must be >= 0, got {self.partial_every}")

    @property
    def max_samples(self) -> int:
        return int((self.max_utterance + self.preroll) * RATE) + FRAME_SAMPLES


@dataclass(frozen=True, slots=True)
class Segment:
    """Audio of one utterance (16 kHz int16), whole (final) or so far (partial)."""

    utterance: int
    audio: Int16
    start: float
    end: float
    final: bool


class Endpointer:
    """The endpointing state of one stream."""

    def __init__(self, rules: EndpointRules) -> None:
        self.rules = rules
        self._ring: deque[Int16] = deque(maxlen=max(1, round(rules.preroll / FRAME)))
        self._frames: list[Int16] = []
        self._samples = 0
        self._open = False
        self._utterance = 0
        self._start = 0.0
        self._last_voiced = 0.0
        self._voiced = 0.0
        self._tail_frames = 0
        self._next_partial = 0.0

    @property
    def buffered_samples(self) -> int:
        return self._samples + sum(len(f) for f in self._ring)

    @property
    def utterance(self) -> int:
        return self._utterance

    def push(self, frame: Int16, voiced: bool, now: float) -> list[Segment]:
        """Take one frame; return the segments it completes (a final, a partial) in order."""
        out: list[Segment] = []
        rules = self.rules
        if not self._open:
            if not voiced:
                self._ring.append(frame)
                return out
            self._begin(now)
        if voiced:
            self._last_voiced = now
            self._voiced += FRAME
            self._tail_frames = 0
        else:
            self._tail_frames += 1
        if self._tail_frames * FRAME <= rules.tail + 1e-9:
            self._append(frame)
        if not voiced and now - self._last_voiced >= rules.hangover - 1e-9:
            final = self._finish()
            if final is not None:
                out.append(final)
            return out
        if now - self._start >= rules.max_utterance - 1e-9:
            final = self._finish()
            if final is not None:
                out.append(final)
            if voiced:
                self._begin(now)
            return out
        if rules.partial_every and now >= self._next_partial and self._voiced >= rules.min_speech:
            self._next_partial = now + rules.partial_every
            out.append(Segment(self._utterance, self._audio(), self._start, now, final=False))
        return out

    def flush(self) -> Segment | None:
        """End the stream: the open utterance, if any, becomes final."""
        return self._finish() if self._open else None

    def _begin(self, now: float) -> None:
        self._open = True
        self._utterance += 1
        self._frames = list(self._ring)
        self._samples = sum(len(f) for f in self._frames)
        self._ring.clear()
        self._start = now - FRAME * (len(self._frames) + 1)
        self._last_voiced = now
        self._voiced = 0.0
        self._tail_frames = 0
        self._next_partial = now + self.rules.partial_every

    def _append(self, frame: Int16) -> None:
        if self._samples + len(frame) <= self.rules.max_samples:
            self._frames.append(frame)
            self._samples += len(frame)

    def _audio(self) -> Int16:
        return np.concatenate(self._frames) if self._frames else np.zeros(0, np.int16)

    def _finish(self) -> Segment | None:
        self._open = False
        segment = None
        if self._voiced >= self.rules.min_speech - 1e-9:
            segment = Segment(self._utterance, self._audio(), self._start,
                              self._last_voiced, final=True)
        self._frames = []
        self._samples = 0
        return segment
