"""Failover: one of two Tandem processes sharing their sessions through Redis is killed (SIGKILL)
mid-run; its clients come back through the other by themselves and get what they missed.

A ``redis-server`` and two Tandem processes (``--redis``, each on its own port, the same secret
and admin key) run as children of this benchmark; ``--clients`` members in sessions of
``--room-size`` connect to the two in turn (every session has members on both) and each sends an
acknowledged chat ``--rate`` times a second (``chat_members.py``). After ``--kill-after``
seconds the second process is killed. Each of its members then does what the reference page does:
waits the page's reconnection delay, connects to the servers in turn (the dead one refuses),
``join`` with its ``resume`` credential, ``replay`` from the last position it saw while ``more``,
and goes on chatting. ``--stay-away`` of them do not come back, so that the survivor's
``participant_left`` for them is timed (the others are back before the dead process is reaped, so
nobody is told they left). Chatting stops ``--after`` seconds after the kill.

Prints: the time from the kill until every member of the killed process is back (joined), and
until all have replayed; the events replayed; the chats lost (an acknowledged chat that a member
of its session never received, live or replayed: must be 0); the time until the survivor's
``participant_left`` for those who stayed away; what else the members saw.

    python -m load_tests.failover                       # 160 clients in rooms of 10, 0.5 chat/s
    python -m load_tests.failover --clients 20 --kill-after 3 --after 18 --json out.json
    python -m load_tests.failover --graceful  # SIGTERM: its sockets close once answered
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from load_tests.chat_members import (
    Member,
    acked_chats,
    load_average,
    lost,
    make_members,
    now,
    settle,
    spread,
    start_cluster,
    start_members,
)


@dataclass
class FailoverResult:
    clients: int
    room_size: int
    rate: float
    killed_members: int
    stayed_away: int
    load_before: str
    load_after: str = ""
    stopped_by: str = "SIGKILL"  # or SIGTERM (``--graceful``)
    acked: int = 0
    acked_before_kill: int = 0
    acked_after_kill: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    unanswered: int = 0
    resent: int = 0  # chats whose answer the drop took, sent again once back
    resent_known: int = 0  # of them, posted the first time (answered with a message received)
    never_resent: int = 0  # such chats still waiting at the end
    posted_twice: int = 0  # chats a member received under two message ids
    drops_seen_s: float | None = None  # kill -> the last of its members saw the drop
    all_back_s: float | None = None
    back_spread: str = ""
    all_replayed_s: float | None = None
    replayed_spread: str = ""
    not_back: int = 0
    rejoin_errors: dict[str, int] = field(default_factory=dict)
    replayed_events: int = 0
    replayed_new: int = 0
    replay_requests: int = 0
    history_gone: int = 0
    replay_errors: dict[str, int] = field(default_factory=dict)
    expected_deliveries: int = 0
    lost: int = 0
    lost_detail: list[str] = field(default_factory=list)
    live_duplicates: int = 0
    left_after_s: list[float] = field(default_factory=list)  # per stay-away member
    left_missing: int = 0
    left_for_returned: int = 0  # participant_left seen for someone who had come back
    drops_elsewhere: int = 0  # members of the surviving process that were dropped
    ok: bool = False


async def run(a: argparse.Namespace) -> FailoverResult:
    with tempfile.TemporaryDirectory(prefix="failover-") as tmp:
        cluster = await start_cluster(Path(tmp))
        members: list[Member] = []
        try:
            members = await make_members(cluster, a.clients, a.room_size, a.rate)
            second = cluster.servers[1]
            stop = second.kill if not a.graceful else (
                lambda: second.process.send_signal(signal.SIGTERM))  # it exits by itself
            return await _run(a, stop, cluster.urls[1], members)
        finally:
            for m in members:
                await m.close()
            cluster.stop()


async def _run(a: argparse.Namespace, kill: Any, killed_url: str,
               members: list[Member]) -> FailoverResult:
    res = FailoverResult(a.clients, a.room_size, a.rate, 0, 0, load_average(),
                         stopped_by="SIGTERM" if a.graceful else "SIGKILL")
    victims = [m for m in members if m.home == killed_url]
    # those who stay away: one each in the first sessions that have a member there
    away: list[Member] = []
    for m in victims:
        if len(away) < a.stay_away and all(x.session != m.session for x in away):
            m.reconnect = False
            away.append(m)
    returning = [m for m in victims if m.reconnect]
    res.killed_members, res.stayed_away = len(victims), len(away)
    await start_members(members)
    print(f"{len(members)} members joined ({len(victims)} on the process to be killed); "
          f"chatting", file=sys.stderr)
    until = now() + a.kill_after + a.after
    chatting = [asyncio.ensure_future(m.chat_loop(until)) for m in members]
    await asyncio.sleep(a.kill_after)
    t_kill = now()
    kill()
    print("killed the second process", file=sys.stderr)
    await asyncio.gather(*chatting)
    await settle(members)
    # the last of the returning members may still be on its way back
    deadline = now() + 20
    while now() < deadline and any(not m.replayed_at for m in returning):
        await asyncio.sleep(0.2)
    await settle(members)
    res.load_after = load_average()
    _count(res, members, victims, returning, away, t_kill)
    return res


def _count(res: FailoverResult, members: list[Member], victims: list[Member],
           returning: list[Member], away: list[Member], t_kill: float) -> None:
    chats = acked_chats(members)
    res.acked = len(chats)
    res.acked_before_kill = sum(1 for c in chats if c.at < t_kill)
    res.acked_after_kill = res.acked - res.acked_before_kill
    refused: Counter[str] = Counter()
    for m in members:
        refused.update(m.refused)
        res.unanswered += m.unanswered
        res.resent += m.resent
        res.resent_known += m.resent_known
        res.never_resent += len(m.unsent)
        res.posted_twice += m.posted_twice
        res.live_duplicates += m.live_duplicates
    res.refused = dict(refused)
    victim_ids = {m.index for m in victims}
    drops = [m.drops[0][0] - t_kill for m in victims if m.drops]
    res.drops_seen_s = max(drops) if len(drops) == len(victims) else None
    res.drops_elsewhere = sum(1 for m in members if m.index not in victim_ids and m.drops)
    backs = [m.backs[0] - t_kill for m in returning if m.backs]
    replayed = [m.replayed_at[0] - t_kill for m in returning if m.replayed_at]
    res.not_back = len(returning) - len(backs)
    res.all_back_s = max(backs) if backs and not res.not_back else None
    res.all_replayed_s = max(replayed) if len(replayed) == len(returning) and replayed else None
    res.back_spread, res.replayed_spread = spread(backs), spread(replayed)
    errors: Counter[str] = Counter()
    replay_errors: Counter[str] = Counter()
    for m in returning:
        errors.update(m.rejoin_errors)
        replay_errors.update(m.replay_errors)
        res.replayed_events += m.replayed_events
        res.replayed_new += m.replayed_new
        res.replay_requests += m.replays
        res.history_gone += m.history_gone
    res.rejoin_errors, res.replay_errors = dict(errors), dict(replay_errors)
    counted = {m.index for m in members} - {m.index for m in away}
    per_session = Counter(m.session for m in members if m.index in counted)
    res.expected_deliveries = sum(per_session[c.session] for c in chats)
    missing = lost(members, counted)
    res.lost = len(missing)
    for chat, m in missing[:20]:
        res.lost_detail.append(
            f"chat {chat.message_id} from member {chat.sender} (on {chat.server}) acked at "
            f"kill{chat.at - t_kill:+.2f} s, not received by member {m.index} (home {m.home}, "
            f"drops {len(m.drops)}, back {m.backs[0] - t_kill if m.backs else None})")
    # participant_left, as the survivor's members saw it
    first_left: dict[str, float] = {}
    for m in members:
        if m.index in victim_ids:
            continue
        for at, pid in m.left_seen:
            first_left[pid] = min(at, first_left.get(pid, at))
    for m in away:
        if m.participant_id in first_left:
            res.left_after_s.append(round(first_left[m.participant_id] - t_kill, 2))
        else:
            res.left_missing += 1
    for m in returning:
        if m.backs and first_left.get(m.participant_id, 0) > m.backs[0]:
            res.left_for_returned += 1
    res.ok = (res.lost == 0 and res.not_back == 0 and res.left_missing == 0
              and res.left_for_returned == 0 and res.posted_twice == 0
              and res.never_resent == 0)


def report(r: FailoverResult) -> str:
    def s(x: float | None) -> str:
        return "never" if x is None else f"{x:.2f} s"

    lines = [
        f"failover: {r.clients} clients in rooms of {r.room_size}, each chatting {r.rate:g}/s, "
        f"on two Tandem processes and one Redis; the second process sent {r.stopped_by} mid-run "
        f"({r.killed_members} of its members, {r.stayed_away} of them staying away)",
        f"  machine: {r.load_before} before, {r.load_after} after",
        f"  chats acknowledged: {r.acked} ({r.acked_before_kill} before the kill, "
        f"{r.acked_after_kill} after); refused {r.refused or 'none'}; unanswered "
        f"{r.unanswered}",
        f"  chats whose answer the drop took, sent again (same client_id) once back: "
        f"{r.resent} ({r.resent_known} of them posted the first time); still unsent at the "
        f"end: {r.never_resent}; chats posted twice (a text received under two message ids): "
        f"{r.posted_twice}",
        f"  kill -> every member of the killed process saw its connection drop: "
        f"{s(r.drops_seen_s)}",
        f"  kill -> every returning member back (joined through the survivor): "
        f"{s(r.all_back_s)} ({r.back_spread}); not back: {r.not_back}",
        f"  kill -> every returning member replayed: {s(r.all_replayed_s)} "
        f"({r.replayed_spread})",
        f"  failed attempts on the way back: {r.rejoin_errors or 'none'}",
        f"  replay: {r.replay_requests} requests, {r.replayed_events} events replayed, "
        f"{r.replayed_new} of them chats not received live; history_gone {r.history_gone}; "
        f"other refusals {r.replay_errors or 'none'}",
        f"  events lost: {r.lost} of {r.expected_deliveries} expected deliveries "
        f"(acknowledged chats x members of the session, those staying away left out)",
        f"  live duplicates (a position received twice live): {r.live_duplicates}",
        f"  kill -> survivor's participant_left for those who stayed away: "
        f"{', '.join(f'{x:.2f} s' for x in r.left_after_s) or 'none'}"
        f"{f'; never for {r.left_missing}' if r.left_missing else ''}",
        f"  participant_left for members who had come back: {r.left_for_returned}; "
        f"members of the surviving process dropped: {r.drops_elsewhere}",
        f"  {'OK' if r.ok else 'NOT OK'}",
    ]
    lines += [f"  lost: {d}" for d in r.lost_detail]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m load_tests.failover", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=160)
    p.add_argument("--room-size", type=int, default=10)
    p.add_argument("--rate", type=float, default=0.5, help="chats a second per client")
    p.add_argument("--kill-after", type=float, default=8.0, help="seconds of chat before the kill")
    p.add_argument("--graceful", action="store_true",
                   help="stop the second process with SIGTERM (a graceful stop) instead of SIGKILL")
    p.add_argument("--after", type=float, default=22.0,
                   help="seconds of chat after the kill (the dead process is reaped 5-15 s "
                   "after it)")
    p.add_argument("--stay-away", type=int, default=3,
                   help="members of the killed process that do not come back")
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
