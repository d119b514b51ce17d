"""The programme console on the wire: request bodies (parsed before the domain sees them) and
answers. Every list and string is bounded here, before any work is done."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, Field, field_validator

from rooms.cohort import (
    CAPACITY_MAX,
    DEPARTMENT_MAX,
    FREE_TEXT_MAX,
    NEVER_PAIR_MAX,
    SLOTS_MAX,
    TERM_MAX,
    TERMS_MAX,
    Person,
    Profile,
    Slot,
)
from rooms.cohort_import import ERROR_PARAMS
from rooms.match_health import Fit
from rooms.match_rules import REASON_CODES, MatchRules, Objective, Weights
from rooms.matching import WHY_CODES
from rooms.mentoring import MATCH_YEARS_MAX, Frequency
from rooms.participant import NAME_MAX
from rooms.recurrence import Repeat
from rooms.roles import Role
from rooms.roster import EMAIL_MAX, PERSON_ID_MAX, PROGRAMME_MAX
from rooms.session import TITLE_MAX
from server.http import ErrorDetail
from server.protocol import (
    EMAIL_PATTERN,
    NOT_BLANK,
    PERSON_ID_PATTERN,
    WHOLE_NUMBER,
    InboundModel,
    Text,
    printable_text,
)
from server.tokens import TOKEN_MAX

PairsMax = 500
Term = Annotated[Text, Field(max_length=TERM_MAX)]
Terms = Annotated[list[Term], Field(max_length=TERMS_MAX)]
PersonId = Annotated[str, Field(min_length=1, max_length=PERSON_ID_MAX,
                                pattern=PERSON_ID_PATTERN)]
# The zones this machine knows, listed in the schema so that clients can offer them (the
# domain checks the value again).
TimeZone = Annotated[Text, Field(max_length=64, json_schema_extra={
    "enum": sorted(available_timezones() | {"UTC"})})]
Minute = Annotated[int, Field(ge=0, le=24 * 60), WHOLE_NUMBER]


class CohortIn(InboundModel):
    programme: Text = Field(min_length=1, max_length=PROGRAMME_MAX)
    name: Text = Field(min_length=1, max_length=PROGRAMME_MAX)


class SlotIn(InboundModel):
    """A weekly free time in minutes after midnight; an end at or before the start runs past
    midnight into the next day (22:00 to 01:00 is ``start`` 1320, ``end`` 60)."""

    weekday: Annotated[int, Field(ge=0, le=6), WHOLE_NUMBER]
    start: Annotated[int, Field(ge=0, le=24 * 60 - 1), WHOLE_NUMBER]
    end: Minute

    def slots(self) -> tuple[Slot, ...]:
        if self.end > self.start:
            return (Slot(self.weekday, self.start, self.end),)
        rest = (Slot((self.weekday + 1) % 7, 0, self.end),) if self.end else ()
        return (Slot(self.weekday, self.start, 24 * 60), *rest)


class ProfileIn(InboundModel):
    goals: Terms = Field(default_factory=list)
    interests: Terms = Field(default_factory=list)
    skills_offered: Terms = Field(default_factory=list)
    skills_wanted: Terms = Field(default_factory=list)
    languages: Terms = Field(default_factory=list)
    time_zone: TimeZone = "UTC"
    availability: list[SlotIn] = Field(default_factory=list, max_length=SLOTS_MAX)
    department: Text = Field(default="", max_length=DEPARTMENT_MAX)
    free_text: Text = Field(default="", max_length=FREE_TEXT_MAX)


class PersonIn(InboundModel):
    id: PersonId | None = None
    name: Text = Field(min_length=1, max_length=NAME_MAX, json_schema_extra=NOT_BLANK)
    email: Text | None = Field(default=None, max_length=EMAIL_MAX,
                               json_schema_extra={"pattern": EMAIL_PATTERN})
    role: Literal[Role.MENTOR, Role.MENTEE]
    capacity: Annotated[int, Field(ge=1, le=CAPACITY_MAX), WHOLE_NUMBER] = 1
    never_pair: list[PersonId] = Field(default_factory=list, max_length=NEVER_PAIR_MAX)
    profile: ProfileIn = Field(default_factory=ProfileIn)
    version: Annotated[int, Field(ge=0), WHOLE_NUMBER] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and re.fullmatch(EMAIL_PATTERN, value) is None:
            raise ValueError("not an email address")
        return value

    def person(self, person_id: str) -> Person:
        p = self.profile
        return Person(
            id=person_id, name=self.name, role=Role(self.role), email=self.email,
            # a mentee is matched with one mentor: capacity counts for mentors only
            capacity=self.capacity if self.role is Role.MENTOR else 1,
            never_pair=tuple(self.never_pair),
            profile=Profile(
                goals=tuple(p.goals), interests=tuple(p.interests),
                skills_offered=tuple(p.skills_offered), skills_wanted=tuple(p.skills_wanted),
                languages=tuple(p.languages), time_zone=p.time_zone,
                availability=tuple(s for slot in p.availability for s in slot.slots()),
                department=p.department, free_text=p.free_text,
            ),
        )


class WeightsIn(InboundModel):
    goals: float = Field(default=3.0, ge=0, le=10)
    interests: float = Field(default=1.0, ge=0, le=10)
    skills: float = Field(default=3.0, ge=0, le=10)
    availability: float = Field(default=2.0, ge=0, le=10)


Pair = Annotated[list[PersonId], Field(min_length=2, max_length=2)]


class RulesIn(InboundModel):
    objective: Objective = Objective.BEST_FIT
    common_language: bool = True
    max_time_zone_hours: float | None = Field(default=6.0, ge=0, le=26)
    exclude_same_department: bool = False
    min_availability_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60), WHOLE_NUMBER] = 0
    weights: WeightsIn = Field(default_factory=WeightsIn)
    pins: list[Pair] = Field(default_factory=list, max_length=PairsMax)
    forbids: list[Pair] = Field(default_factory=list, max_length=PairsMax)

    def rules(self) -> MatchRules:
        w = self.weights
        return MatchRules(
            objective=Objective(self.objective), common_language=self.common_language,
            max_time_zone_hours=self.max_time_zone_hours,
            exclude_same_department=self.exclude_same_department,
            min_availability_minutes=self.min_availability_minutes,
            weights=Weights(goals=w.goals, interests=w.interests, skills=w.skills,
                            availability=w.availability),
            pins=frozenset((a, b) for a, b in self.pins),
            forbids=frozenset((a, b) for a, b in self.forbids),
        )

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class PublishIn(InboundModel):
    starts_on: date
    weeks: Annotated[int, Field(ge=1, le=52 * MATCH_YEARS_MAX), WHOLE_NUMBER] = 26
    frequency: Frequency = Frequency.FORTNIGHTLY

    @property
    def ends_on(self) -> date:
        return self.starts_on + timedelta(weeks=self.weeks)


class ScheduleIn(InboundModel):
    """Sessions for one match (``match_id``), or a group session of every live match."""

    match_id: PersonId | None = None
    title: Text = Field(min_length=1, max_length=TITLE_MAX, json_schema_extra=printable_text)
    starts: datetime = Field(description="the first session's local wall time in time_zone "
                                         "(an offset, if given, is converted to that zone)")
    time_zone: TimeZone
    minutes: Annotated[int, Field(ge=5, le=24 * 60), WHOLE_NUMBER] = 60
    repeat: Repeat = Repeat.ONCE
    count: Annotated[int, Field(ge=1, le=52), WHOLE_NUMBER] = 1


class FitIn(InboundModel):
    token: Text = Field(max_length=TOKEN_MAX)
    resume: Text = Field(max_length=TOKEN_MAX)
    answer: Fit


class MineIn(InboundModel):
    token: Text = Field(max_length=TOKEN_MAX)


# -- answers (documented in the OpenAPI document) ----------------------------------------------


class CohortOut(BaseModel):
    id: str
    programme: str
    name: str
    created_at: float
    people: int
    version: int


class CohortsOut(BaseModel):
    cohorts: list[CohortOut]


def _codes(codes: dict[str, str]) -> str:
    return "; ".join(f"`{code}`: {params}" for code, params in codes.items())


class ReasonOut(BaseModel):
    criterion: str
    points: float
    detail: str = Field(description="what matched, in English (a page in another language "
                                    "builds its words from `code` and `params`)")
    code: str | None = Field(default=None, description=(
        "what matched, as a stable word (null in a match published before reasons had "
        "codes: show `detail`): " + ", ".join(f"`{c}`" for c in REASON_CODES)))
    params: dict[str, Any] = Field(default_factory=dict, description=(
        "the code's names, terms and numbers (terms as the mentee wrote them): "
        + _codes({code: params for code, (_, params) in REASON_CODES.items()})))


class PersonOut(BaseModel):
    id: str
    name: str
    email: str | None
    role: Role
    capacity: int
    never_pair: list[str]
    profile: dict[str, Any]
    version: int


class PeopleOut(BaseModel):
    people: list[PersonOut]


class ImportOut(BaseModel):
    created: int
    updated: int
    people: int


class RowErrorOut(BaseModel):
    row: int = Field(description="the data row, 1 the first after the header; 0 the header or "
                                 "the file as a whole")
    column: str | None = Field(description="the column at fault, as the import names it; null "
                                           "for the whole row")
    code: str = Field(description="a stable word: " + ", ".join(f"`{c}`" for c in ERROR_PARAMS))
    message: str = Field(description="what to fix, in English")
    params: dict[str, Any] = Field(description=(
        "the same as data (values cut to a few dozen characters; where a code has several "
        "forms, `problem` names it): " + _codes(ERROR_PARAMS)))


class ImportFailedOut(BaseModel):
    """An import refused: nothing was imported (``error.code`` is ``import_failed``)."""

    error: ErrorDetail
    rows: list[RowErrorOut]


class PairOut(BaseModel):
    mentor_id: str
    mentor_name: str
    mentee_id: str
    mentee_name: str
    score: float
    pinned: bool
    reasons: list[ReasonOut]


class UnmatchedOut(BaseModel):
    person_id: str
    name: str
    role: str
    why: str = Field(description="why, in English")
    code: str | None = Field(default=None, description=(
        "why, as a stable word (null in a proposal made before explanations had codes): "
        + ", ".join(f"`{c}`" for c in WHY_CODES)))
    params: dict[str, Any] = Field(default_factory=dict, description=(
        "the code's details: " + _codes(WHY_CODES) + " (`partner_role`: `mentor` or `mentee`, "
        "the partners this person lacks; a `rule`: `language`, `time_zone`, `department`, "
        "`never_pair`, `availability`, `forbids`)"))


class ProposalOut(BaseModel):
    pairs: list[PairOut]
    unmatched: list[UnmatchedOut]
    objective: Objective
    total_score: float
    rules: dict[str, Any]
    made_at: float


class MatchOut(BaseModel):
    id: str
    cohort_id: str
    mentor_id: str
    mentee_ids: list[str]
    score: float
    reasons: list[ReasonOut]
    starts_on: str
    ends_on: str
    frequency: Frequency
    published_at: float
    state: str
    ended_at: float | None


class MatchesOut(BaseModel):
    matches: list[MatchOut]


class SessionLinkOut(BaseModel):
    person_id: str
    name: str
    role: Role
    url: str
    local_time: str


class ScheduledSessionOut(BaseModel):
    session_id: str
    start: float
    end: float
    links: list[SessionLinkOut]


class ScheduleOut(BaseModel):
    id: str
    match_id: str | None
    title: str
    time_zone: str
    repeat: Repeat
    minutes: int
    sessions: list[ScheduledSessionOut]


class SchedulesOut(BaseModel):
    schedules: list[ScheduleOut]


class RiskOut(BaseModel):
    code: str
    detail: str


class PairHealthOut(BaseModel):
    match_id: str
    mentor: str
    mentees: list[str]
    goals: list[str]
    sessions_planned: int
    sessions_held: int
    upcoming: int
    minutes: float
    last_contact: float | None
    no_shows: int
    talk_balance: float | None
    ratings: list[int]
    fit: Fit | None
    risks: list[RiskOut]


class CohortHealthOut(BaseModel):
    pairs: list[PairHealthOut]
    at_risk: list[str]


class MenteeOut(BaseModel):
    name: str
    goals: list[str]


class MineOut(BaseModel):
    mentees: list[MenteeOut] = Field(description="a mentor's live mentees; empty for anyone else")
    ask_fit: bool = Field(description="this session is the first of the person's match to have "
                                      "started, and they have not answered the fit question")


class FitOut(BaseModel):
    answer: Fit
