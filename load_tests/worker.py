"""Load-generator worker process: holds a share of the clients and drives one scenario.

Run by the coordinator (``load_tests.runner``) as ``python -m load_tests.worker``; they talk in JSON
lines over stdin/stdout (the messages are in ``messages.py``):

1. coordinator -> worker: ``WorkerSpec`` (url, scenario kind and parameters, this worker's clients);
2. worker: connects and joins its clients (except in the join storm), then sends ``Ready`` with the
   participant ids it got;
3. coordinator -> worker: ``Go`` (the wall-clock start and every worker's participant ids);
4. worker: drives the scenario until ``start_at + warmup + duration``, waits for the deliveries to
   drain, writes its latency samples (int64 microseconds) to ``lat_path`` and sends ``Done`` with
   its counts;
5. coordinator -> worker: ``Close``; the worker closes its connections, sends ``Closed`` and exits.

Every event carries its send time in a tag (``tags.py``) inside the part of the payload the server
passes through; the bad traffic of abusive clients is in ``abuse.py``.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import os
import random
import sys
import time
import traceback
from array import array
from collections import Counter
from collections.abc import Iterator
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from .abuse import drive
from .messages import (
    AbuserReport,
    ClientPlan,
    Close,
    Closed,
    Done,
    Go,
    Message,
    Ready,
    WorkerSpec,
    decode,
    encode,
)
from .sioclient import Client, ConnectRefused
from .stats import percentile
from .tags import pad, parse_tag, raw_chat_tag, tag

time_ns = time.time_ns
perf = time.perf_counter


def _code(ack: Any) -> str:
    """A short code for an acknowledgement: 'ok' or the error code."""
    if isinstance(ack, dict):
        if ack.get("ok") is True:
            return "ok"
        err = ack.get("error")
        if isinstance(err, dict) and isinstance(err.get("code"), str):
            return err["code"]
        return "error"
    return "bad_ack"



# Clients per loopback source address: real clients come from many addresses, and Tandem caps
# the connections open at once from one address (``connections_per_address``, 100).
CLIENTS_PER_ADDRESS = 50


def source_address(url: str, i: int) -> str | None:
    """The loopback address client ``i`` connects from (127.0.0.1, .2, ... in blocks of
    ``CLIENTS_PER_ADDRESS``), or None (the system's choice) for a server not on loopback."""
    if urlsplit(url).hostname != "127.0.0.1":
        return None
    block = i // CLIENTS_PER_ADDRESS
    return f"127.0.{block // 250}.{1 + block % 250}"

class Worker:
    def __init__(self, spec: WorkerSpec):
        self.spec = spec
        self.url = spec.url
        self.kind = spec.kind
        self.event = spec.event
        self.chat_ids = spec.chat_ids
        self.payload = spec.payload
        self.plans = spec.clients
        self.clients: dict[int, Client] = {}
        self.plan_of = {c.i: c for c in self.plans}
        self.room_of = {c.i: c.room for c in self.plans}
        self.abusers = {c.i for c in self.plans if c.role == "abuser"}
        self.ids: dict[int, str] = {}  # global client index -> participant id
        self.ids_all: dict[str, str] = {}  # every worker's, from Go
        self.joined_rooms: Counter[str] = Counter()  # room -> well-behaved clients joined here
        self.errors: Counter[str] = Counter()  # well-behaved errors by code
        self.abuse: dict[int, AbuserReport] = {}
        self.abuse_acks: dict[int, Counter[str]] = {}
        # measurement
        self.lat = array("q")
        # well-behaved deliveries (m + w) at well-behaved receivers
        self.recv_by_room: Counter[str] = Counter()
        # acked-ok events (m + w) by room, chat-like fan-out
        self.not_refused_by_room: Counter[str] = Counter()
        self.signals_not_refused = 0
        self.sent_measured = 0
        self.sent_measured_ok = 0
        self.sent_measured_refused = 0
        self.sent_total = 0
        self.recv_measured = 0
        self.recv_in_window = 0  # deliveries received during the measured window, any event
        self.abuse_delivered = 0
        self.other_events: Counter[str] = Counter()
        self.unexpected_disconnects = 0
        self.send_lag = array("d")
        self.loop_lag = array("d")
        self.pair_done: dict[str, float] = {}
        self.pair_recv: Counter[str] = Counter()
        self.pair_t0: dict[str, int] = {}
        self.join_lat = array("d")
        self.pj_lat = array("q")
        self.ack_lat = array("d")
        self.running = False
        self.measure_from_ns = 0
        self.measure_to_ns = 0
        self.last_recv = time_ns()
        self.bg: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------------- receive path

    def on_event(self, c: Client, name: str, data: Any) -> None:
        self.last_recv = now = time_ns()
        i = c.tag
        if name == "chat":
            try:
                text = data["message"]["text"]
            except (TypeError, KeyError):
                self.other_events["chat_malformed"] += 1
                return
            self._delivery(i, text, now, self.plan_of[i].room)
        elif name == "signal":
            self._on_signal(c, data, now)
        elif name == "participant_joined":
            self._on_participant_joined(i, data, now)
        elif name == "__disconnect__":
            pass
        else:
            self.other_events[name] += 1

    def _on_participant_joined(self, i: int, data: Any, now: int) -> None:
        self.other_events["participant_joined"] += 1
        if i in self.abusers:
            return
        room = self.plan_of[i].room
        self.recv_by_room[room] += 1 if self.kind == "join-storm" else 0
        if self.kind == "join-storm":
            try:
                t = parse_tag(data["participant"]["name"])
            except (TypeError, KeyError):
                t = None
            if t is not None:
                self.pj_lat.append((now - t[0]) // 1000)
            if self.measure_from_ns <= now < self.measure_to_ns:
                self.recv_in_window += 1

    def on_raw(self, c: Client, payload: bytes) -> bool:
        t = raw_chat_tag(payload)
        if t is None:
            return False
        self.last_recv = now = time_ns()
        i = c.tag
        self._tagged(i, t, now, self.room_of[i])
        return True

    def _delivery(self, i: int, s: Any, now: int, room: str) -> None:
        t = parse_tag(s)
        if t is None:
            if i not in self.abusers:
                self.other_events["untagged"] += 1
            return
        self._tagged(i, t, now, room)

    def _tagged(self, i: int, t: tuple[int, str], now: int, room: str) -> None:
        if i in self.abusers:
            return
        ts, flag = t
        if flag == "x":
            self.abuse_delivered += 1
            return
        self.recv_by_room[room] += 1
        if self.measure_from_ns <= now < self.measure_to_ns:
            self.recv_in_window += 1
        if flag == "m":
            self.recv_measured += 1
            self.lat.append((now - ts) // 1000)

    def _on_signal(self, c: Client, data: Any, now: int) -> None:
        i = c.tag
        if not isinstance(data, dict):
            self.other_events["signal_malformed"] += 1
            return
        desc = data.get("description")
        cand = data.get("candidate")
        s = (
            desc.get("sdp")
            if isinstance(desc, dict)
            else (cand.get("candidate") if isinstance(cand, dict) else None)
        )
        plan = self.plan_of[i]
        pair = plan.room
        self._delivery(i, s, now, pair)
        t = parse_tag(s)
        if t is None or t[1] == "x":
            return
        if isinstance(desc, dict) and desc.get("type") == "offer" and plan.role == "answerer":
            self.pair_t0[pair] = t[0]
            task = asyncio.get_running_loop().create_task(self._answer(c, data.get("from")))
            self.bg.add(task)
            task.add_done_callback(self.bg.discard)
        key = f"{pair}/{plan.role}"
        self.pair_recv[key] += 1
        if self.pair_recv[key] == 1 + self.spec.candidates and pair in self.pair_t0:
            self.pair_done[key] = (now - self.pair_t0[pair]) / 1e6

    # ----------------------------------------------------------------- send path

    def _flag(self) -> str:
        return "w" if time_ns() < self.measure_from_ns else "m"

    def _on_ack(self, room: str | None, measured: bool, sent: float | None, ack: Any) -> None:
        """Sent events count as expected to be delivered unless refused: an acknowledgement that
        never comes (an overloaded server) is an error of its own, not a reason to expect less.
        ``sent``: when a chat-like event was sent, for its acknowledgement's latency."""
        code = _code(ack)
        if code == "ok":
            if measured:
                self.sent_measured_ok += 1
                if sent is not None:
                    self.ack_lat.append(perf() - sent)
            return
        self.errors[f"ack:{code}"] += 1
        if room is None:
            self.signals_not_refused -= 1
        else:
            self.not_refused_by_room[room] -= 1
        if measured:
            self.sent_measured_refused += 1

    async def _send_chat(self, c: Client, room: str, seq: int) -> None:
        flag = self._flag()
        measured = flag == "m"
        text = pad(tag(flag, c.tag, seq), self.payload)
        self.sent_total += 1
        self.not_refused_by_room[room] += 1
        if measured:
            self.sent_measured += 1
        payload = {"text": text}
        if self.chat_ids:  # as the page does: its own prefix, then a count
            payload["client_id"] = f"lt{c.tag:08d}-{seq}"
        await c.emit(self.event, payload, partial(self._on_ack, room, measured, perf()))

    async def _send_signal(self, c: Client, to: str, seq: int, body: dict[str, Any]) -> None:
        flag = self._flag()
        measured = flag == "m"
        self.sent_total += 1
        self.signals_not_refused += 1
        if measured:
            self.sent_measured += 1
        await c.emit("signal", {"to": to, **body}, partial(self._on_ack, None, measured, None))

    async def _signals(self, c: Client, to: str, kind: str) -> None:
        """A description of type ``kind`` (offer or answer), then the ICE candidates."""
        seq = 0
        first = {
            "description": {
                "type": kind,
                "sdp": pad(tag(self._flag(), c.tag, seq) + "v=0 ", self.spec.sdp_bytes),
            }
        }
        await self._send_signal(c, to, seq, first)
        for k in range(self.spec.candidates):
            seq += 1
            cand = {
                "candidate": f"candidate:{k} 1 udp 2122260223 127.0.0.1 {50000 + k} typ host "
                + tag(self._flag(), c.tag, seq),
                "sdpMid": "0",
                "sdpMLineIndex": 0,
                "usernameFragment": "ltfr",
            }
            await self._send_signal(c, to, seq, {"candidate": cand})

    async def _answer(self, c: Client, to: Any) -> None:
        if not isinstance(to, str):
            return
        try:
            await self._signals(c, to, "answer")
        except Exception as exc:  # noqa: BLE001
            self.errors[f"send:{type(exc).__name__}"] += 1

    # ----------------------------------------------------------------- setup

    def _on_close(self, c: Client) -> None:
        if self.running and c.tag not in self.abusers:
            self.unexpected_disconnects += 1
            self.errors[f"disconnected:{c.close_reason}"] += 1
        if c.tag in self.abuse:
            a = self.abuse[c.tag]
            a["disconnected"] = True
            a["disconnect_reason"] = c.close_reason

    async def _connect_join(self, plan: ClientPlan, join_name: str | None = None) -> float | None:
        """Connects and joins one client; returns the join latency in seconds, or None on
        failure."""
        i = plan.i
        c = Client(self.url, None, self.on_event, self._on_close, tag=i, on_raw=self.on_raw,
                   source=source_address(self.url, i))
        t0 = perf()
        try:
            await c.connect(plan.auth, timeout=30.0)
        except ConnectRefused as exc:
            self.errors[f"connect:{_refusal_code(exc)}"] += 1
            return None
        except Exception as exc:  # noqa: BLE001
            self.errors[f"connect:{type(exc).__name__}"] += 1
            return None
        self.clients[i] = c
        join = dict(plan.join)
        if join_name is not None:
            join["name"] = join_name
        try:
            ack = await c.call("join", join, timeout=30.0)
        except Exception as exc:  # noqa: BLE001
            self.errors[f"join:{type(exc).__name__}"] += 1
            return None
        code = _code(ack)
        if code != "ok":
            self.errors[f"join:{code}"] += 1
            return None
        self.ids[i] = ack["participant"]["id"]
        if plan.role != "abuser":
            self.joined_rooms[plan.room] += 1
        return perf() - t0

    async def setup(self) -> None:
        sem = asyncio.Semaphore(self.spec.join_concurrency)

        async def one(plan: ClientPlan) -> None:
            async with sem:
                await self._connect_join(plan)

        if self.kind != "join-storm":
            await asyncio.gather(*(one(plan) for plan in self.plans))
        for plan in self.plans:
            if plan.role == "abuser":
                self.abuse_acks[plan.i] = Counter()
                self.abuse[plan.i] = AbuserReport(
                    kind=plan.abuse, acks={}, no_ack=0, disconnected=False,
                    disconnect_reason=None, joined=plan.i in self.ids,
                )

    # ----------------------------------------------------------------- run

    async def _loop_lag(self, until: float) -> None:
        while perf() < until:
            t = perf()
            await asyncio.sleep(0.01)
            self.loop_lag.append(perf() - t - 0.01)

    async def _sleep_until_wall(self, wall_ns: int) -> None:
        d = (wall_ns - time_ns()) / 1e9
        if d > 0:
            await asyncio.sleep(d)

    async def _run_senders(self, start_ns: int, end_ns: int) -> None:
        """Chat-like senders at a fixed rate each, random phase, one heap-driven loop."""
        period_ns = int(1e9 / self.spec.rate)
        heap: list[tuple[int, int, int]] = []
        rng = random.Random(self.spec.seed)
        for plan in self.plans:
            if plan.role == "sender" and plan.i in self.ids:
                heapq.heappush(heap, (start_ns + rng.randrange(period_ns), plan.i, 0))
        while heap:
            due, i, seq = heap[0]
            if due >= end_ns:
                break
            now = time_ns()
            if due > now:
                await asyncio.sleep(min((due - now) / 1e9, 0.05))
                continue
            heapq.heappop(heap)
            c = self.clients[i]
            if not c.closed:
                self.send_lag.append((now - due) / 1e9)
                try:
                    await self._send_chat(c, self.plan_of[i].room, seq)
                except Exception as exc:  # noqa: BLE001
                    self.errors[f"send:{type(exc).__name__}"] += 1
            heapq.heappush(heap, (due + period_ns, i, seq + 1))

    async def _run_pairs(self, start_ns: int) -> None:
        offerers = [p for p in self.plans if p.role == "offerer" and p.i in self.ids]
        starts = sorted(
            ((start_ns + int(p.at * 1e9), p.i, p) for p in offerers), key=lambda s: s[:2]
        )
        tasks = []
        for due, i, plan in starts:
            now = time_ns()
            if due > now:
                await asyncio.sleep((due - now) / 1e9)
            self.send_lag.append((time_ns() - due) / 1e9)
            to = self.ids_all.get(str(plan.peer))
            if to is None:
                self.errors["pair:peer_missing"] += 1
                continue
            self.pair_t0[plan.room] = time_ns()
            tasks.append(asyncio.ensure_future(self._signals(self.clients[i], to, "offer")))
        if tasks:
            for r in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(r, Exception):
                    self.errors[f"send:{type(r).__name__}"] += 1

    async def _run_storm(self, start_ns: int) -> None:
        tasks = []
        for plan in sorted(self.plans, key=lambda p: p.at):
            due = start_ns + int(plan.at * 1e9)
            now = time_ns()
            if due > now:
                await asyncio.sleep((due - now) / 1e9)
            self.send_lag.append((time_ns() - due) / 1e9)
            name = f"c{plan.i} " + tag("m", plan.i, 0)
            tasks.append(asyncio.ensure_future(self._storm_one(plan, name)))
        await asyncio.gather(*tasks)

    async def _storm_one(self, plan: ClientPlan, name: str) -> None:
        self.sent_total += 1
        self.sent_measured += 1
        d = await self._connect_join(plan, join_name=name)
        if d is not None:
            self.join_lat.append(d)
            self.sent_measured_ok += 1

    async def run(self, start_at: float, ids_all: dict[str, str]) -> Done:
        self.ids_all = ids_all
        duration, warmup = self.spec.duration, self.spec.warmup
        start_ns = int(start_at * 1e9)
        self.measure_from_ns = start_ns + int(warmup * 1e9)
        end_ns = self.measure_to_ns = self.measure_from_ns + int(duration * 1e9)
        gc.collect()
        gc.freeze()
        await self._sleep_until_wall(start_ns)
        self.running = True
        lag_task = asyncio.ensure_future(self._loop_lag(perf() + warmup + duration))
        abuse_tasks = [
            asyncio.ensure_future(self._abuse(i, start_ns, end_ns))
            for i in self.abuse
            if i in self.clients
        ]
        if self.kind in ("pairs", "join-storm"):
            await self._sleep_until_wall(self.measure_from_ns)
        cpu0, w0 = time.process_time(), perf()
        await self._drive(start_ns, end_ns)
        await self._sleep_until_wall(end_ns)
        cpu1, w1 = time.process_time(), perf()
        await lag_task
        for t in abuse_tasks:
            t.cancel()
        await asyncio.gather(*abuse_tasks, return_exceptions=True)
        await self._drain()
        drained_s = perf() - w1
        self.running = False
        self._count_unanswered()
        with open(self.spec.lat_path, "wb") as out:
            self.lat.tofile(out)
        return self._done(cpu_s=cpu1 - cpu0, wall_s=w1 - w0, drained_s=drained_s)

    async def _drive(self, start_ns: int, end_ns: int) -> None:
        if self.kind in ("many-rooms", "big-room"):
            await self._run_senders(start_ns, end_ns)
        elif self.kind == "pairs":
            await self._run_pairs(self.measure_from_ns)
        elif self.kind == "join-storm":
            await self._run_storm(self.measure_from_ns)

    def _well_behaved(self) -> Iterator[Client]:
        return (c for i, c in self.clients.items() if i not in self.abusers and not c.closed)

    async def _drain(self) -> None:
        """Waits (at most ``drain`` seconds) until no acknowledgement is pending and nothing has
        arrived for ``quiet`` seconds."""
        drain_deadline = perf() + self.spec.drain
        while perf() < drain_deadline:
            pending = sum(c.pending_acks() for c in self._well_behaved())
            if pending == 0 and time_ns() - self.last_recv >= self.spec.quiet * 1e9:
                break
            await asyncio.sleep(0.05)

    def _count_unanswered(self) -> None:
        for i, a in self.abuse.items():
            c = self.clients.get(i)
            a["no_ack"] = c.pending_acks() if c is not None else 0
        unacked = sum(c.pending_acks() for c in self._well_behaved())
        if unacked:
            self.errors["ack:none_within_drain"] += unacked

    def _done(self, cpu_s: float, wall_s: float, drained_s: float) -> Done:
        return Done(
            cpu_s=cpu_s,
            wall_s=wall_s,
            drained_s=drained_s,
            sent_total=self.sent_total,
            sent_measured=self.sent_measured,
            sent_measured_ok=self.sent_measured_ok,
            sent_measured_refused=self.sent_measured_refused,
            not_refused_by_room=dict(self.not_refused_by_room),
            signals_not_refused=self.signals_not_refused,
            recv_by_room=dict(self.recv_by_room),
            recv_measured=self.recv_measured,
            recv_in_window=self.recv_in_window,
            lat_count=len(self.lat),
            errors=dict(self.errors),
            unexpected_disconnects=self.unexpected_disconnects,
            abuse_delivered=self.abuse_delivered,
            other_events=dict(self.other_events),
            loop_lag_p99=percentile(self.loop_lag, 99, empty=0.0),
            loop_lag_max=max(self.loop_lag, default=0.0),
            send_lag_p99=percentile(self.send_lag, 99, empty=0.0),
            send_lag_max=max(self.send_lag, default=0.0),
            pair_done=self.pair_done,
            join_lat=list(self.join_lat),
            pj_lat=list(self.pj_lat),
            ack_lat=list(self.ack_lat),
            joined_rooms=dict(self.joined_rooms),
            abuse={
                str(i): {**a, "acks": dict(self.abuse_acks[i])} for i, a in self.abuse.items()
            },
        )

    # ----------------------------------------------------------------- abuse

    async def _abuse(self, i: int, start_ns: int, end_ns: int) -> None:
        """One abusive client, from the start until the end of the window (``abuse.drive``)."""
        victim = next(
            (v for k, v in self.ids_all.items() if int(k) != i and int(k) not in self.abusers),
            "nobody",
        )
        acks = self.abuse_acks[i]
        await self._sleep_until_wall(start_ns)
        error = await drive(self.clients[i], i, self.abuse[i]["kind"], victim,
                            lambda ack: acks.update([_code(ack)]), start_ns, end_ns,
                            self.spec.flood_rate)
        if error is not None:
            self.abuse[i]["send_error"] = error

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients.values()), return_exceptions=True)


def _refusal_code(exc: ConnectRefused) -> Any:
    """The error code of a refused CONNECT (Tandem nests it in ``data``), else what came."""
    code = exc.data.get("code") if isinstance(exc.data, dict) else None
    if not code and isinstance(exc.data, dict):
        d = exc.data.get("data")
        code = d.get("code") if isinstance(d, dict) else None
    return code or exc.data


def _write(message: Message) -> None:
    sys.stdout.buffer.write(encode(message))
    sys.stdout.buffer.flush()


async def _main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def read() -> Message:
        line = await reader.readline()
        if not line:
            raise SystemExit(0)
        return decode(line)

    spec = await read()
    if not isinstance(spec, WorkerSpec):
        raise SystemExit(f"load worker: expected WorkerSpec, got {type(spec).__name__}")
    gc.set_threshold(50_000, 50, 100)
    w = Worker(spec)
    t0 = perf()
    await w.setup()
    ids = {str(k): v for k, v in w.ids.items()}
    _write(Ready(setup_s=perf() - t0, ids=ids, joined_rooms=dict(w.joined_rooms),
                 errors=dict(w.errors), pid=os.getpid()))
    command = await read()
    if isinstance(command, Go):
        try:
            result = await w.run(command.start_at, command.ids)
        except Exception as exc:  # noqa: BLE001
            result = Done(crash=traceback.format_exc(), errors={f"worker:{exc!r}": 1})
        _write(result)
        command = await read()
    if not isinstance(command, Close):
        raise SystemExit(f"load worker: expected Close, got {type(command).__name__}")
    await w.close()
    _write(Closed())


def main() -> None:
    try:
        import uvloop  # optional: a faster event loop for the generator (pip install uvloop)
    except ImportError:
        asyncio.run(_main())
    else:
        uvloop.run(_main())


if __name__ == "__main__":
    main()
