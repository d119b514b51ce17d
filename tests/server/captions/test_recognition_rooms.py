"""The server's recognition hears each stretch of someone's speech in one room: a caption of it
is shown in that room only. Words said in a breakout room whose caption comes after the speaker
has left it (the speech service ends a stream with its open utterance as a final, a second or
two later) are not shown in the room they are in by then."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestServer

from server.captions.install import CAPTIONS
from tests.support import Api, Peer, eventually


@dataclass
class Heard:
    stream: Any
    utterance: int
    text: str
    final: bool
    start: float
    end: float


class Recogniser:
    """Records the streams opened and ended (the speech service's side is not under test)."""

    def __init__(self) -> None:
        self.opened: list[tuple[Hashable, Hashable]] = []
        self.ended: list[Hashable] = []

    def open(self, stream: Hashable, group: Hashable) -> None:
        self.opened.append((stream, group))

    def feed(self, stream: Hashable, pcm: bytes, now: float) -> None:
        pass

    def end(self, stream: Hashable) -> None:
        self.ended.append(stream)


class Tap:
    def listen(self, key: Any, on: bool) -> None:
        pass


async def ok(peer: Peer, event: str, data: Any = None) -> dict[str, Any]:
    ack = await peer.call(event, data or {})
    assert ack["ok"], (event, ack)
    return ack


async def test_a_breakout_rooms_words_heard_after_it_closed_are_not_shown_elsewhere(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    captions = server.app[CAPTIONS]
    recogniser = Recogniser()
    captions.recogniser, captions.tap = recogniser, Tap()  # type: ignore[assignment]
    s = await api.create_session()
    sid = s["session_id"]
    mia, ana, ben = peers(), peers(), peers()
    await mia.connect(api.token(s["join_urls"]["mentor"]))
    await mia.join("Mia")
    await ana.connect(api.token(s["join_urls"]["mentee"]))
    await ana.join("Ana", audio=True)
    await ben.connect(api.token(s["join_urls"]["mentee"]))
    await ben.join("Ben")
    await ok(mia, "breakout_create", {"count": 1})
    for p in (ana, ben):
        await ok(mia, "breakout_assign", {"participant_id": p.id, "room": "1:b1"})
    await ok(mia, "breakout_open", {})
    await ok(ben, "captions_view", {"on": True})  # Ana's speech is recognised in room one
    in_breakout = next(st for st, group in recogniser.opened if group == (sid, "1:b1"))
    await ok(mia, "captions_view", {"on": True})
    await ok(mia, "breakout_close", {"countdown_seconds": 0})  # everyone back in the main room
    assert in_breakout in recogniser.ended
    in_main = next(st for st, group in recogniser.opened if group == (sid, "main"))

    # The speech service's last words of the breakout, then words said in the main room.
    captions.on_caption(Heard(in_breakout, 0, "said in room one", False, 0.0, 0.5))
    captions.on_caption(Heard(in_breakout, 0, "said in room one only", True, 0.0, 1.0))

    async def handled() -> bool:
        return len(captions.tasks) == 0

    await eventually(handled, 5, what="the breakout's captions handled")
    captions.on_caption(Heard(in_main, 0, "said in the main room", True, 2.0, 3.0))
    shown = await mia.next("caption")
    assert shown["text"] == "said in the main room" and shown["room"] == "main", shown
    await mia.nothing("caption")
    await ben.barrier()
    texts = []
    while not ben.inbox["caption"].empty():
        texts.append(ben.inbox["caption"].get_nowait()["text"])
    assert texts == ["said in the main room"], texts


async def test_a_pages_caption_carries_its_room_and_is_refused_in_another(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """A line typed by a captioner (or recognised by a speaker's page) in a breakout room, sent
    as they are moved out of it, is refused rather than shown in the room they are in now."""
    s = await api.create_session()
    mia, ana, carl = peers(), peers(), peers()
    await mia.connect(api.token(s["join_urls"]["mentor"]))
    await mia.join("Mia")
    await ana.connect(api.token(s["join_urls"]["mentee"]))
    await ana.join("Ana")
    await carl.connect(api.token(s["join_urls"]["captioner"]))
    await carl.join("Carl")
    await ok(mia, "captions_view", {"on": True})
    await ok(mia, "breakout_create", {"count": 1})
    for p in (ana, carl):
        await ok(mia, "breakout_assign", {"participant_id": p.id, "room": "1:b1"})
    await ok(mia, "breakout_open", {})
    await ok(mia, "breakout_close", {"countdown_seconds": 0})  # all back in the main room
    line = {"speaker_id": ana.id, "utterance": "c1", "final": True}
    late = await carl.call("caption_text", {**line, "text": "typed in room one", "room": "1:b1"})
    assert late["ok"] is False and late["error"]["code"] == "not_same_room", late
    here = await carl.call("caption_text", {**line, "utterance": "c2", "text": "typed here",
                                            "room": "main"})
    assert here["ok"], here
    assert (await mia.next("caption"))["text"] == "typed here"
    await mia.nothing("caption")
