"""Members of Tandem sessions that chat and keep count, for the benchmarks of several processes
(``failover.py``, ``redis_outage.py``).

Each member is one connection on the lean client (``sioclient.Client``) that joins its session,
sends an acknowledged ``chat`` every so often, and records:

- every chat it sent that was acknowledged (message id), refused (by code) or never answered;
- every chat it received, live or replayed, by message id, and the last ``position`` it saw;
- every time its connection dropped;
- every chat it received twice under two message ids (posted twice).

Each chat carries the member's id for it (``client_id``), as the page's do. A chat whose
connection dropped before its answer is sent again with that id once the member is back, as the
page does (``web_client/features/chat/view.js``): posted or not the first time, it is then
posted once.

When its connection drops (and ``reconnect`` is on) it does what the reference page does
(``web_client/core/transport.js``, docs/PROTOCOL.md "Missed events after a reconnect"): waits
the page's reconnection delay (1 s, randomised by half, doubling up to 5 s), connects to the
servers in turn starting with the one it was on, sends ``join`` with its ``resume`` credential,
then ``replay`` from the last position it saw, again while the answer says ``more``; then goes on
chatting.

``lost`` is then exact: an acknowledged chat that a member of its session (there from before it
was sent) never received, live or replayed.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clients.admin import AsyncAdminApi, join_token
from clients.server import RedisProcess, ServerProcess
from load_tests.sioclient import Client, ConnectRefused
from load_tests.targets import ADMIN_KEY, tandem_process
from load_tests.worker import source_address

CALL_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
# The reference page's socket.io reconnection (web_client/core/transport.js).
RECONNECT_DELAY = 1.0
RECONNECT_DELAY_MAX = 5.0
RECONNECT_JITTER = 0.5


def now() -> float:
    return time.monotonic()


@dataclass
class Acked:
    """A chat the server acknowledged: who sent it, in which session, when."""

    message_id: str
    session: int
    sender: int
    at: float
    server: str  # the URL the sender was connected to


@dataclass
class Member:
    index: int
    session: int
    token: str
    servers: Sequence[str]
    home: str  # the URL it first connects to
    rate: float  # chats a second
    reconnect: bool = True
    client: Client | None = None
    url: str = ""
    participant_id: str = ""
    resume: str | None = None
    joined: bool = False
    chatting: bool = False
    position: dict[str, Any] | None = None  # the last position seen in its room
    received: set[str] = field(default_factory=set)
    receive_times: dict[str, float] = field(default_factory=dict)
    live_positions: set[tuple[str, int]] = field(default_factory=set)
    live_duplicates: int = 0
    replayed_events: int = 0  # events in replay answers
    replayed_new: int = 0  # chats that came back only through replay
    replays: int = 0
    history_gone: int = 0
    replay_errors: Counter[str] = field(default_factory=Counter)
    acked: list[Acked] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    refused_at: list[tuple[float, str]] = field(default_factory=list)
    refused_texts: set[str] = field(default_factory=set)
    unanswered: int = 0
    unsent: list[tuple[str, str]] = field(default_factory=list)  # (text, client_id) to send again
    resent: int = 0  # chats sent again after a drop
    resent_known: int = 0  # of them, answered with a message it had already received
    # every text received -> the message id it first came with
    text_ids: dict[str, str] = field(default_factory=dict)
    posted_twice: int = 0  # a text received under a second message id
    drops: list[tuple[float, str]] = field(default_factory=list)  # (time, reason)
    backs: list[float] = field(default_factory=list)  # joined again after a drop
    replayed_at: list[float] = field(default_factory=list)  # replay complete after a drop
    rejoin_errors: Counter[str] = field(default_factory=Counter)
    left_seen: list[tuple[float, str]] = field(default_factory=list)  # participant_left
    stopping: bool = False
    returning: bool = False
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    # -- connecting ------------------------------------------------------------------------------

    async def connect(self, url: str) -> Client:
        client = Client(url, on_event=self._on_event, on_close=self._on_close,
                        source=source_address(url, self.index))
        await client.connect({"token": self.token}, timeout=CONNECT_TIMEOUT)
        self.client, self.url = client, url
        return client

    async def join(self, name: str) -> dict[str, Any]:
        client = self.client
        assert client is not None
        payload: dict[str, Any] = {"name": name, "audio": False, "video": False}
        if self.resume is not None:
            payload["resume"] = self.resume
        ack: dict[str, Any] = await client.call("join", payload, timeout=CALL_TIMEOUT)
        if ack.get("ok"):
            self.participant_id = ack["participant"]["id"]
            self.resume = ack["resume"]
            if self.position is None:
                self.position = ack["position"]
            self.joined = True
        return ack

    async def start(self) -> None:
        await self.connect(self.home)
        ack = await self.join(f"m{self.index}")
        if not ack.get("ok"):
            raise RuntimeError(f"member {self.index} could not join: {ack}")

    # -- events ----------------------------------------------------------------------------------

    def _on_event(self, client: Client, name: str, data: Any) -> None:
        if client is not self.client:
            return
        if name == "chat":
            self._took_chat(data, live=True)
        elif name == "participant_left" and isinstance(data, dict):
            self.left_seen.append((now(), str(data.get("participant_id"))))

    def _took_chat(self, data: Any, live: bool) -> bool:
        """Records a chat; True when it was new to this member."""
        message_id = str(data["message"]["id"])
        position = data.get("position")
        if live and position is not None:
            key = (str(position["epoch"]), int(position["offset"]))
            if key in self.live_positions:
                self.live_duplicates += 1
            self.live_positions.add(key)
        text = str(data["message"].get("text"))
        if self.text_ids.setdefault(text, message_id) != message_id:
            self.posted_twice += 1
        new = message_id not in self.received
        if new:
            self.received.add(message_id)
            self.receive_times[message_id] = now()
        if position is not None and (
            self.position is None
            or position["epoch"] != self.position["epoch"]
            or position["offset"] > self.position["offset"]
        ):
            self.position = position
        return new

    def _on_close(self, client: Client) -> None:
        if client is not self.client or self.stopping:
            return
        self.joined = False
        if self.returning:  # a connection of the way back dropped: the way back goes on
            return
        self.drops.append((now(), client.close_reason or "closed"))
        if self.reconnect:
            self._spawn(self._come_back())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- after a drop ----------------------------------------------------------------------------

    def _order(self) -> list[str]:
        """The servers to try, the one it was on first."""
        rest = [s for s in self.servers if s != self.url]
        return [self.url, *rest] if self.url in self.servers else list(self.servers)

    async def _come_back(self) -> None:
        since = self.position  # where it was when the connection dropped
        delay = RECONNECT_DELAY
        self.returning = True
        try:
            while not self.stopping:
                wait = delay * (1 + random.uniform(-RECONNECT_JITTER, RECONNECT_JITTER))
                await asyncio.sleep(wait)
                delay = min(delay * 2, RECONNECT_DELAY_MAX)
                for url in self._order():
                    if self.stopping:
                        return
                    if await self._rejoin_through(url, since):
                        return
        finally:
            self.returning = False

    async def _rejoin_through(self, url: str, since: dict[str, Any] | None) -> bool:
        """Connect, join and replay through one server; True when all three went through."""
        try:
            await self.connect(url)
            ack = await self.join(f"m{self.index}")
            if not ack.get("ok"):
                self.rejoin_errors[str(ack.get("error", {}).get("code"))] += 1
                if self.client is not None:
                    await self.client.close()
                return False
            back = now()
            await self._replay(since)
        except ConnectRefused as exc:
            data = exc.data.get("data") if isinstance(exc.data, dict) else None
            code = data.get("code") if isinstance(data, dict) else None
            self.rejoin_errors[f"connect refused: {code}"] += 1
            return False
        except Exception as exc:  # noqa: BLE001 - refused, reset, timed out: try the next
            self.rejoin_errors[type(exc).__name__] += 1
            return False
        if self.client is None or self.client.closed:
            return False
        self.backs.append(back)
        self.replayed_at.append(now())
        self._spawn(self._resend())
        return True

    async def _replay(self, since: dict[str, Any] | None) -> None:
        client = self.client
        if since is None or client is None:
            return
        offset = since["offset"]
        while True:
            answer: dict[str, Any] = await client.call(
                "replay", {"room": since["room"], "epoch": since["epoch"], "offset": offset},
                timeout=CALL_TIMEOUT)
            self.replays += 1
            if not answer.get("ok"):
                code = str(answer.get("error", {}).get("code"))
                if code == "history_gone":
                    self.history_gone += 1
                else:
                    self.replay_errors[code] += 1
                return
            events = answer.get("events") or []
            for e in events:
                self.replayed_events += 1
                if e.get("event") == "chat" and self._took_chat(e["payload"], live=False):
                    self.replayed_new += 1
            if not answer.get("more") or not events:
                return
            offset = events[-1]["payload"]["position"]["offset"]

    # -- chatting --------------------------------------------------------------------------------

    async def chat_loop(self, until: float) -> None:
        """Sends a chat every 1/rate seconds (the first at a random moment within that) until
        ``until`` (monotonic), whenever joined; records each answer."""
        period = 1.0 / self.rate
        at = now() + random.uniform(0, period)
        n = 0
        while True:
            await asyncio.sleep(max(0.0, at - now()))
            if now() >= until or self.stopping:
                return
            at += period
            client = self.client
            if not self.joined or client is None:
                continue
            n += 1
            self._spawn(self._one_chat(client, f"m{self.index} #{n}", f"m{self.index}-{n}"))

    async def _one_chat(self, client: Client, text: str, client_id: str,
                        again: bool = False) -> None:
        url = self.url
        try:
            ack = await client.call("chat", {"text": text, "client_id": client_id},
                                    timeout=CALL_TIMEOUT)
        except (TimeoutError, ConnectionError, OSError):
            if client.closed and self.reconnect and not self.stopping:
                # Its connection dropped before the answer: sent again once back.
                self.unsent.append((text, client_id))
                if self.joined and not self.returning:
                    self._spawn(self._resend())
                return
            self.unanswered += 1
            return
        if ack.get("ok"):
            if again and str(ack["message"]["id"]) in self.received:
                self.resent_known += 1  # posted the first time: its answer was what was lost
            self.acked.append(Acked(str(ack["message"]["id"]), self.session, self.index, now(),
                                    url))
        else:
            code = str(ack.get("error", {}).get("code"))
            self.refused[code] += 1
            self.refused_at.append((now(), code))
            self.refused_texts.add(text)

    async def _resend(self) -> None:
        """The chats a dropped connection took before their answer, sent again with their ids."""
        unsent, self.unsent = self.unsent, []
        for text, client_id in unsent:
            client = self.client
            if client is None or not self.joined:
                self.unsent.append((text, client_id))
                continue
            self.resent += 1
            await self._one_chat(client, text, client_id, again=True)

    async def close(self) -> None:
        self.stopping = True
        for task in list(self._tasks):
            task.cancel()
        if self.client is not None:
            await self.client.close()


def acked_chats(members: Iterable[Member]) -> list[Acked]:
    return sorted((a for m in members for a in m.acked), key=lambda a: a.at)


def lost(members: Sequence[Member], counted: set[int] | None = None) -> list[tuple[Acked, Member]]:
    """(chat, member) for every acknowledged chat a member of its session never received, live
    or replayed. ``counted``: the indexes of the members to check (default all)."""
    by_session: dict[int, list[Member]] = {}
    for m in members:
        if counted is None or m.index in counted:
            by_session.setdefault(m.session, []).append(m)
    out = []
    for chat in acked_chats(members):
        for m in by_session.get(chat.session, []):
            if chat.message_id not in m.received:
                out.append((chat, m))
    return out


def refused_but_delivered(members: Sequence[Member]) -> int:
    """Chats refused to their sender that some member received all the same."""
    received = set().union(*(m.text_ids.keys() for m in members)) if members else set()
    return sum(len(m.refused_texts & received) for m in members)


def spread(values: Sequence[float]) -> str:
    """min / median / max of some seconds, for a line of figures."""
    if not values:
        return "none"
    s = sorted(values)
    return f"min {s[0]:.2f} s, median {s[len(s) // 2]:.2f} s, max {s[-1]:.2f} s"


# -- the cluster under test ----------------------------------------------------------------------

CLUSTER_SECRET = "b" * 64


@dataclass
class Cluster:
    """A ``redis-server`` and Tandem processes sharing it, each on its own port (the same
    secret and admin key, each its own data directory)."""

    redis: RedisProcess
    servers: list[ServerProcess]

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    def stop(self) -> None:
        for s in self.servers:
            s.stop()
        self.redis.stop()


async def start_cluster(workdir: Path, processes: int = 2) -> Cluster:
    redis = RedisProcess(workdir / "redis")
    await redis.start_async()
    cluster = Cluster(redis, [])
    try:
        for k in range(processes):
            name = "ab"[k] if processes <= 2 else str(k)
            server = tandem_process(
                workdir / name / "data", log_path=workdir / f"{name}.log",
                flags=["--redis", redis.url],
                env={"TANDEM_SECRET": CLUSTER_SECRET, "TANDEM_MAX_SESSION_SIZE": "1000"})
            cluster.servers.append(server)
            await server.start_async()
    except BaseException:
        cluster.stop()
        raise
    return cluster


async def make_members(cluster: Cluster, clients: int, room_size: int, rate: float) -> list[Member]:
    """``clients`` members in sessions of ``room_size``, spread over the processes in turn (so
    that every session has members on each), each session made through the first process."""
    sessions = (clients + room_size - 1) // room_size
    tokens: list[str] = []
    async with AsyncAdminApi(cluster.servers[0].url, ADMIN_KEY) as api:
        for k in range(sessions):
            s = await api.create_session(title=f"bench {k}", max_participants=room_size + 2)
            tokens.append(join_token(s["join_urls"]["mentee"]))
    urls = cluster.urls
    return [Member(index=i, session=i // room_size, token=tokens[i // room_size], servers=urls,
                   home=urls[i % len(urls)], rate=rate) for i in range(clients)]


async def start_members(members: Sequence[Member], at_once: int = 20) -> None:
    sem = asyncio.Semaphore(at_once)

    async def one(m: Member) -> None:
        async with sem:
            await m.start()

    await asyncio.gather(*(one(m) for m in members))


async def settle(members: Sequence[Member], timeout: float = 15.0) -> None:
    """Waits until no chat of any member awaits its answer (or ``timeout``), then a moment more
    for the last deliveries."""
    deadline = now() + timeout
    while now() < deadline and any(
        m.client is not None and m.client.pending_acks() for m in members
    ):
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)


def load_average() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"
