"""Someone who turns off being captioned is neither recognised nor shown nor kept from then on:
the server stops listening to them at once, and what its recognition still hands back of the
words said before (the open utterance, ended as a final a second or two later) is dropped."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp.test_utils import TestServer

from server.captions.install import CAPTIONS
from tests.server.captions.test_captions import get, joined
from tests.server.captions.test_recognition_rooms import Heard, Recogniser, Tap, ok
from tests.support import Api, Peer, eventually


async def test_turning_transcription_off_stops_recognition_and_drops_its_last_words(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    captions = server.app[CAPTIONS]
    recogniser = Recogniser()
    captions.recogniser, captions.tap = recogniser, Tap()  # type: ignore[assignment]
    s = await api.create_session(captions="keep")
    sid = s["session_id"]
    mia, _ = await joined(api, peers, s, "mentor", "Mia", audio=True, transcript_notice=True)
    ana, _ = await joined(api, peers, s, "mentee", "Ana", audio=True, transcript_notice=True)
    await ok(mia, "captions_view", {"on": True})
    stream = next(st for st, _ in recogniser.opened if st[1] == ana.id)
    captions.on_caption(Heard(stream, 1, "kept before", True, 0.0, 1.0))
    assert (await mia.next("caption"))["text"] == "kept before"

    await ok(ana, "captions_transcribe", {"on": False})
    assert stream in recogniser.ended
    assert ana.id not in {key[1] for key in captions.listening}
    captions.on_caption(Heard(stream, 2, "said as she turned it off", False, 1.0, 2.0))
    captions.on_caption(Heard(stream, 2, "said as she turned it off, private", True, 1.0, 2.5))

    async def handled() -> bool:
        return len(captions.tasks) == 0

    await eventually(handled, 5, what="the late captions handled")
    await mia.nothing("caption")
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert status == 200 and "kept before" in text and "private" not in text, text
