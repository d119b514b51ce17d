"""Tables, ratios, the abuse verdict, RESULTS.md and the latency picture."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from pathlib import Path

from .results import RunResult

COLUMNS = [
    ("scenario", "scenario"),
    ("target", "target"),
    ("events in/s", "ev"),
    ("deliveries/s", "del"),
    ("offered del/s", "off"),
    ("p50 ms", "p50"),
    ("p90 ms", "p90"),
    ("p99 ms", "p99"),
    ("max ms", "max"),
    ("errors", "err"),
    ("drops", "drops"),
    ("server CPU %", "cpu"),
    ("CPU us/delivery", "cpd"),
    ("server peak MB", "peak"),
    ("KB/client", "kbc"),
    ("gen CPU %", "gen"),
    ("CPU wait % srv/gen", "wait"),
    ("valid", "valid"),
]


def _f(x: float, nd: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def cpu_us_per_delivery(r: RunResult, cpu_pct: float | None = None) -> float:
    """The server's CPU (``cpu_pct`` % of a core, by default all of it) per delivery, in us."""
    if not r.deliveries_per_s:
        return float("nan")
    pct = r.server_cpu_pct if cpu_pct is None else cpu_pct
    return pct / 100.0 * 1e6 / r.deliveries_per_s


def row(r: RunResult, label: str | None = None) -> dict[str, str]:
    return {
        "scenario": label or r.scenario,
        "target": r.target,
        "ev": _f(r.events_in_per_s),
        "del": _f(r.deliveries_per_s),
        "off": _f(r.offered_deliveries_per_s),
        "p50": _f(r.p50_ms, 2),
        "p90": _f(r.p90_ms, 2),
        "p99": _f(r.p99_ms, 2),
        "max": _f(r.max_ms, 1),
        "err": str(r.error_count),
        "drops": str(r.drops),
        "cpu": _f(r.server_cpu_pct, 0),
        "cpd": _f(cpu_us_per_delivery(r), 1),
        "peak": _f(r.server_peak_mb, 0),
        "kbc": _f(r.kb_per_client, 0),
        "gen": "/".join(_f(c, 0) for c in r.gen_cpu_pct) + ("!" if r.gen_saturated else ""),
        "wait": f"{r.server_runq_wait_pct:.0f}/{r.gen_runq_wait_pct:.0f}",
        "valid": "yes" if r.valid else "NO",
    }


def table(results: list[tuple[str, RunResult]], markdown: bool = False) -> str:
    rows = [row(r, label) for label, r in results]
    heads = [h for h, _ in COLUMNS]
    keys = [k for _, k in COLUMNS]
    if markdown:
        out = [
            "| " + " | ".join(heads) + " |",
            "|"
            + "|".join(" --- " if k in ("scenario", "target") else " ---: " for k in keys)
            + "|",
        ]
        out += ["| " + " | ".join(rw[k] for k in keys) + " |" for rw in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(rw[k]) for rw in rows)) if rows else len(h) for h, k in COLUMNS]
    line = "  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(rw[k].rjust(w) for k, w in zip(keys, widths, strict=True)) for rw in rows]
    return "\n".join(out)


def ratios(
    results: list[tuple[str, RunResult]], others: tuple[str, ...] = ("reference", "bare")
) -> list[str]:
    """Tandem against ``others`` (the reference and the bare relay), per scenario label."""
    by: dict[str, dict[str, RunResult]] = {}
    for label, r in results:
        by.setdefault(label, {})[r.target] = r
    out = []
    for label, rs in by.items():
        t = rs.get("tandem")
        for other in others:
            o = rs.get(other)
            if t is None or o is None:
                continue
            parts = []
            if o.deliveries_per_s:
                parts.append(f"deliveries/s x{t.deliveries_per_s / o.deliveries_per_s:.2f}")
            if o.p99_ms and not math.isnan(o.p99_ms) and not math.isnan(t.p99_ms):
                parts.append(f"p99 x{t.p99_ms / o.p99_ms:.2f}")
            a, b = cpu_us_per_delivery(t), cpu_us_per_delivery(o)
            if b and not math.isnan(a) and not math.isnan(b):
                parts.append(f"server CPU per delivery x{a / b:.2f}")
            if o.kb_per_client > 0 and t.kb_per_client > 0:
                parts.append(f"memory per client x{t.kb_per_client / o.kb_per_client:.2f}")
            valid = "" if (t.valid and o.valid) else "  (a run was not valid: see notes)"
            out.append(f"{label}: tandem / {other}: " + ", ".join(parts) + valid)
    return out


def extras(results: list[tuple[str, RunResult]]) -> list[str]:
    out = []
    for label, r in results:
        e = r.extra
        if "join_latency_ms" in e:
            j = e["join_latency_ms"]
            out.append(
                f"{label} [{r.target}]: {e.get('joined')} joined; connect+join latency "
                f"p50 {_f(j['p50'], 1)} p90 {_f(j['p90'], 1)} p99 {_f(j['p99'], 1)} "
                f"max {_f(j['max'], 1)} ms; the latency columns are participant_joined "
                "delivery (join sent -> others told)"
            )
        if "ack_latency_ms" in e:
            a = e["ack_latency_ms"]
            out.append(
                f"{label} [{r.target}]: acknowledgement latency (event sent -> its ok) "
                f"p50 {_f(a['p50'], 2)} p90 {_f(a['p90'], 2)} p99 {_f(a['p99'], 2)} "
                f"max {_f(a['max'], 1)} ms, {a['n']} acks"
            )
        split = e.get("server_cpu_split_pct")
        if split and r.deliveries_per_s:
            per = {part: cpu_us_per_delivery(r, pct) for part, pct in split.items()}
            out.append(
                f"{label} [{r.target}]: server CPU per delivery by thread, us: event loop "
                f"{_f(per['main_user'], 1)} user + {_f(per['main_system'], 1)} system, other "
                f"threads {_f(per['other_user'], 1)} user + {_f(per['other_system'], 1)} system"
            )
        if "exchange_complete_ms" in e:
            x = e["exchange_complete_ms"]
            out.append(
                f"{label} [{r.target}]: {x['pairs_complete']}/{x['pairs']} pairs completed "
                "offer+answer+ICE; "
                f"offer sent -> last signal received p50 {_f(x['p50'], 1)} p99 {_f(x['p99'], 1)} "
                f"max {_f(x['max'], 1)} ms"
            )
        prof = e.get("profile_top") or {}
        for kind in ("inclusive", "self"):
            for f, pct in prof.get(kind, []):
                out.append(f"{label} [{r.target}] py-spy {kind}: {pct:4.1f}% {f}")
        for n in r.notes:
            out.append(f"{label} [{r.target}]: {n}")
    return out


def abuse_verdict(baseline: RunResult | None, r: RunResult) -> tuple[bool, list[str]]:
    """Did well-behaved clients stay within bounds, and did every abuser get errors or a
    disconnect?"""
    lines = []
    ok = True
    wb_err = {k: v for k, v in r.errors.items()}
    if r.drops != 0 or wb_err:
        ok = False
        lines.append(f"well-behaved clients: {r.drops} drops, errors {wb_err or 0}")
    else:
        lines.append(f"well-behaved clients: all {r.delivered} deliveries arrived, no errors")
    if baseline is not None and not math.isnan(baseline.p99_ms) and not math.isnan(r.p99_ms):
        bound = max(2 * baseline.p99_ms, baseline.p99_ms + 25.0)
        within = r.p99_ms <= bound
        ok &= within
        lines.append(
            f"well-behaved p99 {r.p99_ms:.1f} ms with abusers vs {baseline.p99_ms:.1f} ms without "
            f"(bound {bound:.1f} ms): {'within' if within else 'OUTSIDE'}"
        )
    for i, a in sorted(r.extra.get("abusers", {}).items(), key=lambda kv: int(kv[0])):
        acks = a.get("acks", {})
        errs = {k: v for k, v in acks.items() if k != "ok"}
        stopped = bool(errs) or a.get("disconnected")
        ok &= bool(stopped)
        disc = (
            f"disconnected ({a.get('disconnect_reason')})"
            if a.get("disconnected")
            else "still connected"
        )
        lines.append(
            f"abuser {i} ({a.get('kind')}): accepted {acks.get('ok', 0)}, refused {errs or 0}, "
            f"unanswered {a.get('no_ack', 0)}, {disc} -> "
            f"{'contained' if stopped else 'NOT CONTAINED'}"
        )
    lines.append(
        "abusers' accepted messages delivered to well-behaved clients: "
        f"{r.extra.get('abuse_delivered', 0)}"
    )
    return ok, lines


def machine_info() -> dict[str, str]:
    info = {
        "cpu": platform.processor() or "?",
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory"] = f"{int(mem) / 2**20:.0f} GiB"
    except OSError:
        pass
    try:
        info["node"] = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["node"] = "missing"
    info["kernel"] = platform.release()
    return info


def load_snapshot() -> str:
    try:
        la = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        la = ["?"] * 3
    return f"load average {' '.join(la)}"


def plot(sweep: dict[str, list[RunResult]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 5.2), dpi=110)
    styles = {"tandem": "tab:red", "reference": "tab:blue", "bare": "tab:gray"}
    for target, runs in sweep.items():
        runs = sorted(runs, key=lambda r: r.offered_deliveries_per_s)
        xs = [r.offered_deliveries_per_s for r in runs]
        for q, ls, mk in (("p50_ms", ":", "o"), ("p90_ms", "--", "s"), ("p99_ms", "-", "^")):
            ys = [getattr(r, q) for r in runs]
            ax.plot(xs, ys, ls, marker=mk, color=styles.get(target), label=f"{target} {q[:3]}")
        for r in runs:
            if not r.valid:
                ax.annotate("gen sat.", (r.offered_deliveries_per_s, r.p99_ms), fontsize=7)
            elif r.drops > 0:
                ax.annotate("backlog", (r.offered_deliveries_per_s, r.p99_ms), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offered load (deliveries per second)")
    ax.set_ylabel("end-to-end delivery latency (ms)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def results_md(
    sections: list[tuple[str, str]],
    command: str,
    machine: dict[str, str],
    load_before: str,
    load_after: str,
    busy_note: str,
    picture: str | None,
) -> str:
    out = [
        "# Load-test results",
        "",
        "Generated by `load_tests` (do not edit by hand: rerun the command below).",
        "",
        f"Command: `{command}`",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()) + ".",
        "",
        f"Load on the machine: {load_before} before the runs, {load_after} after. {busy_note}",
        "",
    ]
    for title, body in sections:
        out += [f"## {title}", "", body.rstrip(), ""]
    if picture:
        out += [
            "## Latency against offered load",
            "",
            f"![latency percentiles against offered load]({picture})",
            "",
        ]
    return "\n".join(out) + "\n"
