"""The decode queue: finals first, groups in turn, bounded, behind reported once."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from speech.endpoint import Segment
from speech.scheduler import Job, Scheduler


def job(stream: Hashable, group: Hashable, final: bool = True, utterance: int = 1,
        queued: float = 0.0) -> Job:
    return Job(stream, group, Segment(utterance, np.zeros(10, np.int16), 0, 1, final), queued)


def order(s: Scheduler, n: int) -> list[Job]:
    taken = []
    for _ in range(n):
        job = s.take(0.0, timeout=0)
        assert job is not None
        taken.append(job)
        s.done(job, 0.0)
    return taken


def test_groups_take_turns() -> None:
    s = Scheduler()
    for i in range(3):
        s.put(job(f"a{i}", "A"))
    s.put(job("b0", "B"))
    s.put(job("b1", "B"))
    assert [j.group for j in order(s, 5)] == ["A", "B", "A", "B", "A"]


def test_finals_before_partials_and_one_partial_per_stream() -> None:
    s = Scheduler()
    first = job("a", "A", final=False, utterance=1)
    assert s.put(first) == []
    newer = job("a", "A", final=False, utterance=1)
    assert s.put(newer) == [first]
    s.put(job("b", "B", final=False))
    s.put(job("c", "C", final=True))
    taken = order(s, 3)
    assert [(j.stream, j.segment.final) for j in taken] == [("c", True), ("a", False),
                                                           ("b", False)]
    assert taken[1] is newer


def test_a_final_removes_its_streams_pending_partial() -> None:
    s = Scheduler()
    partial = job("a", "A", final=False)
    assert s.put(job("a", "A", final=True)) == [] and s.put(partial) == []
    assert s.put(job("a", "A", final=True, utterance=2)) == [partial]


def test_one_decode_at_a_time_per_stream() -> None:
    s = Scheduler()
    s.put(job("a", "A", utterance=1))
    s.put(job("a", "A", utterance=2))
    first = s.take(0.0, timeout=0)
    assert first is not None and first.segment.utterance == 1
    assert s.take(0.0, timeout=0) is None
    s.done(first, 0.0)
    second = s.take(0.0, timeout=0)
    assert second is not None and second.segment.utterance == 2


def test_finals_per_stream_are_bounded_oldest_dropped() -> None:
    s = Scheduler(max_finals=2)
    jobs = [job("a", "A", utterance=u) for u in (1, 2, 3)]
    assert s.put(jobs[0]) == [] and s.put(jobs[1]) == []
    assert s.put(jobs[2]) == [jobs[0]]
    assert s.waiting() == 2
    assert s.held_samples("a") == 20


def test_behind_is_reported_once_and_cleared_when_caught_up() -> None:
    reports: list[tuple[Hashable, bool]] = []
    s = Scheduler(behind_after=2.0, report=lambda group, late: reports.append((group, late)))
    s.put(job("a", "A", queued=0.0))
    s.put(job("b", "B", queued=2.5))
    first = s.take(1.0, timeout=0)
    assert first is not None and first.group == "A"
    s.done(first, 3.0)
    assert reports == []
    s.check(4.6)
    assert reports == [("B", True)]
    second = s.take(4.7, timeout=0)
    assert second is not None
    s.done(second, 5.0)
    s.check(6.0)
    assert reports == [("B", True), ("B", False)]


def test_stop_returns_what_was_waiting_and_wakes_takers() -> None:
    s = Scheduler()
    waiting = job("a", "A")
    s.put(waiting)
    assert s.stop() == [waiting]
    assert s.take(0.0, timeout=5) is None
