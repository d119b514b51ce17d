"""REST for cohorts, their people (one by one or from a CSV), matching and publishing."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from rooms.cohort import COHORT_MAX, Cohort, Person
from rooms.cohort_import import parse_people_csv, people_csv
from rooms.errors import InvalidPayload, PayloadTooLarge, RateLimited
from rooms.matching import propose
from rooms.mentoring import Match, matched_people
from server.context import Context
from server.documents import Change, Conflict, Delete, Put
from server.http import Admin, ErrorDetail, NotFound, json_body, require_admin
from server.openapi import described_operation, path_params
from server.programmes.store import (
    COHORT,
    COHORT_KINDS,
    COHORTS_MAX,
    PERSON,
    PROPOSAL,
    ProgrammeStore,
    match_body,
    match_reason,
    person_body,
    proposal_body,
)
from server.programmes.wire import (
    CohortIn,
    CohortOut,
    CohortsOut,
    ImportFailedOut,
    ImportOut,
    MatchesOut,
    MatchOut,
    PeopleOut,
    PersonIn,
    PersonOut,
    ProposalOut,
    PublishIn,
    RowErrorOut,
    RulesIn,
)
from server.protocol import parse_json

logger = logging.getLogger(__name__)
T = TypeVar("T")
IMPORT_BYTES_MAX = 4 * 1024 * 1024  # a CSV of a whole cohort (5,000 people with profiles)
MATCHING_WAITING_MAX = 4  # matching runs queued behind the one running; more are refused


def new_id(prefix: str) -> str:
    # hex after a letter: never read as a spreadsheet formula, never mistaken for a name
    return f"{prefix}-{secrets.token_hex(5)}"


def person_out(p: Person, version: int) -> PersonOut:
    b = person_body(p)
    return PersonOut(id=p.id, name=p.name, email=p.email, role=p.role, capacity=p.capacity,
                     never_pair=list(p.never_pair), profile=b["profile"], version=version)


def match_out(m: Match) -> MatchOut:
    return MatchOut.model_validate(match_body(m))


async def read_bounded(request: web.Request, limit: int) -> bytes:
    """The body, refused once it passes ``limit`` bytes (this route's own bound, above the
    server's bound for JSON bodies)."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The file is over {limit // (1024 * 1024)} MiB.")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The file is over {limit // (1024 * 1024)} MiB.")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(slots=True)
class Matcher:
    """Matching runs off the event loop, one at a time; a few wait their turn, more are
    refused (a cohort of 5,000 takes seconds of a core)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0

    async def run(self, fn: Callable[[], T]) -> T:
        if self.waiting >= MATCHING_WAITING_MAX:
            raise RateLimited("Matching is busy with other cohorts; try again in a minute.")
        self.waiting += 1
        try:
            await self.lock.acquire()
        finally:
            self.waiting -= 1
        # The lock is held until the run is over, even when the request that asked for it
        # goes away meanwhile: a thread cannot be stopped.
        future = asyncio.get_running_loop().run_in_executor(None, fn)
        future.add_done_callback(lambda _: self.lock.release())
        return await asyncio.shield(future)


@dataclass(slots=True)
class CohortRoutes:
    ctx: Context
    store: ProgrammeStore
    matcher: Matcher = field(default_factory=Matcher)

    def add_to(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/api/cohorts", self.create_cohort)
        r.add_get("/api/cohorts", self.list_cohorts)
        r.add_get("/api/cohorts/{cohort}", self.get_cohort)
        r.add_delete("/api/cohorts/{cohort}", self.delete_cohort)
        r.add_get("/api/cohorts/{cohort}/people", self.list_people)
        r.add_post("/api/cohorts/{cohort}/people", self.add_person)
        r.add_put("/api/cohorts/{cohort}/people/{person}", self.change_person)
        r.add_delete("/api/cohorts/{cohort}/people/{person}", self.remove_person)
        r.add_post("/api/cohorts/{cohort}/import", self.import_people)
        r.add_get("/api/cohorts/{cohort}/people.csv", self.export_people)
        r.add_post("/api/cohorts/{cohort}/proposal", self.make_proposal)
        r.add_get("/api/cohorts/{cohort}/proposal", self.get_proposal)
        r.add_post("/api/cohorts/{cohort}/publish", self.publish)
        r.add_get("/api/cohorts/{cohort}/matches", self.list_matches)
        r.add_post("/api/cohorts/{cohort}/matches/{match}/end", self.end_match)
        doc = self.ctx.openapi
        c = "/api/cohorts/{cohort}"
        doc.operation("/api/cohorts", "post", "Create a cohort of a programme", (201, CohortOut),
                      (400, 401, 413), body=CohortIn)
        doc.operation("/api/cohorts", "get", "Every cohort", (200, CohortsOut), (401,))
        doc.operation(c, "get", "A cohort", (200, CohortOut), (401, 404))
        doc.operation(c, "delete", "Delete a cohort: its people, profiles, proposals, matches, "
                      "schedules and answers (its sessions stay, as any session does)",
                      (200, CohortOut), (401, 404))
        doc.operation(f"{c}/people", "get", "A cohort's people and their profiles",
                      (200, PeopleOut), (401, 404))
        doc.operation(f"{c}/people", "post", "Add a person to a cohort", (201, PersonOut),
                      (400, 401, 404, 409, 413), body=PersonIn)
        doc.operation(f"{c}/people/{{person}}", "put", "Change a person (give the version you "
                      "read)", (200, PersonOut), (400, 401, 404, 409, 413), body=PersonIn)
        doc.operation(f"{c}/people/{{person}}", "delete", "Take a person out of a cohort (their "
                      "profile and matches)", (200, ImportOut), (401, 404))
        csv_text = {"text/csv": {"schema": {"type": "string"}}}
        doc.described(f"{c}/people.csv", "get", "A cohort's people as CSV (the import's columns)",
                      200, "One row per person", csv_text, (401, 404), path_params("cohort"))
        imported = described_operation("Import people from a CSV file: all rows or none", 200,
                              "What was imported", {"application/json": {"schema": {
                                  "$ref": "#/components/schemas/ImportOut"}}},
                              (400, 401, 404, 409, 413), path_params("cohort"))
        imported["requestBody"] = {"required": True, "content": csv_text}
        imported["responses"]["400"] = {
            "description": "Nothing imported: invalid_payload, or import_failed with `rows` "
                           "naming each wrong row, its column, a stable code, what to fix (in "
                           "English) and the code's params",
            "content": {"application/json": {"schema": {"anyOf": [
                {"$ref": "#/components/schemas/ErrorBody"},
                {"$ref": "#/components/schemas/ImportFailedOut"}]}}}}
        doc.add(f"{c}/import", "post", imported, (ImportOut, ImportFailedOut))
        doc.operation(f"{c}/proposal", "post", "Propose matches for the whole cohort",
                      (200, ProposalOut), (400, 401, 404, 409, 413, 429), body=RulesIn)
        doc.operation(f"{c}/proposal", "get", "The cohort's draft proposal",
                      (200, ProposalOut), (401, 404))
        doc.operation(f"{c}/publish", "post", "Publish the draft's pairs as matches",
                      (200, MatchesOut), (400, 401, 404, 409, 413), body=PublishIn)
        doc.operation(f"{c}/matches", "get", "The cohort's matches", (200, MatchesOut),
                      (401, 404))
        doc.operation(f"{c}/matches/{{match}}/end", "post", "End a match (re-match its people)",
                      (200, MatchOut), (401, 404, 409))

    async def _admin(self, request: web.Request) -> Admin:
        return await require_admin(request)

    async def _cohort(self, request: web.Request) -> Cohort:
        cohort, _ = await self.store.cohort(request.match_info["cohort"])
        return cohort

    # -- cohorts ----------------------------------------------------------------------------------

    async def create_cohort(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        body = parse_json(CohortIn, await json_body(request))
        if len(await self.store.cohorts()) >= COHORTS_MAX:
            raise InvalidPayload(f"This server keeps at most {COHORTS_MAX} cohorts.")
        cohort = Cohort(id=new_id("c"), programme=" ".join(body.programme.split()),
                        name=" ".join(body.name.split()))
        now = self.ctx.clock()
        [version, _] = await self.ctx.documents.write([
            Put(COHORT, cohort.id, {"programme": cohort.programme, "name": cohort.name,
                                    "created_at": now}, expect=0),
            self.ctx.audit.put(admin, "cohort.created", f"cohorts/{cohort.id}")], now)
        logger.info("cohort %s created", cohort.id)
        out = CohortOut(id=cohort.id, programme=cohort.programme, name=cohort.name,
                        created_at=now, people=0, version=version)
        return web.json_response(out.model_dump(mode="json"), status=201)

    async def _cohort_out(self, key: str, body: dict[str, Any], version: int) -> CohortOut:
        people = len(await self.ctx.documents.find(PERSON, key))
        return CohortOut(id=key, programme=body["programme"], name=body["name"],
                         created_at=body["created_at"], people=people, version=version)

    async def list_cohorts(self, request: web.Request) -> web.Response:
        await self._admin(request)
        out = CohortsOut(cohorts=[await self._cohort_out(d.key, d.body, d.version)
                                  for d in await self.store.cohorts()])
        return web.json_response(out.model_dump(mode="json"))

    async def get_cohort(self, request: web.Request) -> web.Response:
        await self._admin(request)
        _, doc = await self.store.cohort(request.match_info["cohort"])
        out = await self._cohort_out(doc.key, doc.body, doc.version)
        return web.json_response(out.model_dump(mode="json"))

    async def delete_cohort(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        _, doc = await self.store.cohort(request.match_info["cohort"])
        out = await self._cohort_out(doc.key, doc.body, doc.version)
        changes: list[Change] = [Delete(kind, scope=doc.key) for kind in COHORT_KINDS]
        changes += [Delete(COHORT, key=doc.key),
                    self.ctx.audit.put(admin, "cohort.deleted", f"cohorts/{doc.key}",
                                       {"people": out.people})]
        await self.ctx.documents.write(changes, self.ctx.clock())
        logger.info("cohort %s deleted", doc.key)
        return web.json_response(out.model_dump(mode="json"))

    # -- people -----------------------------------------------------------------------------------

    async def list_people(self, request: web.Request) -> web.Response:
        await self._admin(request)
        cohort = await self._cohort(request)
        people = await self.store.people(cohort.id)
        out = PeopleOut(people=[person_out(p, v) for p, v in sorted(
            people.values(), key=lambda pv: (pv[0].role.value, pv[0].name.casefold()))])
        return web.json_response(out.model_dump(mode="json"))

    async def add_person(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        body = parse_json(PersonIn, await json_body(request))
        people = await self.store.people(cohort.id)
        if len(people) >= COHORT_MAX:
            raise InvalidPayload(f"A cohort has at most {COHORT_MAX} people.")
        person = body.person(body.id or new_id("p"))
        _check_links(person, people)
        if body.email and any(p.email and p.email.casefold() == body.email.casefold()
                              for p, _ in people.values()):
            raise Conflict("email: someone in this cohort already has this address.")
        try:
            [version, _] = await self.ctx.documents.write(
                [self.store.put_person(cohort.id, person, expect=0),
                 self.ctx.audit.put(admin, "person.added", f"cohorts/{cohort.id}/people/"
                                    f"{person.id}")], self.ctx.clock())
        except Conflict:
            raise Conflict("Someone with this id is already in the cohort.") from None
        return web.json_response(person_out(person, version).model_dump(mode="json"),
                                 status=201)

    async def change_person(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        person_id = request.match_info["person"]
        body = parse_json(PersonIn, await json_body(request))
        if body.id is not None and body.id != person_id:
            raise Conflict("id: a person's id never changes (the path names them).")
        _, version = await self.store.person(cohort.id, person_id)
        people = await self.store.people(cohort.id)
        person = body.person(person_id)
        _check_links(person, people)
        [version, _] = await self.ctx.documents.write(
            [self.store.put_person(cohort.id, person,
                                   expect=body.version if body.version is not None else version),
             self.ctx.audit.put(admin, "person.changed", f"cohorts/{cohort.id}/people/"
                                f"{person_id}")], self.ctx.clock())
        return web.json_response(person_out(person, version).model_dump(mode="json"))

    async def remove_person(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        person_id = request.match_info["person"]
        await self.store.person(cohort.id, person_id)
        changes, count = await self.store.erase_person(person_id, cohort.id)
        changes.append(self.ctx.audit.put(admin, "person.removed",
                                          f"cohorts/{cohort.id}/people/{person_id}"))
        await self.ctx.documents.write(changes, self.ctx.clock())
        logger.info("a person was taken out of cohort %s", cohort.id)
        people = len(await self.ctx.documents.find(PERSON, cohort.id))
        return web.json_response(ImportOut(created=0, updated=count, people=people)
                                 .model_dump(mode="json"))

    async def import_people(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        if request.content_type not in ("text/csv", "text/plain", "application/octet-stream"):
            raise InvalidPayload("Send the file as CSV (Content-Type: text/csv).")
        raw = await read_bounded(request, IMPORT_BYTES_MAX)
        # bytes that are not UTF-8 become lone surrogates, which the import reports by row
        text = raw.decode("utf-8", "surrogateescape")
        existing = await self.store.people(cohort.id)
        result = parse_people_csv(text, {k: p for k, (p, _) in existing.items()},
                                  lambda: new_id("p"))
        if result.errors:
            return _import_failed([RowErrorOut(row=e.row, column=e.column, code=e.code,
                                               message=e.message, params=e.params)
                                   for e in result.errors])
        if len({*existing, *(p.id for p in result.people)}) > COHORT_MAX:
            raise InvalidPayload(f"A cohort has at most {COHORT_MAX} people.")
        changes: list[Change] = [
            self.store.put_person(cohort.id, p, expect=existing[p.id][1] if p.id in existing
                                  else 0)
            for p in result.people]
        created = sum(1 for p in result.people if p.id not in existing)
        changes.append(self.ctx.audit.put(admin, "people.imported", f"cohorts/{cohort.id}/people",
                                          {"created": created,
                                           "updated": len(result.people) - created}))
        await self.ctx.documents.write(changes, self.ctx.clock())
        logger.info("cohort %s: %d people imported (%d new)", cohort.id, len(result.people),
                    created)
        out = ImportOut(created=created, updated=len(result.people) - created,
                        people=len({*existing, *(p.id for p in result.people)}))
        return web.json_response(out.model_dump(mode="json"))

    async def export_people(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        people = await self.store.people(cohort.id)
        await self.ctx.audit.record(admin, "people.exported", f"cohorts/{cohort.id}/people")
        text = people_csv(sorted((p for p, _ in people.values()),
                                 key=lambda p: (p.role.value, p.name.casefold())))
        return web.Response(text=text, content_type="text/csv", charset="utf-8", headers={
            "Content-Disposition": f'attachment; filename="people-{cohort.id}.csv"',
            "Cache-Control": "no-store"})

    # -- matching ---------------------------------------------------------------------------------

    async def make_proposal(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        raw = await json_body(request)
        if not raw.strip():
            raise InvalidPayload("Send the rules as JSON ({} for the defaults).")
        body = parse_json(RulesIn, raw)
        rules = body.rules()
        people = await self.store.people(cohort.id)
        taken = matched_people(await self.store.matches(cohort.id))
        free = [p for p, _ in people.values() if p.id not in taken]
        for mentor, mentee in (*rules.pins, *rules.forbids):
            for person_id in (mentor, mentee):
                if person_id not in people:
                    raise Conflict(f"pins and forbids: no one in this cohort has the id "
                                   f"{person_id!r} (any more).")
                if person_id in taken:
                    raise Conflict("A pinned or forbidden person is already in a published "
                                   "match; end that match first.")
        now = self.ctx.clock()
        proposal = await self.matcher.run(lambda: propose(free, rules, now))
        names = {p.id: p.name for p in free}
        roles = {p.id: p.role.value for p in free}
        made = proposal_body(proposal, names, body.body(), now, roles)
        await self.ctx.documents.write([
            Put(PROPOSAL, cohort.id, made, scope=cohort.id),
            self.ctx.audit.put(admin, "matching.proposed", f"cohorts/{cohort.id}/proposal", {
                "objective": rules.objective.value, "pairs": len(proposal.pairs),
                "unmatched": len(proposal.unmatched), "pins": len(rules.pins),
                "forbids": len(rules.forbids)})], now)
        logger.info("cohort %s: %d pairs proposed, %d unmatched", cohort.id, len(proposal.pairs),
                    len(proposal.unmatched))
        return web.json_response(ProposalOut.model_validate(made).model_dump(mode="json"))

    async def get_proposal(self, request: web.Request) -> web.Response:
        await self._admin(request)
        cohort = await self._cohort(request)
        draft = await self.store.proposal(cohort.id)
        if draft is None or draft.body.get("published_at") is not None:
            raise NotFound("This cohort has no draft proposal; make one.")
        return web.json_response(ProposalOut.model_validate(draft.body).model_dump(mode="json"))

    async def publish(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        body = parse_json(PublishIn, await json_body(request))
        draft = await self.store.proposal(cohort.id)
        if draft is None or draft.body.get("published_at") is not None:
            raise Conflict("There is no draft proposal to publish; make one first.")
        taken = matched_people(await self.store.matches(cohort.id))
        people = await self.store.people(cohort.id)
        now = self.ctx.clock()
        groups: dict[str, list[dict[str, Any]]] = {}
        for pair in draft.body["pairs"]:
            groups.setdefault(pair["mentor_id"], []).append(pair)
        matches: list[Match] = []
        for mentor_id, pairs in groups.items():
            ids = [mentor_id, *(p["mentee_id"] for p in pairs)]
            if any(i in taken or i not in people for i in ids):
                raise Conflict("The cohort changed since this proposal was made; make a new "
                               "one.")
            best = max(pairs, key=lambda p: p["score"])
            matches.append(Match(
                id=new_id("m"), cohort_id=cohort.id, mentor_id=mentor_id,
                mentee_ids=tuple(p["mentee_id"] for p in pairs),
                score=round(sum(p["score"] for p in pairs) / len(pairs), 2),
                reasons=tuple(match_reason(r) for r in best["reasons"]),
                starts_on=body.starts_on, ends_on=body.ends_on, frequency=body.frequency,
                published_at=now))
        published = dict(draft.body, published_at=now)
        changes: list[Change] = [Put(PROPOSAL, cohort.id, published, scope=cohort.id,
                                     expect=draft.version)]
        changes.extend(self.store.put_match(m, expect=0) for m in matches)
        changes.append(self.ctx.audit.put(admin, "matches.published",
                                          f"cohorts/{cohort.id}/matches",
                                          {"matches": len(matches)}))
        await self.ctx.documents.write(changes, now)
        logger.info("cohort %s: %d matches published", cohort.id, len(matches))
        out = MatchesOut(matches=[match_out(m) for m in matches])
        return web.json_response(out.model_dump(mode="json"))

    async def list_matches(self, request: web.Request) -> web.Response:
        await self._admin(request)
        cohort = await self._cohort(request)
        matches = sorted(await self.store.matches(cohort.id),
                         key=lambda m: (m.state.value != "published", -m.published_at, m.id))
        return web.json_response(MatchesOut(matches=[match_out(m) for m in matches])
                                 .model_dump(mode="json"))

    async def end_match(self, request: web.Request) -> web.Response:
        admin = await self._admin(request)
        cohort = await self._cohort(request)
        match, version = await self.store.match(cohort.id, request.match_info["match"])
        ended = match.end(self.ctx.clock())
        await self.ctx.documents.write([
            self.store.put_match(ended, expect=version),
            self.ctx.audit.put(admin, "match.ended", f"cohorts/{cohort.id}/matches/{match.id}")],
            self.ctx.clock())
        return web.json_response(match_out(ended).model_dump(mode="json"))


def _check_links(person: Person, people: dict[str, tuple[Person, int]]) -> None:
    unknown = [p for p in person.never_pair if p not in people]
    if unknown:
        raise Conflict("never_pair: name people of this cohort by their id; "
                       f"{unknown[0]!r} is not (or no longer) in it.")


def _import_failed(rows: list[RowErrorOut]) -> web.Response:
    count = len({r.row for r in rows})
    out = ImportFailedOut(error=ErrorDetail(
        code="import_failed",
        message=f"Nothing was imported: {count} row{'s' if count != 1 else ''} need fixing."),
        rows=rows)
    return web.json_response(out.model_dump(mode="json"), status=400)

