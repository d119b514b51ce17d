"""Tandem's real-time load tests.

    python -m load_tests run --scenario many-rooms --target tandem,reference,bare
        [--clients N --rooms M --rate R --duration S --abusers K --workers W --json out.json]
    python -m load_tests compare [--scale 1.0] [--target tandem,reference,bare]
        [--out load_tests/RESULTS.md]
    python -m load_tests ab --base DIR [--pairs 8]       (load_tests/ab.py)
    python -m load_tests split [--sizes 20,5]            (load_tests/split.py)

Scenarios: many-rooms, big-room, join-storm, pairs, abuse (many-rooms with abusive clients; run
also runs the baseline without them for the comparison). Every run starts a fresh server of each
target on
127.0.0.1, pins it to core 0 and the load generator's processes to the other cores (--no-pin to turn
that off), and prints one row per target plus the ratios of Tandem to the others.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from clients.server import checkout_dir

from . import ab, report, split
from .runner import PRESETS, RunResult, Scenario, make_scenario, run_once
from .targets import HERE, TARGETS, tandem_available

Rows = list[tuple[str, RunResult]]  # (label, result) in the order run
COMPARE_PARTS = ["many-rooms", "big-room", "join-storm", "pairs", "abuse", "sweep", "choices"]
# Tandem against variants of itself, for the choices RESULTS.md measures.
CHOICE_TARGETS = ["tandem", "tandem-asyncio", "tandem-gc-default"]
HOW_TO_READ = (Path(__file__).parent / "how_to_read.md").read_text()


@dataclass
class Comparison:
    """Every run of ``compare``, by part of RESULTS.md."""

    main: Rows
    abuse: Rows
    verdicts: list[str]
    sweep: Rows
    choices: Rows


def _targets(spec: str) -> list[str]:
    names = [t.strip() for t in spec.split(",") if t.strip()]
    for t in names:
        if t not in TARGETS:
            raise SystemExit(f"unknown target {t!r}; known: {', '.join(TARGETS)}")
    if "tandem" in names and not tandem_available():
        print(
            "note: Tandem's server package (server/) is not there yet: skipping target tandem",
            file=sys.stderr,
        )
        names.remove("tandem")
    return names


def _overrides(a: argparse.Namespace) -> dict:
    return {
        k: getattr(a, k)
        for k in (
            "clients",
            "rooms",
            "rate",
            "duration",
            "warmup",
            "payload",
            "abusers",
            "candidates",
            "drain",
        )
        if getattr(a, k, None) is not None
    }


def _add_retries(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--retries",
        type=int,
        default=0,
        help="repeat a run disturbed by other work on the machine up to N times, keep the "
        "least disturbed attempt (compare: default 2)",
    )
    p.add_argument(
        "--max-wait",
        type=float,
        default=10.0,
        help="%% of the window the server or generator may wait for a CPU before a run counts "
        "as disturbed (default 10)",
    )


def _add_nice(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--nice",
        type=int,
        help="renice the servers and generator processes (e.g. -5, needs root) to shield the "
        "measurement from other work on a shared machine",
    )


def _add_size_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--clients", type=int, help="clients (pairs: 2 per pair)")
    p.add_argument("--rooms", type=int, help="rooms (many-rooms, join-storm)")
    p.add_argument(
        "--rate",
        type=float,
        help="events/s per client (many-rooms) or the presenter's total (big-room)",
    )
    p.add_argument(
        "--duration",
        type=float,
        help="measured seconds (join-storm, pairs: the window the starts spread over)",
    )
    p.add_argument("--warmup", type=float)
    p.add_argument("--payload", type=int, help="chat text bytes")
    p.add_argument("--abusers", type=int)
    p.add_argument("--candidates", type=int, help="ICE candidates per side (pairs)")
    p.add_argument(
        "--drain", type=float, help="max seconds to wait for deliveries after sending stops"
    )
    p.add_argument(
        "--workers", type=int, default=None,
        help="load generator processes (default: one per core left to the generator)",
    )
    _add_nice(p)
    _add_retries(p)
    p.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the server to core 0 and the generator to the rest",
    )


def contention(r: RunResult) -> float:
    """How much a run was disturbed by other work: the larger run-queue wait of server and
    generator, in % of the window (a failed run counts as fully disturbed)."""
    if any(n.startswith("RUN FAILED") for n in r.notes):
        return 1e9
    return max(r.server_runq_wait_pct, r.gen_runq_wait_pct)


async def _run_one(t: str, sc: Scenario, a: argparse.Namespace, keep_samples: bool) -> RunResult:
    try:
        return await run_once(
            t,
            sc,
            workers=a.workers,
            pin=not a.no_pin,
            keep_samples=keep_samples,
            profile_dir=getattr(a, "profile", None),
            nice=a.nice,
        )
    except Exception as exc:  # noqa: BLE001 - one broken target must not lose the others' runs
        r = RunResult(target=t, scenario=sc.kind, params=asdict(sc), valid=False)
        r.notes.append(f"RUN FAILED: {type(exc).__name__}: {str(exc)[:400]}")
        r.error_count = 1
        print(f"    {t} failed: {exc!r}", file=sys.stderr)
        return r


async def _run_targets(
    label: str, sc: Scenario, targets: list[str], a: argparse.Namespace, keep_samples: bool = False
) -> Rows:
    """Runs each target; with ``--retries N`` a run disturbed by other work on the machine
    (server or generator waiting more than ``--max-wait`` % of the window for a CPU, or the
    generator starved) is repeated up to N times and the least disturbed attempt is kept."""
    out = []
    retries = max(0, getattr(a, "retries", 0) or 0)
    max_wait = getattr(a, "max_wait", 10.0)
    for t in targets:
        attempts: list[RunResult] = []
        for k in range(1 + retries):
            print(
                f"... {label} against {t}: {sc.clients} clients, {sc.duration:g} s"
                + (f" (attempt {k + 1})" if k else ""),
                file=sys.stderr,
                flush=True,
            )
            r = await _run_one(t, sc, a, keep_samples)
            attempts.append(r)
            if contention(r) <= max_wait and not r.gen_saturated:
                break
        best = min(attempts, key=contention)
        if len(attempts) > 1:
            waits = ", ".join(f"{contention(x):.0f}%" for x in attempts)
            best.notes.append(
                f"kept the least disturbed of {len(attempts)} attempts (CPU wait {waits})"
            )
        out.append((label, best))
    return out


def _print(results: Rows) -> None:
    print(report.table(results))
    for line in report.ratios(results):
        print(line)
    for line in report.extras(results):
        print(line)


async def _abuse(sc: Scenario, targets: list[str], a: argparse.Namespace) -> tuple[Rows, list[str]]:
    results: Rows = []
    verdicts: list[str] = []
    for t in targets:
        base = (await _run_targets("abuse baseline", replace(sc, abusers=0), [t], a))[0]
        with_ab = (await _run_targets("abuse", sc, [t], a))[0]
        results += [base, with_ab]
        ok, lines = report.abuse_verdict(base[1], with_ab[1])
        verdicts.append(f"{t}: {'PASS' if ok else 'FAIL'}")
        verdicts += [f"  {x}" for x in lines]
    return results, verdicts


def cmd_run(a: argparse.Namespace) -> int:
    targets = _targets(a.target)
    sc = make_scenario(a.scenario, **_overrides(a))
    print(f"machine: {report.load_snapshot()}", file=sys.stderr)

    async def go():
        if a.scenario == "abuse":
            return await _abuse(sc, targets, a)
        return await _run_targets(a.scenario, sc, targets, a), []

    results, verdicts = asyncio.run(go())
    _print(results)
    for v in verdicts:
        print(v)
    if a.json:
        Path(a.json).write_text(
            json.dumps([{"label": lb, **r.to_json()} for lb, r in results], indent=1)
        )
    return 0 if all(r.valid for _, r in results) else 3


def cmd_compare(a: argparse.Namespace) -> int:
    targets = _targets(a.target)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    only = _compare_parts(a.only)
    doc: dict = {
        "command": "python -m load_tests " + " ".join(shlex.quote(x) for x in sys.argv[1:]),
        "started": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": report.machine_info(),
        "load_before": report.load_snapshot(),
        "top_before": _top(),
        "tandem": _tandem_source(),
    }
    runs = asyncio.run(_compare_runs(a, targets, only))
    doc["load_after"] = report.load_snapshot()
    doc["top_after"] = _top()
    ms = _scaled(a, "many-rooms")
    doc["sweep_title"] = (
        f"many-rooms sweep: {ms.clients} clients in rooms of {ms.clients // max(1, ms.rooms)}, "
        "latency vs offered deliveries/s"
    )
    doc["main"] = _rows_json(runs.main)
    doc["abuse"] = _rows_json(runs.abuse)
    doc["verdicts"] = runs.verdicts
    doc["sweep"] = _rows_json(runs.sweep)
    doc["choices"] = _rows_json(runs.choices)
    if a.only:
        doc = _merge(out.with_suffix(".json"), doc, "abuse" in only)
    out.with_suffix(".json").write_text(json.dumps(doc, indent=1))
    render(doc, out, echo=True)
    return 0


def _compare_parts(spec: str | None) -> list[str]:
    only = [p.strip() for p in (spec or ",".join(COMPARE_PARTS)).split(",") if p.strip()]
    for p in only:
        if p not in COMPARE_PARTS:
            raise SystemExit(f"--only takes some of {', '.join(COMPARE_PARTS)}, not {p!r}")
    return only


def _scaled(a: argparse.Namespace, name: str, **kw: Any) -> Scenario:
    """Preset ``name`` with its clients and rooms multiplied by ``--scale``."""
    p = PRESETS[name]
    clients = max(4, int(p["clients"] * a.scale))
    over = {"clients": clients, **kw}
    if "rooms" in p and p["rooms"] > 1:
        over["rooms"] = max(1, int(p["rooms"] * a.scale))
    if a.duration and "duration" not in kw and name not in ("join-storm", "pairs"):
        over["duration"] = a.duration
    return make_scenario(name, **over)


async def _compare_runs(a: argparse.Namespace, targets: list[str], only: list[str]) -> Comparison:
    main: Rows = []
    for name in ("many-rooms", "big-room", "join-storm", "pairs"):
        if name in only:
            main += await _run_targets(name, _scaled(a, name), targets, a)
    abuse_results: Rows = []
    verdicts: list[str] = []
    if "abuse" in only:
        abuse_targets = [t for t in targets if t == "tandem"] or targets[:1]
        abuse_results, verdicts = await _abuse(
            _scaled(a, "abuse", rate=a.abuse_rate), abuse_targets, a
        )
    sweep = await _sweep(a, targets) if "sweep" in only else []
    choices: Rows = []
    if "choices" in only and "tandem" in targets:
        choices = await _run_targets("many-rooms", _scaled(a, "many-rooms"), CHOICE_TARGETS, a)
    return Comparison(main, abuse_results, verdicts, sweep, choices)


async def _sweep(a: argparse.Namespace, targets: list[str]) -> Rows:
    """many-rooms at each of ``--sweep-rates``: latency against offered load."""
    sweep: Rows = []
    sweep_targets = [t for t in targets if t in ("tandem", "reference")] or targets
    if "bare" in targets and a.sweep_bare:
        sweep_targets.append("bare")
    for rate in [float(x) for x in a.sweep_rates.split(",")]:
        sc = _scaled(a, "many-rooms", rate=rate, duration=a.sweep_duration, warmup=1.0)
        sweep += await _run_targets(f"sweep {rate:g}/s", sc, sweep_targets, a)
    return sweep


def _rows_json(rows: Rows) -> list[dict]:
    return [{"label": lb, **r.to_json()} for lb, r in rows]


def _merge(path: Path, new: dict, new_abuse: bool) -> dict:
    """``--only``: the new rows replace the rows of the same scenario and target in the
    RESULTS.json already there; everything else, and its command, is kept."""
    if not path.exists():
        return new
    old = json.loads(path.read_text())
    for key in ("main", "sweep", "abuse", "choices"):
        fresh = {(d["label"], d["target"]) for d in new[key]}
        kept = [d for d in old.get(key, []) if (d["label"], d["target"]) not in fresh]
        if key == "abuse" and new_abuse:
            kept = []
        rows = kept + new[key]
        order: dict[str, int] = {}
        for d in old.get(key, []) + new[key]:
            order.setdefault(d["label"], len(order))
        rows.sort(key=lambda d: order.get(d["label"], 0))
        old[key] = rows
    if new_abuse:
        old["verdicts"] = new["verdicts"]
    commands = old.get("commands") or [old.get("command", "?")]
    old["commands"] = commands + [f"`{new['command']}` (run {new['started']}; rows merged)"]
    old["command"] = old["commands"][0]
    old["load_after"] = new["load_after"]
    old["top_after"] = new["top_after"]
    return old


def _tandem_source() -> str:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", "-C", str(HERE.parent), *args], capture_output=True, text=True, timeout=20
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD") or "?"
    if os.environ.get("TANDEM_DIR"):
        return f"{checkout_dir()} (TANDEM_DIR; repository HEAD was {head})"
    dirty = git("status", "--porcelain", "--", "server", "rooms", "media")
    return f"this checkout at {head}" + (" with uncommitted changes" if dirty else "")


def _results(rows: list[dict]) -> Rows:
    out = []
    for d in rows:
        d = dict(d)
        label = d.pop("label")
        out.append((label, RunResult(**d)))
    return out


def render(doc: dict, out: Path, echo: bool = False) -> None:
    """Writes RESULTS.md and latency.png from the collected results (RESULTS.json's shape)."""
    runs = Comparison(
        main=_results(doc["main"]),
        abuse=_results(doc["abuse"]),
        verdicts=doc["verdicts"],
        sweep=_results(doc["sweep"]),
        choices=_results(doc.get("choices", [])),
    )
    runs.sweep.sort(key=lambda x: (x[1].params["rate"], x[1].target))
    if echo:
        _print(runs.main)
        _print(runs.abuse)
        for v in runs.verdicts:
            print(v)
        _print(runs.sweep)
    picture = out.with_name("latency.png")
    by_target: dict[str, list[RunResult]] = {}
    for _, r in runs.sweep:
        by_target.setdefault(r.target, []).append(r)
    report.plot(by_target, picture, doc["sweep_title"])
    everything = runs.main + runs.abuse + runs.sweep + runs.choices
    md = report.results_md(
        _sections(doc, runs),
        doc["command"],
        doc["machine"],
        doc["load_before"],
        doc["load_after"],
        _busy_note(everything),
        picture.name,
    )
    out.write_text(_stamp(md, doc) + _kept_by_hand(out))
    print(f"wrote {out} and {picture}")


# Everything from this line on in RESULTS.md is written by hand (figures of the other benchmarks)
# and kept when the file is written again.
KEPT_MARK = "<!-- written by hand from here on: kept when RESULTS.md is rendered again -->"


def _kept_by_hand(out: Path) -> str:
    try:
        text = out.read_text()
    except OSError:
        return ""
    at = text.find(KEPT_MARK)
    return "" if at < 0 else text[at:]


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {x}" for x in lines)


def _section(rows: Rows, *between: str, others: tuple[str, ...] | None = None) -> str:
    """A table, the ratios of Tandem to the others (unless ``others`` is empty), the notes."""
    ratios = report.ratios(rows) if others is None else report.ratios(rows, others=others)
    parts = [report.table(rows, markdown=True), *between]
    if others != ():
        parts.append(_bullets(ratios))
    parts.append(_bullets(report.extras(rows)))
    return "\n\n".join(parts)


def _sections(doc: dict, runs: Comparison) -> list[tuple[str, str]]:
    verdicts = "```\n" + "\n".join(runs.verdicts) + "\n```"
    return [
        ("Scenarios", _section(runs.main)),
        ("Bad input under load", _section(runs.abuse, verdicts, others=())),
        ("Offered-load sweep (many-rooms, rate per client varied)", _section(runs.sweep)),
        (
            "Measured choices (many-rooms, one after another)",
            "Tandem as it runs (uvloop, garbage-collector thresholds 50000,20,100) against "
            "the same code on asyncio's own event loop and with Python's default thresholds "
            "(700,10,10).\n\n"
            + _section(runs.choices, others=tuple(CHOICE_TARGETS[1:])),
        ),
        ("How to read this", HOW_TO_READ),
        (
            "Machine activity",
            "Before the runs:\n\n```\n"
            + doc["top_before"]
            + "\n```\n\nAfter the runs:\n\n```\n"
            + doc["top_after"]
            + "\n```",
        ),
    ]


def _busy_note(everything: Rows) -> str:
    worst = max(
        (max(r.server_runq_wait_pct, r.gen_runq_wait_pct) for _, r in everything), default=0
    )
    if worst > 5:
        return (
            "Other work was running on the machine at the same time (other processes in the "
            f"snapshots below; up to {worst:.0f}% of a run's window was spent waiting for a CPU, "
            "column *CPU wait %*). The targets were measured one after another under the same "
            "conditions, but latency figures of contended runs are inflated."
        )
    return "No run waited more than 5% of its window for a CPU (column *CPU wait %*)."


def _stamp(md: str, doc: dict) -> str:
    """The date, the commands (several when rows were merged in) and what Tandem was measured."""
    md = md.replace("Generated by", f"Generated on {doc['started']} by")
    if len(doc.get("commands", [])) > 1:
        md = md.replace(
            f"Command: `{doc['command']}`",
            "Commands (the later ones re-ran some rows and merged them in):\n\n"
            + "\n".join(f"- {c}" if c.startswith("`") else f"- `{c}`" for c in doc["commands"]),
        )
    return md.replace(
        "\nMachine: ", f"\nTandem measured: {doc.get('tandem', '?')}.\n\nMachine: ", 1
    )


def cmd_render(a: argparse.Namespace) -> int:
    out = Path(a.out)
    render(json.loads(out.with_suffix(".json").read_text()), out, echo=False)
    return 0


def _top() -> str:
    """The first lines of ``top``: what else the machine was doing."""
    try:
        out = subprocess.run(
            ["top", "-bn1", "-w", "160"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return report.load_snapshot()
    return "\n".join(out.splitlines()[:17])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m load_tests", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run one scenario against one or more targets")
    r.add_argument("--scenario", required=True, choices=list(PRESETS))
    r.add_argument("--target", default="tandem,reference,bare")
    r.add_argument("--json", help="also write the results as JSON here")
    r.add_argument("--profile", metavar="DIR", help="py-spy the Python servers into DIR")
    _add_size_args(r)
    r.set_defaults(func=cmd_run)
    c = sub.add_parser(
        "compare",
        help="all scenarios, abuse and a load sweep against all targets; writes RESULTS.md",
    )
    c.add_argument("--target", default="tandem,reference,bare")
    c.add_argument(
        "--scale", type=float, default=1.0, help="multiply every scenario's clients and rooms"
    )
    c.add_argument(
        "--duration",
        type=float,
        help="measured seconds of many-rooms/big-room/abuse (default: presets)",
    )
    c.add_argument(
        "--sweep-rates",
        default="0.1,0.25,0.5,1,1.5,2,2.5",
        help="many-rooms rates per client for the picture",
    )
    c.add_argument("--sweep-duration", type=float, default=8.0)
    c.add_argument("--sweep-bare", action="store_true", help="include the bare relay in the sweep")
    c.add_argument("--out", default=str(HERE / "RESULTS.md"))
    c.add_argument(
        "--only",
        help="run only some parts (many-rooms,big-room,join-storm,pairs,abuse,sweep,choices) "
        "and merge "
        "their rows into the RESULTS.json already there",
    )
    c.add_argument("--workers", type=int, default=None)
    c.add_argument("--no-pin", action="store_true")
    c.add_argument(
        "--abuse-rate",
        type=float,
        default=1.0,
        help="events/s per well-behaved client in the abuse runs (default 1: half of "
        "many-rooms, so that the generator, which also drives the abusers, stays valid)",
    )
    _add_nice(c)
    _add_retries(c)
    c.set_defaults(func=cmd_compare, retries=2)
    ab.add_parser(sub, _add_size_args, _overrides)
    split.add_parser(sub)
    d = sub.add_parser("render", help="rewrite RESULTS.md and latency.png from RESULTS.json")
    d.add_argument("--out", default=str(HERE / "RESULTS.md"))
    d.set_defaults(func=cmd_render)
    a = p.parse_args(argv)
    return a.func(a)


if __name__ == "__main__":
    sys.exit(main())
