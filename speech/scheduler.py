"""Which decode runs next: finals before partials, rooms in turn, bounded queues.

Rules of this module:
- Finals wait in one queue per group (a room); the workers take groups in turn (round robin),
  so one busy room cannot starve another.
- Partials run only when no final waits, and never on every worker at once (at most
  ``partial_slots`` run together), so that a final arriving finds a worker free. A stream has at
  most one partial waiting: a newer one replaces it, and a final of the stream removes it.
- A stream has at most one decode running, so its captions come out in order.
- A stream keeps at most ``max_finals`` finals waiting; past that the oldest is dropped (its
  audio is what bounds memory when decoding cannot keep up). A group keeps at most
  ``max_group_finals`` whatever its streams (a new stream per stretch of listening must not
  escape the bound), and all groups together at most ``max_waiting``: past either, the oldest
  final of that group (of the group with most waiting, for the second) is dropped. A group that
  lost a final so is reported behind at once.
- A group is behind when its oldest final has waited longer than ``behind_after`` seconds; it
  is caught up when it has no final waiting. Every change is reported once, through ``report``,
  called under the lock so that reports from several threads keep their order.
- Thread safe: the event loop puts, the workers take. Time is passed in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from .endpoint import Segment


@dataclass(slots=True)
class Job:
    stream: Hashable
    group: Hashable
    segment: Segment
    queued: float
    owner: object = None


def _ignore(group: Hashable, behind: bool) -> None:
    pass


class Scheduler:
    def __init__(self, max_finals: int = 3, behind_after: float = 2.0,
                 report: Callable[[Hashable, bool], None] = _ignore,
                 partial_slots: int = 1, max_group_finals: int = 12,
                 max_waiting: int = 64) -> None:
        self.max_finals = max_finals
        # Neither below the bound of one stream: a room of one speaker keeps what they may.
        self.max_group_finals = max(max_group_finals, max_finals)
        self.max_waiting = max(max_waiting, self.max_group_finals)
        self.partial_slots = partial_slots
        self.behind_after = behind_after
        self._report = report
        self._cond = threading.Condition()
        self._finals: OrderedDict[Hashable, deque[Job]] = OrderedDict()
        self._partials: OrderedDict[Hashable, Job] = OrderedDict()
        self._running: dict[Hashable, Job] = {}
        self._behind: set[Hashable] = set()
        self._final_count = 0
        self._stopping = False

    def put(self, job: Job) -> list[Job]:
        """Queue ``job``; return the jobs it displaced (never run)."""
        dropped: list[Job] = []
        with self._cond:
            if job.segment.final:
                old = self._partials.pop(job.stream, None)
                if old is not None:
                    dropped.append(old)
                queue = self._finals.setdefault(job.group, deque())
                mine = [j for j in queue if j.stream == job.stream]
                if len(mine) >= self.max_finals:
                    queue.remove(mine[0])
                    dropped.append(mine[0])
                elif len(queue) >= self.max_group_finals:
                    dropped.append(queue.popleft())
                elif self._final_count >= self.max_waiting:
                    dropped.append(self._drop_from_fullest())
                else:
                    self._final_count += 1
                self._finals.setdefault(job.group, queue).append(job)
                for lost in dropped:
                    if lost.segment.final and lost.group not in self._behind:
                        self._behind.add(lost.group)
                        self._report(lost.group, True)
            else:
                old = self._partials.pop(job.stream, None)
                if old is not None:
                    dropped.append(old)
                self._partials[job.stream] = job
            self._cond.notify()
        return dropped

    def _drop_from_fullest(self) -> Job:
        # The group with most finals waiting (the oldest head among equals) loses its oldest.
        group = max((g for g, q in self._finals.items() if q),
                    key=lambda g: (len(self._finals[g]), -self._finals[g][0].queued))
        queue = self._finals[group]
        lost = queue.popleft()
        if not queue:
            del self._finals[group]
        return lost

    def take(self, now: float, timeout: float) -> Job | None:
        """Block until a job is runnable (or ``timeout``); the job's stream is then running."""
        with self._cond:
            self._check(now)
            job = self._pick()
            if job is None and not self._stopping:
                self._cond.wait(timeout)
                job = self._pick()
            if job is not None:
                self._running[job.stream] = job
            return job

    def done(self, job: Job, now: float) -> None:
        with self._cond:
            self._running.pop(job.stream, None)
            self._cond.notify_all()
            self._check(now)

    def check(self, now: float) -> None:
        """Report the groups that fell behind or caught up by ``now``."""
        with self._cond:
            self._check(now)

    def held_samples(self, stream: Hashable) -> int:
        """Samples of audio the stream's waiting and running decodes hold."""
        with self._cond:
            jobs = [j for q in self._finals.values() for j in q if j.stream == stream]
            jobs += [j for j in (self._partials.get(stream), self._running.get(stream)) if j]
            return sum(len(j.segment.audio) for j in jobs)

    def stop(self) -> list[Job]:
        with self._cond:
            self._stopping = True
            left = [j for q in self._finals.values() for j in q] + list(self._partials.values())
            self._finals.clear()
            self._final_count = 0
            self._partials.clear()
            self._cond.notify_all()
            return left

    def waiting(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._finals.values()) + len(self._partials)

    def _pick(self) -> Job | None:
        if self._stopping:
            return None
        for group in list(self._finals):
            queue = self._finals[group]
            for job in queue:
                if job.stream not in self._running:
                    queue.remove(job)
                    self._final_count -= 1
                    if not queue:
                        del self._finals[group]
                    else:
                        self._finals.move_to_end(group)
                    return job
        if self._finals:
            return None
        if sum(not j.segment.final for j in self._running.values()) >= self.partial_slots:
            return None
        for stream, job in list(self._partials.items()):
            if stream not in self._running:
                del self._partials[stream]
                return job
        return None

    def _check(self, now: float) -> None:
        for group, queue in self._finals.items():
            if group not in self._behind and now - queue[0].queued > self.behind_after:
                self._behind.add(group)
                self._report(group, True)
        for group in list(self._behind):
            if group not in self._finals:
                self._behind.discard(group)
                self._report(group, False)
