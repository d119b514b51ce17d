"""Tandem's CPU per delivery before and after a change: ``python -m load_tests ab --base DIR``.

A change of a few percent is smaller than the difference between two runs of the same code on a
shared machine (10% on the one these figures come from), so one run of each says nothing. This
runs one scenario against Tandem from ``--base`` (another checkout, e.g. ``git worktree add DIR
REV``) and from this checkout (``--target``: Tandem alone, by default, or any Tandem target such as
``tandem-redis``), in pairs, the order alternating from pair to pair so that a drift of
the machine falls on both alike. It prints every pair, both means, the mean of the pairs'
differences with its standard error, and in how many pairs the change was lower. Every run
counts (``--retries`` does not apply); a pair with a run that was not valid is left out of the
summary, and the command then exits with 3.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .report import cpu_us_per_delivery
from .runner import PRESETS, RunResult, Scenario, make_scenario, run_once
from .targets import TARGETS, TandemTarget

TARGET = "tandem"
# The targets that run Tandem from TANDEM_DIR (all but the reference and the bare relay).
TANDEM_TARGETS = [name for name, t in TARGETS.items() if issubclass(t, TandemTarget)]


@dataclass(frozen=True, slots=True)
class Summary:
    """CPU per delivery over pairs of runs (base, change), in microseconds."""

    pairs: int
    base_mean: float
    change_mean: float
    diff_mean: float  # change - base, averaged over the pairs
    diff_se: float  # its standard error (nan with one pair)
    lower: int  # pairs where the change took less

    @property
    def percent(self) -> float:
        return 100.0 * self.diff_mean / self.base_mean if self.base_mean else math.nan

    def line(self) -> str:
        se = "" if math.isnan(self.diff_se) else f" +- {self.diff_se:.2f}"
        return (f"{self.pairs} pairs: base {self.base_mean:.1f} us per delivery, change "
                f"{self.change_mean:.1f}; change - base {self.diff_mean:+.2f}{se} us "
                f"({self.percent:+.1f}%), lower in {self.lower} of {self.pairs}")


def summarize(pairs: list[tuple[float, float]]) -> Summary:
    """``pairs``: (base, change) CPU per delivery of each pair of runs."""
    if not pairs:
        raise ValueError("no pairs to summarize")
    diffs = [change - base for base, change in pairs]
    se = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.nan
    return Summary(
        pairs=len(pairs),
        base_mean=statistics.fmean(base for base, _ in pairs),
        change_mean=statistics.fmean(change for _, change in pairs),
        diff_mean=statistics.fmean(diffs),
        diff_se=se,
        lower=sum(1 for d in diffs if d < 0),
    )


@contextmanager
def _checkout(path: Path | None) -> Iterator[None]:
    """Tandem's server started meanwhile runs from ``path`` (None: this checkout)."""
    before = os.environ.get("TANDEM_DIR")
    if path is None:
        os.environ.pop("TANDEM_DIR", None)
    else:
        os.environ["TANDEM_DIR"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TANDEM_DIR", None)
        else:
            os.environ["TANDEM_DIR"] = before


def _by_thread(base: RunResult, change: RunResult) -> str:
    """Each run's event loop and other threads (the database's writer), when both were read."""
    parts = []
    for r in (base, change):
        split = r.extra.get("server_cpu_split_pct")
        if not split:
            return ""
        main = split["main_user"] + split["main_system"]
        other = split["other_user"] + split["other_system"]
        parts.append(f"{cpu_us_per_delivery(r, main):.1f} + {cpu_us_per_delivery(r, other):.1f}")
    return f" (event loop + other threads: {parts[0]} and {parts[1]})"


async def run_pairs(sc: Scenario, base: Path, pairs: int, *, workers: int | None = None,
                    pin: bool = True, nice: int | None = None, target: str = TARGET,
                    say: Callable[[str], None] = print) -> list[tuple[RunResult, RunResult]]:
    """``pairs`` pairs of runs of ``sc``: (from ``base``, from this checkout) each."""
    if not (base / "server" / "__main__.py").exists():
        raise ValueError(f"{base} is not a checkout of Tandem (no server/__main__.py)")
    out = []
    for i in range(pairs):
        order: list[Path | None] = [base, None] if i % 2 == 0 else [None, base]
        got: dict[Path | None, RunResult] = {}
        for where in order:
            with _checkout(where):
                got[where] = await run_once(target, sc, workers=workers, pin=pin, nice=nice)
        b, c = got[base], got[None]
        out.append((b, c))
        say(f"pair {i + 1}: base {cpu_us_per_delivery(b):.1f}, change "
            f"{cpu_us_per_delivery(c):.1f} us per delivery{_by_thread(b, c)}; p99 "
            f"{b.p99_ms:.2f} and {c.p99_ms:.2f} ms"
            + ("" if b.valid and c.valid else " (a run was not valid)"))
    return out


def cmd_ab(a: argparse.Namespace, overrides: Callable[[argparse.Namespace], dict[str, Any]]) -> int:
    sc = make_scenario(a.scenario, **overrides(a))
    runs = asyncio.run(run_pairs(sc, Path(a.base).resolve(), a.pairs, workers=a.workers,
                                 pin=not a.no_pin, nice=a.nice, target=a.target))
    valid = [(cpu_us_per_delivery(b), cpu_us_per_delivery(c)) for b, c in runs
             if b.valid and c.valid]
    if not valid:
        print("no pair had two valid runs", file=sys.stderr)
        return 3
    print(summarize(valid).line())
    return 0 if len(valid) == len(runs) else 3


def add_parser(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
               add_size_args: Callable[[argparse.ArgumentParser], None],
               overrides: Callable[[argparse.Namespace], dict[str, Any]]) -> None:
    """The ``ab`` command, with the size arguments (and workers, pinning, nice) of ``run``."""
    p = sub.add_parser("ab", help="Tandem from another checkout against this one, in pairs "
                                  "of runs: CPU per delivery before and after a change")
    p.add_argument("--base", required=True,
                   help="the checkout before the change (git worktree add DIR REV)")
    p.add_argument("--pairs", type=int, default=8, help="pairs of runs (default 8)")
    p.add_argument("--scenario", default="many-rooms", choices=list(PRESETS))
    p.add_argument("--target", default=TARGET, choices=TANDEM_TARGETS,
                   help=f"which Tandem to run (default {TARGET})")
    add_size_args(p)
    p.set_defaults(func=lambda a: cmd_ab(a, overrides))
