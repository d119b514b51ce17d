"""Audio conversions of the recogniser: 48 kHz frames in, 16 kHz for the VAD and Whisper.

Rules of this module:
- Input is s16le mono at 48 kHz in 20 ms frames (960 samples); output is int16 at 16 kHz
  (320 samples a frame), the rate webrtcvad and Whisper take.
- Resampling is a fixed low-pass FIR (windowed sinc, cut at 7.2 kHz) followed by keeping every
  third sample, with the filter's history carried from frame to frame so that frame edges add
  nothing audible. It costs one short convolution a frame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IN_RATE = 48_000
RATE = 16_000
FACTOR = IN_RATE // RATE
FRAME = 0.02
IN_FRAME_SAMPLES = int(IN_RATE * FRAME)
FRAME_SAMPLES = int(RATE * FRAME)
TAPS = 48

Int16 = npt.NDArray[np.int16]
Float32 = npt.NDArray[np.float32]


def _lowpass(taps: int, cutoff: float) -> Float32:
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff * n) * np.hamming(taps)
    kernel: Float32 = (h / h.sum()).astype(np.float32)
    return kernel


KERNEL = _lowpass(TAPS, 7_200 / IN_RATE)


class Downsampler:
    """48 kHz to 16 kHz for one stream; keeps the filter's history between frames."""

    __slots__ = ("_history", "_phase")

    def __init__(self) -> None:
        self._history = np.zeros(TAPS - 1, np.float32)
        self._phase = 0

    def __call__(self, pcm: bytes) -> Int16:
        samples = np.frombuffer(pcm, "<i2").astype(np.float32)
        padded = np.concatenate((self._history, samples))
        filtered = np.convolve(padded, KERNEL, mode="valid")
        self._history = padded[len(padded) - (TAPS - 1):]
        out = filtered[self._phase::FACTOR]
        self._phase = (self._phase - len(filtered)) % FACTOR
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)


def to_float(samples: Int16) -> Float32:
    return samples.astype(np.float32) / 32768.0
