"""``--profile DIR``: py-spy samples the (Python) server over a run's measured window, and the
collapsed stacks are summed up by function."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from .targets import Target, python_exe

if TYPE_CHECKING:
    from .results import RunResult
    from .scenarios import Scenario


def start_profiler(
    profile_dir: str | None, target: Target, sc: Scenario, res: RunResult
) -> subprocess.Popen[bytes] | None:
    """py-spy samples the (Python) server over the measured window (``--profile DIR``)."""
    if not profile_dir or target.name == "reference":
        return None
    spy = shutil.which("py-spy") or str(Path(python_exe()).with_name("py-spy"))
    if not Path(spy).exists():
        res.notes.append("--profile needs py-spy (pip install py-spy)")
        return None
    Path(profile_dir).mkdir(parents=True, exist_ok=True)
    base = Path(profile_dir) / f"{target.name}-{sc.kind}-{sc.clients}c"
    res.extra["profile"] = [str(base) + ".svg", str(base) + ".txt"]
    # --gil: only the thread holding the GIL is sampled, so that the profile shows what keeps
    # the event loop busy rather than threads waiting in I/O (the ledger's commits).
    cmd = [spy, "record", "--pid", str(target.pid), "--rate", "200", "--nonblocking", "--gil"]
    cmd += ["--duration", str(max(1, int(sc.duration)))]
    # flame graph for people, collapsed stacks for a summary by function
    return subprocess.Popen(
        cmd + ["--format", "raw", "--output", str(base) + ".txt"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def finish_profiler(spy: subprocess.Popen[bytes], res: RunResult) -> None:
    try:
        spy.wait(30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(5)
    txt = Path(res.extra["profile"][1])
    if not txt.exists():
        res.notes.append("py-spy produced no profile")
        return
    res.extra["profile_top"] = summarize_collapsed(txt.read_text())
    res.extra["profile"] = [str(txt)]


INTERESTING = ("server/", "rooms/", "media/", "socketio/", "engineio/", "aiohttp/", "bare_relay")


def summarize_collapsed(text: str, top: int = 12) -> dict[str, list[tuple[str, float]]]:
    """From py-spy's collapsed stacks: the functions with most samples on top of the stack
    ("self"), and the server's and its libraries' functions with most samples in or below them
    ("inclusive"), each as (function, % of samples)."""
    total = 0
    incl: dict[str, int] = {}
    self_: dict[str, int] = {}
    for line in text.splitlines():
        stack, _, n = line.rpartition(" ")
        try:
            count = int(n)
        except ValueError:
            continue
        total += count
        frames = stack.split(";")
        for f in set(frames):
            incl[f] = incl.get(f, 0) + count
        self_[frames[-1]] = self_.get(frames[-1], 0) + count
    if not total:
        return {"self": [], "inclusive": []}
    cli = ("server/__main__", "server/cli.py", "aiohttp/web.py")
    inclusive = [
        (f, 100 * n / total)
        for f, n in sorted(incl.items(), key=lambda kv: -kv[1])
        if any(k in f for k in INTERESTING) and not any(k in f for k in cli)
    ]
    selfs = [(f, 100 * n / total) for f, n in sorted(self_.items(), key=lambda kv: -kv[1])]
    return {"self": selfs[:top], "inclusive": inclusive[:top], "samples": total}  # type: ignore[dict-item]


