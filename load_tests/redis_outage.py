"""Redis away for a while under two Tandem processes with clients chatting: what each client saw,
what the health endpoints said, how long until everything works again, and whether anything
acknowledged was lost.

A ``redis-server`` (append-only file, fsync every second) and two Tandem processes (``--redis``,
each on its own port) run as children of this benchmark; ``--clients`` members in sessions of
``--room-size``, spread over both processes, each send an acknowledged chat ``--rate`` times a
second (``chat_members.py``). After ``--before`` seconds Redis is stopped (SIGTERM) for
``--outage`` seconds, then started again on the same port with the same append-only file;
chatting goes on ``--after`` seconds more. Meanwhile ``/healthz`` and ``/readyz`` of both
processes are asked every ``--probe-every`` seconds.

Prints: per member, what it saw during the outage (acknowledgements refused, by code; chats never
answered; connections dropped: none expected), grouped; what the endpoints answered before,
during and after; from Redis's return, the time until a chat is acknowledged again on each
process, until every member has had one acknowledged, and until a chat acknowledged through one
process is delivered to a member on the other (both ways); and the chats lost (acknowledged before
or after, never received by a member of their session: must be 0).

    python -m load_tests.redis_outage                   # 60 clients, 15 s without Redis
    python -m load_tests.redis_outage --clients 20 --outage 5 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp

from load_tests.chat_members import (
    Cluster,
    Member,
    acked_chats,
    load_average,
    lost,
    make_members,
    now,
    refused_but_delivered,
    settle,
    start_cluster,
    start_members,
)

PATHS = ("/healthz", "/readyz")


@dataclass
class Probe:
    at: float
    server: str
    path: str
    status: str  # the HTTP status, or the error's name


@dataclass
class OutageResult:
    clients: int
    room_size: int
    rate: float
    outage_s: float
    load_before: str
    load_after: str = ""
    redis_stop_s: float = 0.0  # how long stopping Redis took
    redis_start_s: float = 0.0  # restart until it answered PING
    acked_before: int = 0
    acked_during: int = 0
    acked_after: int = 0
    refused_during: dict[str, int] = field(default_factory=dict)
    refused_after: dict[str, int] = field(default_factory=dict)
    unanswered: int = 0
    members_seen: list[str] = field(default_factory=list)  # grouped outcomes during the outage
    drops: int = 0
    drop_reasons: dict[str, int] = field(default_factory=dict)
    endpoints: list[str] = field(default_factory=list)
    readyz_exists: bool = False
    first_ack_after_s: dict[str, float | None] = field(default_factory=dict)  # per process
    every_member_acked_s: float | None = None
    members_never_acked_after: int = 0
    cross_delivery_s: dict[str, float | None] = field(default_factory=dict)
    expected_deliveries: int = 0
    lost: int = 0
    lost_detail: list[str] = field(default_factory=list)
    refused_but_delivered: int = 0
    live_duplicates: int = 0
    posted_twice: int = 0  # chats a member received under two message ids
    ok: bool = False


async def probe_loop(cluster: Cluster, every: float, out: list[Probe], stop: asyncio.Event) -> None:
    timeout = aiohttp.ClientTimeout(total=2.0)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while not stop.is_set():
            for name, url in zip("ab", cluster.urls, strict=False):
                for path in PATHS:
                    at = now()
                    try:
                        async with http.get(url + path) as reply:
                            status = str(reply.status)
                    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                        status = type(exc).__name__
                    out.append(Probe(at, name, path, status))
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass


async def run(a: argparse.Namespace) -> OutageResult:
    with tempfile.TemporaryDirectory(prefix="redis-outage-") as tmp:
        cluster = await start_cluster(Path(tmp))
        members: list[Member] = []
        try:
            members = await make_members(cluster, a.clients, a.room_size, a.rate)
            return await _run(a, cluster, members)
        finally:
            for m in members:
                await m.close()
            cluster.stop()


async def _run(a: argparse.Namespace, cluster: Cluster, members: list[Member]) -> OutageResult:
    res = OutageResult(a.clients, a.room_size, a.rate, a.outage, load_average())
    await start_members(members)
    probes: list[Probe] = []
    stop_probing = asyncio.Event()
    prober = asyncio.ensure_future(probe_loop(cluster, a.probe_every, probes, stop_probing))
    until = now() + a.before + a.outage + a.after
    chatting = [asyncio.ensure_future(m.chat_loop(until)) for m in members]
    print(f"{len(members)} members joined; chatting", file=sys.stderr)
    await asyncio.sleep(a.before)
    t_stop = now()
    await asyncio.to_thread(cluster.redis.stop)
    res.redis_stop_s = now() - t_stop
    print(f"Redis stopped; back in {a.outage:g} s", file=sys.stderr)
    await asyncio.sleep(max(0.0, t_stop + a.outage - now()))
    t_start = now()
    await asyncio.to_thread(cluster.redis.restart)
    t_back = now()
    res.redis_start_s = t_back - t_start
    print("Redis is back", file=sys.stderr)
    await asyncio.gather(*chatting)
    await settle(members)
    stop_probing.set()
    await prober
    res.load_after = load_average()
    _count(res, cluster, members, probes, t_stop, t_back)
    return res


def _count(res: OutageResult, cluster: Cluster, members: list[Member], probes: list[Probe],
           t_stop: float, t_back: float) -> None:
    chats = acked_chats(members)
    res.acked_before = sum(1 for c in chats if c.at < t_stop)
    res.acked_during = sum(1 for c in chats if t_stop <= c.at < t_back)
    res.acked_after = sum(1 for c in chats if c.at >= t_back)
    during: Counter[str] = Counter()
    after: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    drop_reasons: Counter[str] = Counter()
    for m in members:
        mine = Counter(code for at, code in m.refused_at if t_stop <= at < t_back)
        during.update(mine)
        after.update(code for at, code in m.refused_at if at >= t_back)
        acked_mine = sum(1 for c in m.acked if t_stop <= c.at < t_back)
        drops = len(m.drops)
        what = ", ".join(f"{code} x{n}" for code, n in sorted(mine.items())) or "no refusal"
        seen[f"{what}; {acked_mine} acknowledged; {drops} drop(s)"] += 1
        res.unanswered += m.unanswered
        res.live_duplicates += m.live_duplicates
        res.posted_twice += m.posted_twice
        res.drops += drops
        drop_reasons.update(reason for _, reason in m.drops)
    res.refused_during, res.refused_after = dict(during), dict(after)
    res.drop_reasons = dict(drop_reasons)
    res.members_seen = [f"{n} member(s): {what}" for what, n in seen.most_common()]
    # the endpoints
    res.readyz_exists = any(p.path == "/readyz" and p.status != "404" for p in probes)
    for server in "ab":
        for path in PATHS:
            parts = []
            for phase, lo, hi in (("before", float("-inf"), t_stop),
                                  ("during", t_stop, t_back), ("after", t_back, float("inf"))):
                got = Counter(p.status for p in probes
                              if p.server == server and p.path == path and lo <= p.at < hi)
                parts.append(f"{phase} " + (", ".join(f"{s} x{n}" for s, n in sorted(got.items()))
                                            or "none"))
            res.endpoints.append(f"process {server} {path}: " + "; ".join(parts))
    # recovery
    urls = dict(zip(cluster.urls, "ab", strict=False))
    for url, name in urls.items():
        firsts = [c.at - t_back for c in chats if c.at >= t_back and c.server == url]
        res.first_ack_after_s[name] = round(min(firsts), 3) if firsts else None
    per_member: list[float] = []
    for m in members:
        first = [c.at - t_back for c in m.acked if c.at >= t_back]
        if first:
            per_member.append(min(first))
        else:
            res.members_never_acked_after += 1
    res.every_member_acked_s = round(max(per_member), 3) if per_member else None
    for url, name in urls.items():
        other = [m for m in members if m.home != url]
        times = [m.receive_times[c.message_id] - t_back
                 for c in chats if c.at >= t_back and c.server == url
                 for m in other if c.message_id in m.receive_times and m.session == c.session]
        to = "b" if name == "a" else "a"
        res.cross_delivery_s[f"{name} -> {to}"] = round(min(times), 3) if times else None
    # nothing lost
    per_session = Counter(m.session for m in members)
    res.expected_deliveries = sum(per_session[c.session] for c in chats)
    missing = lost(members)
    res.lost = len(missing)
    for chat, m in missing[:20]:
        res.lost_detail.append(
            f"chat {chat.message_id} from member {chat.sender} acked at "
            f"{chat.at - t_stop:+.2f} s from the stop, not received by member {m.index}")
    res.refused_but_delivered = refused_but_delivered(members)
    res.ok = (res.lost == 0 and res.drops == 0 and res.refused_but_delivered == 0
              and res.posted_twice == 0)


def report(r: OutageResult) -> str:
    def s(x: float | None) -> str:
        return "never" if x is None else f"{x:.2f} s"

    lines = [
        f"Redis outage: {r.clients} clients in rooms of {r.room_size} on two Tandem processes, "
        f"each chatting {r.rate:g}/s; Redis stopped for {r.outage_s:g} s (stopping took "
        f"{r.redis_stop_s:.2f} s, starting again {r.redis_start_s:.2f} s)",
        f"  machine: {r.load_before} before, {r.load_after} after",
        f"  chats acknowledged: {r.acked_before} before, {r.acked_during} during, "
        f"{r.acked_after} after; unanswered {r.unanswered}",
        f"  refused during the outage: {r.refused_during or 'none'}; after it: "
        f"{r.refused_after or 'none'}",
        "  what each member saw during the outage:",
        *[f"    {x}" for x in r.members_seen],
        f"  connections dropped: {r.drops} {r.drop_reasons or ''}",
        *[f"  {x}" for x in r.endpoints],
    ]
    if not r.readyz_exists:
        lines.append("  /readyz does not exist on this server (404 throughout): /healthz only")
    lines += [
        "  from Redis's return: first chat acknowledged through "
        + ", ".join(f"{k} {s(v)}" for k, v in r.first_ack_after_s.items())
        + f"; every member had one acknowledged within {s(r.every_member_acked_s)} "
        f"(members never acknowledged after: {r.members_never_acked_after}; each sends every "
        f"{1 / r.rate:.1f} s)",
        "  from Redis's return: first chat acknowledged through one process delivered to a "
        "member on the other: " + ", ".join(f"{k} {s(v)}" for k, v in r.cross_delivery_s.items()),
        f"  events lost: {r.lost} of {r.expected_deliveries} expected deliveries (acknowledged "
        f"chats x members of the session)",
        f"  refused chats delivered all the same: {r.refused_but_delivered}; live duplicates: "
        f"{r.live_duplicates}; chats posted twice: {r.posted_twice}",
        f"  {'OK' if r.ok else 'NOT OK'}",
    ]
    lines += [f"  lost: {d}" for d in r.lost_detail]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m load_tests.redis_outage", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=60)
    p.add_argument("--room-size", type=int, default=10)
    p.add_argument("--rate", type=float, default=1.0, help="chats a second per client")
    p.add_argument("--before", type=float, default=5.0, help="seconds of chat before the outage")
    p.add_argument("--outage", type=float, default=15.0, help="seconds without Redis")
    p.add_argument("--after", type=float, default=15.0, help="seconds of chat after it")
    p.add_argument("--probe-every", type=float, default=0.5,
                   help="seconds between asks of /healthz and /readyz")
    p.add_argument("--json", help="also write the figures here")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    result = asyncio.run(run(a))
    print(report(result))
    if a.json:
        Path(a.json).write_text(json.dumps(asdict(result), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
