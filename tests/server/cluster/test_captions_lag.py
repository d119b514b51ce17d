"""Captions with several processes (two apps sharing a real ``redis-server``): a caption line
is checked against the session with every change kept so far, not against a process's copy
that lags behind (``SessionStore.read_latest``). A caption changes nothing in the session, so
the store applies it to the local copy without a lease: a process whose channel is held back
(as under load) would otherwise caption someone who has already turned captions of their speech
off, or whom a deletion request has already erased, and keep the line after the deletion."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from rooms.attendance import RecordKind
from server.captions.install import CAPTIONS
from server.history import Replay
from tests.server.captions.test_recognition_rooms import Heard
from tests.server.cluster.apps import Held, Node, member, new_session, ok
from tests.support import ADMIN_KEY, Peer, eventually

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def history_texts(node: Node, session_id: str, room: str) -> list[str]:
    """The caption texts the shared history keeps for a room."""
    position = await node.ctx.history.position(session_id, room)
    found = await node.ctx.history.since(session_id, room, position.epoch, 0, 1 << 20)
    assert isinstance(found, Replay), found
    return [e.payload["text"] for e in found.entries if e.event == "caption"]


def line(speaker_id: str, utterance: str, text: str, final: bool = True) -> dict[str, Any]:
    return {"speaker_id": speaker_id, "utterance": utterance, "text": text, "final": final,
            "room": "main"}


async def erase(node: Node, session_id: str, participant_id: str) -> None:
    """A deletion request for one participant, made through ``node``."""
    async with aiohttp.ClientSession() as http, http.delete(
            f"{node.url}api/attendance/sessions/{session_id}/participants/{participant_id}",
            headers=ADMIN) as resp:
        assert resp.status == 200, await resp.text()


async def captioned(a: Node, b: Node, *, on: Node) -> tuple[str, Peer, Peer, Peer]:
    """A session made on ``on`` that keeps its transcript, with Mia and Ben on b and Carl, a
    captioner, on a, who has captioned Ben once: the session id, Mia, Ben and Carl."""
    s = await new_session(on, captions="keep")
    mia = await member(b, s, "mentor", "Mia", transcript_notice=True)
    ben = await member(b, s, "mentee", "Ben", transcript_notice=True)
    carl = await member(a, s, "captioner", "Carl")
    await ok(carl, "caption_text", line(ben.id, "c0", "said before"))
    assert (await mia.next("caption"))["text"] == "said before"
    return s["session_id"], mia, ben, carl


async def test_a_lagging_process_does_not_caption_someone_who_turned_it_off(
        nodes: tuple[Node, Node]) -> None:
    """Ben (on b) turns captions of his speech off and is told it is done; a captioner on a,
    whose channel is held back, then types his words: they are refused, partial or final."""
    a, b = nodes
    _, mia, ben, carl = await captioned(a, b, on=a)
    held = Held(a)
    held.hold()
    try:
        await ok(ben, "captions_transcribe", {"on": False})
        for final in (False, True):
            refused = await carl.call("caption_text",
                                      line(ben.id, "c1", "words Ben keeps to himself", final))
            assert not refused["ok"] and refused["error"]["code"] == "not_transcribed", refused
    finally:
        held.release()
    await ok(mia, "chat", {"text": "after"})
    assert (await mia.next("chat"))["message"]["text"] == "after"
    texts = []
    while not mia.inbox["caption"].empty():
        texts.append(mia.inbox["caption"].get_nowait()["text"])
    assert texts == [], texts


async def test_a_lagging_process_keeps_no_line_of_someone_a_deletion_erased(
        nodes: tuple[Node, Node]) -> None:
    """Ben (on b) is erased by a deletion request made through b; a captioner on a, whose
    channel is held back, then types a line of his: it is refused, so nothing of it reaches
    the room's shared history or a's ledger after the deletion has finished."""
    a, b = nodes
    sid, mia, ben, carl = await captioned(a, b, on=b)  # (in b's ledger: the request goes to b)
    held = Held(a)
    held.hold()
    try:
        await erase(b, sid, ben.id)
        assert await history_texts(b, sid, "main") == []  # the deletion dropped the history
        answer = await carl.call("caption_text", line(ben.id, "c1", "Ben lives at Elm Road 12"))
    finally:
        held.release()
    found = {
        "answer": answer.get("error", {}).get("code", "ok"),
        "history": await history_texts(b, sid, "main"),
        # (each app here has a ledger of its own, so the line said before stays in a's: a
        # real cluster shares one; what matters is a line written after the deletion)
        "a's ledger": [r.text for r in await a.ctx.ledger.session_records(sid)
                       if r.kind is RecordKind.CAPTION and r.text == "Ben lives at Elm Road 12"],
    }
    assert found == {"answer": "unknown_participant", "history": [], "a's ledger": []}, found


async def test_a_lagging_process_does_not_post_what_it_heard_of_someone_who_turned_it_off(
        nodes: tuple[Node, Node]) -> None:
    """The server's recognition on a (the media owner) finishes a line of Ben's after Ben, on
    b, turned captions of his speech off and was told it is done; a's channel is held back:
    the line is neither shown nor kept."""
    a, b = nodes
    s = await new_session(a, captions="keep")
    sid = s["session_id"]
    mia = await member(b, s, "mentor", "Mia", transcript_notice=True)
    ben = await member(b, s, "mentee", "Ben", audio=True, transcript_notice=True)
    await member(a, s, "captioner", "Carl")  # (a holds the session, as its media owner would)
    captions = a.server.app[CAPTIONS]
    now = asyncio.get_running_loop().time()
    captions.on_caption(Heard((sid, ben.id, 1, "main"), 0, "heard before", True, now, now))
    assert (await mia.next("caption"))["text"] == "heard before"
    held = Held(a)
    held.hold()
    try:
        await ok(ben, "captions_transcribe", {"on": False})
        now = asyncio.get_running_loop().time()
        for final in (False, True):
            captions.on_caption(Heard((sid, ben.id, 1, "main"), 1, "words Ben keeps to himself",
                                      final, now, now))
        await eventually(lambda: len(captions.tasks) == 0, what="the captions handled")
    finally:
        held.release()
    await ok(mia, "chat", {"text": "after"})
    assert (await mia.next("chat"))["message"]["text"] == "after"
    assert mia.inbox["caption"].empty(), mia.inbox["caption"].get_nowait()
    assert await history_texts(b, sid, "main") == ["heard before"]
    kept = [r.text for r in await a.ctx.ledger.session_records(sid)
            if r.kind is RecordKind.CAPTION and r.text is not None]
    assert kept == ["heard before"], kept


@pytest.mark.parametrize("meanwhile", ["nothing", "replay", "chat"])
async def test_a_person_erased_while_their_process_lags_is_sent_away_there(
        nodes: tuple[Node, Node], meanwhile: str) -> None:
    """Ben (on a) is erased by a deletion request made through b while a's channel is held
    back. Meanwhile a may bring its copy of the session up to date from Redis: Ben's page asks
    a for the captions it missed (``replay`` reads the session with every change kept so
    far), or Carl, also on a, chats (a change takes the lease with the copy brought up to
    date). Either way Ben is sent away from a and hears nothing more of the room: told he was
    removed when a applies the erasure from the channel; with his connection closed when a
    read the session again past it (an erasure's snapshot empties the log, so its events
    cannot be delivered there: every connection of the session on a is closed, to join again
    into what the session now says)."""
    a, b = nodes
    s = await new_session(b, captions="keep")
    sid = s["session_id"]
    # (Mia's page captions her own speech: her microphone is on)
    mia = await member(b, s, "mentor", "Mia", transcript_notice=True, audio=True)
    ben = await member(a, s, "mentee", "Ben", transcript_notice=True)
    carl = await member(a, s, "captioner", "Carl")  # on a with Ben: what a sends, he gets
    await ok(mia, "caption_text", {"speaker_id": mia.id, "utterance": "m0", "text": "hello",
                                   "final": True})
    seen = (await ben.next("caption"))["position"]
    await carl.next("caption")
    held = Held(a)
    held.hold()
    try:
        await erase(b, sid, ben.id)
        if meanwhile == "replay":
            await ben.call("replay", {k: seen[k] for k in ("room", "epoch", "offset")})
        elif meanwhile == "chat":  # (its answer never comes: the connection is closed first)
            await carl.sio.emit("chat", {"text": "meanwhile"})
        if meanwhile != "nothing":
            await eventually(lambda: not ben.sio.connected and not carl.sio.connected,
                             what="a closing the session's connections")
    finally:
        held.release()
    if meanwhile == "nothing":
        await ok(mia, "caption_text", {"speaker_id": mia.id, "utterance": "m1",
                                       "text": "said after Ben was erased", "final": True})
        assert (await carl.next("caption"))["text"] == "said after Ben was erased"
        assert not ben.inbox["removed"].empty()
    heard = []
    while not ben.inbox["caption"].empty():
        heard.append(ben.inbox["caption"].get_nowait()["text"])
    assert heard == [], heard
