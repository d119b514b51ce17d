"""Deletion requests with several processes (two apps sharing a real ``redis-server``): a chat
message kept before a participant's erasure, but delivered by its process after the erasure (a
process a moment behind, as under load), does not reach the room's shared history after the
deletion request dropped it (the history's drop leaves what the erasure took, and an event
that carries it is neither kept nor sent)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from server.history import Replay
from server.protocol import Message
from tests.server.cluster.apps import Held, Node, member, new_session
from tests.support import ADMIN_KEY

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
SECRET = "Ana lives at Elm Road 12"
PERSON = "ana.smith@example.org"


async def chat_texts(node: Node, session_id: str, room: str) -> list[str]:
    """The chat texts the shared history keeps for a room (its current epoch)."""
    position = await node.ctx.history.position(session_id, room)
    found = await node.ctx.history.since(session_id, room, position.epoch, 0, 1 << 20)
    assert isinstance(found, Replay), found
    return [e.payload["message"]["text"] for e in found.entries if e.event == "chat"]


async def test_a_chat_delivered_after_its_senders_erasure_is_not_kept_in_the_history(
        nodes: tuple[Node, Node]) -> None:
    """Ana (on b) posts a message; b keeps it (the store's append) and is a moment late
    delivering it, its channel behind as well (b under load). Meanwhile a deletion request
    for Ana, made through a, erases her (her messages go from the session), drops the
    session's history and is answered. Then b delivers her message: it is appended to the
    shared history as the room's next entry (after the deletion's rewrite of Redis's files)
    and sent to the room. Cleo, who joined after the deletion, asks for what she missed from
    her join's position and is handed Ana's words. (Were b's channel not behind, b would
    close Ana's connection first, which cancels her message's handler: the late delivery
    never comes.)"""
    a, b = nodes
    s = await new_session(a)
    sid = s["session_id"]
    await member(a, s, "mentor", "Mia")
    ana = await member(b, s, "mentee", "Ana")

    real = b.ctx.history.broadcast  # type: ignore[attr-defined]
    late, go, delivered = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def behind(session_id: str, room: str, message: Message, skip: str | None,
                     *rest: Any) -> None:
        try:
            if message.event == "chat":
                late.set()
                await go.wait()  # (b a moment behind, between keeping it and sending it)
            await real(session_id, room, message, skip, *rest)
        finally:
            if message.event == "chat":
                delivered.set()

    b.ctx.history.broadcast = behind  # type: ignore[attr-defined]
    await ana.sio.emit("chat", {"text": SECRET})
    await asyncio.wait_for(late.wait(), 5)
    held = Held(b)  # (and b's channel behind too: it has not yet applied what a does next)
    held.hold()
    try:
        async with aiohttp.ClientSession() as http, http.delete(
                f"{a.url}api/attendance/sessions/{sid}/participants/{ana.id}",
                headers=ADMIN) as resp:
            assert resp.status == 200, await resp.text()
        assert await chat_texts(a, sid, "main") == []  # the deletion dropped the history
        cleo = a.peer()
        await cleo.connect(cleo_token(s))
        joined = await cleo.join("Cleo")
        go.set()
        await asyncio.wait_for(delivered.wait(), 5)
    finally:
        go.set()
        held.release()

    kept = await chat_texts(a, sid, "main")
    asked: dict[str, Any] = {k: joined["position"][k] for k in ("room", "epoch", "offset")}
    answer = await cleo.call("replay", asked)
    replayed = [e["payload"]["message"]["text"] for e in answer.get("events", [])
                if e["event"] == "chat"]
    assert (kept, replayed) == ([], []), (
        f"the erased participant's message after the deletion: kept {kept}, "
        f"replayed to Cleo {replayed}")


def cleo_token(s: dict[str, Any]) -> str:
    return str(s["join_urls"]["mentee"]).split("#token=", 1)[1]
