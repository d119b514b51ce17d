"""What the coordinator reads and sets on a process and its children: CPU time (and where it
goes: event-loop threads or others, user or system), time spent waiting for a CPU, resident
memory, nice value and CPU affinity."""

from __future__ import annotations

import os
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class CpuSplit:
    """CPU seconds of a process tree: its processes' main threads (where the event loops run)
    and all their other threads (Tandem's database writer, Node's libuv pool), each as user and
    system (kernel) time."""

    main_user: float = 0.0
    main_system: float = 0.0
    other_user: float = 0.0
    other_system: float = 0.0

    # Every figure is a whole number of clock ticks (1/100 s): rounded to a microsecond, sums and
    # differences of them lose the floating-point residue that made a server that used no CPU
    # show -5e-16 seconds.
    def __sub__(self, before: CpuSplit) -> CpuSplit:
        return CpuSplit(round(self.main_user - before.main_user, 6),
                        round(self.main_system - before.main_system, 6),
                        round(self.other_user - before.other_user, 6),
                        round(self.other_system - before.other_system, 6))

    @property
    def total(self) -> float:
        return round(self.main_user + self.main_system + self.other_user + self.other_system, 6)


def _user_system_ticks(stat_path: str) -> tuple[int, int]:
    """utime and stime of a /proc stat file (fields 14 and 15, after the command's name)."""
    with open(stat_path) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12])


def cpu_split(pid: int) -> CpuSplit:
    """``CpuSplit`` of the process tree. A process's own stat counts all its threads, including
    those that have ended, so its other threads are that less its main thread's."""
    tick = os.sysconf("SC_CLK_TCK")
    main_user = main_system = other_user = other_system = 0
    for p in _tree(pid):
        try:
            user, system = _user_system_ticks(f"/proc/{p.pid}/stat")
            m_user, m_system = _user_system_ticks(f"/proc/{p.pid}/task/{p.pid}/stat")
        except (OSError, IndexError, ValueError):
            continue
        main_user += m_user
        main_system += m_system
        other_user += user - m_user
        other_system += system - m_system
    return CpuSplit(main_user / tick, main_system / tick, other_user / tick,
                    other_system / tick)


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
