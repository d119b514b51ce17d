"""What the harness reads of a server's CPU (load_tests/processes.py): the split between the
event-loop thread and the others, on this very process, with CPU burnt where the test says."""

from __future__ import annotations

import os
import threading
import time

from load_tests.processes import CpuSplit, cpu_split

BURN_S = 0.3


def _burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU time (thread_time counts only this thread's)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_cpu_of_other_threads_is_told_apart_from_the_main_threads() -> None:
    before = cpu_split(os.getpid())
    worker = threading.Thread(target=_burn, args=(BURN_S,))
    worker.start()
    worker.join()  # an ended thread's time still counts (it is in the process's own figures)
    after_thread = cpu_split(os.getpid())
    _burn(BURN_S)
    after_main = cpu_split(os.getpid())

    by_thread = after_thread - before
    by_main = after_main - after_thread
    # Clock ticks are 10 ms: a little is lost to rounding at each end.
    assert by_thread.other_user + by_thread.other_system >= BURN_S - 0.05
    assert by_main.main_user + by_main.main_system >= BURN_S - 0.05
    assert by_main.total >= BURN_S - 0.05


def test_a_process_that_is_gone_counts_nothing() -> None:
    assert cpu_split(2**22 + 12345) == CpuSplit()


def test_a_server_that_used_no_cpu_counts_no_less_than_nothing() -> None:
    # Two reads a window apart in which one thread's figure went down a tick as another's went
    # up one (reads of a process's and its main thread's stat are not taken at one instant):
    # in plain floating point the total came out at -1.7e-18 seconds.
    before = CpuSplit(0.02, 0.0, 0.02, 0.0)
    after = CpuSplit(0.01, 0.0, 0.03, 0.0)
    assert (0.01 - 0.02) + (0.03 - 0.02) < 0  # what the rounding is there for
    used = after - before
    assert used.total == 0.0
    assert used == CpuSplit(-0.01, 0.0, 0.01, 0.0)
