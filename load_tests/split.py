"""A server's CPU split into what each event costs and what each delivery costs:
``python -m load_tests split``.

CPU per delivery mixes two costs: handling an event that comes in (reading it, checking it,
applying it, recording it, acknowledging it) and writing it to each member of its room. Which one
a server spends its time on decides where to look for a saving, and how it compares with another
at other room sizes. This runs many-rooms at the same deliveries a second with rooms of
different sizes (by default 20 and 5: an event is delivered to every member of its room, so
rooms of 5 take four times the events), each target at each size, in rounds whose order
alternates, and fits each target's CPU (microseconds of CPU a second) as

    cpu = per_event * events_per_s + per_delivery * deliveries_per_s

by least squares over its runs, with the events and deliveries each run measured. The same fit
is made for the event loop (the process's main thread) and for its other threads, which add up
to the whole. Whatever a server spends when idle (pings, timers) is spread over both.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .runner import RunResult, make_scenario, run_once

PARTS = ("main", "other")  # the event loop, and the process's other threads


@dataclass(frozen=True, slots=True)
class Fit:
    """Microseconds of CPU per event and per delivery, in all and by part."""

    per_event: float
    per_delivery: float
    by_part: dict[str, tuple[float, float]]  # part -> (per event, per delivery)
    runs: int
    residual_pct: float  # the fit's root-mean-square error, in % of the mean CPU


def _cpu_us(pct: float) -> float:
    """% of a core as microseconds of CPU a second."""
    return pct / 100.0 * 1e6


def fit(points: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Least squares of ``cpu = e * events + d * deliveries`` over ``points`` of (events/s,
    deliveries/s, cpu us/s): (e, d, root-mean-square error). Needs runs at two ratios of
    deliveries to events at least."""
    sxx = sum(x * x for x, _, _ in points)
    syy = sum(y * y for _, y, _ in points)
    sxy = sum(x * y for x, y, _ in points)
    sxc = sum(x * c for x, _, c in points)
    syc = sum(y * c for _, y, c in points)
    det = sxx * syy - sxy * sxy
    if len(points) < 2 or abs(det) <= 1e-9 * sxx * syy:
        raise ValueError("the runs do not tell events from deliveries: they need rooms of "
                         "at least two sizes")
    e = (sxc * syy - syc * sxy) / det
    d = (syc * sxx - sxc * sxy) / det
    rms = math.sqrt(sum((c - e * x - d * y) ** 2 for x, y, c in points) / len(points))
    return e, d, rms


def fit_runs(runs: Sequence[RunResult]) -> Fit:
    """The fit of a target's runs (only valid ones with their CPU split by thread)."""
    usable = [r for r in runs if r.valid and r.extra.get("server_cpu_split_pct")
              and r.events_in_per_s > 0 and r.deliveries_per_s > 0]
    rate = [(r.events_in_per_s, r.deliveries_per_s) for r in usable]
    e, d, rms = fit([(x, y, _cpu_us(r.server_cpu_pct)) for (x, y), r in zip(rate, usable,
                                                                            strict=True)])
    by_part: dict[str, tuple[float, float]] = {}
    for part in PARTS:
        cpu = [_cpu_us(r.extra["server_cpu_split_pct"][f"{part}_user"]
                       + r.extra["server_cpu_split_pct"][f"{part}_system"]) for r in usable]
        pe, pd, _ = fit([(x, y, c) for (x, y), c in zip(rate, cpu, strict=True)])
        by_part[part] = (pe, pd)
    mean = sum(_cpu_us(r.server_cpu_pct) for r in usable) / len(usable)
    return Fit(e, d, by_part, len(usable), 100.0 * rms / mean if mean else math.nan)


def table(fits: dict[str, Fit], reference: str | None = "reference") -> list[str]:
    """The fits as a table, then each target against ``reference`` (when it was run)."""
    out = ["| target | us per event | event loop | other threads | us per delivery | event loop "
           "| other threads | runs | fit error |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, f in fits.items():
        (me, md), (oe, od) = f.by_part["main"], f.by_part["other"]
        out.append(f"| {name} | {f.per_event:.1f} | {me:.1f} | {oe:.1f} | {f.per_delivery:.2f} "
                   f"| {md:.2f} | {od:.2f} | {f.runs} | {f.residual_pct:.1f}% |")
    ref = fits.get(reference) if reference else None
    if ref is not None:
        for name, f in fits.items():
            if name != reference:
                out.append(f"- {name} / {reference}: per event x{f.per_event / ref.per_event:.2f}"
                           f", per delivery x{f.per_delivery / ref.per_delivery:.2f}")
    return out


def sizes_of(spec: str) -> list[int]:
    sizes = sorted({int(s) for s in spec.split(",") if s.strip()}, reverse=True)
    if len(sizes) < 2 or sizes[-1] < 2:
        raise SystemExit("--sizes needs two room sizes of 2 or more, e.g. 20,5")
    return sizes


async def run_rounds(targets: list[str], sizes: list[int], a: argparse.Namespace,
                     say: Callable[[str], None] = print) -> dict[str, list[RunResult]]:
    """``a.rounds`` rounds, each running every target at every room size (the order of the
    sizes alternating between rounds)."""
    runs: dict[str, list[RunResult]] = {t: [] for t in targets}
    for i in range(a.rounds):
        for size in sizes if i % 2 == 0 else sizes[::-1]:
            # every member of a room gets each of its events: deliveries = events * size
            sc = make_scenario("many-rooms", clients=a.clients, rooms=a.clients // size,
                               rate=a.deliveries / (a.clients * size), duration=a.duration)
            for t in targets:
                r = await run_once(t, sc, workers=a.workers, pin=not a.no_pin, nice=a.nice)
                runs[t].append(r)
                say(f"round {i + 1}, rooms of {size}, {t}: {r.events_in_per_s:,.0f} events/s, "
                    f"{r.deliveries_per_s:,.0f} deliveries/s, server CPU "
                    f"{r.server_cpu_pct:.1f}%" + ("" if r.valid else " (not valid: left out)"))
    return runs


def cmd_split(a: argparse.Namespace) -> int:
    targets = [t.strip() for t in a.target.split(",") if t.strip()]
    runs = asyncio.run(run_rounds(targets, sizes_of(a.sizes), a))
    fits: dict[str, Fit] = {}
    for t, rs in runs.items():
        try:
            fits[t] = fit_runs(rs)
        except (ValueError, ZeroDivisionError) as exc:
            print(f"{t}: no fit ({exc})", file=sys.stderr)
    print("\n".join(table(fits)))
    return 0 if len(fits) == len(targets) and all(r.valid for rs in runs.values()
                                                  for r in rs) else 3


def add_parser(sub: Any) -> None:
    p = sub.add_parser("split", help="each target's server CPU per event and per delivery, "
                                     "from many-rooms at the same deliveries a second with "
                                     "rooms of different sizes")
    p.add_argument("--target", default="tandem,reference")
    p.add_argument("--sizes", default="20,5", help="room sizes (default 20,5)")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--deliveries", type=float, default=9500.0,
                   help="deliveries a second offered at every size (default 9,500)")
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--rounds", type=int, default=1,
                   help="times each target runs at each size (default 1)")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--no-pin", action="store_true")
    p.add_argument("--nice", type=int)
    p.set_defaults(func=cmd_split)
