"""Coordinator: starts a target server, spreads the clients over worker processes, runs one
scenario, and turns the workers' counts into the figures of one run.

One run, step by step (``run_once``): start a fresh server of the target, pinned to core 0 (the
generator gets the other cores); provision a room (a Tandem session) per room of the plan; start
the workers and hand each its share of the clients; when every worker is ready, tell them all to
go at one wall-clock instant; measure the server's and the generator's CPU, memory and CPU wait
over the measured window; collect the workers' counts; close the workers and stop the server.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from clients.server import REPO

from .messages import (
    ClientPlan,
    Close,
    Closed,
    Done,
    Go,
    Message,
    MessageT,
    Ready,
    WorkerSpec,
    decode_as,
    encode,
)
from .processes import (
    CpuSplit,
    cpu_seconds,
    cpu_split,
    hwm_mb,
    rss_mb,
    runq_wait_s,
    set_affinity,
    set_nice,
)
from .profiling import finish_profiler, start_profiler, summarize_collapsed
from .results import GEN_SATURATION_CPU, RunResult, aggregate
from .scenarios import (
    MAX_CHAT_RATE_PER_CONN,
    PRESETS,
    Scenario,
    make_scenario,
    offered,
    per_sender_rate,
    plan_clients,
)
from .targets import TARGETS, Target, python_exe

__all__ = [
    "GEN_SATURATION_CPU", "MAX_CHAT_RATE_PER_CONN", "PRESETS", "RunResult", "Scenario",
    "make_scenario", "offered", "per_sender_rate", "plan_clients", "run_once", "run_sync",
    "summarize_collapsed",
]


class WorkerProc:
    """One load-generator process, spoken to in ``messages``."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def send(self, message: Message) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(encode(message))
        await self.proc.stdin.drain()

    async def recv(self, kind: type[MessageT], timeout: float) -> MessageT:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            err = b""
            if self.proc.stderr is not None:
                try:
                    err = await asyncio.wait_for(self.proc.stderr.read(), 2)
                except TimeoutError:
                    pass
            raise RuntimeError(
                f"load worker {self.proc.pid} exited: {err.decode(errors='replace')[-2000:]}"
            )
        return decode_as(line, kind)

    async def kill(self) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
        await self.proc.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()


@dataclass
class _Window:
    """The measured window: the server's and the workers' CPU and CPU wait at its start."""

    wall: float
    server_cpu: CpuSplit
    server_wait: float
    gen_cpu: list[float]
    gen_wait: list[float]

    @classmethod
    def open(cls, server_pid: int, workers: list[WorkerProc]) -> _Window:
        server_cpu, server_wait = cpu_split(server_pid), runq_wait_s(server_pid)
        gen_wait = [runq_wait_s(wp.pid) for wp in workers]
        gen_cpu = [cpu_seconds(wp.pid) for wp in workers]
        return cls(time.perf_counter(), server_cpu, server_wait, gen_cpu, gen_wait)

    def close(self, res: RunResult, server_pid: int, workers: list[WorkerProc]) -> None:
        wall = time.perf_counter() - self.wall
        server_cpu = cpu_split(server_pid) - self.server_cpu
        # Where the server's CPU went, in % of a core (clock ticks: 10 ms each).
        res.extra["server_cpu_split_pct"] = {
            part: round(100.0 * seconds / wall, 2) for part, seconds in asdict(server_cpu).items()
        }
        res.server_runq_wait_pct = 100.0 * (runq_wait_s(server_pid) - self.server_wait) / wall
        res.gen_runq_wait_pct = max(
            100.0 * (runq_wait_s(wp.pid) - w0) / wall
            for wp, w0 in zip(workers, self.gen_wait, strict=True)
        )
        gen_cpu = [cpu_seconds(wp.pid) - c0 for wp, c0 in zip(workers, self.gen_cpu, strict=True)]
        res.server_cpu_pct = 100.0 * server_cpu.total / wall
        res.gen_cpu_pct = [round(100.0 * c / wall, 1) for c in gen_cpu]


class _Run:
    """The state of one run, from the server's start to the workers' last report."""

    def __init__(self, target_name: str, sc: Scenario, pin: bool, nice: int | None) -> None:
        self.sc = sc
        self.nice = nice
        self.clients, self.rooms, notes = plan_clients(sc)
        self.ev_offered, del_offered = offered(sc, self.rooms)
        if nice is not None:
            notes = notes + [f"server and generator processes ran at nice {nice}"]
        self.res = RunResult(
            target=target_name,
            scenario=sc.kind,
            params=asdict(sc),
            notes=list(notes),
            offered_deliveries_per_s=del_offered,
        )
        ncpu = os.cpu_count() or 1
        self.server_cpus = {0} if pin and ncpu >= 2 else None
        self.gen_cpus = set(range(1, ncpu)) if pin and ncpu >= 2 else None
        self.target: Target = TARGETS[target_name]()
        self.res.notes.extend(self.target.notes)
        self.tmp = tempfile.TemporaryDirectory(prefix="lt-run-")
        self.workers: list[WorkerProc] = []

    async def start_server(self) -> None:
        await self.target.start()
        set_affinity(self.target.pid, self.server_cpus)
        set_nice(self.target.pid, self.nice)
        await asyncio.sleep(0.5)
        self.res.server_rss_idle_mb = rss_mb(self.target.pid)

    async def provision(self) -> None:
        """A room (a Tandem session) per room of the plan; each client gets its credentials."""
        creds = await self.target.provision(self.rooms)
        seen: dict[str, int] = {}
        planned = []
        for c in self.clients:
            auth, join = creds[c.room]
            k = seen[c.room] = seen.get(c.room, -1) + 1
            if isinstance(auth, list):  # one per client of the room
                auth = auth[k % len(auth)]
            planned.append(replace(c, auth=auth, join={**join, "name": f"c{c.i}"}))
        self.clients = planned

    def lat_path(self, w: int) -> Path:
        return Path(self.tmp.name) / f"w{w}.lat"

    async def start_workers(self, workers: int | None) -> None:
        # One worker per core the generator may use: two workers sharing one core only make each
        # other wait for it.
        if workers is None:
            workers = len(self.gen_cpus) if self.gen_cpus else 2
        nworkers = max(1, min(workers, len(self.clients)))
        parts: list[list[ClientPlan]] = [[] for _ in range(nworkers)]
        for k, c in enumerate(self.clients):
            parts[k % nworkers].append(c)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        for w, part in enumerate(parts):
            wp = WorkerProc(await asyncio.create_subprocess_exec(
                python_exe(), "-m", "load_tests.worker", cwd=str(REPO), env=env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, limit=64 * 1024 * 1024,
            ))
            set_affinity(wp.pid, self.gen_cpus)
            set_nice(wp.pid, self.nice)
            self.workers.append(wp)
            await wp.send(self.spec(w, part))

    def spec(self, w: int, part: list[ClientPlan]) -> WorkerSpec:
        sc = self.sc
        return WorkerSpec(
            url=self.target.url, kind=sc.kind, event=self.target.chat_event,
            chat_ids=self.target.chat_ids(), clients=part,
            lat_path=str(self.lat_path(w)), seed=w + 1, rate=per_sender_rate(sc),
            duration=sc.duration, warmup=sc.warmup, payload=sc.payload,
            candidates=sc.candidates, sdp_bytes=sc.sdp_bytes, flood_rate=sc.flood_rate,
            drain=sc.drain, quiet=sc.quiet,
        )

    async def wait_ready(self) -> dict[str, str]:
        """Waits for every worker's clients to join; returns everyone's participant ids."""
        res = self.res
        t0 = time.perf_counter()
        ready = [await wp.recv(Ready, timeout=300) for wp in self.workers]
        res.setup_s = time.perf_counter() - t0
        ids: dict[str, str] = {}
        setup_errors: dict[str, int] = {}
        for r in ready:
            ids.update(r.ids)
            for k, v in r.errors.items():
                setup_errors[k] = setup_errors.get(k, 0) + v
        res.joined = len(ids)
        if setup_errors:
            res.errors.update({f"setup:{k}": v for k, v in setup_errors.items()})
            res.valid = False
            res.notes.append(
                f"NOT VALID: {sum(setup_errors.values())} client(s) could not connect or join "
                f"({', '.join(f'{k} x{v}' for k, v in sorted(setup_errors.items()))}), so the "
                "load was not the one planned")
        await asyncio.sleep(0.5)
        res.server_rss_joined_mb = rss_mb(self.target.pid)
        if self.sc.kind != "join-storm" and res.joined:
            res.kb_per_client = (
                (res.server_rss_joined_mb - res.server_rss_idle_mb) * 1024 / res.joined
            )
        return ids

    async def measure(self, ids: dict[str, str], profile_dir: str | None) -> list[Done]:
        """Starts everyone at one instant and measures the server and the generator over the
        window; returns the workers' reports."""
        res, pid = self.res, self.target.pid
        start_at = time.time() + 1.0
        for wp in self.workers:
            await wp.send(Go(start_at=start_at, ids=ids))
        m0 = start_at + self.sc.warmup
        m1 = m0 + self.sc.duration
        await asyncio.sleep(max(0.0, m0 - time.time()))
        peak_rss = rss_mb(pid)
        window = _Window.open(pid, self.workers)
        spy = start_profiler(profile_dir, self.target, self.sc, res)
        window.wall = time.perf_counter()  # the clock starts once py-spy, if any, is running
        while time.time() < m1:
            await asyncio.sleep(min(0.25, max(0.0, m1 - time.time())))
            peak_rss = max(peak_rss, rss_mb(pid))
        window.close(res, pid, self.workers)
        done = [await wp.recv(Done, timeout=self.sc.drain + 120) for wp in self.workers]
        if spy is not None:
            finish_profiler(spy, res)
        res.server_peak_mb = max(hwm_mb(pid), peak_rss)
        if self.sc.kind == "join-storm":
            joins = sum(sum(d.joined_rooms.values()) for d in done)
            res.kb_per_client = (rss_mb(pid) - res.server_rss_idle_mb) * 1024 / max(1, joins)
        return done

    async def close_workers(self) -> None:
        for wp in self.workers:
            await wp.send(Close())
        for wp in self.workers:
            try:
                await wp.recv(Closed, timeout=30)
                await asyncio.wait_for(wp.proc.wait(), 15)
            except Exception:  # noqa: BLE001
                pass

    def note_if_the_server_died(self) -> None:
        if self.target.died:
            self.res.valid = False
            self.res.notes.append(
                f"the {self.res.target} server died during the run: {self.target.log_tail(8)}"
            )

    async def cleanup(self) -> None:
        for wp in self.workers:
            await wp.kill()
        self.target.stop()
        self.tmp.cleanup()


async def run_once(
    target_name: str,
    sc: Scenario,
    workers: int | None = None,
    pin: bool = True,
    log: Any = print,
    keep_samples: bool = False,
    profile_dir: str | None = None,
    nice: int | None = None,
) -> RunResult:
    run = _Run(target_name, sc, pin, nice)
    try:
        await run.start_server()
        await run.provision()
        await run.start_workers(workers)
        ids = await run.wait_ready()
        done = await run.measure(ids, profile_dir)
        await run.close_workers()
        lat_paths = [run.lat_path(w) for w in range(len(run.workers))]
        aggregate(run.res, sc, done, lat_paths, run.gen_cpus, run.ev_offered, keep_samples)
        run.note_if_the_server_died()
        return run.res
    finally:
        await run.cleanup()


def run_sync(target: str, sc: Scenario, **kw: Any) -> RunResult:
    return asyncio.run(run_once(target, sc, **kw))


if __name__ == "__main__":  # pragma: no cover
    print("use: python -m load_tests run ...", file=sys.stderr)
