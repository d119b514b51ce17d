"""``Delivery``: a deliverer that fails leaves the batch's other events to be delivered and the
recorders (the ledger among them) to keep it, and its error is then the answer."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rooms.commands import Join, PostChat
from rooms.errors import NotRecorded
from rooms.events import ChatPosted, Event
from rooms.roles import Role
from rooms.session import Session
from server.delivery import Delivery


def two_messages() -> list[Event]:
    s = Session.create(session_id="s1", title="Delivery", max_participants=8, now=1.0)
    Join(connection_id="c1", role=Role.MENTEE, name="Ana", new_participant_id="ana",
         audio=True, video=True, at=2.0).apply(s)
    events: list[Event] = []
    for text in ("first", "second"):
        events += PostChat("ana", "c1", text, 3.0).apply(s).events
    assert [type(e) for e in events] == [ChatPosted, ChatPosted]
    return events


class Unreachable(NotRecorded):
    """(as the history when Redis is out of reach)"""


async def test_a_failing_deliverer_leaves_the_rest_delivered_and_recorded() -> None:
    delivery = Delivery()
    sent: list[str] = []
    kept: list[str] = []

    async def deliver(event: ChatPosted, actor_sid: str | None) -> None:
        if not sent:
            sent.append("refused")
            raise Unreachable("The room's history is out of reach.")
        sent.append(event.message.text)

    async def ledger(events: Sequence[Event]) -> None:
        kept.extend(e.message.text for e in events if isinstance(e, ChatPosted))

    delivery.deliver_with(ChatPosted, deliver)
    delivery.add_recorder(ledger, required=True)
    with pytest.raises(Unreachable):
        await delivery.deliver(two_messages(), "c1")
    assert sent == ["refused", "second"]
    assert kept == ["first", "second"]


async def test_a_failing_deliverer_of_any_kind_is_the_answer_after_the_recorders() -> None:
    delivery = Delivery()
    kept: list[str] = []

    async def broken(event: ChatPosted, actor_sid: str | None) -> None:
        raise RuntimeError("a defect")

    async def ledger(events: Sequence[Event]) -> None:
        kept.extend(e.message.text for e in events if isinstance(e, ChatPosted))

    delivery.deliver_with(ChatPosted, broken)
    delivery.add_recorder(ledger, required=True)
    with pytest.raises(RuntimeError, match="a defect"):
        await delivery.deliver(two_messages(), "c1")
    assert kept == ["first", "second"]
