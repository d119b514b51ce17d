"""Coordinator: starts a target server, spreads the clients over worker processes, runs one
scenario, and turns the workers' counts into the figures of one run.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from .targets import REPO, TARGETS, Target, python_exe

# Tandem limits chat to 5 per second per connection (bursts of 10). A sender never goes above this,
# so that no well-behaved client trips the limiter through timer jitter: a higher per-room or
# presenter rate is spread over more sending connections (the same for every target).
MAX_CHAT_RATE_PER_CONN = 4.0
GEN_SATURATION_CPU = 85.0  # % of one core, per generator process or per core given to the generator


@dataclass
class Scenario:
    kind: str
    clients: int
    rooms: int = 1
    rate: float = (
        2.0  # events per second per sender (many-rooms), or the presenter's total (big-room)
    )
    duration: float = 10.0  # measured seconds (join storm: the window the joins are spread over)
    warmup: float = 1.0
    payload: int = 100  # bytes of chat text
    candidates: int = 10
    sdp_bytes: int = 2000
    abusers: int = 0
    flood_rate: float = 200.0
    drain: float = 15.0
    quiet: float = 1.0


PRESETS: dict[str, dict[str, Any]] = {
    # 1,000 clients in 50 rooms of 20, each sending 2 whiteboard/cursor stand-in events per second
    "many-rooms": dict(
        kind="many-rooms", clients=1000, rooms=50, rate=2.0, duration=20.0, warmup=2.0
    ),
    # 500 clients in one room, a presenter sending 10 events per second
    "big-room": dict(kind="big-room", clients=500, rooms=1, rate=10.0, duration=20.0, warmup=2.0),
    # 1,000 clients connecting and joining within 10 seconds (into 50 rooms of 20)
    "join-storm": dict(kind="join-storm", clients=1000, rooms=50, duration=10.0, warmup=0.0),
    # 500 pairs exchanging offer, answer and 10 ICE candidates each, pair starts spread over 5 s
    "pairs": dict(kind="pairs", clients=1000, duration=5.0, warmup=0.0, candidates=10),
    # scenario 1 with a few abusive clients mixed in (malformed, oversized, flooding)
    "abuse": dict(
        kind="many-rooms", clients=1000, rooms=50, rate=2.0, duration=20.0, warmup=2.0, abusers=6
    ),
}


def make_scenario(preset: str, **overrides: Any) -> Scenario:
    if preset not in PRESETS:
        raise SystemExit(f"unknown scenario {preset!r}; known: {', '.join(PRESETS)}")
    params = dict(PRESETS[preset])
    params.update({k: v for k, v in overrides.items() if v is not None})
    return Scenario(**params)


@dataclass
class RunResult:
    target: str
    scenario: str
    params: dict
    events_in_per_s: float = 0.0
    deliveries_per_s: float = 0.0
    offered_deliveries_per_s: float = 0.0
    p50_ms: float = float("nan")
    p90_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    samples: int = 0
    expected: int = 0
    delivered: int = 0
    drops: int = 0
    errors: dict = field(default_factory=dict)
    error_count: int = 0
    server_cpu_pct: float = 0.0
    server_peak_mb: float = 0.0
    server_rss_idle_mb: float = 0.0
    server_rss_joined_mb: float = 0.0
    kb_per_client: float = 0.0
    gen_cpu_pct: list = field(default_factory=list)
    gen_loop_lag_p99_ms: float = 0.0
    gen_send_lag_p99_ms: float = 0.0
    server_runq_wait_pct: float = 0.0
    gen_runq_wait_pct: float = 0.0
    gen_saturated: bool = False
    server_saturated: bool = False
    valid: bool = True
    notes: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    setup_s: float = 0.0
    joined: int = 0

    def to_json(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------- planning


def plan_clients(sc: Scenario) -> tuple[list[dict], dict[str, int], list[str]]:
    """Builds the client list (index, room, role, ...) and the room sizes to provision."""
    notes: list[str] = []
    clients: list[dict] = []
    rooms: dict[str, int] = {}
    if sc.kind in ("many-rooms", "join-storm"):
        nrooms = max(1, min(sc.rooms, sc.clients))
        for i in range(sc.clients):
            room = f"r{i % nrooms}"
            rooms[room] = rooms.get(room, 0) + 1
            role = "sender" if sc.kind == "many-rooms" else "member"
            clients.append({"i": i, "room": room, "role": role})
        if sc.kind == "join-storm":
            for k, c in enumerate(clients):
                c["at"] = sc.duration * k / max(1, len(clients))
        if sc.kind == "many-rooms" and sc.rate > MAX_CHAT_RATE_PER_CONN:
            notes.append(
                f"rate {sc.rate}/s per client is over the {MAX_CHAT_RATE_PER_CONN}/s kept "
                "under Tandem's chat limit"
            )
        kinds = ["flood", "malformed", "oversized"]
        for k in range(sc.abusers):
            i = sc.clients + k
            room = f"r{k % nrooms}"
            rooms[room] = rooms.get(room, 0) + 1
            clients.append({"i": i, "room": room, "role": "abuser", "abuse": kinds[k % len(kinds)]})
    elif sc.kind == "big-room":
        senders = max(1, math.ceil(sc.rate / MAX_CHAT_RATE_PER_CONN))
        if senders > 1:
            notes.append(
                f"the presenter's {sc.rate:g} events/s are sent by {senders} presenter "
                "connections at "
                f"{sc.rate / senders:g}/s each (Tandem limits chat to 5/s per connection)"
            )
        for i in range(sc.clients):
            clients.append({"i": i, "room": "big", "role": "sender" if i < senders else "listener"})
        rooms["big"] = sc.clients
    elif sc.kind == "pairs":
        npairs = max(1, sc.clients // 2)
        for p in range(npairs):
            room = f"p{p}"
            at = sc.duration * p / npairs
            clients.append(
                {"i": 2 * p, "room": room, "role": "offerer", "peer": 2 * p + 1, "at": at}
            )
            clients.append({"i": 2 * p + 1, "room": room, "role": "answerer", "peer": 2 * p})
            rooms[room] = 2
    else:
        raise SystemExit(f"unknown scenario kind {sc.kind!r}")
    return clients, rooms, notes


def per_sender_rate(sc: Scenario) -> float:
    if sc.kind == "big-room":
        senders = max(1, math.ceil(sc.rate / MAX_CHAT_RATE_PER_CONN))
        return sc.rate / senders
    return sc.rate


def offered(sc: Scenario, rooms: dict[str, int]) -> tuple[float, float]:
    """(events in per second, deliveries per second) the scenario offers."""
    if sc.kind == "many-rooms":
        ev = sc.clients * sc.rate
        size = sc.clients / max(1, min(sc.rooms, sc.clients))
        return ev, ev * size
    if sc.kind == "big-room":
        return sc.rate, sc.rate * sc.clients
    if sc.kind == "pairs":
        n = (sc.clients // 2) * 2 * (1 + sc.candidates)
        return n / sc.duration, n / sc.duration
    if sc.kind == "join-storm":
        pj = sum(k * (k - 1) // 2 for k in rooms.values())
        return sc.clients / sc.duration, pj / sc.duration
    return 0.0, 0.0


# ---------------------------------------------------------------------------------------- processes


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


def _start_profiler(
    profile_dir: str | None, target: Target, sc: Scenario, res: RunResult
) -> subprocess.Popen | None:
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


def _finish_profiler(spy: subprocess.Popen, res: RunResult) -> None:
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


class WorkerProc:
    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    async def send(self, obj: dict) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        await self.proc.stdin.drain()

    async def recv(self, timeout: float) -> dict:
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
        return json.loads(line)


def _pct(a: np.ndarray, q: float) -> float:
    return float(np.percentile(a, q)) if a.size else float("nan")


# ---------------------------------------------------------------------------------------- one run


async def run_once(
    target_name: str,
    sc: Scenario,
    workers: int | None = None,
    pin: bool = True,
    log=print,
    keep_samples: bool = False,
    profile_dir: str | None = None,
    nice: int | None = None,
) -> RunResult:
    clients, rooms, notes = plan_clients(sc)
    ev_offered, del_offered = offered(sc, rooms)
    if nice is not None:
        notes = notes + [f"server and generator processes ran at nice {nice}"]
    res = RunResult(
        target=target_name,
        scenario=sc.kind,
        params=asdict(sc),
        notes=list(notes),
        offered_deliveries_per_s=del_offered,
    )
    ncpu = os.cpu_count() or 1
    server_cpus = {0} if pin and ncpu >= 2 else None
    gen_cpus = set(range(1, ncpu)) if pin and ncpu >= 2 else None
    target: Target = TARGETS[target_name]()
    tmp = tempfile.TemporaryDirectory(prefix="lt-run-")
    procs: list[WorkerProc] = []
    try:
        await target.start()
        set_affinity(target.pid, server_cpus)
        set_nice(target.pid, nice)
        await asyncio.sleep(0.5)
        res.server_rss_idle_mb = rss_mb(target.pid)
        creds = await target.provision(rooms)
        for c in clients:
            auth, join = creds[c["room"]]
            c["auth"] = auth
            c["join"] = {**join, "name": f"c{c['i']}"}
        # One worker per core the generator may use: two workers sharing one core only make each
        # other wait for it.
        if workers is None:
            workers = len(gen_cpus) if gen_cpus else 2
        nworkers = max(1, min(workers, len(clients)))
        parts: list[list[dict]] = [[] for _ in range(nworkers)]
        for k, c in enumerate(clients):
            parts[k % nworkers].append(c)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        for w, part in enumerate(parts):
            p = await asyncio.create_subprocess_exec(
                python_exe(),
                "-m",
                "load_tests.worker",
                cwd=str(REPO),
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=64 * 1024 * 1024,
            )
            set_affinity(p.pid, gen_cpus)
            set_nice(p.pid, nice)
            wp = WorkerProc(p)
            procs.append(wp)
            spec = {
                **asdict(sc),
                "url": target.url,
                "clients": part,
                "lat_path": str(Path(tmp.name) / f"w{w}.lat"),
                "seed": w + 1,
                "rate": per_sender_rate(sc),
                "event": target.chat_event,
            }
            await wp.send(spec)
        t0 = time.perf_counter()
        ready = [await wp.recv(timeout=300) for wp in procs]
        res.setup_s = time.perf_counter() - t0
        ids: dict[str, str] = {}
        setup_errors: dict[str, int] = {}
        for r in ready:
            ids.update(r["ids"])
            for k, v in r["errors"].items():
                setup_errors[k] = setup_errors.get(k, 0) + v
        res.joined = len(ids)
        if setup_errors:
            res.errors.update({f"setup:{k}": v for k, v in setup_errors.items()})
        await asyncio.sleep(0.5)
        res.server_rss_joined_mb = rss_mb(target.pid)
        if sc.kind != "join-storm" and res.joined:
            res.kb_per_client = (
                (res.server_rss_joined_mb - res.server_rss_idle_mb) * 1024 / res.joined
            )

        start_at = time.time() + 1.0
        for wp in procs:
            await wp.send({"cmd": "go", "start_at": start_at, "ids": ids})
        # server and generator CPU over the measured window
        m0 = start_at + sc.warmup
        m1 = m0 + sc.duration
        await asyncio.sleep(max(0.0, m0 - time.time()))
        peak_rss = rss_mb(target.pid)
        s_cpu0 = cpu_seconds(target.pid)
        s_wait0 = runq_wait_s(target.pid)
        g_wait0 = [runq_wait_s(wp.proc.pid) for wp in procs]
        g_cpu0 = [cpu_seconds(wp.proc.pid) for wp in procs]
        spy = _start_profiler(profile_dir, target, sc, res)
        w0 = time.perf_counter()
        while time.time() < m1:
            await asyncio.sleep(min(0.25, max(0.0, m1 - time.time())))
            peak_rss = max(peak_rss, rss_mb(target.pid))
        wall = time.perf_counter() - w0
        s_cpu = cpu_seconds(target.pid) - s_cpu0
        res.server_runq_wait_pct = 100.0 * (runq_wait_s(target.pid) - s_wait0) / wall
        res.gen_runq_wait_pct = max(
            100.0 * (runq_wait_s(wp.proc.pid) - w0_) / wall
            for wp, w0_ in zip(procs, g_wait0, strict=True)
        )
        g_cpu = [cpu_seconds(wp.proc.pid) - c0 for wp, c0 in zip(procs, g_cpu0, strict=True)]
        done = [await wp.recv(timeout=sc.drain + 120) for wp in procs]
        if spy is not None:
            _finish_profiler(spy, res)
        res.server_peak_mb = max(hwm_mb(target.pid), peak_rss)
        if sc.kind == "join-storm":
            res.kb_per_client = (
                (rss_mb(target.pid) - res.server_rss_idle_mb)
                * 1024
                / max(1, sum(sum(d.get("joined_rooms", {}).values()) for d in done))
            )
        res.server_cpu_pct = 100.0 * s_cpu / wall
        res.gen_cpu_pct = [round(100.0 * c / wall, 1) for c in g_cpu]
        for wp in procs:
            await wp.send({"cmd": "close"})
        for wp in procs:
            try:
                await wp.recv(timeout=30)
                await asyncio.wait_for(wp.proc.wait(), 15)
            except Exception:  # noqa: BLE001
                pass
        _aggregate(res, sc, done, tmp.name, len(procs), gen_cpus, ev_offered, keep_samples)
        if target.proc is not None and target.proc.poll() is not None:
            res.valid = False
            res.notes.append(
                f"the {target_name} server died during the run: {target.log_tail(500)}"
            )
        return res
    finally:
        for wp in procs:
            if wp.proc.returncode is None:
                try:
                    wp.proc.kill()
                except ProcessLookupError:
                    pass
            await wp.proc.wait()
            if wp.proc.stdin is not None:
                wp.proc.stdin.close()
        target.stop()
        tmp.cleanup()


def _aggregate(
    res: RunResult,
    sc: Scenario,
    done: list[dict],
    tmpdir: str,
    nworkers: int,
    gen_cpus: set[int] | None,
    ev_offered: float,
    keep_samples: bool,
) -> None:
    for d in done:
        if "crash" in d:
            res.valid = False
            res.notes.append("a load worker crashed: " + d["crash"][-800:])
    not_refused_by_room: dict[str, int] = {}
    recv_by_room: dict[str, int] = {}
    joined_rooms: dict[str, int] = {}
    for d in done:
        for k, v in d.get("not_refused_by_room", {}).items():
            not_refused_by_room[k] = not_refused_by_room.get(k, 0) + v
        for k, v in d.get("recv_by_room", {}).items():
            recv_by_room[k] = recv_by_room.get(k, 0) + v
        for k, v in d.get("joined_rooms", {}).items():
            joined_rooms[k] = joined_rooms.get(k, 0) + v
        for k, v in d.get("errors", {}).items():
            res.errors[k] = res.errors.get(k, 0) + v
    if sc.kind in ("many-rooms", "big-room"):
        # the ready phase counted the joins; a join-storm counts them in the run
        expected = sum(n * joined_rooms.get(room, 0) for room, n in not_refused_by_room.items())
    elif sc.kind == "pairs":
        expected = sum(d.get("signals_not_refused", 0) for d in done)
    else:
        expected = sum(k * (k - 1) // 2 for k in joined_rooms.values())
    delivered = sum(recv_by_room.values())
    res.expected, res.delivered = expected, delivered
    res.drops = expected - delivered
    lat = np.concatenate(
        [
            np.fromfile(Path(tmpdir) / f"w{w}.lat", dtype=np.int64)
            for w in range(nworkers)
            if (Path(tmpdir) / f"w{w}.lat").exists()
        ]
        or [np.zeros(0, np.int64)]
    )
    if sc.kind == "join-storm":
        pj = np.array([x for d in done for x in d.get("pj_lat", [])], dtype=np.int64)
        lat = pj
        jl = np.array([x for d in done for x in d.get("join_lat", [])]) * 1000
        res.extra["join_latency_ms"] = {
            "p50": _pct(jl, 50),
            "p90": _pct(jl, 90),
            "p99": _pct(jl, 99),
            "max": float(jl.max()) if jl.size else float("nan"),
            "n": int(jl.size),
        }
        res.extra["joined"] = int(sum(joined_rooms.values()))
    if sc.kind == "pairs":
        per_pair: dict[str, float] = {}
        for d in done:
            for key, ms in d.get("pair_done", {}).items():
                pair = key.split("/")[0]
                per_pair[pair] = max(per_pair.get(pair, 0.0), ms)
        pd = np.array(list(per_pair.values()))
        res.extra["exchange_complete_ms"] = {
            "p50": _pct(pd, 50),
            "p90": _pct(pd, 90),
            "p99": _pct(pd, 99),
            "max": float(pd.max()) if pd.size else float("nan"),
            "pairs_complete": int(pd.size),
            "pairs": sc.clients // 2,
        }
    lat_ms = lat / 1000.0
    res.samples = int(lat_ms.size)
    res.p50_ms, res.p90_ms, res.p99_ms = _pct(lat_ms, 50), _pct(lat_ms, 90), _pct(lat_ms, 99)
    res.max_ms = float(lat_ms.max()) if lat_ms.size else float("nan")
    if keep_samples:
        res.extra["lat_ms_sample"] = lat_ms[:: max(1, lat_ms.size // 5000)].round(3).tolist()
    measured_ok = sum(d.get("sent_measured_ok", 0) for d in done)
    if sc.kind == "join-storm":
        res.events_in_per_s = measured_ok / sc.duration
    else:
        sent = sum(d.get("sent_measured", 0) for d in done)
        refused = sum(d.get("sent_measured_refused", 0) for d in done)
        res.events_in_per_s = (sent - refused) / sc.duration
        res.extra["acked_ok_per_s"] = measured_ok / sc.duration
        if measured_ok < sent - refused:
            res.notes.append(
                f"{sent - refused - measured_ok} events sent in the window were neither "
                "acknowledged nor refused by the end of the drain (server backlog)"
            )
    # throughput: what reached the clients during the measured window (a saturated server's
    # backlog delivered later, during the drain, does not count as throughput)
    res.deliveries_per_s = sum(d.get("recv_in_window", 0) for d in done) / sc.duration
    res.error_count = sum(v for k, v in res.errors.items())
    res.gen_loop_lag_p99_ms = 1000 * max((d.get("loop_lag_p99", 0.0) for d in done), default=0.0)
    res.gen_send_lag_p99_ms = 1000 * max((d.get("send_lag_p99", 0.0) for d in done), default=0.0)
    res.extra["abuse_delivered"] = sum(d.get("abuse_delivered", 0) for d in done)
    res.extra["other_events"] = {}
    for d in done:
        for k, v in d.get("other_events", {}).items():
            res.extra["other_events"][k] = res.extra["other_events"].get(k, 0) + v
    abuse: dict[str, dict] = {}
    for d in done:
        abuse.update(d.get("abuse", {}))
    if abuse:
        res.extra["abusers"] = abuse
    res.extra["drained_s"] = max((d.get("drained_s", 0.0) for d in done), default=0.0)

    # --- is the generator the bottleneck?
    per_proc = res.gen_cpu_pct
    reasons = []
    if any(c > GEN_SATURATION_CPU for c in per_proc):
        reasons.append(
            f"a generator process used {max(per_proc):.0f}% of a core "
            f"(limit {GEN_SATURATION_CPU:.0f}%)"
        )
    if gen_cpus is not None:
        budget = 100.0 * len(gen_cpus)
        if sum(per_proc) > GEN_SATURATION_CPU / 100 * budget:
            reasons.append(
                f"the generator processes together used {sum(per_proc):.0f}% of the "
                f"{len(gen_cpus)} core(s) they are pinned to"
            )
    starved = False
    if res.gen_loop_lag_p99_ms > 50:
        why = f"generator event-loop lag p99 {res.gen_loop_lag_p99_ms:.0f} ms"
        if not reasons and res.gen_runq_wait_pct > 10:
            starved = True
            why += (
                f" while its processes used little CPU but waited {res.gen_runq_wait_pct:.0f}% "
                "of the window for one (other work on the machine)"
            )
        reasons.append(why)
    if reasons:
        res.gen_saturated = True
        res.valid = False
        head = "GENERATOR STARVED" if starved else "GENERATOR SATURATED"
        res.notes.append(f"{head}, the server's figures are not valid: " + "; ".join(reasons))

    # --- is the server saturated? (a valid measurement of the server, but worth saying)
    if sc.kind in ("many-rooms", "big-room"):
        if (
            res.drops > 0
            or res.server_cpu_pct > 90
            or (ev_offered and res.events_in_per_s < 0.9 * ev_offered)
        ):
            res.server_saturated = res.server_cpu_pct > 90 or res.drops > 0
        if res.drops > 0:
            res.notes.append(
                f"{res.drops} deliveries missing after {res.extra['drained_s']:.1f} s of drain "
                "(server backlog at the end of the run, or lost)"
            )
    elif res.drops:
        res.notes.append(f"{res.drops} deliveries missing")
    if res.drops < 0:
        res.notes.append(f"{-res.drops} more deliveries than expected (duplicates?)")
    if res.server_runq_wait_pct > 10 or res.gen_runq_wait_pct > 10:
        res.notes.append(
            f"CPU contention: the server waited {res.server_runq_wait_pct:.0f}% and a generator "
            f"process {res.gen_runq_wait_pct:.0f}% of the window for a CPU (other processes on "
            "the machine); latency is inflated by it"
        )
    if res.server_cpu_pct > 90:
        res.notes.append(f"server saturated: {res.server_cpu_pct:.0f}% of a core")
    wb_errors = {k: v for k, v in res.errors.items()}
    if wb_errors:
        res.notes.append("errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(wb_errors.items())))


def run_sync(target: str, sc: Scenario, **kw: Any) -> RunResult:
    return asyncio.run(run_once(target, sc, **kw))


if __name__ == "__main__":  # pragma: no cover
    print("use: python -m load_tests run ...", file=sys.stderr)
