"""Live captions over the socket and transcripts over HTTP: consent, who may caption whom, the
room's route, what is kept and who can download it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import srt
import webvtt

from server.app import create_app
from server.captions.install import CAPTIONS
from server.database import DATABASE_FILE
from server.media.install import MEDIA
from tests.support import ADMIN_KEY, Api, Clock, Peer, eventually

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


async def joined(api: Api, peers: Callable[[], Peer], s: dict[str, Any], role: str, name: str,
                 **extra: Any) -> tuple[Peer, dict[str, Any]]:
    peer = peers()
    await peer.connect(api.token(s["join_urls"][role]))
    ack = await peer.join(name, **extra)
    return peer, ack


async def say(captioner: Peer, speaker_id: str, utterance: str, *parts: str) -> None:
    """A captioner types ``parts`` as partials, the last one as the final line. A page
    captioning its own person turns their microphone on first, as a real page does (its
    captions are taken only while it is on)."""
    if speaker_id == captioner.id:
        ack = await captioner.call("media_state", {"audio": True, "video": False})
        assert ack["ok"], ack
    for text in parts[:-1]:
        ack = await captioner.call("caption_text", {"speaker_id": speaker_id, "text": text,
                                                    "utterance": utterance, "final": False})
        assert ack["ok"], ack
    ack = await captioner.call("caption_text", {"speaker_id": speaker_id, "text": parts[-1],
                                                "utterance": utterance, "final": True})
    assert ack["ok"], ack


async def get(api: Api, path: str, headers: dict[str, str] | None = None,
              **query: str) -> tuple[int, str]:
    async with api.http.get(path, params=query,
                            headers=ADMIN if headers is None else headers) as resp:
        return resp.status, await resp.text()


async def test_with_captions_off_there_is_no_caption_of_any_kind(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session(captions="off")
    ana, ack = await joined(api, peers, s, "mentor", "Ana")
    assert ack["session"]["captions"] == "off"
    cap, _ = await joined(api, peers, s, "captioner", "Carl")
    for peer, event, payload in (
        (ana, "captions_view", {"on": True}),
        (ana, "captions_source", {"source": "browser"}),
        (ana, "caption_text", {"speaker_id": ana.id, "utterance": "u1", "text": "hi",
                               "final": True}),
        (cap, "caption_text", {"speaker_id": ana.id, "utterance": "u1", "text": "hi",
                               "final": False}),
    ):
        refused = await peer.call(event, payload)
        assert refused["error"]["code"] == "captions_off", (event, refused)


async def test_turning_captions_on_takes_a_pair_through_the_server(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana, _ = await joined(api, peers, s, "mentor", "Ana", audio=True)
    ben, ack = await joined(api, peers, s, "mentee", "Ben", audio=True)
    assert ack["media_route"] == "p2p" and ack["session"]["captions"] == "live"
    assert (await ben.call("captions_view", {"on": True}))["ok"]
    update = await ana.next("participant_updated")
    assert update["participant"]["id"] == ben.id and update["participant"]["captions"] is True
    assert await ana.next("media_route") == {"room": "main", "route": "server"}
    assert (await ben.call("captions_view", {"on": False}))["ok"]
    assert await ana.next("media_route") == {"room": "main", "route": "p2p"}


async def test_a_captioner_captions_people_of_their_room_and_only_them(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana, _ = await joined(api, peers, s, "mentor", "Ana")
    ben, _ = await joined(api, peers, s, "mentee", "Ben")
    cap, ack = await joined(api, peers, s, "captioner", "Carl")
    assert ack["participant"]["role"] == "captioner" and ack["participant"]["audio"] is False
    await say(cap, ben.id, "c1", "I would", "I would like to talk about my essay")
    partial = await ana.next("caption")
    assert partial["text"] == "I would" and partial["final"] is False
    final = await ana.next("caption")
    assert {k: final[k] for k in ("room", "speaker_id", "speaker_name", "utterance", "text",
                                  "final", "source")} == {
        "room": "main", "speaker_id": ben.id, "speaker_name": "Ben", "utterance": "c1",
        "text": "I would like to talk about my essay", "final": True, "source": "captioner"}
    assert final["start"] <= final["end"]
    # An unknown speaker, then refusals: a mentee typing for someone else, a stranger's id.
    await say(cap, "", "c2", "Hello everyone")
    assert [(await ben.next("caption"))["utterance"] for _ in range(2)] == ["c1", "c1"]
    unknown = await ben.next("caption")
    assert unknown["speaker_name"] == "Unknown speaker" and unknown["speaker_id"] == ""
    refused = await ben.call("caption_text", {"speaker_id": ana.id, "utterance": "x",
                                              "text": "hi", "final": True})
    assert refused["error"]["code"] == "not_allowed"
    refused = await cap.call("caption_text", {"speaker_id": "f" * 16, "utterance": "x",
                                              "text": "hi", "final": True})
    assert refused["error"]["code"] == "unknown_participant"
    for bad, code in (
        ({"speaker_id": ben.id, "utterance": "", "text": "hi", "final": True}, "invalid_payload"),
        ({"speaker_id": ben.id, "utterance": "x", "text": "x" * 501, "final": True},
         "payload_too_large"),
        ({"speaker_id": ben.id, "utterance": "x", "text": "a\x00b", "final": True},
         "invalid_payload"),
        ({"speaker_id": ben.id, "utterance": "x", "text": "hi", "final": "yes"},
         "invalid_payload"),
    ):
        refused = await cap.call("caption_text", bad)
        assert refused["error"]["code"] == code, bad
    # Captions went only to the room: nothing more reached Ana than the three lines.
    await ana.barrier()
    assert ana.inbox["caption"].qsize() == 1  # the unknown speaker's line


async def test_a_person_who_turns_transcription_off_is_never_captioned(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana, _ = await joined(api, peers, s, "mentor", "Ana")
    ben, _ = await joined(api, peers, s, "mentee", "Ben")
    cap, _ = await joined(api, peers, s, "captioner", "Carl")
    assert (await ben.call("captions_transcribe", {"on": False}))["ok"]
    assert (await ana.next("participant_updated"))["participant"]["transcribed"] is False
    for final in (False, True):
        refused = await cap.call("caption_text", {"speaker_id": ben.id, "utterance": "b1",
                                                  "text": "private words", "final": final})
        assert refused["error"]["code"] == "not_transcribed"
    await ana.barrier()
    assert ana.inbox["caption"].empty()


async def test_a_page_that_recognises_its_own_speech_sends_text_for_its_person_only(
    api: Api, peers: Callable[[], Peer]
) -> None:
    s = await api.create_session()
    ana, _ = await joined(api, peers, s, "mentor", "Ana", audio=True)
    ben, _ = await joined(api, peers, s, "mentee", "Ben", audio=True)
    assert (await ben.call("captions_source", {"source": "browser"}))["ok"]
    update = await ana.next("participant_updated")
    assert update["participant"]["caption_source"] == "browser"
    await say(ben, ben.id, "b-1", "hello there", "hello there Ana")
    assert (await ana.next("caption"))["source"] == "browser"
    final = await ana.next("caption")
    assert final["final"] and final["text"] == "hello there Ana" and final["speaker_name"] == "Ben"
    refused = await ben.call("captions_source", {"source": "elsewhere"})
    assert refused["error"]["code"] == "invalid_payload"


async def test_a_kept_transcript_holds_the_lines_of_speakers_who_were_told(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session(captions="keep", title="Essay <help> & more")
    sid = s["session_id"]
    ana, ana_ack = await joined(api, peers, s, "mentor", "Ana", transcript_notice=True)
    ben, ben_ack = await joined(api, peers, s, "mentee", "Ben", transcript_notice=True)
    dan, _ = await joined(api, peers, s, "mentee", "Dan")  # his page did not tell him
    cap, _ = await joined(api, peers, s, "captioner", "Carl")
    clock.now += 5
    await say(cap, ben.id, "1", "I want", "I want help with <my> essay & more")
    clock.now += 3
    await say(cap, ana.id, "2", "Let us start with the outline")
    clock.now += 2
    await say(cap, dan.id, "3", "Dan says something")
    await ana.barrier()

    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="vtt")
    assert status == 200, text
    cues = list(webvtt.from_string(text))
    # Cue text is escaped: a speaker's "<my>" is text, not a tag.
    assert [(c.voice, c.text) for c in cues] == [
        ("Ben", "I want help with &lt;my&gt; essay &amp; more"),
        ("Ana", "Let us start with the outline")]
    assert cues[0].start_in_seconds <= cues[0].end_in_seconds <= cues[1].start_in_seconds
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="srt")
    subs = list(srt.parse(text))
    assert [s.content for s in subs] == ["Ben: I want help with <my> essay & more",
                                         "Ana: Let us start with the outline"]
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert "Main room" in text and "Ana: Let us start with the outline" in text
    assert "Dan says" not in text
    status, rooms = await get(api, f"/api/sessions/{sid}/transcript/rooms")
    assert status == 200 and '"lines": 2' in rooms

    # The mentor downloads with their own credential; a mentee's, or none, is refused.
    mentor = {"X-Tandem-Resume": ana_ack["resume"]}
    assert (await get(api, f"/api/sessions/{sid}/transcript", mentor))[0] == 200
    mentee = {"X-Tandem-Resume": ben_ack["resume"]}
    assert (await get(api, f"/api/sessions/{sid}/transcript", mentee))[0] == 403
    assert (await get(api, f"/api/sessions/{sid}/transcript", {}))[0] == 401

    # Words count for everyone captioned; deleting Ben takes his lines with his records.
    status, report = await get(api, f"/api/attendance/sessions/{sid}")
    words = {p["name"]: p["caption_words"] for p in json.loads(report)["people"]}
    assert words == {"Ana": 6, "Ben": 8, "Dan": 3, "Carl": 0}
    async with api.http.delete(f"/api/attendance/sessions/{sid}/participants/{ben.id}",
                               headers=ADMIN) as resp:
        assert resp.status == 200
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert "essay" not in text and "outline" in text


async def test_live_only_keeps_no_caption_text_anywhere(
    api: Api, peers: Callable[[], Peer], settings: Any
) -> None:
    s = await api.create_session(captions="live")
    sid = s["session_id"]
    ana, _ = await joined(api, peers, s, "mentor", "Ana", transcript_notice=True)
    cap, _ = await joined(api, peers, s, "captioner", "Carl")
    await say(cap, ana.id, "1", "zebra quartz", "zebra quartz marmalade")
    assert (await ana.next("caption"))["final"] is False
    assert (await ana.next("caption"))["final"] is True
    assert (await ana.call("leave", {}))["ok"]
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert status == 404 and "no_transcript" in text
    data_dir: Path = settings.data_dir
    found = [p for p in data_dir.rglob("*") if p.is_file() and b"marmalade" in p.read_bytes()]
    assert found == []
    db = sqlite3.connect(data_dir / DATABASE_FILE)
    words = db.execute("SELECT value, text FROM records WHERE kind = 'caption'").fetchall()
    assert words == [(3, None)]


@pytest.mark.parametrize("field", ["on", "source"])
async def test_caption_switches_refuse_anything_but_their_one_field(
    api: Api, peers: Callable[[], Peer], field: str
) -> None:
    s = await api.create_session()
    ana, _ = await joined(api, peers, s, "mentor", "Ana")
    event = "captions_view" if field == "on" else "captions_source"
    refused = await ana.call(event, {field: 1, "extra": True})
    assert refused["error"]["code"] == "invalid_payload"


async def test_a_transcript_keeps_each_breakout_room_apart_by_round(
    api: Api, peers: Callable[[], Peer], clock: Clock
) -> None:
    s = await api.create_session(captions="keep")
    sid = s["session_id"]
    ana, _ = await joined(api, peers, s, "mentor", "Ana", transcript_notice=True)
    ben, _ = await joined(api, peers, s, "mentee", "Ben", transcript_notice=True)
    for round_ in (1, 2):
        ack = await ana.call("breakout_create", {"names": [f"Pair {round_}"]})
        assert ack["ok"], ack
        room = f"{round_}:b1"
        ack = await ana.call("breakout_assign", {"participant_id": ben.id, "room": room})
        assert ack["ok"], ack
        assert (await ana.call("breakout_open", {}))["ok"]
        clock.now += 10
        await say(ben, ben.id, f"r{round_}", f"round {round_} words")
        closed = await ana.call("breakout_close", {"countdown_seconds": 0})
        assert closed["ok"] and closed["breakouts"]["state"] == "closed", closed
    status, text = await get(api, f"/api/sessions/{sid}/transcript/rooms")
    assert status == 200, text
    rooms = json.loads(text)["rooms"]
    assert [(r["room"], r["name"], r["round"], r["lines"]) for r in rooms] == [
        ("1:b1", "Pair 1", 1, 1), ("2:b1", "Pair 2", 2, 1)]
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="vtt", room="2:b1")
    assert status == 200 and "round 2 words" in text and "round 1" not in text
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="txt")
    assert "Round 1 · Pair 1" in text and "Round 2 · Pair 2" in text
    status, text = await get(api, f"/api/sessions/{sid}/transcript", format="srt", room="3:b1")
    assert status == 404 and "no_transcript" in text


async def test_without_a_usable_speech_model_nobody_is_decoded_and_typed_captions_go_on(
    aiohttp_server: Any, settings: Any, clock: Clock, tmp_path: Path
) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    server = await aiohttp_server(create_app(replace(settings, speech_model=empty), clock=clock))
    async with aiohttp.ClientSession(base_url=str(server.make_url("/"))) as http:
        api = Api(http, server)
        s = await api.create_session()
        made: list[Peer] = []

        def peers() -> Peer:
            made.append(Peer(str(server.make_url("/"))))
            return made[-1]

        try:
            ana, _ = await joined(api, peers, s, "mentor", "Ana", audio=True)
            cap, _ = await joined(api, peers, s, "captioner", "Carl")
            assert (await ana.call("captions_view", {"on": True}))["ok"]
            captions, plane = server.app[CAPTIONS], server.app[MEDIA].plane
            await eventually(lambda: captions.recogniser is None, what="the model refused")
            assert captions.listening == {}
            assert not plane.listening((s["session_id"], ana.id))
            await say(cap, ana.id, "1", "typed captions still work")
            assert (await ana.next("caption"))["text"] == "typed captions still work"
        finally:
            for peer in made:
                await peer.close()
