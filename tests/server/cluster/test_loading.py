"""A session loaded by a process from Redis (``server/store/redis.py``) while another process
changes it, on a real ``redis-server``: what the other process kept while the load was under
way is applied and delivered here, not dropped because the replica did not exist yet; and a load
or an add that fails leaves no subscription behind."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from clients.server import RedisProcess
from rooms.events import ChatPosted, Event
from rooms.session import Session
from server.cluster import Cluster
from server.store.redis import COMMAND, StoreUnavailable
from server.store.replica import Fetch
from tests.server.cluster.test_lease import SID, chat, join
from tests.server.cluster.test_liveness import node
from tests.support import eventually


def texts(session: Session) -> list[str]:
    return [m.text for m in session.chat]


def change_during_load(x: Cluster, y: Cluster, heard: list[list[Any]],
                       monkeypatch: pytest.MonkeyPatch) -> Fetch:
    """y's next load: once it has read the session and before it has made its replica of it,
    x keeps a change and y's channel brings it (the barrier: ``heard``, what y's store was
    given, holds the message). Returns y's own fetch, to put back."""
    real_fetch = y.store._fetch

    async def fetch_then_change(sid: str) -> Any:
        answer = await real_fetch(sid)
        await chat(x.store, "ana", "said during the load", 111.0)
        await eventually(lambda: any(m[0] == COMMAND for m in heard), 10,
                         what="y hearing x's change")
        return answer

    monkeypatch.setattr(y.store, "_fetch", fetch_then_change)
    return real_fetch


async def test_a_change_kept_elsewhere_during_a_load_is_applied_and_delivered_here(
        redis: RedisProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    async with node(redis.url, "x") as x, node(redis.url, "y") as y:
        await x.store.add(Session.create(session_id=SID, title="Loaded", max_participants=10,
                                         now=100.0))
        await join(x.store, "ana", 110.0)
        delivered: list[Event] = []

        async def deliver(events: Sequence[Event]) -> None:
            delivered.extend(events)

        y.store.deliver_remote = deliver
        heard: list[list[Any]] = []
        real_received = y.store.received

        async def received(sid: str, message: list[Any]) -> None:
            heard.append(message)
            await real_received(sid, message)

        monkeypatch.setattr(y.store, "received", received)
        real_fetch = change_during_load(x, y, heard, monkeypatch)
        # The first read is answered with the change: it was applied once the replica was made.
        assert await y.store.read(SID, texts) == ["said during the load"]
        monkeypatch.setattr(y.store, "_fetch", real_fetch)
        await eventually(lambda: bool(delivered), 10, what="the change's delivery at y")
        said = [e.message.text for e in delivered if isinstance(e, ChatPosted)]
        assert said == ["said during the load"]
        # and y follows the session from there on
        await chat(x.store, "ana", "and after", 112.0)

        async def followed() -> bool:
            return await y.store.read(SID, texts) == ["said during the load", "and after"]

        await eventually(followed, 10, what="y applying the next change")


async def test_a_failed_load_or_add_leaves_no_subscription(
        redis: RedisProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    async with node(redis.url, "x") as x, node(redis.url, "y") as y:
        await x.store.add(Session.create(session_id=SID, title="Taken", max_participants=10,
                                         now=100.0))
        channel = y.store.channel(SID)

        async def out_of_reach(sid: str) -> Any:
            raise StoreUnavailable("The session store is out of reach; try again in a moment.")

        monkeypatch.setattr(y.store, "_fetch", out_of_reach)
        with pytest.raises(StoreUnavailable):
            await y.store.read(SID, texts)
        assert channel not in y._channels
        monkeypatch.undo()
        # An add of an id that exists already.
        with pytest.raises(ValueError):
            await y.store.add(Session.create(session_id=SID, title="Again", max_participants=10,
                                             now=101.0))
        assert channel not in y._channels
        # An add refused where this process holds the session keeps its subscription.
        assert await y.store.read(SID, texts) == []
        with pytest.raises(ValueError):
            await y.store.add(Session.create(session_id=SID, title="Again", max_participants=10,
                                             now=102.0))
        assert channel in y._channels
        assert await y.store.redis.exists(f"tandem:s:{SID}")


async def test_what_came_during_a_load_is_applied_though_the_loading_caller_went(
        redis: RedisProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller whose read made the load is cancelled (a joiner who went) while the messages
    that came during the load are being applied: they are applied all the same."""
    async with node(redis.url, "x") as x, node(redis.url, "y") as y:
        await x.store.add(Session.create(session_id=SID, title="Loaded", max_participants=10,
                                         now=100.0))
        await join(x.store, "ana", 110.0)
        heard: list[list[Any]] = []
        applying, release = asyncio.Event(), asyncio.Event()
        real_received = y.store.received

        async def received(sid: str, message: list[Any]) -> None:
            if sid in y.store._replicas and message[0] == COMMAND:
                applying.set()  # applying what came during the load: held here
                await release.wait()
            else:
                heard.append(message)
            await real_received(sid, message)

        monkeypatch.setattr(y.store, "received", received)
        real_fetch = change_during_load(x, y, heard, monkeypatch)
        reader = asyncio.create_task(y.store.read(SID, texts))
        await asyncio.wait_for(applying.wait(), 10)
        reader.cancel()  # the caller goes while the change is being applied
        with pytest.raises(asyncio.CancelledError):
            await reader
        release.set()
        monkeypatch.setattr(y.store, "_fetch", real_fetch)

        async def applied() -> bool:
            return await y.store.read(SID, texts) == ["said during the load"]

        await eventually(applied, 10, what="the change applied at y")
