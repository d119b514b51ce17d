"""The audio of chosen publishers, decoded to PCM at the server (for live captions).

Rules of this module:
- Listening is per participant (``PeerKey``), not per connection: it is set before or after they
  publish, carries over to a new publication of theirs, and ends only with ``forget`` (the plane's
  ``stop``) or ``close``.
- A decoder (aiortc's Opus decoder, through ``aiortc_internals.opus_decoder``) exists only while a
  listened-to participant publishes audio; it is made fresh for each audio source (a new
  publication is a new Opus stream) and dropped with it. Nobody listened to costs nothing.
- PCM is 20 ms frames of s16le mono 48 kHz (960 samples, 1920 bytes; the decoder's stereo is
  averaged). Packets of other durations are cut into 20 ms frames, so at most 19 ms of samples wait
  for the next packet.
- Delivery is synchronous, without a queue: ``on_audio(key, pcm, loop_time)`` runs on the event
  loop thread inside aiortc's receive path, as each packet is decoded. It must be cheap (buffer and
  return): a slow callback delays that publisher's receiving and forwarding. A callback that raises
  is the caller's to isolate (the plane wraps it).
- A packet the decoder refuses (or an empty one) is counted in ``undecodable`` and skipped; nothing
  raises into aiortc.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import av
import numpy as np

from media import aiortc_internals as internals
from media.forwarding import Source
from media.peers import PeerKey

FRAME_SAMPLES = 960  # 20 ms at 48 kHz
FRAME_BYTES = FRAME_SAMPLES * 2

OnAudio = Callable[[PeerKey, bytes, float], None]


class _Decoder:
    """Decodes one audio source of a listened-to participant; stands in ``Source.tap``."""

    __slots__ = ("key", "source", "_tap", "_decode", "_pending")

    def __init__(self, tap: AudioTap, key: PeerKey, source: Source) -> None:
        self.key = key
        self.source = source
        self._tap = tap
        self._decode = internals.opus_decoder()
        self._pending = b""

    def frame(self, data: bytes, timestamp: int) -> None:
        tap = self._tap
        if not data:
            tap.undecodable += 1
            return
        try:
            frames = self._decode(data, timestamp)
        except av.FFmpegError:
            tap.undecodable += 1
            return
        pcm = self._pending + b"".join(map(mono, frames))
        if len(pcm) < FRAME_BYTES:
            self._pending = pcm
            return
        now = asyncio.get_running_loop().time()
        end = len(pcm) - len(pcm) % FRAME_BYTES
        self._pending = pcm[end:]
        for start in range(0, end, FRAME_BYTES):
            tap.on_audio(self.key, pcm[start:start + FRAME_BYTES], now)


def mono(frame: av.AudioFrame) -> bytes:
    """s16 packed samples of ``frame``, its channels averaged."""
    channels = frame.layout.nb_channels
    samples = frame.to_ndarray().reshape(-1, channels)
    if channels == 1:
        return bytes(samples.tobytes())
    mixed = samples.astype(np.int32).sum(axis=1) // channels
    return bytes(mixed.astype("<i2").tobytes())


class AudioTap:
    """Which participants are listened to, and the decoders of those who publish audio."""

    def __init__(self, on_audio: OnAudio) -> None:
        self.on_audio = on_audio
        self.undecodable = 0  # packets refused by a decoder (or empty), since the start
        self.decoders_made = 0
        self._listening: set[PeerKey] = set()
        self._decoders: dict[PeerKey, _Decoder] = {}

    def listen(self, key: PeerKey, on: bool, audio: Source | None) -> None:
        """Start or stop listening to ``key``, whose audio source is now ``audio``."""
        if on:
            self._listening.add(key)
        else:
            self._listening.discard(key)
        self.attach(key, audio)

    def listening(self, key: PeerKey) -> bool:
        return key in self._listening

    def attach(self, key: PeerKey, audio: Source | None) -> None:
        """``key``'s audio source is now ``audio`` (None: they publish no audio)."""
        wanted = audio if key in self._listening else None
        current = self._decoders.get(key)
        if current is not None and current.source is wanted:
            return
        if current is not None:
            current.source.tap = None
            del self._decoders[key]
        if wanted is not None:
            decoder = self._decoders[key] = _Decoder(self, key, wanted)
            self.decoders_made += 1
            wanted.tap = decoder.frame

    def forget(self, key: PeerKey) -> None:
        self.listen(key, False, None)

    def close(self) -> None:
        for key in list(self._decoders):
            self.attach(key, None)
        self._listening.clear()

    @property
    def tapped(self) -> int:
        """Publishers decoded now."""
        return len(self._decoders)
