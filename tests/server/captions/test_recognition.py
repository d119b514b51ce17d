"""Captions recognised by the server from real speech: espeak-ng sentences sent by a real aiortc
client through the media plane, recognised by the speech service, and received as captions over
the socket by the other person in the room, attributed to the speaker."""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import MediaStreamTrack, VideoStreamTrack
from av import AudioFrame

from clients.server_media import ServerMedia
from load_tests.speech_audio import have_espeak, spoken, wer
from server.captions.install import CAPTIONS
from server.media.install import MEDIA
from server.settings import Settings
from tests.support import Api, Peer, eventually

speech = pytest.importorskip("speech", reason="the speech package (faster-whisper) is missing")
if not have_espeak():
    pytest.skip("espeak-ng is not installed (Debian package espeak-ng)", allow_module_level=True)

RATE = 48_000
FRAME = 960  # 20 ms
SENTENCES = (
    "My mentor helped me plan my first research project.",
    "We meet every week to talk about my goals.",
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, media_addresses=("127.0.0.1",))


class Script(MediaStreamTrack):
    """A microphone playing ``samples`` in real time once ``go`` is set (silence before and
    after)."""

    kind = "audio"

    def __init__(self, samples: np.ndarray) -> None:
        super().__init__()
        self.samples = samples
        self.go = asyncio.Event()
        self.played = asyncio.Event()
        self._pts = 0
        self._at = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        wait = self._start + self._pts / RATE - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        chunk = np.zeros(FRAME, dtype=np.int16)
        if self.go.is_set():
            part = self.samples[self._at:self._at + FRAME]
            chunk[:len(part)] = part
            self._at += FRAME
            if self._at >= len(self.samples):
                self.played.set()
        frame = AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.pts, frame.sample_rate = self._pts, RATE
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


@pytest.fixture
async def media() -> AsyncIterator[list[ServerMedia]]:
    made: list[ServerMedia] = []
    yield made
    for m in made:
        await m.stop()


async def test_speech_through_the_server_becomes_captions_of_its_speaker(
    api: Api, peers: Callable[[], Peer], server: TestServer, media: list[ServerMedia],
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(7)
    noise = (rng.normal(0, 1500, RATE * 2)).astype(np.int16)  # 2 s of loud hiss first
    gap = np.zeros(RATE, dtype=np.int16)
    parts = [noise, gap]
    for sentence in SENTENCES:
        parts += [spoken(sentence, tmp_path, speed=150), gap]
    script = Script(np.concatenate(parts))

    s = await api.create_session()
    ana, ben = peers(), peers()
    await ana.connect(api.token(s["join_urls"]["mentee"]))
    await ana.join("Ana", audio=True)
    await ben.connect(api.token(s["join_urls"]["mentor"]))
    await ben.join("Ben")
    assert (await ben.call("captions_view", {"on": True}))["ok"]
    ana_media = ServerMedia(ana.call)
    media.append(ana_media)
    ana.sio.on("media_offer", ana_media.offered)
    await ana_media.publish(script, VideoStreamTrack())
    captions, plane = server.app[CAPTIONS], server.app[MEDIA].plane
    key = (s["session_id"], ana.id)
    await eventually(lambda: plane.listening(key), 10, what="the server listening to Ana")
    await eventually(lambda: captions.recogniser.service is not None,  # type: ignore[union-attr]
                     60, what="the speech model loaded")
    script.go.set()

    finals: list[dict[str, Any]] = []
    partials = 0
    while len(finals) < len(SENTENCES):
        caption = await ben.next("caption", timeout=30)
        assert (caption["speaker_id"], caption["speaker_name"], caption["source"]) == (
            ana.id, "Ana", "server")
        if caption["final"]:
            finals.append(caption)
        else:
            partials += 1
    heard = " ".join(c["text"] for c in finals)
    reference = " ".join(SENTENCES)
    error_rate = wer(reference, heard)
    assert error_rate <= 0.15, (heard, error_rate)
    # The hiss before the first sentence made no caption: the first line is that sentence.
    assert wer(SENTENCES[0], finals[0]["text"]) <= 0.15, finals[0]["text"]
    assert all(c["start"] < c["end"] for c in finals)
    # Turning transcription off stops the server listening at once; back on, it listens again.
    assert (await ana.call("captions_transcribe", {"on": False}))["ok"]
    assert not plane.listening(key) and key not in captions.listening
    assert (await ana.call("captions_transcribe", {"on": True}))["ok"]
    assert plane.listening(key)
    # When the recogniser falls behind in a room, that room is told (and only that room).
    captions.on_behind((s["session_id"], "main"), True)
    assert await ben.next("captions_status") == {"room": "main", "behind": True}
