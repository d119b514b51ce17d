"""Live captions: who sees them, whose speech may be captioned, who may type them, and which
lines a transcript keeps.

Rules of this module: the session's consent (``CaptionConsent``, chosen when it was created) is
checked first: with captions off every caption command is refused. A person's speech is captioned
only while they allow it (``transcribed``); nobody, not even a captioner, can caption a person
who turned it off. A caption's speaker is always a participant of the captioning person's room,
checked here, never taken from the page. A page captions its own person's speech only while
their microphone is on (someone whose role sends none has no speech to caption), and nothing of a
person's speech is captioned while a mentor keeps their microphone off: checked here, in the same
step as the line is applied, so that a mute landing meanwhile lets nothing through. A final line
is kept for the transcript only when the session keeps one and the speaker's page showed them
that it does; a line of an unknown speaker (a captioner's "Unknown speaker") is never kept.
Partial captions are not commands: they change nothing and are checked with ``attribute`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rooms.errors import (
    CaptionsOff,
    InvalidPayload,
    MediaLocked,
    NotAllowed,
    NotSameRoom,
    NotTranscribed,
)
from rooms.events import CaptionPosted, CaptionSource, Event, ParticipantUpdated
from rooms.participant import Participant
from rooms.roles import Action, can
from rooms.roster import CaptionConsent
from rooms.session import Session
from rooms.views import ParticipantView

CAPTION_TEXT_MAX = 500
UTTERANCE_MAX = 40
# A caption line covers at most this long (a recogniser cuts longer speech into several lines).
LINE_SECONDS_MAX = 60.0
RecognitionSource = Literal["server", "browser"]
RECOGNITION_SOURCES: tuple[RecognitionSource, ...] = ("server", "browser")
UNKNOWN_SPEAKER = "Unknown speaker"


@dataclass(frozen=True, slots=True)
class CaptionSpeaker:
    """Who a caption is attributed to, and in which room it is shown."""

    room: str
    speaker_id: str  # empty: unknown
    speaker_name: str
    person_id: str | None


def _require_on(s: Session) -> None:
    if s.plan.captions is CaptionConsent.OFF:
        raise CaptionsOff("Captions are turned off for this session.")


def _updated(s: Session, p: Participant, now: float) -> tuple[ParticipantView, list[Event]]:
    p.changed_at = now
    view = p.view()
    return view, [ParticipantUpdated(s.id, now, view)]


def view_captions(s: Session, participant_id: str, connection_id: str, on: bool,
                  now: float) -> tuple[ParticipantView, list[Event]]:
    """Turn captions on or off for oneself. A room where someone sees captions goes through the
    server (``rooms.room.media_route``), which recognises the speech there."""
    p = s.connected(participant_id, connection_id)
    if on:
        _require_on(s)
    if p.captions == on:
        return p.view(), []
    p.captions = on
    return _updated(s, p, now)


def set_transcribed(s: Session, participant_id: str, connection_id: str, on: bool,
                    now: float) -> tuple[ParticipantView, list[Event]]:
    """Allow or stop one's own speech being captioned (and kept)."""
    p = s.connected(participant_id, connection_id)
    if p.transcribed == on:
        return p.view(), []
    p.transcribed = on
    return _updated(s, p, now)


def set_recognition(s: Session, participant_id: str, connection_id: str, source: str,
                    now: float) -> tuple[ParticipantView, list[Event]]:
    """Where one's own speech is recognised: at the server, or by one's page (which then sends
    the text)."""
    p = s.connected(participant_id, connection_id, action=Action.PUBLISH_MEDIA)
    _require_on(s)
    if source not in RECOGNITION_SOURCES:
        raise InvalidPayload(f"A caption source is one of {', '.join(RECOGNITION_SOURCES)}.")
    if p.caption_source == source:
        return p.view(), []
    p.caption_source = source
    return _updated(s, p, now)


def attribute(s: Session, actor_id: str | None, connection_id: str | None, speaker_id: str,
              source: CaptionSource, heard_in: str | None = None) -> CaptionSpeaker:
    """Check that a caption may be shown, and to whom it belongs.

    ``server``: recognised from ``speaker_id``'s audio (no actor); ``browser``: the speaker's own
    page; ``captioner``: someone allowed to caption others, for a person of their room or for an
    unknown speaker (``speaker_id`` empty). ``heard_in`` is the room the words were said in, when
    known (the server's recognition hears each stretch of speech in one room; a page says which
    room it was in when the words were said or typed): a caption of them is shown there only,
    never in a room the speaker or captioner was moved to since (what is said in a breakout room
    stays there).

    A page's captions of its own person (``browser``) are refused from someone whose role sends
    no microphone (an observer, a captioner: they have no speech in the call, and their lines
    would be kept as spoken words), and while that person's microphone is off: what it hears
    then is not for the room (the reference page sends nothing then; an old or altered one must
    not show, or keep, an aside). While a mentor keeps someone's microphone off (a locked mute)
    nothing of their speech is captioned, by their page (``media_locked``: the mute is not to
    be talked around in captions) nor by the server: the words the mute cut short, recognised a
    second or two after it, are not put back in front of the room nor kept.
    """
    _require_on(s)
    if source == "server":
        speaker = s.participant(speaker_id)
        if not speaker.connected:
            raise NotSameRoom("That participant is not connected.")
        if speaker.caption_source != "server":
            raise NotAllowed("That participant's page recognises their speech itself.")
        room = speaker.room
        if heard_in is not None and heard_in != room:
            raise NotSameRoom("That was said in a room the speaker has left.")
        _require_unmuted(speaker)
    else:
        if actor_id is None or connection_id is None:
            raise NotAllowed("A typed or browser caption needs its sender.")
        actor = s.connected(actor_id, connection_id)
        room = actor.room
        if heard_in is not None and heard_in != room:
            raise NotSameRoom("That was said in a room you have left.")
        if source == "browser":
            if speaker_id != actor.id:
                raise NotAllowed("A page sends captions of its own person's speech only.")
            speaker = actor
            if not can(speaker.role, Action.PUBLISH_MEDIA):
                raise NotAllowed("You send no microphone here, so there is no speech of yours "
                                 "to caption.")
            _require_unmuted(speaker)
            if not speaker.audio:
                raise NotAllowed("Your microphone is off: captions of your speech are taken "
                                 "while it is on.")
        else:
            if not can(actor.role, Action.CAPTION_OTHERS):
                raise NotAllowed("Only captioners, mentors and admins can type captions.")
            if not speaker_id:
                return CaptionSpeaker(room, "", UNKNOWN_SPEAKER, None)
            speaker = s.participant(speaker_id)
            if speaker.room != room:
                raise NotSameRoom("That participant is not in your room.")
    if not speaker.transcribed:
        raise NotTranscribed(f"{speaker.name} turned captions of their speech off.")
    return CaptionSpeaker(room, speaker.id, speaker.name, speaker.person_id)


def _require_unmuted(speaker: Participant) -> None:
    if speaker.audio_locked:
        raise MediaLocked(f"A mentor muted {speaker.name}: captions of their speech are not "
                          "taken until they are allowed again.")


def wanted_speakers(s: Session) -> dict[str, str]:
    """Whose speech the server should recognise now, and in which room: consent not off,
    someone in their room sees captions, they allow it, their microphone is on and their page
    does not recognise their speech itself."""
    if s.plan.captions is CaptionConsent.OFF:
        return {}
    connected = [p for p in s.participants.values() if p.connected]
    captioned = {p.room for p in connected if p.captions}
    return {p.id: p.room for p in connected
            if p.room in captioned and p.transcribed and p.caption_source == "server"
            and p.audio}


def clean_caption(text: str) -> str:
    """A caption's text on one line, checked: 1 to 500 characters, no control characters."""
    line = " ".join(text.split())
    if not line:
        raise InvalidPayload("A caption needs some text.")
    if len(line) > CAPTION_TEXT_MAX:
        raise InvalidPayload(f"A caption is at most {CAPTION_TEXT_MAX} characters.")
    if any(not ch.isprintable() for ch in line):
        raise InvalidPayload("A caption cannot contain control characters.")
    return line


def post_caption(s: Session, actor_id: str | None, connection_id: str | None, speaker_id: str,
                 utterance: str, text: str, source: CaptionSource, start: float,
                 now: float, heard_in: str | None = None) -> list[Event]:
    """A final caption line: shown in the room, its words counted for the speaker, and kept for
    the transcript when the session and the speaker allow it (``heard_in``: ``attribute``)."""
    who = attribute(s, actor_id, connection_id, speaker_id, source, heard_in)
    line = clean_caption(text)
    if not 0 < len(utterance) <= UTTERANCE_MAX:
        raise InvalidPayload(f"An utterance id is 1 to {UTTERANCE_MAX} characters.")
    start = min(max(start, now - LINE_SECONDS_MAX), now)
    speaker = s.participants.get(who.speaker_id)
    keep = (s.plan.captions is CaptionConsent.KEEP and speaker is not None
            and speaker.told_transcript)
    return [CaptionPosted(s.id, now, who.room, who.speaker_id, who.person_id, who.speaker_name,
                          utterance, line, len(line.split()), source, start, keep)]
