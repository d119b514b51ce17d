"""The recognition service: 20 ms frames per speaker in, captions out, the event loop never blocked.

Rules of this module:
- ``feed`` runs on the event loop and does only cheap work: resample one frame, ask the VAD,
  move the endpointer; a completed segment is queued for the decode workers.
- Decoding runs in ``workers`` threads of our own (one CTranslate2 replica with one thread
  each); their results come back to the loop with ``call_soon_threadsafe``, and both callbacks
  (``on_caption``, ``on_behind``) run on the loop thread. A callback that raises is logged and
  does not stop the service.
- Partials carry the whole hypothesis in ``text`` and, in ``stable``, the words on which the last
  two passes over the utterance agree. A partial that comes back after its utterance's final is
  dropped. Each utterance has exactly one final, unless its text is empty (nothing is sent).
- Memory per stream is bounded: the open utterance (``max_utterance`` plus preroll at 16 kHz,
  int16), at most ``max_finals`` finals waiting (the oldest is dropped past that), one partial
  waiting and one decode running: ``memory_bound`` bytes in all. Finals waiting are bounded per
  room too (``max_room_finals``, whatever its streams: a stream is one stretch of listening, and
  a room's people can end one and open another at will) and in all (``max_finals_waiting``),
  neither below ``max_finals``; past either the oldest is dropped and its room reported behind
  at once.
- Overload: partials wait while any final waits, and are replaced by newer ones; a room whose
  oldest final has waited ``behind_after`` seconds is reported behind (``on_behind(group,
  True)``), and caught up once none waits. Rooms take turns at the workers.
- ``end`` flushes a stream and forgets it once its last decode is delivered; ``drained`` waits
  until nothing is queued, running or undelivered; ``close`` stops the workers (the running
  decodes finish, queued ones are dropped) and leaves no thread behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audio import FRAME_SAMPLES, IN_FRAME_SAMPLES, RATE, Downsampler, Int16
from .endpoint import Endpointer, EndpointRules, Segment
from .model import SpeechUnavailable, load_model, model_folder
from .recogniser import Filters, Recogniser, StockRecogniser, WhisperRecogniser
from .scheduler import Job, Scheduler

logger = logging.getLogger(__name__)

CHECK_EVERY = 0.1


@dataclass(frozen=True, slots=True)
class SpeechConfig:
    """Settings of the recogniser; the defaults are the measured ones (load_tests/README.md)."""

    model_folder: Path | None = None
    workers: int = 2
    max_utterance: float = 8.0
    hangover: float = 0.3
    min_speech: float = 0.25
    partial_every: float = 1.0
    language: str = "en"
    vad_mode: int = 2
    energy_floor: float = 100.0
    padding: float = 1.0
    full_window: bool = False
    max_finals: int = 3
    max_room_finals: int = 12
    max_finals_waiting: int = 64
    behind_after: float = 2.0
    filters: Filters = field(default_factory=Filters)

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 8:
            raise ValueError(f"workers must be 1 to 8, got {self.workers}")
        if not 0 <= self.vad_mode <= 3:
            raise ValueError(f"vad_mode must be 0 to 3, got {self.vad_mode}")
        if self.max_finals < 1:
            raise ValueError(f"max_finals must be at least 1, got {self.max_finals}")
        if self.max_room_finals < 1 or self.max_finals_waiting < 1:
            raise ValueError("max_room_finals and max_finals_waiting must be at least 1, got "
                             f"{self.max_room_finals} and {self.max_finals_waiting}")
        self.rules()

    def rules(self) -> EndpointRules:
        return EndpointRules(hangover=self.hangover, min_speech=self.min_speech,
                             max_utterance=self.max_utterance, partial_every=self.partial_every)

    @property
    def memory_bound(self) -> int:
        """Bytes of audio one stream may hold at most: the open utterance, ``max_finals``
        waiting finals, one waiting partial and one running decode."""
        return self.rules().max_samples * 2 * (3 + self.max_finals)


@dataclass(frozen=True, slots=True)
class Caption:
    """One caption of one utterance: partials (``final`` false) replace each other, the final
    replaces them. ``start``/``end`` are on the clock of ``feed``'s ``now``; ``stable`` is the
    start of a partial's text that the last two passes agreed on (the whole text of a final)."""

    stream: Hashable
    utterance: int
    text: str
    final: bool
    start: float
    end: float
    stable: str = ""


class _Vad:
    """webrtcvad for one stream (it adapts to the stream's noise), behind an energy floor."""

    def __init__(self, mode: int, energy_floor: float) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(mode)
        self._floor = energy_floor

    def __call__(self, frame: Int16) -> bool:
        if float((frame.astype("float32") ** 2).mean()) < self._floor ** 2:
            return False
        return bool(self._vad.is_speech(frame.tobytes(), RATE))


@dataclass(slots=True)
class _Stream:
    group: Hashable
    endpointer: Endpointer
    downsample: Downsampler
    vad: _Vad
    ended: bool = False
    outstanding: int = 0
    finalised: int = 0
    last_partial: list[str] = field(default_factory=list)


class SpeechService:
    """Captions for many streams (speakers), grouped by room; see the module's rules."""

    def __init__(self, cfg: SpeechConfig, on_caption: Callable[[Caption], None],
                 on_behind: Callable[[Hashable, bool], None], *,
                 recogniser: Recogniser | None = None) -> None:
        self.cfg = cfg
        self._on_caption = on_caption
        self._on_behind = on_behind
        self._recogniser = recogniser
        self._scheduler = Scheduler(cfg.max_finals, cfg.behind_after, self._report_behind,
                                    partial_slots=max(1, cfg.workers - 1),
                                    max_group_finals=cfg.max_room_finals,
                                    max_waiting=cfg.max_finals_waiting)
        self._watch: asyncio.Task[None] | None = None
        self._streams: dict[Hashable, _Stream] = {}
        self._threads: list[threading.Thread] = []
        self._exits: list[asyncio.Future[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outstanding = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    async def start(self) -> None:
        """Load the model (once per process, in a thread) and start the decode workers."""
        if self._loop is not None:
            raise RuntimeError("the speech service is already started")
        loop = asyncio.get_running_loop()
        _Vad(self.cfg.vad_mode, self.cfg.energy_floor)  # fails here, not at the first frame
        self._loop = loop
        if self._recogniser is None:
            try:
                self._recogniser = await self._in_thread(self._load)
            except BaseException:
                self._loop = None
                raise
        for n in range(self.cfg.workers):
            exit_ = loop.create_future()
            thread = threading.Thread(target=self._work, args=(exit_,),
                                      name=f"speech-decode-{n}", daemon=True)
            self._exits.append(exit_)
            self._threads.append(thread)
            thread.start()
        self._watch = loop.create_task(self._watch_behind(), name="speech-behind")

    def open(self, stream: Hashable, group: Hashable) -> None:
        """Start listening to ``stream`` (a speaker); ``group`` is its room."""
        if stream in self._streams and not self._streams[stream].ended:
            raise ValueError(f"speech stream {stream!r} is already open")
        self._streams[stream] = _Stream(group, Endpointer(self.cfg.rules()), Downsampler(),
                                        _Vad(self.cfg.vad_mode, self.cfg.energy_floor))

    def feed(self, stream: Hashable, pcm: bytes, now: float) -> None:
        """One 20 ms frame (960 samples of s16le mono 48 kHz); frames of no open stream are
        ignored."""
        state = self._streams.get(stream)
        if state is None or state.ended or self._loop is None or self._closed:
            return
        if len(pcm) != IN_FRAME_SAMPLES * 2:
            raise ValueError(f"a frame is {IN_FRAME_SAMPLES * 2} bytes, got {len(pcm)}")
        frame = state.downsample(pcm)
        assert len(frame) == FRAME_SAMPLES
        for segment in state.endpointer.push(frame, state.vad(frame), now):
            self._queue(stream, state, segment)

    def end(self, stream: Hashable) -> None:
        """The stream stops: its open utterance becomes a final, then the stream is forgotten."""
        state = self._streams.get(stream)
        if state is None or state.ended:
            return
        state.ended = True
        segment = state.endpointer.flush()
        if segment is not None and not self._closed:
            self._queue(stream, state, segment)
        self._forget_if_done(stream, state)

    async def drained(self) -> None:
        """Return once every queued decode has run and its caption has been delivered."""
        await self._idle.wait()

    def waiting(self) -> int:
        """Decodes waiting for a worker, every stream together (finals at most
        ``SpeechConfig.max_finals_waiting``, partials one per open stream)."""
        return self._scheduler.waiting()

    def buffered_bytes(self, stream: Hashable) -> int:
        """Audio bytes the stream holds: open utterance, waiting and running decodes (at most
        ``SpeechConfig.memory_bound``)."""
        state = self._streams.get(stream)
        held = self._scheduler.held_samples(stream)
        return 2 * (held + (0 if state is None else state.endpointer.buffered_samples))

    async def close(self) -> None:
        """Stop the workers (running decodes finish, waiting ones are dropped, no caption is
        delivered after this returns) and forget every stream."""
        if self._closed:
            return
        self._closed = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for job in self._scheduler.stop():
            self._settle(job)
        if self._exits:
            await asyncio.gather(*self._exits)
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self._streams.clear()

    async def _watch_behind(self) -> None:
        # Workers check at every decode; this catches a room whose finals wait while every
        # worker is busy on a long decode.
        while True:
            await asyncio.sleep(CHECK_EVERY)
            if self._outstanding:
                self._scheduler.check(time.monotonic())

    def _load(self) -> Recogniser:
        folder = model_folder(self.cfg.model_folder)
        model = load_model(folder, workers=self.cfg.workers, cpu_threads=1)
        if self.cfg.full_window:
            return StockRecogniser(model, self.cfg.language, self.cfg.filters)
        return WhisperRecogniser(model, self.cfg.language, self.cfg.padding,
                                 filters=self.cfg.filters)

    async def _in_thread(self, fn: Callable[[], Recogniser]) -> Recogniser:
        assert self._loop is not None
        loop = self._loop
        done: asyncio.Future[Recogniser] = loop.create_future()

        def run() -> None:
            try:
                value = fn()
            except BaseException as exc:  # handed to the awaiting task
                loop.call_soon_threadsafe(_settle_future, done, None, exc)
            else:
                loop.call_soon_threadsafe(_settle_future, done, value, None)

        thread = threading.Thread(target=run, name="speech-load", daemon=True)
        thread.start()
        try:
            return await done
        finally:
            thread.join()

    def _queue(self, stream: Hashable, state: _Stream, segment: Segment) -> None:
        job = Job(stream, state.group, segment, time.monotonic(), owner=state)
        self._outstanding += 1
        state.outstanding += 1
        self._idle.clear()
        for old in self._scheduler.put(job):
            self._settle(old)

    def _work(self, exit_: asyncio.Future[None]) -> None:
        loop = self._loop
        recogniser = self._recogniser
        assert loop is not None and recogniser is not None
        try:
            while not self._closed:
                job = self._scheduler.take(time.monotonic(), timeout=CHECK_EVERY)
                if job is None:
                    continue
                text = ""
                try:
                    text = recogniser.recognise(job.segment.audio)
                except Exception:
                    logger.exception("speech decode failed for stream %s", job.stream)
                loop.call_soon_threadsafe(self._deliver, job, text)
        finally:
            loop.call_soon_threadsafe(_settle_future, exit_, None, None)

    def _report_behind(self, group: Hashable, behind: bool) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._call, self._on_behind, group, behind)

    def _deliver(self, job: Job, text: str) -> None:
        # The decode ends here, on the loop, not in its worker: the stream's next decode starts
        # only once this one's caption is out (captions keep their order), and ``drained``
        # never returns while the scheduler still counts the decode's audio as held.
        self._scheduler.done(job, time.monotonic())
        state = job.owner
        segment = job.segment
        if isinstance(state, _Stream) and not self._closed:
            if segment.final:
                state.finalised = max(state.finalised, segment.utterance)
                state.last_partial = []
                if text:
                    self._call(self._on_caption, Caption(job.stream, segment.utterance, text, True,
                                                         segment.start, segment.end, text))
            elif text and segment.utterance > state.finalised:
                words = text.split()
                stable = _common_prefix(state.last_partial, words)
                state.last_partial = words
                self._call(self._on_caption, Caption(job.stream, segment.utterance, text, False,
                                                     segment.start, segment.end,
                                                     " ".join(stable)))
        self._settle(job)

    def _settle(self, job: Job) -> None:
        self._outstanding -= 1
        state = job.owner
        if isinstance(state, _Stream):
            state.outstanding -= 1
            self._forget_if_done(job.stream, state)
        if self._outstanding == 0:
            self._idle.set()

    def _forget_if_done(self, stream: Hashable, state: _Stream) -> None:
        if state.ended and state.outstanding == 0 and self._streams.get(stream) is state:
            del self._streams[stream]

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        try:
            callback(*args)
        except Exception:
            # Named, not printed: a bound method prints its owner, and the server's owner holds
            # client addresses, credentials and ids.
            logger.exception("speech callback %s failed",
                             getattr(callback, "__qualname__", type(callback).__qualname__))


def _common_prefix(a: list[str], b: list[str]) -> list[str]:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x.strip(".,!?;:").lower() != y.strip(".,!?;:").lower():
            break
        n += 1
    return b[:n]


def _settle_future(fut: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(value)


__all__ = ["Caption", "SpeechConfig", "SpeechService", "SpeechUnavailable"]
