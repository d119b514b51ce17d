"""Captions benchmark: end of speech to final caption, partials, accuracy and CPU of the speech
service, for several speakers talking at once, beside the stock faster-whisper settings.

    python -m load_tests.captions_latency [--speakers 1,2,4,6] [--sentences 6]
                                          [--configs tandem,stock] [--json out.json]

Every speaker is its own stream in its own room and says ``--sentences`` espeak-ng sentences
(load_tests/speech_audio.py), each after 0.4 to 1.4 s of silence and followed by 1.2 s of it,
fed in real time as 20 ms frames of s16le mono 48 kHz on the benchmark's event loop (each frame
at its own deadline, as the media plane's tap would hand them over). The service runs in this
process, so the CPU figure is this process's (service, feeders and callbacks) over the run, as a
share of all cores; "waited for CPU" is the time its threads spent in the run queue over the
run's wall time (other work on a shared machine shows there; ``nice -n -10`` shields a run).

- **final latency**: the arrival of an utterance's final caption minus the time its last spoken
  frame was fed (the end of the sentence's audible part, not of its trailing silence);
- **first partial**: the arrival of an utterance's first partial minus its first spoken frame;
- **WER**: word error rate of the finals of each sentence joined, over all sentences;
- **max speakers**: the largest speaker count whose p95 final latency stays within 1.0 s.

Configurations: ``tandem`` is ``SpeechConfig()`` (the defaults); ``stock`` is faster-whisper's
own ``transcribe`` (the 30 s window) behind the same endpointing with a 0.8 s hangover and no
partials: the reference the gain is measured against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Hashable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from load_tests.speech_audio import LONG, MORE, SENTENCES, corpus_wer, have_espeak, silence, speak
from load_tests.stats import percentile
from speech import Caption, SpeechConfig, SpeechService

CONFIGS = {
    "tandem": SpeechConfig(),
    "stock": SpeechConfig(hangover=0.8, partial_every=0, full_window=True),
}
CORPUS = (*SENTENCES, *MORE, LONG)
QUIET = 300


@dataclass
class Said:
    speaker: int
    text: str
    start: float
    end: float
    finals: list[tuple[float, Caption]] = field(default_factory=list)
    first_partial: float | None = None


@dataclass
class Figures:
    config: str
    speakers: int
    sentences: int
    finals_p50: float
    finals_p95: float
    finals_max: float
    first_partial_p50: float
    wer: float
    cpu_percent: float
    rss_mb: float
    missed: int
    behind_reports: int
    cpu_wait_percent: float


def audible(frames: list[bytes]) -> tuple[int, int]:
    """Index of the first and last frame louder than the quiet threshold."""
    loud = [i for i, f in enumerate(frames) if np.abs(np.frombuffer(f, "<i2")).max() > QUIET]
    return loud[0], loud[-1]


def cpu_wait() -> float:
    """Seconds this process's live threads have waited for a CPU (run queue, /proc schedstat)."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(config: str, speakers: int, sentences: int, voices: Path, seed: int) -> Figures:
    loop = asyncio.get_running_loop()
    said: list[Said] = []
    behind: list[tuple[Hashable, bool]] = []
    open_by_stream: dict[int, list[Said]] = {}

    def on_caption(caption: Caption) -> None:
        arrived = loop.time()
        assert isinstance(caption.stream, int)
        for item in open_by_stream[caption.stream]:
            if caption.start <= item.end + 0.5 and caption.end >= item.start - 0.3:
                if caption.final:
                    item.finals.append((arrived, caption))
                elif item.first_partial is None:
                    item.first_partial = arrived

    svc = SpeechService(CONFIGS[config], on_caption, lambda g, b: behind.append((g, b)))
    await svc.start()
    wait0 = cpu_wait()
    rng = random.Random(seed)

    async def speaker(n: int) -> None:
        svc.open(n, f"room-{n}")
        open_by_stream[n] = []
        frames: list[bytes] = []
        marks: list[tuple[str, int, int]] = []
        for k in range(sentences):
            text = CORPUS[(n * 3 + k) % len(CORPUS)]
            spoken = speak(text, voices)
            first, last = audible(spoken)
            frames += silence(rng.uniform(0.4, 1.4))
            marks.append((text, len(frames) + first, len(frames) + last))
            frames += spoken + silence(1.2)
        starts = {m[1]: m for m in marks}
        ends = {m[2]: m for m in marks}
        t0 = loop.time()
        current: Said | None = None
        for i, frame in enumerate(frames):
            deadline = t0 + (i + 1) * 0.02
            delay = deadline - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            now = loop.time()
            if i in starts:
                current = Said(n, starts[i][0], now, now)
                said.append(current)
                open_by_stream[n].append(current)
            svc.feed(n, frame, now)
            if i in ends and current is not None:
                current.end = now
        svc.end(n)

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(speaker(n) for n in range(speakers)))
    await svc.drained()
    wall = time.perf_counter() - wall0
    cpu = (time.process_time() - cpu0) / wall / (os.cpu_count() or 1)
    waited = (cpu_wait() - wait0) / wall
    memory = rss_mb()
    await svc.close()

    latencies = [max(t for t, _ in s.finals) - s.end for s in said if s.finals]
    partials = [s.first_partial - s.start for s in said if s.first_partial is not None]
    pairs = [(s.text, " ".join(c.text for _, c in sorted(s.finals, key=lambda f: f[1].start)))
             for s in said]
    return Figures(
        config, speakers, len(said), percentile(latencies, 50), percentile(latencies, 95),
        max(latencies, default=float("nan")), percentile(partials, 50), corpus_wer(pairs),
        100 * cpu, memory, sum(1 for s in said if not s.finals),
        sum(1 for _, b in behind if b), 100 * waited,
    )


def show(f: Figures) -> None:
    print(f"{f.config:7} {f.speakers:2} speakers {f.sentences:3} sentences | final p50 "
          f"{f.finals_p50:5.2f} s p95 {f.finals_p95:5.2f} s max {f.finals_max:5.2f} s | first "
          f"partial p50 {f.first_partial_p50:5.2f} s | WER {100 * f.wer:4.1f}% | CPU "
          f"{f.cpu_percent:3.0f}% | RSS {f.rss_mb:4.0f} MB | missed {f.missed} | "
          f"behind {f.behind_reports} | waited for CPU {f.cpu_wait_percent:3.0f}%", flush=True)


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speakers", default="1,2,4,6")
    parser.add_argument("--sentences", type=int, default=6)
    parser.add_argument("--configs", default="tandem,stock")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not have_espeak():
        print("espeak-ng is not installed (apt-get install espeak-ng)", file=sys.stderr)
        return 2
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()}", flush=True)
    results: list[Figures] = []
    with tempfile.TemporaryDirectory() as tmp:
        for config in args.configs.split(","):
            for speakers in (int(s) for s in args.speakers.split(",")):
                figures = await run(config, speakers, args.sentences, Path(tmp), args.seed)
                show(figures)
                results.append(figures)
    for config in args.configs.split(","):
        within = [f.speakers for f in results if f.config == config and f.finals_p95 <= 1.0
                  and f.missed == 0]
        print(f"{config}: max speakers with p95 final latency <= 1.0 s: {max(within, default=0)}")
    print(f"load average at the end {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
