"""A person a mentor muted is not captioned from then on: the server stops recognising their
audio, and, while the mute is locked, refuses captions their own page sends of their speech
(``media_locked``), so that a page that ignores the mute (an old or altered one) cannot talk a
mentor's mute around in captions, nor put the muted person's words in the transcript."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from aiohttp.test_utils import TestServer

from server.captions.install import CAPTIONS
from tests.server.captions.test_captions import get, joined
from tests.server.captions.test_recognition_rooms import Heard, Recogniser, Tap, ok
from tests.support import Api, Peer, eventually


async def test_a_mentors_mute_stops_the_servers_recognition_of_that_person(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    captions = server.app[CAPTIONS]
    recogniser = Recogniser()
    captions.recogniser, captions.tap = recogniser, Tap()  # type: ignore[assignment]
    s = await api.create_session()
    mia, _ = await joined(api, peers, s, "mentor", "Mia")
    ana, _ = await joined(api, peers, s, "mentee", "Ana", audio=True)
    await ok(mia, "captions_view", {"on": True})
    stream = next(st for st, _ in recogniser.opened if st[1] == ana.id)
    assert stream not in recogniser.ended
    await ok(mia, "moderate", {"participant_id": ana.id, "action": "mute", "lock": True})
    assert stream in recogniser.ended
    assert (ana.id not in {k[1] for k in captions.listening}), captions.listening


async def test_a_page_cannot_caption_its_person_while_a_mentor_has_muted_them(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session(captions="keep")
    mia, _ = await joined(api, peers, s, "mentor", "Mia", transcript_notice=True)
    ana, _ = await joined(api, peers, s, "mentee", "Ana", audio=True, transcript_notice=True)
    await ok(mia, "captions_view", {"on": True})
    await ok(ana, "captions_source", {"source": "browser"})
    line = {"speaker_id": ana.id, "utterance": "b1", "final": True, "text": "before the mute"}
    await ok(ana, "caption_text", line)
    assert (await mia.next("caption"))["text"] == "before the mute"

    await ok(mia, "moderate", {"participant_id": ana.id, "action": "mute", "lock": True})
    for final in (False, True):
        refused = await ana.call("caption_text", {**line, "utterance": "b2", "final": final,
                                                  "text": "said while muted"})
        assert not refused["ok"] and refused["error"]["code"] == "media_locked", refused
    await mia.nothing("caption")
    await ok(mia, "moderate", {"participant_id": ana.id, "action": "allow"})
    await ok(ana, "media_state", {"audio": True, "video": False})
    await ok(ana, "caption_text", {**line, "utterance": "b3", "text": "allowed again"})
    assert (await mia.next("caption"))["text"] == "allowed again"


async def test_someone_who_sends_no_microphone_cannot_caption_their_own_speech(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """An observer or a captioner sends no microphone: a line of "their own speech" from their
    page is refused (it would be shown, and in a ``keep`` session kept, as words they said)."""
    s = await api.create_session(captions="keep")
    mia, _ = await joined(api, peers, s, "mentor", "Mia", transcript_notice=True)
    await ok(mia, "captions_view", {"on": True})
    for role in ("observer", "captioner"):
        peer, _ = await joined(api, peers, s, role, role.title(), transcript_notice=True)
        refused = await peer.call("caption_text", {"speaker_id": peer.id, "utterance": "o1",
                                                   "final": True, "text": "words never said"})
        assert not refused["ok"] and refused["error"]["code"] == "not_allowed", (role, refused)
    await mia.nothing("caption")


async def test_the_words_a_mentors_locked_mute_cut_short_are_not_captioned_after_it(
    api: Api, peers: Callable[[], Peer], server: TestServer
) -> None:
    """The server's recognition ends a muted speaker's stream with its open utterance as a
    final, recognised a second or two after the mute: with a locked mute (a mentor stopping
    what was being said) it is neither shown nor kept. An unlocked mute, like a person's own,
    leaves it captioned as said."""
    captions = server.app[CAPTIONS]
    recogniser = Recogniser()
    captions.recogniser, captions.tap = recogniser, Tap()  # type: ignore[assignment]
    s = await api.create_session(captions="keep")
    sid = s["session_id"]
    mia, _ = await joined(api, peers, s, "mentor", "Mia", transcript_notice=True)
    ana, _ = await joined(api, peers, s, "mentee", "Ana", audio=True, transcript_notice=True)
    ben, _ = await joined(api, peers, s, "mentee", "Ben", audio=True, transcript_notice=True)
    await ok(mia, "captions_view", {"on": True})

    def stream_of(peer: Peer) -> Hashable:
        return next(st for st, _ in reversed(recogniser.opened) if st[1] == peer.id)

    ana_stream, ben_stream = stream_of(ana), stream_of(ben)
    await ok(mia, "moderate", {"participant_id": ana.id, "action": "mute", "lock": True})
    await ok(mia, "moderate", {"participant_id": ben.id, "action": "mute"})
    assert ana_stream in recogniser.ended and ben_stream in recogniser.ended
    captions.on_caption(Heard(ana_stream, 1, "what the mentor stopped", True, 0.0, 1.0))
    captions.on_caption(Heard(ben_stream, 1, "Ben's last words before muting", True, 0.0, 1.0))
    shown = await mia.next("caption")
    assert shown["text"] == "Ben's last words before muting", shown

    async def handled() -> bool:
        return len(captions.tasks) == 0

    await eventually(handled, 5, what="the late captions handled")
    await mia.nothing("caption")
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert status == 200 and "Ben's last words" in text, text
    assert "what the mentor stopped" not in text, text


async def test_a_page_cannot_caption_its_person_while_their_microphone_is_off(
    api: Api, peers: Callable[[], Peer]
) -> None:
    """Muted by themselves: what their microphone hears then is not for the room, whatever
    their page sends (an old or altered one would show, and in a ``keep`` session keep, an
    aside said with the microphone off). The check is the domain's, in the step that applies
    the line (``rooms.captions.attribute``)."""
    s = await api.create_session()
    mia, _ = await joined(api, peers, s, "mentor", "Mia")
    ana, _ = await joined(api, peers, s, "mentee", "Ana", audio=True)
    await ok(mia, "captions_view", {"on": True})
    await ok(ana, "captions_source", {"source": "browser"})
    await ok(ana, "media_state", {"audio": False, "video": False})
    for final in (False, True):
        refused = await ana.call("caption_text", {"speaker_id": ana.id, "utterance": "b1",
                                                  "final": final, "text": "an aside"})
        assert not refused["ok"] and refused["error"]["code"] == "not_allowed", refused
    await mia.nothing("caption")
    await ok(ana, "media_state", {"audio": True, "video": False})
    await ok(ana, "caption_text", {"speaker_id": ana.id, "utterance": "b2", "final": True,
                                   "text": "back again"})
    assert (await mia.next("caption"))["text"] == "back again"
