"""What the programme console keeps, as documents (``server/documents.py``): cohorts, their
people, the draft proposal, published matches, schedules and answers to the fit question.

Kinds and keys: ``cohort`` (key: cohort id), and, scoped by cohort id, ``person``
(``<cohort>/<person>``), ``proposal`` (``<cohort>``), ``match`` (``<cohort>/<match>``),
``schedule`` (``<cohort>/<schedule>``), ``fit`` (``<cohort>/<match>/<person>``). A person's
profile is written whole; every body carries only what the domain value holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from rooms.cohort import Cohort, Person, Profile, Slot
from rooms.errors import InvalidPayload
from rooms.match_health import Fit
from rooms.matching import Proposal
from rooms.mentoring import Frequency, Match, MatchReason, MatchState
from rooms.roles import Role
from server.documents import Change, Delete, Document, Documents, Put
from server.http import NotFound

COHORT, PERSON, PROPOSAL, MATCH, SCHEDULE, FIT = (
    "cohort", "person", "proposal", "match", "schedule", "fit")
SCHEDULED = "scheduled_session"  # key: a session id; body: its cohort, schedule and match
RISK_SEEN = "risk_seen"  # key: <cohort>/<match>; body: the risks last announced
COHORTS_MAX = 500
# Every kind of document kept in a cohort's scope: deleting a cohort deletes them all.
COHORT_KINDS = (PERSON, PROPOSAL, MATCH, SCHEDULE, FIT, SCHEDULED, RISK_SEEN)


# -- values to bodies and back --------------------------------------------------------------------


def person_body(p: Person) -> dict[str, Any]:
    pr = p.profile
    return {
        "id": p.id, "name": p.name, "email": p.email, "role": p.role.value,
        "capacity": p.capacity, "never_pair": list(p.never_pair),
        "profile": {
            "goals": list(pr.goals), "interests": list(pr.interests),
            "skills_offered": list(pr.skills_offered), "skills_wanted": list(pr.skills_wanted),
            "languages": list(pr.languages), "time_zone": pr.time_zone,
            "availability": [{"weekday": s.weekday, "start": s.start, "end": s.end}
                             for s in pr.availability],
            "department": pr.department, "free_text": pr.free_text,
        },
    }


def person_from(body: dict[str, Any]) -> Person:
    pr = body["profile"]
    return Person(
        id=body["id"], name=body["name"], role=Role(body["role"]), email=body["email"],
        capacity=body["capacity"], never_pair=tuple(body["never_pair"]),
        profile=Profile(
            goals=tuple(pr["goals"]), interests=tuple(pr["interests"]),
            skills_offered=tuple(pr["skills_offered"]),
            skills_wanted=tuple(pr["skills_wanted"]), languages=tuple(pr["languages"]),
            time_zone=pr["time_zone"],
            availability=tuple(Slot(s["weekday"], s["start"], s["end"])
                               for s in pr["availability"]),
            department=pr["department"], free_text=pr["free_text"],
        ),
    )


def match_body(m: Match) -> dict[str, Any]:
    return {
        "id": m.id, "cohort_id": m.cohort_id, "mentor_id": m.mentor_id,
        "mentee_ids": list(m.mentee_ids), "score": m.score,
        "reasons": [{"criterion": r.criterion, "points": r.points, "detail": r.detail,
                     "code": r.code, "params": r.params} for r in m.reasons],
        "starts_on": m.starts_on.isoformat(), "ends_on": m.ends_on.isoformat(),
        "frequency": m.frequency.value, "published_at": m.published_at,
        "state": m.state.value, "ended_at": m.ended_at,
    }


def match_reason(body: dict[str, Any]) -> MatchReason:
    """A reason as a proposal or a match keeps it (one kept before reasons had codes has
    none)."""
    return MatchReason(body["criterion"], body["points"], body["detail"], body.get("code"),
                       body.get("params") or {})


def match_from(body: dict[str, Any]) -> Match:
    return Match(
        id=body["id"], cohort_id=body["cohort_id"], mentor_id=body["mentor_id"],
        mentee_ids=tuple(body["mentee_ids"]), score=body["score"],
        reasons=tuple(match_reason(r) for r in body["reasons"]),
        starts_on=date.fromisoformat(body["starts_on"]),
        ends_on=date.fromisoformat(body["ends_on"]), frequency=Frequency(body["frequency"]),
        published_at=body["published_at"], state=MatchState(body["state"]),
        ended_at=body["ended_at"],
    )


def proposal_body(p: Proposal, names: dict[str, str], rules: dict[str, Any], made_at: float,
                  roles: dict[str, str]) -> dict[str, Any]:
    return {
        "pairs": [{
            "mentor_id": pair.mentor_id, "mentor_name": names.get(pair.mentor_id, ""),
            "mentee_id": pair.mentee_id, "mentee_name": names.get(pair.mentee_id, ""),
            "score": round(pair.score, 2), "pinned": pair.pinned,
            "reasons": [{"criterion": r.criterion, "points": round(r.points, 2),
                         "detail": r.detail, "code": r.code, "params": r.params}
                        for r in pair.reasons],
        } for pair in p.pairs],
        "unmatched": [{"person_id": u.person_id, "name": names.get(u.person_id, ""),
                       "role": roles.get(u.person_id, ""), "why": u.why, "code": u.code,
                       "params": u.params} for u in p.unmatched],
        "objective": p.objective.value,
        "total_score": round(p.total_score, 2),
        "rules": rules,
        "made_at": made_at,
    }


# -- the store ------------------------------------------------------------------------------------


@dataclass(slots=True)
class ProgrammeStore:
    documents: Documents

    async def cohort(self, cohort_id: str) -> tuple[Cohort, Document]:
        doc = await self.documents.get(COHORT, cohort_id)
        if doc is None:
            raise NotFound("There is no such cohort.")
        b = doc.body
        return Cohort(id=cohort_id, programme=b["programme"], name=b["name"]), doc

    async def cohorts(self) -> list[Document]:
        return await self.documents.find(COHORT)

    async def people(self, cohort_id: str) -> dict[str, tuple[Person, int]]:
        """Everyone in the cohort, with the version of their document."""
        docs = await self.documents.find(PERSON, cohort_id)
        return {d.body["id"]: (person_from(d.body), d.version) for d in docs}

    async def person(self, cohort_id: str, person_id: str) -> tuple[Person, int]:
        doc = await self.documents.get(PERSON, f"{cohort_id}/{person_id}")
        if doc is None:
            raise NotFound("There is no such person in this cohort.")
        return person_from(doc.body), doc.version

    @staticmethod
    def put_person(cohort_id: str, person: Person, expect: int | None = None) -> Put:
        return Put(PERSON, f"{cohort_id}/{person.id}", person_body(person), scope=cohort_id,
                   expect=expect)

    async def matches(self, cohort_id: str) -> list[Match]:
        return [match_from(d.body) for d in await self.documents.find(MATCH, cohort_id)]

    async def match(self, cohort_id: str, match_id: str) -> tuple[Match, int]:
        doc = await self.documents.get(MATCH, f"{cohort_id}/{match_id}")
        if doc is None:
            raise NotFound("There is no such match in this cohort.")
        return match_from(doc.body), doc.version

    @staticmethod
    def put_match(match: Match, expect: int | None = None) -> Put:
        return Put(MATCH, f"{match.cohort_id}/{match.id}", match_body(match),
                   scope=match.cohort_id, expect=expect)

    async def proposal(self, cohort_id: str) -> Document | None:
        return await self.documents.get(PROPOSAL, cohort_id)

    async def schedules(self, cohort_id: str) -> list[Document]:
        return await self.documents.find(SCHEDULE, cohort_id)

    async def schedule(self, cohort_id: str, schedule_id: str) -> Document:
        doc = await self.documents.get(SCHEDULE, f"{cohort_id}/{schedule_id}")
        if doc is None:
            raise NotFound("There is no such schedule in this cohort.")
        return doc

    async def fits(self, cohort_id: str) -> dict[str, Fit]:
        """The mentee's answer to "is this a good fit?" for each match (the latest wins; a
        mentor's answer counts when no mentee answered)."""
        out: dict[str, tuple[int, float, Fit]] = {}
        for d in await self.documents.find(FIT, cohort_id):
            rank = 1 if d.body["role"] == Role.MENTEE.value else 0
            key = (rank, d.body["at"])
            current = out.get(d.body["match_id"])
            if current is None or key > current[:2]:
                out[d.body["match_id"]] = (*key, Fit(d.body["answer"]))
        return {m: v[2] for m, v in out.items()}

    async def erase_person(self, person_id: str, only_cohort: str | None = None
                           ) -> tuple[list[Change], int]:
        """The changes that delete a person from every cohort (or one): their profile, their
        fit answers, every match they are in (a small group's match loses only them) and
        their id in others' ``never_pair``."""
        changes: list[Change] = []
        count = 0
        for c in await self.cohorts():
            if only_cohort is not None and c.key != only_cohort:
                continue
            if await self.documents.get(PERSON, f"{c.key}/{person_id}") is not None:
                changes.append(Delete(PERSON, key=f"{c.key}/{person_id}"))
                count += 1
            # Others' profiles that name them (``never_pair``) name them no more.
            for other, version in (await self.people(c.key)).values():
                if other.id != person_id and person_id in other.never_pair:
                    changes.append(self.put_person(c.key, replace(
                        other, never_pair=tuple(p for p in other.never_pair if p != person_id)),
                        expect=version))
            for d in await self.documents.find(FIT, c.key):
                if d.body["person_id"] == person_id:
                    changes.append(Delete(FIT, key=d.key))
            for m in await self.matches(c.key):
                if person_id not in m.people:
                    continue
                count += 1
                if m.mentor_id == person_id or len(m.mentee_ids) == 1:
                    changes.append(Delete(MATCH, key=f"{c.key}/{m.id}"))
                else:
                    body = match_body(m)
                    body["mentee_ids"] = [p for p in m.mentee_ids if p != person_id]
                    changes.append(Put(MATCH, f"{c.key}/{m.id}", body, scope=c.key))
            draft = await self.proposal(c.key)
            if draft is not None and person_id in _mentioned(draft.body):
                changes.append(Delete(PROPOSAL, key=c.key))
        return changes, count


def _mentioned(proposal: dict[str, Any]) -> set[str]:
    return ({p["mentor_id"] for p in proposal["pairs"]} | {p["mentee_id"] for p in
                                                              proposal["pairs"]}
            | {u["person_id"] for u in proposal["unmatched"]})


def require(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidPayload(message)
