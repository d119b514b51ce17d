"""What a drop of a session's history takes (``Taken``) and refuses of the events still on their
way, in memory and in a real ``redis-server``: of an ended or deleted session everything; of a
deletion the erased participant's words alone (their chat messages up to the highest number the
erasure removed, their caption lines), not anyone else's, nor theirs posted after it under the
same id; and nothing by a clock."""

from __future__ import annotations

from typing import Any, cast

import pytest

from server.gateway import SocketGateway
from server.history import (
    History,
    HistoryDropped,
    MemoryHistory,
    Replay,
    Said,
    Taken,
    send_replayable,
)
from server.protocol import Message
from server.settings import HistoryBounds
from tests.server import test_history_bounds as bounds
from tests.support import Clock

# The fixtures of the bounds' tests: histories in memory and in the module's Redis.
redis_server = bounds.redis_server
make = bounds.make


class Room:
    """What the memory history's sends reach (a room's connections)."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def emit(self, message: Message, room: str, skip_sid: str | None = None) -> None:
        self.sent.append(message)


async def send(history: History, text: str, said: Said | None, session_id: str = "s") -> None:
    await send_replayable(history, cast(SocketGateway, Room()), session_id, "main",
                          Message("chat", {"message": {"text": text}}), said=said)


async def kept(history: History, session_id: str = "s") -> list[str]:
    position = await history.position(session_id, "main")
    found = await history.since(session_id, "main", position.epoch, 0, 1 << 20)
    assert isinstance(found, Replay), found
    return [e.payload["message"]["text"] for e in found.entries]


async def refused(history: History, text: str, said: Said) -> bool:
    try:
        await send(history, text, said)
    except HistoryDropped:
        return True
    return False


async def test_a_deletion_refuses_the_erased_participants_words_from_before_it_alone(
        make: bounds.Make) -> None:
    h = make(HistoryBounds(), Clock())
    await send(h, "before", Said("ben", 1))
    assert await h.drop("s", taken=Taken(erased={"ana": 3})) == 1
    outcome: dict[str, Any] = {
        "ana's chat 3, from before": await refused(h, "ana 3", Said("ana", 3)),
        "ana's chat 2, from before": await refused(h, "ana 2", Said("ana", 2)),
        "ana's caption": await refused(h, "ana said", Said("ana")),
        "ben's chat 4": await refused(h, "ben 4", Said("ben", 4)),
        "ben's caption": await refused(h, "ben said", Said("ben")),
        "an unknown speaker's caption": await refused(h, "someone said", Said("")),
        "ana's chat 5, after (the same id back)": await refused(h, "ana 5", Said("ana", 5)),
    }
    await send(h, "board", None)  # (not said by anyone known: a whiteboard update)
    assert outcome == {
        "ana's chat 3, from before": True,
        "ana's chat 2, from before": True,
        "ana's caption": True,
        "ben's chat 4": False,
        "ben's caption": False,
        "an unknown speaker's caption": False,
        "ana's chat 5, after (the same id back)": False,
    }
    assert await kept(h) == ["ben 4", "ben said", "someone said", "ana 5", "board"]


async def test_an_ended_session_takes_nothing_more_and_other_sessions_go_on(
        make: bounds.Make) -> None:
    h = make(HistoryBounds(), Clock())
    await send(h, "before", Said("ben", 1))
    await h.drop("s", taken=Taken(whole=True))
    assert await refused(h, "ben 2", Said("ben", 2))
    assert await refused(h, "ben said", Said("ben"))
    await send(h, "elsewhere", Said("ben", 9), session_id="t")
    assert (await kept(h), await kept(h, "t")) == ([], ["elsewhere"])


async def test_a_drop_that_took_nothing_refuses_nothing(make: bounds.Make) -> None:
    """A deletion request for a person drops every session's history, most of which never
    held them: what is on its way there is kept."""
    h = make(HistoryBounds(), Clock())
    await send(h, "before", Said("ben", 1))
    await h.drop()
    await send(h, "ben 2", Said("ben", 2))
    assert await kept(h) == ["ben 2"]


async def test_a_later_drop_for_the_same_participant_keeps_what_the_first_took(
        make: bounds.Make) -> None:
    h = make(HistoryBounds(), Clock())
    await h.drop("s", taken=Taken(erased={"ana": 5}))
    await h.drop("s", taken=Taken(erased={"ana": 0, "cleo": 2}))
    assert await refused(h, "ana 5", Said("ana", 5))
    assert await refused(h, "cleo 1", Said("cleo", 1))
    assert not await refused(h, "ana 6", Said("ana", 6))


@pytest.mark.parametrize("moved", [-3.0, 3.0])
async def test_what_a_drop_took_does_not_depend_on_the_clock(make: bounds.Make,
                                                            moved: float) -> None:
    clock = Clock()
    h = make(HistoryBounds(), clock)
    await h.drop("s", taken=Taken(erased={"ana": 3}))
    clock.now += moved
    assert await refused(h, "ana 3", Said("ana", 3))
    assert not await refused(h, "ben 4", Said("ben", 4))


async def test_in_memory_what_a_drop_took_is_forgotten_once_entries_would_be() -> None:
    clock = Clock()
    h = MemoryHistory(HistoryBounds(seconds=60, rooms=2), clock)
    await h.drop("s", taken=Taken(whole=True))
    clock.now += 60 + 61
    await send(h, "ben 2", Said("ben", 2))
    for sid in ("t", "u", "v"):  # past the number of rooms, the oldest sessions' go first
        await h.drop(sid, taken=Taken(whole=True))
    assert (await kept(h), list(h.taken)) == (["ben 2"], ["u", "v"])


async def test_an_erased_participant_back_under_the_same_id_is_captioned_again(
        make: bounds.Make) -> None:
    """Their page came back with its resume credential after the deletion: what they say from
    then on is kept; their chat messages the erasure took stay out."""
    h = make(HistoryBounds(), Clock())
    await h.drop("s", taken=Taken(erased={"ana": 3}))
    assert await refused(h, "ana said", Said("ana"))
    await h.returned("s", "ana")
    await h.returned("s", "ben")  # (anyone joining: nothing to lift)
    assert not await refused(h, "ana says", Said("ana"))
    assert await refused(h, "ana 3", Said("ana", 3))
    assert await kept(h) == ["ana says"]
