"""With several processes, a chat message whose history append failed is answered
``not_recorded``; its page sends it again with the same ``client_id``. The message was posted
(the session and its records hold it): it is not posted again but sent to its room again under
its number (``server.history.Once``), so that whether or not Redis kept and sent it the first
time (the reply lost, or Redis out of reach), the room receives it once and the history keeps
it once, at the number the sender is answered with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from server.history import Replay
from tests.server.cluster.apps import Node, member, new_session, ok
from tests.support import Api

Append = Callable[..., Awaitable[Any]]


def failing_once(node: Node, *, kept: bool, times: int = 1) -> list[int]:
    """The next history append of ``node`` (``times``: so many) fails, after Redis ran it
    (``kept``: its reply was lost) or before (Redis out of reach); the appends made since,
    counted."""
    history = node.ctx.history
    real: Append = history._append  # type: ignore[attr-defined]
    calls: list[int] = []

    async def append(**kw: Any) -> Any:
        calls.append(1)
        if len(calls) <= times and not kept:
            raise RedisConnectionError("Connection refused.")
        answer = await real(**kw)
        if len(calls) <= times:
            raise RedisConnectionError("Connection closed by server.")
        return answer

    history._append = append  # type: ignore[attr-defined]
    return calls


async def chat_of_a_joiner(node: Node, s: dict[str, Any]) -> list[tuple[int, str]]:
    cleo = node.peer()
    await cleo.connect(Api.token(s["join_urls"]["mentee"]))
    return [(m["id"], m["text"]) for m in (await cleo.join("Cleo"))["chat"]]


@pytest.mark.parametrize("kept", [True, False], ids=["reply-lost", "redis-away"])
async def test_a_chat_whose_history_append_failed_is_sent_and_kept_once_when_sent_again(
        nodes: tuple[Node, Node], kept: bool) -> None:
    a, b = nodes
    s = await new_session(a)
    ana = await member(a, s, "mentor", "Ana")
    ben = await member(b, s, "mentee", "Ben")
    history = a.ctx.history
    start = await history.position(s["session_id"], "main")
    calls = failing_once(a, kept=kept)
    said = {"text": "hello", "client_id": "a1-1"}
    first = await ana.call("chat", said)
    assert first["ok"] is False and first["error"]["code"] == "not_recorded", first
    again = await ok(ana, "chat", said)  # her page sends it again
    number = again["message"]["id"]
    assert again["message"]["text"] == "hello"
    # Sent once more to the history (under its number), not posted again.
    assert len(calls) == 2
    replay = await history.since(s["session_id"], "main", start.epoch, start.offset, 1 << 20)
    assert isinstance(replay, Replay)
    assert [(e.payload["message"]["id"], e.payload["message"]["text"])
            for e in replay.entries] == [(number, "hello")]
    await ok(ana, "chat", {"text": "next", "client_id": "a1-2"})
    for p in (ben, ana):  # everyone, the sender too, receives it once: a second copy comes first
        assert (await p.next("chat"))["message"] == again["message"]
        assert (await p.next("chat"))["message"]["text"] == "next"
    assert await chat_of_a_joiner(b, s) == [(number, "hello"), (number + 1, "next")]
    # A third time, it is answered as posted: nothing is sent or kept again.
    third = await ok(ana, "chat", said)
    assert third["message"] == again["message"] and len(calls) == 3  # (3: "next")
    await ok(ben, "chat", {"text": "after", "client_id": "b1-1"})
    assert (await ana.next("chat"))["message"]["text"] == "after"


async def test_a_message_whose_second_sending_failed_too_goes_at_the_third(
        nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    s = await new_session(a)
    ana = await member(a, s, "mentor", "Ana")
    ben = await member(b, s, "mentee", "Ben")
    calls = failing_once(a, kept=False, times=2)
    said = {"text": "third time lucky", "client_id": "a3-1"}
    for _ in range(2):
        refused = await ana.call("chat", said)
        assert refused["error"]["code"] == "not_recorded", refused
    again = await ok(ana, "chat", said)
    assert len(calls) == 3
    await ok(ana, "chat", {"text": "next", "client_id": "a3-2"})
    assert (await ben.next("chat"))["message"] == again["message"]
    assert (await ben.next("chat"))["message"]["text"] == "next"
    assert await chat_of_a_joiner(b, s) == [(again["message"]["id"], "third time lucky"),
                                            (again["message"]["id"] + 1, "next")]


async def test_a_message_whose_records_failed_is_still_posted_again(
        nodes: tuple[Node, Node]) -> None:
    """Only a history out of reach keeps the first posting: a required record that failed
    (the ledger) has the message posted and recorded again, as with one process."""
    a, b = nodes
    s = await new_session(a)
    ana = await member(a, s, "mentor", "Ana")
    ben = await member(b, s, "mentee", "Ben")
    failures = [OSError("disk full")]

    async def fails_once(events: object) -> None:
        if failures:
            raise failures.pop()

    a.ctx.delivery.add_recorder(fails_once, required=True)
    said = {"text": "recorded at last", "client_id": "a2-1"}
    first = await ana.call("chat", said)
    assert first["error"]["code"] == "not_recorded", first
    again = await ok(ana, "chat", said)
    got = [(await ben.next("chat"))["message"]["id"] for _ in range(2)]
    assert got[1] == again["message"]["id"] != got[0]
