"""Load-generator worker process: holds a share of the clients and drives one scenario.

Run by the coordinator (``load_tests.runner``) as ``python -m load_tests.worker``; they talk in JSON
lines over stdin/stdout:

1. coordinator -> worker: the spec (url, scenario kind and parameters, this worker's clients);
2. worker: connects and joins its clients (except in the join storm), then prints
   ``{"phase": "ready", ...}`` with the participant ids it got;
3. coordinator -> worker: ``{"cmd": "go", "start_at": <wall clock>, "ids": {...}}``;
4. worker: drives the scenario until ``start_at + warmup + duration``, waits for the deliveries to
   drain, writes its latency samples (int64 microseconds) to ``lat_path`` and prints
   ``{"phase": "done", ...}`` with its counts;
5. coordinator -> worker: ``{"cmd": "close"}``; the worker closes its connections and exits.

Every event carries its send time inside the part of the payload the server passes through (chat
text, SDP, ICE candidate string, display name): ``LT|<time.time_ns()>|<flag>|<sender>|<seq>|``, read
back on receipt with the same clock (all processes run on one machine). Flags: ``m`` measured,
``w`` warm-up (counted for drops, not for latency or rates), ``x`` sent by an abuser.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import json
import os
import random
import re
import sys
import time
from array import array
from collections import Counter
from functools import partial
from typing import Any

from .sioclient import Client, ConnectRefused

time_ns = time.time_ns
perf = time.perf_counter


def tag(flag: str, sender: int, seq: int) -> str:
    return f"LT|{time_ns()}|{flag}|{sender}|{seq}|"


# How an EVENT packet whose event is "chat" begins in msgpack, as python-socketio and the Node
# reference (socket.io-msgpack-parser) both encode it: {"type": 2, "data": ["chat", ...], ...}.
# Any other encoding takes the decoding path.
RAW_CHAT_EVENT = b"\x83\xa4type\x02\xa4data\x92\xa4chat"


def raw_chat_tag(payload: bytes) -> tuple[int, str] | None:
    """(send time ns, flag) of a chat EVENT packet that carries exactly one tag, read from its
    msgpack bytes without decoding them; None when the packet is anything else."""
    if not payload.startswith(RAW_CHAT_EVENT):
        return None
    m = _RAW_TAG.search(payload)
    if m is None or payload.find(b"LT|", m.end()) >= 0:
        return None
    return int(m[1]), _FLAGS[m[2]]


_RAW_TAG = re.compile(rb"LT\|(\d+)\|([a-z])\|")
_FLAGS = {bytes([c]): chr(c) for c in range(ord("a"), ord("z") + 1)}


def parse_tag(s: Any) -> tuple[int, str] | None:
    """Returns (send time ns, flag) from a string that contains a tag, or None."""
    if not isinstance(s, str):
        return None
    k = s.find("LT|")
    if k < 0:
        return None
    parts = s[k:].split("|", 3)
    if len(parts) < 3:
        return None
    try:
        return int(parts[1]), parts[2]
    except ValueError:
        return None


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


class Worker:
    def __init__(self, spec: dict):
        self.spec = spec
        self.url: str = spec["url"]
        self.kind: str = spec["kind"]
        self.event: str = spec.get("event", "chat")
        self.payload: int = int(spec.get("payload", 100))
        self.clients_spec: list[dict] = spec["clients"]
        self.clients: dict[int, Client] = {}
        self.client_spec_by_i = {c["i"]: c for c in self.clients_spec}
        self.room_of = {c["i"]: c.get("room") for c in self.clients_spec}
        self.abusers = {c["i"] for c in self.clients_spec if c["role"] == "abuser"}
        self.ids: dict[int, str] = {}  # global client index -> participant id
        self.joined_rooms: Counter = Counter()  # room -> well-behaved clients joined here
        self.errors: Counter = Counter()  # well-behaved errors by code
        self.abuse: dict[int, dict] = {}
        # measurement
        self.lat = array("q")
        self.recv_by_room: Counter = (
            Counter()
        )  # well-behaved deliveries (m + w) at well-behaved receivers
        self.not_refused_by_room: Counter = (
            Counter()
        )  # acked-ok events (m + w) by room, chat-like fan-out
        self.signals_not_refused = 0
        self.sent_measured = 0
        self.sent_measured_ok = 0
        self.sent_measured_refused = 0
        self.sent_total = 0
        self.recv_measured = 0
        self.recv_in_window = 0  # deliveries received during the measured window, any event
        self.abuse_delivered = 0
        self.other_events: Counter = Counter()
        self.unexpected_disconnects = 0
        self.send_lag = array("d")
        self.loop_lag = array("d")
        self.pair_done: dict[str, float] = {}
        self.pair_recv: Counter = Counter()
        self.pair_t0: dict[str, int] = {}
        self.join_lat = array("d")
        self.pj_lat = array("q")
        self.running = False
        self.measure_from_ns = 0
        self.measure_to_ns = 0
        self.last_recv = time_ns()
        self.bg: set[asyncio.Task] = set()

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
            self._delivery(i, text, now, self.client_spec_by_i[i]["room"])
        elif name == "signal":
            self._on_signal(c, data, now)
        elif name == "participant_joined":
            self.other_events[name] += 1
            if i in self.abusers:
                return
            room = self.client_spec_by_i[i]["room"]
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
        elif name == "__disconnect__":
            pass
        else:
            self.other_events[name] += 1

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
        spec = self.client_spec_by_i[i]
        pair = spec["room"]
        self._delivery(i, s, now, pair)
        t = parse_tag(s)
        if t is None or t[1] == "x":
            return
        if isinstance(desc, dict) and desc.get("type") == "offer" and spec["role"] == "answerer":
            self.pair_t0[pair] = t[0]
            task = asyncio.get_running_loop().create_task(self._answer(c, data.get("from")))
            self.bg.add(task)
            task.add_done_callback(self.bg.discard)
        key = f"{pair}/{spec['role']}"
        self.pair_recv[key] += 1
        if self.pair_recv[key] == 1 + int(self.spec.get("candidates", 10)) and pair in self.pair_t0:
            self.pair_done[key] = (now - self.pair_t0[pair]) / 1e6

    # ----------------------------------------------------------------- send path

    def _flag(self) -> str:
        return "w" if time_ns() < self.measure_from_ns else "m"

    def _on_ack(self, room: str | None, measured: bool, ack: Any) -> None:
        """Sent events count as expected to be delivered unless refused: an acknowledgement that
        never comes (an overloaded server) is an error of its own, not a reason to expect less."""
        code = _code(ack)
        if code == "ok":
            if measured:
                self.sent_measured_ok += 1
            return
        self.errors[f"ack:{code}"] += 1
        if room is None:
            self.signals_not_refused -= 1
        else:
            self.not_refused_by_room[room] -= 1
        if measured:
            self.sent_measured_refused += 1

    def _pad(self, s: str, size: int) -> str:
        return s + "x" * max(0, size - len(s))

    async def _send_chat(self, c: Client, room: str, seq: int) -> None:
        flag = self._flag()
        measured = flag == "m"
        text = self._pad(tag(flag, c.tag, seq), self.payload)
        self.sent_total += 1
        self.not_refused_by_room[room] += 1
        if measured:
            self.sent_measured += 1
        await c.emit(self.event, {"text": text}, partial(self._on_ack, room, measured))

    async def _send_signal(self, c: Client, to: str, seq: int, body: dict) -> None:
        flag = self._flag()
        measured = flag == "m"
        self.sent_total += 1
        self.signals_not_refused += 1
        if measured:
            self.sent_measured += 1
        await c.emit("signal", {"to": to, **body}, partial(self._on_ack, None, measured))

    async def _signals(self, c: Client, to: str, first: dict) -> None:
        n = int(self.spec.get("candidates", 10))
        sdp_bytes = int(self.spec.get("sdp_bytes", 2000))
        seq = 0
        first = {
            "description": {
                "type": first["type"],
                "sdp": self._pad(tag(self._flag(), c.tag, seq) + "v=0 ", sdp_bytes),
            }
        }
        await self._send_signal(c, to, seq, first)
        for k in range(n):
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
            await self._signals(c, to, {"type": "answer"})
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

    async def _connect_join(self, cs: dict, join_name: str | None = None) -> float | None:
        """Connects and joins one client; returns the join latency in seconds, or None on
        failure."""
        i = cs["i"]
        c = Client(self.url, None, self.on_event, self._on_close, tag=i, on_raw=self.on_raw)
        t0 = perf()
        try:
            await c.connect(cs.get("auth"), timeout=30.0)
        except ConnectRefused as exc:
            code = exc.data.get("code") if isinstance(exc.data, dict) else None
            if not code and isinstance(exc.data, dict):
                d = exc.data.get("data")
                code = d.get("code") if isinstance(d, dict) else None
            self.errors[f"connect:{code or exc.data}"] += 1
            return None
        except Exception as exc:  # noqa: BLE001
            self.errors[f"connect:{type(exc).__name__}"] += 1
            return None
        self.clients[i] = c
        join = dict(cs["join"])
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
        if cs["role"] != "abuser":
            self.joined_rooms[cs["room"]] += 1
        return perf() - t0

    async def setup(self) -> None:
        sem = asyncio.Semaphore(int(self.spec.get("join_concurrency", 50)))

        async def one(cs: dict) -> None:
            async with sem:
                await self._connect_join(cs)

        if self.kind != "join-storm":
            await asyncio.gather(*(one(cs) for cs in self.clients_spec))
        for cs in self.clients_spec:
            if cs["role"] == "abuser":
                self.abuse[cs["i"]] = {
                    "kind": cs.get("abuse"),
                    "acks": Counter(),
                    "no_ack": 0,
                    "disconnected": False,
                    "disconnect_reason": None,
                    "joined": cs["i"] in self.ids,
                }

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
        rate = float(self.spec["rate"])
        period_ns = int(1e9 / rate)
        heap: list[tuple[int, int, int]] = []
        rng = random.Random(self.spec.get("seed", 1))
        for cs in self.clients_spec:
            if cs["role"] == "sender" and cs["i"] in self.ids:
                heapq.heappush(heap, (start_ns + rng.randrange(period_ns), cs["i"], 0))
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
                    await self._send_chat(c, self.client_spec_by_i[i]["room"], seq)
                except Exception as exc:  # noqa: BLE001
                    self.errors[f"send:{type(exc).__name__}"] += 1
            heapq.heappush(heap, (due + period_ns, i, seq + 1))

    async def _run_pairs(self, start_ns: int, window_s: float) -> None:
        offerers = [
            cs for cs in self.clients_spec if cs["role"] == "offerer" and cs["i"] in self.ids
        ]
        starts = sorted((start_ns + int(cs["at"] * 1e9), cs["i"], cs) for cs in offerers)
        tasks = []
        for due, i, cs in starts:
            now = time_ns()
            if due > now:
                await asyncio.sleep((due - now) / 1e9)
            self.send_lag.append((time_ns() - due) / 1e9)
            to = self.ids_all.get(str(cs["peer"]))
            if to is None:
                self.errors["pair:peer_missing"] += 1
                continue
            self.pair_t0[cs["room"]] = time_ns()
            tasks.append(
                asyncio.ensure_future(self._signals(self.clients[i], to, {"type": "offer"}))
            )
        if tasks:
            for r in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(r, Exception):
                    self.errors[f"send:{type(r).__name__}"] += 1

    async def _run_storm(self, start_ns: int) -> None:
        tasks = []
        for cs in sorted(self.clients_spec, key=lambda x: x["at"]):
            due = start_ns + int(cs["at"] * 1e9)
            now = time_ns()
            if due > now:
                await asyncio.sleep((due - now) / 1e9)
            self.send_lag.append((time_ns() - due) / 1e9)
            name = f"c{cs['i']} " + tag("m", cs["i"], 0)
            tasks.append(asyncio.ensure_future(self._storm_one(cs, name)))
        await asyncio.gather(*tasks)

    async def _storm_one(self, cs: dict, name: str) -> None:
        self.sent_total += 1
        self.sent_measured += 1
        d = await self._connect_join(cs, join_name=name)
        if d is not None:
            self.join_lat.append(d)
            self.sent_measured_ok += 1

    async def run(self, start_at: float, ids_all: dict[str, str]) -> dict:
        self.ids_all = ids_all
        duration = float(self.spec["duration"])
        warmup = float(self.spec.get("warmup", 0.0))
        start_ns = int(start_at * 1e9)
        self.measure_from_ns = start_ns + int(warmup * 1e9)
        end_ns = self.measure_from_ns + int(duration * 1e9)
        self.measure_to_ns = end_ns
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
        cpu0 = time.process_time()
        w0 = perf()
        if self.kind in ("many-rooms", "big-room"):
            await self._run_senders(start_ns, end_ns)
        elif self.kind == "pairs":
            await self._run_pairs(self.measure_from_ns, duration)
        elif self.kind == "join-storm":
            await self._run_storm(self.measure_from_ns)
        await self._sleep_until_wall(end_ns)
        cpu1 = time.process_time()
        w1 = perf()
        await lag_task
        for t in abuse_tasks:
            t.cancel()
        await asyncio.gather(*abuse_tasks, return_exceptions=True)
        # drain: wait for acks and deliveries to stop arriving
        quiet = float(self.spec.get("quiet", 1.0))
        drain_deadline = perf() + float(self.spec.get("drain", 10.0))
        while perf() < drain_deadline:
            pending = sum(
                c.pending_acks()
                for i, c in self.clients.items()
                if i not in self.abusers and not c.closed
            )
            if pending == 0 and time_ns() - self.last_recv >= quiet * 1e9:
                break
            await asyncio.sleep(0.05)
        drained_s = perf() - w1
        self.running = False
        for i, a in self.abuse.items():
            c = self.clients.get(i)
            a["no_ack"] = c.pending_acks() if c is not None else 0
        unacked = sum(
            c.pending_acks()
            for i, c in self.clients.items()
            if i not in self.abusers and not c.closed
        )
        if unacked:
            self.errors["ack:none_within_drain"] += unacked
        self.lat.tofile(open(self.spec["lat_path"], "wb"))
        ll = sorted(self.loop_lag)
        sl = sorted(self.send_lag)

        def pct(a, q):
            return a[min(len(a) - 1, int(q * len(a)))] if a else 0.0

        return {
            "phase": "done",
            "cpu_s": cpu1 - cpu0,
            "wall_s": w1 - w0,
            "drained_s": drained_s,
            "sent_total": self.sent_total,
            "sent_measured": self.sent_measured,
            "sent_measured_ok": self.sent_measured_ok,
            "sent_measured_refused": self.sent_measured_refused,
            "not_refused_by_room": dict(self.not_refused_by_room),
            "signals_not_refused": self.signals_not_refused,
            "recv_by_room": dict(self.recv_by_room),
            "recv_measured": self.recv_measured,
            "recv_in_window": self.recv_in_window,
            "lat_count": len(self.lat),
            "errors": dict(self.errors),
            "unexpected_disconnects": self.unexpected_disconnects,
            "abuse_delivered": self.abuse_delivered,
            "other_events": dict(self.other_events),
            "loop_lag_p99": pct(ll, 0.99),
            "loop_lag_max": ll[-1] if ll else 0.0,
            "send_lag_p99": pct(sl, 0.99),
            "send_lag_max": sl[-1] if sl else 0.0,
            "pair_done": self.pair_done,
            "join_lat": list(self.join_lat),
            "pj_lat": list(self.pj_lat),
            "joined_rooms": dict(self.joined_rooms),
            "abuse": {str(i): {**a, "acks": dict(a["acks"])} for i, a in self.abuse.items()},
        }

    # ----------------------------------------------------------------- abuse

    async def _abuse(self, i: int, start_ns: int, end_ns: int) -> None:
        c = self.clients[i]
        a = self.abuse[i]
        kind = a["kind"]
        victim = next(
            (v for k, v in self.ids_all.items() if int(k) != i and int(k) not in self.abusers),
            "nobody",
        )

        def record(ack: Any) -> None:
            a["acks"][_code(ack)] += 1

        async def call(event: str, data: Any) -> None:
            before = c.pending_acks()
            await c.emit(event, data, record)
            del before

        seq = 0
        await self._sleep_until_wall(start_ns)
        mid_ns = start_ns + int((end_ns - start_ns) * 0.6)
        final_done = False
        try:
            while time_ns() < end_ns and not c.closed:
                seq += 1
                if kind == "flood":
                    # chat far over the per-connection limit
                    await call("chat", {"text": self._pad(tag("x", i, seq), 100)})
                    await asyncio.sleep(1 / float(self.spec.get("flood_rate", 200)))
                    continue
                if kind == "malformed":
                    bad = [
                        ("chat", {"text": 123}),
                        ("chat", "not a map"),
                        ("chat", {}),
                        ("chat", {"text": ""}),
                        ("signal", {"to": "0000000000000000", "candidate": {"candidate": "x"}}),
                        ("signal", {"to": victim}),
                        (
                            "signal",
                            {
                                "to": victim,
                                "description": {"type": "bogus", "sdp": "x"},
                                "candidate": None,
                            },
                        ),
                        ("join", {"name": "again"}),
                        ("media_state", {"audio": "loud"}),
                        ("no_such_event", {"x": 1}),
                    ]
                    ev, data = bad[seq % len(bad)]
                    await call(ev, data)
                    if not final_done and time_ns() >= mid_ns:
                        final_done = True
                        # not msgpack at all, then a socket.io packet of an unknown type
                        await c.send_raw(b"\xc1\xc1\xc1garbage")
                        await c.send_raw(b"\x81\xa4type\x09")
                    await asyncio.sleep(0.02)
                    continue
                if kind == "oversized":
                    big = [
                        ("chat", {"text": self._pad(tag("x", i, seq), 2500)}),
                        (
                            "signal",
                            {
                                "to": victim,
                                "description": {
                                    "type": "offer",
                                    "sdp": self._pad(tag("x", i, seq), 70 * 1024),
                                },
                            },
                        ),
                        (
                            "signal",
                            {
                                "to": victim,
                                "candidate": {
                                    "candidate": self._pad(tag("x", i, seq), 2048),
                                    "sdpMid": "0",
                                    "sdpMLineIndex": 0,
                                },
                            },
                        ),
                    ]
                    ev, data = big[seq % len(big)]
                    await call(ev, data)
                    if not final_done and time_ns() >= mid_ns:
                        final_done = True
                        # over the 256 KiB message limit: the server should close this connection
                        await call("chat", {"text": self._pad(tag("x", i, seq), 300 * 1024)})
                    await asyncio.sleep(0.05)
                    continue
                await asyncio.sleep(0.1)
        except (ConnectionError, RuntimeError, OSError) as exc:
            a["send_error"] = repr(exc)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients.values()), return_exceptions=True)


def _write(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def _main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def read_cmd() -> dict:
        line = await reader.readline()
        if not line:
            raise SystemExit(0)
        return json.loads(line)

    spec = await read_cmd()
    gc.set_threshold(50_000, 50, 100)
    w = Worker(spec)
    t0 = perf()
    await w.setup()
    _write(
        {
            "phase": "ready",
            "setup_s": perf() - t0,
            "ids": {str(k): v for k, v in w.ids.items()},
            "joined_rooms": dict(w.joined_rooms),
            "errors": dict(w.errors),
            "pid": os.getpid(),
        }
    )
    cmd = await read_cmd()
    if cmd.get("cmd") == "go":
        try:
            result = await w.run(cmd["start_at"], cmd.get("ids", {}))
        except Exception as exc:  # noqa: BLE001
            import traceback

            result = {
                "phase": "done",
                "crash": traceback.format_exc(),
                "errors": {f"worker:{exc!r}": 1},
            }
        _write(result)
        cmd = await read_cmd()
    await w.close()
    _write({"phase": "closed"})


def main() -> None:
    try:
        import uvloop  # optional: a faster event loop for the generator (pip install uvloop)
    except ImportError:
        asyncio.run(_main())
    else:
        uvloop.run(_main())


if __name__ == "__main__":
    main()
