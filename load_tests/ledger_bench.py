"""Attendance ledger benchmark: durable write throughput, and export speed and memory for a
ledger of one million events, in SQLite (the embedded default) or PostgreSQL.

    python -m load_tests.ledger_bench [--events 1000000] [--sessions 1000] [--concurrency 1000]
                                      [--backend sqlite|postgresql] [--data-dir DIR]
                                      [--json out.json]
    python -m load_tests.ledger_bench --compare [--events 200000] ...

``--backend postgresql`` starts a PostgreSQL server of its own (``clients/postgres.py``: initdb
into a temporary directory, 127.0.0.1 on a free port, fsync and synchronous_commit on) and runs
everything on it; the exporting server is started with ``--database``. ``--compare`` runs only
the writes (1.), on SQLite and then on PostgreSQL, and prints them side by side.

1. Writes, through the ledger (SQLite: WAL, synchronous=FULL; PostgreSQL: asyncpg,
   synchronous_commit=on; either way one writer task and group commit):
   - sequential: one writer awaits each single-record append (the latency of one commit);
   - concurrent: ``--concurrency`` writers each await their own single-record appends, as that
     many connected clients whose acknowledgements wait for the commit do. This phase fills the
     ledger with ``--events`` records in ``--sessions`` sessions of a realistic mix (joins, media,
     chat, speaking, reactions, room moves, leaves) and reports events per second committed,
     commits made, the mean batch and the append latency (p50, p99).
2. Exports, through the real server (``python -m server serve`` on that data directory, as a
   subprocess): the records view as CSV and JSON (every event) and the people view as CSV (one
   attendance summary per person per session, derived session by session). For each: seconds,
   events or rows per second, bytes, and the server's peak resident memory during the export
   (its peak RSS is reset before each export through /proc/<pid>/clear_refs).

The machine's load average is printed at the start and the end: the figures mean little without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from clients.postgres import PostgresServer  # noqa: E402
from clients.server import ServerProcess  # noqa: E402
from load_tests.stats import percentile  # noqa: E402
from rooms.attendance import MEDIA_AUDIO, MEDIA_VIDEO, Record, RecordKind, SessionInfo  # noqa: E402
from rooms.roles import Role  # noqa: E402
from rooms.roster import RosterEntry, Schedule, SessionPlan  # noqa: E402
from server import writer  # noqa: E402
from server.ledger.postgres import PostgresLedger  # noqa: E402
from server.ledger.sqlite import LEDGER_FILE, SqliteLedger  # noqa: E402

AnyLedger = SqliteLedger | PostgresLedger

ADMIN_KEY = "ledger-bench-admin-key-0123456789"
STARTUP_TIMEOUT = 60.0
K = RecordKind
PEOPLE_PER_SESSION = 10


@dataclass
class WriteResult:
    backend: str
    mode: str
    writers: int
    events: int
    seconds: float
    events_per_second: float
    commits: int
    mean_batch: float
    p50_ms: float
    p99_ms: float


@dataclass
class ExportResult:
    view: str
    format: str
    seconds: float
    units: int
    units_per_second: float
    megabytes: float
    peak_rss_mb: float
    rss_before_mb: float


def session_records(session_id: str, start: float, count: int, rng: random.Random) -> list[Record]:
    """About ``count`` records of a 10-person session with a breakout round, in time order."""
    people = [f"{session_id}-p{i}" for i in range(PEOPLE_PER_SESSION)]
    out: list[Record] = [
        Record(session_id, start, K.ROOM_NAMED, room="1:b1", text="Room 1", value=1)
    ]
    t = start
    for i, pid in enumerate(people):
        out.append(
            Record(
                session_id,
                t,
                K.JOINED,
                pid,
                person_id=f"person-{i}",
                role=Role.MENTEE,
                value=MEDIA_AUDIO | MEDIA_VIDEO,
                text=f"Person {i}",
            )
        )
    room = dict.fromkeys(people, "main")
    body = count - len(out) - len(people) - 1  # the leaves and the end come after
    speaking: set[str] = set()
    for n in range(max(0, body)):
        t += rng.uniform(0.5, 4.0)
        pid = rng.choice(people)
        kind = rng.choices(
            [K.SPEAKING, K.CHAT, K.REACTION, K.MEDIA, K.MOVED, K.HAND],
            weights=[50, 20, 12, 8, 6, 4],
        )[0]
        if kind is K.SPEAKING:
            on = pid not in speaking
            (speaking.add if on else speaking.discard)(pid)
            out.append(
                Record(session_id, t, kind, pid, room=room[pid], value=int(on), text="client")
            )
        elif kind is K.CHAT:
            out.append(Record(session_id, t, kind, pid, room=room[pid], value=rng.randint(5, 200)))
        elif kind is K.REACTION:
            out.append(Record(session_id, t, kind, pid, room=room[pid], text="clap"))
        elif kind is K.MEDIA:
            out.append(Record(session_id, t, kind, pid, room=room[pid], value=rng.randint(0, 3)))
        elif kind is K.MOVED:
            old, room[pid] = room[pid], "1:b1" if room[pid] == "main" else "main"
            out.append(Record(session_id, t, kind, pid, room=room[pid], text=old))
        else:
            out.append(Record(session_id, t, kind, pid, room=room[pid], value=n % 2))
    for pid in people:
        t += 1.0
        out.append(Record(session_id, t, K.LEFT, pid, room=room[pid]))
    out.append(Record(session_id, t + 1, K.SESSION_ENDED, text="ended"))
    return out


def session_info(session_id: str, start: float) -> SessionInfo:
    roster = tuple(
        RosterEntry(f"person-{i}", f"Person {i}", Role.MENTEE) for i in range(PEOPLE_PER_SESSION)
    )
    plan = SessionPlan(programme="bench", schedule=Schedule(start, start + 3 * 3600), roster=roster)
    return SessionInfo(session_id, f"Bench session {session_id}", start, plan=plan)


class Store:
    """Where the ledger is written: a SQLite file, or a database on a PostgreSQL server of the
    benchmark's own. ``ledger()`` opens a started ledger there."""

    def __init__(self, backend: str, data_dir: Path, pg: PostgresServer | None = None,
                 commit_interval: float = 0.01) -> None:
        self.backend = backend
        self.commit_interval = commit_interval
        self.data_dir = data_dir
        self.pg = pg
        self.url: str | None = None

    async def prepare(self, name: str) -> None:
        if self.pg is not None:
            self.url = await self.pg.create_database(name)
        elif (self.data_dir / LEDGER_FILE).exists():
            raise SystemExit(f"{self.data_dir / LEDGER_FILE} exists: give an empty --data-dir")

    async def ledger(self) -> AnyLedger:
        if self.url is not None:
            pg_ledger = PostgresLedger(self.url, commit_interval=self.commit_interval)
            await pg_ledger.start()
            return pg_ledger
        ledger = SqliteLedger(self.data_dir / LEDGER_FILE, commit_interval=self.commit_interval)
        ledger.open()
        await ledger.start()
        return ledger

    def flags(self) -> list[str]:
        return [] if self.url is None else ["--database", self.url]

    async def size_mb(self) -> float:
        if self.url is not None:
            conn = await asyncpg.connect(self.url)
            try:
                size: int = await conn.fetchval("SELECT pg_database_size(current_database())")
            finally:
                await conn.close()
            return size / 1e6
        return sum(p.stat().st_size for p in self.data_dir.glob(LEDGER_FILE + "*")) / 1e6


def _counting(ledger: AnyLedger) -> list[int]:
    batches: list[int] = []
    apply = ledger.database._apply

    async def counted(batch: list[writer.Op], buffered: list[writer.Rows]) -> list[Any]:
        batches.append(len(batch))
        return await apply(batch, buffered)

    ledger.database._apply = counted  # type: ignore[method-assign]
    return batches


def _ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


async def write_sequential(store: Store, events: int) -> WriteResult:
    ledger = await store.ledger()
    batches = _counting(ledger)
    await ledger.put_session(session_info("seq", time.time()))
    latencies = []
    t0 = time.perf_counter()
    for i in range(events):
        a = time.perf_counter()
        await ledger.append([Record("seq", time.time(), K.CHAT, "p", value=i)])
        latencies.append(time.perf_counter() - a)
    seconds = time.perf_counter() - t0
    await ledger.close()
    return WriteResult(
        store.backend,
        "sequential",
        1,
        events,
        seconds,
        events / seconds,
        len(batches),
        statistics.fmean(batches),
        _ms(latencies, 50),
        _ms(latencies, 99),
    )


async def write_concurrent(store: Store, events: int, sessions: int,
                           writers: int) -> WriteResult:
    """Fill the ledger: ``writers`` coroutines, each awaiting its own single-record appends."""
    ledger = await store.ledger()
    rng = random.Random(7)
    base = time.time() - 30 * 86400
    per_session = events // sessions
    queue: list[list[Record]] = []
    for s in range(sessions):
        sid = f"bench-{s:05d}"
        start = base + s * 3600
        await ledger.put_session(session_info(sid, start))
        queue.append(session_records(sid, start, per_session, rng))
    # Interleave sessions as a busy server would: each writer takes whole sessions in turn, so
    # every session's records keep their order.
    batches = _counting(ledger)
    latencies: list[float] = []
    total = sum(len(q) for q in queue)

    async def writer(mine: list[list[Record]]) -> None:
        for records in mine:
            for r in records:
                a = time.perf_counter()
                await ledger.append([r])
                latencies.append(time.perf_counter() - a)

    shares: list[list[list[Record]]] = [[] for _ in range(writers)]
    for i, records in enumerate(queue):
        shares[i % writers].append(records)
    t0 = time.perf_counter()
    await asyncio.gather(*(writer(share) for share in shares if share))
    seconds = time.perf_counter() - t0
    await ledger.close()
    return WriteResult(
        store.backend,
        "concurrent",
        writers,
        total,
        seconds,
        total / seconds,
        len(batches),
        statistics.fmean(batches),
        _ms(latencies, 50),
        _ms(latencies, 99),
    )


# -- exports through the real server ------------------------------------------------------------


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def export(
    url: str, pid: int, path: str, params: dict[str, str], view: str, fmt: str
) -> ExportResult:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak RSS to the current RSS
    before = _status_mb(pid, "VmRSS")
    size = 0
    lines = 0
    t0 = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=3600)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        async with http.get(
            url + path, params=params, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        ) as resp:
            assert resp.status == 200, await resp.text()
            async for chunk in resp.content.iter_chunked(1 << 16):
                size += len(chunk)
                lines += chunk.count(b"\n")
    seconds = time.perf_counter() - t0
    units = lines - 1 if fmt == "csv" else lines - 2  # header; JSON "[" and "]" lines
    return ExportResult(
        view, fmt, seconds, units, units / seconds, size / 1e6, _status_mb(pid, "VmHWM"), before
    )


async def exports(store: Store, events: int) -> tuple[list[ExportResult], float]:
    """The three exports through the real server on ``store`` (this checkout's, as the writes
    above); also returns the seconds the server took to start on that ledger."""
    data_dir = store.data_dir
    server = ServerProcess(
        data_dir, log_path=data_dir / "server.log", admin_key=ADMIN_KEY, flags=store.flags(),
        env={"TANDEM_LOG_LEVEL": "WARNING"}, startup_timeout=STARTUP_TIMEOUT,
    )
    started = time.perf_counter()
    await server.start_async()
    try:
        startup = time.perf_counter() - started
        out = []
        for view, fmt in [("records", "csv"), ("records", "json"), ("people", "csv")]:
            params = {"view": view, "format": fmt}
            r = await export(server.url, server.pid, "/api/attendance/export", params, view, fmt)
            out.append(r)
            unit = "records" if view == "records" else "people rows"
            print(
                f"  export {view}/{fmt}: {r.seconds:.1f} s, {r.units:,} {unit} "
                f"({r.units_per_second:,.0f}/s; {events / r.seconds:,.0f} ledger events/s), "
                f"{r.megabytes:.0f} MB, server RSS {r.rss_before_mb:.0f} MB before, "
                f"peak {r.peak_rss_mb:.0f} MB",
                flush=True,
            )
        return out, startup
    finally:
        server.stop(timeout=30)


def _print_writes(seq: WriteResult, con: WriteResult) -> None:
    print(
        f"{seq.backend} sequential: {seq.events_per_second:,.0f} events/s committed "
        f"(p50 {seq.p50_ms:.2f} ms, p99 {seq.p99_ms:.2f} ms)",
        flush=True,
    )
    print(
        f"{con.backend} concurrent ({con.writers} writers): {con.events_per_second:,.0f} events/s "
        f"committed, {con.commits:,} commits (mean batch {con.mean_batch:.0f}), "
        f"append p50 {con.p50_ms:.1f} ms, p99 {con.p99_ms:.1f} ms",
        flush=True,
    )


def _side_by_side(results: list[WriteResult]) -> None:
    rows: list[tuple[str, Callable[[WriteResult], str], str]] = [
        ("sequential: events/s", lambda r: f"{r.events_per_second:,.0f}", "sequential"),
        ("sequential: append p50 ms", lambda r: f"{r.p50_ms:.2f}", "sequential"),
        ("sequential: append p99 ms", lambda r: f"{r.p99_ms:.2f}", "sequential"),
        ("concurrent: events/s", lambda r: f"{r.events_per_second:,.0f}", "concurrent"),
        ("concurrent: commits", lambda r: f"{r.commits:,}", "concurrent"),
        ("concurrent: mean batch", lambda r: f"{r.mean_batch:.0f}", "concurrent"),
        ("concurrent: append p50 ms", lambda r: f"{r.p50_ms:.1f}", "concurrent"),
        ("concurrent: append p99 ms", lambda r: f"{r.p99_ms:.1f}", "concurrent")]
    backends = list(dict.fromkeys(r.backend for r in results))
    print(f"\n| {'':28} | " + " | ".join(f"{b:>12}" for b in backends) + " |")
    print(f"| {'-' * 28} | " + " | ".join("-" * 12 for _ in backends) + " |")
    for label, cell, mode in rows:
        by = {r.backend: r for r in results if r.mode == mode}
        print(f"| {label:28} | " + " | ".join(f"{cell(by[b]):>12}" for b in backends) + " |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=None,
                        help="events written concurrently (default 1,000,000; 200,000 with "
                        "--compare)")
    parser.add_argument("--sessions", type=int, default=1000,
                        help="sessions they belong to; each writer writes whole sessions")
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--sequential", type=int, default=2000)
    parser.add_argument("--commit-interval", type=float, default=0.01,
                        help="the writer's gather window (the server's: 0.01 s; 0 commits as "
                        "soon as the last commit is done, which shows a commit's own cost)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--compare", action="store_true",
                        help="the writes only, on SQLite and on PostgreSQL, side by side")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    events = args.events or (200_000 if args.compare else 1_000_000)
    sessions = args.sessions

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    print(
        f"cores: {os.cpu_count()}, load average at start: "
        f"{' '.join(f'{x:.2f}' for x in load_start)}",
        flush=True,
    )
    backends = ["sqlite", "postgresql"] if args.compare else [args.backend]
    pg = PostgresServer().start() if "postgresql" in backends else None
    report: dict[str, Any] = {"cores": os.cpu_count(), "load_start": load_start}
    writes: list[WriteResult] = []
    try:
        for backend in backends:
            server = pg if backend == "postgresql" else None
            scratch = Store(backend, Path(tempfile.mkdtemp(prefix="ledger-seq-")), server,
                            args.commit_interval)
            await scratch.prepare("sequential")
            seq = await write_sequential(scratch, args.sequential)
            shutil.rmtree(scratch.data_dir)
            store = Store(backend, data_dir / backend if args.compare else data_dir, server,
                          args.commit_interval)
            store.data_dir.mkdir(parents=True, exist_ok=True)
            await store.prepare("ledger")
            con = await write_concurrent(store, events, sessions, args.concurrency)
            _print_writes(seq, con)
            writes += [seq, con]
            size_mb = await store.size_mb()
            print(f"{backend} ledger: {con.events:,} events, {size_mb:.0f} MB on disk",
                  flush=True)
            report.setdefault("ledger_mb", {})[backend] = size_mb
            if not args.compare:
                results, startup = await exports(store, con.events)
                print(f"server start on the full ledger: {startup:.1f} s")
                report["server_start_seconds"] = startup
                report["exports"] = [asdict(r) for r in results]
        if args.compare:
            _side_by_side(writes)
    finally:
        if pg is not None:
            pg.cleanup()
    load_end = os.getloadavg()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in load_end)}")
    if args.json:
        report.update(load_end=load_end, writes=[asdict(w) for w in writes])
        args.json.write_text(json.dumps(report, indent=2))
    if not args.data_dir:
        shutil.rmtree(data_dir)


if __name__ == "__main__":
    asyncio.run(main())
