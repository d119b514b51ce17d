"""Fixtures of the speech tests: a service driven by a simulated clock, recording what it says."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass, field

import pytest

from speech import Caption, SpeechConfig, SpeechService
from speech.recogniser import Recogniser


@dataclass
class Recorder:
    """Everything the service reported, with the thread each callback ran on."""

    captions: list[Caption] = field(default_factory=list)
    behind: list[tuple[Hashable, bool]] = field(default_factory=list)
    threads: set[int] = field(default_factory=set)

    def caption(self, caption: Caption) -> None:
        self.threads.add(threading.get_ident())
        self.captions.append(caption)

    def behind_changed(self, group: Hashable, behind: bool) -> None:
        self.threads.add(threading.get_ident())
        self.behind.append((group, behind))

    def any_behind(self) -> bool:
        return bool(self.behind)

    def finals(self, stream: Hashable | None = None) -> list[Caption]:
        return [c for c in self.captions if c.final and stream in (None, c.stream)]


@dataclass
class Feeder:
    """Feeds frames to streams on one simulated clock (20 ms a frame, faster than real time)."""

    svc: SpeechService
    now: float = 1_000.0

    async def feed(self, stream: Hashable, frames: list[bytes]) -> None:
        await self.feed_together({stream: frames})

    async def feed_together(self, streams: dict[Hashable, list[bytes]]) -> None:
        longest = max(len(f) for f in streams.values())
        for i in range(longest):
            self.now += 0.02
            for stream, frames in streams.items():
                if i < len(frames):
                    self.svc.feed(stream, frames[i], self.now)
            if i % 25 == 0:
                await asyncio.sleep(0)


@dataclass
class Running:
    svc: SpeechService
    seen: Recorder
    clock: Feeder


async def running(cfg: SpeechConfig, recogniser: Recogniser | None = None,
                  release: threading.Event | None = None) -> AsyncIterator[Running]:
    """A started service; closed at the end (after setting ``release``, which a gated fake
    recogniser waits on, so that a failed test cannot leave a worker blocked)."""
    seen = Recorder()
    svc = SpeechService(cfg, seen.caption, seen.behind_changed, recogniser=recogniser)
    await svc.start()
    try:
        yield Running(svc, seen, Feeder(svc))
    finally:
        if release is not None:
            release.set()
        await svc.close()


@pytest.fixture
def threads_before() -> set[threading.Thread]:
    return set(threading.enumerate())
