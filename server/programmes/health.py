"""How each pair is doing (for admins), the "is this a good fit?" question (asked of the pair
after their first session, answered privately to the admin), and what a personal link may know
of its own person (``/api/mine``: a mentor's own mentees, whether to ask the fit question)."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from rooms.attendance import SessionAttendance
from rooms.cohort_import import guard
from rooms.errors import NotAllowed, TandemError
from rooms.match_health import Fit, PairSessions, pair_health
from rooms.mentoring import Match
from rooms.moderation import check_link
from rooms.roles import Role
from rooms.session import Session
from rooms.timeline import summarize
from server.context import Context
from server.documents import Put
from server.http import NotFound, json_body, require_admin
from server.openapi import path_params
from server.programmes.schedules import download
from server.programmes.store import FIT, SCHEDULED, ProgrammeStore
from server.programmes.wire import (
    CohortHealthOut,
    FitIn,
    FitOut,
    MenteeOut,
    MineIn,
    MineOut,
    PairHealthOut,
    RiskOut,
)
from server.protocol import parse_json
from server.tokens import JoinClaims, verify_join_token, verify_resume_token

logger = logging.getLogger(__name__)
HEALTH_COLUMNS = ("match_id", "mentor", "mentees", "sessions_planned", "sessions_held",
                  "upcoming", "minutes", "last_contact", "no_shows", "talk_balance",
                  "ratings", "fit", "risks")


@dataclass(slots=True)
class HealthRoutes:
    ctx: Context
    store: ProgrammeStore

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/cohorts/{cohort}/health", self.health)
        r.add_get("/api/cohorts/{cohort}/health.csv", self.health_csv)
        r.add_get("/api/cohorts/{cohort}/health.xlsx", self.health_xlsx)
        r.add_post("/api/fit", self.fit)
        r.add_post("/api/mine", self.mine)
        doc = self.ctx.openapi
        doc.operation("/api/cohorts/{cohort}/health", "get", "How each pair is doing, and the "
                      "pairs at risk", (200, CohortHealthOut), (401, 404))
        for ext, kind in (("csv", "text/csv"), ("xlsx", "application/vnd.openxmlformats-"
                                                       "officedocument.spreadsheetml.sheet")):
            doc.described(f"/api/cohorts/{{cohort}}/health.{ext}", "get",
                          f"Match health per pair ({ext})", 200, "One row per match",
                          {kind: {"schema": {"type": "string"}}}, (401, 404),
                          path_params("cohort"))
        doc.operation("/api/fit", "post", "Answer \"is this a good fit?\" after a pair's first "
                      "session (the join token and resume credential are the credential)",
                      (200, FitOut), (400, 401, 403, 404, 413), body=FitIn, admin=False)
        doc.operation("/api/mine", "post", "What a programme session's personal link may know "
                      "of its own person: a mentor's mentees (names and goals), and whether to "
                      "ask \"is this a good fit?\" (the join token is the credential)",
                      (200, MineOut), (400, 401, 403, 404, 413), body=MineIn, admin=False)

    # -- health -----------------------------------------------------------------------------------

    async def _report(self, session_id: str) -> SessionAttendance | None:
        ledger = self.ctx.ledger
        try:
            info = await ledger.session(session_id)
            records = await ledger.session_records(session_id)
            anonymous = await ledger.anonymous_ratings(session_id)
        except TandemError:  # not in the ledger (deleted by the retention rule)
            return None
        return summarize(info, records, now=self.ctx.clock(),
                         grace=self.ctx.settings.attendance_grace, anonymous=anonymous)

    async def health_of(self, cohort_id: str) -> CohortHealthOut:
        people = {p.id: p for p, _ in (await self.store.people(cohort_id)).values()}
        matches = await self.store.matches(cohort_id)
        fits = await self.store.fits(cohort_id)
        sessions = {d.key: d.body for d in await self.ctx.documents.find(SCHEDULED, cohort_id)}
        group_sessions = [sid for sid, b in sessions.items() if b["match_id"] is None]
        reports: dict[str, SessionAttendance | None] = {}
        now = self.ctx.clock()
        pairs: list[PairHealthOut] = []
        for m in sorted(matches, key=lambda m: (not m.live, m.published_at, m.id)):
            mine = [sid for sid, b in sessions.items() if b["match_id"] == m.id]
            found: list[SessionAttendance] = []
            for sid in [*mine, *group_sessions]:
                if sid not in reports:
                    reports[sid] = await self._report(sid)
                report = reports[sid]
                if report is not None and _lists(report, m):
                    found.append(report)
            health = pair_health(PairSessions(m.id, m.mentor_id, m.mentee_ids, tuple(found)),
                                 fits.get(m.id), now)
            goals = [g for p in m.mentee_ids if p in people for g in people[p].profile.goals]
            pairs.append(PairHealthOut(
                match_id=m.id, mentor=_name(people, m.mentor_id),
                mentees=[_name(people, p) for p in m.mentee_ids], goals=goals,
                sessions_planned=health.sessions_planned, sessions_held=health.sessions_held,
                upcoming=health.upcoming, minutes=round(health.minutes, 1),
                last_contact=health.last_contact, no_shows=health.no_shows,
                talk_balance=(None if health.talk_balance is None
                              else round(health.talk_balance, 3)),
                ratings=list(health.ratings), fit=health.fit,
                risks=[RiskOut(code=r.code, detail=r.detail) for r in health.risks]
                if m.live else []))
        return CohortHealthOut(pairs=pairs, at_risk=[p.match_id for p in pairs if p.risks])

    async def health(self, request: web.Request) -> web.Response:
        await require_admin(request)
        cohort, _ = await self.store.cohort(request.match_info["cohort"])
        out = await self.health_of(cohort.id)
        return web.json_response(out.model_dump(mode="json"),
                                 headers={"Cache-Control": "no-store"})

    async def _rows(self, request: web.Request, fmt: str) -> tuple[str, list[list[Any]]]:
        admin = await require_admin(request)
        cohort, _ = await self.store.cohort(request.match_info["cohort"])
        await self.ctx.audit.record(admin, "health.exported", f"cohorts/{cohort.id}/health",
                                    {"format": fmt})
        out = await self.health_of(cohort.id)
        rows = [[p.match_id, p.mentor, "; ".join(p.mentees), p.sessions_planned,
                 p.sessions_held, p.upcoming, p.minutes,
                 None if p.last_contact is None else datetime.fromtimestamp(p.last_contact, UTC)
                 .strftime("%Y-%m-%dT%H:%M:%SZ"), p.no_shows, p.talk_balance,
                 " ".join(str(r) for r in p.ratings), p.fit.value if p.fit else None,
                 "; ".join(r.code for r in p.risks)] for p in out.pairs]
        return cohort.id, rows

    async def health_csv(self, request: web.Request) -> web.Response:
        cohort_id, rows = await self._rows(request, "csv")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(HEALTH_COLUMNS)
        w.writerows([guard(c) if isinstance(c, str) else c for c in row] for row in rows)
        return web.Response(text=buf.getvalue(), content_type="text/csv", charset="utf-8",
                            headers=download(f"health-{cohort_id}.csv"))

    async def health_xlsx(self, request: web.Request) -> web.Response:
        cohort_id, rows = await self._rows(request, "xlsx")
        data = await asyncio.get_running_loop().run_in_executor(None, _xlsx, rows)
        return web.Response(body=data, content_type="application/vnd.openxmlformats-"
                            "officedocument.spreadsheetml.sheet",
                            headers=download(f"health-{cohort_id}.xlsx"))

    # -- the fit question and a mentor's view ---------------------------------------------------

    async def _scheduled(self, claims: JoinClaims) -> tuple[str, str | None]:
        # A link an admin revoked (or of a person a deletion request erased) is no credential
        # here either: ``link_revoked``, as for the preview and connecting.
        await self.ctx.store.read(
            claims.session_id,
            lambda s: check_link(s, claims.role, claims.link, claims.generation))
        doc = await self.ctx.documents.get(SCHEDULED, claims.session_id)
        if doc is None:
            raise NotFound("This session is not part of a programme's schedule.")
        return doc.body["cohort_id"], doc.body["match_id"]

    async def fit(self, request: web.Request) -> web.Response:
        body = parse_json(FitIn, await json_body(request))
        now = self.ctx.clock()
        claims = verify_join_token(self.ctx.settings.secret, body.token, now)
        participant_id = verify_resume_token(self.ctx.settings.secret, body.resume,
                                             claims.session_id, now)
        if participant_id is None:
            raise NotAllowed("Only someone who took part in this session can answer.")

        def person(s: Session) -> str | None:
            p = s.participants.get(participant_id)
            return p.person_id if p is not None else None

        person_id = await self.ctx.store.read(claims.session_id, person)
        cohort_id, match_id = await self._scheduled(claims)
        if person_id is None or match_id is None:
            raise NotAllowed("Only the pair of a programme's match is asked this.")
        match, _ = await self.store.match(cohort_id, match_id)
        if person_id not in match.people:
            raise NotAllowed("Only the pair of a programme's match is asked this.")
        role = Role.MENTOR if person_id == match.mentor_id else Role.MENTEE
        await self.ctx.documents.write([Put(FIT, f"{cohort_id}/{match_id}/{person_id}", {
            "match_id": match_id, "person_id": person_id, "role": role.value,
            "answer": body.answer.value, "at": now, "session_id": claims.session_id},
            scope=cohort_id)], now)
        logger.info("a fit answer was recorded for match %s", match_id)
        return web.json_response(FitOut(answer=Fit(body.answer)).model_dump(mode="json"))

    async def mine(self, request: web.Request) -> web.Response:
        body = parse_json(MineIn, await json_body(request))
        now = self.ctx.clock()
        claims = verify_join_token(self.ctx.settings.secret, body.token, now)
        person_id = claims.person_id
        if person_id is None:
            raise NotAllowed("Only a personal link of a programme's session shows this.")
        cohort_id, match_id = await self._scheduled(claims)
        mentees: list[MenteeOut] = []
        if claims.role is Role.MENTOR:
            people = {p.id: p for p, _ in (await self.store.people(cohort_id)).values()}
            mentees = [MenteeOut(name=people[p].name, goals=list(people[p].profile.goals))
                       for m in await self.store.matches(cohort_id)
                       if m.live and m.mentor_id == person_id
                       for p in m.mentee_ids if p in people]
        ask_fit = match_id is not None and await self._ask_fit(
            cohort_id, match_id, person_id, claims.session_id, now)
        out = MineOut(mentees=mentees, ask_fit=ask_fit)
        return web.json_response(out.model_dump(mode="json"),
                                 headers={"Cache-Control": "no-store"})

    async def _ask_fit(self, cohort_id: str, match_id: str, person_id: str, session_id: str,
                       now: float) -> bool:
        """Whether to ask this person "is this a good fit?" after this session: it is the
        first of their live match's sessions to have started, and they have not answered."""
        try:
            match, _ = await self.store.match(cohort_id, match_id)
        except NotFound:  # the match was deleted with one of its people
            return False
        if not match.live or person_id not in match.people:
            return False
        if await self.ctx.documents.get(FIT, f"{cohort_id}/{match_id}/{person_id}") is not None:
            return False
        started = [(s["start"], s["session_id"]) for d in await self.store.schedules(cohort_id)
                   if d.body["match_id"] == match_id for s in d.body["sessions"]
                   if s["start"] <= now]
        return bool(started) and min(started)[1] == session_id


def _lists(report: SessionAttendance, m: Match) -> bool:
    """Whether a session's roster lists the match's mentor and at least one of its mentees."""
    ids = {p.person_id for p in report.people if p.on_roster}
    return m.mentor_id in ids and any(p in ids for p in m.mentee_ids)


def _name(people: dict[str, Any], person_id: str) -> str:
    p = people.get(person_id)
    return p.name if p is not None else "(no longer in the cohort)"


def _xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("match health")
    sheet.append(list(HEALTH_COLUMNS))
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
        book.save(f.name)
        return f.read()

