"""REST for programme admins: attendance per session and per programme, streamed CSV and JSON
exports, deletion on request, and the admin page. Every endpoint needs the admin key, except the
rating a participant gives after leaving (their own resume credential says who they are).

Exports stream: the records view reads the ledger a chunk at a time; the people and rooms views
summarise one session at a time, so memory follows the largest session, not the whole export.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from rooms.attendance import SessionAttendance
from rooms.commands import Rate
from rooms.errors import InvalidPayload, TokenInvalid
from rooms.programme import programme_summary
from rooms.roster import PROGRAMME_MAX, is_person_id
from rooms.timeline import summarize
from server.attendance import erasure
from server.attendance.exports import CsvEncoder, JsonEncoder, XlsxWriter
from server.attendance.reports import (
    PEOPLE_COLUMNS,
    PROGRAMME_COLUMNS,
    RECORDS_COLUMNS,
    ROOMS_COLUMNS,
    Row,
    people_rows,
    programme_rows,
    record_row,
    report_wire,
    room_rows,
    session_fields,
)
from server.attendance.wire import AttendanceQuery, CheckOutRequest
from server.audit import person_ref
from server.context import Context
from server.http import JSON_BODY_TYPES, Admin, json_body, page, require_admin
from server.ledger import SessionQuery
from server.openapi import ANY_JSON, EXPORT, path_params, query_params
from server.protocol import TEXT_PATTERN, parse, parse_json
from server.tokens import verify_resume_token

logger = logging.getLogger(__name__)

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LIST_LIMIT = 200
EXPORT_LIMIT = 100_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW_COLUMNS = {"people": PEOPLE_COLUMNS, "rooms": ROOMS_COLUMNS, "records": RECORDS_COLUMNS}


def _checked_id(what: str, value: str) -> str:
    if not _ID.fullmatch(value):
        raise InvalidPayload(f"{what}: {value[:80]!r} is not a valid id")
    return value


@dataclass(slots=True)
class AttendanceRoutes:
    ctx: Context

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/admin", self.admin_page)
        r.add_post("/api/attendance/check-out", self.check_out)
        r.add_get("/api/attendance/sessions", self.list_sessions)
        r.add_get("/api/attendance/sessions/{session_id}", self.session_report)
        r.add_get("/api/attendance/sessions/{session_id}/export", self.session_export)
        r.add_get("/api/attendance/export", self.export)
        r.add_get("/api/attendance/programmes/{programme}", self.programme)
        r.add_delete("/api/attendance/people/{person_id}", self.delete_person)
        r.add_delete(
            "/api/attendance/sessions/{session_id}/participants/{participant_id}",
            self.delete_participant,
        )
        self._document()

    def _document(self) -> None:
        """Attendance endpoints in the OpenAPI document (docs/PROTOCOL.md gives their answers
        in full; README.md lists the export columns)."""
        doc, q = self.ctx.openapi, query_params(AttendanceQuery)
        doc.described("/api/attendance/check-out", "post",
                      "Rate a session after leaving (the participant's resume credential says "
                      "who)", 200, "the rating was recorded", ANY_JSON, (400, 401, 404, 409, 413),
                      [], admin=False, body=CheckOutRequest)
        doc.described("/api/attendance/sessions", "get", "Sessions with attendance, newest first",
                      200, "a list of sessions", ANY_JSON, (400, 401), q)
        doc.described("/api/attendance/sessions/{session_id}", "get",
                      "One session's attendance, per person and per room", 200, "the report",
                      ANY_JSON, (400, 401, 404), path_params("session_id"))
        doc.described("/api/attendance/sessions/{session_id}/export", "get",
                      "One session's attendance as CSV, JSON or XLSX (streamed)", 200,
                      "rows of the chosen view; columns in README.md", EXPORT, (400, 401, 404),
                      path_params("session_id") + q)
        doc.described("/api/attendance/export", "get",
                      "Attendance across sessions (by dates and programme) as CSV, JSON or XLSX",
                      200, "rows of the chosen view; columns in README.md", EXPORT, (400, 401),
                      q)
        doc.described("/api/attendance/programmes/{programme}", "get",
                      "A programme's summary per person across its sessions", 200,
                      "the summary (json), or its rows (csv, xlsx); columns in README.md",
                      {**EXPORT, **ANY_JSON}, (400, 401, 404),
                      path_params("programme") + query_params(AttendanceQuery,
                                                              without=("programme", "view")))
        doc.described("/api/attendance/people/{person_id}", "delete",
                      "Delete one person's records in every session, and the whiteboards they "
                      "drew on", 200, "what was deleted",
                      ANY_JSON, (400, 401), path_params("person_id"))
        doc.described("/api/attendance/sessions/{session_id}/participants/{participant_id}",
                      "delete", "Delete one participant's records in one session, and the "
                      "whiteboards they drew on", 200,
                      "what was deleted", ANY_JSON, (400, 401, 404),
                      path_params("session_id", "participant_id"))

    # -- helpers ----------------------------------------------------------------------------------

    async def _audit_export(self, admin: Admin, target: str, query: AttendanceQuery,
                            **counts: int) -> None:
        """Exports are audited before anything of them leaves."""
        await self.ctx.audit.record(admin, "attendance.exported", target, {
            "format": query.format, "view": query.view, "since": query.since,
            "until": query.until, "programme": query.programme, **counts})

    def _query(self, request: web.Request) -> AttendanceQuery:
        return parse(AttendanceQuery, dict(request.query))

    async def _report(self, session_id: str) -> SessionAttendance:
        ledger = self.ctx.ledger
        info = await ledger.session(session_id)
        records = await ledger.session_records(session_id)
        return summarize(info, records, now=self.ctx.clock(),
                         grace=self.ctx.settings.attendance_grace,
                         anonymous=await ledger.anonymous_ratings(session_id))

    async def _stream(
        self,
        request: web.Request,
        query: AttendanceQuery,
        filename: str,
        columns: tuple[str, ...],
        chunks: AsyncIterator[Iterable[Any]],
        raw_records: bool = False,
    ) -> web.StreamResponse:
        """Stream ``chunks`` as CSV or JSON. With ``raw_records`` the chunks are raw ledger
        rows, encoded without building a dict per row."""
        if query.format == "xlsx":
            if raw_records:
                chunks = _record_rows(chunks)
            return await self._xlsx(request, filename, columns, chunks)
        csv = query.format == "csv"
        # The first rows before the answer starts: a database that refuses (too many exports at
        # once, out of reach) is an error answer, not a download cut short.
        rest = aiter(chunks)
        first = await anext(rest, None)
        resp = web.StreamResponse(headers={
            "Content-Type": "text/csv; charset=utf-8" if csv else "application/json",
            "Content-Disposition": f'attachment; filename="{filename}.{query.format}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        })
        await resp.prepare(request)
        encoder = CsvEncoder(columns) if csv else JsonEncoder(columns)

        async def all_chunks() -> AsyncIterator[Iterable[Any]]:
            if first is not None:
                yield first
            async for rows in rest:
                yield rows

        async for rows in all_chunks():
            data = encoder.encode_records(rows) if raw_records else encoder.encode(rows)
            if data:
                await resp.write(data)
        await resp.write(encoder.finish())
        await resp.write_eof()
        return resp

    async def _xlsx(
        self,
        request: web.Request,
        filename: str,
        columns: tuple[str, ...],
        chunks: AsyncIterator[Iterable[Any]],
    ) -> web.StreamResponse:
        """XLSX is a zip that is complete only at the end: rows are spooled to a temporary
        file, then the finished file is streamed."""
        writer = XlsxWriter(columns)
        async for rows in chunks:
            writer.add(rows)
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
            await asyncio.to_thread(writer.save, tmp.name)
            resp = web.StreamResponse(headers={
                "Content-Type": XLSX_TYPE,
                "Content-Disposition": f'attachment; filename="{filename}.xlsx"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            })
            await resp.prepare(request)
            with open(tmp.name, "rb") as fh:
                while data := await asyncio.to_thread(fh.read, 1 << 16):
                    await resp.write(data)
            await resp.write_eof()
            return resp

    async def _rows(
        self, query: AttendanceQuery, session_ids: list[str]
    ) -> AsyncIterator[Iterable[Any]]:
        """Chunks of rows: raw ledger rows for the records view, report rows otherwise."""
        if query.view == "records":
            sessions = session_ids if len(session_ids) == 1 else [None]
            for sid in sessions:
                async for rows in self.ctx.ledger.stream_rows(_session_query(query), sid):
                    yield rows
            return
        for sid in session_ids:
            report = await self._report(sid)
            yield people_rows(report) if query.view == "people" else room_rows(report)

    # -- endpoints --------------------------------------------------------------------------------

    async def admin_page(self, request: web.Request) -> web.StreamResponse:
        return page("admin.html")

    async def check_out(self, request: web.Request) -> web.Response:
        """A participant's rating after leaving (no admin key: their resume credential, which
        ends ``RATING_WINDOW`` after the session does). The session takes it once, from someone
        who joined it."""
        body = parse_json(CheckOutRequest, await json_body(request, JSON_BODY_TYPES))
        now = self.ctx.clock()
        ended_at = await self.ctx.store.read(body.session_id, lambda s: s.ended_at)
        participant_id = verify_resume_token(self.ctx.settings.secret, body.resume,
                                             body.session_id, now, session_ended_at=ended_at)
        if participant_id is None:
            raise TokenInvalid("This rating link is not valid for that session.")
        await self.ctx.execute(body.session_id, Rate(
            participant_id, None, body.rating, body.comment, body.anonymous, now, body.share))
        return web.json_response({"recorded": True, "anonymous": body.anonymous,
                                  "shared": body.share})

    async def list_sessions(self, request: web.Request) -> web.Response:
        await require_admin(request)
        query = self._query(request)
        # ``limit`` has a default of its own (the exports'): the list's is LIST_LIMIT.
        if "limit" not in query.model_fields_set:
            query = query.model_copy(update={"limit": LIST_LIMIT})
        listings = await self.ctx.ledger.sessions(_session_query(query))
        return web.json_response({"sessions": [
            {**session_fields(s.info), "goal": s.info.goal, "created_at": s.info.created_at,
             "roster": len(s.info.plan.roster), "participants": s.participants,
             "captions": s.info.plan.captions.value,
             "records": s.records}
            for s in listings
        ]})

    async def session_report(self, request: web.Request) -> web.Response:
        await require_admin(request)
        session_id = _checked_id("session_id", request.match_info["session_id"])
        if request.query:
            raise InvalidPayload("This endpoint takes no query parameters.")
        report = await self._report(session_id)
        return web.json_response(report_wire(report, admin=True),
                                 headers={"Cache-Control": "no-store"})

    async def session_export(self, request: web.Request) -> web.StreamResponse:
        admin = await require_admin(request)
        session_id = _checked_id("session_id", request.match_info["session_id"])
        query = self._query(request)
        await self.ctx.ledger.session(session_id)  # a 404 before the stream starts
        await self._audit_export(admin, f"attendance/sessions/{session_id}/export", query)
        return await self._stream(
            request, query, f"attendance-{session_id}-{query.view}", VIEW_COLUMNS[query.view],
            self._rows(query, [session_id]), raw_records=query.view == "records")

    async def export(self, request: web.Request) -> web.StreamResponse:
        admin = await require_admin(request)
        query = self._query(request)
        session_ids = await self.ctx.ledger.session_ids(_session_query(query, EXPORT_LIMIT))
        await self._audit_export(admin, "attendance/export", query, sessions=len(session_ids))
        return await self._stream(request, query, f"attendance-{query.view}",
                                  VIEW_COLUMNS[query.view], self._rows(query, session_ids),
                                  raw_records=query.view == "records")

    async def programme(self, request: web.Request) -> web.StreamResponse:
        admin = await require_admin(request)
        name = _checked_programme(request.match_info["programme"])
        query = self._query(request)
        if query.programme is not None or query.view != "people":
            raise InvalidPayload("The programme is in the path; only since, until, format and "
                                 "limit apply here.")
        session_ids = await self.ctx.ledger.session_ids(
            SessionQuery(query.since, query.until, name, query.limit or EXPORT_LIMIT))
        reports = [await self._report(sid) for sid in session_ids]
        people = programme_summary(reports)
        await self._audit_export(admin, f"attendance/programmes/{_checked_filename(name)}",
                                 query, sessions=len(session_ids))
        if query.format == "json":
            return web.json_response({"programme": name, "sessions": len(session_ids),
                                      "people": list(programme_rows(people))},
                                     headers={"Cache-Control": "no-store"})

        async def one_chunk() -> AsyncIterator[Iterable[Row]]:
            yield programme_rows(people)

        return await self._stream(request, query, f"programme-{_checked_filename(name)}",
                                  PROGRAMME_COLUMNS, one_chunk())

    async def delete_person(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        person_id = request.match_info["person_id"]
        if not is_person_id(person_id):
            raise InvalidPayload(f"person_id: {person_id[:80]!r} is not a valid person id")
        deleted = await erasure.delete_person(self.ctx, person_id)
        # (the person named by a keyed hash, as in the log: their id may be their address)
        ref = person_ref(self.ctx.settings.secret, person_id)
        await self.ctx.audit.record(admin, "person.deleted", f"attendance/people/ref:{ref}",
                                    deleted.counts())
        logger.info("records of person %s (a keyed hash of their id) deleted on request of "
                    "admin %s (%s)", ref, admin.id, deleted.counts())
        return web.json_response({"deleted": deleted.counts()})

    async def delete_participant(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        session_id = _checked_id("session_id", request.match_info["session_id"])
        participant_id = _checked_id("participant_id", request.match_info["participant_id"])
        await self.ctx.ledger.session(session_id)
        deleted = await erasure.delete_participant(self.ctx, session_id, participant_id)
        await self.ctx.audit.record(
            admin, "participant.deleted",
            f"attendance/sessions/{session_id}/participants/{participant_id}", deleted.counts())
        logger.info("records of participant %s in session %s deleted on request of admin %s "
                    "(%s)", participant_id, session_id, admin.id, deleted.counts())
        return web.json_response({"deleted": deleted.counts()})


async def _record_rows(chunks: AsyncIterator[Iterable[Any]]) -> AsyncIterator[Iterable[Row]]:
    async for rows in chunks:
        yield [record_row(r) for r in rows]


def _session_query(query: AttendanceQuery, limit: int = EXPORT_LIMIT) -> SessionQuery:
    return SessionQuery(query.since, query.until, query.programme, min(query.limit or limit,
                                                                       EXPORT_LIMIT))


def _checked_programme(name: str) -> str:
    """A programme named in the path, held to the rule of the ``programme`` query parameter."""
    if not 0 < len(name) <= PROGRAMME_MAX or not re.fullmatch(TEXT_PATTERN, name):
        raise InvalidPayload(f"programme: 1 to {PROGRAMME_MAX} characters, no control "
                             "characters.")
    return name


def _checked_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "programme"
