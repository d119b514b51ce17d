"""Hypothesis against a running server: every inbound event of the catalogue, with payloads made
from its own model (valid) and hostile ones (not a map, wrong types, unknown keys, many keys,
huge strings, deep nesting, binary), gets an acknowledgement: a success, or an error whose code
PROTOCOL.md documents for the socket. Meanwhile another member of the session measures its own
round trips; they must not jump while the fuzzing runs.

The server runs on its own thread and event loop (both clients on that loop too), so that
Hypothesis draws examples on the test's thread while the server keeps serving the other member.
Examples are derandomized: every run sends the same payloads.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import types
import typing
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import annotated_types as at
import msgpack
import pytest
from aiohttp import web
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from clients.admin import AsyncAdminApi, join_token
from load_tests.sioclient import Client
from load_tests.stats import percentile
from server.app import CONTEXT, create_app
from server.packets import MAP_MAX
from server.protocol import CLIENT_EVENTS
from server.settings import Limits, Settings
from tests.server.test_catalogue import documented_codes
from tests.support import ADMIN_KEY

T = TypeVar("T")
# A failing example's payload may be huge; Hypothesis warns before printing it.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
SOCKET_CODES = documented_codes("socket")
# Codes of a payload refused by its parser.
PARSE_CODES = {"invalid_payload", "payload_too_large"}
# Examples per event (FUZZ_EXAMPLES for a longer run): about 30 s in all on 2 shared cores.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
# Bigger than any field may be, well under the 256 KiB a message may be.
HUGE = 180_000
PROBE_EVERY = 0.05  # the other member's round trips: 20 a second
WARMUP = 1.0  # seconds of round trips not counted (the first ones of a new server)
BEFORE = 4.0  # seconds measured before the fuzzing starts
CALL_TIMEOUT = 3.0
# Events that may leave the fuzzer not joined, or its session ended or locked, when they succeed.
CHANGES_THE_FUZZER = {"leave", "end_session", "session_lock", "moderate"}
# No rate limit gets in the way of the fuzzing (tests/server/test_rate_limits.py has them).
UNLIMITED = Limits(**{
    name: 1e9 for name in Limits.__dataclass_fields__ if name.endswith(("_rate", "_burst"))
})


# -- the server, on a thread of its own ------------------------------------------------------------


@dataclass
class LiveServer:
    """Tandem on its own event loop and thread, with a fuzzing member (a mentor) and a probing
    member (a mentee) of one session, both on the lean socket.io client."""

    settings: Settings
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    url: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    fuzzer: Client | None = None
    resets: int = 0
    prober: Client | None = None
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"before": [], "during": []})
    phase: str = "warmup"
    probing: bool = True
    probe_errors: list[Any] = field(default_factory=list)
    # What the fuzzed events were answered: "ok" or the error's code, with how many.
    answers: Counter[str] = field(default_factory=Counter)

    def run(self, coro: Awaitable[T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def start(self) -> None:
        threading.Thread(target=self.loop.run_forever, name="tandem-server", daemon=True).start()
        self.run(self._start())

    async def _start(self) -> None:
        self.runner = web.AppRunner(create_app(self.settings))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
        self.url = f"http://127.0.0.1:{port}"
        # The other member is in a session of its own: the fuzzer may end, lock or moderate its
        # session, and then starts in a new one.
        c = Client(self.url)
        await c.connect({"token": (await self._new_session(waiting_room="off"))["mentee"]})
        assert (await c.call("join", {"name": "Prober"}, timeout=CALL_TIMEOUT))["ok"]
        self.prober = c
        self.probe_task = asyncio.ensure_future(self._probe())
        self.tokens = await self._new_session()

    async def _new_session(self, **fields: Any) -> dict[str, str]:
        async with AsyncAdminApi(self.url, ADMIN_KEY) as api:
            created = await api.create_session(title="Fuzzing", max_participants=25, **fields)
        return {role: join_token(u) for role, u in created["join_urls"].items()}

    def stop(self) -> None:
        async def close() -> None:
            self.probing = False
            await self.probe_task
            for c in (self.fuzzer, self.prober):
                if c is not None:
                    await c.close()
            await self.runner.cleanup()

        self.run(close())
        self.loop.call_soon_threadsafe(self.loop.stop)


    async def _probe(self) -> None:
        """The other member: a cheap acknowledged event every PROBE_EVERY seconds."""
        assert self.prober is not None
        while self.probing:
            start = time.perf_counter()
            ack = await self.prober.call("speaking", {"speaking": False}, timeout=CALL_TIMEOUT)
            self.latencies.setdefault(self.phase, []).append(time.perf_counter() - start)
            if not ack.get("ok"):
                self.probe_errors.append(ack)
            await asyncio.sleep(PROBE_EVERY)

    # -- the fuzzing member -----------------------------------------------------------------------

    async def _fuzzer(self) -> Client:
        """The fuzzing mentor, connected and joined (afresh after a reset)."""
        if self.fuzzer is None or self.fuzzer.closed:
            c = Client(self.url)
            await c.connect({"token": self.tokens["mentor"]})
            ack = await c.call("join", {"name": "Fuzzer"}, timeout=CALL_TIMEOUT)
            assert ack["ok"] and "participant" in ack, ack
            self.fuzzer = c
        return self.fuzzer

    async def _reset(self) -> None:
        """A new session and a new fuzzer, after one that may have left, been removed, or
        ended, locked or moderated its session."""
        if self.fuzzer is not None:
            await self.fuzzer.close()
        self.fuzzer = None
        self.tokens = await self._new_session()
        self.resets += 1

    def send(self, event: Any, payload: Any) -> Any:
        """Send one event as the joined fuzzer and return its acknowledgement."""
        async def go() -> Any:
            c = await self._fuzzer()
            ack = await c.call_packet([event, payload], timeout=CALL_TIMEOUT)
            self._tally(ack)
            ok = isinstance(ack, dict) and ack.get("ok") is True
            code = None if ok or not isinstance(ack, dict) else ack["error"]["code"]
            if (ok and event in CHANGES_THE_FUZZER) or code in {"not_joined", "session_ended"}:
                await self._reset()
            return ack

        return self.run(go())

    def _tally(self, ack: Any) -> None:
        if isinstance(ack, dict):
            self.answers["ok" if ack.get("ok") else str(ack.get("error", {}).get("code"))] += 1

    def send_unjoined(self, event: Any, payload: Any) -> Any:
        """Send one event on a new connection that has not joined, then close it."""
        async def go() -> Any:
            c = Client(self.url)
            await c.connect({"token": self.tokens["mentee"]})
            try:
                ack = await c.call_packet([event, payload], timeout=CALL_TIMEOUT)
                self._tally(ack)
                return ack
            finally:
                await c.close()

        return self.run(go())

    def send_packet(self, data: Any) -> Any:
        async def go() -> Any:
            c = await self._fuzzer()
            return await c.call_packet(data, timeout=CALL_TIMEOUT)

        return self.run(go())


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(Settings(
        data_dir=tmp_path, secret=b"s" * 32, admin_key=ADMIN_KEY, limits=UNLIMITED,
        media_addresses=("127.0.0.1",), log_level="WARNING",
    ))
    server.start()
    yield server
    server.stop()


# -- payloads --------------------------------------------------------------------------------------

# Values of every kind msgpack carries, for fields of the wrong type and payloads that are no map.
INTS = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what msgpack carries
JUNK: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), INTS,
    st.floats(), st.text(max_size=20), st.binary(max_size=20),
    st.lists(INTS, max_size=3), st.dictionaries(st.text(max_size=5), INTS,
                                                         max_size=3),
)
# Strings a valid payload may name: rooms, and whatever else is short (ids are filled in by the
# server's answers only by chance; the domain's refusals are what these reach).
KNOWN = ["main", "1:b1", "1:b2", "b1", "server", "browser", ""]


def _bounds(metadata: list[Any]) -> tuple[Any, Any, Any, Any]:
    lo_len = next((m.min_length for m in metadata if isinstance(m, at.MinLen)), 0)
    hi_len = next((m.max_length for m in metadata if isinstance(m, at.MaxLen)), None)
    lo = next((m.ge for m in metadata if isinstance(m, at.Ge)), None)
    hi = next((m.le for m in metadata if isinstance(m, at.Le)), None)
    return lo_len, hi_len, lo, hi


def value_of(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """Values that fit a field's annotation and constraints (a new kind of field fails here, so
    that its strategy gets written)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    lo_len, hi_len, lo, hi = _bounds(metadata)
    if origin is typing.Annotated:
        return value_of(args[0], [*metadata, *args[1:]])
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(value_of(a, metadata) for a in args))
    if annotation is type(None):
        return st.none()
    if origin is Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(value_of(args[0], []), min_size=lo_len,
                        max_size=min(hi_len if hi_len is not None else 10, 10))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return valid(annotation)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(min_value=-(2**63) if lo is None else lo,
                           max_value=2**64 - 1 if hi is None else hi)
    if annotation is float:
        return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)
    if annotation is str:
        longest = 100 if hi_len is None else hi_len
        return st.one_of(
            st.text(min_size=lo_len, max_size=min(longest, 100)),
            st.sampled_from(KNOWN).filter(lambda s: lo_len <= len(s) <= longest),
            st.just(longest).map(lambda n: "x" * n),  # the longest allowed
        )
    if annotation is bytes:
        return st.binary(min_size=lo_len, max_size=min(hi_len or 1000, 1000))
    raise TypeError(f"no strategy for a field of type {annotation!r}: add one here")


def valid(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads that fit ``model``'s fields (its cross-field rules may still refuse some)."""
    required, optional = {}, {}
    for name, info in model.model_fields.items():
        strategy = value_of(info.annotation, list(info.metadata))
        (required if info.is_required() else optional)[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"n": value}
    return value


def hostile(model: type[BaseModel]) -> st.SearchStrategy[tuple[str, Any]]:
    """Payloads ``model`` must refuse, each with its kind: ("parse", ...) must be refused by the
    parser; ("any", ...) may be anything (a junk value may happen to fit its field)."""
    fields = sorted(model.model_fields) or ["x"]

    def with_field(base: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
        return {**base, name: value}

    known = set(model.model_fields)
    not_a_field = st.one_of(st.text(max_size=30), INTS, st.binary(max_size=8)).filter(
        lambda k: k not in known)
    return st.one_of(
        # not a map at all
        st.tuples(st.just("parse"), st.one_of(
            INTS, st.floats(), st.booleans(), st.text(max_size=50),
            st.binary(max_size=50), st.lists(JUNK, max_size=5))),
        # a field of the wrong type
        st.tuples(st.just("any"), st.builds(with_field, valid(model), st.sampled_from(fields),
                                            JUNK)),
        # unknown keys
        st.tuples(st.just("parse"), st.builds(
            lambda base, extra: {**base, **extra}, valid(model),
            st.dictionaries(not_a_field, JUNK, min_size=1, max_size=5))),
        # many keys (more than MAP_MAX closes the connection: tests/server/test_hostile_packets.py)
        st.tuples(st.just("parse"), st.integers(min_value=20, max_value=MAP_MAX).map(
            lambda n: {f"k{i}": i for i in range(n)})),
        # a huge string where a field goes
        st.tuples(st.just("parse"), st.builds(
            with_field, valid(model), st.sampled_from(fields),
            st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "\x00"]),
                      st.integers(min_value=70_000, max_value=HUGE // 2)))),
        # deep nesting where a field goes
        st.tuples(st.just("any"), st.builds(with_field, valid(model), st.sampled_from(fields),
                                            st.integers(min_value=2, max_value=400).map(_nested))),
    )


def payloads(model: type[BaseModel]) -> st.SearchStrategy[tuple[str, Any]]:
    # Half valid, half hostile (``one_of`` would flatten the hostile kinds beside the valid).
    return st.booleans().flatmap(
        lambda ok: st.tuples(st.just("valid"), valid(model)) if ok else hostile(model))


def fits(payload: Any) -> bool:
    """Whether the payload travels in one message (a bigger one closes the connection, as
    documented, and has no acknowledgement)."""
    return len(msgpack.packb(payload)) < HUGE


def check_ack(ack: Any, kind: str) -> None:
    assert isinstance(ack, dict), ack
    if kind == "parse":
        assert ack.get("ok") is False, ack
    if ack.get("ok") is True:
        return
    assert ack.get("ok") is False and set(ack) == {"ok", "error"}, ack
    error = ack["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message"}, ack
    assert error["code"] in SOCKET_CODES, f"undocumented code: {ack}"
    assert error["code"] != "internal_error", f"the server failed: {ack}"
    assert isinstance(error["message"], str) and error["message"], ack
    if kind == "parse":
        assert error["code"] in PARSE_CODES, ack


def fuzz(name: str, model: type[BaseModel], send: Callable[[str, Any], Any],
         examples: int) -> None:
    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(payloads(model))
    def one(case: tuple[str, Any]) -> None:
        kind, payload = case
        assume(fits(payload))
        ack = send(name, payload)
        note(f"{name} {kind}: {str(payload)[:300]} -> {str(ack)[:300]}")
        check_ack(ack, kind)

    one()


# -- tests -----------------------------------------------------------------------------------------


def test_every_inbound_event_is_acknowledged_with_a_documented_code(live: LiveServer) -> None:
    registered = live.run(_registered(live))
    assert sorted(registered) == sorted(CLIENT_EVENTS)
    time.sleep(WARMUP)
    live.phase = "before"
    time.sleep(BEFORE)
    live.phase = "during"
    started = time.perf_counter()
    took: dict[str, float] = {}
    for name in CLIENT_EVENTS:
        t0 = time.perf_counter()
        fuzz(name, registered[name], live.send, EXAMPLES)
        took[name] = time.perf_counter() - t0
    # ``join`` on connections that have not joined yet (the fuzzer's own is always joined).
    fuzz("join", registered["join"], live.send_unjoined, EXAMPLES)
    fuzzing = time.perf_counter() - started
    live.phase = "after"
    before, during = live.latencies["before"], live.latencies["during"]
    figures = {phase: {q: percentile(values, q) * 1000 for q in (50, 95, 99)}
               for phase, values in (("before", before), ("during", during))}
    print(f"\nfuzzed {len(CLIENT_EVENTS)} events for {fuzzing:.1f} s; the other member's round "
          "trips (ms):")
    for phase, values in (("before", before), ("during", during)):
        f = figures[phase]
        print(f"  {phase}: p50 {f[50]:.2f}, p95 {f[95]:.2f}, p99 {f[99]:.2f}, max "
              f"{max(values) * 1000:.2f} ({len(values)} round trips)")
    print(f"  answers: {dict(live.answers.most_common())}; {live.resets} fresh sessions")
    slowest = sorted(took.items(), key=lambda kv: -kv[1])[:5]
    print("  slowest events to fuzz: " + ", ".join(f"{n} {t:.1f} s" for n, t in slowest))
    assert live.probe_errors == []
    assert len(before) >= 10 and len(during) >= 10
    # A generous bound: the machine is shared, and the fuzzer's thread competes for the GIL.
    bound = max(10 * figures["before"][95], 250.0)
    assert figures["during"][95] < bound, figures


async def _registered(live: LiveServer) -> dict[str, type[BaseModel]]:
    return dict(live.runner.app[CONTEXT].gateway.registered)


def test_any_event_name_and_argument_count_is_acknowledged(live: LiveServer) -> None:
    """The packet itself: names that are no string or no event, no argument or several."""
    name = st.one_of(st.sampled_from(CLIENT_EVENTS), st.text(max_size=60), JUNK)

    @settings(max_examples=200, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(name, st.lists(st.one_of(JUNK, st.just({})), max_size=4))
    def one(event: Any, args: list[Any]) -> None:
        ack = live.send_packet([event, *args])
        note(f"{event!r} {args!r} -> {ack!r}")
        check_ack(ack, "any")

    one()
