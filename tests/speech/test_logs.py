"""What the speech service writes to the log holds no personal data: a caption callback that
fails is named, not printed. (The server's callback is a bound method of the captions feature,
whose printed form holds the whole server context: client addresses, the TURN credential, the
ids of everyone listened to, some 130 kB a line.)"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from speech import Caption, SpeechConfig, SpeechService
from speech.audio import Int16
from tests.speech.test_backlog import buzz

SECRET = "turn-credential-0451"
ADDRESS = "203.0.113.77"


class Words:
    def recognise(self, audio: Int16) -> str:
        return "my address is twelve quarry lane"


@dataclass
class Feature:
    """Stands for the server's captions feature: its state is printed with it."""

    credential: str = SECRET
    clients: dict[str, int] = field(default_factory=lambda: {ADDRESS: 1})
    failed: int = 0

    def on_caption(self, caption: Caption) -> None:
        self.failed += 1
        raise RuntimeError("the caption could not be handled")

    def on_behind(self, group: object, behind: bool) -> None:
        raise RuntimeError("the status could not be sent")


async def test_a_failing_callback_is_logged_without_its_owners_state(
        caplog: pytest.LogCaptureFixture) -> None:
    feature = Feature()
    svc = SpeechService(SpeechConfig(workers=1, partial_every=0), feature.on_caption,
                        feature.on_behind, recogniser=Words())
    await svc.start()
    try:
        with caplog.at_level(logging.DEBUG):
            svc.open(("session", "participant", 1, "main"), ("session", "main"))
            now = 1000.0
            for frame in buzz(1.0):
                now += 0.02
                svc.feed(("session", "participant", 1, "main"), frame, now)
            svc.end(("session", "participant", 1, "main"))
            await svc.drained()
    finally:
        await svc.close()
    assert feature.failed == 1
    logged = caplog.text
    assert "failed" in logged, logged
    for private in (SECRET, ADDRESS, "quarry lane"):
        assert private not in logged, logged
