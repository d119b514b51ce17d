"""Transcript downloads: a session's kept caption lines as WebVTT, SRT or plain text, for its
admin (the admin key) and its mentors (their own resume credential of that session)."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from rooms.attendance import Record, RecordKind
from rooms.errors import InvalidPayload, NotAllowed, RateLimited, TandemError
from rooms.ratelimit import TokenBucket
from rooms.roles import Action, can
from rooms.room import MAIN_ROOM, ROOM_ID_MAX
from rooms.roster import CaptionConsent
from server.captions.transcripts import plain_text, srt, transcript_rooms, webvtt
from server.context import Context
from server.http import Admin, Unauthorized, require_admin
from server.openapi import ANY_JSON, path_params, query_params
from server.protocol import parse
from server.tokens import TOKEN_MAX, verify_resume_token

RESUME_HEADER = "X-Tandem-Resume"
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip", "txt": "text/plain"}
TRANSCRIPT_FILES = {"text/vtt": {"schema": {"type": "string"}},
                    "application/x-subrip": {"schema": {"type": "string"}},
                    "text/plain": {"schema": {"type": "string"}}}
# Downloads with one mentor's credential: each reads the session's whole ledger, so one page (or
# one script) in a loop is held to this; the credentials remembered at most (the oldest go).
DOWNLOAD_RATE = 1.0
DOWNLOAD_BURST = 10.0
DOWNLOADERS_MAX = 10_000


class NoTranscript(TandemError):
    """The session keeps no transcript, or nothing was kept in that room."""

    code = "no_transcript"


class TranscriptQuery(BaseModel):
    """``?format=vtt&room=2:b1`` (txt without a room: every room)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["vtt", "srt", "txt"] = "vtt"
    room: str | None = Field(default=None, min_length=1, max_length=ROOM_ID_MAX)


@dataclass(slots=True)
class TranscriptRoutes:
    ctx: Context
    downloads: OrderedDict[tuple[str, str], TokenBucket] = field(default_factory=OrderedDict)

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/sessions/{session_id}/transcript", self.transcript)
        r.add_get("/api/sessions/{session_id}/transcript/rooms", self.rooms)
        doc = self.ctx.openapi
        doc.described("/api/sessions/{session_id}/transcript", "get",
                      "A session's transcript, one room, as WebVTT, SRT or text (the admin key, "
                      f"or a mentor's resume credential in {RESUME_HEADER})", 200,
                      "the transcript file", TRANSCRIPT_FILES, (400, 401, 403, 404, 429),
                      path_params("session_id") + query_params(TranscriptQuery))
        doc.described("/api/sessions/{session_id}/transcript/rooms", "get",
                      "The rooms of a session that have transcript lines", 200,
                      "rooms with their names, rounds and line counts", ANY_JSON,
                      (400, 401, 403, 404, 429), path_params("session_id"))

    async def _records(self, request: web.Request) -> tuple[Admin | None, str, list[Record]]:
        """The admin asking (None for a mentor), the session's title and ledger, once the asker
        is an admin or one of the session's mentors."""
        session_id = request.match_info["session_id"]
        if not _ID.fullmatch(session_id):
            raise InvalidPayload("That is not a session id.")
        resume = request.headers.get(RESUME_HEADER)
        admin = None
        if resume is None:
            admin = await require_admin(request)
        else:
            # The credential first: refused alike whether the session exists or not (an answer
            # that told them apart would tell anyone which session ids exist), and its ledger
            # read only for someone of the session, at a bounded rate.
            self._throttle(session_id, self._holder(session_id, resume, None))
        ledger = self.ctx.ledger
        info = await ledger.session(session_id)
        records = await ledger.session_records(session_id)
        if resume is not None:
            self._require_manager(session_id, resume, records, info.ended_at)
        if info.plan.captions is not CaptionConsent.KEEP:
            raise NoTranscript("This session keeps no transcript.")
        return admin, info.title, records

    def _holder(self, session_id: str, resume: str, ended_at: float | None) -> str:
        """The participant a resume credential of this session names, or ``unauthorized``."""
        pid = (verify_resume_token(self.ctx.settings.secret, resume, session_id,
                                   self.ctx.clock(), session_ended_at=ended_at)
               if len(resume) <= TOKEN_MAX else None)
        if pid is None:
            raise Unauthorized("This credential is not valid for that session.")
        return pid

    def _throttle(self, session_id: str, pid: str) -> None:
        key = (session_id, pid)
        bucket = self.downloads.pop(key, None) or TokenBucket(DOWNLOAD_RATE, DOWNLOAD_BURST)
        self.downloads[key] = bucket  # the most recent last
        while len(self.downloads) > DOWNLOADERS_MAX:
            del self.downloads[next(iter(self.downloads))]
        if not bucket.take(self.ctx.clock()):
            raise RateLimited("Too many transcript downloads with this credential; wait a "
                              "little.")

    def _require_manager(self, session_id: str, resume: str, records: list[Record],
                         ended_at: float | None) -> None:
        pid = self._holder(session_id, resume, ended_at)
        roles, removed = set(), False
        for r in records:
            if r.participant_id != pid:
                continue
            if r.kind in (RecordKind.JOINED, RecordKind.REJOINED) and r.role is not None:
                roles.add(r.role)
                removed = False  # (let in again)
            elif r.kind is RecordKind.MODERATION and (r.text or "").startswith("remove "):
                removed = True  # an admin removed this mentor from the session
        if removed or not any(can(role, Action.MANAGE_BREAKOUTS) for role in roles):
            raise NotAllowed("Only the session's mentors and admins can download its transcript.")

    async def transcript(self, request: web.Request) -> web.Response:
        query = parse(TranscriptQuery, dict(request.query))
        admin, title, records = await self._records(request)
        rooms = transcript_rooms(records)
        if query.format == "txt" and query.room is None:
            body = plain_text(rooms, title)
            name = "all"
        else:
            wanted = query.room or MAIN_ROOM
            room = next((r for r in rooms if r.room == wanted), None)
            if room is None:
                raise NoTranscript("Nothing was kept in that room.")
            name = wanted.replace(":", "-")
            body = (webvtt(room, title) if query.format == "vtt" else srt(room)
                    if query.format == "srt" else plain_text([room], title))
        session_id = request.match_info["session_id"]
        if admin is not None:  # a mentor is no admin: their download is theirs to make
            await self.ctx.audit.record(admin, "transcript.downloaded",
                                        f"sessions/{session_id}/transcript",
                                        {"format": query.format, "room": query.room})
        filename = f"transcript-{session_id}-{name}.{query.format}"
        return web.Response(text=body, content_type=_TYPES[query.format], charset="utf-8",
                            headers={"Cache-Control": "no-store",
                                     "Content-Disposition": f'attachment; filename="{filename}"'})

    async def rooms(self, request: web.Request) -> web.Response:
        if request.query:
            raise InvalidPayload("This endpoint takes no query parameters.")
        _, _, records = await self._records(request)
        return web.json_response({"rooms": [
            {"room": r.room, "name": r.name, "round": r.round, "lines": len(r.lines)}
            for r in transcript_rooms(records)
        ]}, headers={"Cache-Control": "no-store"})

