"""Socket events of live captions, and the server's own recognition following the session.

Typed and browser captions arrive as ``caption_text``; partials are checked (``rooms.captions.
attribute``) and shown in the room, finals go through the domain (``PostCaption``) so that their
words are counted and, where allowed, kept. The server recognises the speech of each person
``rooms.captions.wanted_speakers`` names: the media plane decodes their audio
(``MediaPlane.listen``) and the speech service turns it into captions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from media.peers import PeerKey
from rooms.captions import CAPTION_TEXT_MAX, CaptionSpeaker, attribute, wanted_speakers
from rooms.commands import PostCaption, SetRecognition, SetTranscribed, ViewCaptions
from rooms.errors import TandemError
from rooms.events import (
    CaptionPosted,
    CaptionSource,
    ConnectionReplaced,
    Event,
    MediaRouteChanged,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantMoved,
    ParticipantRejoined,
    ParticipantUpdated,
    SessionEnded,
)
from server.captions import wire as w
from server.context import AudioTap, Context
from server.gateway import Connection, room_key
from server.history import Said, send_replayable
from server.protocol import OK, OkAck
from server.tasks import TaskSet

logger = logging.getLogger(__name__)

# Events after which whose speech the server recognises may have changed.
_FOLLOWED = (ParticipantJoined, ParticipantRejoined, ParticipantLeft, ParticipantUpdated,
             ParticipantMoved, ConnectionReplaced, MediaRouteChanged, SessionEnded)
# A typed or browser utterance whose first partial came longer ago than this starts now.
TYPED_LINE_MAX = 60.0
# Open typed utterances remembered per connection, for their start times.
TYPED_OPEN_MAX = 8


class Recogniser(Protocol):
    """What this adapter needs of the speech service (``speech.SpeechService``)."""

    def open(self, stream: Hashable, group: Hashable) -> None: ...
    def feed(self, stream: Hashable, pcm: bytes, now: float) -> None: ...
    def end(self, stream: Hashable) -> None: ...


class Heard(Protocol):
    """A recognised caption, as the speech service reports it (``speech.Caption``)."""

    @property
    def stream(self) -> Hashable: ...
    @property
    def utterance(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def final(self) -> bool: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


@dataclass(slots=True)
class CaptionEvents:
    ctx: Context
    recogniser: Recogniser | None = None  # None: no server recognition (typed and browser only)
    tap: AudioTap | None = None
    # Whose audio is recognised now: their room, and the number of their speech stream (one per
    # stretch of listening; a stream is (session id, participant id, number)).
    listening: dict[PeerKey, tuple[str, int]] = field(default_factory=dict)
    next_stream: int = 1
    # When each connection's open typed or browser utterances started.
    typed: dict[str, dict[tuple[str, str], float]] = field(default_factory=dict)
    tasks: TaskSet = field(default_factory=TaskSet)

    def register(self) -> None:
        gw, lim = self.ctx.gateway, self.ctx.settings.limits
        switches = lim.caption_switch_rate, lim.caption_switch_burst
        gw.on(w.VIEW, self.on_view, *switches)
        gw.on(w.TRANSCRIBE, self.on_transcribe, *switches)
        gw.on(w.SOURCE, self.on_source, *switches)
        gw.on(w.TEXT, self.on_text, lim.caption_rate, lim.caption_burst)
        gw.on_disconnect(self._forget_connection)
        self.ctx.delivery.deliver_with(CaptionPosted, self._posted)
        self.ctx.delivery.add_recorder(self.follow)

    # -- socket events ----------------------------------------------------------------------------

    async def on_view(self, conn: Connection, payload: w.ViewPayload) -> OkAck:
        await self.ctx.execute(conn.session_id, ViewCaptions(conn.joined_id(), conn.sid,
                                                             payload.on, self.ctx.clock()),
                               conn.sid)
        return OK

    async def on_transcribe(self, conn: Connection, payload: w.TranscribePayload) -> OkAck:
        await self.ctx.execute(conn.session_id, SetTranscribed(conn.joined_id(), conn.sid,
                                                               payload.on, self.ctx.clock()),
                               conn.sid)
        return OK

    async def on_source(self, conn: Connection, payload: w.SourcePayload) -> OkAck:
        await self.ctx.execute(conn.session_id, SetRecognition(conn.joined_id(), conn.sid,
                                                               payload.source, self.ctx.clock()),
                               conn.sid)
        return OK

    async def on_text(self, conn: Connection, payload: w.TextPayload) -> OkAck:
        """A caption typed by a captioner, or recognised by the speaker's own page."""
        pid, now = conn.joined_id(), self.ctx.clock()
        source: CaptionSource = "browser" if payload.speaker_id == pid else "captioner"
        opened = self.typed.setdefault(conn.sid, {})
        key = (payload.speaker_id, payload.utterance)
        start = opened.get(key, now)
        if now - start > TYPED_LINE_MAX:
            start = now
        if payload.final:
            opened.pop(key, None)
            await self._attributed(conn.session_id, pid, conn.sid, payload.speaker_id, source,
                                   payload.room)
            await self.ctx.execute(
                conn.session_id,
                PostCaption(pid, conn.sid, payload.speaker_id, payload.utterance, payload.text,
                            source, start, now, heard_in=payload.room),
                conn.sid,
            )
            return OK
        who = await self._attributed(conn.session_id, pid, conn.sid, payload.speaker_id, source,
                                     payload.room)
        if key not in opened:
            while len(opened) >= TYPED_OPEN_MAX:
                del opened[next(iter(opened))]
            opened[key] = now
        await self._show(conn.session_id, {
            "room": who.room, "speaker_id": who.speaker_id, "speaker_name": who.speaker_name,
            "utterance": payload.utterance, "text": " ".join(payload.text.split()),
            "final": False, "source": source, "start": start, "end": now,
        })
        return OK

    async def _forget_connection(self, conn: Connection, reason: object) -> None:
        self.typed.pop(conn.sid, None)

    async def _attributed(self, session_id: str, actor_id: str | None, sid: str | None,
                          speaker_id: str, source: CaptionSource,
                          heard_in: str | None) -> CaptionSpeaker:
        """``rooms.captions.attribute``, asked of the session with every change kept so far.
        A caption changes nothing in the session, so the store applies ``PostCaption`` to this
        process's copy as it is; with several processes that copy may lag behind a change made
        elsewhere and already acknowledged (the speaker turned captions of their speech off,
        was moved, or was erased by a deletion request, whose history and records are gone by
        then): their words must not be shown, kept in the room's history or recorded after it.
        Brought up to date here first, the copy the command then meets is at least as recent.
        (The rules of who may be captioned when, a mute among them, are ``attribute``'s, which
        ``PostCaption`` applies again in the same step as the line.)"""
        return await self.ctx.store.read_latest(
            session_id, lambda s: attribute(s, actor_id, sid, speaker_id, source, heard_in))

    # -- delivery ---------------------------------------------------------------------------------

    async def _posted(self, e: CaptionPosted, actor_sid: str | None) -> None:
        """A final line is replayable: appended to its room's history, then sent. (Partials
        are not: a later partial or the final replaces each.)"""
        await send_replayable(self.ctx.history, self.ctx.gateway, e.session_id, e.room, w.CAPTION({
            "room": e.room, "speaker_id": e.speaker_id, "speaker_name": e.speaker_name,
            "utterance": e.utterance, "text": e.text, "final": True, "source": e.source,
            "start": e.start, "end": e.at,
        }), said=Said(e.speaker_id))

    async def _show(self, session_id: str, caption: w.CaptionOut) -> None:
        await self.ctx.gateway.emit(w.CAPTION(caption), room=room_key(session_id,
                                                                       caption["room"]))

    # -- the server's recognition -----------------------------------------------------------------

    async def follow(self, events: Sequence[Event]) -> None:
        """After anything that may change whose speech is recognised, listen to exactly those
        people (and stop listening to the others) in the events' session."""
        if self.recogniser is None or self.tap is None:
            return
        if not any(isinstance(e, _FOLLOWED) for e in events):
            return
        session_id = events[0].session_id
        try:
            now_wanted = await self.ctx.store.read(session_id, wanted_speakers)
        except TandemError:
            now_wanted = {}
        for key, (room, _) in [(k, v) for k, v in self.listening.items() if k[0] == session_id]:
            if now_wanted.get(key[1]) != room:
                self._stop_listening(key)
        for pid, room in now_wanted.items():
            key = (session_id, pid)
            if key not in self.listening:
                self._start_listening(key, room)

    def _start_listening(self, key: PeerKey, room: str) -> None:
        assert self.recogniser is not None and self.tap is not None
        number, self.next_stream = self.next_stream, self.next_stream + 1
        self.listening[key] = (room, number)
        self.recogniser.open(stream_of(key, room, number), (key[0], room))
        self.tap.listen(key, True)

    def _stop_listening(self, key: PeerKey) -> None:
        assert self.recogniser is not None and self.tap is not None
        room, number = self.listening.pop(key)
        self.tap.listen(key, False)
        self.recogniser.end(stream_of(key, room, number))

    def forget_session(self, session_id: str) -> None:
        """The session left this process's memory: stop following whose speech it wants."""
        for key in [k for k in self.listening if k[0] == session_id]:
            if self.recogniser is not None and self.tap is not None:
                self._stop_listening(key)
            else:
                self.listening.pop(key, None)

    def recognition_unavailable(self) -> None:
        """The speech service cannot run here: stop decoding anyone's audio for it, for good
        (typed and browser captions go on)."""
        for key in list(self.listening):
            self._stop_listening(key)
        self.recogniser = None

    def on_audio(self, key: PeerKey, pcm: bytes, at: float) -> None:
        """The media plane's decoded audio of someone listened to (20 ms, 48 kHz mono), at the
        loop's time (the speech service measures silences with it)."""
        listened = self.listening.get(key)
        if self.recogniser is not None and listened is not None:
            self.recogniser.feed(stream_of(key, *listened), pcm, at)

    def _wall(self, loop_time: float) -> float:
        """A time of the loop's clock on the session's clock."""
        return self.ctx.clock() - (asyncio.get_running_loop().time() - loop_time)

    def on_caption(self, heard: Heard) -> None:
        """The speech service recognised a partial or final caption."""
        stream = heard.stream
        if not (isinstance(stream, tuple) and len(stream) == 4):
            return
        session_id, pid, number, room = stream
        # Unique for the speaker: their stream's number and the utterance's within it.
        utterance = f"s{number}-{heard.utterance}"
        text = " ".join(heard.text.split())
        if text:
            self.tasks.spawn(self._heard((session_id, pid), room, utterance, text, heard.final,
                                         self._wall(heard.start), self._wall(heard.end)))

    def on_behind(self, group: Hashable, behind: bool) -> None:
        """The speech service is behind (or caught up) in one room."""
        if not (isinstance(group, tuple) and len(group) == 2):
            return
        session_id, room = group
        status = w.CAPTIONS_STATUS({"room": room, "behind": behind})
        self.tasks.spawn(self.ctx.gateway.emit(status, room=room_key(session_id, room)))

    async def _heard(self, stream: PeerKey, room: str, utterance: str, text: str, final: bool,
                     start: float, end: float) -> None:
        """A caption of speech heard in ``room``: shown there, and nowhere else (its speaker
        may have been moved since: what was said in a breakout room stays there)."""
        session_id, pid = stream
        try:
            who = await self._attributed(session_id, None, None, pid, "server", room)
            if final:
                await self.ctx.execute(session_id, PostCaption(
                    None, None, pid, utterance, text[:CAPTION_TEXT_MAX], "server", start,
                    self.ctx.clock(), heard_in=room))
                return
        except TandemError as exc:  # they left, turned it off, or their page recognises now
            logger.info("a caption in session %s not shown: %s", session_id, exc.code)
            return
        await self._show(session_id, {
            "room": who.room, "speaker_id": who.speaker_id, "speaker_name": who.speaker_name,
            "utterance": utterance, "text": text[:CAPTION_TEXT_MAX], "final": False,
            "source": "server", "start": start, "end": end,
        })

    async def close(self) -> None:
        await self.tasks.close()


def stream_of(key: PeerKey, room: str, number: int) -> tuple[str, str, int, str]:
    """A speech stream of the speech service: a speaker's stretch of listening in one room
    (session id, participant id, its number, the room)."""
    return (key[0], key[1], number, room)
