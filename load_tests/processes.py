"""What the coordinator reads and sets on a process and its children: CPU time, time spent waiting
for a CPU, resident memory, nice value and CPU affinity."""

from __future__ import annotations

import os
from pathlib import Path

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    try:
        p = psutil.Process(pid)
        return [p] + p.children(recursive=True)
    except psutil.Error:
        return []


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in _tree(pid):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def runq_wait_s(pid: int) -> float:
    """Seconds the main (event-loop) threads of the process tree spent runnable but waiting for
    a CPU (/proc/<pid>/schedstat, second field): other work on the machine shows here."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p.pid}/schedstat") as fh:
                total += int(fh.read().split()[1])
        except (OSError, IndexError, ValueError):
            pass
    return total / 1e9


def rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def hwm_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of the process tree, from /proc."""
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def set_nice(pid: int, nice: int | None) -> None:
    """Renices every thread of a process tree (Linux keeps a nice value per thread)."""
    if nice is None:
        return
    for p in _tree(pid):
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{p.pid}/task")]
        except OSError:
            continue
        for tid in tids:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
            except OSError:
                pass


def set_affinity(pid: int, cpus: set[int] | None) -> None:
    if cpus is None:
        return
    for p in _tree(pid):
        try:
            os.sched_setaffinity(p.pid, cpus)
        except OSError:
            pass
