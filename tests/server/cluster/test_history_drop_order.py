"""A drop of a session's history (a deletion request, the session's end) and the replayable
events still on their way, with two apps sharing a real ``redis-server`` whose clocks are a few
seconds apart: what the drop refuses does not depend on either clock. A deletion refuses the
erased participant's words from before it, and nothing of anyone else's; an ended session takes
no more events."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from server.protocol import Message
from tests.server.cluster.apps import Held, Node, member, new_session, ok
from tests.server.cluster.test_captions_lag import history_texts, line
from tests.server.cluster.test_history_after_erasure import ADMIN, chat_texts
from tests.support import Api

SKEW = 3.0  # seconds between the two apps' clocks


def skew(node: Node, seconds: float) -> None:
    """The app's clock runs ``seconds`` ahead of the other's (behind when negative): the time
    its commands are applied at and its history's."""
    def clock() -> float:
        return time.time() + seconds

    node.ctx.clock = clock
    node.ctx.history.clock = clock  # type: ignore[attr-defined]


async def erase(node: Node, session_id: str, participant_id: str) -> None:
    """A deletion request for one participant, made through ``node`` and answered."""
    async with aiohttp.ClientSession() as http, http.delete(
            f"{node.url}api/attendance/sessions/{session_id}/participants/{participant_id}",
            headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()


class ChatBehind:
    """``node`` keeps the next chat message (the store's append; or ``event``) and is a moment
    late delivering it (``late`` is set then), its channel held back as well from ``hold`` until
    ``release``; ``deliver`` returns once the message was delivered (or refused)."""

    def __init__(self, node: Node, event: str = "chat") -> None:
        real = node.ctx.history.broadcast  # type: ignore[attr-defined]
        self.late, self.go, self.delivered = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self.held = Held(node)

        async def behind(session_id: str, room: str, message: Message, skip: str | None,
                         *rest: object) -> None:
            try:
                if message.event == event:
                    self.late.set()
                    await self.go.wait()
                await real(session_id, room, message, skip, *rest)
            finally:
                if message.event == event:
                    self.delivered.set()

        node.ctx.history.broadcast = behind  # type: ignore[attr-defined]

    async def hold(self) -> None:
        await asyncio.wait_for(self.late.wait(), 5)
        self.held.hold()

    async def deliver(self) -> None:
        """(The channel is still held: what it holds would close the poster's connection, which
        cancels the delivery; or drop the history again there, which hides what it kept.)"""
        self.go.set()
        await asyncio.wait_for(self.delivered.wait(), 5)

    def release(self) -> None:
        self.go.set()
        self.held.release()


async def test_a_chat_posted_after_a_deletion_by_a_process_whose_clock_is_behind_is_sent(
        nodes: tuple[Node, Node]) -> None:
    """Cleo is erased through a; then Ben, on b (whose clock is behind a's), posts a message.
    It came after the deletion: it is sent to the room and kept in its history."""
    a, b = nodes
    skew(b, -SKEW)
    s = await new_session(a)
    sid = s["session_id"]
    mia = await member(a, s, "mentor", "Mia")
    cleo = await member(a, s, "mentee", "Cleo")
    ben = await member(b, s, "mentee", "Ben")
    await erase(a, sid, cleo.id)

    ack = await ben.call("chat", {"text": "after the deletion"})
    assert ack["ok"], ack
    assert (await mia.next("chat"))["message"]["text"] == "after the deletion"
    assert await chat_texts(a, sid, "main") == ["after the deletion"]


async def test_an_erased_participants_chat_from_before_the_deletion_stays_out_with_a_clock_ahead(
        nodes: tuple[Node, Node]) -> None:
    """Ana, on b (whose clock is ahead of a's), posts a message that b keeps and is a moment
    late delivering; meanwhile she is erased through a. Her message is not kept in the shared
    history after the deletion, whatever b's clock says."""
    a, b = nodes
    skew(b, SKEW)
    s = await new_session(a)
    sid = s["session_id"]
    await member(a, s, "mentor", "Mia")
    ana = await member(b, s, "mentee", "Ana")
    behind = ChatBehind(b)
    try:
        await ana.sio.emit("chat", {"text": "Ana lives at Elm Road 12"})
        await behind.hold()
        await erase(a, sid, ana.id)
        await behind.deliver()
        assert await chat_texts(a, sid, "main") == []
    finally:
        behind.release()


async def test_someone_elses_chat_from_just_before_a_deletion_is_sent_after_it(
        nodes: tuple[Node, Node]) -> None:
    """Ben, on b, posts a message that b keeps and is a moment late delivering; meanwhile Ana is
    erased through a. Ben's message stays in the session's chat (the deletion took only Ana's):
    it is sent to the room and kept in its history, and Ben is told it was posted."""
    a, b = nodes
    s = await new_session(a)
    sid = s["session_id"]
    mia = await member(a, s, "mentor", "Mia")
    ana = await member(a, s, "mentee", "Ana")
    ben = await member(b, s, "mentee", "Ben")
    behind = ChatBehind(b)
    try:
        posted = asyncio.ensure_future(ben.call("chat", {"text": "see you all next week"}))
        await behind.hold()
        await erase(a, sid, ana.id)
        await behind.deliver()
        kept = await chat_texts(a, sid, "main")
    finally:
        behind.release()
    assert kept == ["see you all next week"]
    ack = await posted
    assert ack["ok"], ack
    assert (await mia.next("chat"))["message"]["text"] == "see you all next week"


async def test_a_chat_delivered_after_the_session_ended_stays_out_with_a_clock_ahead(
        nodes: tuple[Node, Node]) -> None:
    """Ben, on b (whose clock is ahead of a's), posts a message that b keeps and is a moment
    late delivering; meanwhile Mia ends the session through a (its history goes). The
    message is not kept in the history of the ended session, whatever b's clock says."""
    a, b = nodes
    skew(b, SKEW)
    s = await new_session(a)
    sid = s["session_id"]
    mia = await member(a, s, "mentor", "Mia")
    ben = await member(b, s, "mentee", "Ben")
    behind = ChatBehind(b)
    try:
        await ben.sio.emit("chat", {"text": "one more thing"})
        await behind.hold()
        assert (await mia.call("end_session", {}))["ok"]
        await behind.deliver()
        assert await chat_texts(a, sid, "main") == []
    finally:
        behind.release()



async def test_an_erased_speakers_line_on_its_way_stays_out_until_they_are_back(
        nodes: tuple[Node, Node]) -> None:
    """Carl, a captioner on a (whose clock is ahead of b's), types a line of Ben's that a is a
    moment late delivering; meanwhile Ben is erased through b. The line is neither kept nor
    sent. Ben's page then joins again with its resume credential, under the same id: Carl's
    next line of his is sent and kept."""
    a, b = nodes
    skew(a, SKEW)
    s = await new_session(b, captions="keep")
    sid = s["session_id"]
    mia = await member(b, s, "mentor", "Mia", transcript_notice=True)
    ben = await member(b, s, "mentee", "Ben", transcript_notice=True)
    carl = await member(a, s, "captioner", "Carl")
    behind = ChatBehind(a, "caption")
    try:
        posted = asyncio.ensure_future(carl.call("caption_text",
                                                 line(ben.id, "c1", "Ben lives at Elm Road 12")))
        await behind.hold()
        await erase(b, sid, ben.id)
        await behind.deliver()
        kept = await history_texts(b, sid, "main")
    finally:
        behind.release()
    answer = await posted
    assert (kept, answer.get("error", {}).get("code")) == ([], "not_recorded"), (kept, answer)

    again = b.peer()
    await again.connect(Api.token(s["join_urls"]["mentee"]))
    await again.join("Ben", resume=ben.resume, transcript_notice=True)
    assert again.id == ben.id
    await ok(carl, "caption_text", line(ben.id, "c2", "back again"))
    assert (await mia.next("caption"))["text"] == "back again"
    assert await history_texts(b, sid, "main") == ["back again"]
