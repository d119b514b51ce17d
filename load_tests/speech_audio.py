"""Speech material of the captions benchmark and of tests/speech: espeak-ng sentences as 20 ms
frames of s16le mono 48 kHz, silence, white and pink noise; and word error rate (numbers up to
twenty count the same written as digits or as words)."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

FRAME_BYTES = 1920
SENTENCES = (
    "The quick brown fox jumps over the lazy dog.",
    "Please send the report to the mentoring team before Friday afternoon.",
    "Captions help everyone follow the conversation in a noisy room.",
    "Good morning everyone, today we talk about planning your first project.",
)
MORE = (
    "Can you share your screen so that we can look at the design together?",
    "I think the second option is better because it costs less and ships sooner.",
    "Let us take a short break and come back in ten minutes.",
    "My mentor helped me prepare for the interview last month.",
    "Write down three goals for this quarter and one risk for each of them.",
)
LONG = ("We will meet again next week to review your progress on the project and plan the "
        "following steps together with the rest of the group.")


def spoken(text: str, folder: Path, speed: int | None = None) -> np.ndarray:
    """``text`` spoken by espeak-ng (at ``speed`` words a minute, or its default), as 48 kHz
    mono int16 samples."""
    path = folder / f"{abs(hash((text, speed)))}.wav"
    if not path.exists():
        rate_flag = [] if speed is None else ["-s", str(speed)]
        subprocess.run(["espeak-ng", *rate_flag, "-w", str(path), text], check=True)
    with wave.open(str(path)) as w:
        rate, raw = w.getframerate(), w.readframes(w.getnframes())
    samples = np.frombuffer(raw, "<i2").astype(np.float64)
    n_out = int(len(samples) * 48_000 / rate)
    resampled = np.interp(np.arange(n_out) * rate / 48_000, np.arange(len(samples)), samples)
    return np.clip(resampled, -32768, 32767).astype(np.int16)


def speak(text: str, folder: Path) -> list[bytes]:
    """``text`` spoken by espeak-ng, as 20 ms frames of s16le mono 48 kHz."""
    return frames(spoken(text, folder))


def frames(samples: np.ndarray) -> list[bytes]:
    data = samples.astype("<i2").tobytes()
    data += b"\0" * (-len(data) % FRAME_BYTES)
    return [data[i:i + FRAME_BYTES] for i in range(0, len(data), FRAME_BYTES)]


def silence(seconds: float) -> list[bytes]:
    return [b"\0" * FRAME_BYTES] * round(seconds / 0.02)


def white_noise(seconds: float, level: float = 3000, seed: int = 1) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return frames(rng.normal(0, level, int(seconds * 48_000)).clip(-32768, 32767))


def pink_noise(seconds: float, peak: float = 8000, seed: int = 2) -> list[bytes]:
    """1/f noise made by shaping white noise's spectrum."""
    rng = np.random.default_rng(seed)
    n = int(seconds * 48_000)
    spectrum = np.fft.rfft(rng.normal(0, 1, n))
    f = np.arange(len(spectrum))
    f[0] = 1
    pink = np.fft.irfft(spectrum / np.sqrt(f), n)
    return frames(pink / np.abs(pink).max() * peak)


NUMBERS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
           "fourteen fifteen sixteen seventeen eighteen nineteen twenty").split()


def words(text: str) -> list[str]:
    found = re.sub(r"[^\w\s']", " ", text.lower()).split()
    return [NUMBERS[int(w)] if w.isdigit() and int(w) <= 20 else w for w in found]


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level Levenshtein distance over the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def corpus_wer(pairs: list[tuple[str, str]]) -> float:
    """Word error rate over several (reference, hypothesis) pairs: all edits over all words."""
    edits = sum(wer(ref, hyp) * max(1, len(words(ref))) for ref, hyp in pairs)
    return edits / max(1, sum(max(1, len(words(ref))) for ref, _ in pairs))
