"""Captions in the domain: consent, who may caption whom, the room's route, what a transcript
keeps, and captions surviving a snapshot."""

from __future__ import annotations

import pytest

from rooms import commands as c
from rooms.attendance import RecordKind
from rooms.captions import wanted_speakers
from rooms.errors import CaptionsOff, MediaLocked, NotAllowed, NotSameRoom, NotTranscribed
from rooms.events import CaptionPosted, MediaRouteChanged
from rooms.moderation import Moderate
from rooms.recorder import writes_for
from rooms.roles import Role
from rooms.room import MAIN_ROOM, MediaRoute
from rooms.roster import CaptionConsent, SessionPlan
from rooms.session import Session
from rooms.snapshot import command_data, command_from, restore, snapshot
from tests.rooms.helpers import run

T0 = 9000.0


def session(consent: CaptionConsent = CaptionConsent.LIVE) -> Session:
    """Mentor Ana ("m", told), mentee Ben ("b", told) and captioner Carl ("k")."""
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0,
                       plan=SessionPlan(captions=consent))
    c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0, transcript_notice=True).apply(s)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0, transcript_notice=True).apply(s)
    c.Join("ck", Role.CAPTIONER, "Carl", "k", False, False, T0).apply(s)
    return s


def posted(events: list[object]) -> CaptionPosted:
    (event,) = [e for e in events if isinstance(e, CaptionPosted)]
    return event


def test_someone_seeing_captions_takes_their_room_through_the_server() -> None:
    s = Session.create(session_id="s", title="T", max_participants=8, now=T0)
    c.Join("cm", Role.MENTOR, "Ana", "m", True, True, T0).apply(s)
    c.Join("cb", Role.MENTEE, "Ben", "b", True, True, T0).apply(s)
    assert s.media_route(MAIN_ROOM) is MediaRoute.P2P
    events = run(s, c.ViewCaptions("b", "cb", True, T0 + 1))
    assert [(e.room, e.route) for e in events if isinstance(e, MediaRouteChanged)] == [
        (MAIN_ROOM, "server")]
    assert wanted_speakers(s) == {"m": MAIN_ROOM, "b": MAIN_ROOM}
    run(s, c.SetTranscribed("m", "cm", False, T0 + 2))
    run(s, c.SetRecognition("b", "cb", "browser", T0 + 2))
    assert wanted_speakers(s) == {}
    events = run(s, c.ViewCaptions("b", "cb", False, T0 + 3))
    assert [e.route for e in events if isinstance(e, MediaRouteChanged)] == ["p2p"]


def test_captions_off_refuses_every_caption_command() -> None:
    s = session(CaptionConsent.OFF)
    for command in (c.ViewCaptions("b", "cb", True, T0),
                    c.SetRecognition("b", "cb", "browser", T0),
                    c.PostCaption("k", "ck", "b", "u", "hello", "captioner", T0, T0),
                    c.PostCaption(None, None, "b", "u", "hello", "server", T0, T0)):
        with pytest.raises(CaptionsOff):
            command.apply(s)
    assert wanted_speakers(s) == {}


def test_who_may_caption_whom() -> None:
    s = session()
    with pytest.raises(NotAllowed):  # a mentee types only for themselves, from their page
        c.PostCaption("b", "cb", "m", "u", "hi", "browser", T0, T0).apply(s)
    with pytest.raises(NotAllowed):
        c.PostCaption("b", "cb", "m", "u", "hi", "captioner", T0, T0).apply(s)
    with pytest.raises(NotAllowed):  # the server recognises only those whose page does not
        run(s, c.SetRecognition("b", "cb", "browser", T0))
        c.PostCaption(None, None, "b", "u", "hi", "server", T0, T0).apply(s)
    line = posted(run(s, c.PostCaption("b", "cb", "b", "u", "my own words", "browser", T0,
                                       T0 + 1)))
    assert (line.speaker_name, line.words, line.source) == ("Ben", 3, "browser")
    run(s, c.SetTranscribed("b", "cb", False, T0 + 2))
    with pytest.raises(NotTranscribed):
        c.PostCaption("k", "ck", "b", "u2", "secret", "captioner", T0, T0 + 3).apply(s)
    s.participant("m").room = "1:b1"  # a captioner captions their own room only
    with pytest.raises(NotSameRoom):
        c.PostCaption("k", "ck", "m", "u3", "hi", "captioner", T0, T0 + 3).apply(s)


def test_a_transcript_keeps_lines_of_told_speakers_in_a_keeping_session_only() -> None:
    for consent, told, kept in ((CaptionConsent.KEEP, True, True),
                                (CaptionConsent.KEEP, False, False),
                                (CaptionConsent.LIVE, True, False)):
        s = session(consent)
        s.participant("b").told_transcript = told
        line = posted(run(s, c.PostCaption("k", "ck", "b", "u", "  two   words ", "captioner",
                                           T0 + 1, T0 + 4)))
        (record,) = writes_for(line).records
        assert record.kind is RecordKind.CAPTION and record.value == 2
        assert record.text == ("two words" if kept else None)
        assert (record.at, record.ends_at) == (T0 + 1, T0 + 4)
    unknown = posted(run(session(CaptionConsent.KEEP),
                         c.PostCaption("k", "ck", "", "u", "who said it", "captioner", T0, T0)))
    assert unknown.speaker_name == "Unknown speaker" and not writes_for(unknown)


def test_captions_survive_a_snapshot_and_older_stored_joins_still_read() -> None:
    s = session(CaptionConsent.KEEP)
    run(s, c.ViewCaptions("b", "cb", True, T0 + 1))
    run(s, c.SetTranscribed("m", "cm", False, T0 + 1))
    back = restore(snapshot(s))
    assert back.plan.captions is CaptionConsent.KEEP
    ben, ana = back.participant("b"), back.participant("m")
    assert (ben.captions, ben.told_transcript, ana.transcribed) == (True, True, False)
    assert back.media_route(MAIN_ROOM) is MediaRoute.SERVER
    # A join stored before captions existed has no transcript_notice: it reads as not told.
    data = command_data(c.Join("cx", Role.MENTEE, "Xi", "x", True, True, T0))
    old = command_from(list(data[:-1]))
    assert isinstance(old, c.Join) and old.transcript_notice is False



def test_a_page_captions_its_person_only_while_their_microphone_is_on_and_not_locked() -> None:
    """The mute is checked in the step that applies the line: a mute applied before it, however
    close, refuses it (a page's line; a server-recognised line after a locked mute)."""
    s = session()
    run(s, c.SetRecognition("b", "cb", "browser", T0))
    own = c.PostCaption("b", "cb", "b", "u1", "my own words", "browser", T0, T0 + 1)
    assert posted(run(s, own)).text == "my own words"
    run(s, c.SetMedia("b", "cb", False, True, T0 + 2))
    with pytest.raises(NotAllowed):
        own.apply(s)
    run(s, c.SetMedia("b", "cb", True, True, T0 + 3))
    run(s, Moderate("m", "cm", "b", "mute", True, T0 + 4))
    with pytest.raises(MediaLocked):
        own.apply(s)
    run(s, Moderate("m", "cm", "b", "allow", False, T0 + 5))
    run(s, c.SetRecognition("b", "cb", "server", T0 + 5))
    heard = c.PostCaption(None, None, "b", "u2", "heard by the server", "server", T0, T0 + 6)
    assert posted(run(s, heard)).text == "heard by the server"
    run(s, Moderate("m", "cm", "b", "mute", True, T0 + 7))
    with pytest.raises(MediaLocked):
        heard.apply(s)
    # Someone whose role sends no microphone has no speech of their own to caption.
    with pytest.raises(NotAllowed):
        c.PostCaption("k", "ck", "k", "u3", "never said", "browser", T0, T0 + 8).apply(s)
