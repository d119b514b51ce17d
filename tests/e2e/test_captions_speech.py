"""Speech recognised by the server, in real Chromium: one page's microphone is a WAV file of
espeak-ng speech; another page turns captions on, which takes the pair through the server, and
shows the recognised caption under the speaker's name."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import GRANT_ARGS, chromium
from tandem_pages import close_page, join, participant_id

from load_tests.speech_audio import have_espeak, spoken, wer

if not have_espeak():
    pytest.skip("espeak-ng is not installed (Debian package espeak-ng)", allow_module_level=True)
pytest.importorskip("speech", reason="the speech package (faster-whisper) is missing")

SENTENCE = "We will plan your first research project together."
RATE = 48_000


def speech_wav(folder: Path) -> Path:
    """The sentence, then 1.5 s of silence, as 16-bit 48 kHz mono (Chromium loops the file)."""
    speech = spoken(SENTENCE, folder, speed=150)
    out = folder / "speech.wav"
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.concatenate([speech, np.zeros(RATE * 3 // 2, np.int16)]).tobytes())
    return out


async def test_the_server_captions_a_speaker_under_their_name_on_the_other_page(
    browser: Any, playwright_instance: Any, tandem_server: Any, tmp_path: Path
) -> None:
    wav = speech_wav(tmp_path)
    session = tandem_server.create_session(title="Spoken", captions="live")
    async with chromium(playwright_instance,
                        [*GRANT_ARGS, f"--use-file-for-fake-audio-capture={wav}"]) as talking:
        speaker = await join(talking, session["join_urls"]["mentee"], "Mia")
        listener = await join(browser, session["join_urls"]["mentor"], "Ana")
        try:
            mia = await participant_id(speaker)
            await listener.locator("#ctl-captions").click()
            # Every final caption of Mia's that the listener's page shows. The server starts
            # hearing her wherever the looping file is when her room moves to the server, so the
            # first utterance may be cut (and come out as other words); a whole one follows.
            lines: list[dict[str, Any]] = []
            deadline = asyncio.get_running_loop().time() + 45
            while asyncio.get_running_loop().time() < deadline:
                lines = await listener.evaluate(
                    "(id) => window.tandemTestHooks.captions"
                    ".filter((l) => l.speaker_id === id && l.final)", mia)
                if any(wer(SENTENCE, line["text"]) <= 0.2 for line in lines):
                    break
                await asyncio.sleep(0.25)
            assert lines and all(line["name"] == "Mia" and line["source"] == "server"
                                 for line in lines)
            best = min(wer(SENTENCE, line["text"]) for line in lines)
            assert best <= 0.2, [line["text"] for line in lines]
        finally:
            await close_page(listener)
            await close_page(speaker)
