"""The figures of one run (``RunResult``, one row of the tables and of RESULTS.json) and how the
workers' counts become them, including the verdicts: is the run valid (the generator was not the
bottleneck), was the server saturated."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .messages import Done
from .scenarios import Scenario
from .stats import percentile

GEN_SATURATION_CPU = 85.0  # % of one core, per generator process or per core given to the generator


@dataclass
class RunResult:
    target: str
    scenario: str
    params: dict[str, Any]
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
    errors: dict[str, int] = field(default_factory=dict)
    error_count: int = 0
    server_cpu_pct: float = 0.0
    server_peak_mb: float = 0.0
    server_rss_idle_mb: float = 0.0
    server_rss_joined_mb: float = 0.0
    kb_per_client: float = 0.0
    gen_cpu_pct: list[float] = field(default_factory=list)
    gen_loop_lag_p99_ms: float = 0.0
    gen_send_lag_p99_ms: float = 0.0
    server_runq_wait_pct: float = 0.0
    gen_runq_wait_pct: float = 0.0
    gen_saturated: bool = False
    server_saturated: bool = False
    valid: bool = True
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    setup_s: float = 0.0
    joined: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Counts:
    """The workers' per-room counts, summed."""

    not_refused_by_room: Counter[str] = field(default_factory=Counter)
    recv_by_room: Counter[str] = field(default_factory=Counter)
    joined_rooms: Counter[str] = field(default_factory=Counter)


def aggregate(
    res: RunResult,
    sc: Scenario,
    done: list[Done],
    lat_paths: list[Path],
    gen_cpus: set[int] | None,
    ev_offered: float,
    keep_samples: bool,
) -> None:
    """Fills ``res`` in from the workers' ``done`` reports and latency files."""
    for d in done:
        if d.crash is not None:
            res.valid = False
            res.notes.append("a load worker crashed: " + d.crash[-800:])
    counts = _sum_counts(res, done)
    _deliveries(res, sc, done, counts)
    _latencies(res, sc, done, lat_paths, counts, keep_samples)
    _rates(res, sc, done)
    _judge_generator(res, gen_cpus)
    _judge_server(res, sc, ev_offered)


def _sum_counts(res: RunResult, done: list[Done]) -> _Counts:
    counts = _Counts()
    for d in done:
        counts.not_refused_by_room.update(d.not_refused_by_room)
        counts.recv_by_room.update(d.recv_by_room)
        counts.joined_rooms.update(d.joined_rooms)
        for k, v in d.errors.items():
            res.errors[k] = res.errors.get(k, 0) + v
    return counts


def _deliveries(res: RunResult, sc: Scenario, done: list[Done], counts: _Counts) -> None:
    """Expected deliveries: acknowledged events x well-behaved members of their room (a signal:
    one; a join: the members already there); drops: expected - received after the drain."""
    if sc.kind in ("many-rooms", "big-room"):
        # the ready phase counted the joins; a join-storm counts them in the run
        expected = sum(
            n * counts.joined_rooms.get(room, 0) for room, n in counts.not_refused_by_room.items()
        )
    elif sc.kind == "pairs":
        expected = sum(d.signals_not_refused for d in done)
    else:
        expected = sum(k * (k - 1) // 2 for k in counts.joined_rooms.values())
    delivered = sum(counts.recv_by_room.values())
    res.expected, res.delivered = expected, delivered
    res.drops = expected - delivered


def _latencies(
    res: RunResult,
    sc: Scenario,
    done: list[Done],
    lat_paths: list[Path],
    counts: _Counts,
    keep_samples: bool,
) -> None:
    lat = np.concatenate(
        [np.fromfile(p, dtype=np.int64) for p in lat_paths if p.exists()]
        or [np.zeros(0, np.int64)]
    )
    if sc.kind == "join-storm":
        lat = _join_storm_latency(res, done, counts)
    if sc.kind == "pairs":
        _pairs_completion(res, sc, done)
    acks = np.array([x for d in done for x in d.ack_lat]) * 1000
    if acks.size:
        res.extra["ack_latency_ms"] = {**_summary_ms(acks), "n": int(acks.size)}
    lat_ms = lat / 1000.0
    res.samples = int(lat_ms.size)
    res.p50_ms, res.p90_ms, res.p99_ms = (percentile(lat_ms, q) for q in (50, 90, 99))
    res.max_ms = float(lat_ms.max()) if lat_ms.size else float("nan")
    if keep_samples:
        res.extra["lat_ms_sample"] = lat_ms[:: max(1, lat_ms.size // 5000)].round(3).tolist()


def _summary_ms(values: npt.NDArray[np.float64]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": float(values.max()) if values.size else float("nan"),
    }


def _join_storm_latency(res: RunResult, done: list[Done], counts: _Counts) -> npt.NDArray[Any]:
    """The join storm's latency columns are participant_joined deliveries; the connect+join
    latency goes to ``extra``."""
    joins = np.array([x for d in done for x in d.join_lat]) * 1000
    res.extra["join_latency_ms"] = {**_summary_ms(joins), "n": int(joins.size)}
    res.extra["joined"] = int(sum(counts.joined_rooms.values()))
    return np.array([x for d in done for x in d.pj_lat], dtype=np.int64)


def _pairs_completion(res: RunResult, sc: Scenario, done: list[Done]) -> None:
    """Per pair: from the offer sent to the last signal received, on either side."""
    per_pair: dict[str, float] = {}
    for d in done:
        for key, ms in d.pair_done.items():
            pair = key.split("/")[0]
            per_pair[pair] = max(per_pair.get(pair, 0.0), ms)
    pd = np.array(list(per_pair.values()))
    res.extra["exchange_complete_ms"] = {
        **_summary_ms(pd),
        "pairs_complete": int(pd.size),
        "pairs": sc.clients // 2,
    }


def _rates(res: RunResult, sc: Scenario, done: list[Done]) -> None:
    measured_ok = sum(d.sent_measured_ok for d in done)
    if sc.kind == "join-storm":
        res.events_in_per_s = measured_ok / sc.duration
    else:
        sent = sum(d.sent_measured for d in done)
        refused = sum(d.sent_measured_refused for d in done)
        res.events_in_per_s = (sent - refused) / sc.duration
        res.extra["acked_ok_per_s"] = measured_ok / sc.duration
        if measured_ok < sent - refused:
            res.notes.append(
                f"{sent - refused - measured_ok} events sent in the window were neither "
                "acknowledged nor refused by the end of the drain (server backlog)"
            )
    # throughput: what reached the clients during the measured window (a saturated server's
    # backlog delivered later, during the drain, does not count as throughput)
    res.deliveries_per_s = sum(d.recv_in_window for d in done) / sc.duration
    res.error_count = sum(res.errors.values())
    res.gen_loop_lag_p99_ms = 1000 * max((d.loop_lag_p99 for d in done), default=0.0)
    res.gen_send_lag_p99_ms = 1000 * max((d.send_lag_p99 for d in done), default=0.0)
    res.extra["abuse_delivered"] = sum(d.abuse_delivered for d in done)
    other: Counter[str] = Counter()
    for d in done:
        other.update(d.other_events)
    res.extra["other_events"] = dict(other)
    abuse: dict[str, Any] = {}
    for d in done:
        abuse.update(d.abuse)
    if abuse:
        res.extra["abusers"] = abuse
    res.extra["drained_s"] = max((d.drained_s for d in done), default=0.0)


def _judge_generator(res: RunResult, gen_cpus: set[int] | None) -> None:
    """A run whose load generator was the bottleneck measures the generator, not the server:
    it is marked not valid, with the reasons."""
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


def _judge_server(res: RunResult, sc: Scenario, ev_offered: float) -> None:
    """A saturated server is a valid measurement of the server, but worth saying."""
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
    if res.errors:
        res.notes.append("errors: " + ", ".join(f"{k} x{v}" for k, v in sorted(res.errors.items())))
