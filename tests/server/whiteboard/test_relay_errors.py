"""A relayed board update whose send fails is tried again only when the error may pass (Redis
out of reach, too slow, loading, busy), less and less often; an error that would come back on
every try (a script error, a message Redis refuses for its size, the room's history deleted)
drops what waits of the board at once, logged once. The relay's waits run on a clock the test
moves (``Sleeps``), so the tries are counted, not timed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from redis.exceptions import (
    BusyLoadingError,
    DataError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.errors import BoardDeleted
from rooms.whiteboard import BoardKey
from server.history import MemoryHistory
from server.history_redis import HistoryDropped, HistoryUnavailable
from server.settings import HistoryBounds
from server.whiteboard.relay import Relay, transient
from tests.server.whiteboard.replica import Replica
from tests.server.whiteboard.test_relay_retry import Gateway, retries
from tests.support import WAIT, Clock

RELAY = "server.whiteboard.relay"
KEY = BoardKey("s", "main")
SCRIPT_ERROR = ResponseError("Error running script (call to f_0123): @user_script:9: "
                             "user_script:9: bad argument #1 to 'tonumber'")
TOO_BIG = ResponseError("Protocol error: invalid bulk length")  # what Redis answers, as is


def unavailable(cause: Exception) -> HistoryUnavailable:
    """What the Redis history raises when Redis answers ``cause``."""
    try:
        raise HistoryUnavailable("This could not be sent.") from cause
    except HistoryUnavailable as exc:
        return exc


class Sleeps:
    """The relay's clock: each wait it asks for is held until the test lets it end."""

    def __init__(self) -> None:
        self.asked: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()

    async def __call__(self, delay: float) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.asked.put_nowait((delay, done))
        await done

    async def next(self) -> tuple[float, asyncio.Future[None]]:
        return await asyncio.wait_for(self.asked.get(), WAIT)



class History(MemoryHistory):
    """A room history whose appends fail with ``error`` while it is set; ``attempts`` counts
    every append."""

    def __init__(self) -> None:
        super().__init__(HistoryBounds(), Clock())
        self.error: Exception | None = None
        self.attempts = 0

    async def append(self, session_id: str, room: str, event: str, payload: Any) -> Any:
        self.attempts += 1
        if self.error is not None:
            raise self.error
        return await super().append(session_id, room, event, payload)


def updates(n: int, board: Replica) -> list[bytes]:
    stroke = board.stroke([0.0], author="ana")
    for i in range(1, n):
        board.extend(stroke, [float(i)])
    return board.take()


@pytest.fixture
def said(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=RELAY)
    return caplog


def lines(said: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """What the relay logged: level and line."""
    return [(r.levelname, r.getMessage()) for r in said.records if r.name == RELAY]


@pytest.mark.parametrize("error", [
    unavailable(SCRIPT_ERROR), unavailable(TOO_BIG), HistoryDropped("deleted"),
    unavailable(DataError("Invalid input of type: 'dict'"))],
    ids=["script error", "too big", "history deleted", "bad argument"])
async def test_a_send_failing_for_good_is_not_tried_again_and_what_waits_is_dropped(
        error: Exception, said: pytest.LogCaptureFixture) -> None:
    """The first send fails for good: nothing is tried again (no wait is asked for, no task
    waits to try); the board's next update goes at once, as the whole board (which holds what
    was dropped), to everyone."""
    board, gateway, history, sleeps = Replica(), Gateway(), History(), Sleeps()
    relay = Relay(gateway, history, relay_interval=0.0, sleep=sleeps,  # type: ignore[arg-type]
                  whole=lambda _: board.doc.get_update())
    try:
        first, second = updates(2, board)
        history.error = error
        await relay.update(KEY, first, "ana", "sid-a")  # sent at once: fails
        assert history.attempts == 1
        assert retries() == [] and sleeps.asked.empty()  # nothing waits to be tried again
        box = relay.outboxes[KEY]
        assert box.updates == [] and not box.scheduled and not box.failing
        # The barrier: the next update is sent at once; the first is not tried again.
        history.error = None
        await relay.update(KEY, second, "ana", "sid-a")
        message, _, skip = await asyncio.wait_for(gateway.sent.get(), WAIT)
        got = Replica()
        got.receive(message.payload["update"])
        assert got.view() == board.view() and skip is None  # the whole board, for everyone
        assert history.attempts == 2 and gateway.sent.empty() and sleeps.asked.empty()
        logged = lines(said)
        assert [level for level, _ in logged] == ["WARNING"], logged
        assert "1 updates could not be relayed" in logged[0][1] and "dropped" in logged[0][1]
        assert "tonumber" not in logged[0][1] and "deleted" not in logged[0][1]  # no text
    finally:
        await gateway.tasks.close()


async def test_a_send_failing_for_good_after_waiting_drops_what_came_meanwhile_too(
        said: pytest.LogCaptureFixture) -> None:
    """Updates waiting for the coalescing interval are sent together; that send fails for good:
    all of them are dropped, and the send's task ends without asking for another wait."""
    board, gateway, history, sleeps = Replica(), Gateway(), History(), Sleeps()
    relay = Relay(gateway, history, relay_interval=0.5, sleep=sleeps)  # type: ignore[arg-type]
    try:
        first, *waiting = updates(4, board)
        await relay.update(KEY, first, "ana", "sid-a")  # at once, and it goes
        await asyncio.wait_for(gateway.sent.get(), WAIT)
        for update in waiting:
            await relay.update(KEY, update, "ana", "sid-a")  # within the interval: they wait
        (task,) = retries()
        history.error = unavailable(SCRIPT_ERROR)
        delay, done = await sleeps.next()
        assert 0 < delay <= 0.5
        done.set_result(None)  # the interval ends: the send fails
        await asyncio.wait_for(task, WAIT)  # and its task ends, asking for no other wait
        assert history.attempts == 2 and sleeps.asked.empty()
        assert relay.outboxes[KEY].updates == [] and gateway.sent.empty()
        assert [m for _, m in lines(said)] == [
            "board s/main: 3 updates could not be relayed (HistoryUnavailable from "
            "ResponseError) and are dropped: sending them again would fail the same way"]
    finally:
        await gateway.tasks.close()


@pytest.mark.parametrize("error", [
    unavailable(RedisConnectionError("Connection closed by server.")),
    unavailable(RedisTimeoutError("Timeout reading from socket")),
    unavailable(BusyLoadingError("Redis is loading the dataset in memory")),
    unavailable(ResponseError("BUSY Redis is busy running a script.")),
    ConnectionResetError(104, "Connection reset by peer")],
    ids=["connection", "timeout", "loading", "busy", "reset"])
async def test_a_send_failing_for_a_while_is_tried_again_less_and_less_often_until_it_goes(
        error: Exception, said: pytest.LogCaptureFixture) -> None:
    board, gateway, history, sleeps = Replica(), Gateway(), History(), Sleeps()
    relay = Relay(gateway, history, relay_interval=0.0,  # type: ignore[arg-type]
                  retry_interval=1.0, retry_max=2.0, sleep=sleeps)
    try:
        first, second = updates(2, board)
        history.error = error
        await relay.update(KEY, first, "ana", "sid-a")  # fails: tried again later
        (task,) = retries()
        waits = []
        for attempts in (1, 2, 3):  # each wait is asked for once the try before it failed
            delay, done = await sleeps.next()
            assert history.attempts == attempts
            waits.append(delay)
            if attempts == 1:
                await relay.update(KEY, second, "ana", "sid-a")  # waits behind the first
            if attempts == 3:
                history.error = None
            done.set_result(None)
        assert waits == [1.0, 1.5, 2.0]  # growing, at most retry_max
        got = Replica()
        for sent in (first, second):  # the first sent again alone (its id), then the second
            message, _, skip = await asyncio.wait_for(gateway.sent.get(), WAIT)
            assert message.payload["update"] == sent and skip == "sid-a"
            got.receive(message.payload["update"])
        assert got.view() == board.view()
        await asyncio.wait_for(task, WAIT)  # nothing waits any more
        assert history.attempts == 5 and sleeps.asked.empty() and gateway.sent.empty()
        assert relay.outboxes[KEY].retries == 0
        logged = lines(said)
        assert [level for level, _ in logged] == ["WARNING", "INFO"], logged  # once each way
    finally:
        await gateway.tasks.close()


@pytest.mark.parametrize(("error", "passes"), [
    (RedisConnectionError("Connection closed by server."), True),
    (RedisTimeoutError("Timeout reading from socket"), True),
    (TimeoutError(), True),
    (BusyLoadingError("Redis is loading the dataset in memory"), True),
    (ResponseError("BUSY Redis is busy running a script."), True),
    (ResponseError("MASTERDOWN Link with MASTER is down"), True),
    (OutOfMemoryError("command not allowed when used memory > 'maxmemory'."), True),
    (ReadOnlyError("You can't write against a read only replica."), True),
    (TryAgainError("Multiple keys request during rehashing of slot"), True),
    (unavailable(RedisConnectionError("Connection closed by server.")), True),
    (SCRIPT_ERROR, False),
    (TOO_BIG, False),
    (unavailable(SCRIPT_ERROR), False),
    (unavailable(TOO_BIG), False),
    (DataError("Invalid input of type: 'dict'"), False),
    (HistoryDropped("deleted"), False),
    (BoardDeleted("deleted"), False),
    (ValueError("not an update"), False),
])
def test_which_errors_pass(error: Exception, passes: bool) -> None:
    assert transient(error) is passes
