"""Turning one utterance's audio into text with Whisper, and refusing what Whisper invents.

Rules of this module:
- ``WhisperRecogniser`` encodes only the utterance plus ``padding`` seconds of silence (never
  less than ``min_window``), not Whisper's 30 s window: CTranslate2 takes a mel shorter than
  3000 frames, and the encoder's cost follows the length. Greedy decoding (beam 1), one
  language (no detection), no timestamps, no previous text; new tokens are capped by the
  audio's length so that a decoding loop cannot run on, and a hypothesis that starts over
  (the whole text again, a known failure on short windows) keeps its first pass only.
- ``StockRecogniser`` is faster-whisper's own ``transcribe`` with the stock 30 s window, kept as
  the reference that the benchmark measures against.
- A hypothesis is dropped when Whisper itself says there was no speech (no-speech probability
  above ``no_speech`` while the average log probability is below ``logprob``), when the average
  log probability is below ``min_logprob`` whatever the rest, and when it holds no letter or
  digit.
- Both are called from decode worker threads; they hold no state between calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .audio import RATE, Int16, to_float

WORDY = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Filters:
    no_speech: float = 0.6
    logprob: float = -1.0
    min_logprob: float = -1.5


@dataclass(frozen=True, slots=True)
class Hypothesis:
    text: str
    no_speech_prob: float
    avg_logprob: float


class Recogniser(Protocol):
    """What the decode workers call; anything with this method can stand in for Whisper."""

    def recognise(self, audio: Int16) -> str:
        """The text of ``audio`` (16 kHz int16), or "" when it holds no speech."""
        ...


def trim_repeat(text: str) -> str:
    """``text`` without a second pass over itself ("A B C D. A B C" becomes "A B C D.")."""
    found = text.split()
    key = [w.strip(".,!?;:").lower() for w in found]
    for cut in range(4, len(found) - 3):
        rest = key[cut:]
        if rest == key[: len(rest)]:
            return " ".join(found[:cut])
    return text


def accept(hypothesis: Hypothesis, filters: Filters) -> str:
    text = trim_repeat(" ".join(hypothesis.text.split()))
    if not WORDY.search(text):
        return ""
    if hypothesis.avg_logprob < filters.min_logprob:
        return ""
    if hypothesis.no_speech_prob > filters.no_speech and hypothesis.avg_logprob < filters.logprob:
        return ""
    return text


class WhisperRecogniser:
    """Whisper on the utterance alone (a short mel), greedy."""

    def __init__(self, model: Any, language: str = "en", padding: float = 1.0,
                 min_window: float = 1.0, filters: Filters = Filters()) -> None:
        import ctranslate2

        self._storage = ctranslate2.StorageView
        self._model = model
        self._filters = filters
        self._padding = padding
        self._min_window = min_window
        tokenizer = model.hf_tokenizer
        names = ["<|startoftranscript|>", f"<|{language}|>", "<|transcribe|>",
                 "<|notimestamps|>"]
        ids = [tokenizer.token_to_id(name) for name in names]
        if any(i is None for i in ids):
            raise ValueError(f"the model does not know the language {language!r}")
        self._prompt: list[int] = ids
        self._eot: int = tokenizer.token_to_id("<|endoftext|>")
        self._decode = tokenizer.decode

    def hypothesis(self, audio: Int16) -> Hypothesis:
        seconds = max(len(audio) / RATE + self._padding, self._min_window)
        window = np.zeros(int(seconds * RATE), np.float32)
        window[: len(audio)] = to_float(audio)
        mel = self._model.feature_extractor(window, padding=0)
        mel = mel[:, : mel.shape[-1] // 2 * 2]
        features = self._storage.from_array(np.ascontiguousarray(mel[None], dtype=np.float32))
        new_tokens = int(len(audio) / RATE * 8) + 10
        result = self._model.model.generate(
            features, [self._prompt], beam_size=1, max_length=len(self._prompt) + new_tokens,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._eot]
        return Hypothesis(self._decode(tokens), float(result.no_speech_prob),
                          float(result.scores[0]) if result.scores else 0.0)

    def recognise(self, audio: Int16) -> str:
        return accept(self.hypothesis(audio), self._filters)


class StockRecogniser:
    """faster-whisper's ``transcribe`` as shipped: the 30 s window, its own thresholds."""

    def __init__(self, model: Any, language: str = "en", filters: Filters = Filters()) -> None:
        self._model = model
        self._language = language
        self._filters = filters

    def recognise(self, audio: Int16) -> str:
        segments, _ = self._model.transcribe(
            to_float(audio), language=self._language, beam_size=1, without_timestamps=True,
            condition_on_previous_text=False, vad_filter=False,
        )
        texts = [accept(Hypothesis(s.text, s.no_speech_prob, s.avg_logprob), self._filters)
                 for s in segments]
        return " ".join(t for t in texts if t)
