"""REST for scheduling a cohort's sessions: one-off or recurring, for one match or the whole
cohort (a group session whose breakout groups are the published matches), and their personal
links as JSON, as a CSV for a mail merge, and as iCalendar invitations.

A schedule keeps only ids and times; links are made when asked for, carrying each person's id
(``server.tokens.JoinClaims.person_id``) and lasting until a day after their session."""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from rooms.breakout import Group
from rooms.calendar import CalendarEvent, ics
from rooms.cohort import Person, is_time_zone
from rooms.cohort_import import guard
from rooms.errors import InvalidPayload, SessionNotFound
from rooms.mentoring import group_roster, pair_roster
from rooms.moderation import link_key
from rooms.recurrence import Repeat, Series, local_time
from rooms.roster import RosterEntry, Schedule, SessionPlan, WaitingRoom, is_person_id
from rooms.session import Session
from server.context import Context
from server.documents import Conflict, Put
from server.http import json_body, require_admin
from server.openapi import path_params
from server.programmes.routes import new_id
from server.programmes.store import SCHEDULE, SCHEDULED, ProgrammeStore
from server.programmes.wire import (
    ScheduledSessionOut,
    ScheduleIn,
    ScheduleOut,
    SchedulesOut,
    SessionLinkOut,
)
from server.protocol import parse_json
from server.settings import DAY
from server.tokens import JoinClaims, issue_join_token

logger = logging.getLogger(__name__)
SCHEDULES_MAX = 2_000  # per cohort


@dataclass(slots=True)
class ScheduleRoutes:
    ctx: Context
    store: ProgrammeStore

    def add_to(self, app: web.Application) -> None:
        r = app.router
        c = "/api/cohorts/{cohort}/schedules"
        r.add_post(c, self.create)
        r.add_get(c, self.list_schedules)
        r.add_get(c + "/{schedule}/links.csv", self.links_csv)
        r.add_get(c + "/{schedule}/invites.ics", self.invites)
        doc = self.ctx.openapi
        doc.operation(c, "post", "Schedule one-off or recurring sessions for a match or the "
                      "cohort", (201, ScheduleOut), (400, 401, 404, 409, 413), body=ScheduleIn)
        doc.operation(c, "get", "A cohort's schedules and their personal links",
                      (200, SchedulesOut), (401, 404))
        for path, kind, summary in (
                ("links.csv", "text/csv", "Every person's link for every session (mail merge)"),
                ("invites.ics", "text/calendar", "Sessions as calendar invitations (?person= "
                 "for one person's, with their link)")):
            doc.described(f"{c}/{{schedule}}/{path}", "get", summary, 200, summary,
                          {kind: {"schema": {"type": "string"}}}, (400, 401, 404),
                          path_params("cohort", "schedule"))

    def _base_url(self, request: web.Request) -> str:
        return self.ctx.settings.public_url or str(request.url.origin())

    async def create(self, request: web.Request) -> web.Response:
        admin = await require_admin(request)
        cohort, _ = await self.store.cohort(request.match_info["cohort"])
        body = parse_json(ScheduleIn, await json_body(request))
        if not is_time_zone(body.time_zone):
            raise InvalidPayload("time_zone: an IANA time zone (for example Europe/Madrid).")
        starts = body.starts
        if starts.tzinfo is not None:
            starts = starts.astimezone(ZoneInfo(body.time_zone)).replace(tzinfo=None)
        starts = starts.replace(second=0, microsecond=0)
        series = Series(starts=starts, time_zone=body.time_zone, minutes=body.minutes,
                        repeat=body.repeat,
                        count=1 if body.repeat is Repeat.ONCE else body.count)
        occurrences = series.occurrences()
        if occurrences[0][1] <= self.ctx.clock():
            raise Conflict("starts: the first session would already be over; schedule "
                           "sessions that are still to come.")
        if len(await self.store.schedules(cohort.id)) >= SCHEDULES_MAX:
            raise InvalidPayload(f"A cohort has at most {SCHEDULES_MAX} schedules.")
        people = {p.id: p for p, _ in (await self.store.people(cohort.id)).values()}
        if body.match_id is not None:
            match, _ = await self.store.match(cohort.id, body.match_id)
            if not match.live:
                raise InvalidPayload("This match has ended; schedule sessions for live ones.")
            roster, groups = pair_roster(match, people), tuple[Group, ...]()
        else:
            roster, groups = group_roster(await self.store.matches(cohort.id), people)
        settings = self.ctx.settings
        now = self.ctx.clock()
        sessions: list[dict[str, Any]] = []
        for start, end in occurrences:
            session = Session.create(
                session_id=secrets.token_hex(12), title=body.title,
                max_participants=min(settings.max_session_size,
                                     max(settings.default_max_participants, len(roster) + 2)),
                now=now,
                plan=SessionPlan(programme=cohort.programme, schedule=Schedule(start, end),
                                 roster=roster, waiting_room=WaitingRoom(settings.waiting_room)),
            )
            session.set_groups(groups)
            await self.ctx.store.add(session)
            await self.ctx.delivery.deliver([session.scheduled()])
            sessions.append({"session_id": session.id, "start": start, "end": end})
        schedule_id = new_id("s")
        record = {"id": schedule_id, "match_id": body.match_id,
                  "title": " ".join(body.title.split()), "time_zone": body.time_zone,
                  "repeat": body.repeat.value, "minutes": body.minutes, "sessions": sessions}
        await self.ctx.documents.write(
            [Put(SCHEDULE, f"{cohort.id}/{schedule_id}", record, scope=cohort.id),
             *(Put(SCHEDULED, s["session_id"], {"cohort_id": cohort.id,
                                                 "schedule_id": schedule_id,
                                                 "match_id": body.match_id}, scope=cohort.id)
               for s in sessions),
             self.ctx.audit.put(admin, "schedule.created",
                                f"cohorts/{cohort.id}/schedules/{schedule_id}",
                                {"match_id": body.match_id, "sessions": len(sessions)})], now)
        logger.info("cohort %s: schedule %s of %d sessions", cohort.id, schedule_id,
                    len(sessions))
        out = await self._out(request, record, people)
        return web.json_response(out.model_dump(mode="json"), status=201)

    async def list_schedules(self, request: web.Request) -> web.Response:
        await require_admin(request)
        cohort, _ = await self.store.cohort(request.match_info["cohort"])
        people = {p.id: p for p, _ in (await self.store.people(cohort.id)).values()}
        out = SchedulesOut(schedules=[await self._out(request, d.body, people)
                                      for d in await self.store.schedules(cohort.id)])
        return web.json_response(out.model_dump(mode="json"))

    async def _links(self, request: web.Request, session_id: str, end: float,
                     people: dict[str, Person]) -> list[tuple[RosterEntry, str]]:
        """Each roster person of a session and their personal link (a link the admin revoked
        meanwhile is issued anew at its current generation)."""
        def read(s: Session) -> list[tuple[RosterEntry, int]]:
            return [(e, s.link_generations.get(link_key(s, e.role, e.name), 0))
                    for e in s.plan.roster]

        try:
            roster = await self.ctx.store.read(session_id, read)
        except SessionNotFound:  # deleted by the retention rule: no links to give
            return []
        base = self._base_url(request)
        out = []
        for entry, generation in roster:
            token = issue_join_token(self.ctx.settings.secret, JoinClaims(
                session_id=session_id, role=entry.role, name=entry.name,
                issued_at=self.ctx.clock(), expires_at=end + DAY, generation=generation,
                person_id=entry.person_id))
            out.append((entry, f"{base}/s/{session_id}#token={token}"))
        return out

    async def _out(self, request: web.Request, record: dict[str, Any],
                   people: dict[str, Person]) -> ScheduleOut:
        sessions = []
        for s in record["sessions"]:
            links = [SessionLinkOut(person_id=e.person_id, name=e.name, role=e.role, url=url,
                             local_time=local_time(s["start"], _zone(people, e.person_id,
                                                                     record["time_zone"])))
                     for e, url in await self._links(request, s["session_id"], s["end"], people)]
            sessions.append(ScheduledSessionOut(session_id=s["session_id"], start=s["start"],
                                                end=s["end"], links=links))
        return ScheduleOut(id=record["id"], match_id=record["match_id"],
                           title=record["title"], time_zone=record["time_zone"],
                           repeat=record["repeat"], minutes=record["minutes"], sessions=sessions)

    async def _record(self, request: web.Request, action: str, person_id: str | None = None
                      ) -> tuple[dict[str, Any], dict[str, Person]]:
        """The schedule asked for, once the export is in the audit log (``person_id``: the
        one person it is for, already checked)."""
        admin = await require_admin(request)
        cohort, _ = await self.store.cohort(request.match_info["cohort"])
        doc = await self.store.schedule(cohort.id, request.match_info["schedule"])
        await self.ctx.audit.record(admin, action,
                                    f"cohorts/{cohort.id}/schedules/{doc.body['id']}",
                                    {"person_id": person_id})
        people = {p.id: p for p, _ in (await self.store.people(cohort.id)).values()}
        return doc.body, people

    async def links_csv(self, request: web.Request) -> web.Response:
        if request.query:
            raise InvalidPayload("This endpoint takes no query parameters.")
        record, people = await self._record(request, "links.exported")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(["title", "session_start_utc", "person_id", "name", "email", "role",
                    "time_zone", "local_time", "link"])
        for s in record["sessions"]:
            utc = datetime.fromtimestamp(s["start"], UTC).strftime("%Y-%m-%dT%H:%MZ")
            for e, url in await self._links(request, s["session_id"], s["end"], people):
                zone = _zone(people, e.person_id, record["time_zone"])
                person = people.get(e.person_id)
                w.writerow([guard(record["title"]), utc, guard(e.person_id), guard(e.name),
                            guard(person.email or "") if person else "", e.role.value, zone,
                            local_time(s["start"], zone), url])
        return web.Response(text=buf.getvalue(), content_type="text/csv", charset="utf-8",
                            headers=download(f"links-{record['id']}.csv"))

    async def invites(self, request: web.Request) -> web.Response:
        if set(request.query) - {"person"} or len(request.query.getall("person", [])) > 1:
            raise InvalidPayload("This endpoint takes one query parameter at most: person.")
        person_id = request.query.get("person")
        if person_id is not None and not is_person_id(person_id):
            raise InvalidPayload("person: someone of this cohort, by id.")
        record, people = await self._record(request, "invites.exported", person_id)
        if person_id is not None and person_id not in people:
            raise InvalidPayload("person: someone of this cohort, by id.")
        events = []
        for s in record["sessions"]:
            url = f"{self._base_url(request)}/"
            description = "Open your personal link from the programme to join."
            if person_id is not None:
                mine = [u for e, u in await self._links(request, s["session_id"], s["end"],
                                                        people) if e.person_id == person_id]
                if not mine:
                    continue
                url = mine[0]
                description = f"Join: {url}\nThis link is yours; please do not share it."
            events.append(CalendarEvent(uid=s["session_id"], start=s["start"], end=s["end"],
                                        summary=record["title"], description=description,
                                        url=url))
        if not events:
            raise InvalidPayload("person: this person has no session in this schedule.")
        name = f"invites-{record['id']}" + (f"-{person_id}" if person_id else "")
        return web.Response(text=ics(events, self.ctx.clock(), name=record["title"]),
                            content_type="text/calendar", charset="utf-8",
                            headers=download(f"{name}.ics"))


def _zone(people: dict[str, Person], person_id: str, default: str) -> str:
    person = people.get(person_id)
    return person.profile.time_zone if person is not None else default


def download(filename: str) -> dict[str, str]:
    """The headers of a file to save, never kept by a cache."""
    return {"Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store"}
